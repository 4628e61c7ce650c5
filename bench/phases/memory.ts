/** Peak RSS of one Lambda-like process (one connection, one request at a time). */
import type { BenchFakes } from '../../fakes/bench-upstreams';
import {
  bridgeEnv,
  bridgeStats,
  type Figure,
  type LoadPhase,
  SIZES,
  startBridge,
  stopProcess,
  telegramTraffic,
  webimTraffic,
} from '../harness';
import { runLoad } from '../load';

/**
 * Peak RSS of a process used as Lambda uses one: a fresh bridge process with one database
 * connection and Lambda's heap limits, given its requests one at a time (a container never
 * serves two at once), half in each direction.
 */
export async function lambdaProcessMemory(fakes: BenchFakes, databaseUrl: string, chats: number[], visitors: string[]) {
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

/** Peak RSS of the local server relaying SIZES.rss messages right after the c=64 phase (stress context). */
export async function localServerMemoryPhase(p: LoadPhase): Promise<void> {
  const atRest = await bridgeStats(p.bridgeUrl, true);
  const half = Math.floor(SIZES.rss / 2);
  await Promise.all([
    runLoad(half, 8, telegramTraffic(p.bridgeUrl, p.chats)),
    runLoad(SIZES.rss - half, 8, webimTraffic(p.bridgeUrl, p.visitors)),
  ]);
  const mem = await bridgeStats(p.bridgeUrl);
  const peakMb = mem.peakRss / 1024 / 1024;
  p.figures.push({
    figure: `peak RSS, the local server relaying ${SIZES.rss} messages after the c=64 phase`,
    measured: `${peakMb.toFixed(1)} MB (before the load ${(atRest.rss / 1024 / 1024).toFixed(1)} MB, V8 heap ${(mem.heapUsed / 1024 / 1024).toFixed(1)} MB used of ${(mem.heapTotal / 1024 / 1024).toFixed(1)} MB committed after)`,
    target: '(stress context: one process, 64 in flight)',
  });
  p.raw.peakRssMb = peakMb;
}

/** The Lambda-like process's memory as a figure (target ≤ 128 MB). */
export async function lambdaMemoryPhase(
  fakes: BenchFakes,
  databaseUrl: string,
  chats: number[],
  visitors: string[],
  figures: Figure[],
  raw: Record<string, unknown>,
): Promise<void> {
  const lambda = await lambdaProcessMemory(fakes, databaseUrl, chats, visitors);
  figures.push({
    figure: `peak RSS, one Lambda-like process relaying ${SIZES.rss} messages`,
    measured: `${lambda.peakMb.toFixed(1)} MB (after start and warm-up ${lambda.warmMb.toFixed(1)} MB, V8 heap ${lambda.heapUsedMb.toFixed(1)} MB used of ${lambda.heapTotalMb.toFixed(1)} MB committed after)`,
    target: '≤ 128 MB',
    ok: lambda.peakMb <= 128,
  });
  raw.lambdaPeakRssMb = lambda.peakMb;
}
