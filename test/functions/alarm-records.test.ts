import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSsm, startFakeSsm } from '../../fakes/ssm';
import { startTestBridge, type TestBridge, textUpdate } from '../support/bridge';
import { databaseEngines } from '../support/databases';
import { alarmMetricNames, emfRecords } from '../support/metrics';

const [engine] = databaseEngines();

/**
 * Every answer that is not a relay writes the metrics record whose name the packaged template's
 * alarm watches — also when the request never reached a relay use-case — and a warm container
 * rides out an SSM outage on the settings it already had.
 */
describe('alarms see every deferral; SSM outages on a warm container', () => {
  let ssm: FakeSsm;
  let bridge: TestBridge | undefined;
  let watched: string[];
  beforeAll(async () => {
    watched = await alarmMetricNames();
    ssm = await startFakeSsm();
  });
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
    ssm.script.length = 0;
  });
  afterAll(() => ssm.close());

  /** The alarmed metrics a fault's records carry with a positive count. */
  const alarmedIn = (logs: string[]) => [
    ...new Set(emfRecords(logs).flatMap((r) => watched.filter((name) => typeof r[name] === 'number' && (r[name] as number) > 0))),
  ];

  it('a missing setting: 503, and a ConfigurationErrors record', async () => {
    bridge = await startTestBridge(engine!, { STAGE: 'ci', WEBIM_API_URL: '' });
    const res = await bridge.postUpdate(textUpdate(8_700_001, 8_700_101, 'held'));
    expect(res.statusCode).toBe(503);
    expect(alarmedIn(bridge.logs)).toEqual(['ConfigurationErrors']);
  });

  it('SSM refusing access on a cold container: 503, and a ConfigurationErrors record', async () => {
    bridge = await startTestBridge(engine!, { STAGE: 'ci' }, { ssm });
    bridge.runtime.invalidateSettings();
    ssm.script.push({ status: 400, body: { __type: 'AccessDeniedException', message: 'not authorized' } });
    expect((await bridge.postUpdate(textUpdate(8_700_002, 8_700_101, 'held'))).statusCode).toBe(503);
    expect(alarmedIn(bridge.logs)).toEqual(['ConfigurationErrors']);
  });

  it('the schema behind the code: 503, and a ConfigurationErrors record', async () => {
    bridge = await startTestBridge(engine!, { STAGE: 'ci' }, { migrations: [] });
    expect((await bridge.postUpdate(textUpdate(8_700_003, 8_700_101, 'held'))).statusCode).toBe(503);
    expect(alarmedIn(bridge.logs)).toEqual(['ConfigurationErrors']);
  });

  it('a message Webim refuses for good: acknowledged, and a Failed record (the undelivered alarm)', async () => {
    bridge = await startTestBridge(engine!, { STAGE: 'ci' });
    expect((await bridge.postUpdate(textUpdate(8_700_004, 8_700_101, '/start'))).statusCode).toBe(200);
    bridge.webim.script({ status: 400, body: { error: 'bad_message' } });
    expect((await bridge.postUpdate(textUpdate(8_700_005, 8_700_101, 'refused'))).statusCode).toBe(200);
    expect(alarmedIn(bridge.logs)).toEqual(['Failed']);
  });

  it('SSM throttled after the cache expired: the last good settings keep serving (warning + metric); a refusal still surfaces', async () => {
    bridge = await startTestBridge(engine!, { STAGE: 'ci', SETTINGS_TTL_SECONDS: '0' }, { ssm });
    expect((await bridge.postUpdate(textUpdate(8_700_010, 8_700_110, 'warm'))).statusCode).toBe(200);
    ssm.script.push(...Array.from({ length: 6 }, () => ({ status: 400, body: { __type: 'ThrottlingException' } })));
    expect((await bridge.postUpdate(textUpdate(8_700_011, 8_700_110, 'during the outage'))).statusCode).toBe(200);
    expect(bridge.webim.received.map((m) => m.message.text)).toEqual(['warm', 'during the outage']);
    expect(bridge.parsedLogs().find((l) => l.event === 'settings_stale')).toMatchObject({ source: 'ssm', reason: 'ThrottlingException' });
    expect(emfRecords(bridge.logs).some((r) => r.SettingsStale === 1)).toBe(true);
    expect(watched).toContain('SettingsStale');

    // Access denied is not an outage: nobody should keep serving on a role that lost its rights.
    ssm.script.length = 0;
    ssm.script.push({ status: 400, body: { __type: 'AccessDeniedException', message: 'not authorized' } });
    expect((await bridge.postUpdate(textUpdate(8_700_012, 8_700_110, 'denied'))).statusCode).toBe(503);
  });
});
