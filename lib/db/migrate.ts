import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from './database';

export interface Migration {
  version: string;
  sql: string;
}

const FILE_PATTERN = /^(\d{3,})_[a-z0-9_]+\.sql$/;

/** Where migration files live: `MIGRATIONS_DIR`, else `migrations/` under the working directory (the package root on Lambda). */
export const defaultMigrationsDir = (): string => process.env.MIGRATIONS_DIR ?? path.join(process.cwd(), 'migrations');

/** Reads numbered `NNN_name.sql` files in order. */
export async function readMigrations(dir = defaultMigrationsDir()): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => FILE_PATTERN.test(f)).sort();
  return Promise.all(files.map(async (f) => ({ version: f.replace(/\.sql$/, ''), sql: await readFile(path.join(dir, f), 'utf8') })));
}

// Any constant works; it only has to be the same for every runner of this schema.
const MIGRATION_LOCK = 7_305_511;

/**
 * Applies each pending migration once, in its own transaction, and records it.
 * Concurrent runners serialise on an advisory lock and re-check inside the transaction,
 * so a migration is never applied twice. Returns the versions applied now.
 */
export async function migrate(db: Database, migrations: Migration[]): Promise<string[]> {
  // Under the lock too: concurrent CREATE TABLE IF NOT EXISTS can still collide in Postgres.
  await db.sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version    text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
  });
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      const [row] = await tx`SELECT 1 FROM schema_migrations WHERE version = ${m.version}`;
      if (row) return false;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (version) VALUES (${m.version})`;
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
