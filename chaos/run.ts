import { randomInt } from 'node:crypto';
import path from 'node:path';
import { createLogger } from '../lib/log';
import { keepServing } from '../local/process-guard';
import type { DirectionSummary } from './check';
import { type ChaosReport, runChaos } from './harness';

/**
 * `npm run chaos`: the seeded chaos run (see docs/delivery-guarantees.md, "The chaos run").
 *
 *   --seed N            replay a run (default: a random seed, always printed)
 *   --duration 60s|10m  how long the workload and its faults last (default 60s)
 *   --chats 40          chats, each with a user and an operator writing (default 40)
 *   --drain 90s         how long to wait at most afterwards for what was accepted (default: a quarter
 *                       of the duration, at least 90s, at most 10m)
 *   --database-url URL  a PostgreSQL server to make a fresh database on (else DATABASE_URL,
 *                       else TEST_DATABASE_URL, else embedded PGlite; --pglite forces PGlite)
 *   --json              the report as JSON on stdout
 * Exits 1 when an invariant broke.
 */
const say = (line: string) => process.stdout.write(`${line}\n`);

function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new Error(`not a duration: ${value} (say 60s, 10m or 1h)`);
  const n = Number(match[1]);
  return Math.round(n * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h']);
}

function parseArgs(argv: string[]) {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument: ${arg}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (name === 'json' || name === 'pglite') args.set(name, 'true');
    else args.set(name, inline ?? argv[++i] ?? '');
  }
  const known = ['seed', 'duration', 'chats', 'drain', 'database-url', 'json', 'pglite', 'mean-gap', 'fault-gap'];
  for (const name of args.keys()) if (!known.includes(name)) throw new Error(`unknown option --${name}`);
  const seed = args.has('seed') ? Number(args.get('seed')) : randomInt(1, 2 ** 31 - 1);
  if (!Number.isSafeInteger(seed)) throw new Error('--seed must be an integer');
  const chats = Number(args.get('chats') ?? 40);
  if (!Number.isInteger(chats) || chats < 1 || chats > 1_000) throw new Error('--chats must be 1 to 1000');
  const databaseUrl = args.has('pglite')
    ? undefined
    : args.get('database-url') || process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
  const durationMs = duration(args.get('duration') ?? '60s');
  return {
    seed,
    chats,
    durationMs,
    drainMs: args.has('drain') ? duration(args.get('drain') as string) : Math.min(600_000, Math.max(90_000, durationMs / 4)),
    meanGapMs: duration(args.get('mean-gap') ?? '4s'),
    faultGapMs: duration(args.get('fault-gap') ?? '3s'),
    databaseUrl,
    json: args.has('json'),
  };
}

const cell = (v: string | number) => String(v).padStart(16);
const row = (label: string, a: string | number, b: string | number) => say(`  ${label.padEnd(42)}${cell(a)}${cell(b)}`);

function print(report: ChaosReport, replay: string): void {
  const t = report.directions.telegram_to_webim;
  const w = report.directions.webim_to_telegram;
  say('');
  say(
    `chaos run: seed ${report.seed}, ${report.durationMs / 1000} s, ${report.chats} chats, ${report.database}; drained in ${(report.drainedInMs / 1000).toFixed(1)} s`,
  );
  row('', 'telegram→webim', 'webim→telegram');
  const line = (label: string, pick: (d: DirectionSummary) => string | number) => row(label, pick(t), pick(w));
  line('sent', (d) => d.sent);
  line('accepted (2xx to the sender)', (d) => d.accepted);
  line('refused to a non-retrying sender', (d) => d.refusedToNonRetryingSender);
  line('delivered', (d) => d.delivered);
  line('LOST', (d) => d.lost);
  line('DOUBLED', (d) => d.doubled);
  line('  of them sent again within one request', (d) => d.resentWithinOneRequest);
  line('OUT OF ORDER', (d) => d.outOfOrder);
  line('NEVER ACCEPTED (retrying sender)', (d) => d.neverAccepted);
  line('seen twice after a lost answer (allowed)', (d) => d.ambiguousRepeats);
  line('ended as operator note (user blocked bot)', (d) => d.endedBlocked);
  line('latency p50 / p99 ms', (d) => `${d.latencyMs.p50} / ${d.latencyMs.p99}`);
  line('latency max ms', (d) => d.latencyMs.max);
  say(
    `  faults: ${
      Object.entries(report.faults)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    }`,
  );
  say(
    `  reply queue consumer: ${report.consumer.batches} batches, ${report.consumer.killed} killed mid-batch, ${report.consumer.deadLettered} dead-lettered, ${report.consumer.leftInQueue} left in the queue`,
  );
  const u = report.unauthenticated;
  say(
    `  unauthenticated requests: ${u.probes}, answered 5xx or not at all: ${u.fiveHundreds} (${Object.entries(u.statuses)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')})`,
  );
  const p = report.privacy;
  say(
    `  privacy: message text in log lines ${p.textInLogLines}, secrets in log lines ${p.secretInLogLines}, text in database rows ${p.textInDatabaseRows} (${p.tablesScanned} tables scanned)`,
  );
  say(`  uncaught errors in the process: ${report.processErrors}`);
  const m = report.memory;
  say(
    `  memory (this process: bridge, fakes and senders): after warm-up RSS ${m.afterWarmUp.rssMb} MB, heap ${m.afterWarmUp.heapUsedMb} MB; at the end RSS ${m.atEnd.rssMb} MB, heap ${m.atEnd.heapUsedMb} MB`,
  );
  if (report.logFile) say(`  bridge log: ${report.logFile} (${report.logLines} lines)`);
  if (report.findings.length) {
    say(`  findings (${report.findings.length}, first 30):`);
    for (const f of report.findings.slice(0, 30)) say(`    ${f.invariant} ${f.direction} ${f.key}: ${f.detail}`);
  }
  say(report.ok ? `chaos: every invariant held (seed ${report.seed})` : `chaos: INVARIANT BROKEN (seed ${report.seed})`);
  say(`  replay: ${replay}`);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const replay = `npm run chaos -- --seed ${options.seed} --duration ${options.durationMs / 1000}s --chats ${options.chats}${
    options.databaseUrl ? ' --database-url <url>' : ' --pglite'
  }`;
  process.stderr.write(`chaos: seed ${options.seed} (${replay})\n`);
  // A stray error of the bridge is logged and counted (as the local server does), never the end of the run.
  keepServing(createLogger({ sink: (line) => process.stderr.write(`${line}\n`) }));
  const report = await runChaos({
    ...options,
    logFile: path.join(process.cwd(), 'chaos', 'results', `seed-${options.seed}.log`),
    progress: (line) => process.stderr.write(`  ${line}\n`),
  });
  if (options.json) say(JSON.stringify({ ...report, replay }, null, 2));
  else print(report, replay);
  process.exit(report.ok ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos run failed to run: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(2);
});
