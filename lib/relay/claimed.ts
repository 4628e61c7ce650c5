import type { MessageIds } from '../alerts/admin-alerts';
import { toDeliveryFailure } from '../app/classify';
import { CONFIGURATION_RETRY_AFTER_SECONDS, DEFAULT_RETRY_AFTER_SECONDS, type DeliveryFailure } from '../core/failure';
import { done, type RelayOutcome, type RelayResult, retryLater, statOutcomeOf } from '../core/outcome';
import type { ClaimAttempt, HeldClaim } from '../db/delivery-claims';
import type { Logger } from '../log';
import type { RelayDeps } from './deps';

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
  deps: ClaimDeps,
  log: Logger,
  ids: MessageIds,
  attemptClaim: () => Promise<ClaimAttempt<Extra>>,
  work: (claimed: { claim: HeldClaim } & Extra) => Promise<RelayResult>,
): Promise<RelayOutcome> {
  let attempt: ClaimAttempt<Extra>;
  try {
    attempt = await attemptClaim();
  } catch (error) {
    // Nothing was recorded for it (or nobody knows): it is not ours to hand to the reply queue.
    const outcome = await failed(deps, log, ids, toDeliveryFailure(error));
    return finish(deps, outcome.status === 'retry' ? { ...outcome, unclaimed: true } : outcome);
  }
  switch (attempt.status) {
    case 'done':
      log.info('duplicate_ignored');
      return finish(deps, done('duplicate'));
    case 'in_progress':
      log.warn('duplicate_in_progress');
      return finish(deps, retryLater(DEFAULT_RETRY_AFTER_SECONDS, 'in_progress'));
    case 'chat_busy':
      log.info('delivery_deferred', { reason: 'earlier_message_unfinished' });
      return finish(deps, retryLater(DEFAULT_RETRY_AFTER_SECONDS, 'chat_busy'));
    case 'chat_queued':
      log.info('delivery_deferred', { reason: 'earlier_message_queued' });
      return finish(deps, retryLater(DEFAULT_RETRY_AFTER_SECONDS, 'chat_queued'));
    case 'unknown_visitor':
      log.error('message_not_delivered', { reason: 'unknown_visitor', error_class: 'permanent' });
      return finish(deps, done('unknown_visitor'));
  }

  const { claim } = attempt;
  let result: RelayResult;
  try {
    result = await work(attempt);
  } catch (error) {
    const failure = toDeliveryFailure(error);
    const answer = await failed(
      deps,
      log,
      { ...ids, ...('chat' in attempt ? { chatId: (attempt.chat as { chatId: number }).chatId } : {}) },
      failure,
    );
    const outcome = finish(deps, answer.status === 'retry' ? { ...answer, attempts: claim.attempts } : answer);
    await settle(claim, failure, log, deps.fromReplyQueue === true); // carries the outcome's count
    return outcome;
  }
  const outcome = finish(deps, done(result));
  if (!(await claim.completeAfterSuccess())) {
    log.error('claim_completion_deferred', { claim: claim.id.source, reason: 'database_unavailable' });
  }
  return outcome;
}

/** Runs `work` for a message that carries no id to claim; failures are answered the same way. */
export async function runUnclaimed(deps: ClaimDeps, log: Logger, ids: MessageIds, work: () => Promise<RelayResult>): Promise<RelayOutcome> {
  try {
    return finish(deps, done(await work()));
  } catch (error) {
    return finish(deps, await failed(deps, log, ids, toDeliveryFailure(error)));
  }
}

/** What the exactly-once core needs besides the claim: where outcomes are counted, who alerts, whether the attempt came from the reply queue. */
export type ClaimDeps = Pick<RelayDeps, 'db' | 'direction' | 'alerts' | 'fromReplyQueue'>;

/**
 * Counts the outcome for the statistics. The count is written by the next statement that writes
 * (the completion or release that follows, usually), so it costs no round trip of its own.
 */
export function finish(deps: ClaimDeps, outcome: RelayOutcome): RelayOutcome {
  deps.db.countOutcome(deps.direction, statOutcomeOf(outcome));
  return outcome;
}

/** Logs a classified failure, tells the admin chat when it should know, and maps it to the answer. */
async function failed(deps: ClaimDeps, log: Logger, ids: MessageIds, failure: DeliveryFailure): Promise<RelayOutcome> {
  const outcome = outcomeOfFailure(failure, log);
  await deps.alerts?.failure(deps.direction, failure, ids);
  return outcome;
}

/**
 * Gives the claim back (a retry can help) or finishes it (it cannot); a failure here is logged,
 * never thrown. An attempt from the reply queue gives it back as `queued`: its queue message exists
 * and comes back after its backoff.
 */
async function settle(claim: HeldClaim, failure: DeliveryFailure, log: Logger, queued: boolean): Promise<void> {
  if (failure.retryable) {
    // If this fails too the claim stays `processing` and is taken over once its lease runs out.
    await claim.release({ queued }).catch((error: unknown) => log.error('claim_release_failed', { error }));
  } else if (!(await claim.completeAfterSuccess())) {
    log.error('claim_completion_deferred', { claim: claim.id.source, reason: 'database_unavailable' });
  }
}

/** The sender's answer to a classified failure, logged with ids and reason (never the text). */
function outcomeOfFailure(failure: DeliveryFailure, log: Logger): RelayOutcome {
  const fields = { upstream: failure.upstream, error_class: failure.kind, reason: failure.reason };
  switch (failure.kind) {
    case 'transient':
      log.warn('delivery_deferred', { ...fields, retry_after_s: failure.retryAfterSeconds });
      return {
        ...retryLater(failure.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS, failure.reason, 'transient', failure.upstream),
        ...(failure.retryAfterSeconds !== undefined ? { askedSeconds: failure.retryAfterSeconds } : {}),
      };
    case 'configuration':
      log.error('configuration_error', { ...fields, error: failure.cause });
      return retryLater(CONFIGURATION_RETRY_AFTER_SECONDS, failure.reason, 'configuration', failure.upstream);
    case 'blocked':
      log.error('message_not_delivered', fields);
      return done('blocked', { upstream: failure.upstream, reason: failure.reason });
    case 'permanent':
      log.error('message_not_delivered', {
        ...fields,
        error: failure.upstream === 'bridge' || failure.upstream === 'database' ? failure.cause : undefined,
      });
      return done('failed_permanent', { upstream: failure.upstream, reason: failure.reason });
  }
}
