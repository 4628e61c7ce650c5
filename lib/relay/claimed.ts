import type { ClaimAttempt, HeldClaim } from '../db/delivery-claims';
import { CONFIGURATION_RETRY_AFTER_SECONDS, DEFAULT_RETRY_AFTER_SECONDS, toDeliveryFailure, type DeliveryFailure } from '../delivery/failure';
import type { Logger } from '../log';
import { done, retryLater, type RelayOutcome, type RelayResult } from './outcome';

/**
 * Runs `work` at most once to completion per claimed message — the exactly-once core.
 *
 * - duplicate of a completed id → `duplicate`, no side effect;
 * - id being processed elsewhere, or an earlier message of the chat unfinished → retry later;
 * - transient or configuration failure → claim released, retry later (the sender keeps the message, order is kept);
 * - permanent failure, blocked user, or an error nobody classified → claim completed, error logged, acknowledged.
 *
 * The completion after a successful `work` is recorded outside the failure handling: once an
 * upstream has accepted the message the answer is success, and a claim is never released after
 * a successful send (a completion the database refuses to take now is kept and written later).
 */
export async function runClaimed<Extra extends object>(
  log: Logger,
  attemptClaim: () => Promise<ClaimAttempt<Extra>>,
  work: (claimed: { claim: HeldClaim } & Extra) => Promise<RelayResult>,
): Promise<RelayOutcome> {
  let attempt: ClaimAttempt<Extra>;
  try {
    attempt = await attemptClaim();
  } catch (error) {
    return outcomeOfFailure(toDeliveryFailure(error), log);
  }
  switch (attempt.status) {
    case 'done':
      log.info('duplicate_ignored');
      return done('duplicate');
    case 'in_progress':
      log.warn('duplicate_in_progress');
      return retryLater(DEFAULT_RETRY_AFTER_SECONDS, 'in_progress');
    case 'chat_busy':
      log.info('delivery_deferred', { reason: 'earlier_message_unfinished' });
      return retryLater(DEFAULT_RETRY_AFTER_SECONDS, 'chat_busy');
    case 'unknown_visitor':
      log.error('message_not_delivered', { reason: 'unknown_visitor', error_class: 'permanent' });
      return done('unknown_visitor');
  }

  const { claim } = attempt;
  let result: RelayResult;
  try {
    result = await work(attempt);
  } catch (error) {
    const failure = toDeliveryFailure(error);
    await settle(claim, failure, log);
    return outcomeOfFailure(failure, log);
  }
  if (!(await claim.completeAfterSuccess())) {
    log.error('claim_completion_deferred', { claim: claim.id.source, reason: 'database_unavailable' });
  }
  return done(result);
}

/** Runs `work` for a message that carries no id to claim; failures are answered the same way. */
export async function runUnclaimed(log: Logger, work: () => Promise<RelayResult>): Promise<RelayOutcome> {
  try {
    return done(await work());
  } catch (error) {
    return outcomeOfFailure(toDeliveryFailure(error), log);
  }
}

/** Gives the claim back (a retry can help) or finishes it (it cannot); a failure here is logged, never thrown. */
async function settle(claim: HeldClaim, failure: DeliveryFailure, log: Logger): Promise<void> {
  if (failure.retryable) {
    // If this fails too the claim stays `processing` and is taken over once its lease runs out.
    await claim.release().catch((error: unknown) => log.error('claim_release_failed', { error }));
  } else if (!(await claim.completeAfterSuccess())) {
    log.error('claim_completion_deferred', { claim: claim.id.source, reason: 'database_unavailable' });
  }
}

/** The sender's answer to a classified failure, logged with ids and reason (never the text). */
export function outcomeOfFailure(failure: DeliveryFailure, log: Logger): RelayOutcome {
  const fields = { upstream: failure.upstream, error_class: failure.kind, reason: failure.reason };
  switch (failure.kind) {
    case 'transient':
      log.warn('delivery_deferred', { ...fields, retry_after_s: failure.retryAfterSeconds });
      return retryLater(failure.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS, failure.reason);
    case 'configuration':
      log.error('configuration_error', { ...fields, error: failure.cause });
      return retryLater(CONFIGURATION_RETRY_AFTER_SECONDS, failure.reason, 'configuration');
    case 'blocked':
      log.error('message_not_delivered', fields);
      return done('blocked');
    case 'permanent':
      log.error('message_not_delivered', { ...fields, error: failure.upstream === 'bridge' || failure.upstream === 'database' ? failure.cause : undefined });
      return done('failed_permanent');
  }
}
