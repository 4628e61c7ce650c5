import type { RawSettings } from '../settings/sources';
import type { Database } from './database';

/** Reads the `settings` table (key/value rows, same names as env vars). */
export async function readSettingsTable(db: Database): Promise<RawSettings> {
  const rows = await db.query((sql) => sql<{ key: string; value: string }[]>`SELECT key, value FROM settings`);
  return Object.fromEntries(rows.filter((r) => r.value !== '').map((r) => [r.key, r.value]));
}
