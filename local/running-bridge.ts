import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type AdminRequest, type AdminResult, parseAdminRequest, runAdminAction } from '../lib/admin/actions';
import type { Runtime } from '../lib/app/runtime';
import { readMigrations } from '../lib/db/migrate';
import { processAlive } from './embedded-db';

/**
 * A running `npm start` (bridge or sandbox) answers the admin commands itself. PGlite is a
 * single process: a second process opening the same data directory would see stale data at best
 * and damage it at worst, and counts the running bridge has not written yet would be missing.
 * So while it runs, `npm run stats|doctor|migrate|admin` ask it, over a loopback HTTP endpoint
 * announced in `.data/running-bridge.json` (owner-only, with a random token), and never open
 * the directory.
 */
export interface RunningBridge {
  pid: number;
  url: string;
  token: string;
  /** What the running process uses, in words for the admin commands' first line. */
  database: string;
  /** Which database it was started with (see databaseKey): a command set up for another one does not ask it. */
  databaseKey: string;
}

/**
 * Names the database a process was started with, without its password: a hash of DATABASE_URL,
 * or `embedded` when there is none (the embedded database of this checkout).
 */
export function databaseKey(databaseUrl: string | undefined): string {
  return databaseUrl ? createHash('sha256').update(databaseUrl).digest('hex').slice(0, 16) : 'embedded';
}

/** Where a running local bridge announces its admin endpoint. */
export const runningBridgeFile = (cwd = process.cwd()): string => path.join(cwd, '.data', 'running-bridge.json');

/**
 * Serves the admin actions of this process's runtime on 127.0.0.1 (a random port) and announces
 * it; `stop()` withdraws the announcement. Each request must carry the announced token.
 */
export async function serveAdminEndpoint(
  runtime: Runtime,
  options: { database: string; databaseKey: string; cwd?: string },
): Promise<{ stop(): Promise<void> }> {
  const token = randomBytes(24).toString('hex');
  const expected = Buffer.from(`Bearer ${token}`);
  const server = createServer(async (req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const given = Buffer.from(req.headers.authorization ?? '');
    if (req.method !== 'POST' || req.url !== '/admin' || given.length !== expected.length || !timingSafeEqual(given, expected))
      return answer(401, { message: 'Unauthorized' });
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > 4096) return answer(413, { message: 'Request Entity Too Large' });
        chunks.push(chunk as Buffer);
      }
      const request: AdminRequest = parseAdminRequest(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      answer(200, await runAdminAction(runtime, request, await readMigrations()));
    } catch (error) {
      answer(500, { message: error instanceof Error ? error.message : String(error) });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const file = runningBridgeFile(options.cwd);
  mkdirSync(path.dirname(file), { recursive: true });
  const announced: RunningBridge = {
    pid: process.pid,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    database: options.database,
    databaseKey: options.databaseKey,
  };
  writeFileSync(file, JSON.stringify(announced), { mode: 0o600 });
  return {
    async stop() {
      // Withdraw only our own announcement (another start may have replaced a stale one).
      if (readAnnouncement(options.cwd)?.pid === process.pid) rmSync(file, { force: true });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The running local bridge of this checkout, if one is announced, its process is alive and it
 * was started with the database this command would use (`DATABASE_URL` of this environment).
 */
export function readRunningBridge(databaseUrl: string | undefined, cwd?: string): RunningBridge | undefined {
  const announced = readAnnouncement(cwd);
  if (!announced || !Number.isInteger(announced.pid) || announced.pid === process.pid || !processAlive(announced.pid)) return undefined;
  return announced.databaseKey === databaseKey(databaseUrl) ? announced : undefined;
}

function readAnnouncement(cwd?: string): RunningBridge | undefined {
  try {
    return JSON.parse(readFileSync(runningBridgeFile(cwd), 'utf8')) as RunningBridge;
  } catch {
    return undefined;
  }
}

/** Runs an admin action in the running bridge; throws with a plain reason when it does not answer. */
export async function askRunningBridge(bridge: RunningBridge, request: AdminRequest, timeoutMs = 60_000): Promise<AdminResult> {
  let response: Response;
  try {
    response = await fetch(`${bridge.url}/admin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new Error(
      `npm start (pid ${bridge.pid}) runs but its admin endpoint did not answer (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name}); stop it, or wait until it is up, and try again`,
    );
  }
  const body = (await response.json()) as AdminResult | { message: string };
  if (!response.ok) throw new Error(`npm start (pid ${bridge.pid}) could not run it: ${(body as { message: string }).message}`);
  return body as AdminResult;
}
