import { Database, type DatabaseOptions } from '../../lib/db/database';
import { migrate, readMigrations } from '../../lib/db/migrate';
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

/**
 * A fresh database on `engine` and a handle on it (extra handle options, such as a statement
 * timeout, as given), with every migration applied unless `migrated: false` (for tests of the
 * migrations themselves). `close` closes the handle and drops the database.
 */
export async function openTestDatabase(
  engine: DatabaseEngine,
  { migrated = true, ...options }: Omit<DatabaseOptions, 'url'> & { migrated?: boolean } = {},
): Promise<{ db: Database; close(): Promise<void> }> {
  const testDb = await engine.create();
  const db = new Database({ url: testDb.url, max: testDb.poolMax, ...options });
  if (migrated) await migrate(db, await readMigrations());
  return {
    db,
    async close() {
      await db.close();
      await testDb.drop();
    },
  };
}
