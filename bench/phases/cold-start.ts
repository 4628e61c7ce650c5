/** Bundles as Lambda runs them (sizes), and cold starts: a fresh process to its first answer. */
import { spawn, spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import type { BenchFakes } from '../../fakes/bench-upstreams';
import { BUILD, RESULTS, ROOT, SSM_PREFIX, secrets } from '../harness';
import { LAMBDA_ESBUILD } from '../lambda-esbuild';

export const FUNCTIONS = ['telegram-webhook', 'webim-callback', 'files', 'admin', 'migrate', 'housekeeping'];

export async function buildBundles(): Promise<{ name: string; minifiedKiB: number; zippedKiB: number }[]> {
  const out: { name: string; minifiedKiB: number; zippedKiB: number }[] = [];
  for (const name of FUNCTIONS) {
    const dir = path.join(BUILD, name);
    // The same options serverless.yml gives serverless-esbuild.
    await build({
      entryPoints: [path.join(ROOT, 'functions', `${name}.ts`)],
      outfile: path.join(dir, 'functions', `${name}.js`),
      ...LAMBDA_ESBUILD,
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

export async function coldStarts(fakes: BenchFakes, databaseUrl: string, runs: number) {
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
