import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { telegramError } from '../../fakes/telegram';
import { SECRETS, startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';
import { fixture } from '../support/events';

const countRows = async (bridge: TestBridge, table: string) =>
  Number((await bridge.db.sql.unsafe(`SELECT count(*)::int AS n FROM ${table}`))[0]?.n);

describe.each(databaseEngines())('POST /telegram-webhook on $name', (engine) => {
  let bridge: TestBridge;
  beforeAll(async () => {
    bridge = await startTestBridge(engine, { WELCOME_TEXT: 'Welcome! An operator will answer you here.' });
  });
  afterAll(() => bridge.close());
  beforeEach(() => {
    bridge.webim.received.length = 0;
    bridge.telegram.calls.length = 0;
  });

  describe('authentication and input (no database row, no outbound call)', () => {
    it.each([
      ['missing', null],
      ['wrong', 'not-the-secret'],
      ['a prefix of the right', SECRETS.webhookSecret.slice(0, -1)],
    ])('answers 401 to a %s secret token', async (_label, secret) => {
      const res = await bridge.postUpdate(textUpdate(1, 501, 'hi'), { secret });
      expect(res.statusCode).toBe(401);
      expect(await countRows(bridge, 'chat_mapping WHERE chat_id = 501')).toBe(0);
      expect(await countRows(bridge, "delivery_claims WHERE key = '1'")).toBe(0);
      expect(bridge.webim.requests.filter((r) => JSON.stringify(r.body).includes('tg-501-'))).toHaveLength(0);
      expect(bridge.telegram.calls).toHaveLength(0);
    });

    it('answers 400 to malformed JSON and to JSON that is not an update', async () => {
      expect((await bridge.postUpdate(undefined, { rawBody: '{"update_id": 5,' })).statusCode).toBe(400);
      expect((await bridge.postUpdate({ hello: 'world' })).statusCode).toBe(400);
      expect((await bridge.postUpdate({ update_id: 'x' })).statusCode).toBe(400);
      expect((await bridge.postUpdate(undefined, { rawBody: '' })).statusCode).toBe(400);
      expect(bridge.webim.received).toHaveLength(0);
    });

    it('answers 413 to a body over 1 MiB, also when base64-encoded', async () => {
      const big = JSON.stringify(textUpdate(2, 502, 'x'.repeat(1024 * 1024)));
      expect((await bridge.postUpdate(undefined, { rawBody: big })).statusCode).toBe(413);
      expect((await bridge.postUpdate(undefined, { rawBody: big, base64: true })).statusCode).toBe(413);
      expect(await countRows(bridge, 'chat_mapping WHERE chat_id = 502')).toBe(0);
    });

    it('accepts a base64-encoded body', async () => {
      const res = await bridge.postUpdate(undefined, { rawBody: JSON.stringify(textUpdate(3, 503, 'b64')), base64: true });
      expect(res.statusCode).toBe(200);
      expect(bridge.webim.received.map((m) => m.message.text)).toEqual(['b64']);
    });
  });

  it('/start registers the user and sends the welcome text, without bothering the operator', async () => {
    const start = fixture('telegram/start_command.json');
    const res = await bridge.postUpdate(start);
    expect(res.statusCode).toBe(200);
    const visitor = await visitorOf(bridge.db, 287164003);
    expect(visitor).toMatch(/^[0-9a-f-]{36}$/);
    expect(bridge.telegram.sentTo(287164003)).toEqual(['Welcome! An operator will answer you here.']);
    expect(bridge.webim.received).toHaveLength(0);
  });

  it('relays a text message with the visitor name and login and a stable message id', async () => {
    const res = await bridge.postUpdate(fixture('telegram/text_message.json'));
    expect(res.statusCode).toBe(200);
    expect(bridge.webim.received).toEqual([
      {
        event: 'new_message',
        visitor: { id: await visitorOf(bridge.db, 287164003), fields: { name: 'Ivan Petrov', login: 'ivan_p', language: 'ru' } },
        message: { id: 'tg-287164003-412', kind: 'visitor', text: 'Hello, my order #5512 has not arrived' },
      },
    ]);
    const auth = bridge.webim.requests.at(-1)?.headers.authorization;
    expect(auth).toBe(`Token ${SECRETS.webimAccessToken}`);
  });

  it.each([
    // Without FILE_LINK_SECRET files are described in text (with it, see files-to-webim.test.ts).
    ['telegram/photo_with_caption.json', '[photo: photo-413.jpg] Box arrived damaged'],
    ['telegram/sticker.json', '[sticker: sticker-414.webp] 😀'],
    ['telegram/location.json', '[location 55.75124,37.61842]'],
    ['telegram/edited_message.json', '[edited] Hello, my order #5512 has still not arrived'],
  ])('forwards %s as "%s"', async (name, text) => {
    expect((await bridge.postUpdate(fixture(name))).statusCode).toBe(200);
    expect(bridge.webim.received.map((m) => m.message.text)).toEqual([text]);
  });

  it('gives each edit its own Webim message id, even two edits in the same second', async () => {
    const edit = fixture<{ update_id: number; edited_message: { edit_date: number; text: string } }>('telegram/edited_message.json');
    const first = { ...edit, update_id: edit.update_id + 2000 };
    const second = { ...edit, update_id: edit.update_id + 2001, edited_message: { ...edit.edited_message, text: 'second edit' } };
    const before = bridge.webim.received.length;
    expect((await bridge.postUpdate(first)).statusCode).toBe(200);
    expect((await bridge.postUpdate(second)).statusCode).toBe(200);
    expect((await bridge.postUpdate(second)).statusCode).toBe(200); // a redelivery of the second edit
    const ids = bridge.webim.received.slice(before).map((m) => m.message.id);
    expect(ids).toEqual([`tg-287164003-412-edit-${first.update_id}`, `tg-287164003-412-edit-${second.update_id}`]);
  });

  it.each(['telegram/group_message.json', 'telegram/callback_query.json'])('acknowledges and ignores %s', async (name) => {
    const res = await bridge.postUpdate(fixture(name));
    expect(res.statusCode).toBe(200);
    expect(bridge.webim.received).toHaveLength(0);
    expect(bridge.telegram.calls).toHaveLength(0);
    expect(await countRows(bridge, 'chat_mapping WHERE chat_id < 0')).toBe(0);
  });

  it('records "kicked" and "member" from my_chat_member as the blocked state', async () => {
    const kicked = fixture<{ update_id: number; my_chat_member: { new_chat_member: { status: string } } }>(
      'telegram/my_chat_member_kicked.json',
    );
    expect((await bridge.postUpdate(kicked)).statusCode).toBe(200);
    const [row] = await bridge.db.sql`SELECT blocked FROM chat_mapping WHERE chat_id = 287164003`;
    expect(row?.blocked).toBe(true);
    kicked.update_id += 1;
    kicked.my_chat_member.new_chat_member.status = 'member';
    await bridge.postUpdate(kicked);
    const [after] = await bridge.db.sql`SELECT blocked FROM chat_mapping WHERE chat_id = 287164003`;
    expect(after?.blocked).toBe(false);
  });

  it('relays a redelivered update exactly once', async () => {
    const update = textUpdate(9001, 601, 'only once please');
    const answers = [await bridge.postUpdate(update), await bridge.postUpdate(update), await bridge.postUpdate(update)];
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(bridge.webim.received.filter((m) => m.message.id === 'tg-601-9001')).toHaveLength(1);
  });

  it('50 concurrent first messages from one chat create one mapping and one visitor id', async () => {
    const chatId = 777001;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => bridge.postUpdate(textUpdate(20_000 + i, chatId, `m${i}`))));
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    expect(await countRows(bridge, `chat_mapping WHERE chat_id = ${chatId}`)).toBe(1);
    const visitors = new Set(bridge.webim.received.map((m) => m.visitor.id));
    expect(bridge.webim.received).toHaveLength(50);
    expect(visitors).toEqual(new Set([await visitorOf(bridge.db, chatId)]));
  });

  it('Webim 500: answers 503 and releases the claim; the retry delivers exactly once', async () => {
    const update = textUpdate(30_001, 602, 'retry me');
    bridge.webim.script({ status: 500, body: { error: 'internal', desc: 'try later' } });
    const first = await bridge.postUpdate(update);
    expect(first.statusCode).toBe(503);
    expect(first.headers?.['retry-after']).toBeDefined();
    const [claim] = await bridge.db.sql`SELECT state FROM delivery_claims WHERE source = 'telegram_update' AND key = '30001'`;
    expect(claim?.state).toBe('released');
    const second = await bridge.postUpdate(update);
    expect(second.statusCode).toBe(200);
    await bridge.postUpdate(update);
    expect(bridge.webim.received.filter((m) => m.message.id === 'tg-602-30001')).toHaveLength(1);
  });

  it('Webim 400: answers 200, completes the claim and logs the failure without the text', async () => {
    const update = textUpdate(30_002, 603, 'poison for webim');
    bridge.webim.script({ status: 400, body: { error: 'bad_request', desc: 'visitor field invalid' } });
    const res = await bridge.postUpdate(update);
    expect(res.statusCode).toBe(200);
    const [claim] = await bridge.db.sql`SELECT state FROM delivery_claims WHERE source = 'telegram_update' AND key = '30002'`;
    expect(claim?.state).toBe('done');
    const failure = bridge.parsedLogs().find((l) => l.event === 'message_not_delivered' && l.update_id === 30_002);
    expect(failure).toMatchObject({
      level: 'error',
      upstream: 'webim',
      error_class: 'permanent',
      reason: 'webim_400_bad_request',
      chat_id: 603,
    });
    expect(bridge.logs.join('\n')).not.toContain('poison for webim');
    // Telegram's retry of the same update changes nothing.
    await bridge.postUpdate(update);
    expect(bridge.webim.requests.filter((r) => JSON.stringify(r.body).includes('tg-603-30002'))).toHaveLength(1);
  });

  it('Webim unreachable counts as transient (503)', async () => {
    bridge.webim.script({ status: 0, hang: true });
    const res = await bridge.postUpdate(textUpdate(30_003, 604, 'slow webim'));
    expect(res.statusCode).toBe(503);
    const deferred = bridge.parsedLogs().find((l) => l.event === 'delivery_deferred' && l.update_id === 30_003);
    expect(deferred).toMatchObject({ upstream: 'webim', reason: 'network_timeout' });
  }, 10_000);

  it('a duplicate of an update still in progress gets 503', async () => {
    await bridge.db.sql`INSERT INTO delivery_claims (source, key) VALUES ('telegram_update', '30004')`;
    const res = await bridge.postUpdate(textUpdate(30_004, 605, 'x'));
    expect(res.statusCode).toBe(503);
    expect(bridge.webim.received).toHaveLength(0);
  });

  it('takes over a claim whose lease expired (a crashed invocation)', async () => {
    await bridge.db
      .sql`INSERT INTO delivery_claims (source, key, claimed_at) VALUES ('telegram_update', '30005', now() - interval '10 minutes')`;
    const res = await bridge.postUpdate(textUpdate(30_005, 606, 'resumed'));
    expect(res.statusCode).toBe(200);
    expect(bridge.webim.received.map((m) => m.message.text)).toEqual(['resumed']);
  });

  it('a welcome blocked by the user marks the mapping blocked and acknowledges', async () => {
    bridge.telegram.script('sendMessage', telegramError(403, 'Forbidden: bot was blocked by the user'));
    const start = { ...textUpdate(30_006, 607, '/start'), update_id: 30_006 };
    expect((await bridge.postUpdate(start)).statusCode).toBe(200);
    const [row] = await bridge.db.sql`SELECT blocked FROM chat_mapping WHERE chat_id = 607`;
    expect(row?.blocked).toBe(true);
  });
});
