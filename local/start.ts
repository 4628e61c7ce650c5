import { SettingsError } from '../lib/settings/schema';
import { prepareLocalEnvironment } from './bootstrap';
import { startLocalServer } from './server';

/** `npm start`: the bridge on this machine, same handlers and events as on Lambda. */
async function main() {
  const started = performance.now();
  const local = await prepareLocalEnvironment();
  const dbReady = performance.now();
  const port = Number(process.env.PORT ?? 3000);
  const server = await startLocalServer(local.runtime, { port });

  const say = (line: string) => process.stderr.write(`${line}\n`);
  say(`database: ${local.embedded ? 'embedded PGlite (.data/pglite)' : 'DATABASE_URL'}; migrations applied now: ${local.applied.join(', ') || 'none'}`);
  try {
    await local.runtime.context();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    say(`\n⚠ The bridge is not configured yet: ${error.message}`);
    say('  Put them in .env (see .env.example) or the environment, then restart. Until then both routes answer 500.\n');
  }
  say(`bridge ready in ${Math.round(performance.now() - started)} ms (database ${Math.round(dbReady - started)} ms) on ${server.url}`);
  say(`  POST ${server.url}/telegram-webhook`);
  say(`  POST ${server.url}/webim-callback`);

  const shutdown = async () => {
    await server.close();
    await local.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
