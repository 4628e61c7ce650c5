import { parseSettings, type Settings } from './schema';
import { readEnvSettings, readSsmSettings, type RawSettings } from './sources';
import type { SsmReader } from './ssm';

export interface SettingsLoaderOptions {
  env: Record<string, string | undefined>;
  /** Built lazily, only when SSM_PREFIX is set. */
  ssm?: () => Pick<SsmReader, 'parametersByPath'>;
  now?: () => number;
}

interface Cached<T> {
  value: T;
  expiresAt: number;
}

const DEFAULT_TTL_SECONDS = 300;

/**
 * Loads settings with precedence env > SSM > settings table > default and caches them per
 * container for SETTINGS_TTL_SECONDS. Within the TTL a call makes no SSM or database request.
 *
 * Two layers are exposed because the webhook secrets must be checkable before any database
 * work: `base()` is env + SSM only; `load()` adds the settings table and validates.
 */
export class SettingsLoader {
  private baseCache?: Cached<RawSettings>;
  private fullCache?: Cached<Settings>;
  private inflightBase?: Promise<RawSettings>;
  private inflightFull?: Promise<Settings>;
  private readonly now: () => number;

  constructor(private readonly options: SettingsLoaderOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Env + SSM values (raw strings, unvalidated). */
  async base(): Promise<RawSettings> {
    if (this.baseCache && this.baseCache.expiresAt > this.now()) return this.baseCache.value;
    this.inflightBase ??= this.readBase().finally(() => (this.inflightBase = undefined));
    return this.inflightBase;
  }

  /** Validated settings from every source. `readTable` gets the env + SSM layer to find the database. */
  async load(readTable: (base: RawSettings) => Promise<RawSettings>): Promise<Settings> {
    if (this.fullCache && this.fullCache.expiresAt > this.now()) return this.fullCache.value;
    this.inflightFull ??= (async () => {
      // With DATABASE_URL in the environment the table read need not wait for SSM: on a cold
      // start the two round trips overlap.
      const env = readEnvSettings(this.options.env);
      const early = env.DATABASE_URL ? readTable(env) : undefined;
      early?.catch(() => {}); // awaited below; this only keeps a failure from going unhandled meanwhile
      const base = await this.base();
      const table = early ? await early : await readTable(base);
      const settings = parseSettings({ ...table, ...base });
      this.fullCache = { value: settings, expiresAt: this.now() + settings.SETTINGS_TTL_SECONDS * 1000 };
      return settings;
    })().finally(() => (this.inflightFull = undefined));
    return this.inflightFull;
  }

  /** Forgets cached values (tests, or after an admin changes settings). */
  invalidate(): void {
    this.baseCache = undefined;
    this.fullCache = undefined;
  }

  private async readBase(): Promise<RawSettings> {
    const env = readEnvSettings(this.options.env);
    const prefix = this.options.env.SSM_PREFIX;
    const ssm = prefix && this.options.ssm ? await readSsmSettings(this.options.ssm(), prefix) : {};
    const value = { ...ssm, ...env };
    const ttl = Number(value.SETTINGS_TTL_SECONDS ?? DEFAULT_TTL_SECONDS);
    this.baseCache = { value, expiresAt: this.now() + (Number.isFinite(ttl) ? ttl : DEFAULT_TTL_SECONDS) * 1000 };
    return value;
  }
}
