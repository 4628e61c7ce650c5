import { ADMIN_ACTIONS, AdminRequestError, type AdminResult, parseAdminRequest, runAdminAction } from '../lib/admin/actions';
import { readMigrations } from '../lib/db/migrate';
import { LOCAL_DATA_DIR, loadDotEnv, prepareLocalEnvironment } from '../local/bootstrap';
import { askRunningBridge, readRunningBridge } from '../local/running-bridge';

/**
 * `npm run admin -- <action> [--json] [--drop-pending-updates]`, and its short forms
 * `npm run doctor`, `npm run migrate`, `npm run register-webhook`: the admin function's actions
 * run from this machine with the local settings (.env, env vars, SSM when SSM_PREFIX is set).
 * Exits 1 when the action fails (a ✗ in the doctor's report), 2 on a usage error.
 */
const args = process.argv.slice(2);
const json = args.includes('--json');
const action = args.find((a) => !a.startsWith('--')) ?? 'doctor';

loadDotEnv();
let exitCode = 0;
try {
  const request = parseAdminRequest({ action, dropPendingUpdates: args.includes('--drop-pending-updates') });
  // A running npm start of the same database answers itself: it holds the embedded database (one
  // process only) and counts not yet written.
  const running = readRunningBridge(process.env.DATABASE_URL);
  if (running) {
    const result = await askRunningBridge(running, request);
    if (json) process.stdout.write(`${JSON.stringify({ ...result, database: 'running' }, null, 2)}\n`);
    else process.stdout.write(`database: ${running.database}, pid ${running.pid}\n${result.lines.join('\n')}\n`);
    process.exit(result.ok ? 0 : 1);
  }
  const local = await prepareLocalEnvironment({ migrate: false, logSink: () => {} });
  try {
    const where = local.embedded
      ? `embedded database in ${LOCAL_DATA_DIR} (the one \`npm start\` uses with settings; no npm start runs now)`
      : 'DATABASE_URL';
    const result: AdminResult = await runAdminAction(local.runtime, request, await readMigrations());
    if (json) process.stdout.write(`${JSON.stringify({ ...result, database: local.embedded ? 'embedded' : 'DATABASE_URL' }, null, 2)}\n`);
    else process.stdout.write(`database: ${where}\n${result.lines.join('\n')}\n`);
    exitCode = result.ok ? 0 : 1;
  } finally {
    await local.stop();
  }
} catch (error) {
  if (error instanceof AdminRequestError) {
    process.stderr.write(`${error.message}\nusage: npm run admin -- <${ADMIN_ACTIONS.join('|')}> [--json] [--drop-pending-updates]\n`);
    exitCode = 2;
  } else {
    process.stderr.write(`${action} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    exitCode = 1;
  }
}
process.exit(exitCode);
