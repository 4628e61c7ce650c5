/**
 * What every phase of the bench shares: sizes (BENCH_SMOKE), the parts to run (BENCH_ONLY), the
 * bridge process and how it is built and started, the traffic it is fed, and the figure a phase
 * reports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import type { BenchFakes } from '../fakes/bench-upstreams';
import { Database } from '../lib/db/database';
import { startEmbeddedDatabase } from '../local/embedded-db';
import { createScratchDatabase } from '../local/scratch-database';
import type { LoadResult } from './load';

export const SMOKE = process.env.BENCH_SMOKE === '1';
export const SIZES = SMOKE
  ? { chats: 16, latency: 100, throughput: 200, rss: 300, duplicates: 100, coldStarts: 2, loadPhases: 3 }
  : { chats: 256, latency: 2000, throughput: 4000, rss: 10_000, duplicates: 100, coldStarts: 9, loadPhases: 15 };
export const ROOT = process.cwd();
export const RESULTS = path.join(ROOT, 'bench', 'results');
export const BUILD = path.join(ROOT, 'bench', '.build');
export const SSM_PREFIX = '/telegram-webim-bridge/bench';
/**
 * BENCH_ONLY=latency,cold-start (any of: latency, throughput, memory, duplicates, lambda-like,
 * files, bundles, cold-start) runs only those parts, for working on one figure at a time.
 */
export const ONLY = new Set(
  (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
export const runs = (part: string) => ONLY.size === 0 || ONLY.has(part);

export const secrets = {
  TELEGRAM_BOT_TOKEN: `7000000001:${randomBytes(26).toString('base64url')}`,
  TELEGRAM_WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
  WEBIM_ACCESS_TOKEN: randomBytes(24).toString('base64url'),
  WEBIM_CALLBACK_SECRET: randomBytes(24).toString('base64url'),
};

export const say = (line: string) => process.stdout.write(`${line}\n`);
export const t0 = performance.now();
export const progress = (step: string) => process.stderr.write(`  [${((performance.now() - t0) / 1000).toFixed(1)} s] ${step}\n`);

// ---------- database ----------

export async function openDatabase(): Promise<{ url: string; kind: string; poolMax: number; close(): Promise<void> }> {
  const admin = process.env.BENCH_DATABASE_URL;
  if (!admin) {
    const db = await startEmbeddedDatabase();
    return { url: db.url, kind: 'embedded PGlite', poolMax: db.maxConnections, close: () => db.stop() };
  }
  const db = await createScratchDatabase(admin, 'bridge_bench');
  return { url: db.url, kind: `PostgreSQL ${db.serverVersion}`, poolMax: 8, close: () => db.drop() };
}

// ---------- the bridge process ----------

export function bridgeEnv(fakes: BenchFakes, databaseUrl: string, poolMax: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...secrets,
    TELEGRAM_API_BASE: fakes.telegramUrl,
    WEBIM_API_URL: fakes.webimUrl,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: String(poolMax),
    LOG_LEVEL: 'info',
    // A deployed stage writes one metrics record per request too: part of the measured cost.
    STAGE: 'bench',
    NODE_ENV: 'production',
  };
}

/** Bundles the bridge process like the Lambda code (no TypeScript loader in the measured process). */
export const builds = new Map<string, Promise<string>>();

/** Bundles a bench process once per run (concurrent starts share the build instead of rewriting the file under each other). */
export function buildBridgeProcess(entry: 'bridge-child' | 'ceiling-child' = 'bridge-child'): Promise<string> {
  let built = builds.get(entry);
  if (!built) builds.set(entry, (built = bundleProcess(entry)));
  return built;
}

export async function bundleProcess(entry: 'bridge-child' | 'ceiling-child'): Promise<string> {
  const outfile = path.join(BUILD, `${entry}.mjs`);
  await build({
    entryPoints: [path.join(ROOT, 'bench', `${entry}.ts`)],
    outfile,
    bundle: true,
    minify: process.env.BENCH_MINIFY !== '0',
    platform: 'node',
    target: 'node24',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  return outfile;
}

export async function startBridge(
  env: NodeJS.ProcessEnv,
  entry: 'bridge-child' | 'ceiling-child' = 'bridge-child',
): Promise<{ url: string; child: ChildProcess }> {
  // BENCH_PROFILE=1 writes a V8 CPU profile of the bridge process to bench/results/profile/.
  const profile = process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${path.join(RESULTS, 'profile')}`] : [];
  const flags = (process.env.BENCH_NODE_FLAGS ?? LAMBDA_HEAP_FLAGS).split(' ').filter(Boolean);
  // The bridge logs to stdout as on Lambda, into a file: a pipe drained by this process (which is
  // also the load generator) would block the bridge's writes whenever the generator is busy, and
  // measure the generator rather than the bridge. Its address comes back over the IPC channel.
  const logFile = openSync(path.join(RESULTS, `${entry}.log`), 'a');
  const child = spawn(process.execPath, [...flags, ...profile, await buildBridgeProcess(entry)], {
    env,
    stdio: ['ignore', logFile, 'inherit', 'ipc'],
  });
  closeSync(logFile);
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bridge process exited with ${code}`)));
    child.once('message', (message) => resolve((message as { benchBridgeUrl: string }).benchBridgeUrl));
  });
  return { url, child };
}

/** Ends a bench process (it closes its server and connections on SIGTERM) and waits for it. */
export function stopProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

export async function bridgeStats(
  url: string,
  reset = false,
): Promise<{ queries: number; peakRss: number; rss: number; heapUsed: number; heapTotal: number }> {
  const res = await fetch(`${url}/__bench/stats`, { method: reset ? 'POST' : 'GET' });
  return (await res.json()) as { queries: number; peakRss: number; rss: number; heapUsed: number; heapTotal: number };
}

// ---------- traffic ----------

let nextUpdateId = 900_000_000;
/** The update id the traffic generator used last. */
export const lastUpdateId = () => nextUpdateId - 1;
let nextWebimId = 1;

export const updateBody = (chatId: number, text: string) => {
  const id = nextUpdateId++;
  return JSON.stringify({
    update_id: id,
    message: {
      message_id: id,
      date: 1795338901,
      text,
      chat: { id: chatId, type: 'private', first_name: 'Bench' },
      from: { id: chatId, is_bot: false, first_name: 'Bench', username: `bench${chatId}` },
    },
  });
};

export const callbackBody = (visitorId: string, text: string) =>
  JSON.stringify({
    event: 'new_message',
    visitor_id: visitorId,
    chat_id: 1,
    message: { id: `bench-${nextWebimId++}`, kind: 'operator', text },
  });

export const TEXT = 'Hello, my order 5512 has not arrived yet, could you check please?';

/** Telegram updates spread over the chats (and over several bridge processes, round robin). */
export function telegramTraffic(base: string | string[], chats: number[]) {
  const urls = [base].flat().map((b) => new URL(`${b}/telegram-webhook`));
  const headers = { 'x-telegram-bot-api-secret-token': secrets.TELEGRAM_WEBHOOK_SECRET };
  return (i: number) => ({ url: urls[i % urls.length] as URL, headers, body: updateBody(chats[i % chats.length] as number, TEXT) });
}

/** Operator replies spread over the visitors (and over several bridge processes, round robin). */
export function webimTraffic(base: string | string[], visitors: string[]) {
  const urls = [base].flat().map((b) => new URL(`${b}/webim-callback`));
  const headers = { authorization: `Token ${secrets.WEBIM_CALLBACK_SECRET}` };
  return (i: number) => ({ url: urls[i % urls.length] as URL, headers, body: callbackBody(visitors[i % visitors.length] as string, TEXT) });
}

/**
 * WAL flushes to disk so far (PostgreSQL 14+; undefined on the embedded database, which takes one
 * connection — the bridge's — and has no WAL statistics anyway).
 */
export async function walSyncs(url: string, embedded: boolean): Promise<number | undefined> {
  if (embedded) return undefined;
  const db = new Database({ url, max: 1 });
  try {
    const [row] = await db.sql<{ n: string }[]>`SELECT wal_sync::text AS n FROM pg_stat_wal`;
    return row ? Number(row.n) : undefined;
  } catch {
    return undefined;
  } finally {
    await db.close();
  }
}

export const okShare = (r: LoadResult) => (r.statuses[200] ?? 0) / r.latenciesMs.length;

/** Throughput at c=64 measured before the one-durable-commit change (same machine kind), for the 1.5× target. */
export const BEFORE_C64: Record<'telegram→webim' | 'webim→telegram', number> = { 'telegram→webim': 569, 'webim→telegram': 569 };
/**
 * The heap limits Lambda's Node.js bootstrap gives a 256 MB function (serverless.yml's memorySize):
 * a tenth of the memory for the young generation (half of it per semi-space), the rest old space.
 * Without them V8 sizes its heap for this 24 GB machine and collects far later than on Lambda.
 */
export const LAMBDA_HEAP_FLAGS = '--max-semi-space-size=12 --max-old-space-size=231';
/** Processes in the Lambda-like mode (each one connection, as one container). */
export const LAMBDA_PROCESSES = Number(process.env.BENCH_PROCESSES ?? 4);

export interface Figure {
  figure: string;
  measured: string;
  target: string;
  ok?: boolean;
}

export type BenchDatabase = Awaited<ReturnType<typeof openDatabase>>;

/** What a phase run against the warm bridge process gets. */
export interface LoadPhase {
  fakes: BenchFakes;
  database: BenchDatabase;
  bridgeUrl: string;
  chats: number[];
  visitors: string[];
  figures: Figure[];
  raw: Record<string, unknown>;
  /** " (NN% of ceiling)" for a figure the ceiling server also measured. */
  ofCeiling(key: string, value: number, lowerIsBetter: boolean): string;
  /** The embedded database serves one connection: a second bridge process must wait for the first to stop. */
  embedded: boolean;
}
