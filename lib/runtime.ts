import { SSMClient } from '@aws-sdk/client-ssm';
import { Database } from './db/database';
import { purgeExpiredClaims } from './db/delivery-claims';
import { readSettingsTable } from './db/settings-table';
import { createLogger, type Logger, type LogLevel } from './log';
import { SettingsLoader } from './settings/loader';
import { SECRET_SETTINGS, SettingsError, type Settings } from './settings/schema';
import type { RawSettings } from './settings/sources';
import { TelegramClient } from './telegram/client';
import { WebimClient } from './webim/client';

/** The per-container state every handler shares: settings, database, upstream clients. */
export interface AppContext {
  settings: Settings;
  db: Database;
  telegram: TelegramClient;
  webim: WebimClient;
}

export interface RuntimeOptions {
  env: Record<string, string | undefined>;
  ssmClient?: () => SSMClient;
  /** Log line sink (tests capture it); stdout by default. */
  logSink?: (line: string) => void;
  /** Counts database round trips (benchmarks). */
  onQuery?: () => void;
}

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

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
  private lastPurge = 0;

  constructor(private readonly options: RuntimeOptions) {
    this.loader = new SettingsLoader({ env: options.env, ssmClient: options.ssmClient });
    const level = (options.env.LOG_LEVEL as LogLevel | undefined) ?? 'info';
    this.log = createLogger({ level, sink: options.logSink, secrets: () => this.secrets });
  }

  /**
   * A webhook secret for authenticating a request. Comes from env / SSM without touching the
   * database; only if it is kept solely in the settings table is the full load needed.
   */
  async secret(name: 'TELEGRAM_WEBHOOK_SECRET' | 'WEBIM_CALLBACK_SECRET'): Promise<string | undefined> {
    const base = await this.loader.base();
    this.rememberSecrets(base);
    return base[name] ?? (await this.context()).settings[name];
  }

  /** Settings (validated), database and clients; cached per container for SETTINGS_TTL_SECONDS. */
  async context(): Promise<AppContext> {
    const settings = await this.loader.load((base) => {
      this.rememberSecrets(base);
      return readSettingsTable(this.database(base));
    });
    if (this.clients?.settings !== settings) {
      this.rememberSecrets(settings as unknown as RawSettings);
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

  /** Deletes expired delivery claims, at most once an hour per container. */
  async housekeep(ctx: AppContext): Promise<void> {
    if (Date.now() - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = Date.now();
    try {
      const purged = await purgeExpiredClaims(ctx.db, ctx.settings.CLAIM_RETENTION_HOURS);
      if (purged) this.log.info('claims_purged', { purged });
    } catch (error) {
      this.log.warn('claims_purge_failed', { error });
    }
  }

  async close(): Promise<void> {
    await this.db?.close();
    this.db = undefined;
  }

  private database(base?: RawSettings): Database {
    if (this.db) return this.db;
    const url = base?.DATABASE_URL;
    if (!url) throw new SettingsError(['DATABASE_URL'], []);
    const max = Number(base.DATABASE_POOL_MAX ?? 1);
    this.db = new Database({ url, max: Number.isInteger(max) && max > 0 ? max : 1, onQuery: this.options.onQuery });
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
  shared ??= new Runtime({ env: process.env, ssmClient: () => new SSMClient({}) });
  return shared;
}
