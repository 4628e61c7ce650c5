import type { Context } from 'aws-lambda';
import { deadlineIn, type Deadline } from '../delivery/deadline';
import { CONFIGURATION_RETRY_AFTER_SECONDS, DEFAULT_RETRY_AFTER_SECONDS, toDeliveryFailure } from '../delivery/failure';
import type { Logger } from '../log';
import type { RelayOutcome } from '../relay/outcome';
import type { Runtime } from '../runtime';
import { SettingsError } from '../settings/schema';
import { SsmError } from '../settings/ssm';
import { HttpError, jsonResult, type HttpEvent, type HttpResult } from './api-gateway';

/** API Gateway HTTP API gives up after 30 s; keep well inside it even on a long Lambda timeout. */
const MAX_BUDGET_MS = 25_000;
/** Kept back for finishing our bookkeeping and answering. */
const SAFETY_MS = 1_000;

/** The time this invocation may spend on upstream calls and database statements. */
export function deadlineFor(context?: Pick<Context, 'getRemainingTimeInMillis'>): Deadline {
  const remaining = context?.getRemainingTimeInMillis?.() ?? MAX_BUDGET_MS + SAFETY_MS;
  return deadlineIn(Math.max(0, Math.min(MAX_BUDGET_MS, remaining - SAFETY_MS)));
}

export interface RequestScope {
  log: Logger;
  deadline: Deadline;
  /** Outcome facts added to the final access log line. */
  note: Record<string, unknown>;
}

/**
 * Wraps a route: one access log line per request (status, outcome, duration) and one mapping of
 * errors to answers:
 * - HttpError → its status (401, 400, 413);
 * - missing or invalid settings → 503 + `configuration_error` naming the keys: the sender keeps
 *   the message until the setting is fixed;
 * - a passing outage (database, SSM) → 503 so the sender retries; SSM refusing us (permissions,
 *   region, credentials) is a configuration error, also 503;
 * - anything else is not something a retry can fix → logged with the request's ids and
 *   acknowledged (200), so one poison request never turns into endless redeliveries.
 * The response body never carries internals.
 */
export function httpHandler(
  route: string,
  runtime: Runtime,
  handle: (event: HttpEvent, scope: RequestScope) => Promise<HttpResult>,
  acknowledged: unknown = { ok: true },
) {
  return async (event: HttpEvent, context?: Context): Promise<HttpResult> => {
    const started = performance.now();
    const log = runtime.log.child({ route, request_id: event.requestContext?.requestId });
    const scope: RequestScope = { log, deadline: deadlineFor(context), note: {} };
    let result: HttpResult;
    try {
      result = await handle(event, scope);
    } catch (error) {
      result = errorResult(error, log, scope.note, acknowledged);
      if (error instanceof SettingsError) await runtime.alertSettingsError(error, log);
    }
    log.info('request_done', { status: result.statusCode, ...scope.note, duration_ms: Math.round((performance.now() - started) * 10) / 10 });
    return result;
  };
}

function errorResult(error: unknown, log: Logger, note: Record<string, unknown>, acknowledged: unknown): HttpResult {
  if (error instanceof HttpError) {
    log.warn('request_rejected', { status: error.status, reason: error.code });
    return jsonResult(error.status, { error: error.code, desc: error.message });
  }
  if (error instanceof SettingsError) {
    log.error('configuration_error', { missing: error.missing, invalid: error.invalid.map((i) => i.key), error });
    return retryResult(CONFIGURATION_RETRY_AFTER_SECONDS, 'not_configured');
  }
  if (error instanceof SsmError && !error.retryable) {
    log.error('configuration_error', { source: 'ssm', error });
    return retryResult(CONFIGURATION_RETRY_AFTER_SECONDS, 'not_configured');
  }
  if (error instanceof SsmError || toDeliveryFailure(error).kind === 'transient') {
    log.error('request_failed', { error_class: 'transient', error });
    return retryResult(DEFAULT_RETRY_AFTER_SECONDS, 'temporarily_unavailable');
  }
  log.error('message_not_delivered', { ...note, reason: 'internal_error', error_class: 'permanent', error });
  return jsonResult(200, acknowledged);
}

const retryResult = (seconds: number, code: string): HttpResult =>
  jsonResult(503, { error: code }, { 'retry-after': String(Math.max(1, Math.ceil(seconds))) });

/** Maps a relay outcome to the HTTP answer: 200, or 503 with Retry-After when a retry helps. */
export function outcomeResult(outcome: RelayOutcome, okBody: unknown): HttpResult {
  if (outcome.status === 'done') return jsonResult(200, okBody);
  return jsonResult(503, { error: 'retry_later', desc: outcome.reason }, { 'retry-after': String(Math.max(1, Math.ceil(outcome.retryAfterSeconds) || DEFAULT_RETRY_AFTER_SECONDS)) });
}
