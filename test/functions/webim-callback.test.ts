import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { telegramError } from '../../fakes/telegram';
import { operatorCallback, SECRETS, startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';
import { fixture } from '../support/events';

describe.each(databaseEngines())('POST /webim-callback on $name', (engine) => {
  let bridge: TestBridge;
  let nextChat = 900_000;
  /** A registered user: chat id and visitor id. */
  const newUser = async () => {
    const chatId = ++nextChat;
    expect((await bridge.postUpdate(textUpdate(chatId, chatId, '/start'))).statusCode).toBe(200);
    return { chatId, visitorId: await visitorOf(bridge.db, chatId) };
  };
  const withVisitor = (name: string, visitorId: string) => ({ ...fixture(name), visitor_id: visitorId });

  beforeAll(async () => {
    bridge = await startTestBridge(engine);
  });
  afterAll(() => bridge.close());
  beforeEach(() => {
    bridge.telegram.calls.length = 0;
  });

  describe('authentication and input', () => {
    it.each([
      ['no Authorization header', null],
      ['a wrong token', 'Token wrong-secret-123'],
      ['the secret under another scheme', `Bearer ${SECRETS.callbackSecret}`],
    ])('answers 401 to %s, with no database or outbound work', async (_label, authorization) => {
      const { visitorId } = await newUser();
      const claimsBefore = (await bridge.db.sql`SELECT count(*)::int AS n FROM delivery_claims`)[0]?.n;
      const res = await bridge.postCallback(operatorCallback(visitorId, `auth-${nextChat}`, 'hi'), { authorization });
      expect(res.statusCode).toBe(401);
      expect((await bridge.db.sql`SELECT count(*)::int AS n FROM delivery_claims`)[0]?.n).toBe(claimsBefore);
      expect(bridge.telegram.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(0);
    });

    it('accepts the secret as the last path segment', async () => {
      const { chatId, visitorId } = await newUser();
      const body = operatorCallback(visitorId, `path-${chatId}`, 'via path secret');
      expect((await bridge.postCallback(body, { authorization: null, pathSecret: 'wrong-one-xyz' })).statusCode).toBe(401);
      expect((await bridge.postCallback(body, { authorization: null, pathSecret: SECRETS.callbackSecret })).statusCode).toBe(200);
      expect(bridge.telegram.sentTo(chatId)).toEqual(['via path secret']);
    });

    it('understands visitor and chat as objects, without event (the shape Custom Channel integrators document)', async () => {
      const { chatId, visitorId } = await newUser();
      const body = JSON.parse(JSON.stringify(fixture('webim/object_ids_message.json')).replace('VISITOR_ID', visitorId)) as Record<
        string,
        unknown
      >;
      expect((await bridge.postCallback(body)).statusCode).toBe(200);
      expect((await bridge.postCallback(body)).statusCode).toBe(200); // a redelivery: once
      expect(bridge.telegram.sentTo(chatId)).toEqual(['Hello from the desk, as integrators document it']);
      // An object without a message is an event the bridge does not handle: acknowledged, not refused.
      expect((await bridge.postCallback({ visitor: { id: visitorId }, chat: { id: 90125 } })).statusCode).toBe(200);
      // Objects without ids are still refused.
      expect((await bridge.postCallback({ visitor: {}, message: { text: 'x' } })).statusCode).toBe(400);
    });

    it('answers 400 to malformed bodies and 413 to oversized ones', async () => {
      expect((await bridge.postCallback(undefined, { rawBody: 'not json' })).statusCode).toBe(400);
      expect((await bridge.postCallback({ event: 'new_message', message: { kind: 'operator', text: 'no visitor' } })).statusCode).toBe(400);
      expect((await bridge.postCallback({ event: 'new_message', visitor_id: 'v' })).statusCode).toBe(400);
      expect((await bridge.postCallback(['array'])).statusCode).toBe(400);
      // The answer says where and which rule, in words, never the value.
      const long = await bridge.postCallback({ visitor_id: `v${'7'.repeat(300)}`, message: { text: 'my words', kind: 5 } });
      expect(long.statusCode).toBe(400);
      expect(JSON.parse(long.body ?? '{}')).toEqual({
        error: 'malformed_callback',
        desc: 'body is not a Webim callback: visitor_id must be at most 256 characters; message.kind must be a string',
      });
      const big = JSON.stringify(operatorCallback('v', 'big', 'y'.repeat(1024 * 1024 + 1)));
      expect((await bridge.postCallback(undefined, { rawBody: big })).statusCode).toBe(413);
    });
  });

  it('delivers an operator message to the user, answering {"result":"ok"}', async () => {
    const { chatId, visitorId } = await newUser();
    const res = await bridge.postCallback(withVisitor('webim/operator_message.json', visitorId));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body ?? '')).toEqual({ result: 'ok' });
    expect(bridge.telegram.sentTo(chatId)).toEqual(['Hi! How can I help?']);
  });

  it('accepts a plain-string message with the default event', async () => {
    const { chatId, visitorId } = await newUser();
    expect((await bridge.postCallback(withVisitor('webim/plain_string_message.json', visitorId))).statusCode).toBe(200);
    expect(bridge.telegram.sentTo(chatId)).toEqual(['Your parcel is on its way']);
  });

  it('an operator file from a host that is not allowed reaches the user as its name and a note', async () => {
    const { chatId, visitorId } = await newUser();
    await bridge.postCallback(withVisitor('webim/file_operator.json', visitorId));
    expect(bridge.telegram.sentTo(chatId)).toEqual([
      expect.stringMatching(/^📎 invoice-5512\.pdf — the operator sent a file that could not be delivered here\./),
    ]);
    expect(bridge.parsedLogs().some((l) => l.event === 'file_not_delivered' && l.reason === 'file_host_not_allowed')).toBe(true);
  });

  // chat_closed is answered with the catalogue's word by default (test/functions/languages.test.ts),
  // and with the rating question (test/functions/feedback.test.ts).
  it.each(['webim/for_operator.json'])('acknowledges %s without sending anything', async (name) => {
    const { visitorId } = await newUser();
    const res = await bridge.postCallback(withVisitor(name, visitorId));
    expect(res.statusCode).toBe(200);
    expect(bridge.telegram.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(0);
    expect(bridge.parsedLogs().some((l) => l.event === 'webim_callback_ignored' && l.visitor_id === visitorId)).toBe(true);
  });

  it('skips info messages unless FORWARD_INFO_MESSAGES is on', async () => {
    const { visitorId } = await newUser();
    const info = {
      event: 'new_message',
      visitor_id: visitorId,
      message: { id: `info-${visitorId}`, kind: 'info', text: 'Operator joined' },
    };
    expect((await bridge.postCallback(info)).statusCode).toBe(200);
    expect(bridge.telegram.calls).toHaveLength(0);
  });

  it('logs an unknown visitor as an error and acknowledges', async () => {
    const res = await bridge.postCallback(operatorCallback('00000000-0000-4000-8000-000000000000', 'unknown-1', 'lost?'));
    expect(res.statusCode).toBe(200);
    expect(bridge.parsedLogs().find((l) => l.event === 'message_not_delivered' && l.webim_message_id === 'unknown-1')).toMatchObject({
      level: 'error',
      reason: 'unknown_visitor',
    });
  });

  it('delivers a redelivered callback exactly once', async () => {
    const { chatId, visitorId } = await newUser();
    const body = operatorCallback(visitorId, `dup-${chatId}`, 'exactly once');
    const answers = await Promise.all([bridge.postCallback(body), bridge.postCallback(body)]);
    answers.push(await bridge.postCallback(body));
    expect(answers.filter((r) => r.statusCode === 200).length).toBeGreaterThanOrEqual(2);
    expect(answers.every((r) => r.statusCode === 200 || r.statusCode === 503)).toBe(true);
    expect(bridge.telegram.sentTo(chatId)).toEqual(['exactly once']);
  });

  it('splits a 5000-character reply into two messages, in order, on a line boundary', async () => {
    const { chatId, visitorId } = await newUser();
    const lines = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')} ${'x'.repeat(45)}`);
    const text = lines.join('\n');
    expect(text.length).toBe(4999);
    await bridge.postCallback(operatorCallback(visitorId, `long-${chatId}`, text));
    const sent = bridge.telegram.sentTo(chatId);
    expect(sent).toHaveLength(2);
    expect(sent.every((p) => p.length <= 4096)).toBe(true);
    expect(sent.join('\n')).toBe(text);
    expect(sent[0]?.endsWith('x')).toBe(true);
    expect(sent[1]?.startsWith(lines[sent[0]!.split('\n').length]!)).toBe(true);
  });

  it('after a transient failure on the second part, the retry sends only the rest', async () => {
    const { chatId, visitorId } = await newUser();
    const text = `${'a'.repeat(4000)}\n${'b'.repeat(1000)}`;
    bridge.telegram.script(
      'sendMessage',
      { status: 200, body: { ok: true, result: { message_id: 1, date: 0, chat: { id: chatId, type: 'private' } } } },
      telegramError(429, 'Too Many Requests: retry after 60', 60),
    );
    const first = await bridge.postCallback(operatorCallback(visitorId, `resume-${chatId}`, text));
    expect(first.statusCode).toBe(503);
    expect(first.headers?.['retry-after']).toBe('60');
    const second = await bridge.postCallback(operatorCallback(visitorId, `resume-${chatId}`, text));
    expect(second.statusCode).toBe(200);
    const texts = bridge.telegram.calls.filter((c) => c.method === 'sendMessage').map((c) => String(c.params.text)[0]);
    expect(texts).toEqual(['a', 'b', 'b']); // part 1 once, part 2 failed then delivered
  });

  it('Telegram 429 with a small retry_after: waits and delivers', async () => {
    const { chatId, visitorId } = await newUser();
    bridge.telegram.script('sendMessage', telegramError(429, 'Too Many Requests: retry after 1', 1));
    const started = Date.now();
    const res = await bridge.postCallback(operatorCallback(visitorId, `rl-small-${chatId}`, 'after a pause'));
    expect(res.statusCode).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(bridge.telegram.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(2);
    expect(bridge.telegram.sentTo(chatId)).toEqual(['after a pause', 'after a pause']);
    expect(bridge.parsedLogs().some((l) => l.event === 'telegram_retry' && l.reason === 'rate_limited' && l.chat_id === chatId)).toBe(true);
  });

  it('Telegram 429 with a retry_after beyond the time budget: 503 with Retry-After, claim released', async () => {
    const { chatId, visitorId } = await newUser();
    bridge.telegram.script('sendMessage', telegramError(429, 'Too Many Requests: retry after 120', 120));
    const res = await bridge.postCallback(operatorCallback(visitorId, `rl-big-${chatId}`, 'later'));
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['retry-after']).toBe('120');
    const [claim] = await bridge.db.sql`SELECT state FROM delivery_claims WHERE key = ${`rl-big-${chatId}`}`;
    expect(claim?.state).toBe('released');
  });

  it('Telegram 5xx: bounded backoff, then delivered', async () => {
    const { chatId, visitorId } = await newUser();
    bridge.telegram.script('sendMessage', telegramError(502, 'Bad Gateway'), telegramError(500, 'Internal Server Error'));
    const res = await bridge.postCallback(operatorCallback(visitorId, `5xx-${chatId}`, 'eventually'));
    expect(res.statusCode).toBe(200);
    expect(bridge.telegram.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(3);
  });

  it('Telegram 403 blocked: marks the mapping blocked, answers 200, never retries', async () => {
    const { chatId, visitorId } = await newUser();
    bridge.telegram.script('sendMessage', telegramError(403, 'Forbidden: bot was blocked by the user'));
    const res = await bridge.postCallback(operatorCallback(visitorId, `blocked-${chatId}`, 'are you there?'));
    expect(res.statusCode).toBe(200);
    expect(bridge.telegram.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(1);
    const [row] = await bridge.db.sql`SELECT blocked FROM chat_mapping WHERE chat_id = ${chatId}`;
    expect(row?.blocked).toBe(true);
    // Later operator messages are not attempted while the user has the bot blocked.
    expect((await bridge.postCallback(operatorCallback(visitorId, `blocked2-${chatId}`, 'hello?'))).statusCode).toBe(200);
    expect(bridge.telegram.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(1);
    // Writing again unblocks.
    await bridge.postUpdate(textUpdate(chatId + 5_000_000, chatId, 'I am back'));
    await bridge.postCallback(operatorCallback(visitorId, `blocked3-${chatId}`, 'welcome back'));
    expect(bridge.telegram.sentTo(chatId).at(-1)).toBe('welcome back');
  });

  it('Telegram 400 chat not found: permanent, acknowledged and logged', async () => {
    const { chatId, visitorId } = await newUser();
    bridge.telegram.script('sendMessage', telegramError(400, 'Bad Request: chat not found'));
    const res = await bridge.postCallback(operatorCallback(visitorId, `cnf-${chatId}`, 'nobody'));
    expect(res.statusCode).toBe(200);
    expect(bridge.parsedLogs().find((l) => l.event === 'message_not_delivered' && l.webim_message_id === `cnf-${chatId}`)).toMatchObject({
      upstream: 'telegram',
      error_class: 'permanent',
      reason: 'chat_not_found',
    });
  });
});
