import type { Context } from 'aws-lambda';
import { type Deadline, deadlineIn } from '../core/deadline';
import { CONFIGURATION_RETRY_AFTER_SECONDS, DEFAULT_RETRY_AFTER_SECONDS } from '../core/failure';
import { done, type RelayOutcome, retryLater } from '../core/outcome';
import { HttpError, type HttpEvent, type HttpResult, jsonResult } from '../http/api-gateway';
import type { AdminWords } from '../i18n/catalogue';
import type { Logger } from '../log';
import { countsOf, type DeliveryCounts, type Direction } from '../metrics';
import { QueueError } from '../queue/reply-queue';
import { SettingsError } from '../settings/schema';
import { SsmError } from '../settings/ssm';
import { toDeliveryFailure } from './classify';
import type { Runtime } from './runtime';

/** API Gateway HTTP API gives up after 30 s; keep well inside it even on a long Lambda timeout. */
const MAX_BUDGET_MS = 25_000;
/** Kept back for finishing our bookkeeping and answering. */
const SAFETY_MS = 1_000;

/** The time this invocation may spend on upstream calls and database statements. */
function deadlineFor(context?: Pick<Context, 'getRemainingTimeInMillis'>): Deadline {
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
 * - missing or invalid settings, SSM refusing us (permissions, region, credentials), the database
 *   refusing us (a rotated password, missing privileges, a read-only node) or a schema behind the
 *   code → 503 + `configuration_error`: the sender keeps the message until somebody acts;
 * - a passing outage (database, SSM) → 503 so the sender retries;
 * - anything else is not something a retry can fix → logged with the request's ids and
 *   acknowledged (200), so one poison request never turns into endless redeliveries.
 * Each of these but the HttpError writes its metrics record (the alarms see every deferral), and
 * a configuration error tells the admin chat. The response body never carries internals.
 */
export function httpHandler(
  route: string,
  runtime: Runtime,
  handle: (event: HttpEvent, scope: RequestScope) => Promise<HttpResult>,
  options: { acknowledged?: unknown; direction: Direction },
) {
  const acknowledged = options.acknowledged ?? { ok: true };
  return async (event: HttpEvent, context?: Context): Promise<HttpResult> => {
    const started = performance.now();
    const log = runtime.log.child({ route, request_id: event.requestContext?.requestId });
    const scope: RequestScope = { log, deadline: deadlineFor(context), note: {} };
    let result: HttpResult;
    try {
      result = await handle(event, scope);
    } catch (error) {
      const answer = errorAnswer(error, log, scope.note, acknowledged);
      result = answer.result;
      if (answer.counts) runtime.recordAnswer(options.direction, answer.counts);
      if (error instanceof SettingsError) await runtime.alertSettingsError(error, log);
      else if (answer.configuration) await runtime.alertConfiguration(answer.configuration, log);
    }
    log.info('request_done', {
      status: result.statusCode,
      ...scope.note,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
    });
    return result;
  };
}

/** The metrics of an answer that never reached a relay, counted as the relay's own outcomes are (countsOf). */
const counts = (kind: 'configuration' | 'transient' | 'failed'): DeliveryCounts =>
  countsOf(kind === 'failed' ? done('failed_permanent') : retryLater(DEFAULT_RETRY_AFTER_SECONDS, 'not_relayed', kind));

interface ErrorAnswer {
  result: HttpResult;
  /** The metrics this answer contributes (none for a request refused at the door). */
  counts?: DeliveryCounts;
  /** For a configuration error: what to tell the admin chat. */
  /** What the configuration alert names, in the admin chat's words (codes as they are). */
  configuration?: string | ((words: AdminWords) => string);
}

function errorAnswer(error: unknown, log: Logger, note: Record<string, unknown>, acknowledged: unknown): ErrorAnswer {
  if (error instanceof HttpError) {
    log.warn('request_rejected', { status: error.status, reason: error.code });
    return { result: jsonResult(error.status, { error: error.code, desc: error.message }) };
  }
  if (error instanceof SettingsError) {
    log.error('configuration_error', { missing: error.missing, invalid: error.invalid.map((i) => i.key), error });
    return { result: retryResult(CONFIGURATION_RETRY_AFTER_SECONDS, 'not_configured'), counts: counts('configuration') };
  }
  if (error instanceof SsmError && !error.retryable) {
    log.error('configuration_error', { source: 'ssm', reason: error.code, error });
    return {
      result: retryResult(CONFIGURATION_RETRY_AFTER_SECONDS, 'not_configured'),
      counts: counts('configuration'),
      configuration: (words) => words.ssmRefuses(error.code),
    };
  }
  if (error instanceof SsmError) {
    log.error('request_failed', { error_class: 'transient', source: 'ssm', reason: error.code, error });
    return { result: retryResult(DEFAULT_RETRY_AFTER_SECONDS, 'temporarily_unavailable'), counts: counts('transient') };
  }
  if (error instanceof QueueError) {
    // The reply could not be handed to the reply queue: the sender must keep it.
    const configuration = !error.retryable;
    log.error(configuration ? 'configuration_error' : 'request_failed', { ...note, source: 'reply_queue', reason: error.code, error });
    return configuration
      ? {
          result: retryResult(CONFIGURATION_RETRY_AFTER_SECONDS, 'not_configured'),
          counts: counts('configuration'),
          configuration: (words: AdminWords) => words.queueRefuses(error.code),
        }
      : { result: retryResult(DEFAULT_RETRY_AFTER_SECONDS, 'temporarily_unavailable'), counts: counts('transient') };
  }
  const failure = toDeliveryFailure(error);
  if (failure.kind === 'configuration') {
    log.error('configuration_error', { ...note, upstream: failure.upstream, reason: failure.reason, error });
    const code = failure.reason === 'schema_behind' ? 'schema_behind' : 'not_configured';
    return {
      result: retryResult(CONFIGURATION_RETRY_AFTER_SECONDS, code),
      counts: counts('configuration'),
      configuration: `${failure.upstream} ${failure.reason}`,
    };
  }
  if (failure.kind === 'transient') {
    log.error('request_failed', { ...note, error_class: 'transient', upstream: failure.upstream, reason: failure.reason, error });
    return { result: retryResult(DEFAULT_RETRY_AFTER_SECONDS, 'temporarily_unavailable'), counts: counts('transient') };
  }
  log.error('message_not_delivered', { ...note, reason: failure.reason, error_class: 'permanent', error });
  return { result: jsonResult(200, acknowledged), counts: counts('failed') };
}

const retryResult = (seconds: number, code: string): HttpResult =>
  jsonResult(503, { error: code }, { 'retry-after': String(Math.max(1, Math.ceil(seconds))) });

/** Maps a relay outcome to the HTTP answer: 200, or 503 with Retry-After when a retry helps. */
export function outcomeResult(outcome: RelayOutcome, okBody: unknown): HttpResult {
  if (outcome.status === 'done') return jsonResult(200, okBody);
  return jsonResult(
    503,
    { error: 'retry_later', desc: outcome.reason },
    { 'retry-after': String(Math.max(1, Math.ceil(outcome.retryAfterSeconds) || DEFAULT_RETRY_AFTER_SECONDS)) },
  );
}
