/** How a relay use-case ended, independent of the trigger (HTTP today, a queue tomorrow). */
export type RelayOutcome =
  | { status: 'done'; result: RelayResult }
  /** A retry by the sender can help: answer 503 with Retry-After. */
  | { status: 'retry'; retryAfterSeconds: number; reason: string };

export type RelayResult =
  | 'relayed'
  | 'answered'
  | 'recorded'
  | 'ignored'
  | 'duplicate'
  | 'blocked'
  | 'unknown_visitor'
  | 'failed_permanent';

export const done = (result: RelayResult): RelayOutcome => ({ status: 'done', result });
export const retryLater = (retryAfterSeconds: number, reason: string): RelayOutcome => ({ status: 'retry', retryAfterSeconds, reason });

/** Retry-After we suggest when the failure itself gives no hint. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
