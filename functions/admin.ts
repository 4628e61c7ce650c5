import { AdminRequestError, parseAdminRequest, runAdminAction } from '../lib/admin/actions';
import { defaultRuntime, type Runtime } from '../lib/app/runtime';
import { readMigrations } from '../lib/db/migrate';

/**
 * The admin function: `{"action":"setup"}` (what every deploy runs: migrate, register the
 * webhook, doctor), `doctor`, `stats`, `set` / `info` / `delete` (the webhook), `migrate`. Returns the
 * report; when the action fails it throws with the report as its message, so the invocation
 * fails and `serverless invoke` (and the deploy hook) exit non-zero.
 */
export function createAdminHandler(runtime: Runtime, migrationsDir?: string) {
  return async (event: unknown) => {
    const request = parseAdminRequest(event);
    const result = await runAdminAction(runtime, request, await readMigrations(migrationsDir));
    runtime.log[result.ok ? 'info' : 'error']('admin_action_done', { action: result.action, ok: result.ok });
    if (!result.ok) throw new AdminActionFailed(result.lines.join('\n'));
    return result;
  };
}

/** A failed admin action; its message is the action's report (names and hints, never secrets). */
export class AdminActionFailed extends Error {
  override readonly name = 'AdminActionFailed';
}

export { AdminRequestError };

export const handler = createAdminHandler(defaultRuntime());
