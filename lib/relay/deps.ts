import type { Database } from '../db/database';
import type { Deadline } from '../delivery/deadline';
import type { RetryPolicy } from '../delivery/telegram-retry';
import type { Logger } from '../log';
import type { Settings } from '../settings/schema';
import type { TelegramClient } from '../telegram/client';
import type { WebimClient } from '../webim/client';

/** Everything a relay use-case needs; built once per container, plus a per-invocation deadline and logger. */
export interface RelayDeps {
  settings: Settings;
  db: Database;
  telegram: TelegramClient;
  webim: WebimClient;
  log: Logger;
  deadline: Deadline;
  telegramRetry?: RetryPolicy;
}
