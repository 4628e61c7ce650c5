/**
 * Failures at the database boundary and the one rule that tells a passing outage (retry later)
 * from a statement the database refuses for this input (retrying cannot help).
 */

/** A statement (or connecting) did not finish within the time the invocation had left. */
export class DatabaseTimeoutError extends Error {
  override readonly name = 'DatabaseTimeoutError';
  readonly code = 'DATABASE_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`database did not answer within ${timeoutMs} ms`);
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
 * SQLSTATEs that describe the server's condition rather than the statement: connection
 * exceptions (08), insufficient resources (53), operator intervention such as a failover (57P0x),
 * statement timeout / cancel (57014), lock and serialisation conflicts (40001, 40P01, 55P03).
 */
const TRANSIENT_SQLSTATE = /^(08|53|57P0[1-4]|57014|40001|40P01|55P03)/;

const codeOf = (error: unknown): string | undefined => {
  const code = error && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
};

/** The connection is gone; the same statement may succeed on a new one. */
export const isDeadConnectionError = (error: unknown): boolean => {
  const code = codeOf(error);
  return !!code && code !== 'DATABASE_TIMEOUT' && code !== 'CONNECT_TIMEOUT' && (CONNECTION_CODES.has(code) || code === '57P01');
};

/** True when waiting and retrying can help; false for everything the database refuses on its merits. */
export function isTransientDatabaseError(error: unknown): boolean {
  const code = codeOf(error);
  if (!code) return false;
  return CONNECTION_CODES.has(code) || TRANSIENT_SQLSTATE.test(code);
}
