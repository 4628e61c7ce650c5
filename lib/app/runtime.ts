import type { RelayOutcome } from '../core/outcome';
import { Database, type DatabaseOptions } from '../db/database';
import { flushStats } from '../db/delivery-stats';
import { SchemaBehindError } from '../db/errors';
import { missingMigrations } from '../db/migrate';
import { warmUpConnections } from '../http/warm-connections';
import type { AdminWords } from '../i18n/catalogue';
import { createLogger, type Logger, type LogLevel } from '../log';
import { countsOf, type DeliveryCounts, type Direction, emfRecord, type RequestMetrics } from '../metrics';
import type { ReplyQueue } from '../queue/reply-queue';
import { sqsReplyQueueFromEnv } from '../queue/sqs';
import { databaseConnection, usesPreparedStatements } from '../settings/database-connection';
import { SettingsLoader } from '../settings/loader';
import { SECRET_SETTINGS, type Settings, SettingsError, settingOf } from '../settings/schema';
import { readSettingsTable } from '../settings/settings-table';
import { type RawSettings, readEnvSettings } from '../settings/sources';
import { type SsmError, type SsmReader, ssmReaderFromEnv } from '../settings/ssm';
import { adminWordsOf } from '../settings/texts';
import { TelegramClient } from '../telegram/client';
import { WebimClient } from '../webim/client';

/** Outcome counts wait at most this long for a statement to ride on before being written alone. */
const STATS_MAX_WAIT_MS = 60_000;

/** How long INIT may wait for the warm-up (Lambda allows INIT 10 s; what is unfinished, the first request waits for). */
const WARM_UP_BUDGET_MS = 3_000;

/** An upstream's address from raw settings, when they hold it (Telegram's always: it has a default). */
const addressOf = (upstream: WarmUpstream, raw: RawSettings): string | undefined =>
  upstream === 'telegram' ? settingOf(raw, 'TELEGRAM_API_BASE') : raw.WEBIM_API_URL;

/** The upstreams a function's first request will call, to connect to during INIT. */
export type WarmUpstream = 'telegram' | 'webim';

/** What the INIT warm-up got done (logged as one line: step names, durations, error classes; never values). */
export interface WarmUpReport {
  ms: number;
  settings: string;
  database: string;
  connections: Partial<Record<WarmUpstream, boolean>>;
}

/** The per-container state every handler shares: settings, database, upstream clients. */
export interface AppContext {
  settings: Settings;
  db: Database;
  telegram: TelegramClient;
  webim: WebimClient;
}

export interface RuntimeOptions {
  env: Record<string, string | undefined>;
  /** The SSM Parameter Store reader, built on first use (only when SSM_PREFIX is set). */
  ssm?: () => Pick<SsmReader, 'parametersByPath'>;
  /** Log line sink (tests capture it); stdout by default. */
  logSink?: (line: string) => void;
  /** Counts database round trips (benchmarks). */
  onQuery?: () => void;
  /** The reply queue when it is not SQS (locally: the in-process queue); SQS when REPLY_QUEUE_URL is set. */
  replyQueue?: ReplyQueue;
}

/**
 * Built once per cold start (module scope in each function). Nothing here does I/O until first
 * use or `warmUp` (which the HTTP functions call during INIT on Lambda); warm invocations reuse
 * the settings cache, the database connection and the clients.
 */
export class Runtime {
  readonly log: Logger;
  private readonly loader: SettingsLoader;
  private db?: Database;
  /** What the current connection was built from (raw settings), to notice a rotation. */
  private dbKey?: string;
  /** Set once the schema had every required migration; until then each relay request checks. */
  private schemaReady = false;
  private clients?: { settings: Settings; telegram: TelegramClient; webim: WebimClient };
  private secrets: string[] = [];
  private lastSettingsAlert = 0;
  private sqs?: { url: string | undefined; queue: ReplyQueue | undefined };

  constructor(private readonly options: RuntimeOptions) {
    this.loader = new SettingsLoader({ env: options.env, ssm: options.ssm, onStale: (error) => this.settingsStale(error) });
    const level = (options.env.LOG_LEVEL as LogLevel | undefined) ?? 'info';
    this.log = createLogger({ level, sink: options.logSink, secrets: () => this.secrets });
  }

  /**
   * The context for relaying a message: as `context()`, and the schema checked to have every
   * migration this code needs (once per container; until it has, every request checks again and
   * fails with SchemaBehindError, answered 503). The check is sent together with the settings
   * read, but on a new connection the driver sends only the first statement before the others,
   * so on a cold start it costs one round trip of its own (during INIT, see `warmUp`).
   */
  async relayContext(): Promise<AppContext> {
    if (this.schemaReady) return this.context();
    const [ctx, missing] = await Promise.all([this.context(), this.databaseOnly().then(missingMigrations)]);
    if (missing.length) throw new SchemaBehindError(missing);
    this.schemaReady = true;
    return ctx;
  }

  /**
   * The secrets a request may present: the current one and, during a rotation, the previous one
   * (`<NAME>_PREVIOUS`). Read from env / SSM without touching the database; only a secret kept
   * solely in the settings table needs the full load.
   */
  async acceptedSecrets(name: 'TELEGRAM_WEBHOOK_SECRET' | 'WEBIM_CALLBACK_SECRET'): Promise<string[]> {
    const base = await this.loader.base();
    this.rememberSecrets(base);
    const previous = `${name}_PREVIOUS` as const;
    if (base[name]) return [base[name], base[previous]].filter((v): v is string => !!v);
    const { settings } = await this.context();
    return [settings[name], settings[previous]].filter((v): v is string => !!v);
  }

  /**
   * The cold path, started during INIT (module top level) so that the first request waits only
   * for what is not done yet: the settings (env + SSM, then the settings table), the database
   * connection and the schema check, and a TLS connection to each upstream in `upstreams` (the
   * one the first request calls first, first). Waits are made in parallel where they do not
   * depend on each other: the SSM read and the connection to each upstream whose address is known
   * without it (Telegram's; Webim's when WEBIM_API_URL is in the environment); then the database
   * and the other connections, whose addresses SSM holds.
   *
   * Invariant: never rejects and never takes longer than `budgetMs`. A step that fails or is not
   * done in time is left to the first request, which does it itself and answers as without the
   * warm-up (the settings loader keeps no failed result; a read still in flight is shared). The
   * log line names steps and error classes only, never a value.
   */
  async warmUp(upstreams: readonly WarmUpstream[], budgetMs = WARM_UP_BUDGET_MS): Promise<WarmUpReport> {
    const started = performance.now();
    const report: WarmUpReport = { ms: 0, settings: 'pending', database: 'pending', connections: {} };
    const outcome = (error: unknown) =>
      `failed:${(error as { code?: unknown }).code ?? (error instanceof Error ? error.name : 'unknown')}`.slice(0, 80);
    const tried = new Set<string>();
    const connect = async (name: WarmUpstream, url: string | undefined) => {
      if (!url || !upstreams.includes(name) || tried.has(url)) return;
      tried.add(url);
      report.connections[name] = await warmUpConnections([url], budgetMs).then((ok) => ok.every(Boolean));
    };
    const work = (async () => {
      const env = readEnvSettings(this.options.env);
      // Every upstream whose address needs no SSM is connected to at once, beside the SSM read:
      // Telegram's (its default), and Webim's when the deployment puts WEBIM_API_URL in the
      // environment (--param webimApiUrl). Measured, their handshakes do not slow the SSM call.
      // The others are connected to as soon as the settings name them.
      const early = upstreams.map((upstream) => {
        const url = addressOf(upstream, env);
        return { upstream, url, done: connect(upstream, url) };
      });
      let base: RawSettings;
      try {
        base = await this.loader.base();
        this.rememberSecrets(base);
        report.settings = 'base';
      } catch (error) {
        report.settings = outcome(error);
        await Promise.all(early.map((e) => e.done));
        return;
      }
      const webimUrl = addressOf('webim', base);
      await Promise.all([
        // An early connection is waited for only while its address is still the one to use (SSM
        // may name a self-hosted Bot API instead of Telegram's default, which a VPC may not even
        // reach); another address is connected to now (an address is never connected to twice).
        ...upstreams.map((u) => {
          const url = addressOf(u, base);
          const started = early.find((e) => e.upstream === u && e.url === url);
          return started ? started.done : connect(u, url);
        }),
        this.relayContext().then(
          async (ctx) => {
            report.settings = 'ok';
            report.database = 'ok';
            // A Webim address kept only in the settings table is known now.
            if (!webimUrl) await connect('webim', ctx.settings.WEBIM_API_URL);
          },
          (error: unknown) => {
            report.database = outcome(error);
          },
        ),
      ]);
    })().catch((error: unknown) => {
      report.settings = outcome(error);
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, budgetMs)))]);
    clearTimeout(timer);
    report.ms = Math.round(performance.now() - started);
    this.log.info('init_warm_up', { ...report });
    return report;
  }

  /** `warmUp` when running on Lambda (AWS_LAMBDA_FUNCTION_NAME is set); elsewhere (tests, the local server) nothing. */
  async warmUpOnLambda(upstreams: readonly WarmUpstream[]): Promise<void> {
    if (this.options.env.AWS_LAMBDA_FUNCTION_NAME) await this.warmUp(upstreams);
  }

  /** Settings (validated), database and clients; cached per container for SETTINGS_TTL_SECONDS. */
  async context(): Promise<AppContext> {
    const settings = await this.loader.load((base, complete) => {
      this.rememberSecrets(base);
      return readSettingsTable(complete || !this.db ? this.database(base) : this.db).then((table) => {
        this.rememberSecrets(table); // secrets kept in the table are scrubbed from logs too
        return table;
      });
    });
    if (this.clients?.settings !== settings) {
      this.clients = {
        settings,
        telegram: new TelegramClient({
          token: settings.TELEGRAM_BOT_TOKEN,
          apiBase: settings.TELEGRAM_API_BASE,
          timeoutMs: settings.TELEGRAM_TIMEOUT_MS,
        }),
        webim: new WebimClient({
          apiUrl: settings.WEBIM_API_URL,
          accessToken: settings.WEBIM_ACCESS_TOKEN,
          timeoutMs: settings.WEBIM_TIMEOUT_MS,
        }),
      };
    }
    return { settings, db: this.database(), telegram: this.clients.telegram, webim: this.clients.webim };
  }

  /** The database alone (migrations need it before the settings table exists). */
  async databaseOnly(): Promise<Database> {
    const base = await this.loader.base();
    this.rememberSecrets(base);
    return this.database(base);
  }

  /**
   * Writes one delivery-metrics record (CloudWatch EMF) for a relayed request, beside the log
   * lines. Only a deployed stage (STAGE, set by serverless.yml) writes them: locally they are noise.
   */
  async recordDelivery(
    deps: { db: Database; log: Logger; direction: Direction; upstream?: { milliseconds?: number }; metrics?: RequestMetrics },
    outcome: RelayOutcome,
  ): Promise<void> {
    // Counts that found no statement to ride on for a minute are written on their own (rare).
    if (deps.db.statsWaitingMs > STATS_MAX_WAIT_MS)
      await flushStats(deps.db).catch((error: unknown) => deps.log.warn('stats_flush_failed', { error }));
    this.writeMetrics(deps.direction, countsOf(outcome), deps.upstream?.milliseconds, deps.metrics);
  }

  /**
   * The metrics record of a request that never reached a relay use-case (settings missing, SSM
   * refusing, the database refusing a cold container, the schema behind): the alarms must see
   * these deferrals too.
   */
  recordAnswer(direction: Direction, counts: DeliveryCounts): void {
    this.writeMetrics(direction, counts);
  }

  private writeMetrics(
    direction: Direction | undefined,
    counts: Record<string, number>,
    upstreamMs?: number,
    figures?: RequestMetrics,
  ): void {
    const stage = this.options.env.STAGE;
    if (!stage) return;
    const record = emfRecord({ stage, direction, counts, upstreamMs, figures });
    (this.options.logSink ?? ((line: string) => process.stdout.write(`${line}\n`)))(JSON.stringify(record));
  }

  /** SSM failed after the cache expired and the last good settings serve on: say so, and count it. */
  private settingsStale(error: SsmError): void {
    this.log.warn('settings_stale', { source: 'ssm', reason: error.code, status: error.status });
    this.writeMetrics(undefined, { SettingsStale: 1 });
  }

  /**
   * Tells the admin chat that the bridge cannot work until somebody acts (settings missing or
   * invalid — names only —, SSM refusing, the database refusing or behind), when the bot token and
   * ADMIN_CHAT_ID themselves are usable. The full settings may not have loaded, so neither did the
   * database-backed rate limit: this container sends at most one such alert per
   * ALERT_INTERVAL_SECONDS (default 900). Never throws.
   */
  async alertConfiguration(problem: string | ((words: AdminWords) => string), log: Logger): Promise<void> {
    try {
      const base = await this.loader.base();
      const chatId = settingOf(base, 'ADMIN_CHAT_ID');
      const token = settingOf(base, 'TELEGRAM_BOT_TOKEN');
      if (chatId === undefined || !token) return;
      if (Date.now() - this.lastSettingsAlert < settingOf(base, 'ALERT_INTERVAL_SECONDS') * 1000) return;
      this.lastSettingsAlert = Date.now();
      const telegram = new TelegramClient({ token, apiBase: settingOf(base, 'TELEGRAM_API_BASE'), timeoutMs: 2000 });
      const words = adminWordsOf({ DESK_LANGUAGE: settingOf(base, 'DESK_LANGUAGE') });
      await telegram.sendMessage(chatId, words.configurationError(typeof problem === 'string' ? problem : problem(words)));
      log.info('alert_sent', { alert: 'configuration:startup' });
    } catch (sendError) {
      log.warn('alert_failed', { alert: 'configuration:startup', error: sendError });
    }
  }

  /** The settings error as an alert names it: setting names, never values. */
  async alertSettingsError(error: SettingsError, log: Logger): Promise<void> {
    await this.alertConfiguration(
      (words) => [...error.missing.map(words.missingSetting), ...error.invalid.map((i) => words.invalidSetting(i.key))].join(', '),
      log,
    );
  }

  /**
   * Where replies wait that cannot be delivered at once: the queue given to the runtime (local),
   * else SQS at REPLY_QUEUE_URL (a deployed stage), else none (the callback answers 503 and the
   * sender keeps the reply).
   */
  replyQueue(settings: Settings): ReplyQueue | undefined {
    if (this.options.replyQueue) return this.options.replyQueue;
    if (this.sqs && this.sqs.url === settings.REPLY_QUEUE_URL) return this.sqs.queue;
    const queue = sqsReplyQueueFromEnv(this.options.env, {
      queueUrl: settings.REPLY_QUEUE_URL,
      deadLetterQueueUrl: settings.REPLY_DEAD_LETTER_QUEUE_URL,
    });
    this.sqs = { url: settings.REPLY_QUEUE_URL, queue };
    return queue;
  }

  /** Forgets cached settings so the next use reads them again (after an admin changed them). */
  invalidateSettings(): void {
    this.loader.invalidate();
  }

  async close(): Promise<void> {
    await this.db?.close();
    this.db = undefined;
    this.dbKey = undefined;
  }

  /**
   * The container's database handle, built on first use. When a settings reload brings other
   * connection settings (a rotated password in DATABASE_URL, a new DATABASE_CA_FILE), the same
   * handle is pointed at them: warm containers follow a rotation within SETTINGS_TTL_SECONDS.
   */
  private database(base?: RawSettings): Database {
    const raw = base?.DATABASE_URL;
    if (!base || !raw) {
      // Without connection settings to compare (or a source that lacks them), the handle stays.
      if (this.db) return this.db;
      throw new SettingsError(['DATABASE_URL'], []);
    }
    const key = JSON.stringify([
      raw,
      base.DATABASE_CA_FILE,
      base.DATABASE_POOL_MAX,
      base.DATABASE_STATEMENT_TIMEOUT_MS,
      base.DATABASE_PREPARED_STATEMENTS,
    ]);
    if (this.db && key === this.dbKey) return this.db;
    const options = this.databaseOptions(base, raw);
    if (this.db) {
      this.db.reconfigure(options);
      this.schemaReady = false; // another server, perhaps: check its schema again
      this.log.info('database_reconfigured', { reason: 'connection_settings_changed' });
    } else {
      this.db = new Database(options);
    }
    this.dbKey = key;
    return this.db;
  }

  private databaseOptions(base: RawSettings, raw: string): DatabaseOptions {
    const { url, ssl, socketDir } = databaseConnection(raw, { caFile: base.DATABASE_CA_FILE });
    return {
      url,
      socketDir,
      ssl,
      max: settingOf(base, 'DATABASE_POOL_MAX'),
      statementTimeoutMs: settingOf(base, 'DATABASE_STATEMENT_TIMEOUT_MS'),
      prepare: usesPreparedStatements(raw, settingOf(base, 'DATABASE_PREPARED_STATEMENTS')),
      onQuery: this.options.onQuery,
    };
  }

  private rememberSecrets(values: RawSettings): void {
    for (const key of SECRET_SETTINGS) {
      const v = values[key];
      if (typeof v === 'string' && v && !this.secrets.includes(v)) this.secrets.push(v);
    }
  }
}

let shared: Runtime | undefined;

/** The container-wide runtime for deployed functions, reading process.env and SSM. */
export function defaultRuntime(): Runtime {
  shared ??= new Runtime({ env: process.env, ssm: () => ssmReaderFromEnv(process.env) });
  return shared;
}
