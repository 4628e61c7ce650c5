import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
  const release = options.dataDir ? claimDataDir(options.dataDir) : () => {};
  let db: PGlite;
  try {
    db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : undefined);
  } catch (error) {
    release();
    throw error;
  }
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
      release();
    },
  };
}

/** Another process has the embedded database's directory open. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  readonly code = 'DATA_DIR_IN_USE';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${path.relative(process.cwd(), dataDir) || dataDir} is open in process ${pid} (npm start, or an admin command): PGlite allows one process per directory. Stop that process, or, for npm start, let npm run stats/doctor ask it`,
    );
  }
}

/**
 * Takes the data directory for this process (a `<dir>.pid` file beside it), so that no second
 * process ever opens it: PGlite is single-process, and two openers corrupt each other's view.
 * A claim left by a process that no longer runs is taken over. Returns the release.
 */
function claimDataDir(dataDir: string): () => void {
  const file = `${path.resolve(dataDir)}.pid`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => {
        if (readPid(file) === process.pid) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const pid = readPid(file);
      if (pid !== undefined && pid !== process.pid && processAlive(pid)) throw new DataDirInUseError(dataDir, pid);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not claim ${dataDir}`);
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True while a process with this id exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}
