/**
 * The outcome class of a failed delivery, whichever side failed. It decides what we answer the
 * sender:
 * - transient → release the claim and ask for a retry (503): the same message may go through later;
 * - configuration → the same, but logged as `configuration_error`: every message would fail
 *   until a setting is fixed (a rejected token, a wrong endpoint), so the sender must keep them;
 * - permanent / blocked → complete the claim, log, acknowledge (200) so a poison message never
 *   freezes a chat.
 */
export type DeliveryFailureKind = 'transient' | 'configuration' | 'permanent' | 'blocked';

/** Which side failed: an upstream, our database, or the bridge's own code. */
export type FailureSource = 'telegram' | 'webim' | 'database' | 'bridge';

export class DeliveryFailure extends Error {
  override readonly name = 'DeliveryFailure';
  constructor(
    readonly kind: DeliveryFailureKind,
    readonly upstream: FailureSource,
    readonly reason: string,
    /** For transient failures: when a retry makes sense, in seconds. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(`${upstream} delivery failed (${kind}): ${reason}`, options);
  }

  /** Whether a retry by the sender can help (answer 503 and keep the message). */
  get retryable(): boolean {
    return this.kind === 'transient' || this.kind === 'configuration';
  }
}

/** Retry-After for a failure that gives no hint of its own, by kind. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
export const CONFIGURATION_RETRY_AFTER_SECONDS = 60;
