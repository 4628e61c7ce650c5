import { type RelayOutcome, statOutcomeOf } from './core/outcome';
import type { Direction } from './core/words';

export type { Direction } from './core/words';

/**
 * Delivery metrics as CloudWatch Embedded Metric Format (EMF) log lines: one JSON line per relayed
 * request, which CloudWatch turns into metrics without an API call. The alarms and the dashboard
 * of serverless.yml read them. A line carries counts, a latency and two dimensions — never an id,
 * a text or a secret.
 */
const METRICS_NAMESPACE = 'TelegramWebimBridge';

/** What one request contributes. */
export type DeliveryCounts = {
  Relayed: number;
  Deferred: number;
  Failed: number;
  Blocked: number;
  ConfigurationErrors: number;
};

/**
 * The counts an outcome contributes, from the same buckets as the statistics table: a
 * configuration error is also a deferral (the sender keeps the message).
 */
export function countsOf(outcome: RelayOutcome): DeliveryCounts {
  const stat = statOutcomeOf(outcome);
  return {
    Relayed: stat === 'relayed' ? 1 : 0,
    Deferred: stat === 'deferred' || stat === 'configuration_error' ? 1 : 0,
    Failed: stat === 'failed' ? 1 : 0,
    Blocked: stat === 'blocked' ? 1 : 0,
    ConfigurationErrors: stat === 'configuration_error' ? 1 : 0,
  };
}

/** Figures of one request beyond its delivery counts. */
export interface RequestMetrics {
  /** A rating the user gave (1–5), counted by this request: `Ratings` 1 and `RatingScore` (its average is the mean rating). */
  rating?: number;
}

/** The metrics of a request's figures: names and values, with their CloudWatch units. */
export function requestMetricsOf(figures: RequestMetrics | undefined): { name: string; unit: string; value: number }[] {
  if (figures?.rating === undefined) return [];
  return [
    { name: 'Ratings', unit: 'Count', value: 1 },
    { name: 'RatingScore', unit: 'None', value: figures.rating },
  ];
}

/**
 * One EMF record. Metrics are published under two dimension sets: by stage (what the alarms read)
 * and by stage and direction (what the dashboard splits by); a record of no direction (the
 * settings serving stale, say) by stage only.
 */
export function emfRecord(input: {
  stage: string;
  direction?: Direction;
  counts: Record<string, number>;
  upstreamMs?: number;
  figures?: RequestMetrics;
  now?: number;
}): Record<string, unknown> {
  const metrics: { Name: string; Unit: string }[] = Object.keys(input.counts).map((name) => ({ Name: name, Unit: 'Count' }));
  const values: Record<string, number> = { ...input.counts };
  for (const figure of requestMetricsOf(input.figures)) {
    metrics.push({ Name: figure.name, Unit: figure.unit });
    values[figure.name] = figure.value;
  }
  if (input.upstreamMs !== undefined) {
    metrics.push({ Name: 'UpstreamLatency', Unit: 'Milliseconds' });
    values.UpstreamLatency = Math.round(input.upstreamMs * 10) / 10;
  }
  return {
    _aws: {
      Timestamp: input.now ?? Date.now(),
      CloudWatchMetrics: [
        { Namespace: METRICS_NAMESPACE, Dimensions: input.direction ? [['Stage'], ['Stage', 'Direction']] : [['Stage']], Metrics: metrics },
      ],
    },
    Stage: input.stage,
    ...(input.direction ? { Direction: input.direction } : {}),
    ...values,
  };
}

/** Time spent waiting for Telegram and Webim during one request. */
export class UpstreamTimer {
  private total = 0;
  private calls = 0;

  /** Runs one upstream call and adds its duration, whether it succeeds or fails. */
  async time<T>(call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.total += performance.now() - started;
      this.calls++;
    }
  }

  /** Milliseconds waited, or undefined when no upstream call was made. */
  get milliseconds(): number | undefined {
    return this.calls ? this.total : undefined;
  }
}
