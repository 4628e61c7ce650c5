import { classifyTelegramError } from '../telegram/errors';
import { sleep as realSleep, type Deadline } from './deadline';
import { DeliveryFailure } from './failure';

export interface RetryPolicy {
  /** Attempts in total, including the first. */
  maxAttempts: number;
  /** First backoff delay; doubles each time. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Time kept back for our own bookkeeping and the response after the last attempt. */
  reserveMs: number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (info: { attempt: number; waitMs: number; reason: string }) => void;
}

export const DEFAULT_TELEGRAM_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 2000, reserveMs: 1500 };

/**
 * Runs one Bot API call under the SPEC §4.3 policy: 429 waits `retry_after` only when that fits
 * the deadline (else a transient failure carrying retry_after), 5xx / network errors back off a
 * bounded number of times, "blocked by the user" stops, other 4xx are permanent.
 */
export async function withTelegramRetries<T>(call: () => Promise<T>, deadline: Deadline, policy: RetryPolicy = DEFAULT_TELEGRAM_RETRY): Promise<T> {
  const sleep = policy.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const decision = classifyTelegramError(error);
      if (decision.action === 'stop_contact') throw new DeliveryFailure('blocked', 'telegram', decision.reason, undefined, { cause: error });
      if (decision.action === 'permanent') throw new DeliveryFailure('permanent', 'telegram', decision.reason, undefined, { cause: error });
      const waitMs =
        decision.action === 'retry_after'
          ? decision.seconds * 1000
          : Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      const fits = waitMs + policy.reserveMs < deadline.remaining();
      if (attempt >= policy.maxAttempts || !fits) {
        const retryAfter = decision.action === 'retry_after' ? decision.seconds : undefined;
        throw new DeliveryFailure('transient', 'telegram', decision.reason, retryAfter, { cause: error });
      }
      policy.onRetry?.({ attempt, waitMs: Math.round(waitMs), reason: decision.reason });
      await sleep(waitMs);
    }
  }
}
