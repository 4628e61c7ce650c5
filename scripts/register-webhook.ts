import { manageWebhook, type WebhookAction } from '../lib/admin/webhook';
import { loadDotEnv, prepareLocalEnvironment } from '../local/bootstrap';

/**
 * `npm run register-webhook [-- set|info|delete] [--drop-pending-updates]` — the one-shot
 * registerWebhook function, run from this machine with the local settings.
 */
const args = process.argv.slice(2);
const action = (args.find((a) => !a.startsWith('--')) ?? 'set') as WebhookAction;
if (!['set', 'info', 'delete'].includes(action)) {
  process.stderr.write(`unknown action "${action}": use set, info or delete\n`);
  process.exit(2);
}
loadDotEnv();
const local = await prepareLocalEnvironment();
try {
  const ctx = await local.runtime.context();
  const report = await manageWebhook(ctx.telegram, ctx.settings, { action, dropPendingUpdates: args.includes('--drop-pending-updates') });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.ok ? 0 : 1;
} catch (error) {
  process.stderr.write(`register-webhook failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await local.stop();
}
