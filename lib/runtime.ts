import { databaseConnection, usesPreparedStatements } from './db/connection-options';
import { Database } from './db/database';
import { readSettingsTable } from './db/settings-table';
import { createLogger, type Logger, type LogLevel } from './log';
import { flushStats } from './db/delivery-stats';
import { countsOf, emfRecord } from './metrics';
import type { RelayDeps } from './relay/deps';
import type { RelayOutcome } from './relay/outcome';
import { SettingsLoader } from './settings/loader';
import { SECRET_SETTINGS, settingOf, SettingsError, type Settings } from './settings/schema';
import type { RawSettings } from './settings/sources';
import { ssmReaderFromEnv, type SsmReader } from './settings/ssm';
import { TelegramClient } from './telegram/client';
import { WebimClient } from './webim/client';

/** Outcome counts wait at most this long for a statement to ride on before being written alone. */
const STATS_MAX_WAIT_MS = 60_000;

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
}

/**
 * Built once per cold start (module scope in each function). Nothing here does I/O until first
 * use; warm invocations reuse the settings cache, the database connection and the clients.
 */
export class Runtime {
  readonly log: Logger;
  private readonly loader: SettingsLoader;
  private db?: Database;
  private clients?: { settings: Settings; telegram: TelegramClient; webim: WebimClient };
  private secrets: string[] = [];
  private lastSettingsAlert = 0;

  constructor(private readonly options: RuntimeOptions) {
    this.loader = new SettingsLoader({ env: options.env, ssm: options.ssm });
    const level = (options.env.LOG_LEVEL as LogLevel | undefined) ?? 'info';
    this.log = createLogger({ level, sink: options.logSink, secrets: () => this.secrets });
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

  /** Settings (validated), database and clients; cached per container for SETTINGS_TTL_SECONDS. */
  async context(): Promise<AppContext> {
    const settings = await this.loader.load((base) => {
      this.rememberSecrets(base);
      return readSettingsTable(this.database(base)).then((table) => {
        this.rememberSecrets(table); // secrets kept in the table are scrubbed from logs too
        return table;
      });
    });
    if (this.clients?.settings !== settings) {
      this.clients = {
        settings,
        telegram: new TelegramClient({ token: settings.TELEGRAM_BOT_TOKEN, apiBase: settings.TELEGRAM_API_BASE, timeoutMs: settings.TELEGRAM_TIMEOUT_MS }),
        webim: new WebimClient({ apiUrl: settings.WEBIM_API_URL, accessToken: settings.WEBIM_ACCESS_TOKEN, timeoutMs: settings.WEBIM_TIMEOUT_MS }),
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
  async recordDelivery(deps: RelayDeps, outcome: RelayOutcome): Promise<void> {
    // Counts that found no statement to ride on for a minute are written on their own (rare).
    if (deps.db.statsWaitingMs > STATS_MAX_WAIT_MS) await flushStats(deps.db).catch((error: unknown) => deps.log.warn('stats_flush_failed', { error }));
    const stage = this.options.env.STAGE;
    if (!stage) return;
    const record = emfRecord({ stage, direction: deps.direction, counts: countsOf(outcome), upstreamMs: deps.upstream?.milliseconds });
    (this.options.logSink ?? ((line: string) => process.stdout.write(`${line}\n`)))(JSON.stringify(record));
  }

  /**
   * Tells the admin chat that settings are missing or invalid (names only), when the bot token and
   * ADMIN_CHAT_ID themselves are usable. The full settings did not load, so neither did the
   * database-backed rate limit: this container sends at most one such alert per
   * ALERT_INTERVAL_SECONDS (default 900). Never throws.
   */
  async alertSettingsError(error: SettingsError, log: Logger): Promise<void> {
    try {
      const base = await this.loader.base();
      const chatId = settingOf(base, 'ADMIN_CHAT_ID');
      const token = settingOf(base, 'TELEGRAM_BOT_TOKEN');
      if (chatId === undefined || !token) return;
      if (Date.now() - this.lastSettingsAlert < settingOf(base, 'ALERT_INTERVAL_SECONDS') * 1000) return;
      this.lastSettingsAlert = Date.now();
      const telegram = new TelegramClient({ token, apiBase: settingOf(base, 'TELEGRAM_API_BASE'), timeoutMs: 2000 });
      const names = [...error.missing.map((k) => `missing ${k}`), ...error.invalid.map((i) => `invalid ${i.key}`)].join(', ');
      await telegram.sendMessage(chatId, `🛠 Configuration error: ${names}. Every message is held (503) until it is fixed; run the doctor.`);
      log.info('alert_sent', { alert: 'configuration:settings' });
    } catch (sendError) {
      log.warn('alert_failed', { alert: 'configuration:settings', error: sendError });
    }
  }

  /** Forgets cached settings so the next use reads them again (after an admin changed them). */
  invalidateSettings(): void {
    this.loader.invalidate();
  }

  async close(): Promise<void> {
    await this.db?.close();
    this.db = undefined;
  }

  private database(base?: RawSettings): Database {
    if (this.db) return this.db;
    const raw = base?.DATABASE_URL;
    if (!raw) throw new SettingsError(['DATABASE_URL'], []);
    const { url, ssl } = databaseConnection(raw, { caFile: base.DATABASE_CA_FILE });
    this.db = new Database({
      url,
      ssl,
      max: settingOf(base, 'DATABASE_POOL_MAX'),
      statementTimeoutMs: settingOf(base, 'DATABASE_STATEMENT_TIMEOUT_MS'),
      prepare: usesPreparedStatements(raw, settingOf(base, 'DATABASE_PREPARED_STATEMENTS')),
      onQuery: this.options.onQuery,
    });
    return this.db;
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
