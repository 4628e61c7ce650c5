import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeTelegram, startFakeTelegram } from '../../fakes/telegram';
import { type FakeWebim, startFakeWebim } from '../../fakes/webim';
import { DataDirInUseError, startEmbeddedDatabase } from '../../local/embedded-db';
import { SECRETS, textUpdate, upstreamEnv } from '../support/bridge';
import { startLocalServer } from '../support/local-server';

/**
 * The README's step 4: `npm start` with settings and the embedded database, then `npm run stats`
 * and `npm run doctor` beside it. The admin commands ask the running process (which holds the
 * embedded database and counts not yet written) and never open its directory a second time.
 * Each process runs in a fresh working directory, so nothing of this checkout's `.data` is used.
 */
describe('npm run stats and doctor while npm start runs', () => {
  const repo = process.cwd();
  const cwd = mkdtempSync(path.join(tmpdir(), 'bridge-running-'));
  const tsx = pathToFileURL(path.join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
  let telegram: FakeTelegram;
  let webim: FakeWebim;
  let server: ChildProcess;
  let url: string;
  const env = () => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...upstreamEnv(telegram.url, webim.url),
    MIGRATIONS_DIR: path.join(repo, 'migrations'),
    LOG_LEVEL: 'error',
  });

  /** `npm run admin -- <args>` from the working directory, asynchronously (the fakes answer from this process). */
  const admin = (args: string[], extraEnv: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', tsx, path.join(repo, 'scripts/admin.ts'), ...args],
        { cwd, env: { ...env(), ...extraEnv }, encoding: 'utf8', timeout: 60_000 },
        (_error, stdout, stderrText) => resolve({ code: child.exitCode, stdout, stderr: stderrText }),
      );
    });

  beforeAll(async () => {
    telegram = await startFakeTelegram({ token: SECRETS.botToken });
    webim = await startFakeWebim({ accessToken: SECRETS.webimAccessToken });
    ({ process: server, url } = await startLocalServer({ env: env(), cwd }));
  }, 90_000);
  afterAll(async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    await telegram.close();
    await webim.close();
  });

  it('stats shows the three messages just relayed, at once; the doctor answers too; nobody opens the directory twice', {
    timeout: 180_000,
  }, async () => {
    for (let i = 1; i <= 3; i++) {
      const response = await fetch(`${url}/telegram-webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRETS.webhookSecret },
        body: JSON.stringify(textUpdate(910_000 + i, 555_001, `message ${i}`)),
      });
      expect(response.status).toBe(200);
    }

    const stats = await admin(['stats', '--json']);
    expect(stats.code, stats.stderr).toBe(0);
    const body = JSON.parse(stats.stdout) as {
      database: string;
      stats: { windows: { directions: { direction: string; outcomes: Record<string, number> }[] }[] };
    };
    expect(body.database).toBe('running');
    expect(JSON.stringify(body.stats.windows[0])).toMatch(/"relayed":3/);

    const doctor = await admin(['doctor']);
    expect(doctor.stdout).toMatch(/^database: the running npm start \(embedded database in \.data\/pglite\), pid \d+/);
    expect(doctor.stdout).toContain('✓ database');
    expect(doctor.stdout).toContain('✓ migrations');

    // A command set up for another database checks that one, not the running bridge's.
    const other = await admin(['doctor'], { DATABASE_URL: 'postgres://someone:pw@127.0.0.1:1/elsewhere' });
    expect(other.stdout).toMatch(/^database: DATABASE_URL\n/);
    expect(other.stdout).toContain('DATABASE_URL (127.0.0.1:1): nothing accepts connections there (ECONNREFUSED)');

    // The directory is claimed: a second opener is refused, in words, before PGlite touches it.
    await expect(startEmbeddedDatabase({ dataDir: path.join(cwd, '.data', 'pglite') })).rejects.toThrow(DataDirInUseError);

    // Once npm start has stopped, the command opens the directory itself and finds the same counts.
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    expect(existsSync(path.join(cwd, '.data', 'running-bridge.json'))).toBe(false);
    const after = await admin(['stats', '--json']);
    expect(after.code, after.stderr).toBe(0);
    const afterBody = JSON.parse(after.stdout) as { database: string; stats: { windows: unknown[] } };
    expect(afterBody.database).toBe('embedded');
    expect(JSON.stringify(afterBody.stats.windows[0])).toMatch(/"relayed":3/);
  });
});
