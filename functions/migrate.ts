import { migrate, readMigrations } from '../lib/db/migrate';
import { defaultRuntime, type Runtime } from '../lib/runtime';

/** One-shot admin function: applies pending SQL migrations and reports what it applied. */
export function createMigrateHandler(runtime: Runtime, migrationsDir?: string) {
  return async () => {
    const db = await runtime.databaseOnly();
    const migrations = await readMigrations(migrationsDir);
    const applied = await migrate(db, migrations);
    runtime.log.info('migrations_applied', { applied, known: migrations.length });
    return { applied, known: migrations.map((m) => m.version) };
  };
}

export const handler = createMigrateHandler(defaultRuntime());
