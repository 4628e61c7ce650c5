import type { RelayOutcome } from './relay/outcome';

/**
 * Delivery metrics as CloudWatch Embedded Metric Format (EMF) log lines: one JSON line per relayed
 * request, which CloudWatch turns into metrics without an API call. The alarms and the dashboard
 * of serverless.yml read them. A line carries counts, a latency and two dimensions — never an id,
 * a text or a secret.
 */
export const METRICS_NAMESPACE = 'TelegramWebimBridge';

export type Direction = 'telegram_to_webim' | 'webim_to_telegram';

/** What one request contributes. */
export interface DeliveryCounts {
  Relayed: number;
  Deferred: number;
  Failed: number;
  Blocked: number;
  ConfigurationErrors: number;
}

/** The counts an outcome contributes: relayed / deferred / failed / blocked / configuration error. */
export function countsOf(outcome: RelayOutcome): DeliveryCounts {
  const counts: DeliveryCounts = { Relayed: 0, Deferred: 0, Failed: 0, Blocked: 0, ConfigurationErrors: 0 };
  if (outcome.status === 'retry') {
    counts.Deferred = 1;
    if (outcome.kind === 'configuration') counts.ConfigurationErrors = 1;
  } else if (outcome.result === 'relayed' || outcome.result === 'answered') counts.Relayed = 1;
  else if (outcome.result === 'failed_permanent' || outcome.result === 'unknown_visitor') counts.Failed = 1;
  else if (outcome.result === 'blocked') counts.Blocked = 1;
  return counts;
}

/**
 * One EMF record. Metrics are published under two dimension sets: by stage (what the alarms read)
 * and by stage and direction (what the dashboard splits by).
 */
export function emfRecord(input: { stage: string; direction: Direction; counts: DeliveryCounts; upstreamMs?: number; now?: number }): Record<string, unknown> {
  const metrics: { Name: string; Unit: string }[] = Object.keys(input.counts).map((name) => ({ Name: name, Unit: 'Count' }));
  const values: Record<string, number> = { ...input.counts };
  if (input.upstreamMs !== undefined) {
    metrics.push({ Name: 'UpstreamLatency', Unit: 'Milliseconds' });
    values.UpstreamLatency = Math.round(input.upstreamMs * 10) / 10;
  }
  return {
    _aws: {
      Timestamp: input.now ?? Date.now(),
      CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [['Stage'], ['Stage', 'Direction']], Metrics: metrics }],
    },
    Stage: input.stage,
    Direction: input.direction,
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
