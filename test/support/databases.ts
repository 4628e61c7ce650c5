import { startEmbeddedDatabase } from '../../local/embedded-db';
import { createScratchDatabase } from '../../local/scratch-database';

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
    const db = await createScratchDatabase(adminUrl, 'bridge_test');
    return { url: db.url, poolMax: 4, drop: () => db.drop() };
  },
});

/** Embedded PGlite always; plus the real server when TEST_DATABASE_URL is set. */
export function databaseEngines(): DatabaseEngine[] {
  const url = process.env.TEST_DATABASE_URL;
  return url ? [embedded, server(url)] : [embedded];
}
