import { SettingsError } from '../lib/settings/schema';
import { loadDotEnv, prepareLocalEnvironment } from './bootstrap';
import { startSandbox, wantsSandbox } from './sandbox/sandbox';
import { startLocalServer } from './server';

const say = (line: string) => process.stderr.write(`${line}\n`);

/**
 * `npm start`: the bridge on this machine, same handlers and events as on Lambda. With no
 * Telegram or Webim settings at all it starts the sandbox (simulated Telegram and Webim + a page).
 */
async function main() {
  const started = performance.now();
  loadDotEnv();
  const port = Number(process.env.PORT ?? 3000);

  if (wantsSandbox(process.env)) {
    const sandbox = await startSandbox({ port, dataDir: process.env.DATABASE_URL ? undefined : '.data/sandbox', quiet: process.env.SANDBOX_QUIET === '1' });
    say(`\nNo Telegram/Webim settings found, so this is the SANDBOX: simulated Telegram and Webim on loopback.`);
    say(`sandbox ready in ${Math.round(performance.now() - started)} ms — open ${sandbox.pageUrl}`);
    say(`(to run the real bridge, put the settings of .env.example in .env and restart)\n`);
    onShutdown(() => sandbox.stop());
    return;
  }

  const local = await prepareLocalEnvironment();
  const dbReady = performance.now();
  const server = await startLocalServer(local.runtime, { port });
  say(`database: ${local.embedded ? 'embedded PGlite (.data/pglite)' : 'DATABASE_URL'}; migrations applied now: ${local.applied.join(', ') || 'none'}`);
  try {
    await local.runtime.context();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    say(`\n⚠ The bridge is not fully configured: ${error.message}`);
    say('  Put them in .env (see .env.example) or the environment, then restart. Until then both routes answer 500.\n');
  }
  say(`bridge ready in ${Math.round(performance.now() - started)} ms (database ${Math.round(dbReady - started)} ms) on ${server.url}`);
  say(`  POST ${server.url}/telegram-webhook`);
  say(`  POST ${server.url}/webim-callback`);
  onShutdown(async () => {
    await server.close();
    await local.stop();
  });
}

function onShutdown(stop: () => Promise<void>) {
  const shutdown = () => void stop().finally(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
