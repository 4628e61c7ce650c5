import { parseSettings, type Settings, SettingsError } from './schema';
import { type RawSettings, readEnvSettings, readSsmSettings } from './sources';
import { SsmError, type SsmReader } from './ssm';

export interface SettingsLoaderOptions {
  env: Record<string, string | undefined>;
  /** Built lazily, only when SSM_PREFIX is set. */
  ssm?: () => Pick<SsmReader, 'parametersByPath'>;
  now?: () => number;
  /**
   * SSM failed in a way a retry can fix (throttling, an outage) after the cached values expired;
   * the last good values keep serving for STALE_RETRY_SECONDS more. Called once per such failure.
   */
  onStale?: (error: SsmError) => void;
}

interface Cached<T> {
  value: T;
  expiresAt: number;
}

const DEFAULT_TTL_SECONDS = 300;
const ttlOf = (value: RawSettings): number => {
  const ttl = Number(value.SETTINGS_TTL_SECONDS ?? DEFAULT_TTL_SECONDS);
  return Number.isFinite(ttl) ? ttl : DEFAULT_TTL_SECONDS;
};
/** How soon SSM is asked again while the last good values serve in its place (at most the TTL). */
const STALE_RETRY_SECONDS = 30;

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

  /**
   * Validated settings from every source. `readTable` gets the env + SSM layer to find the
   * database (`complete` false: the environment alone, read early on a cold start).
   */
  async load(readTable: (base: RawSettings, complete: boolean) => Promise<RawSettings>): Promise<Settings> {
    if (this.fullCache && this.fullCache.expiresAt > this.now()) return this.fullCache.value;
    this.inflightFull ??= (async () => {
      // With DATABASE_URL in the environment the table read need not wait for SSM: on a cold
      // start the two round trips overlap.
      const env = readEnvSettings(this.options.env);
      const early = env.DATABASE_URL ? Promise.resolve().then(() => readTable(env, false)) : undefined;
      early?.catch(() => {}); // awaited below; this only keeps a failure from going unhandled meanwhile
      const base = await this.base();
      // A settings problem met while reaching the table (an invalid DATABASE_URL) is reported
      // together with every other one, each once, not one fix at a time.
      let table: RawSettings = {};
      let tableProblem: SettingsError | undefined;
      try {
        table = early ? await early : await readTable(base, true);
      } catch (error) {
        if (!(error instanceof SettingsError)) throw error;
        tableProblem = error;
      }
      const settings = parseWithProblem({ ...table, ...base }, tableProblem);
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

  /**
   * Env + SSM. A throttled or unreachable SSM does not take down a warm container: the values it
   * gave last time keep serving (and are asked for again soon). A refusal (AccessDenied, KMS) is
   * not papered over: it is a configuration error and surfaces at once.
   */
  private async readBase(): Promise<RawSettings> {
    const env = readEnvSettings(this.options.env);
    const prefix = this.options.env.SSM_PREFIX;
    let ssm: RawSettings = {};
    if (prefix && this.options.ssm) {
      try {
        ssm = await readSsmSettings(this.options.ssm(), prefix);
      } catch (error) {
        const last = this.baseCache;
        if (!(error instanceof SsmError) || !error.retryable || !last) throw error;
        this.options.onStale?.(error);
        this.baseCache = { value: last.value, expiresAt: this.now() + Math.min(STALE_RETRY_SECONDS, ttlOf(last.value)) * 1000 };
        return last.value;
      }
    }
    const value = { ...ssm, ...env };
    this.baseCache = { value, expiresAt: this.now() + ttlOf(value) * 1000 };
    return value;
  }
}

/** Parses the settings; a problem found earlier is merged in, each setting named once. */
function parseWithProblem(raw: RawSettings, earlier: SettingsError | undefined): Settings {
  try {
    const settings = parseSettings(raw);
    if (earlier) throw earlier;
    return settings;
  } catch (error) {
    if (!earlier || !(error instanceof SettingsError) || error === earlier) throw error;
    const invalid = [...earlier.invalid, ...error.invalid.filter((i) => !earlier.invalid.some((e) => e.key === i.key))];
    const missing = [...new Set([...earlier.missing, ...error.missing])].filter((m) => !invalid.some((i) => i.key === m));
    throw new SettingsError(missing, invalid);
  }
}
