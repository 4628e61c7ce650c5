import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { startEmbeddedDatabase } from '../../local/embedded-db';

export interface TestDatabase {
  url: string;
  /** Connections the whole test may open at once. */
  poolMax: number;
  drop(): Promise<void>;
}

export interface DatabaseEngine {
  name: string;
  create(): Promise<TestDatabase>;
}

const embedded: DatabaseEngine = {
  name: 'embedded PGlite',
  async create() {
    const db = await startEmbeddedDatabase();
    return { url: db.url, poolMax: db.maxConnections, drop: () => db.stop() };
  },
};

/** A fresh database on the server of TEST_DATABASE_URL, dropped afterwards. */
const server = (adminUrl: string): DatabaseEngine => ({
  name: 'PostgreSQL server',
  async create() {
    const name = `bridge_test_${randomBytes(6).toString('hex')}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      poolMax: 4,
      async drop() {
        const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
        await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      },
    };
  },
});

/** Embedded PGlite always; plus the real server when TEST_DATABASE_URL is set. */
export function databaseEngines(): DatabaseEngine[] {
  const url = process.env.TEST_DATABASE_URL;
  return url ? [embedded, server(url)] : [embedded];
}
