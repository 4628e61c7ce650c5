import { purgeExpiredClaims } from '../lib/db/delivery-claims';
import { purgeStats } from '../lib/db/delivery-stats';
import { defaultRuntime, type Runtime } from '../lib/runtime';

/**
 * Scheduled hourly: deletes delivery records older than CLAIM_RETENTION_HOURS and statistics
 * older than STATS_RETENTION_DAYS. Kept out of the
 * request path so no user message waits for it. A failure fails the invocation (and its alarm).
 */
export function createHousekeepingHandler(runtime: Runtime) {
  return async () => {
    const ctx = await runtime.context();
    const purged = await purgeExpiredClaims(ctx.db, ctx.settings.CLAIM_RETENTION_HOURS);
    const statsPurged = await purgeStats(ctx.db, ctx.settings.STATS_RETENTION_DAYS);
    runtime.log.info('claims_purged', { purged, stats_purged: statsPurged, retention_hours: ctx.settings.CLAIM_RETENTION_HOURS });
    return { purged, statsPurged };
  };
}

export const handler = createHousekeepingHandler(defaultRuntime());
