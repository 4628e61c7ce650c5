import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type AlarmResource = { Type: string; Properties: { Namespace?: string; MetricName?: string } };

/**
 * The bridge's own metrics the template's alarms watch, from the same module `serverless package`
 * resolves into the template (deploy/monitoring.cjs; the template test checks the packaged
 * template holds exactly these alarms).
 */
export async function alarmMetricNames(): Promise<string[]> {
  const monitoring = require('../../deploy/monitoring.cjs') as (input: unknown) => Promise<{ Resources: Record<string, AlarmResource> }>;
  const { Resources } = await monitoring({ options: {}, resolveVariable: async () => 'ci' });
  return Object.values(Resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.Namespace === 'TelegramWebimBridge')
    .map((r) => r.Properties.MetricName as string);
}

/** The EMF records among captured log lines. */
export function emfRecords(logs: string[]): Record<string, unknown>[] {
  return logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => '_aws' in l);
}
