/** The forward-only ceiling: a server that only forwards (no database), on the same fakes and load generator. */
import type { BenchFakes } from '../../fakes/bench-upstreams';
import { bridgeEnv, progress, SIZES, startBridge, stopProcess, telegramTraffic, webimTraffic } from '../harness';
import { percentile, runLoad } from '../load';

/** Latency (c=1, c=16) and throughput (c=16, c=64) of the forward-only ceiling server, per direction. */
export async function measureCeiling(fakes: BenchFakes): Promise<Record<string, number>> {
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
