/** Latency per direction at c=1 and c=16, the database round trips and durable commits per message. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { latencyChartSvg } from '../chart';
import { bridgeStats, type LoadPhase, okShare, RESULTS, SIZES, telegramTraffic, walSyncs, webimTraffic } from '../harness';
import { type LoadResult, percentile, runLoad } from '../load';

export async function latencyPhase(p: LoadPhase): Promise<void> {
  const latency: Record<string, LoadResult> = {};
  for (const [dir, make] of [
    ['telegram→webim', telegramTraffic(p.bridgeUrl, p.chats)],
    ['webim→telegram', webimTraffic(p.bridgeUrl, p.visitors)],
  ] as const) {
    for (const c of [1, 16]) {
      const before = await bridgeStats(p.bridgeUrl);
      const walBefore = c === 1 ? await walSyncs(p.database.url, p.embedded) : undefined;
      const r = await runLoad(SIZES.latency, c, make);
      const walAfter = c === 1 ? await walSyncs(p.database.url, p.embedded) : undefined;
      const after = await bridgeStats(p.bridgeUrl);
      latency[`${dir} c=${c}`] = r;
      const p50 = percentile(r.latenciesMs, 50);
      const p99 = percentile(r.latenciesMs, 99);
      const target = c === 1 ? 'p50 ≤ 2 ms, p99 ≤ 10 ms' : '(context)';
      p.figures.push({
        figure: `latency ${dir}, c=${c} (p50 / p99)`,
        measured: `${p50.toFixed(2)} / ${p99.toFixed(2)} ms${p.ofCeiling(`latency ${dir} c=${c}`, p50, true)}`,
        target,
        ok: c === 1 ? p50 <= 2 && p99 <= 10 && okShare(r) === 1 : undefined,
      });
      if (c === 1) {
        const perMessage = (after.queries - before.queries) / SIZES.latency;
        p.figures.push({
          figure: `DB round trips per message, ${dir}`,
          measured: perMessage.toFixed(2),
          target: '≤ 2',
          ok: perMessage <= 2,
        });
        if (walBefore !== undefined && walAfter !== undefined) {
          const flushes = (walAfter - walBefore) / SIZES.latency;
          p.figures.push({
            figure: `durable commits (WAL flushes) per message, ${dir}`,
            measured: flushes.toFixed(2),
            target: '≤ 1',
            ok: flushes <= 1,
          });
        }
      }
    }
  }
  p.raw.latency = Object.fromEntries(
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
  writeFileSync(
    path.join(RESULTS, 'latency.svg'),
    latencyChartSvg(`Bridge latency per request, ${p.database.kind}, concurrency 16 (${SIZES.latency} requests each)`, [
      { label: 'Telegram → Webim', color: '#2aabee', latenciesMs: latency['telegram→webim c=16']?.latenciesMs ?? [] },
      { label: 'Webim → Telegram', color: '#ff7a1a', latenciesMs: latency['webim→telegram c=16']?.latenciesMs ?? [] },
    ]),
  );
}
