import { isTransientDatabaseError } from '../db/errors';
import { SettingsError } from '../settings/schema';

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

/**
 * Classifies any error raised while relaying. Upstream failures arrive already classified;
 * a passing database outage is transient; missing settings are a configuration fault; anything
 * else (a bug, an input the code cannot interpret) is permanent for this message, so it is
 * logged and acknowledged instead of being retried forever.
 */
export function toDeliveryFailure(error: unknown): DeliveryFailure {
  if (error instanceof DeliveryFailure) return error;
  if (isTransientDatabaseError(error)) {
    const code = String((error as { code?: unknown }).code);
    return new DeliveryFailure('transient', 'database', `database_${code.toLowerCase()}`, undefined, { cause: error });
  }
  if (error instanceof SettingsError) return new DeliveryFailure('configuration', 'bridge', 'settings_invalid', undefined, { cause: error });
  if (error instanceof Error && error.name === 'PostgresError') {
    const code = String((error as { code?: unknown }).code ?? 'unknown');
    return new DeliveryFailure('permanent', 'database', `database_refused_${code.toLowerCase()}`, undefined, { cause: error });
  }
  return new DeliveryFailure('permanent', 'bridge', 'internal_error', undefined, { cause: error });
}

/** Retry-After for a failure that gives no hint of its own, by kind. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
export const CONFIGURATION_RETRY_AFTER_SECONDS = 60;
