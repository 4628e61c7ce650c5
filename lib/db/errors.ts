/**
 * Failures at the database boundary and the one rule that sorts them: a passing outage (retry
 * later), a refusal that no retry fixes until somebody changes something (configuration: a
 * rotated password, a schema behind the code, a read-only node), and a refusal of this message's
 * own data (the only kind that may end a message's delivery for good).
 */

/** A statement (or connecting) did not finish within the time the invocation had left. */
export class DatabaseTimeoutError extends Error {
  override readonly name = 'DatabaseTimeoutError';
  readonly code = 'DATABASE_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`database did not answer within ${timeoutMs} ms`);
  }
}

/**
 * The database lacks migrations this code needs (an upgrade whose code runs before its
 * migration): every message would fail, so it is a configuration error until `migrate` runs.
 */
export class SchemaBehindError extends Error {
  override readonly name = 'SchemaBehindError';
  readonly code = 'SCHEMA_BEHIND';
  constructor(readonly missing: string[]) {
    super(`database schema is behind the code: migration(s) ${missing.join(', ')} not applied (run migrate)`);
  }
}

/** Driver and OS codes meaning "the connection died or never came up", not "the query failed". */
const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'DATABASE_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * How a database failure is answered:
 * - `transient`: the server's condition (connection lost, resources, a failover in progress, a
 *   lock conflict, anything not known to be about the message) — retry soon;
 * - `configuration`: every message would fail the same way until somebody acts (authentication,
 *   privileges, a schema behind the code, a read-only node, a missing database) — retry later;
 * - `data`: the statement was refused for this message's values (SQLSTATE classes 22 and 23) —
 *   the only class a retry can never fix, so the message's delivery may end there.
 */
export type DatabaseFailureClass = 'transient' | 'configuration' | 'data';

export interface DatabaseFailure {
  class: DatabaseFailureClass;
  /** The SQLSTATE or driver code, lower-cased for logs and reasons. */
  code: string;
  /** A short name of the condition (`schema_behind`, `authentication`, …). */
  condition: string;
  /** The connection should be dropped: the next statement must connect (and resolve DNS) anew. */
  replaceConnection: boolean;
}

/** SQLSTATE prefixes of refusals that persist until a setting, a role or the schema changes. */
const CONFIGURATION_STATES: [RegExp, string, boolean][] = [
  [/^28/, 'authentication', true], // invalid password or authorisation (a rotated password)
  [/^3D000$/, 'database_missing', true],
  [/^42501$/, 'privileges', false],
  [/^(42P01|42883|42703|42P02)$/, 'schema_behind', false], // undefined table / function / column
  [/^25006$/, 'read_only', true], // the endpoint reached a read-only node (failover): reconnect
];

/** SQLSTATEs after which the session is not worth keeping (the server ends or ended it). */
const REPLACE_AFTER = /^(57P0[1-4]|08)/;

const codeOf = (error: unknown): string | undefined => {
  const code = error && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
};

/** True for an error the database (or the driver talking to it) raised. */
function isDatabaseError(error: unknown): boolean {
  const code = codeOf(error);
  if (!code) return false;
  return CONNECTION_CODES.has(code) || (error instanceof Error && error.name === 'PostgresError');
}

/** Sorts a database error (see DatabaseFailureClass); undefined when it is not one. */
export function classifyDatabaseError(error: unknown): DatabaseFailure | undefined {
  if (!isDatabaseError(error)) return undefined;
  const code = codeOf(error) as string;
  const lower = code.toLowerCase();
  if (CONNECTION_CODES.has(code)) return { class: 'transient', code: lower, condition: 'unreachable', replaceConnection: false };
  if (/^2[23]/.test(code)) return { class: 'data', code: lower, condition: 'data_refused', replaceConnection: false };
  for (const [pattern, condition, replaceConnection] of CONFIGURATION_STATES) {
    if (pattern.test(code)) return { class: 'configuration', code: lower, condition, replaceConnection };
  }
  return { class: 'transient', code: lower, condition: 'server', replaceConnection: REPLACE_AFTER.test(code) };
}

/** The connection is gone; the same statement may succeed on a new one. */
export const isDeadConnectionError = (error: unknown): boolean => {
  const code = codeOf(error);
  return !!code && code !== 'DATABASE_TIMEOUT' && code !== 'CONNECT_TIMEOUT' && (CONNECTION_CODES.has(code) || code === '57P01');
};
