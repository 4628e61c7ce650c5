/** Throughput per direction at c=16 and c=64, beside the ceiling and an empty Node server. */
import { BEFORE_C64, type LoadPhase, okShare, SIZES, telegramTraffic, webimTraffic } from '../harness';
import { type LoadResult, percentile, runLoad } from '../load';

export async function throughputPhase(
  p: LoadPhase,
  context: { ceiling: Record<string, number>; base: LoadResult; baseRate: number; measure: boolean },
): Promise<void> {
  const { ceiling, base, baseRate } = context;
  const throughput: Record<string, number> = {};
  if (context.measure)
    for (const c of [16, 64]) {
      for (const [dir, make] of [
        ['telegram→webim', telegramTraffic(p.bridgeUrl, p.chats)],
        ['webim→telegram', webimTraffic(p.bridgeUrl, p.visitors)],
      ] as const) {
        const r = await runLoad(SIZES.throughput, c, make);
        const rate = (r.latenciesMs.length / r.elapsedMs) * 1000;
        throughput[`${dir} c=${c}`] = rate;
        const target = c === 64 ? `≥ ${Math.round(BEFORE_C64[dir] * 1.5)} msg/s (1.5× before) and ≥ c=16` : '(context)';
        const ok =
          c === 64 ? rate >= BEFORE_C64[dir] * 1.5 && rate >= (throughput[`${dir} c=16`] ?? 0) * 0.97 && okShare(r) === 1 : undefined;
        p.figures.push({
          figure: `throughput ${dir}, c=${c}`,
          measured: `${Math.round(rate)} msg/s${p.ofCeiling(`throughput ${dir} c=${c}`, rate, false)}`,
          target,
          ok,
        });
      }
    }
  for (const dir of ['telegram→webim', 'webim→telegram']) {
    p.figures.push({
      figure: `forward-only ceiling ${dir} (no database)`,
      measured: `p50 ${ceiling[`latency ${dir} c=1`]?.toFixed(2)} ms at c=1; ${Math.round(ceiling[`throughput ${dir} c=16`] ?? 0)} / ${Math.round(ceiling[`throughput ${dir} c=64`] ?? 0)} msg/s at c=16 / 64`,
      target: "(context: the machine's limit for this work)",
    });
  }
  p.figures.push({
    figure: 'context: empty Node HTTP server, c=16',
    measured: `${Math.round(baseRate)} req/s, p50 ${percentile(base.latenciesMs, 50).toFixed(2)} ms`,
    target: '(machine ceiling, no target)',
  });
  p.raw.throughput = { ...throughput, emptyServerC16: baseRate };
}
