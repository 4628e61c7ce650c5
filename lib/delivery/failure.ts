import { classifyDatabaseError, SchemaBehindError } from '../db/errors';
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
 * Classifies any error raised while relaying. Upstream failures arrive already classified; a
 * database failure is permanent only when the database refused this message's own data (SQLSTATE
 * classes 22, 23) — a rotated password, a schema behind the code or a read-only node is a
 * configuration error, and an outage or anything unknown is transient, so the sender keeps the
 * message; missing settings are a configuration fault; anything else (a bug, an input the code
 * cannot interpret) is permanent for this message, so it is logged and acknowledged instead of
 * being retried forever.
 */
export function toDeliveryFailure(error: unknown): DeliveryFailure {
  if (error instanceof DeliveryFailure) return error;
  const database = classifyDatabaseError(error);
  if (database) {
    const reason = database.class === 'transient' ? `database_${database.code}` : `database_${database.condition}_${database.code}`;
    const kind = database.class === 'data' ? 'permanent' : database.class;
    return new DeliveryFailure(kind, 'database', reason, undefined, { cause: error });
  }
  if (error instanceof SchemaBehindError) return new DeliveryFailure('configuration', 'database', 'schema_behind', undefined, { cause: error });
  if (error instanceof SettingsError) return new DeliveryFailure('configuration', 'bridge', 'settings_invalid', undefined, { cause: error });
  return new DeliveryFailure('permanent', 'bridge', 'internal_error', undefined, { cause: error });
}

/** Retry-After for a failure that gives no hint of its own, by kind. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
export const CONFIGURATION_RETRY_AFTER_SECONDS = 60;
