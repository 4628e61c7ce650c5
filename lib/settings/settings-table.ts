import type { Database } from '../db/database';
import type { RawSettings } from './sources';

/** SQLSTATE undefined_table: the database has not been migrated yet. */
const UNDEFINED_TABLE = '42P01';

/**
 * Reads the `settings` table (key/value rows, same names as env vars). Before the first migration
 * there is no table: that is "no settings here", so env and SSM can still name what is missing.
 */
export async function readSettingsTable(db: Database): Promise<RawSettings> {
  try {
    const rows = await db.query((sql) => sql<{ key: string; value: string }[]>`SELECT key, value FROM settings`);
    return Object.fromEntries(rows.filter((r) => r.value !== '').map((r) => [r.key, r.value]));
  } catch (error) {
    if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return {};
    throw error;
  }
}
