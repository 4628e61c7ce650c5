import type { StatOutcome } from './words';

/** How a relay use-case ended, independent of the trigger (HTTP today, a queue tomorrow). */
export type RelayOutcome =
  | { status: 'done'; result: RelayResult; failure?: FailureDetail }
  /** A retry by the sender can help: answer 503 with Retry-After. */
  | {
      status: 'retry';
      retryAfterSeconds: number;
      reason: string;
      kind?: 'transient' | 'configuration';
      upstream?: string;
      /** What the upstream itself asked to wait (a 429's retry_after), when it did. */
      askedSeconds?: number;
      /** The message holds no place yet (its claim could not be made): only its sender keeps it. */
      unclaimed?: true;
      /** Delivery attempts the claim has seen, this one included (when one was made). */
      attempts?: number;
    };

/** For a message that failed for good (or waits): which side failed and why (never a text). */
export interface FailureDetail {
  upstream: string;
  reason: string;
}

export type RelayResult =
  | 'relayed'
  | 'answered'
  | 'recorded'
  | 'ignored'
  | 'duplicate'
  | 'blocked'
  | 'unknown_visitor'
  | 'failed_permanent';

export const done = (result: RelayResult, failure?: FailureDetail): RelayOutcome =>
  failure ? { status: 'done', result, failure } : { status: 'done', result };

/** A retry outcome; Retry-After is always a whole number of seconds, at least 1. */
export const retryLater = (
  retryAfterSeconds: number,
  reason: string,
  kind: 'transient' | 'configuration' = 'transient',
  upstream?: string,
): RelayOutcome => ({
  status: 'retry',
  kind,
  retryAfterSeconds: Number.isFinite(retryAfterSeconds) ? Math.min(86_400, Math.max(1, Math.ceil(retryAfterSeconds))) : 5,
  reason,
  ...(upstream ? { upstream } : {}),
});

/** The statistics bucket of an outcome (see lib/db/delivery-stats). */
export function statOutcomeOf(outcome: RelayOutcome): StatOutcome {
  if (outcome.status === 'retry') return outcome.kind === 'configuration' ? 'configuration_error' : 'deferred';
  switch (outcome.result) {
    case 'relayed':
    case 'answered':
      return 'relayed';
    case 'duplicate':
      return 'duplicate';
    case 'blocked':
      return 'blocked';
    case 'failed_permanent':
    case 'unknown_visitor':
      return 'failed';
    case 'ignored':
    case 'recorded':
      return 'ignored';
  }
}
