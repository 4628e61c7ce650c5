import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TLSSocket } from 'node:tls';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeThrowawayCertificate } from '../../../fakes/certificate';
import { startFakeTelegram } from '../../../fakes/telegram';
import { startFakeWebim } from '../../../fakes/webim';
import { type DoctorReport, runDoctor } from '../../../lib/admin/doctor';
import { Runtime } from '../../../lib/app/runtime';
import { migrate, readMigrations } from '../../../lib/db/migrate';
import { createScratchDatabase } from '../../../local/scratch-database';
import { explainStartupError } from '../../../local/startup-errors';
import { SECRETS, upstreamEnv } from '../../support/bridge';

/**
 * The doctor's database lines name the cause and the fix, in the words `npm start` uses, for the
 * failures a first deploy meets: a refused password, a missing database, a missing privilege, a
 * certificate nobody trusts, a host nobody answers on. The settings line then points at the
 * database, not at SSM.
 */
const SERVER = process.env.TEST_DATABASE_URL;
const SOCKET_DIR = '/var/run/postgresql';

/** Whether the machine's PostgreSQL takes this system user over its Unix socket (peer authentication). */
async function socketWorks(): Promise<boolean> {
  if (!existsSync(path.join(SOCKET_DIR, '.s.PGSQL.5432'))) return false;
  const sql = postgres({ host: SOCKET_DIR, database: 'postgres', max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}
const SOCKET = await socketWorks();
if (!SOCKET) console.warn(`no PostgreSQL taking this user on ${SOCKET_DIR}: the Unix-socket test is skipped`);
if (!SERVER) console.warn('TEST_DATABASE_URL not set: the password, database and privilege tests are skipped');

describe('doctor: database failures in words', () => {
  let telegram: Awaited<ReturnType<typeof startFakeTelegram>>;
  let webim: Awaited<ReturnType<typeof startFakeWebim>>;
  const migrations = readMigrations();

  beforeAll(async () => {
    telegram = await startFakeTelegram({ token: SECRETS.botToken });
    webim = await startFakeWebim({ accessToken: SECRETS.webimAccessToken });
  });
  afterAll(async () => {
    await telegram.close();
    await webim.close();
  });

  const doctor = async (databaseUrl: string, env: Record<string, string> = {}): Promise<DoctorReport> => {
    const runtime = new Runtime({ env: { ...upstreamEnv(telegram.url, webim.url), DATABASE_URL: databaseUrl, ...env }, logSink: () => {} });
    try {
      return await runDoctor({
        settings: async () => (await runtime.context()).settings,
        database: () => runtime.databaseOnly(),
        migrations: await migrations,
        timeoutMs: 3000,
      });
    } finally {
      await runtime.close();
    }
  };
  const line = (report: DoctorReport, name: string) => report.checks.find((c) => c.name === name);

  /** The database line fails with these words, the settings line points at it, and `npm start` says the same. */
  const expectDatabaseFailure = (report: DoctorReport, detail: RegExp, hint: RegExp) => {
    expect(report.ok).toBe(false);
    expect(line(report, 'database')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(detail),
      hint: expect.stringMatching(hint),
    });
    expect(line(report, 'settings')).toMatchObject({ status: 'warn', detail: expect.stringContaining('see below') });
    expect(report.lines.join('\n')).not.toMatch(/SSM_PREFIX/);
  };

  it('an unreachable host: nothing listens there, with the network to check', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const url = `postgres://bridge:pw-not-shown@127.0.0.1:${port}/bridge`;
    const report = await doctor(url);
    expectDatabaseFailure(
      report,
      new RegExp(`^DATABASE_URL \\(127\\.0\\.0\\.1:${port}\\): nothing accepts connections there \\(ECONNREFUSED\\)$`),
      /security group/,
    );
    expect(report.lines.join('\n')).not.toContain('pw-not-shown');
    const startup = explainStartupError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { DATABASE_URL: url });
    expect(startup).toContain(line(report, 'database')?.detail);
    expect(startup).toContain('unset DATABASE_URL to use the embedded database');
  });

  describe('a certificate nobody trusts', () => {
    let server: Server | undefined;
    let port = 0;
    let certFile = '';
    const sockets = new Set<import('node:net').Socket>();
    const hasOpenssl = (() => {
      try {
        execFileSync('openssl', ['version'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    })();

    beforeAll(async () => {
      if (!hasOpenssl) return;
      const dir = mkdtempSync(path.join(tmpdir(), 'doctor-tls-'));
      const made = makeThrowawayCertificate({ dir, commonName: '127.0.0.1', altNames: 'DNS:localhost,IP:127.0.0.1' });
      if (!made) throw new Error('openssl could not make a certificate');
      certFile = made.certFile;
      const { key, cert } = made;
      // A server that agrees to TLS as PostgreSQL does (SSLRequest → 'S') and then presents a
      // self-signed certificate: the client must refuse it under verify-full.
      server = createServer((socket) => {
        sockets.add(socket);
        socket.once('data', () => {
          socket.write('S');
          const tls = new TLSSocket(socket, { isServer: true, key, cert });
          tls.on('error', () => socket.destroy());
          tls.on('secure', () => tls.destroy()); // speaks no PostgreSQL beyond the handshake
        });
        socket.on('error', () => {});
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    });

    it.skipIf(!hasOpenssl)('DEPTH_ZERO_SELF_SIGNED_CERT names DATABASE_CA_FILE', async () => {
      const report = await doctor(`postgres://bridge:pw@127.0.0.1:${port}/bridge?sslmode=verify-full`);
      expectDatabaseFailure(report, /TLS certificate could not be verified \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/, /DATABASE_CA_FILE/);
      // With the CA named, the handshake passes (the fake speaks no further: the failure moves on).
      const trusted = await doctor(`postgres://bridge:pw@127.0.0.1:${port}/bridge?sslmode=verify-full`, { DATABASE_CA_FILE: certFile });
      expect(line(trusted, 'database')?.detail).not.toMatch(/certificate/);
    });
  });

  describe.skipIf(!SERVER)('on the PostgreSQL server of TEST_DATABASE_URL', () => {
    const admin = () => postgres(SERVER as string, { max: 1, onnotice: () => {} });
    const withUrl = (patch: (u: URL) => void) => {
      const u = new URL(SERVER as string);
      patch(u);
      return u.toString();
    };

    it('28P01: a wrong password, with where to put the right one', async () => {
      const report = await doctor(withUrl((u) => (u.password = 'surely-not-the-password')));
      expectDatabaseFailure(report, /: the password of user "\w+" was refused \(28P01\)$/, /current password in DATABASE_URL/);
      expect(report.lines.join('\n')).not.toContain('surely-not-the-password');
    });

    it('3D000: a missing database, with the statement that creates it', async () => {
      const report = await doctor(withUrl((u) => (u.pathname = '/bridge_never_created')));
      expectDatabaseFailure(
        report,
        /: the database "bridge_never_created" does not exist \(3D000\)$/,
        /CREATE DATABASE bridge_never_created OWNER/,
      );
    });

    it('42501: a role without privileges on tables another role migrated', async () => {
      const scratch = await createScratchDatabase(SERVER as string, 'bridge_doctor');
      const sql = admin();
      try {
        const runtime = new Runtime({ env: { DATABASE_URL: scratch.url }, logSink: () => {} });
        await migrate(await runtime.databaseOnly(), await migrations);
        await runtime.close();
        await sql.unsafe(
          "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bridge_doctor_guest') THEN CREATE ROLE bridge_doctor_guest LOGIN PASSWORD 'guest'; END IF; END $$",
        );
        const guest = new URL(scratch.url);
        guest.username = 'bridge_doctor_guest';
        guest.password = 'guest';
        const report = await doctor(guest.toString());
        expect(report.ok).toBe(false);
        // Connecting works; reading the bridge's tables does not.
        expect(line(report, 'database')?.status).toBe('ok');
        expect(line(report, 'migrations')).toMatchObject({
          status: 'fail',
          detail: expect.stringMatching(/user "bridge_doctor_guest" lacks a privilege it needs \(42501\)$/),
          hint: expect.stringContaining('OWNER bridge_doctor_guest'),
        });
        expect(line(report, 'settings')).toMatchObject({ status: 'fail', detail: expect.stringContaining('(42501)') });
      } finally {
        await scratch.drop();
        await sql.unsafe('DROP ROLE IF EXISTS bridge_doctor_guest').catch(() => {});
        await sql.end();
      }
    });
  });

  it.skipIf(!SOCKET)('a Unix-socket DATABASE_URL (peer authentication) connects over the socket, not TCP', async () => {
    const report = await doctor(`postgres://localhost/postgres?host=${SOCKET_DIR}`, {});
    expect(line(report, 'database')).toMatchObject({ status: 'ok', detail: `reachable over the Unix socket in ${SOCKET_DIR}` });
    const runtime = new Runtime({ env: { DATABASE_URL: `postgres://localhost/postgres?host=${SOCKET_DIR}` }, logSink: () => {} });
    try {
      const db = await runtime.databaseOnly();
      // No server address: the session came over a Unix socket.
      const [row] = await db.query((sql) => sql<{ addr: string | null }[]>`SELECT inet_server_addr()::text AS addr`);
      expect(row?.addr).toBeNull();
    } finally {
      await runtime.close();
    }
    const missing = await doctor('postgres://localhost/postgres?host=/nonexistent-socket-dir');
    expect(line(missing, 'database')?.detail).toBe(
      'DATABASE_URL (socket /nonexistent-socket-dir): no PostgreSQL socket in that directory (ENOENT)',
    );
  });
});
