import { loadDotEnv, prepareLocalEnvironment } from './bootstrap';
import { keepServing } from './process-guard';
import { databaseKey, serveAdminEndpoint } from './running-bridge';
import { startSandbox, wantsSandbox } from './sandbox/sandbox';
import { readiness, startLocalServer } from './server';
import { explainStartupError, portFrom } from './startup-errors';

const say = (line: string) => process.stderr.write(`${line}\n`);

/**
 * `npm start`: the bridge on this machine, same handlers and events as on Lambda. With no
 * Telegram or Webim settings at all it starts the sandbox (simulated Telegram and Webim + a page).
 */
async function main() {
  const started = performance.now();
  loadDotEnv();
  const port = portFrom(process.env.PORT);
  // Before the embedded database, if any, puts its own URL in the environment.
  const startedWith = databaseKey(process.env.DATABASE_URL);

  if (wantsSandbox(process.env)) {
    const sandbox = await startSandbox({
      port,
      dataDir: process.env.DATABASE_URL ? undefined : '.data/sandbox',
      quiet: process.env.SANDBOX_QUIET === '1',
    });
    say(`\nNo Telegram/Webim settings found, so this is the SANDBOX: simulated Telegram and Webim on loopback.`);
    say(`sandbox ready in ${Math.round(performance.now() - started)} ms — open ${sandbox.pageUrl}`);
    say(
      process.env.DATABASE_URL
        ? `(its database is DATABASE_URL, kept as it is: the simulated users and desk start empty each time)`
        : `(it starts clean each time: the simulated users and desk, and the bridge's database in .data/sandbox)`,
    );
    say(`(its HTTP API: ${sandbox.bridge.url}/sandbox/api/state — see docs/local-development.md)`);
    say(`(to run the real bridge, put the settings of .env.example in .env and restart)\n`);
    keepServing(sandbox.local.runtime.log);
    // npm run stats/doctor ask this process while it runs (they never open its database directory).
    const admin = await serveAdminEndpoint(sandbox.local.runtime, {
      database: 'the running sandbox (npm start)',
      databaseKey: startedWith,
    });
    onShutdown(async () => {
      await admin.stop();
      await sandbox.stop();
    });
    return;
  }

  // Locally, file links point at this server's own /files route unless a public address is set.
  if (!process.env.FILE_LINK_BASE_URL && !process.env.PUBLIC_BASE_URL) process.env.FILE_LINK_BASE_URL = `http://127.0.0.1:${port}`;
  const local = await prepareLocalEnvironment();
  keepServing(local.runtime.log);
  const dbReady = performance.now();
  const server = await startLocalServer(local.runtime, { port });
  say(
    `database: ${local.embedded ? 'embedded PGlite (.data/pglite)' : 'DATABASE_URL'}; migrations applied now: ${local.applied.join(', ') || 'none'}`,
  );
  const health = await readiness(local.runtime);
  if (health.statusCode === 200) {
    say(`bridge ready in ${Math.round(performance.now() - started)} ms (database ${Math.round(dbReady - started)} ms) on ${server.url}`);
  } else {
    const body = JSON.parse(String(health.body)) as { status: string; missing?: string[]; invalid?: string[] };
    say(
      `\n⚠ bridge NOT ready (${body.status}) on ${server.url}: ${[...(body.missing ?? []).map((k) => `missing ${k}`), ...(body.invalid ?? []).map((k) => `invalid ${k}`)].join(', ')}`,
    );
    say(
      '  Put the settings in .env (see .env.example) or the environment, then restart. Until then both routes answer 503 and GET /health says what is missing.\n',
    );
  }
  say(`  POST ${server.url}/telegram-webhook`);
  say(`  POST ${server.url}/webim-callback`);
  say(`  GET  ${server.url}/health`);
  // npm run stats/doctor/migrate ask this process while it runs (they never open its database directory).
  const admin = await serveAdminEndpoint(local.runtime, {
    database: local.embedded ? `the running npm start (embedded database in .data/pglite)` : 'the running npm start (DATABASE_URL)',
    databaseKey: startedWith,
  });
  onShutdown(async () => {
    await admin.stop();
    await server.close();
    await local.stop();
  });
}

function onShutdown(stop: () => Promise<void>) {
  const shutdown = () => void stop().finally(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${explainStartupError(error, process.env)}\n`);
  process.exit(1);
});
