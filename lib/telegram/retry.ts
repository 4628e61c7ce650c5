import { type Deadline, sleep as realSleep } from '../core/deadline';
import { DeliveryFailure } from '../core/failure';
import { classifyTelegramError, deliveryFailureOf, TelegramNetworkError } from './errors';

export interface RetryPolicy {
  /** Attempts in total, including the first. */
  maxAttempts: number;
  /** First backoff delay; doubles each time. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Time kept back for our own bookkeeping and the response after the last attempt. */
  reserveMs: number;
  /** An attempt with less time than this is not started: it could not get an answer. */
  minAttemptMs?: number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (info: { attempt: number; waitMs: number; reason: string }) => void;
}

export const DEFAULT_TELEGRAM_RETRY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 2000,
  reserveMs: 1500,
  minAttemptMs: 250,
};

/** The time one attempt may take: the per-call timeout, cut to what the deadline leaves. */
export const attemptBudgetMs = (timeoutMs: number, deadline: Deadline, policy: RetryPolicy): number =>
  Math.min(timeoutMs, deadline.remaining() - policy.reserveMs);

/**
 * Runs one Bot API call under the bridge's policy: 429 waits `retry_after` only when that fits
 * the deadline (else a transient failure carrying retry_after), 5xx / network errors back off a
 * bounded number of times, "blocked by the user" stops, a rejected token is a configuration
 * fault, other 4xx are permanent. Each attempt gets `timeoutMs` or what is left of the deadline,
 * whichever is less.
 *
 * An ambiguous failure — the request had been sent whole and no answer came (a timeout, a reset
 * while waiting) — is not repeated here: Telegram may have delivered it and has no idempotency
 * key, so it becomes a transient failure (`ambiguous_…`) and is sent again only by the next
 * delivery attempt (the sender's redelivery). The bridge chooses a possible duplicate over a
 * possible loss, and at most one such repeat per delivery attempt.
 */
export async function withTelegramRetries<T>(
  call: (timeoutMs: number) => Promise<T>,
  timeoutMs: number,
  deadline: Deadline,
  policy: RetryPolicy = DEFAULT_TELEGRAM_RETRY,
): Promise<T> {
  const sleep = policy.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    const budget = attemptBudgetMs(timeoutMs, deadline, policy);
    if (budget < (policy.minAttemptMs ?? 0)) throw new DeliveryFailure('transient', 'telegram', 'no_time_left');
    try {
      return await call(budget);
    } catch (error) {
      const decision = classifyTelegramError(error);
      if (decision.action !== 'retry_after' && decision.action !== 'backoff') throw deliveryFailureOf(decision, error);
      if (error instanceof TelegramNetworkError && error.mayHaveArrived) {
        throw deliveryFailureOf({ action: 'backoff', reason: `ambiguous_${decision.reason}` }, error);
      }
      const waitMs =
        decision.action === 'retry_after'
          ? decision.seconds * 1000
          : Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      const fits = waitMs + policy.reserveMs + (policy.minAttemptMs ?? 0) < deadline.remaining();
      if (attempt >= policy.maxAttempts || !fits) throw deliveryFailureOf(decision, error);
      policy.onRetry?.({ attempt, waitMs: Math.round(waitMs), reason: decision.reason });
      await sleep(waitMs);
    }
  }
}
