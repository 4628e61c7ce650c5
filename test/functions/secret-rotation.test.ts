import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorCallback, SECRETS, startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';

const OLD_WEBHOOK = 'old-webhook-secret_42';
const OLD_CALLBACK = 'old-callback-secret-42';

describe('secret rotation without downtime', () => {
  const [engine] = databaseEngines();
  let bridge: TestBridge;

  beforeAll(async () => {
    bridge = await startTestBridge(engine!, {
      TELEGRAM_WEBHOOK_SECRET_PREVIOUS: OLD_WEBHOOK,
      WEBIM_CALLBACK_SECRET_PREVIOUS: OLD_CALLBACK,
    });
  });
  afterAll(() => bridge.close());

  it('accepts the current and the previous webhook secret, nothing else', async () => {
    expect((await bridge.postUpdate(textUpdate(1, 501, '/start'), { secret: SECRETS.webhookSecret })).statusCode).toBe(200);
    expect((await bridge.postUpdate(textUpdate(2, 501, 'hi'), { secret: OLD_WEBHOOK })).statusCode).toBe(200);
    expect((await bridge.postUpdate(textUpdate(3, 501, 'hi'), { secret: 'neither-of-them' })).statusCode).toBe(401);
  });

  it('accepts the current and the previous callback secret, in the header or the path', async () => {
    const visitorId = await visitorOf(bridge.db, 501);
    expect(
      (await bridge.postCallback(operatorCallback(visitorId, 'r-1', 'a'), { authorization: `Token ${OLD_CALLBACK}` })).statusCode,
    ).toBe(200);
    expect(
      (await bridge.postCallback(operatorCallback(visitorId, 'r-2', 'b'), { authorization: null, pathSecret: OLD_CALLBACK })).statusCode,
    ).toBe(200);
    expect((await bridge.postCallback(operatorCallback(visitorId, 'r-3', 'c'))).statusCode).toBe(200);
    expect((await bridge.postCallback(operatorCallback(visitorId, 'r-4', 'd'), { authorization: 'Token nope-nope-nope' })).statusCode).toBe(
      401,
    );
  });

  it('never logs either secret', () => {
    const logs = bridge.logs.join('\n');
    for (const s of [OLD_WEBHOOK, OLD_CALLBACK, SECRETS.webhookSecret, SECRETS.callbackSecret]) expect(logs).not.toContain(s);
  });
});
