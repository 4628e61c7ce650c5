import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedDatabase {
  /** postgres:// URL on loopback; the same `postgres` driver code as production connects to it. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts an embedded Postgres (PGlite) and serves it over the wire protocol on 127.0.0.1.
 * `dataDir` keeps data between runs; omit it for a throwaway in-memory database.
 */
export async function startEmbeddedDatabase(options: { dataDir?: string; port?: number } = {}): Promise<EmbeddedDatabase> {
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : undefined);
  // PGlite is one session; the server multiplexes client connections onto it, keeping an open
  // transaction's statements together.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: 16 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  if (!port) throw new Error('embedded database did not report its port');
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
