import { purgeExpiredClaims } from '../lib/db/delivery-claims';
import { defaultRuntime, type Runtime } from '../lib/runtime';

/**
 * Scheduled hourly: deletes delivery records older than CLAIM_RETENTION_HOURS. Kept out of the
 * request path so no user message waits for it. A failure fails the invocation (and its alarm).
 */
export function createHousekeepingHandler(runtime: Runtime) {
  return async () => {
    const ctx = await runtime.context();
    const purged = await purgeExpiredClaims(ctx.db, ctx.settings.CLAIM_RETENTION_HOURS);
    runtime.log.info('claims_purged', { purged, retention_hours: ctx.settings.CLAIM_RETENTION_HOURS });
    return { purged };
  };
}

export const handler = createHousekeepingHandler(defaultRuntime());
