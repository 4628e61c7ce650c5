import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telegramError } from '../../fakes/telegram';
import { operatorCallback, SECRETS, startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';

/** A Lambda context with this much time left, as the runtime hands it to a handler. */
const lambdaContext = (ms: number): Context => {
  const end = Date.now() + ms;
  return { getRemainingTimeInMillis: () => end - Date.now() } as Context;
};

const timed = async <T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = Date.now();
  const value = await run();
  return { value, ms: Date.now() - started };
};

/**
 * The delivery guarantees under real faults: a TCP proxy between the bridge and its database
 * that cuts or black-holes the connection at a chosen moment, and fake upstreams that are slow,
 * refuse the bridge's credentials, or answer with something that is not their API.
 */
describe.each(databaseEngines())('delivery under faults on $name', (engine) => {
  let bridge: TestBridge;
  let next = 7_100_000;
  const proxy = () => {
    if (!bridge.proxy) throw new Error('no proxy');
    return bridge.proxy;
  };
  /** A registered user: chat id and visitor id. */
  const newUser = async () => {
    const chatId = ++next;
    expect((await bridge.postUpdate(textUpdate(++next, chatId, '/start'))).statusCode).toBe(200);
    return { chatId, visitorId: await visitorOf(bridge.db, chatId) };
  };
  const claimState = async (key: string) =>
    (await bridge.db.sql<{ state: string }[]>`SELECT state FROM delivery_claims WHERE key = ${key}`)[0]?.state;

  beforeAll(async () => {
    bridge = await startTestBridge(engine, {}, { proxy: true });
  });
  afterAll(() => bridge.close());

  describe('a message the upstream accepted is never delivered again because bookkeeping failed', () => {
    it('Telegram → Webim: database black-holed right after Webim accepted → 200 in time; the redelivery is a duplicate', async () => {
      const { chatId } = await newUser();
      const updateId = ++next;
      bridge.webim.script({ status: 200, pass: true, after: () => proxy().blackhole() });
      const { value: res, ms } = await timed(() =>
        bridge.postUpdate(textUpdate(updateId, chatId, 'accepted once'), { context: lambdaContext(10_000) }),
      );
      expect(res.statusCode).toBe(200);
      expect(ms).toBeLessThan(9_000);
      expect(bridge.parsedLogs().some((l) => l.event === 'claim_completion_deferred' && l.update_id === updateId)).toBe(true);
      proxy().restore();
      expect((await bridge.postUpdate(textUpdate(updateId, chatId, 'accepted once'))).statusCode).toBe(200);
      expect(bridge.webim.received.filter((m) => m.message.id === `tg-${chatId}-${updateId}`)).toHaveLength(1);
      expect(await claimState(String(updateId))).toBe('done');
    });

    it('Telegram → Webim: connection cut right after Webim accepted → completion recorded on a new connection', async () => {
      const { chatId } = await newUser();
      const updateId = ++next;
      bridge.webim.script({ status: 200, pass: true, after: () => proxy().cut() });
      expect((await bridge.postUpdate(textUpdate(updateId, chatId, 'cut after accept'))).statusCode).toBe(200);
      expect(await claimState(String(updateId))).toBe('done');
      expect((await bridge.postUpdate(textUpdate(updateId, chatId, 'cut after accept'))).statusCode).toBe(200);
      expect(bridge.webim.received.filter((m) => m.message.id === `tg-${chatId}-${updateId}`)).toHaveLength(1);
    });

    it('Webim → Telegram: database black-holed right after Telegram accepted → 200 in time; the redelivery is a duplicate', async () => {
      const { chatId, visitorId } = await newUser();
      bridge.telegram.script('sendMessage', { status: 200, pass: true, after: () => proxy().blackhole() });
      const callback = operatorCallback(visitorId, `bh-${chatId}`, 'sent exactly once');
      const { value: res, ms } = await timed(() => bridge.postCallback(callback, { context: lambdaContext(10_000) }));
      expect(res.statusCode).toBe(200);
      expect(ms).toBeLessThan(9_000);
      proxy().restore();
      expect((await bridge.postCallback(callback)).statusCode).toBe(200);
      expect(bridge.telegram.deliveredTo(chatId)).toEqual(['sent exactly once']);
      // and the chat is free for the next reply
      expect((await bridge.postCallback(operatorCallback(visitorId, `bh2-${chatId}`, 'next reply'))).statusCode).toBe(200);
      expect(bridge.telegram.deliveredTo(chatId)).toEqual(['sent exactly once', 'next reply']);
    });
  });

  describe('nothing hangs', () => {
    it('a black-holed database answers 503 within the invocation budget, and the retry delivers once', async () => {
      const { chatId } = await newUser();
      const updateId = ++next;
      proxy().blackhole();
      const { value: res, ms } = await timed(() =>
        bridge.postUpdate(textUpdate(updateId, chatId, 'held by a dead route'), { context: lambdaContext(5_000) }),
      );
      proxy().restore();
      expect(res.statusCode).toBe(503);
      expect(Number(res.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(ms).toBeLessThan(5_000);
      expect(bridge.webim.received.filter((m) => m.message.id === `tg-${chatId}-${updateId}`)).toHaveLength(0);
      expect((await bridge.postUpdate(textUpdate(updateId, chatId, 'held by a dead route'))).statusCode).toBe(200);
      expect(bridge.webim.received.filter((m) => m.message.id === `tg-${chatId}-${updateId}`)).toHaveLength(1);
    });

    it('a hanging Webim is cut off by the budget: 503 in time', async () => {
      const { chatId } = await newUser();
      bridge.webim.script({ status: 200, hang: true });
      const { value: res, ms } = await timed(() =>
        bridge.postUpdate(textUpdate(++next, chatId, 'webim hangs'), { context: lambdaContext(3_000) }),
      );
      expect(res.statusCode).toBe(503);
      expect(ms).toBeLessThan(3_000);
    });

    it('a split reply with slow parts stops before the budget runs out, records progress and resumes: each part once, in order', async () => {
      const { chatId, visitorId } = await newUser();
      const parts = ['A', 'B', 'C', 'D', 'E'].map((c) => c.repeat(4000));
      bridge.telegram.script('sendMessage', ...parts.map(() => ({ status: 200, pass: true, delayMs: 1_200 })));
      const callback = operatorCallback(visitorId, `slow-${chatId}`, parts.join('\n\n'));
      const answers: { status: number | undefined; ms: number }[] = [];
      for (let i = 0; i < 5 && bridge.telegram.deliveredTo(chatId).length < parts.length; i++) {
        const { value, ms } = await timed(() => bridge.postCallback(callback, { context: lambdaContext(6_000) }));
        answers.push({ status: value.statusCode, ms });
      }
      expect(answers[0]?.status).toBe(503);
      expect(answers.every((a) => a.ms < 6_000)).toBe(true);
      expect(answers.at(-1)?.status).toBe(200);
      expect(bridge.telegram.deliveredTo(chatId)).toEqual(parts);
    });
  });

  describe('an ambiguous send (Telegram may have delivered it)', () => {
    it('a sendMessage that times out after it was sent is not repeated in the same invocation: 503, and the redelivery sends it again', async () => {
      const { chatId, visitorId } = await newUser();
      const before = bridge.telegram.calls.filter((c) => c.method === 'sendMessage').length;
      // Telegram takes the message but answers after the bridge's 2 s timeout.
      bridge.telegram.script('sendMessage', { status: 200, pass: true, delayMs: 2_500 });
      const callback = operatorCallback(visitorId, `ambiguous-${chatId}`, 'maybe delivered');
      const first = await bridge.postCallback(callback, { context: lambdaContext(20_000) });
      expect(first.statusCode).toBe(503);
      expect(bridge.telegram.calls.filter((c) => c.method === 'sendMessage').length - before).toBe(1);
      expect(bridge.parsedLogs().find((l) => l.event === 'delivery_deferred' && l.reason === 'ambiguous_network_timeout')).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 700)); // the late answer arrives meanwhile
      expect((await bridge.postCallback(callback)).statusCode).toBe(200);
      // At least once: the user may see it twice, never not at all.
      expect(bridge.telegram.deliveredTo(chatId)).toEqual(['maybe delivered', 'maybe delivered']);
    });
  });

  describe('configuration faults keep the message until fixed', () => {
    it.each([
      [401, 'webim_token_rejected_401'],
      [403, 'webim_token_rejected_403'],
      [404, 'webim_endpoint_not_found'],
    ])('Webim %i → 503 configuration_error; after recovery exactly one delivery', async (status, reason) => {
      const { chatId } = await newUser();
      const updateId = ++next;
      bridge.webim.script({ status, body: { error: 'refused', desc: 'no' } }, { status, body: { error: 'refused', desc: 'no' } });
      for (let i = 0; i < 2; i++) {
        const res = await bridge.postUpdate(textUpdate(updateId, chatId, 'kept until fixed'));
        expect(res.statusCode).toBe(503);
        expect(res.headers?.['retry-after']).toBe('60');
      }
      expect(bridge.parsedLogs().some((l) => l.event === 'configuration_error' && l.reason === reason && l.update_id === updateId)).toBe(
        true,
      );
      expect((await bridge.postUpdate(textUpdate(updateId, chatId, 'kept until fixed'))).statusCode).toBe(200);
      expect((await bridge.postUpdate(textUpdate(updateId, chatId, 'kept until fixed'))).statusCode).toBe(200);
      expect(bridge.webim.received.filter((m) => m.message.id === `tg-${chatId}-${updateId}`)).toHaveLength(1);
    });

    it.each([
      ['401 (token revoked)', telegramError(401, 'Unauthorized')],
      ['404 (wrong token or API base)', telegramError(404, 'Not Found')],
      ['200 with a page that is not the Bot API', { status: 200, rawBody: '<html>captive portal</html>' }],
      ['200 with an empty body', { status: 200, rawBody: '' }],
      ['200 with ok:false and no error code', { status: 200, body: { ok: false } }],
    ])('Telegram %s → 503 configuration_error; after recovery exactly one delivery', async (_label, answer) => {
      const { chatId, visitorId } = await newUser();
      bridge.telegram.script('sendMessage', answer);
      const callback = operatorCallback(visitorId, `cfg-${chatId}`, 'kept for the user');
      const first = await bridge.postCallback(callback);
      expect(first.statusCode).toBe(503);
      expect(bridge.parsedLogs().some((l) => l.event === 'configuration_error' && l.visitor_id === visitorId)).toBe(true);
      expect((await bridge.postCallback(callback)).statusCode).toBe(200);
      expect((await bridge.postCallback(callback)).statusCode).toBe(200);
      expect(bridge.telegram.deliveredTo(chatId)).toEqual(['kept for the user']);
    });
  });

  describe('ids', () => {
    it('the same Webim message id for two visitors is two messages (also 424242 vs "424242")', async () => {
      const a = await newUser();
      const b = await newUser();
      const c = await newUser();
      expect(
        (
          await bridge.postCallback({
            event: 'new_message',
            visitor_id: a.visitorId,
            message: { id: 424242, kind: 'operator', text: 'to a' },
          })
        ).statusCode,
      ).toBe(200);
      expect(
        (
          await bridge.postCallback({
            event: 'new_message',
            visitor_id: b.visitorId,
            message: { id: '424242', kind: 'operator', text: 'to b' },
          })
        ).statusCode,
      ).toBe(200);
      expect((await bridge.postCallback(operatorCallback(c.visitorId, '424242', 'to c'))).statusCode).toBe(200);
      expect(bridge.telegram.deliveredTo(a.chatId)).toEqual(['to a']);
      expect(bridge.telegram.deliveredTo(b.chatId)).toEqual(['to b']);
      expect(bridge.telegram.deliveredTo(c.chatId)).toEqual(['to c']);
    });
  });

  describe('poison input is answered once, never retried forever', () => {
    it.each([
      [
        'a NUL in visitor_id',
        (v: string) => ({ event: 'new_message', visitor_id: `${v}\u0000`, message: { id: 'p1', kind: 'operator', text: 'x' } }),
      ],
      ['a NUL in message.id', (v: string) => operatorCallback(v, 'p\u00002', 'x')],
      ['a 20 000-character message id', (v: string) => operatorCallback(v, 'i'.repeat(20_000), 'x')],
      ['a 20 000-character visitor id', () => operatorCallback('v'.repeat(20_000), 'p3', 'x')],
      [
        'an object as message id',
        (v: string) => ({ event: 'new_message', visitor_id: v, message: { id: { x: 1 }, kind: 'operator', text: 'x' } }),
      ],
    ])('a callback with %s → 400, nothing claimed', async (_label, body) => {
      const { visitorId } = await newUser();
      const claims = (await bridge.db.sql`SELECT count(*)::int AS n FROM delivery_claims`)[0]?.n;
      const res = await bridge.postCallback(body(visitorId));
      expect(res.statusCode).toBe(400);
      expect((await bridge.db.sql`SELECT count(*)::int AS n FROM delivery_claims`)[0]?.n).toBe(claims);
    });

    it('a venue without location and a voice without duration are relayed readably', async () => {
      const { chatId } = await newUser();
      const base = textUpdate(++next, chatId, 'x') as { message: Record<string, unknown> };
      delete base.message.text;
      base.message.venue = { title: 'Cafe', address: 'Main St 1' };
      expect((await bridge.postUpdate(base)).statusCode).toBe(200);
      const voice = textUpdate(++next, chatId, 'x') as { message: Record<string, unknown> };
      delete voice.message.text;
      voice.message.voice = { file_id: 'f', file_unique_id: 'u' };
      expect((await bridge.postUpdate(voice)).statusCode).toBe(200);
      const texts = bridge.webim.received.filter((m) => m.message.id.startsWith(`tg-${chatId}-`)).map((m) => m.message.text);
      expect(texts).toEqual(['[venue Cafe, Main St 1]', `[voice: voice-${(voice.message as { message_id: number }).message_id}.ogg]`]);
    });

    it('an update with an id beyond 52 bits → 400, not a database error on every redelivery', async () => {
      const res = await bridge.postUpdate({
        ...textUpdate(1, 1, 'x'),
        message: { ...(textUpdate(1, 1, 'x').message as object), chat: { id: 1e20, type: 'private' } },
      });
      expect(res.statusCode).toBe(400);
    });
  });

  describe('paths and headers', () => {
    it('a malformed percent-encoded path secret → 401, not 500', async () => {
      const res = await bridge.postCallback(operatorCallback('v', 'm', 'x'), { authorization: null, pathSecret: '%E0%A4%A' });
      expect(res.statusCode).toBe(401);
    });

    it('a non-numeric retry_after never makes Retry-After NaN', async () => {
      const { chatId, visitorId } = await newUser();
      const limited = {
        status: 429,
        body: { ok: false, error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 'soon' } },
      };
      bridge.telegram.script('sendMessage', limited, limited, limited, limited);
      const res = await bridge.postCallback(operatorCallback(visitorId, `ra-${chatId}`, 'x'), { context: lambdaContext(4_000) });
      expect(res.statusCode).toBe(503);
      expect(res.headers?.['retry-after']).toMatch(/^[1-9]\d*$/);
    });
  });

  describe('order per chat', () => {
    it('a reply that hit a rate limit after its first part is not overtaken by the next reply', async () => {
      const { chatId, visitorId } = await newUser();
      const part1 = 'p'.repeat(4000);
      const part2 = 'q'.repeat(100);
      bridge.telegram.script('sendMessage', { status: 200, pass: true }, telegramError(429, 'Too Many Requests: retry after 30', 30));
      const reply1 = operatorCallback(visitorId, `o1-${chatId}`, `${part1}\n\n${part2}`);
      const reply2 = operatorCallback(visitorId, `o2-${chatId}`, 'reply 2');
      const first = await bridge.postCallback(reply1);
      expect(first.statusCode).toBe(503);
      expect(first.headers?.['retry-after']).toBe('30');
      const overtaking = await bridge.postCallback(reply2);
      expect(overtaking.statusCode).toBe(503);
      expect(JSON.parse(overtaking.body ?? '{}').desc).toBe('chat_busy');
      expect((await bridge.postCallback(reply1)).statusCode).toBe(200);
      expect((await bridge.postCallback(reply2)).statusCode).toBe(200);
      expect(bridge.telegram.deliveredTo(chatId)).toEqual([part1, part2, 'reply 2']);
    });
  });

  it('never logs a secret or a text while failing', () => {
    const all = bridge.logs.join('\n');
    for (const secret of Object.values(SECRETS)) expect(all).not.toContain(secret);
    for (const text of ['accepted once', 'sent exactly once', 'kept for the user', 'held by a dead route']) expect(all).not.toContain(text);
  });
});

describe('claim lease', () => {
  it('a lease shorter than the longest invocation is a configuration error naming the setting', async () => {
    const [engine] = databaseEngines();
    const bridge = await startTestBridge(engine!, { CLAIM_LEASE_SECONDS: '5' });
    try {
      const res = await bridge.postUpdate(textUpdate(1, 1, 'hello'));
      expect(res.statusCode).toBe(503);
      const log = bridge.parsedLogs().find((l) => l.event === 'configuration_error');
      expect(log?.invalid).toEqual(['CLAIM_LEASE_SECONDS']);
      expect(bridge.webim.received).toHaveLength(0);
    } finally {
      await bridge.close();
    }
  });
});
