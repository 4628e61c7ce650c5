import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSsm, startFakeSsm } from '../../fakes/ssm';
import { startTestBridge, type TestBridge, textUpdate } from '../support/bridge';
import { databaseEngines } from '../support/databases';

const [engine] = databaseEngines();

/** As deployed: every Telegram and Webim setting lives in SSM Parameter Store, none in the environment. */
describe('settings from SSM Parameter Store', () => {
  let ssm: FakeSsm;
  let bridge: TestBridge;
  beforeAll(async () => {
    ssm = await startFakeSsm();
    bridge = await startTestBridge(engine!, {}, { ssm });
  });
  afterAll(async () => {
    await bridge.close();
    await ssm.close();
  });

  it('relays with the secrets read by one signed SSM call per cold start, none while warm', async () => {
    expect((await bridge.postUpdate(textUpdate(9001, 9101, 'from ssm settings'))).statusCode).toBe(200);
    expect((await bridge.postUpdate(textUpdate(9002, 9101, 'again'))).statusCode).toBe(200);
    expect(bridge.webim.received.map((m) => m.message.text)).toEqual(['from ssm settings', 'again']);
    expect(ssm.calls).toHaveLength(1);
    expect(ssm.badSignatures).toEqual([]);
  });

  it('answers 503 configuration_error when SSM refuses access, and keeps the update for Telegram to resend', async () => {
    bridge.runtime.invalidateSettings();
    ssm.script.push({ status: 400, body: { __type: 'AccessDeniedException', message: 'not authorized' } });
    const res = await bridge.postUpdate(textUpdate(9003, 9101, 'held'));
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['retry-after']).toBe('60');
    expect(bridge.parsedLogs().find((l) => l.event === 'configuration_error')).toMatchObject({ source: 'ssm' });
    expect((await bridge.db.sql`SELECT 1 FROM delivery_claims WHERE key = '9003'`).length).toBe(0);
    // Fixed: Telegram's redelivery goes through.
    expect((await bridge.postUpdate(textUpdate(9003, 9101, 'held'))).statusCode).toBe(200);
    expect(bridge.webim.received.at(-1)?.message.text).toBe('held');
  });

  it('answers 503 (retry soon) while SSM throttles beyond the retries', async () => {
    bridge.runtime.invalidateSettings();
    ssm.script.push(...Array.from({ length: 3 }, () => ({ status: 400, body: { __type: 'ThrottlingException' } })));
    const res = await bridge.postUpdate(textUpdate(9004, 9101, 'later'));
    expect(res.statusCode).toBe(503);
    expect(Number(res.headers?.['retry-after'])).toBeLessThan(60);
    expect(bridge.parsedLogs().find((l) => l.event === 'request_failed')).toMatchObject({ error_class: 'transient' });
  });
});
