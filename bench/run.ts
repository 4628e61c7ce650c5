/**
 * `npm run bench`: what the bridge costs per message and how it scales.
 *
 * Drives the bridge through its real HTTP routes (the local server, in its own process) against
 * zero-latency fake Telegram, Webim and SSM servers, on embedded PGlite or on the PostgreSQL
 * server of BENCH_DATABASE_URL. BENCH_SMOKE=1 runs a few hundred messages only (CI); BENCH_ONLY
 * picks phases (ceiling, latency, throughput, memory, duplicates, lambda-like, files, bundles,
 * cold-start), each in bench/phases/. Prints a table of figures with their targets and writes
 * bench/results/latest.json + latency.svg.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startBenchFakes } from '../fakes/bench-upstreams';
import { Database } from '../lib/db/database';
import { migrate, readMigrations } from '../lib/db/migrate';
import {
  BUILD,
  bridgeEnv,
  type Figure,
  type LoadPhase,
  openDatabase,
  progress,
  RESULTS,
  runs,
  SIZES,
  SMOKE,
  SSM_PREFIX,
  say,
  startBridge,
  stopProcess,
  telegramTraffic,
  webimTraffic,
} from './harness';
import { percentile, runLoad } from './load';
import { measureCeiling } from './phases/ceiling';
import { buildBundles, type ColdRun, type ColdSteps, coldStarts, loadPhases, NETWORK, startSimulatedNetwork } from './phases/cold-start';
import { duplicatesPhase } from './phases/duplicates';
import { fileMemory } from './phases/files';
import { lambdaLikePhase } from './phases/lambda-like';
import { latencyPhase } from './phases/latency';
import { lambdaMemoryPhase, localServerMemoryPhase } from './phases/memory';
import { throughputPhase } from './phases/throughput';

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

  const { base, baseRate } = await emptyServerBaseline();
  const loadParts = ['latency', 'throughput', 'memory', 'duplicates', 'lambda-like'].some(runs);
  // The forward-only ceiling on the same fakes and load generator: no database, nothing else.
  const ceiling = loadParts ? await measureCeiling(fakes) : {};
  const ofCeiling = (key: string, value: number, lowerIsBetter: boolean) => {
    const c = ceiling[key];
    return c ? ` (${Math.round((lowerIsBetter ? c / value : value / c) * 100)}% of ceiling)` : '';
  };
  const figures: Figure[] = [];
  const raw: Record<string, unknown> = { ceiling };
  const embedded = database.poolMax === 1;
  let afterBridge: (() => Promise<void>) | undefined;

  const bridge = loadParts ? await startBridge(bridgeEnv(fakes, database.url, database.poolMax)) : undefined;
  if (bridge) {
    try {
      // Register the chats (first contact creates the mappings), then learn their visitor ids
      // (from what Webim received: the embedded database takes one connection, the bridge's).
      const chats = Array.from({ length: SIZES.chats }, (_, i) => 1_000_000 + i);
      await runLoad(chats.length, 8, telegramTraffic(bridge.url, chats));
      const visitors = [...fakes.visitors];
      if (visitors.length !== chats.length) throw new Error(`expected ${chats.length} visitors, Webim saw ${visitors.length}`);
      // Warm up the process (JIT, connections).
      await runLoad(200, 8, telegramTraffic(bridge.url, chats));
      await runLoad(200, 8, webimTraffic(bridge.url, visitors));
      progress('chats registered, process warm');

      const p: LoadPhase = { fakes, database, bridgeUrl: bridge.url, chats, visitors, figures, raw, ofCeiling, embedded };
      if (runs('latency')) await latencyPhase(p);
      progress('latency measured');
      await throughputPhase(p, { ceiling, base, baseRate, measure: runs('throughput') });
      progress('throughput measured');
      if (runs('memory')) {
        await localServerMemoryPhase(p);
        const lambda = () => lambdaMemoryPhase(fakes, database.url, chats, visitors, figures, raw);
        // On the embedded database the Lambda-like process waits until this one has stopped.
        if (embedded) afterBridge = lambda;
        else await lambda();
      }
      if (runs('duplicates')) await duplicatesPhase(p);
      progress('single process done; Lambda-like processes next');
      if (runs('lambda-like')) await lambdaLikePhase(p);
    } finally {
      await stopProcess(bridge.child);
    }
  }
  await afterBridge?.();

  // Bundles and cold starts need the database's single embedded connection free.
  progress('load done');
  if (runs('files')) await filesPhase(database.url, figures, raw);
  if (runs('bundles') || runs('cold-start')) await bundlesPhase(figures, raw);
  if (runs('cold-start')) await coldStartPhase(fakes, database.url, figures, raw);

  await fakes.close();
  await database.close();
  report(startedAt, database.kind, figures, raw);
}

/** What an empty Node HTTP server in its own process manages here with the same load generator. */
async function emptyServerBaseline() {
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
  return { base, baseRate: (base.latenciesMs.length / base.elapsedMs) * 1000 };
}

async function filesPhase(databaseUrl: string, figures: Figure[], raw: Record<string, unknown>) {
  const files = await fileMemory(databaseUrl);
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

async function bundlesPhase(figures: Figure[], raw: Record<string, unknown>) {
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

/** The median of one figure over cold runs. */
const med = (runs: ColdRun[], f: (c: ColdRun) => number) => percentile(runs.map(f), 50);

async function coldStartPhase(
  fakes: Parameters<typeof coldStarts>[0],
  databaseUrl: string,
  figures: Figure[],
  raw: Record<string, unknown>,
) {
  const loads = await loadPhases(SIZES.loadPhases);
  figures.push({
    figure: `load phase alone: importing the webhook bundle, no INIT work (median of ${loads.length})`,
    measured: `${percentile(loads, 50).toFixed(1)} ms (min ${Math.min(...loads).toFixed(1)})`,
    target: '(context: on the critical path of every cold start)',
  });
  raw.loadPhases = loads;
  const cold = await coldStarts(fakes, databaseUrl, SIZES.coldStarts);
  const coldMs = med(cold, (c) => c.firstMs);
  figures.push({
    figure: `cold start on loopback (no latency): new process → first answer (median of ${cold.length})`,
    measured: `${coldMs.toFixed(0)} ms = Node boot ${med(cold, (c) => c.bootMs).toFixed(0)} + load ${med(cold, (c) => c.loadedMs - c.bootMs).toFixed(0)} + first request ${med(cold, (c) => c.firstMs - c.loadedMs).toFixed(0)} (warm: ${med(cold, (c) => c.warmMs).toFixed(1)})`,
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
  progress('cold starts on loopback measured');

  const network = await startSimulatedNetwork(fakes, databaseUrl);
  if (!network) {
    figures.push({ figure: 'cold path on a simulated network', measured: 'skipped: no openssl to make a certificate', target: '' });
    return;
  }
  try {
    const sim = await coldStarts(fakes, databaseUrl, SIZES.coldStarts, network);
    simulatedFigures(figures, sim, '');
    progress('cold path on the simulated network measured');
    const early = await coldStarts(fakes, databaseUrl, SIZES.coldStarts, network, { webimInEnv: true });
    simulatedFigures(figures, early, ", Webim's address in the environment (--param webimApiUrl)");
    raw.coldPath = { network: NETWORK, runs: sim, webimInEnv: early };
    progress("cold path with Webim's address in the environment measured");
  } finally {
    await network.close();
  }
}

/** The cold path's figures on the simulated network: the whole first answer, the first invocation against a warm one, the steps. */
function simulatedFigures(figures: Figure[], sim: ColdRun[], variant: string) {
  const first = med(sim, (c) => c.firstMs);
  const warm = med(sim, (c) => c.warmMs);
  const n = NETWORK;
  const invocation = med(sim, (c) => c.firstMs - c.loadedMs);
  figures.push({
    figure: `cold path, simulated network (DB ${n.dbRttMs} ms RTT + TLS; SSM ${n.ssmRttMs}+${n.ssmServiceMs} ms; Telegram ${n.telegramRttMs}+${n.telegramServiceMs}, Webim ${n.webimRttMs}+${n.webimServiceMs} ms; HTTPS)${variant}: new process → first answer (median of ${sim.length})`,
    measured: `${first.toFixed(0)} ms = boot ${med(sim, (c) => c.bootMs).toFixed(0)} + load and INIT ${med(sim, (c) => c.loadedMs - c.bootMs).toFixed(0)} + first invocation ${invocation.toFixed(0)}`,
    target: '(context: the figure a user waits for)',
    ok: sim.every((c) => c.statuses.every((s) => s === 200)) ? undefined : false,
  });
  figures.push({
    figure: `cold path, simulated network${variant}: first invocation after INIT vs a warm one`,
    measured: `${invocation.toFixed(0)} ms vs ${warm.toFixed(0)} ms warm (+${med(sim, (c) => c.firstMs - c.loadedMs - c.warmMs).toFixed(0)} ms)`,
    target: '≤ warm + 30 ms',
    ok: med(sim, (c) => c.firstMs - c.loadedMs - c.warmMs) <= 30,
  });
  const at = (f: (s: ColdSteps) => [number, number] | undefined) => {
    const xs = sim.map((c) => (c.steps ? f(c.steps) : undefined)).filter((x): x is [number, number] => !!x);
    return xs.length
      ? `${percentile(
          xs.map((x) => x[0]),
          50,
        ).toFixed(0)}→${percentile(
          xs.map((x) => x[1]),
          50,
        ).toFixed(0)}`
      : '—';
  };
  figures.push({
    figure: `cold path steps${variant} (median ms after process start, start→end)`,
    measured: [
      `load done ${med(sim, (c) => c.loadedMs).toFixed(0)}`,
      `SSM ${at((s) => s.ssm)}`,
      `DB connect ${at((s) => s.dbConnect)}`,
      `DB statements sent at ${sendTimes(sim)}`,
      `Telegram connect ${at((s) => s.telegramConnect)}`,
      `Webim connect ${at((s) => s.webimConnect)}`,
      `Webim post ${at((s) => s.webimPost)} (${Math.max(...sim.map((c) => c.steps?.webimConnections ?? 0))} connection(s))`,
      `answer ${first.toFixed(0)}`,
    ].join(' · '),
    target: '(context)',
  });
}

/** The median send time of each database statement of the first request ("a, b, c"), over the runs that sent as many. */
function sendTimes(runs: ColdRun[]): string {
  const counts = runs.map((c) => c.steps?.dbSends.length ?? 0);
  const n = percentile(counts, 50);
  const same = runs.filter((c) => c.steps?.dbSends.length === n);
  return (
    Array.from({ length: n }, (_, i) =>
      percentile(
        same.map((c) => c.steps?.dbSends[i] ?? 0),
        50,
      ).toFixed(0),
    ).join(', ') || '—'
  );
}

function report(startedAt: Date, databaseKind: string, figures: Figure[], raw: Record<string, unknown>) {
  const width = Math.max(...figures.map((f) => f.figure.length));
  const mwidth = Math.max(...figures.map((f) => f.measured.length));
  say('');
  say(`${'figure'.padEnd(width)}  ${'measured'.padEnd(mwidth)}  target`);
  say(`${'-'.repeat(width)}  ${'-'.repeat(mwidth)}  ${'-'.repeat(30)}`);
  for (const f of figures) {
    say(
      `${f.figure.padEnd(width)}  ${f.measured.padEnd(mwidth)}  ${f.target}${SMOKE || f.ok === undefined ? '' : f.ok ? '  ✓' : '  ✗ MISSED'}`,
    );
  }
  const result = {
    startedAt: startedAt.toISOString(),
    smoke: SMOKE,
    database: databaseKind,
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
