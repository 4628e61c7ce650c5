import { runAdminAction } from '../lib/admin/actions';
import { defaultRuntime, type Runtime } from '../lib/app/runtime';
import { readMigrations } from '../lib/db/migrate';

/** One-shot admin function: applies pending SQL migrations (the admin `migrate` action) and reports what it applied. */
export function createMigrateHandler(runtime: Runtime, migrationsDir?: string) {
  return async () => {
    const migrations = await readMigrations(migrationsDir);
    const { applied = [] } = await runAdminAction(runtime, { action: 'migrate' }, migrations);
    return { applied, known: migrations.map((m) => m.version) };
  };
}

export const handler = createMigrateHandler(defaultRuntime());
