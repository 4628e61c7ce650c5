import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from './database';

export interface Migration {
  version: string;
  sql: string;
}

const FILE_PATTERN = /^(\d{3,})_[a-z0-9_]+\.sql$/;

/** Where migration files live: `MIGRATIONS_DIR`, else `migrations/` under the working directory (the package root on Lambda). */
const defaultMigrationsDir = (): string => process.env.MIGRATIONS_DIR ?? path.join(process.cwd(), 'migrations');

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

/**
 * The migrations this code relies on. Code checks for them once per container (see
 * `missingMigrations`) and answers 503 `schema_behind` until they are applied, so an upgrade
 * whose code switches before its migration runs loses nothing. Add a new migration's version
 * here when code starts to depend on it; a test keeps this list equal to `migrations/`.
 */
export const REQUIRED_MIGRATIONS = [
  '001_initial',
  '002_claim_scope_and_chat_order',
  '003_alerts_and_stats',
  '004_per_message_functions',
  '005_reply_queue',
  '006_conversation',
  '007_reply_order',
  '008_chat_language',
  '009_business_connections',
  '010_ratings_and_reactions',
] as const;

/** SQLSTATE undefined_table: nothing was ever migrated here. */
const UNDEFINED_TABLE = '42P01';

/** The required migrations the database has not recorded (all of them before the first migrate). */
export async function missingMigrations(db: Database, required: readonly string[] = REQUIRED_MIGRATIONS): Promise<string[]> {
  try {
    const rows = await db.query((sql) => sql<{ version: string }[]>`SELECT version FROM schema_migrations`);
    const applied = new Set(rows.map((r) => r.version));
    return required.filter((v) => !applied.has(v));
  } catch (error) {
    if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return [...required];
    throw error;
  }
}
