import { describe, expect, it } from 'vitest';
import { runChaos } from '../../chaos/harness';

describe('the chaos run (a few seconds, so the harness keeps working)', () => {
  it('drives the local server both ways under faults and reports from what the fakes received', async () => {
    const report = await runChaos({
      seed: 20261203,
      durationMs: 8_000,
      chats: 4,
      meanGapMs: 800,
      faultGapMs: 700,
      drainMs: 40_000,
    });
    const { telegram_to_webim: t2w, webim_to_telegram: w2t } = report.directions;
    expect(report.seed).toBe(20261203);
    expect(t2w.sent).toBeGreaterThan(10);
    expect(w2t.sent).toBeGreaterThan(5);
    expect(t2w.delivered).toBeGreaterThan(0);
    expect(w2t.delivered).toBeGreaterThan(0);
    expect(Object.keys(report.faults).length).toBeGreaterThan(0);
    // Every message the bridge accepted is accounted for: delivered, ended for a blocked user, or a finding.
    for (const d of [t2w, w2t]) expect(d.delivered + d.endedBlocked + d.lost).toBeGreaterThanOrEqual(d.accepted - d.doubled);
    // These hold whatever the relay's state: the edge and privacy.
    expect(report.unauthenticated.probes).toBeGreaterThan(0);
    expect(report.unauthenticated.fiveHundreds).toBe(0);
    expect(report.privacy).toMatchObject({ textInLogLines: 0, secretInLogLines: 0, textInDatabaseRows: 0 });
    expect(report.privacy.tablesScanned).toBeGreaterThan(0);
    expect(report.processErrors).toBe(0);
    expect(report.drainedInMs).toBeLessThan(40_000);
  }, 90_000);
});
