/**
 * `npm run bench`: what the bridge costs per message and how it scales.
 *
 * Drives the bridge through its real HTTP routes (the local server, in its own process) against
 * zero-latency fake Telegram, Webim and SSM servers, on embedded PGlite or on the PostgreSQL
 * server of BENCH_DATABASE_URL. BENCH_SMOKE=1 runs a few hundred messages only (CI).
 * Prints a table of figures with their targets and writes bench/results/latest.json + latency.svg.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { type BenchFakes, startBenchFakes } from '../fakes/bench-upstreams';
import { startFakeTelegram } from '../fakes/telegram';
import { startFakeWebim } from '../fakes/webim';
import { Database } from '../lib/db/database';
import { migrate, readMigrations } from '../lib/db/migrate';
import { startEmbeddedDatabase } from '../local/embedded-db';
import { createScratchDatabase } from '../local/scratch-database';
import { latencyChartSvg } from './chart';
import { type LoadResult, percentile, post, runLoad } from './load';

const SMOKE = process.env.BENCH_SMOKE === '1';
const SIZES = SMOKE
  ? { chats: 16, latency: 100, throughput: 200, rss: 300, duplicates: 100, coldStarts: 2 }
  : { chats: 256, latency: 2000, throughput: 4000, rss: 10_000, duplicates: 100, coldStarts: 9 };
const ROOT = process.cwd();
const RESULTS = path.join(ROOT, 'bench', 'results');
const BUILD = path.join(ROOT, 'bench', '.build');
const SSM_PREFIX = '/telegram-webim-bridge/bench';
/**
 * BENCH_ONLY=latency,cold-start (any of: latency, throughput, memory, duplicates, lambda-like,
 * files, bundles, cold-start) runs only those parts, for working on one figure at a time.
 */
const ONLY = new Set(
  (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const runs = (part: string) => ONLY.size === 0 || ONLY.has(part);

const secrets = {
  TELEGRAM_BOT_TOKEN: `7000000001:${randomBytes(26).toString('base64url')}`,
  TELEGRAM_WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
  WEBIM_ACCESS_TOKEN: randomBytes(24).toString('base64url'),
  WEBIM_CALLBACK_SECRET: randomBytes(24).toString('base64url'),
};

const say = (line: string) => process.stdout.write(`${line}\n`);
const t0 = performance.now();
const progress = (step: string) => process.stderr.write(`  [${((performance.now() - t0) / 1000).toFixed(1)} s] ${step}\n`);

// ---------- database ----------

async function openDatabase(): Promise<{ url: string; kind: string; poolMax: number; close(): Promise<void> }> {
  const admin = process.env.BENCH_DATABASE_URL;
  if (!admin) {
    const db = await startEmbeddedDatabase();
    return { url: db.url, kind: 'embedded PGlite', poolMax: db.maxConnections, close: () => db.stop() };
  }
  const db = await createScratchDatabase(admin, 'bridge_bench');
  return { url: db.url, kind: `PostgreSQL ${db.serverVersion}`, poolMax: 8, close: () => db.drop() };
}

// ---------- the bridge process ----------

function bridgeEnv(fakes: BenchFakes, databaseUrl: string, poolMax: number): NodeJS.ProcessEnv {
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
const builds = new Map<string, Promise<string>>();

/** Bundles a bench process once per run (concurrent starts share the build instead of rewriting the file under each other). */
function buildBridgeProcess(entry: 'bridge-child' | 'ceiling-child' = 'bridge-child'): Promise<string> {
  let built = builds.get(entry);
  if (!built) builds.set(entry, (built = bundleProcess(entry)));
  return built;
}

async function bundleProcess(entry: 'bridge-child' | 'ceiling-child'): Promise<string> {
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

async function startBridge(
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
function stopProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

async function bridgeStats(
  url: string,
  reset = false,
): Promise<{ queries: number; peakRss: number; rss: number; heapUsed: number; heapTotal: number }> {
  const res = await fetch(`${url}/__bench/stats`, { method: reset ? 'POST' : 'GET' });
  return (await res.json()) as { queries: number; peakRss: number; rss: number; heapUsed: number; heapTotal: number };
}

// ---------- traffic ----------

let nextUpdateId = 900_000_000;
let nextWebimId = 1;

const updateBody = (chatId: number, text: string) => {
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

const callbackBody = (visitorId: string, text: string) =>
  JSON.stringify({
    event: 'new_message',
    visitor_id: visitorId,
    chat_id: 1,
    message: { id: `bench-${nextWebimId++}`, kind: 'operator', text },
  });

const TEXT = 'Hello, my order 5512 has not arrived yet, could you check please?';

/** Telegram updates spread over the chats (and over several bridge processes, round robin). */
function telegramTraffic(base: string | string[], chats: number[]) {
  const urls = [base].flat().map((b) => new URL(`${b}/telegram-webhook`));
  const headers = { 'x-telegram-bot-api-secret-token': secrets.TELEGRAM_WEBHOOK_SECRET };
  return (i: number) => ({ url: urls[i % urls.length] as URL, headers, body: updateBody(chats[i % chats.length] as number, TEXT) });
}

/** Operator replies spread over the visitors (and over several bridge processes, round robin). */
function webimTraffic(base: string | string[], visitors: string[]) {
  const urls = [base].flat().map((b) => new URL(`${b}/webim-callback`));
  const headers = { authorization: `Token ${secrets.WEBIM_CALLBACK_SECRET}` };
  return (i: number) => ({ url: urls[i % urls.length] as URL, headers, body: callbackBody(visitors[i % visitors.length] as string, TEXT) });
}

/**
 * WAL flushes to disk so far (PostgreSQL 14+; undefined on the embedded database, which takes one
 * connection — the bridge's — and has no WAL statistics anyway).
 */
async function walSyncs(url: string, embedded: boolean): Promise<number | undefined> {
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

const okShare = (r: LoadResult) => (r.statuses[200] ?? 0) / r.latenciesMs.length;

// ---------- bundles and cold start ----------

const FUNCTIONS = ['telegram-webhook', 'webim-callback', 'files', 'admin', 'migrate', 'housekeeping'];

async function buildBundles(): Promise<{ name: string; minifiedKiB: number; zippedKiB: number }[]> {
  const out: { name: string; minifiedKiB: number; zippedKiB: number }[] = [];
  for (const name of FUNCTIONS) {
    const dir = path.join(BUILD, name);
    // The same options serverless.yml gives serverless-esbuild.
    await build({
      entryPoints: [path.join(ROOT, 'functions', `${name}.ts`)],
      outfile: path.join(dir, 'functions', `${name}.js`),
      bundle: true,
      minify: true,
      sourcemap: false,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      mainFields: ['module', 'main'],
      logLevel: 'error',
    });
    const js = path.join(dir, 'functions', `${name}.js`);
    // Like the Lambda package root: no "type": "module" above the bundle, so .js is CommonJS.
    writeFileSync(path.join(dir, 'package.json'), '{"type":"commonjs"}\n');
    const zip = path.join(dir, `${name}.zip`);
    const zipped = spawnSync('zip', ['-q', '-9', '-r', zip, 'functions'], { cwd: dir });
    out.push({
      name,
      minifiedKiB: statSync(js).size / 1024,
      zippedKiB: zipped.status === 0 ? statSync(zip).size / 1024 : Number.NaN,
    });
  }
  return out;
}

async function coldStarts(fakes: BenchFakes, databaseUrl: string, runs: number) {
  Object.assign(fakes.ssmParameters, { ...secrets, TELEGRAM_API_BASE: fakes.telegramUrl, WEBIM_API_URL: fakes.webimUrl });
  const bundle = path.join(BUILD, 'telegram-webhook', 'functions', 'telegram-webhook.js');
  const results: {
    bootMs: number;
    firstMs: number;
    loadedMs: number;
    warmMs: number;
    ssmCold: number;
    ssmWarm: number;
    statuses: number[];
  }[] = [];
  for (let i = 0; i < runs; i++) {
    const before = fakes.ssmCalls.length;
    // Asynchronously: the fake upstreams live in this process and must keep answering.
    const profile =
      process.env.BENCH_PROFILE === '1' && i === runs - 1
        ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${path.join(RESULTS, 'profile-cold')}`]
        : [];
    const run = await spawnAsync(process.execPath, [...profile, path.join(ROOT, 'bench', 'cold-start-child.cjs'), bundle], {
      env: {
        PATH: process.env.PATH,
        SSM_PREFIX,
        DATABASE_URL: databaseUrl,
        AWS_REGION: 'eu-central-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_ENDPOINT_URL_SSM: fakes.ssmUrl,
        STAGE: 'bench',
        BENCH_WEBHOOK_SECRET: secrets.TELEGRAM_WEBHOOK_SECRET,
        BENCH_UPDATE_ID: String(800_000_000 + i * 10),
        LOG_LEVEL: 'warn',
      },
    });
    if (run.status !== 0)
      throw new Error(
        `cold start run failed (${run.status ?? run.signal}): ${run.stderr
          .split('\n')
          .filter(
            (l) =>
              !/NodeVersionSupportWarning|AWS SDK|node >=22|upgrade to node|a\.co\/|^versions published|will require|To continue|trace-warnings|^$/.test(
                l,
              ),
          )
          .join('\n')}`,
      );
    const r = JSON.parse(run.stdout.trim().split('\n').pop() as string) as {
      bootMs: number;
      firstMs: number;
      loadedMs: number;
      warmMs: number;
      firstDoneAt: number;
      statuses: number[];
    };
    const calls = fakes.ssmCalls.slice(before);
    results.push({ ...r, ssmCold: calls.filter((t) => t <= r.firstDoneAt).length, ssmWarm: calls.filter((t) => t > r.firstDoneAt).length });
  }
  return results;
}

function spawnAsync(
  cmd: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv },
): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

// ---------- main ----------

/** Throughput at c=64 measured before the one-durable-commit change (same machine kind), for the 1.5× target. */
const BEFORE_C64: Record<'telegram→webim' | 'webim→telegram', number> = { 'telegram→webim': 569, 'webim→telegram': 569 };
/**
 * The heap limits Lambda's Node.js bootstrap gives a 256 MB function (serverless.yml's memorySize):
 * a tenth of the memory for the young generation (half of it per semi-space), the rest old space.
 * Without them V8 sizes its heap for this 24 GB machine and collects far later than on Lambda.
 */
const LAMBDA_HEAP_FLAGS = '--max-semi-space-size=12 --max-old-space-size=231';
/** Processes in the Lambda-like mode (each one connection, as one container). */
const LAMBDA_PROCESSES = Number(process.env.BENCH_PROCESSES ?? 4);

/**
 * Peak RSS of the bridge process while a 20 MB file passes through it each way: a user's file
 * served from its link (Telegram → the desk), and an operator's file downloaded from Webim and
 * uploaded to Telegram. Streaming means the process never holds a file whole.
 */
async function fileMemory(
  databaseUrl: string,
): Promise<{ idleMb: number; peakMb: number; bytesServed: number; bytesUploaded: number; linkP50Ms: number; linkP99Ms: number }> {
  const telegram = await startFakeTelegram({ token: secrets.TELEGRAM_BOT_TOKEN });
  const webim = await startFakeWebim({ accessToken: secrets.WEBIM_ACCESS_TOKEN });
  const size = 20 * 1024 * 1024 - 1024;
  telegram.addFile('BENCHBIGFILE', randomBytes(size), { path: 'documents/big.bin' });
  // The operator's file is larger still (45 MB, under the 50 MB limit): growth well below its size shows it streams.
  const operatorSize = 45 * 1024 * 1024;
  const operatorFile = webim.addFile('big.bin', randomBytes(operatorSize), 'application/octet-stream');
  const env = {
    ...bridgeEnv({ telegramUrl: telegram.url, webimUrl: webim.url } as BenchFakes, databaseUrl, 1),
    FILE_LINK_SECRET: randomBytes(24).toString('base64url'),
    FILE_LINK_BASE_URL: 'http://127.0.0.1:9',
  };
  const bridge = await startBridge(env);
  try {
    const chatId = 3_000_001;
    const update = (id: number, message: Record<string, unknown>) =>
      post(
        new Agent(),
        new URL(`${bridge.url}/telegram-webhook`),
        JSON.stringify({
          update_id: id,
          message: {
            message_id: id,
            date: 1795338901,
            chat: { id: chatId, type: 'private', first_name: 'Big' },
            from: { id: chatId, is_bot: false, first_name: 'Big' },
            ...message,
          },
        }),
        { 'x-telegram-bot-api-secret-token': secrets.TELEGRAM_WEBHOOK_SECRET },
      );
    await update(700_000_001, { text: 'hello' });
    // Link serving latency: a 100 KB photo's link, fetched repeatedly (verify, getFile, stream).
    telegram.addFile('BENCHPHOTO', randomBytes(100 * 1024), { path: 'photos/p.jpg' });
    await update(700_000_003, { photo: [{ file_id: 'BENCHPHOTO', file_unique_id: 'p', file_size: 100 * 1024, width: 800, height: 600 }] });
    const photoLink = (webim.received.at(-1)?.message as unknown as { data?: { url: string } }).data?.url as string;
    const linkMs: number[] = [];
    for (let i = 0; i < (SMOKE ? 10 : 200); i++) {
      const started = performance.now();
      const r = await fetch(`${bridge.url}${new URL(photoLink).pathname}`);
      await r.arrayBuffer();
      linkMs.push(performance.now() - started);
    }
    await new Promise((r) => setTimeout(r, 300));
    const idle = await bridgeStats(bridge.url, true);
    await update(700_000_002, {
      document: {
        file_id: 'BENCHBIGFILE',
        file_unique_id: 'big',
        file_name: 'big.bin',
        mime_type: 'application/octet-stream',
        file_size: size,
      },
    });
    const link = (webim.received.at(-1)?.message as unknown as { data?: { url: string } }).data?.url;
    if (!link) throw new Error('no file link reached Webim');
    let bytesServed = 0;
    const res = await fetch(`${bridge.url}${new URL(link).pathname}`);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytesServed += chunk.length;
    const visitorId = webim.received.at(-1)?.visitor.id as string;
    const callback = {
      event: 'new_message',
      visitor_id: visitorId,
      message: {
        id: 'big-1',
        kind: 'file_operator',
        data: { url: operatorFile, name: 'big.bin', media_type: 'application/octet-stream', size: operatorSize },
      },
    };
    const answer = await post(new Agent(), new URL(`${bridge.url}/webim-callback`), JSON.stringify(callback), {
      authorization: `Token ${secrets.WEBIM_CALLBACK_SECRET}`,
    });
    if (answer.status !== 200) throw new Error(`operator file answered ${answer.status}`);
    const after = await bridgeStats(bridge.url);
    return {
      idleMb: idle.rss / 1024 / 1024,
      peakMb: after.peakRss / 1024 / 1024,
      bytesServed,
      bytesUploaded: telegram.uploads.at(-1)?.bytes.length ?? 0,
      linkP50Ms: percentile(linkMs, 50),
      linkP99Ms: percentile(linkMs, 99),
    };
  } finally {
    await stopProcess(bridge.child);
    await telegram.close();
    await webim.close();
  }
}

/**
 * Peak RSS of a process used as Lambda uses one: a fresh bridge process with one database
 * connection and Lambda's heap limits, given its requests one at a time (a container never
 * serves two at once), half in each direction.
 */
async function lambdaProcessMemory(fakes: BenchFakes, databaseUrl: string, chats: number[], visitors: string[]) {
  const bridge = await startBridge(bridgeEnv(fakes, databaseUrl, 1));
  try {
    await runLoad(200, 1, telegramTraffic(bridge.url, chats));
    await runLoad(200, 1, webimTraffic(bridge.url, visitors));
    const warm = await bridgeStats(bridge.url, true);
    const half = Math.floor(SIZES.rss / 2);
    await runLoad(half, 1, telegramTraffic(bridge.url, chats));
    await runLoad(SIZES.rss - half, 1, webimTraffic(bridge.url, visitors));
    const after = await bridgeStats(bridge.url);
    const mb = (bytes: number) => bytes / 1024 / 1024;
    return { warmMb: mb(warm.rss), peakMb: mb(after.peakRss), heapUsedMb: mb(after.heapUsed), heapTotalMb: mb(after.heapTotal) };
  } finally {
    await stopProcess(bridge.child);
  }
}

/** Latency (c=1, c=16) and throughput (c=16, c=64) of the forward-only ceiling server, per direction. */
async function measureCeiling(fakes: BenchFakes): Promise<Record<string, number>> {
  const server = await startBridge(bridgeEnv(fakes, 'postgres://unused', 1), 'ceiling-child');
  const out: Record<string, number> = {};
  try {
    const chats = Array.from({ length: SIZES.chats }, (_, i) => 1_000_000 + i);
    const visitors = chats.map((c) => `v-${c}`);
    for (const [dir, make] of [
      ['telegram→webim', telegramTraffic(server.url, chats)],
      ['webim→telegram', webimTraffic(server.url, visitors)],
    ] as const) {
      await runLoad(300, 8, make);
      for (const c of [1, 16]) out[`latency ${dir} c=${c}`] = percentile((await runLoad(SIZES.latency, c, make)).latenciesMs, 50);
      for (const c of [16, 64]) {
        const r = await runLoad(SIZES.throughput, c, make);
        out[`throughput ${dir} c=${c}`] = (r.latenciesMs.length / r.elapsedMs) * 1000;
      }
    }
  } finally {
    await stopProcess(server.child);
    fakes.visitors.clear(); // the bridge's own visitors are counted next
    fakes.webimIds.clear();
  }
  progress('forward-only ceiling measured');
  return out;
}

interface Figure {
  figure: string;
  measured: string;
  target: string;
  ok?: boolean;
}

async function main() {
  const startedAt = new Date();
  mkdirSync(RESULTS, { recursive: true });
  rmSync(BUILD, { recursive: true, force: true });
  // Each run starts its processes' logs afresh (they append: several processes share one file).
  for (const log of ['bridge-child.log', 'ceiling-child.log']) rmSync(path.join(RESULTS, log), { force: true });
  const database = await openDatabase();
  const fakes = await startBenchFakes(SSM_PREFIX);
  say(
    `bench: ${SMOKE ? 'SMOKE run (small counts, timings not meaningful)' : 'full run'} on ${database.kind}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), Node ${process.version}`,
  );

  const setupDb = new Database({ url: database.url, max: 1 });
  await migrate(setupDb, await readMigrations());
  await setupDb.close();

  // Baseline: what an empty Node HTTP server in its own process manages on this machine with the
  // same load generator — the ceiling any Node service here can reach.
  const loadParts = ['latency', 'throughput', 'memory', 'duplicates', 'lambda-like'].some(runs);
  const baseline = spawn(
    process.execPath,
    [
      '-e',
      "const s=require('http').createServer((q,r)=>{q.resume();q.on('end',()=>r.end('{}'))});s.keepAliveTimeout=60000;s.listen(0,'127.0.0.1',()=>console.log(s.address().port))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const baselinePort = await new Promise<string>((resolve) => createInterface({ input: baseline.stdout }).once('line', resolve));
  const baselineUrl = new URL(`http://127.0.0.1:${baselinePort}/`);
  await runLoad(500, 16, () => ({ url: baselineUrl, body: '{}', headers: {} }));
  const base = await runLoad(SIZES.throughput, 16, () => ({ url: baselineUrl, body: '{}', headers: {} }));
  baseline.kill();
  const baseRate = (base.latenciesMs.length / base.elapsedMs) * 1000;

  // The forward-only ceiling on the same fakes and load generator: no database, nothing else.
  const ceiling = loadParts ? await measureCeiling(fakes) : {};
  const ofCeiling = (key: string, value: number, lowerIsBetter: boolean) => {
    const c = ceiling[key];
    if (!c) return '';
    return ` (${Math.round((lowerIsBetter ? c / value : value / c) * 100)}% of ceiling)`;
  };

  const figures: Figure[] = [];
  const raw: Record<string, unknown> = { ceiling };
  // The embedded database serves one connection: a second bridge process must wait for the first to stop.
  const embedded = database.poolMax === 1;
  const lambdaMemory = async (chats: number[], visitors: string[]) => {
    const lambda = await lambdaProcessMemory(fakes, database.url, chats, visitors);
    figures.push({
      figure: `peak RSS, one Lambda-like process relaying ${SIZES.rss} messages`,
      measured: `${lambda.peakMb.toFixed(1)} MB (after start and warm-up ${lambda.warmMb.toFixed(1)} MB, V8 heap ${lambda.heapUsedMb.toFixed(1)} MB used of ${lambda.heapTotalMb.toFixed(1)} MB committed after)`,
      target: '≤ 128 MB',
      ok: lambda.peakMb <= 128,
    });
    raw.lambdaPeakRssMb = lambda.peakMb;
  };
  let afterBridge: (() => Promise<void>) | undefined;
  const bridge = loadParts ? await startBridge(bridgeEnv(fakes, database.url, database.poolMax)) : undefined;
  if (bridge)
    try {
      // Register the chats (first contact creates the mappings), then learn their visitor ids.
      const chats = Array.from({ length: SIZES.chats }, (_, i) => 1_000_000 + i);
      await runLoad(chats.length, 8, telegramTraffic(bridge.url, chats));
      // (Read from what Webim received: the embedded database takes one connection, the bridge's.)
      const visitors = [...fakes.visitors];
      if (visitors.length !== chats.length) throw new Error(`expected ${chats.length} visitors, Webim saw ${visitors.length}`);
      // Warm up the process (JIT, connections).
      await runLoad(200, 8, telegramTraffic(bridge.url, chats));
      await runLoad(200, 8, webimTraffic(bridge.url, visitors));

      progress('chats registered, process warm');
      const latency: Record<string, LoadResult> = {};
      if (runs('latency'))
        for (const [dir, make] of [
          ['telegram→webim', telegramTraffic(bridge.url, chats)],
          ['webim→telegram', webimTraffic(bridge.url, visitors)],
        ] as const) {
          for (const c of [1, 16]) {
            const before = await bridgeStats(bridge.url);
            const walBefore = c === 1 ? await walSyncs(database.url, embedded) : undefined;
            const r = await runLoad(SIZES.latency, c, make);
            const walAfter = c === 1 ? await walSyncs(database.url, embedded) : undefined;
            const after = await bridgeStats(bridge.url);
            latency[`${dir} c=${c}`] = r;
            const p50 = percentile(r.latenciesMs, 50);
            const p99 = percentile(r.latenciesMs, 99);
            const target = c === 1 ? 'p50 ≤ 2 ms, p99 ≤ 10 ms' : '(context)';
            figures.push({
              figure: `latency ${dir}, c=${c} (p50 / p99)`,
              measured: `${p50.toFixed(2)} / ${p99.toFixed(2)} ms${ofCeiling(`latency ${dir} c=${c}`, p50, true)}`,
              target,
              ok: c === 1 ? p50 <= 2 && p99 <= 10 && okShare(r) === 1 : undefined,
            });
            if (c === 1) {
              const perMessage = (after.queries - before.queries) / SIZES.latency;
              figures.push({
                figure: `DB round trips per message, ${dir}`,
                measured: perMessage.toFixed(2),
                target: '≤ 2',
                ok: perMessage <= 2,
              });
              if (walBefore !== undefined && walAfter !== undefined) {
                const flushes = (walAfter - walBefore) / SIZES.latency;
                figures.push({
                  figure: `durable commits (WAL flushes) per message, ${dir}`,
                  measured: flushes.toFixed(2),
                  target: '≤ 1',
                  ok: flushes <= 1,
                });
              }
            }
          }
        }
      raw.latency = Object.fromEntries(
        Object.entries(latency).map(([k, r]) => [
          k,
          {
            count: r.latenciesMs.length,
            statuses: r.statuses,
            p50: percentile(r.latenciesMs, 50),
            p90: percentile(r.latenciesMs, 90),
            p99: percentile(r.latenciesMs, 99),
            max: Math.max(...r.latenciesMs),
          },
        ]),
      );

      progress('latency measured');
      const throughput: Record<string, number> = {};
      if (runs('throughput'))
        for (const c of [16, 64]) {
          for (const [dir, make] of [
            ['telegram→webim', telegramTraffic(bridge.url, chats)],
            ['webim→telegram', webimTraffic(bridge.url, visitors)],
          ] as const) {
            const r = await runLoad(SIZES.throughput, c, make);
            const rate = (r.latenciesMs.length / r.elapsedMs) * 1000;
            throughput[`${dir} c=${c}`] = rate;
            const target = c === 64 ? `≥ ${Math.round(BEFORE_C64[dir] * 1.5)} msg/s (1.5× before) and ≥ c=16` : '(context)';
            const ok =
              c === 64 ? rate >= BEFORE_C64[dir] * 1.5 && rate >= (throughput[`${dir} c=16`] ?? 0) * 0.97 && okShare(r) === 1 : undefined;
            figures.push({
              figure: `throughput ${dir}, c=${c}`,
              measured: `${Math.round(rate)} msg/s${ofCeiling(`throughput ${dir} c=${c}`, rate, false)}`,
              target,
              ok,
            });
          }
        }
      for (const dir of ['telegram→webim', 'webim→telegram']) {
        figures.push({
          figure: `forward-only ceiling ${dir} (no database)`,
          measured: `p50 ${ceiling[`latency ${dir} c=1`]?.toFixed(2)} ms at c=1; ${Math.round(ceiling[`throughput ${dir} c=16`] ?? 0)} / ${Math.round(ceiling[`throughput ${dir} c=64`] ?? 0)} msg/s at c=16 / 64`,
          target: "(context: the machine's limit for this work)",
        });
      }
      figures.push({
        figure: 'context: empty Node HTTP server, c=16',
        measured: `${Math.round(baseRate)} req/s, p50 ${percentile(base.latenciesMs, 50).toFixed(2)} ms`,
        target: '(machine ceiling, no target)',
      });
      raw.throughput = { ...throughput, emptyServerC16: baseRate };

      progress('throughput measured');
      if (runs('memory')) {
        const atRest = await bridgeStats(bridge.url, true);
        const half = Math.floor(SIZES.rss / 2);
        await Promise.all([
          runLoad(half, 8, telegramTraffic(bridge.url, chats)),
          runLoad(SIZES.rss - half, 8, webimTraffic(bridge.url, visitors)),
        ]);
        const mem = await bridgeStats(bridge.url);
        const peakMb = mem.peakRss / 1024 / 1024;
        figures.push({
          figure: `peak RSS, the local server relaying ${SIZES.rss} messages after the c=64 phase`,
          measured: `${peakMb.toFixed(1)} MB (before the load ${(atRest.rss / 1024 / 1024).toFixed(1)} MB, V8 heap ${(mem.heapUsed / 1024 / 1024).toFixed(1)} MB used of ${(mem.heapTotal / 1024 / 1024).toFixed(1)} MB committed after)`,
          target: '(stress context: one process, 64 in flight)',
        });
        raw.peakRssMb = peakMb;
        if (embedded) afterBridge = () => lambdaMemory(chats, visitors);
        else await lambdaMemory(chats, visitors);
      }

      if (runs('duplicates')) {
        const dupBody = updateBody(chats[0] as number, TEXT);
        const dupId = `tg-${chats[0]}-${nextUpdateId - 1}`;
        const dup = await runLoad(SIZES.duplicates, SIZES.duplicates, () => ({
          url: new URL(`${bridge.url}/telegram-webhook`),
          headers: { 'x-telegram-bot-api-secret-token': secrets.TELEGRAM_WEBHOOK_SECRET },
          body: dupBody,
        }));
        // Redeliver the ones that were told "in progress" (503), as Telegram would.
        const retry = await runLoad(5, 1, () => ({
          url: new URL(`${bridge.url}/telegram-webhook`),
          headers: { 'x-telegram-bot-api-secret-token': secrets.TELEGRAM_WEBHOOK_SECRET },
          body: dupBody,
        }));
        const deliveries = fakes.webimIds.get(dupId) ?? 0;
        figures.push({
          figure: `same update sent ${SIZES.duplicates}× concurrently`,
          measured: `${deliveries} Webim delivery (answers: ${JSON.stringify(dup.statuses)}, then ${JSON.stringify(retry.statuses)})`,
          target: 'exactly 1',
          ok: deliveries === 1,
        });
        raw.duplicates = { deliveries, statuses: dup.statuses };
      }

      // Lambda-like: several bridge processes with one database connection each.
      progress('single process done; Lambda-like processes next');
      if (runs('lambda-like') && embedded) {
        figures.push({
          figure: `throughput, c=64, ${LAMBDA_PROCESSES} processes × 1 connection`,
          measured: 'skipped: the embedded database serves one connection (set BENCH_DATABASE_URL to a PostgreSQL server)',
          target: '(Lambda-like, context)',
        });
      } else if (runs('lambda-like')) {
        const lambdaLike = await Promise.all(
          Array.from({ length: LAMBDA_PROCESSES }, () => startBridge(bridgeEnv(fakes, database.url, 1))),
        );
        try {
          const urls = lambdaLike.map((b) => b.url);
          await runLoad(200, 16, telegramTraffic(urls, chats));
          for (const [dir, make] of [
            ['telegram→webim', telegramTraffic(urls, chats)],
            ['webim→telegram', webimTraffic(urls, visitors)],
          ] as const) {
            const r = await runLoad(SIZES.throughput, 64, make);
            const rate = (r.latenciesMs.length / r.elapsedMs) * 1000;
            (raw.lambdaLike ??= {} as Record<string, number>) && ((raw.lambdaLike as Record<string, number>)[dir] = rate);
            // Answers other than 200 are replies held back for an earlier one of the same chat (503): order per chat at work.
            figures.push({
              figure: `throughput ${dir}, c=64, ${LAMBDA_PROCESSES} processes × 1 connection`,
              measured: `${Math.round(rate)} msg/s, p50 ${percentile(r.latenciesMs, 50).toFixed(1)} ms, answers ${JSON.stringify(r.statuses)}${ofCeiling(`throughput ${dir} c=64`, rate, false)}`,
              target: '(Lambda-like, context)',
            });
          }
        } finally {
          await Promise.all(lambdaLike.map((b) => stopProcess(b.child)));
        }
      }

      if (runs('latency'))
        writeFileSync(
          path.join(RESULTS, 'latency.svg'),
          latencyChartSvg(`Bridge latency per request, ${database.kind}, concurrency 16 (${SIZES.latency} requests each)`, [
            { label: 'Telegram → Webim', color: '#2aabee', latenciesMs: latency['telegram→webim c=16']?.latenciesMs ?? [] },
            { label: 'Webim → Telegram', color: '#ff7a1a', latenciesMs: latency['webim→telegram c=16']?.latenciesMs ?? [] },
          ]),
        );
    } finally {
      await stopProcess(bridge.child);
    }
  await afterBridge?.();

  // Bundles and cold starts need the database's single embedded connection free.
  progress('load done');
  if (runs('files')) {
    const files = await fileMemory(database.url);
    figures.push({
      figure: 'peak RSS relaying files (20 MB user → desk, 45 MB operator → user)',
      measured: `${files.peakMb.toFixed(1)} MB (idle ${files.idleMb.toFixed(1)} MB; ${(files.bytesServed / 1048576).toFixed(1)} MB served, ${(files.bytesUploaded / 1048576).toFixed(1)} MB uploaded)`,
      target: '(context: growth vs 65 MB relayed)',
      ok: files.bytesServed > 19 * 1048576 && files.bytesUploaded === 45 * 1048576 ? undefined : false,
    });
    figures.push({
      figure: 'file link served (100 KB photo: verify, getFile, stream), p50 / p99',
      measured: `${files.linkP50Ms.toFixed(2)} / ${files.linkP99Ms.toFixed(2)} ms`,
      target: '(context)',
    });
    raw.fileMemory = files;
    progress('file relay measured');
  }
  if (runs('bundles') || runs('cold-start')) {
    const bundles = await buildBundles();
    progress('bundles built');
    for (const b of bundles) {
      figures.push({
        figure: `bundle ${b.name} (minified / zipped)`,
        measured: `${b.minifiedKiB.toFixed(1)} KiB / ${b.zippedKiB.toFixed(1)} KiB`,
        target: '≤ 250 KB zipped',
        ok: b.zippedKiB * 1.024 <= 250,
      });
    }
    raw.bundles = bundles;
  }
  if (runs('cold-start')) {
    const cold = await coldStarts(fakes, database.url, SIZES.coldStarts);
    const coldMs = percentile(
      cold.map((c) => c.firstMs),
      50,
    );
    const med = (f: (c: (typeof cold)[number]) => number) => percentile(cold.map(f), 50);
    figures.push({
      figure: `cold start: new process → first answer (median of ${cold.length})`,
      measured: `${coldMs.toFixed(0)} ms = Node boot ${med((c) => c.bootMs).toFixed(0)} + load ${med((c) => c.loadedMs - c.bootMs).toFixed(0)} + first request ${med((c) => c.firstMs - c.loadedMs).toFixed(0)} (warm: ${med((c) => c.warmMs).toFixed(1)})`,
      target: '≤ 150 ms',
      ok: coldMs <= 150 && cold.every((c) => c.statuses.every((s) => s === 200)),
    });
    const ssmCold = Math.max(...cold.map((c) => c.ssmCold));
    const ssmWarm = Math.max(...cold.map((c) => c.ssmWarm));
    figures.push({
      figure: 'SSM calls per cold start / per warm invocation',
      measured: `${ssmCold} / ${ssmWarm}`,
      target: '1 paged GetParametersByPath / 0',
      ok: ssmCold === 1 && ssmWarm === 0,
    });
    raw.coldStarts = cold;
  }

  await fakes.close();
  await database.close();

  const width = Math.max(...figures.map((f) => f.figure.length));
  const mwidth = Math.max(...figures.map((f) => f.measured.length));
  say('');
  say(`${'figure'.padEnd(width)}  ${'measured'.padEnd(mwidth)}  target`);
  say(`${'-'.repeat(width)}  ${'-'.repeat(mwidth)}  ${'-'.repeat(30)}`);
  for (const f of figures)
    say(
      `${f.figure.padEnd(width)}  ${f.measured.padEnd(mwidth)}  ${f.target}${SMOKE || f.ok === undefined ? '' : f.ok ? '  ✓' : '  ✗ MISSED'}`,
    );
  const result = {
    startedAt: startedAt.toISOString(),
    smoke: SMOKE,
    database: database.kind,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim(),
    node: process.version,
    sizes: SIZES,
    figures,
    raw,
  };
  writeFileSync(path.join(RESULTS, 'latest.json'), JSON.stringify(result, null, 2));
  say(`\nwrote bench/results/latest.json and bench/results/latency.svg`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
