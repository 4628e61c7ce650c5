import { completeDelivery, releaseDelivery, type ClaimResult, type ClaimSource } from '../db/delivery-claims';
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
 * `claim` takes the id and may read what `work` needs in the same statement (see
 * lib/db/delivery-claims), so a relayed message costs two round trips: claim (+ read), complete.
 */
export async function runClaimed<Extra extends object>(
  deps: Pick<RelayDeps, 'db'>,
  log: Logger,
  source: ClaimSource,
  key: string,
  claim: () => Promise<{ claim: ClaimResult } & Extra>,
  work: (partsDone: number, extra: Extra) => Promise<RelayResult>,
): Promise<RelayOutcome> {
  const claimed = await claim();
  const state = claimed.claim;
  if (state.status === 'done') {
    log.info('duplicate_ignored', { claim: source });
    return done('duplicate');
  }
  if (state.status === 'in_progress') {
    log.warn('duplicate_in_progress', { claim: source });
    return retryLater(DEFAULT_RETRY_AFTER_SECONDS, 'in_progress');
  }

  try {
    const result = await work(state.partsDone, claimed);
    await completeDelivery(deps.db, source, key);
    return done(result);
  } catch (error) {
    if (!(error instanceof DeliveryFailure)) {
      // Not classified (e.g. the database went away): give the id back so a retry can take it.
      await releaseDelivery(deps.db, source, key).catch((releaseError) => log.error('claim_release_failed', { error: releaseError }));
      throw error;
    }
    if (error.kind === 'transient') await releaseDelivery(deps.db, source, key);
    else await completeDelivery(deps.db, source, key);
    return outcomeOfFailure(error, log);
  }
}

/** Runs `work` for a message that carries no id to claim; failures are answered the same way. */
export async function runUnclaimed(log: Logger, work: () => Promise<RelayResult>): Promise<RelayOutcome> {
  try {
    return done(await work());
  } catch (error) {
    if (error instanceof DeliveryFailure) return outcomeOfFailure(error, log);
    throw error;
  }
}

/** The sender's answer to a classified failure, logged with ids and reason (never the text). */
function outcomeOfFailure(error: DeliveryFailure, log: Logger): RelayOutcome {
  const fields = { upstream: error.upstream, error_class: error.kind, reason: error.reason };
  if (error.kind === 'transient') {
    log.warn('delivery_deferred', { ...fields, retry_after_s: error.retryAfterSeconds });
    return retryLater(error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS, error.reason);
  }
  log.error('message_not_delivered', fields);
  return done(error.kind === 'blocked' ? 'blocked' : 'failed_permanent');
}
