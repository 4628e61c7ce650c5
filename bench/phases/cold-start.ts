/** Bundles as Lambda runs them (sizes), and cold starts: a fresh process to its first answer. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import type { BenchFakes } from '../../fakes/bench-upstreams';
import { makeThrowawayCertificate } from '../../fakes/certificate';
import { BUILD, RESULTS, ROOT, SSM_PREFIX, secrets } from '../harness';
import { LAMBDA_ESBUILD, LAMBDA_OUTPUT_EXTENSION } from '../lambda-esbuild';
import { type LatencyProxy, startLatencyProxy } from '../latency-proxy';

export const FUNCTIONS = ['telegram-webhook', 'webim-callback', 'files', 'admin', 'migrate', 'housekeeping'];

export async function buildBundles(): Promise<{ name: string; minifiedKiB: number; zippedKiB: number }[]> {
  const out: { name: string; minifiedKiB: number; zippedKiB: number }[] = [];
  for (const name of FUNCTIONS) {
    const dir = path.join(BUILD, name);
    // The same options serverless.yml gives serverless-esbuild.
    const js = path.join(dir, 'functions', `${name}${LAMBDA_OUTPUT_EXTENSION}`);
    await build({
      entryPoints: [path.join(ROOT, 'functions', `${name}.ts`)],
      outfile: js,
      ...LAMBDA_ESBUILD,
      logLevel: 'error',
    });
    // Like the Lambda package root: no "type": "module" above the bundle (the extension decides).
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

/** What one cold container did: times in ms after its process started (performance.now() there). */
export interface ColdRun {
  bootMs: number;
  loadedMs: number;
  firstMs: number;
  warmMs: number;
  ssmCold: number;
  ssmWarm: number;
  statuses: number[];
  /** On the simulated network: each upstream's part of the first request, as the proxies saw it. */
  steps?: ColdSteps;
}

/** Intervals in ms after process start (undefined: the upstream was not contacted before the first answer). */
export interface ColdSteps {
  ssm?: [number, number];
  /** Connection accepted → first statement (TCP, TLS, authentication). */
  dbConnect?: [number, number];
  /** First statement → last reply before the answer. */
  dbStatements?: [number, number];
  /** Statements (round trips) before the first answer. */
  dbRoundTrips: number;
  /** When each of them was sent. */
  dbSends: number[];
  /** Connection accepted → TLS done. */
  webimConnect?: [number, number];
  webimPost?: [number, number];
  /** Connections to Webim before the first answer (1: the warm one was used). */
  webimConnections: number;
  telegramConnect?: [number, number];
}

/**
 * `runs` cold containers of the webhook function. On the simulated network `webimInEnv` puts
 * Webim's address in the function's environment, as the deploy parameter `webimApiUrl` does.
 */
export async function coldStarts(
  fakes: BenchFakes,
  databaseUrl: string,
  runs: number,
  network?: SimulatedNetwork,
  options: { webimInEnv?: boolean } = {},
): Promise<ColdRun[]> {
  // On the simulated network the settings come from SSM, as on a deployed stage (serverless.yml
  // puts none of them in the environment), but for the database's CA file and Telegram's address.
  for (const key of Object.keys(fakes.ssmParameters)) delete fakes.ssmParameters[key];
  Object.assign(fakes.ssmParameters, {
    ...secrets,
    WEBIM_API_URL: network?.webimUrl ?? fakes.webimUrl,
    ...(network ? { DATABASE_URL: network.databaseUrl } : { TELEGRAM_API_BASE: fakes.telegramUrl }),
  });
  if (network) Object.assign(fakes.serviceMs, network.serviceMs);
  // BENCH_COLD_BUNDLE: another build of the webhook function (an earlier commit's, say) to compare.
  const bundle = process.env.BENCH_COLD_BUNDLE || WEBHOOK_BUNDLE;
  const results: ColdRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const before = fakes.ssmCalls.length;
      const seen = network?.mark();
      // Asynchronously: the fake upstreams live in this process and must keep answering.
      const profile =
        process.env.BENCH_PROFILE === '1' && i === runs - 1
          ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${path.join(RESULTS, 'profile-cold')}`]
          : [];
      const run = await spawnAsync(process.execPath, [...profile, path.join(ROOT, 'bench', 'cold-start-child.cjs'), bundle], {
        env: {
          PATH: process.env.PATH,
          SSM_PREFIX,
          // Telegram's address is known without SSM (on AWS the default, https://api.telegram.org).
          ...(network
            ? {
                DATABASE_CA_FILE: network.caFile,
                NODE_EXTRA_CA_CERTS: network.caFile,
                TELEGRAM_API_BASE: network.telegramUrl,
                ...(options.webimInEnv ? { WEBIM_API_URL: network.webimUrl } : {}),
              }
            : { DATABASE_URL: databaseUrl }),
          AWS_REGION: 'eu-central-1',
          AWS_ACCESS_KEY_ID: 'bench',
          AWS_SECRET_ACCESS_KEY: 'bench',
          AWS_ENDPOINT_URL_SSM: network?.ssmUrl ?? fakes.ssmUrl,
          STAGE: 'bench',
          // As Lambda sets it: the function warms up during INIT (Runtime.warmUpOnLambda).
          AWS_LAMBDA_FUNCTION_NAME: 'bench-telegram-webhook',
          BENCH_WEBHOOK_SECRET: secrets.TELEGRAM_WEBHOOK_SECRET,
          BENCH_UPDATE_ID: String(800_000_000 + (network ? 5_000 : 0) + (options.webimInEnv ? 10_000 : 0) + i * 10),
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
      const r = JSON.parse(run.stdout.trim().split('\n').pop() as string) as Omit<ColdRun, 'ssmCold' | 'ssmWarm' | 'steps'> & {
        startedAt: number;
        firstDoneAt: number;
      };
      const calls = fakes.ssmCalls.slice(before);
      const steps = network && seen ? network.steps(seen, r.startedAt, r.startedAt + r.firstMs) : undefined;
      results.push({
        bootMs: r.bootMs,
        loadedMs: r.loadedMs,
        firstMs: r.firstMs,
        warmMs: r.warmMs,
        statuses: r.statuses,
        ssmCold: calls.filter((t) => t <= r.firstDoneAt).length,
        ssmWarm: calls.filter((t) => t > r.firstDoneAt).length,
        ...(steps ? { steps } : {}),
      });
    }
  } finally {
    Object.assign(fakes.serviceMs, { ssm: 0, telegram: 0, webim: 0 });
  }
  return results;
}

/**
 * The load phase alone: a fresh process imports the webhook bundle, with no INIT work (it is not
 * on Lambda, so nothing warms up), `runs` times; each figure is ms from boot to loaded.
 */
export async function loadPhases(runs: number): Promise<number[]> {
  const bundle = process.env.BENCH_COLD_BUNDLE || WEBHOOK_BUNDLE;
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await spawnAsync(process.execPath, [path.join(ROOT, 'bench', 'cold-start-child.cjs'), bundle], {
      env: { PATH: process.env.PATH, BENCH_LOAD_ONLY: '1', LOG_LEVEL: 'warn' },
    });
    if (run.status !== 0) throw new Error(`load phase run failed (${run.status ?? run.signal}): ${run.stderr.slice(0, 2000)}`);
    const r = JSON.parse(run.stdout.trim().split('\n').pop() as string) as { bootMs: number; loadedMs: number };
    out.push(r.loadedMs - r.bootMs);
  }
  return out;
}

/** The bundle the cold starts load (the webhook function, as Lambda runs it). */
export const WEBHOOK_BUNDLE = path.join(BUILD, 'telegram-webhook', 'functions', `telegram-webhook${LAMBDA_OUTPUT_EXTENSION}`);

/**
 * Round-trip times and service times of the simulated in-region network (ms). Defaults: the
 * figures in docs/performance.md ("The cold path"); each can be set with BENCH_NET_<NAME>.
 */
export const NETWORK = {
  dbRttMs: num('BENCH_NET_DB_RTT_MS', 1),
  ssmRttMs: num('BENCH_NET_SSM_RTT_MS', 2),
  ssmServiceMs: num('BENCH_NET_SSM_SERVICE_MS', 25),
  telegramRttMs: num('BENCH_NET_TELEGRAM_RTT_MS', 40),
  telegramServiceMs: num('BENCH_NET_TELEGRAM_SERVICE_MS', 10),
  webimRttMs: num('BENCH_NET_WEBIM_RTT_MS', 40),
  webimServiceMs: num('BENCH_NET_WEBIM_SERVICE_MS', 10),
};

function num(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(v) && v >= 0 ? v : fallback;
}

export type SimulatedNetwork = Awaited<ReturnType<typeof startSimulatedNetwork>>;

/**
 * Latency proxies, terminating TLS with a throwaway certificate, in front of the fakes and the
 * database. Undefined when no certificate can be made here (no openssl).
 */
export async function startSimulatedNetwork(fakes: BenchFakes, databaseUrl: string) {
  const dir = path.join(BUILD, 'tls');
  mkdirSync(dir, { recursive: true });
  const made = makeThrowawayCertificate({ dir, commonName: 'bench', altNames: 'IP:127.0.0.2,DNS:localhost', days: 2 });
  if (!made) return undefined;
  const tls = { key: made.key, cert: made.cert };
  const cert = made.certFile;
  const target = (url: string) => {
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port) };
  };
  const db = new URL(databaseUrl);
  const proxies = {
    db: await startLatencyProxy({
      target: { host: db.hostname, port: Number(db.port || 5432) },
      rttMs: NETWORK.dbRttMs,
      tls,
      postgres: true,
    }),
    ssm: await startLatencyProxy({ target: target(fakes.ssmUrl), rttMs: NETWORK.ssmRttMs, tls }),
    telegram: await startLatencyProxy({ target: target(fakes.telegramUrl), rttMs: NETWORK.telegramRttMs, tls }),
    webim: await startLatencyProxy({ target: target(fakes.webimUrl), rttMs: NETWORK.webimRttMs, tls }),
  };
  const proxied = new URL(databaseUrl);
  proxied.hostname = proxies.db.host;
  proxied.port = String(proxies.db.port);
  proxied.searchParams.delete('sslmode'); // verify-full, the production default
  const https = (p: LatencyProxy) => `https://${p.host}:${p.port}`;
  const webimPath = new URL(fakes.webimUrl).pathname;
  type Mark = Record<keyof typeof proxies, number>;
  const interval = (a: number | undefined, b: number | undefined, t0: number): [number, number] | undefined =>
    a === undefined || b === undefined ? undefined : [a - t0, b - t0];
  return {
    databaseUrl: proxied.toString(),
    ssmUrl: https(proxies.ssm),
    telegramUrl: https(proxies.telegram),
    webimUrl: `${https(proxies.webim)}${webimPath}`,
    caFile: cert,
    serviceMs: { ssm: NETWORK.ssmServiceMs, telegram: NETWORK.telegramServiceMs, webim: NETWORK.webimServiceMs },
    /** Where each proxy's list of connections stands now. */
    mark: (): Mark => ({
      db: proxies.db.connections.length,
      ssm: proxies.ssm.connections.length,
      telegram: proxies.telegram.connections.length,
      webim: proxies.webim.connections.length,
    }),
    /** The first request's steps, from the connections opened since `mark`, up to `until` (epoch ms). */
    steps(mark: Mark, startedAt: number, until: number): ColdSteps {
      const first = (name: keyof typeof proxies) => proxies[name].connections.slice(mark[name])[0];
      const ssm = first('ssm');
      const db = first('db');
      const webim = first('webim');
      const telegram = first('telegram');
      const dbSends = db?.sends.filter((t) => t <= until) ?? [];
      const webimSends = webim?.sends.filter((t) => t <= until) ?? [];
      return {
        ssm: interval(ssm?.acceptedAt, ssm?.lastReplyAt !== undefined && ssm.lastReplyAt <= until ? ssm.lastReplyAt : undefined, startedAt),
        dbConnect: interval(db?.acceptedAt, db?.firstStatementAt, startedAt),
        dbStatements: interval(db?.firstStatementAt, dbSends.at(-1), startedAt),
        dbRoundTrips: dbSends.length,
        dbSends: dbSends.map((t) => t - startedAt),
        webimConnect: interval(webim?.acceptedAt, webim?.secureAt, startedAt),
        webimConnections: proxies.webim.connections.slice(mark.webim).filter((c) => c.acceptedAt <= until).length,
        webimPost: interval(webimSends[0], webimSends[0] === undefined ? undefined : until, startedAt),
        telegramConnect: interval(telegram?.acceptedAt, telegram?.secureAt, startedAt),
      };
    },
    async close() {
      for (const p of Object.values(proxies)) await p.close();
    },
  };
}

export function spawnAsync(
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
