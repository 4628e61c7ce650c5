import { explainDatabaseFailure } from '../lib/settings/database-connection';
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
  // The same words as the doctor's database line: what happened, where, and the fix.
  const problem = explainDatabaseFailure(error, env.DATABASE_URL);
  if (problem)
    return `${problem.detail}. Fix: ${problem.hint}${problem.unreachable ? '; or unset DATABASE_URL to use the embedded database' : ''}.`;
  return error instanceof Error ? error.message : String(error);
}
