import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedDatabase {
  /** Connections it accepts at once: clients must use a pool of this size. */
  maxConnections: number;
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
  // PGlite is a single session. The socket server can multiplex several connections onto it, but
  // it interleaves extended-protocol messages (Parse/Bind/Execute) of different connections, which
  // corrupts concurrent queries. So: one connection, on which the driver pipelines every query.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: 1 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  if (!port) throw new Error('embedded database did not report its port');
  return {
    maxConnections: 1,
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
