import type { Logger } from '../lib/log';

/**
 * A long-running local process (`npm start`, the sandbox, a bench process) outlives any one
 * request: an error that escaped every handler — a reset socket nobody listened to, a rejected
 * background promise — is logged and the process keeps serving, as a server must. (On Lambda the
 * runtime owns these events; there the code leaves no promise unhandled instead.)
 */
export function keepServing(log: Logger): void {
  process.on('uncaughtException', (error) => log.error('uncaught_exception', { error }));
  process.on('unhandledRejection', (reason) => log.error('unhandled_rejection', { error: reason }));
}
