import type { Context } from 'aws-lambda';
import { defaultRuntime, type Runtime } from '../lib/app/runtime';
import { purgeButtonIds } from '../lib/db/conversation';
import { purgeExpiredClaims } from '../lib/db/delivery-claims';
import { purgeStats } from '../lib/db/delivery-stats';
import { purgeRatingStats } from '../lib/db/feedback';

/**
 * Scheduled hourly: deletes delivery records older than CLAIM_RETENTION_HOURS and statistics
 * older than STATS_RETENTION_DAYS, in bounded batches. Kept out of the request path so no user message waits for it. A failure fails the invocation (and its alarm).
 */
export function createHousekeepingHandler(runtime: Runtime) {
  return async (_event?: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>) => {
    const ctx = await runtime.context();
    // Batches go on while the invocation has time (a backlog drains over several runs).
    const timeLeftMs = () => (context ? context.getRemainingTimeInMillis() - 5_000 : 50_000 - (performance.now() - started));
    const started = performance.now();
    const { purged, drained } = await purgeExpiredClaims(ctx.db, ctx.settings.CLAIM_RETENTION_HOURS, { timeLeftMs });
    const statsPurged = await purgeStats(ctx.db, ctx.settings.STATS_RETENTION_DAYS);
    await purgeRatingStats(ctx.db, ctx.settings.STATS_RETENTION_DAYS);
    await purgeButtonIds(ctx.db, ctx.settings.CLAIM_RETENTION_HOURS);
    runtime.log.info('claims_purged', { purged, drained, stats_purged: statsPurged, retention_hours: ctx.settings.CLAIM_RETENTION_HOURS });
    return { purged, drained, statsPurged };
  };
}

export const handler = createHousekeepingHandler(defaultRuntime());
