import type { Deadline } from '../delivery/deadline';
import type { Logger } from '../log';
import type { UpstreamTimer } from '../metrics';
import type { AppContext } from '../runtime';
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
}
