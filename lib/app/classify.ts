import { DeliveryFailure } from '../core/failure';
import { classifyDatabaseError, SchemaBehindError } from '../db/errors';
import { SettingsError } from '../settings/schema';

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
  if (error instanceof SchemaBehindError)
    return new DeliveryFailure('configuration', 'database', 'schema_behind', undefined, { cause: error });
  if (error instanceof SettingsError)
    return new DeliveryFailure('configuration', 'bridge', 'settings_invalid', undefined, { cause: error });
  return new DeliveryFailure('permanent', 'bridge', 'internal_error', undefined, { cause: error });
}
