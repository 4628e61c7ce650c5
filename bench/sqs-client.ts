/**
 * Which SQS client the callback function should use, by measurement: a fresh Node process (as a
 * Lambda cold start) loads the client and sends one SendMessage to a loopback SQS endpoint, for
 * - the AWS SDK v3 client bundled into the function (as serverless-esbuild would),
 * - the same client left external (taken from node_modules, as Lambda's runtime provides it),
 * - the bridge's own SigV4 call (lib/queue/sqs.ts on lib/aws/signed-json.ts).
 * Prints the median of BENCH_RUNS runs (default 9) per variant and the bundle sizes.
 * Run: npx tsx bench/sqs-client.ts
 */
import { spawn } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'bench', '.build', 'sqs-client');
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

const variants = [
  { name: 'AWS SDK client, bundled', entry: 'sdk-entry.ts', external: [] as string[] },
  { name: 'AWS SDK client, external (runtime-provided)', entry: 'sdk-entry.ts', external: ['@aws-sdk/*', '@smithy/*'] },
  { name: 'SigV4 call on the bridge HTTP client', entry: 'sigv4-entry.ts', external: [] as string[] },
];

async function main() {
  mkdirSync(OUT, { recursive: true });
  // A loopback SQS that answers every SendMessage.
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end('{"MessageId":"m-1","MD5OfMessageBody":"x","SequenceNumber":"1"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const bundles = [];
  for (const [i, v] of variants.entries()) {
    const outfile = path.join(OUT, `variant-${i}.mjs`);
    await build({
      entryPoints: [path.join(ROOT, 'bench', 'sqs-client', v.entry)],
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      external: v.external,
      mainFields: ['module', 'main'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'error',
    });
    bundles.push({ ...v, outfile, kib: statSync(outfile).size / 1024 });
  }
  const results = bundles.map(() => [] as { loadedMs: number; sentMs: number; wallMs: number }[]);
  for (let run = 0; run < RUNS; run++) {
    for (const [i, b] of bundles.entries()) {
      // Interleaved, so a slow moment of the machine hits every variant alike. Asynchronously: the fake lives here.
      const started = performance.now();
      const out = await spawnAsync(process.execPath, [b.outfile], { ...process.env, BENCH_SQS_URL: url });
      const wallMs = performance.now() - started;
      const line = JSON.parse(out.trim().split('\n').pop() as string) as { loadedMs: number; sentMs: number };
      results[i]!.push({ ...line, wallMs });
    }
  }
  server.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  console.log(`SQS client cold start, median of ${RUNS} fresh processes (Node ${process.version}):`);
  console.log('variant'.padEnd(46), 'bundle KiB'.padStart(10), 'loaded ms'.padStart(10), 'sent ms'.padStart(9), 'process ms'.padStart(11));
  for (const [i, b] of bundles.entries()) {
    const r = results[i]!;
    console.log(
      b.name.padEnd(46),
      b.kib.toFixed(1).padStart(10),
      median(r.map((x) => x.loadedMs))
        .toFixed(1)
        .padStart(10),
      median(r.map((x) => x.sentMs))
        .toFixed(1)
        .padStart(9),
      median(r.map((x) => x.wallMs))
        .toFixed(1)
        .padStart(11),
    );
  }
}

function spawnAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`variant exited with ${code}: ${err.slice(0, 500)}`))));
  });
}

await main();
