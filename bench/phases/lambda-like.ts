/** Several bridge processes with one database connection each, as Lambda containers. */
import { bridgeEnv, LAMBDA_PROCESSES, type LoadPhase, SIZES, startBridge, stopProcess, telegramTraffic, webimTraffic } from '../harness';
import { percentile, runLoad } from '../load';

export async function lambdaLikePhase(p: LoadPhase): Promise<void> {
  if (p.embedded) {
    p.figures.push({
      figure: `throughput, c=64, ${LAMBDA_PROCESSES} processes × 1 connection`,
      measured: 'skipped: the embedded database serves one connection (set BENCH_DATABASE_URL to a PostgreSQL server)',
      target: '(Lambda-like, context)',
    });
  } else {
    const lambdaLike = await Promise.all(
      Array.from({ length: LAMBDA_PROCESSES }, () => startBridge(bridgeEnv(p.fakes, p.database.url, 1))),
    );
    try {
      const urls = lambdaLike.map((b) => b.url);
      await runLoad(200, 16, telegramTraffic(urls, p.chats));
      for (const [dir, make] of [
        ['telegram→webim', telegramTraffic(urls, p.chats)],
        ['webim→telegram', webimTraffic(urls, p.visitors)],
      ] as const) {
        const r = await runLoad(SIZES.throughput, 64, make);
        const rate = (r.latenciesMs.length / r.elapsedMs) * 1000;
        (p.raw.lambdaLike ??= {} as Record<string, number>) && ((p.raw.lambdaLike as Record<string, number>)[dir] = rate);
        // Answers other than 200 are replies held back for an earlier one of the same chat (503): order per chat at work.
        p.figures.push({
          figure: `throughput ${dir}, c=64, ${LAMBDA_PROCESSES} processes × 1 connection`,
          measured: `${Math.round(rate)} msg/s, p50 ${percentile(r.latenciesMs, 50).toFixed(1)} ms, answers ${JSON.stringify(r.statuses)}${p.ofCeiling(`throughput ${dir} c=64`, rate, false)}`,
          target: '(Lambda-like, context)',
        });
      }
    } finally {
      await Promise.all(lambdaLike.map((b) => stopProcess(b.child)));
    }
  }
}
