/**
 * Structured JSON logging: one line per event, machine-readable, privacy-safe.
 *
 * Invariants: callers pass ids, outcomes and error classes — never message texts. As a second
 * line of defence every string value is scrubbed of the currently known secrets (bot token,
 * webhook and callback secrets, access token, database URL) before it is written.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. the request id). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where finished lines go; stdout by default (CloudWatch picks it up as-is). */
  sink?: (line: string) => void;
  /** Returns the secret values to scrub; read on every write so rotated secrets are covered. */
  secrets?: () => readonly string[];
  base?: LogFields;
}

const REDACTED = '[redacted]';

function scrub(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const secret of secrets) {
      if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }
  if (value instanceof Error) {
    return scrub(describeError(value), secrets, depth + 1);
  }
  if (Array.isArray(value)) return depth > 5 ? '[…]' : value.map((v) => scrub(v, secrets, depth + 1));
  if (value && typeof value === 'object') {
    if (depth > 5) return '[…]';
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrub(v, secrets, depth + 1);
    return out;
  }
  return value;
}

/** Reduces an error to loggable facts: its class name, message and our own classification fields. */
function describeError(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error_message: String(error) };
  const fields: LogFields = { error_name: error.name, error_message: error.message };
  for (const key of ['code', 'status', 'errorCode', 'reason', 'kind', 'upstream', 'retryAfterSeconds'] as const) {
    const v = (error as unknown as Record<string, unknown>)[key];
    if (v !== undefined && (typeof v === 'string' || typeof v === 'number')) fields[`error_${key}`] = v;
  }
  return fields;
}

/** Creates a JSON-lines logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LEVEL_ORDER[options.level ?? 'info'];
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const secrets = options.secrets ?? (() => []);
  const base = options.base ?? {};

  const write = (level: LogLevel, event: string, fields: LogFields = {}) => {
    if (LEVEL_ORDER[level] < threshold) return;
    const { error, ...rest } = fields;
    const record: LogFields = { time: new Date().toISOString(), level, event, ...base, ...rest };
    if (error !== undefined) Object.assign(record, describeError(error));
    sink(JSON.stringify(scrub(record, secrets())));
  };

  return {
    debug: (e, f) => write('debug', e, f),
    info: (e, f) => write('info', e, f),
    warn: (e, f) => write('warn', e, f),
    error: (e, f) => write('error', e, f),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}
