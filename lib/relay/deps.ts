import { AdminAlerts } from '../alerts/admin-alerts';
import type { AppContext } from '../app/runtime';
import type { Deadline } from '../core/deadline';
import type { Direction } from '../db/delivery-stats';
import type { Logger } from '../log';
import { type RequestMetrics, UpstreamTimer } from '../metrics';
import type { RetryPolicy } from '../telegram/retry';

/**
 * Everything a relay use-case needs: the container's context (settings, clients, database —
 * the database as a view bounded by `deadline`), plus the invocation's deadline and logger.
 */
export interface RelayDeps extends AppContext {
  log: Logger;
  deadline: Deadline;
  telegramRetry?: RetryPolicy;
  /** Adds up the time spent on Telegram and Webim calls (for the latency metric). */
  upstream?: UpstreamTimer;
  /** What this request adds to its metrics record beyond its outcome (a rating counted now). */
  metrics?: RequestMetrics;
  /** Which way this use-case relays (statistics, alerts). */
  direction: Direction;
  /** Posts admin alerts when something goes wrong; never affects the outcome. */
  alerts?: AdminAlerts;
  /**
   * This attempt at an operator reply comes from the reply queue: a retryable failure gives its
   * claim back as `queued` (its queue message exists and comes back after its backoff).
   */
  fromReplyQueue?: boolean;
  /**
   * The admin chat's `/status` answer (the doctor's summary and the last 24 hours), given by the
   * function that wires the use-case: relay does not know the admin layer above it.
   */
  statusReport?: (deps: RelayDeps) => Promise<string>;
}

/** Runs one Telegram or Webim call, adding its time to the request's upstream latency when timed. */
export function timedUpstream<T>(deps: Pick<RelayDeps, 'upstream'>, call: () => Promise<T>): Promise<T> {
  return deps.upstream ? deps.upstream.time(call) : call();
}

/** How long a button press is answered and its message edited within (Telegram shows a spinner until then). */
const PRESS_ANSWER_MS = 2_000;

/** The budget of each Telegram call that answers a press: the press bound, or the client's own timeout when shorter. */
export const pressAnswerBudgetMs = (deps: Pick<RelayDeps, 'telegram'>): number => Math.min(PRESS_ANSWER_MS, deps.telegram.timeoutMs);

/** The deps of one relayed request: the database bounded by the deadline, timers, alerts. */
export function relayDeps(
  ctx: AppContext,
  scope: {
    log: Logger;
    deadline: Deadline;
    direction: Direction;
    fromReplyQueue?: boolean;
    statusReport?: (deps: RelayDeps) => Promise<string>;
  },
): RelayDeps {
  const db = ctx.db.withDeadline(scope.deadline);
  const alerts =
    ctx.settings.ADMIN_CHAT_ID === undefined
      ? undefined
      : new AdminAlerts({ settings: ctx.settings, db, telegram: ctx.telegram, log: scope.log, deadline: scope.deadline });
  return { ...ctx, ...scope, db, upstream: new UpstreamTimer(), metrics: {}, alerts };
}
