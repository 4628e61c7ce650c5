import type { Context } from 'aws-lambda';
import { deadlineIn, type Deadline } from '../delivery/deadline';
import type { Logger } from '../log';
import type { RelayOutcome } from '../relay/outcome';
import type { Runtime } from '../runtime';
import { SettingsError } from '../settings/schema';
import { HttpError, jsonResult, type HttpEvent, type HttpResult } from './api-gateway';

/** API Gateway HTTP API gives up after 30 s; keep well inside it even on a long Lambda timeout. */
const MAX_BUDGET_MS = 25_000;
/** Kept back for finishing our bookkeeping and answering. */
const SAFETY_MS = 1_000;

/** The time this invocation may spend on upstream calls. */
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
 * Wraps a route: one access log line per request (status, outcome, duration), HttpError →
 * its status, SettingsError → 500 naming the missing keys in the log, anything else → 503 so
 * the sender retries. The response body never carries internals.
 */
export function httpHandler(
  route: string,
  runtime: Runtime,
  handle: (event: HttpEvent, scope: RequestScope) => Promise<HttpResult>,
) {
  return async (event: HttpEvent, context?: Context): Promise<HttpResult> => {
    const started = performance.now();
    const log = runtime.log.child({ route, request_id: event.requestContext?.requestId });
    const scope: RequestScope = { log, deadline: deadlineFor(context), note: {} };
    let result: HttpResult;
    try {
      result = await handle(event, scope);
    } catch (error) {
      if (error instanceof HttpError) {
        log.warn('request_rejected', { status: error.status, reason: error.code });
        result = jsonResult(error.status, { error: error.code, desc: error.message });
      } else if (error instanceof SettingsError) {
        log.error('configuration_error', { missing: error.missing, invalid: error.invalid.map((i) => i.key), error });
        result = jsonResult(500, { error: 'not_configured' });
      } else {
        log.error('request_failed', { error });
        result = jsonResult(503, { error: 'temporarily_unavailable' }, { 'retry-after': '5' });
      }
    }
    log.info('request_done', { status: result.statusCode, ...scope.note, duration_ms: Math.round((performance.now() - started) * 10) / 10 });
    return result;
  };
}

/** Maps a relay outcome to the HTTP answer: 200, or 503 with Retry-After when a retry helps. */
export function outcomeResult(outcome: RelayOutcome, okBody: unknown): HttpResult {
  if (outcome.status === 'done') return jsonResult(200, okBody);
  return jsonResult(503, { error: 'retry_later', desc: outcome.reason }, { 'retry-after': String(Math.ceil(outcome.retryAfterSeconds)) });
}
