import { SettingsError } from '../lib/settings/schema';

/** Why `npm start` could not start, in terms of the setting to change. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** PORT as a port number; a clear error naming PORT otherwise. */
export function portFrom(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 3000;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new StartupError(`PORT must be a whole number from 1 to 65535 (got "${raw}")`);
  return port;
}

const DATABASE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'CONNECT_TIMEOUT',
  'DATABASE_TIMEOUT',
  '28P01',
  '28000',
  '3D000',
]);

/**
 * Turns a start-up failure into one line that names the setting and what to do. Never prints a
 * setting's value (DATABASE_URL holds a password): only the host and port of a database.
 */
export function explainStartupError(error: unknown, env: NodeJS.ProcessEnv): string {
  if (error instanceof StartupError || error instanceof SettingsError) return error.message;
  const code = (error as { code?: unknown })?.code;
  if (code === 'EADDRINUSE')
    return `port ${env.PORT ?? 3000} is already in use: stop what uses it, or start on another port, e.g. PORT=3001 npm start`;
  if (code === 'EACCES') return `port ${env.PORT ?? 3000} needs privileges: use a port above 1023, e.g. PORT=3001 npm start`;
  if (typeof code === 'string' && DATABASE_CODES.has(code)) {
    const where = databaseHost(env.DATABASE_URL);
    const what =
      code === '28P01' || code === '28000'
        ? 'the user or password was refused'
        : code === '3D000'
          ? 'the database does not exist'
          : `it cannot be reached (${code})`;
    return `DATABASE_URL (${where}): ${what}. Check that PostgreSQL runs there and the URL is right, or unset DATABASE_URL to use the embedded database.`;
  }
  return error instanceof Error ? error.message : String(error);
}

const databaseHost = (url: string | undefined): string => {
  try {
    const u = new URL(url ?? '');
    return `${u.hostname}:${u.port || 5432}`;
  } catch {
    return 'not a URL';
  }
};
