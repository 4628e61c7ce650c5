import { claimDelivery, completeDelivery, releaseDelivery, type ClaimResult, type ClaimSource } from '../db/delivery-claims';
import { DeliveryFailure } from '../delivery/failure';
import type { Logger } from '../log';
import type { RelayDeps } from './deps';
import { DEFAULT_RETRY_AFTER_SECONDS, done, retryLater, type RelayOutcome, type RelayResult } from './outcome';

/**
 * Runs `work` at most once to completion per (source, key) — the exactly-once core of SPEC §6.
 *
 * - duplicate of a completed id → `duplicate`, no side effect;
 * - id being processed elsewhere → retry later;
 * - transient failure → claim released, retry later (the sender's retry keeps order);
 * - permanent failure or blocked user → claim completed, error logged, acknowledged.
 *
 * `claim` may read what `work` needs in the same statement (see lib/db/delivery-claims), so a
 * relayed message costs two round trips: claim (+ read), complete.
 */
export async function runClaimed<Extra extends object>(
  deps: Pick<RelayDeps, 'db' | 'settings'>,
  log: Logger,
  source: ClaimSource,
  key: string,
  work: (partsDone: number, extra: Extra) => Promise<RelayResult>,
  claimWith?: () => Promise<{ claim: ClaimResult } & Extra>,
): Promise<RelayOutcome> {
  const claimed = claimWith
    ? await claimWith()
    : ({ claim: await claimDelivery(deps.db, source, key, deps.settings.CLAIM_LEASE_SECONDS) } as { claim: ClaimResult } & Extra);
  const { claim } = claimed;
  if (claim.status === 'done') {
    log.info('duplicate_ignored', { claim: source });
    return done('duplicate');
  }
  if (claim.status === 'in_progress') {
    log.warn('duplicate_in_progress', { claim: source });
    return retryLater(DEFAULT_RETRY_AFTER_SECONDS, 'in_progress');
  }

  try {
    const result = await work(claim.partsDone, claimed);
    await completeDelivery(deps.db, source, key);
    return done(result);
  } catch (error) {
    if (!(error instanceof DeliveryFailure)) {
      // Not classified (e.g. the database went away): give the id back so a retry can take it.
      await releaseDelivery(deps.db, source, key).catch((releaseError) => log.error('claim_release_failed', { error: releaseError }));
      throw error;
    }
    const fields = { upstream: error.upstream, error_class: error.kind, reason: error.reason };
    if (error.kind === 'transient') {
      await releaseDelivery(deps.db, source, key);
      log.warn('delivery_deferred', { ...fields, retry_after_s: error.retryAfterSeconds });
      return retryLater(error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS, error.reason);
    }
    await completeDelivery(deps.db, source, key);
    log.error('message_not_delivered', fields);
    return done(error.kind === 'blocked' ? 'blocked' : 'failed_permanent');
  }
}
