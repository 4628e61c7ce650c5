import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telegramError } from '../../fakes/telegram';
import { businessConnectionsCheck } from '../../lib/admin/business-check';
import { runDoctor } from '../../lib/admin/doctor';
import { BUSINESS_CHAT_KEY_MIN } from '../../lib/db/business';
import { readMigrations } from '../../lib/db/migrate';
import { startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { type DatabaseEngine, databaseEngines } from '../support/databases';
import { fixture } from '../support/events';
import { allTextInDatabase } from '../support/privacy';

type Received = {
  message: { id: string; kind: string; text?: string; data?: { url?: string; name?: string } };
  visitor: { id: string; fields: Record<string, string> };
};

/** The fixtures' ids, replaced per test so that each test has its own account and customer. */
const FIXTURE_CONNECTION = 'AQADn9QAAHbbkqZ-uYvS3hM';
const FIXTURE_OWNER = 502917734;
const FIXTURE_CUSTOMER = 287164003;

/**
 * Telegram Business end to end: real Bot API update shapes through POST /telegram-webhook, real
 * Webim callbacks through POST /webim-callback, the loopback fakes on the other side and a real
 * database. A customer writing to a connected business account and an operator see each other's
 * messages, files and edits, once and in order; every refusal reaches the operator as a note.
 */
describe.each(databaseEngines())('Telegram Business on $name', (engine) => {
  let bridge: TestBridge;
  let next = 8_800_000;
  const ADMIN_CHAT = -100_888;
  const received = () => bridge.webim.received as unknown as Received[];
  const forVisitor = (visitorId: string) => received().filter((m) => m.visitor.id === visitorId);
  const notesFor = (visitorId: string) => forVisitor(visitorId).filter((m) => m.message.kind === 'for_operator');

  /** A fixture with its update id, connection, owner and customer replaced. */
  const update = (name: string, ids: { connection: string; owner?: number; customer?: number; updateId?: number }) => {
    const text = JSON.stringify(fixture(`telegram/business/${name}.json`))
      .replaceAll(FIXTURE_CONNECTION, ids.connection)
      .replaceAll(String(FIXTURE_OWNER), String(ids.owner ?? FIXTURE_OWNER))
      .replaceAll(String(FIXTURE_CUSTOMER), String(ids.customer ?? FIXTURE_CUSTOMER));
    return { ...(JSON.parse(text) as Record<string, unknown>), update_id: ids.updateId ?? ++next };
  };
  /** A connected account with a customer who wrote once; returns the customer's business visitor. */
  const connectedChat = async (options: { connection?: string; rights?: 'full' | 'no_reply' } = {}) => {
    const ids = { connection: options.connection ?? `conn-${++next}`, owner: ++next, customer: ++next };
    const connect = update(options.rights === 'no_reply' ? 'business_connection_no_reply' : 'business_connection', ids);
    expect((await bridge.postUpdate(connect)).statusCode).toBe(200);
    expect((await bridge.postUpdate(update('business_message_text', ids))).statusCode).toBe(200);
    const visitorId = received().at(-1)?.visitor.id as string;
    return { ...ids, visitorId };
  };
  const reply = (visitorId: string, id: string, text: string) => ({
    event: 'new_message',
    visitor_id: visitorId,
    message: { id, kind: 'operator', text },
  });
  const sendCalls = (chatId: number) =>
    bridge.telegram.calls.filter((c) => c.method === 'sendMessage' && Number(c.params.chat_id) === chatId);

  beforeAll(async () => {
    bridge = await startTestBridge(engine, {
      FILE_LINK_SECRET: 'business-file-link-secret-0123',
      ADMIN_CHAT_ID: String(ADMIN_CHAT),
      SHOW_OPERATOR_NAME: 'true',
    });
  });
  afterAll(() => bridge.close());

  it('records a connection (ids, owner, rights, enabled; no text) and the doctor lists it', async () => {
    const connection = `conn-${++next}`;
    expect((await bridge.postUpdate(update('business_connection', { connection }))).statusCode).toBe(200);
    const [row] = await bridge.db.sql`
      SELECT owner_user_id, owner_username, user_chat_id, is_enabled, can_reply, can_read_messages, rights
      FROM business_connections WHERE id = ${connection}`;
    expect(row).toMatchObject({
      owner_user_id: String(FIXTURE_OWNER),
      owner_username: 'acme_flowers',
      user_chat_id: String(FIXTURE_OWNER),
      is_enabled: true,
      can_reply: true,
      can_read_messages: true,
      rights: { can_reply: true, can_read_messages: true, can_delete_outgoing_messages: true },
    });
    const check = await businessConnectionsCheck(bridge.db);
    expect(check?.status).toBe('ok');
    expect(check?.detail).toMatch(/@acme_flowers \(may reply, read receipts, 0 chats\)/);
    // The doctor's report carries the line.
    const report = await runDoctor({
      settings: async () => (await bridge.runtime.context()).settings,
      database: () => bridge.runtime.databaseOnly(),
      migrations: await readMigrations(),
    });
    expect(report.lines.find((l) => l.includes('business'))).toMatch(/^✓ business +1 connected: @acme_flowers \(may reply/);
  });

  it("a customer's message reaches Webim as a visitor of its own, naming the account; the same person's bot chat is another visitor", async () => {
    const { connection, customer, visitorId } = await connectedChat();
    const last = received().at(-1) as Received;
    expect(last.message).toMatchObject({ kind: 'visitor', text: 'Hello! Do you deliver tulips to Khimki today?' });
    expect(last.visitor.fields).toMatchObject({
      name: 'Ivan Petrov',
      login: 'ivan_p',
      business_account: 'Telegram Business account @acme_flowers',
    });
    // The key of the business chat is its own, never the customer's Telegram id.
    const [mapping] = await bridge.db.sql<{ chat_id: string }[]>`
      SELECT chat_id FROM chat_mapping WHERE business_connection_id = ${connection} AND business_chat_id = ${customer}`;
    expect(Number(mapping?.chat_id)).toBeGreaterThanOrEqual(BUSINESS_CHAT_KEY_MIN);
    expect(last.message.id).toBe(`tg-${mapping?.chat_id}-3312`);

    // The same person writes to the bot itself: a second conversation, with ids that cannot collide.
    expect((await bridge.postUpdate(textUpdate(++next, customer, 'And a question for the bot', 3312))).statusCode).toBe(200);
    const botVisitor = await visitorOf(bridge.db, customer);
    expect(botVisitor).not.toBe(visitorId);
    expect(received().at(-1)).toMatchObject({ visitor: { id: botVisitor }, message: { id: `tg-${customer}-3312` } });
    expect(received().at(-1)?.visitor.fields.business_account).toBeUndefined();

    // Each operator's answer leaves through its own conversation.
    expect((await bridge.postCallback(reply(visitorId, `op-${next}-b`, 'Yes, until 8 pm'))).statusCode).toBe(200);
    expect((await bridge.postCallback(reply(botVisitor, `op-${next}-d`, 'The bot answers here'))).statusCode).toBe(200);
    expect(bridge.telegram.deliveredThrough(connection, customer)).toEqual(['Yes, until 8 pm']);
    expect(bridge.telegram.deliveredTo(customer)).toEqual(['The bot answers here']);
  });

  it("operators' replies go out with business_connection_id, once and in order, and mark the customer's messages read", async () => {
    const { connection, customer, visitorId } = await connectedChat();
    for (const [i, text] of ['First answer', 'Second answer', 'Third answer'].entries()) {
      const callback = reply(visitorId, `order-${next}-${i}`, text);
      expect((await bridge.postCallback(callback)).statusCode).toBe(200);
      expect((await bridge.postCallback(callback)).statusCode).toBe(200); // Webim's redelivery: a duplicate
    }
    expect(bridge.telegram.deliveredThrough(connection, customer)).toEqual(['First answer', 'Second answer', 'Third answer']);
    const sends = sendCalls(customer);
    expect(sends).toHaveLength(3);
    for (const call of sends) expect(call.params.business_connection_id).toBe(connection);
    const reads = bridge.telegram.calls.filter((c) => c.method === 'readBusinessMessage' && c.params.business_connection_id === connection);
    expect(reads.at(-1)?.params).toMatchObject({ chat_id: customer, message_id: 3312 });
  });

  it('a connection made before the bridge listened is asked of Telegram once, for the name operators see', async () => {
    // Ids of their own per run: a container remembers the connections it has asked about.
    const ids = { connection: `conn-${randomUUID()}`, owner: ++next, customer: ++next };
    const connection = (update('business_connection', ids) as unknown as { business_connection: Record<string, unknown> })
      .business_connection;
    bridge.telegram.businessConnections.set(ids.connection, {
      ...connection,
      user: { ...(connection.user as object), username: 'old_shop' },
    });
    for (let i = 0; i < 2; i++) expect((await bridge.postUpdate(update('business_message_text', ids))).statusCode).toBe(200);
    expect(received().at(-1)?.visitor.fields.business_account).toBe('Telegram Business account @old_shop');
    expect(
      bridge.telegram.calls.filter((c) => c.method === 'getBusinessConnection' && c.params.business_connection_id === ids.connection),
    ).toHaveLength(1);
    // An account Telegram does not know either: the message still goes, under a plain label.
    const unknown = { connection: `conn-${randomUUID()}`, customer: ++next };
    for (let i = 0; i < 2; i++) expect((await bridge.postUpdate(update('business_message_text', unknown))).statusCode).toBe(200);
    expect(received().at(-1)?.visitor.fields.business_account).toBe('Telegram Business account');
    expect(
      bridge.telegram.calls.filter((c) => c.method === 'getBusinessConnection' && c.params.business_connection_id === unknown.connection),
    ).toHaveLength(1);
  });

  it('files both ways, edits and replies with buttons through the account', async () => {
    const { connection, customer, visitorId } = await connectedChat();
    expect((await bridge.postUpdate(update('business_message_photo', { connection, customer }))).statusCode).toBe(200);
    const [file, caption] = forVisitor(visitorId).slice(-2);
    expect(file?.message).toMatchObject({ kind: 'file_visitor', data: { name: expect.stringMatching(/\.jpg$/) } });
    expect(file?.message.data?.url).toMatch(/\/files\//);
    expect(caption?.message).toMatchObject({ kind: 'visitor', text: 'Like these, but pink' });

    const edit = update('edited_business_message', { connection, customer });
    expect((await bridge.postUpdate(edit)).statusCode).toBe(200);
    expect(forVisitor(visitorId).at(-1)?.message).toMatchObject({
      kind: 'visitor',
      text: '[edited] Hello! Do you deliver tulips to Khimki tomorrow morning?',
      id: expect.stringMatching(new RegExp(`-3312-edit-${edit.update_id}$`)),
    });

    const keyboard = {
      event: 'new_message',
      visitor_id: visitorId,
      message: { id: `kb-${next}`, kind: 'keyboard', text: 'Which colour?', buttons: [[{ id: 'pink', text: 'Pink' }]] },
    };
    expect((await bridge.postCallback(keyboard)).statusCode).toBe(200);
    const sent = sendCalls(customer).at(-1);
    expect(sent?.params).toMatchObject({ business_connection_id: connection, reply_markup: { inline_keyboard: [[{ text: 'Pink' }]] } });

    // The operator sends a file: uploaded through the account, the bytes as the desk had them.
    const bytes = Buffer.from('%PDF-1.4 price list for the business chat');
    const url = bridge.webim.addFile(`prices-${next}.pdf`, bytes, 'application/pdf');
    const fileReply = {
      event: 'new_message',
      visitor_id: visitorId,
      message: {
        id: `file-${next}`,
        kind: 'file_operator',
        text: 'Our prices',
        data: { url, name: 'prices.pdf', media_type: 'application/pdf', size: bytes.length },
      },
    };
    expect((await bridge.postCallback(fileReply)).statusCode).toBe(200);
    const upload = bridge.telegram.calls.filter((c) => c.method === 'sendDocument').at(-1);
    expect(upload?.params).toMatchObject({ chat_id: String(customer), business_connection_id: connection, caption: 'Our prices' });
    expect(bridge.telegram.uploads.at(-1)?.bytes.equals(bytes)).toBe(true);
    expect(bridge.telegram.deliveredThrough(connection, customer)).toContain('[sendDocument prices.pdf | Our prices]');

    // The customer presses the button under the account's message: the press reaches the business visitor.
    const press = {
      update_id: ++next,
      callback_query: {
        id: `cq-${next}`,
        from: { id: customer, is_bot: false, first_name: 'Ivan' },
        chat_instance: '-5512',
        data: 'b1:pink',
        message: {
          message_id: 5001,
          date: 1795339100,
          chat: { id: customer, type: 'private', first_name: 'Ivan' },
          business_connection_id: connection,
          text: 'Which colour?',
          reply_markup: { inline_keyboard: [[{ text: 'Pink', callback_data: 'b1:pink' }]] },
        },
      },
    };
    expect((await bridge.postUpdate(press)).statusCode).toBe(200);
    expect(forVisitor(visitorId).at(-1)?.message).toMatchObject({
      kind: 'keyboard_response',
      data: { button: { id: 'pink', text: 'Pink' } },
    });
    const shown = bridge.telegram.calls.filter((c) => c.method === 'editMessageText').at(-1);
    expect(shown?.params).toMatchObject({ chat_id: customer, message_id: 5001, business_connection_id: connection });
  });

  it("the owner typing in the chat is not the customer's words: the operator sees a note without the text", async () => {
    const { connection, customer, owner, visitorId } = await connectedChat();
    const before = forVisitor(visitorId).length;
    const ownerMessage = update('business_message_from_owner', { connection, customer, owner });
    expect((await bridge.postUpdate(ownerMessage)).statusCode).toBe(200);
    expect((await bridge.postUpdate(ownerMessage)).statusCode).toBe(200); // redelivered: one note
    const added = forVisitor(visitorId).slice(before);
    expect(added.map((m) => m.message.kind)).toEqual(['for_operator']);
    expect(added[0]?.message.text).toMatch(/answered this customer directly/);
    expect(JSON.stringify(added)).not.toContain('until 8 pm');

    // The bridge's own replies come back as messages sent by a business bot: never relayed.
    const echo = update('business_message_sent_by_bot', { connection, customer, owner });
    expect((await bridge.postUpdate(echo)).statusCode).toBe(200);
    expect(forVisitor(visitorId).length).toBe(before + 1);
  });

  it('a deletion in the chat becomes a note with the message ids (no text)', async () => {
    const { connection, customer, visitorId } = await connectedChat();
    expect((await bridge.postUpdate(update('deleted_business_messages', { connection, customer }))).statusCode).toBe(200);
    expect(notesFor(visitorId).at(-1)?.message.text).toBe('🗑 Deleted in the Telegram chat: message 3313.');
    // A deletion in a chat the desk never saw creates no visitor.
    const count = received().length;
    expect((await bridge.postUpdate(update('deleted_business_messages', { connection, customer: ++next }))).statusCode).toBe(200);
    expect(received()).toHaveLength(count);
  });

  describe('every refusal ends in one operator note, and nothing is retried', () => {
    const refusals = [
      {
        name: 'chat outside the reply window',
        answer: telegramError(400, 'Bad Request: BUSINESS_PEER_USAGE_MISSING'),
        note: /only within 24 hours of the customer's last message/,
      },
      {
        name: 'connection unknown to Telegram',
        answer: telegramError(400, 'Bad Request: business connection not found'),
        note: /disconnected the bot/,
      },
      {
        name: 'connection invalid',
        answer: telegramError(400, 'Bad Request: BUSINESS_CONNECTION_INVALID'),
        note: /disconnected the bot/,
      },
      {
        name: 'no right to reply (Telegram says so)',
        answer: telegramError(400, 'Bad Request: BOT_ACCESS_FORBIDDEN'),
        note: /does not allow the bot to reply/,
      },
    ];
    it.each(refusals)('$name', async ({ answer, note }) => {
      const { customer, visitorId } = await connectedChat();
      bridge.telegram.script('sendMessage', answer);
      const callback = reply(visitorId, `refused-${next}`, 'Our answer');
      expect((await bridge.postCallback(callback)).statusCode).toBe(200);
      expect((await bridge.postCallback(callback)).statusCode).toBe(200);
      expect(sendCalls(customer)).toHaveLength(1);
      const notes = notesFor(visitorId);
      expect(notes).toHaveLength(1);
      expect(notes[0]?.message.text).toMatch(/^⚠ Not delivered to the user: /);
      expect(notes[0]?.message.text).toMatch(note);
      // The customer's bot chat is untouched (never marked blocked).
      const [row] = await bridge.db.sql`SELECT count(*)::int AS n FROM chat_mapping WHERE chat_id = ${customer} AND blocked`;
      expect(row?.n).toBe(0);
    });

    it('a disabled connection: the admin is alerted once, replies fail with a note and no Telegram call', async () => {
      const { connection, owner, customer, visitorId } = await connectedChat();
      const disable = update('business_connection_disabled', { connection, owner, customer });
      expect((await bridge.postUpdate(disable)).statusCode).toBe(200);
      expect((await bridge.postUpdate(disable)).statusCode).toBe(200); // redelivered: no second alert
      const alerts = bridge.telegram.deliveredTo(ADMIN_CHAT).filter((t) => t.includes('disconnected or disabled'));
      expect(alerts).toEqual([expect.stringContaining('Telegram Business account @acme_flowers disconnected or disabled the bot')]);

      const calls = bridge.telegram.calls.length;
      expect((await bridge.postCallback(reply(visitorId, `disabled-${next}`, 'Anyone?'))).statusCode).toBe(200);
      expect(sendCalls(customer)).toHaveLength(0);
      expect(bridge.telegram.calls.slice(calls).filter((c) => c.params.business_connection_id)).toEqual([]);
      expect(notesFor(visitorId).at(-1)?.message.text).toMatch(/has disabled its connection to the bot/);
      expect((await businessConnectionsCheck(bridge.db))?.detail).toMatch(/disconnected/);
    });

    it('an account without the right to reply: the admin is told, the doctor warns, a reply becomes a note', async () => {
      const { customer, visitorId } = await connectedChat({ rights: 'no_reply' });
      expect(bridge.telegram.deliveredTo(ADMIN_CHAT).some((t) => t.includes('no longer lets the bot reply'))).toBe(true);
      const check = await businessConnectionsCheck(bridge.db);
      expect(check?.status).toBe('warn');
      expect(check?.detail).toMatch(/may NOT reply/);
      expect((await bridge.postCallback(reply(visitorId, `mute-${next}`, 'Hello?'))).statusCode).toBe(200);
      expect(sendCalls(customer)).toHaveLength(0);
      expect(notesFor(visitorId).at(-1)?.message.text).toMatch(/does not allow the bot to reply/);
    });
  });

  it('keeps no text in any table or log line', async () => {
    const { visitorId } = await connectedChat();
    await bridge.postCallback(reply(visitorId, `privacy-${next}`, 'Private operator words 7731'));
    const stored = await allTextInDatabase(bridge);
    const logs = bridge.logs.join('\n');
    for (const text of ['tulips', 'Like these, but pink', 'until 8 pm', 'Private operator words 7731', 'Our answer']) {
      expect(stored).not.toContain(text);
      expect(logs).not.toContain(text);
    }
  });
});

describe.each(databaseEngines())('Telegram Business replies that must wait, on $name', (engine) => {
  let bridge: TestBridge;
  const received = () => bridge.webim.received as unknown as Received[];
  const sent = () => bridge.telegram.calls.filter((c) => c.method === 'sendMessage').length;
  const reply = (visitorId: string, id: string, text: string) => ({
    event: 'new_message',
    visitor_id: visitorId,
    message: { id, kind: 'operator', text },
  });
  const until = async (check: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 25));
  };
  let visitorId: string;

  beforeAll(async () => {
    bridge = await startTestBridge(engine, { QUEUE_MAX_BACKOFF_SECONDS: '1' }, { replyQueue: true });
    expect((await bridge.postUpdate(fixture('telegram/business/business_connection.json'))).statusCode).toBe(200);
    expect((await bridge.postUpdate(fixture('telegram/business/business_message_text.json'))).statusCode).toBe(200);
    visitorId = received().at(-1)?.visitor.id as string;
  });
  afterAll(() => bridge.close());

  it('wait in the reply queue and leave through the account once Telegram is back: once each, in order', async () => {
    bridge.telegram.script('sendMessage', ...Array.from({ length: 8 }, () => telegramError(502, 'Bad Gateway')));
    for (const [i, text] of ['one', 'two', 'three'].entries())
      expect((await bridge.postCallback(reply(visitorId, `q-${i}`, text))).statusCode).toBe(200);
    await until(() => bridge.telegram.deliveredThrough(FIXTURE_CONNECTION, FIXTURE_CUSTOMER).length >= 3, 30_000);
    await bridge.queue?.drained(30_000);
    expect(bridge.telegram.deliveredThrough(FIXTURE_CONNECTION, FIXTURE_CUSTOMER)).toEqual(['one', 'two', 'three']);
    expect(bridge.telegram.deliveredTo(FIXTURE_CUSTOMER)).toEqual([]);
  }, 60_000);

  it('a refusal met by the queue ends the reply with a note, not another round', async () => {
    // The callback's own attempts fail (it hands the reply to the queue); the queue's attempt is refused.
    bridge.telegram.script('sendMessage', ...Array.from({ length: 4 }, () => telegramError(502, 'Bad Gateway')));
    bridge.telegram.script('sendMessage', telegramError(400, 'Bad Request: BUSINESS_PEER_USAGE_MISSING'));
    const before = sent();
    expect((await bridge.postCallback(reply(visitorId, 'q-late', 'late'))).statusCode).toBe(200);
    const notes = () => received().filter((m) => m.visitor.id === visitorId && m.message.kind === 'for_operator');
    await until(() => notes().length > 0, 30_000);
    await bridge.queue?.drained(30_000);
    expect(notes().map((n) => n.message.id)).toEqual(['note-q-late']);
    expect(notes()[0]?.message.text).toMatch(/24 hours/);
    // Four failures and the refusal, and no attempt after it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(sent() - before).toBe(5);
    expect(bridge.telegram.deliveredThrough(FIXTURE_CONNECTION, FIXTURE_CUSTOMER)).not.toContain('late');
  }, 60_000);
});

describe("Telegram Business with the owner's text shown (BUSINESS_OWNER_NOTES=with_text)", () => {
  const engine = databaseEngines()[0] as DatabaseEngine;
  let bridge: TestBridge;
  beforeAll(async () => {
    bridge = await startTestBridge(engine, {
      BUSINESS_OWNER_NOTES: 'with_text',
      BUSINESS_READ_RECEIPTS: 'false',
    });
  });
  afterAll(() => bridge.close());

  it('quotes the owner in the note, and gives no read receipt when read receipts are off', async () => {
    const ids = (name: string) => fixture(`telegram/business/${name}.json`);
    expect((await bridge.postUpdate(ids('business_connection'))).statusCode).toBe(200);
    expect((await bridge.postUpdate(ids('business_message_text'))).statusCode).toBe(200);
    expect((await bridge.postUpdate(ids('business_message_from_owner'))).statusCode).toBe(200);
    const received = bridge.webim.received as unknown as Received[];
    expect(received.map((m) => m.message.kind)).toEqual(['visitor', 'for_operator']);
    expect(received[1]?.message.text).toBe('✍ The business account replied directly in Telegram: Yes, we deliver there until 8 pm');
    const visitorId = received[0]?.visitor.id as string;
    await bridge.postCallback({ event: 'new_message', visitor_id: visitorId, message: { id: 'op-1', kind: 'operator', text: 'Hi' } });
    expect(bridge.telegram.deliveredThrough(FIXTURE_CONNECTION, FIXTURE_CUSTOMER)).toEqual(['Hi']);
    expect(bridge.telegram.calls.filter((c) => c.method === 'readBusinessMessage')).toEqual([]);
  });
});
