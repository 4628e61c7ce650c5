import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export interface ScratchDatabase {
  url: string;
  /** The server's version string, e.g. "15.18 (Debian 15.18-0+deb12u1)". */
  serverVersion: string;
  drop(): Promise<void>;
}

/**
 * Creates a fresh, uniquely named database on the server of `adminUrl` (the role needs
 * CREATEDB) for a test suite or a benchmark run; `drop()` removes it again.
 */
export async function createScratchDatabase(adminUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const [row] = await admin`SELECT current_setting('server_version') AS v`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    serverVersion: String(row?.v),
    async drop() {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
