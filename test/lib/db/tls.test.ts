import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { Database } from '../../../lib/db/database';
import { databaseConnection } from '../../../lib/settings/database-connection';
import { SettingsError } from '../../../lib/settings/schema';

describe('DATABASE_URL and TLS', () => {
  it('loopback hosts connect plainly; any other host defaults to verified TLS', () => {
    expect(databaseConnection('postgres://u:p@127.0.0.1:5432/db').tls).toBe('off');
    expect(databaseConnection('postgres://u:p@localhost/db').tls).toBe('off');
    const rds = databaseConnection('postgres://u:p@mydb.abc.eu-central-1.rds.amazonaws.com:5432/bridge');
    expect(rds.tls).toBe('verify-full');
    expect(rds.ssl).toMatchObject({ rejectUnauthorized: true, servername: 'mydb.abc.eu-central-1.rds.amazonaws.com' });
  });

  it('honours sslmode, and keeps it out of the URL the driver sees', () => {
    expect(databaseConnection('postgres://u:p@db.internal/x?sslmode=require')).toMatchObject({
      tls: 'encrypt-only',
      url: 'postgres://u:p@db.internal/x',
    });
    expect(databaseConnection('postgres://u:p@db.internal/x?sslmode=disable').tls).toBe('off');
    expect(databaseConnection('postgres://u:p@127.0.0.1/x?sslmode=verify-full').tls).toBe('verify-full');
  });

  it.each([
    ['not-a-url', /DATABASE_URL \(is not a URL/],
    ['mysql://u:p@db/x', /DATABASE_URL \(uses mysql:\/\/ but the bridge needs PostgreSQL/],
    ['postgres://u:p@db/x?sslmode=sometimes', /sslmode=sometimes is not one of/],
  ])('rejects %s with an error naming DATABASE_URL', (url, message) => {
    const error = (() => {
      try {
        databaseConnection(url);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message).toMatch(message);
  });

  const ca = process.env.TEST_DATABASE_TLS_CA;
  describe.runIf(!!ca)('against PostgreSQL that requires TLS (role bridge_tls_only, see .ci/postgres-tls.sh)', () => {
    const port = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://x@127.0.0.1:5432/x').port || '5432';
    const connect = async (url: string, caFile?: string) => {
      const { url: clean, ssl } = databaseConnection(url, { caFile });
      const db = new Database({ url: clean, ssl, max: 1 });
      try {
        const [row] = await db.query(
          (sql) => sql<{ ssl: boolean; version: string }[]>`SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()`,
        );
        return row;
      } finally {
        await db.close();
      }
    };

    it('connects over verified TLS by default to a non-loopback host name', async () => {
      const row = await connect(`postgres://bridge_tls_only:tls@127.0.0.2:${port}/postgres`, ca);
      expect(row?.ssl).toBe(true);
    });

    it('is refused by the server without TLS', async () => {
      await expect(connect(`postgres://bridge_tls_only:tls@127.0.0.1:${port}/postgres`)).rejects.toMatchObject({ code: '28000' });
    });

    it('refuses a server whose certificate it cannot verify', async () => {
      const other = path.join(mkdtempSync(path.join(tmpdir(), 'ca-')), 'other.pem');
      writeFileSync(other, rootCertificates[0]!);
      await expect(connect(`postgres://bridge_tls_only:tls@127.0.0.2:${port}/postgres`, other)).rejects.toThrow(/certificate/i);
    });
  });
  it.skipIf(!!ca)('TLS against a real server: skipped, TEST_DATABASE_TLS_CA is not set (.ci/run sets it up)', () => {});
});
