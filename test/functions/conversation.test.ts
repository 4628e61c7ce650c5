import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telegramError } from '../../fakes/telegram';
import { startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';
import { fixture } from '../support/events';
import { allTextInDatabase } from '../support/privacy';

type Received = {
  message: { id: string; kind: string; text?: string; data?: unknown };
  visitor: { id: string; fields: Record<string, string> };
};

/**
 * Both sides see what happened on the other, end to end through the HTTP routes: the operator
 * learns what failed, buttons work both ways, the user is told, the context travels.
 */
describe.each(databaseEngines())('a conversation, not a pipe, on $name', (engine) => {
  let bridge: TestBridge;
  let next = 6_600_000;
  const received = () => bridge.webim.received as unknown as Received[];
  const newUser = async () => {
    const chatId = ++next;
    expect((await bridge.postUpdate(textUpdate(++next, chatId, '/start'))).statusCode).toBe(200);
    return { chatId, visitorId: await visitorOf(bridge.db, chatId) };
  };
  const notesFor = (visitorId: string) => received().filter((m) => m.visitor.id === visitorId && m.message.kind === 'for_operator');
  const membership = (updateId: number, chatId: number, status: 'kicked' | 'member') => ({
    update_id: updateId,
    my_chat_member: {
      chat: { id: chatId, first_name: 'Test', type: 'private' },
      from: { id: chatId, is_bot: false, first_name: 'Test' },
      date: 1795339000,
      old_chat_member: { user: { id: 7012345678, is_bot: true, first_name: 'Bot' }, status: status === 'kicked' ? 'member' : 'kicked' },
      new_chat_member: { user: { id: 7012345678, is_bot: true, first_name: 'Bot' }, status },
    },
  });
  const keyboardCallback = (visitorId: string, id: string, text: string, buttons: { id: string; text: string }[][]) => ({
    event: 'new_message',
    visitor_id: visitorId,
    message: { id, kind: 'keyboard', text, buttons },
  });

  beforeAll(async () => {
    bridge = await startTestBridge(engine, { SHOW_OPERATOR_NAME: 'true' });
  });
  afterAll(() => bridge.close());

  describe('the operator is told', () => {
    it("a reply to a user who blocked the bot: one for_operator note per failed reply, never twice, never as the user's words", async () => {
      const { chatId, visitorId } = await newUser();
      bridge.telegram.script('sendMessage', telegramError(403, 'Forbidden: bot was blocked by the user'));
      const reply = { event: 'new_message', visitor_id: visitorId, message: { id: 'blocked-1', kind: 'operator', text: 'Are you there?' } };
      expect((await bridge.postCallback(reply)).statusCode).toBe(200);
      expect((await bridge.postCallback(reply)).statusCode).toBe(200); // Webim's redelivery: a duplicate
      const notes = notesFor(visitorId);
      expect(notes).toHaveLength(1);
      expect(notes[0]?.message).toMatchObject({
        id: 'note-blocked-1',
        kind: 'for_operator',
        text: expect.stringMatching(/^⚠ Not delivered to the user: the user blocked the bot/),
      });
      // A second reply while blocked (known from the database now: no Telegram call) gets its own note.
      expect((await bridge.postCallback({ ...reply, message: { ...reply.message, id: 'blocked-2' } })).statusCode).toBe(200);
      expect(notesFor(visitorId).map((n) => n.message.id)).toEqual(['note-blocked-1', 'note-blocked-2']);
      expect(bridge.telegram.deliveredTo(chatId)).toEqual([]);
    });

    it('the user unblocks the bot (my_chat_member → member): a note says so, once', async () => {
      const { chatId, visitorId } = await newUser();
      expect((await bridge.postUpdate(membership(++next, chatId, 'kicked'))).statusCode).toBe(200);
      const unblock = membership(++next, chatId, 'member');
      expect((await bridge.postUpdate(unblock)).statusCode).toBe(200);
      expect((await bridge.postUpdate(unblock)).statusCode).toBe(200); // redelivered
      expect(notesFor(visitorId).map((n) => n.message.text)).toEqual([
        '⚠ The user blocked the bot: replies will not reach them until they unblock it.',
        '✓ The user unblocked the bot: replies reach them again.',
      ]);
    });

    it('a chat that no longer exists: the note names it', async () => {
      const { visitorId } = await newUser();
      bridge.telegram.script('sendMessage', telegramError(400, 'Bad Request: chat not found'));
      await bridge.postCallback({
        event: 'new_message',
        visitor_id: visitorId,
        message: { id: 'gone-1', kind: 'operator', text: 'Hello?' },
      });
      expect(notesFor(visitorId)[0]?.message.text).toBe('⚠ Not delivered to the user: the Telegram chat no longer exists.');
    });
  });

  describe('the user is told', () => {
    it('Webim refuses a message for good: the user gets a short reply', async () => {
      const { chatId } = await newUser();
      bridge.webim.script({ status: 400, body: { error: 'bad_message', desc: 'rejected' } });
      expect((await bridge.postUpdate(textUpdate(++next, chatId, 'something Webim refuses'))).statusCode).toBe(200);
      expect(bridge.telegram.deliveredTo(chatId)).toEqual([
        'Sorry, this message could not be passed on to our operators. Please try again, perhaps in other words.',
      ]);
    });

    it('Webim unreachable for longer than the threshold: one notice per outage per chat, also under concurrent messages', async () => {
      const { chatId } = await newUser();
      bridge.webim.script(...Array.from({ length: 7 }, () => ({ status: 503 })));
      expect((await bridge.postUpdate(textUpdate(++next, chatId, 'first while down'))).statusCode).toBe(503);
      expect(bridge.telegram.deliveredTo(chatId)).toEqual([]); // not yet: the outage is young
      // The outage began long enough ago (as if Telegram had been redelivering for minutes).
      await bridge.db.sql`UPDATE chat_delay_notices SET failing_since = now() - interval '10 minutes' WHERE chat_id = ${chatId}`;
      const statuses = await Promise.all(
        Array.from({ length: 6 }, () => bridge.postUpdate(textUpdate(++next, chatId, 'still down')).then((r) => r.statusCode)),
      );
      expect(statuses.every((s) => s === 503)).toBe(true);
      expect(bridge.telegram.deliveredTo(chatId)).toEqual([
        'Our operators cannot receive messages right now. Yours are kept and will reach them as soon as possible.',
      ]);
      // Back up: the next message goes through and tells nobody anything.
      expect((await bridge.postUpdate(textUpdate(++next, chatId, 'back again'))).statusCode).toBe(200);
      expect(bridge.telegram.deliveredTo(chatId)).toHaveLength(1);
    });
  });

  describe('buttons both ways', () => {
    it('an operator keyboard becomes an inline keyboard, rows kept; a press goes back as keyboard_response once, is answered and shown on the message', async () => {
      const { chatId, visitorId } = await newUser();
      const rows = [
        [
          { id: 'rate-good', text: '👍 Good' },
          { id: 'rate-bad', text: '👎 Bad' },
        ],
        [{ id: 'x'.repeat(200), text: 'Something else' }],
      ];
      expect((await bridge.postCallback(keyboardCallback(visitorId, 'kb-1', 'How would you rate our help?', rows))).statusCode).toBe(200);
      const sent = bridge.telegram.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === chatId).at(-1);
      const markup = sent?.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] };
      expect(markup.inline_keyboard.map((row) => row.map((b) => b.text))).toEqual([['👍 Good', '👎 Bad'], ['Something else']]);
      for (const b of markup.inline_keyboard.flat()) expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);

      const press = (updateId: number, button: { text: string; callback_data: string }) => ({
        update_id: updateId,
        callback_query: {
          id: `cq-${updateId}`,
          from: { id: chatId, is_bot: false, first_name: 'Test', language_code: 'ru' },
          chat_instance: '-1',
          data: button.callback_data,
          message: {
            message_id: 77,
            date: 1795339980,
            chat: { id: chatId, type: 'private', first_name: 'Test' },
            text: 'How would you rate our help?',
            reply_markup: markup,
          },
        },
      });
      const good = press(++next, markup.inline_keyboard[0]![0]!);
      expect((await bridge.postUpdate(good)).statusCode).toBe(200);
      expect((await bridge.postUpdate(good)).statusCode).toBe(200); // Telegram redelivers the press: relayed once
      const long = press(++next, markup.inline_keyboard[1]![0]!);
      expect((await bridge.postUpdate(long)).statusCode).toBe(200);

      const responses = received().filter((m) => m.visitor.id === visitorId && m.message.kind === 'keyboard_response');
      expect(responses.map((r) => r.message.data)).toEqual([
        { button: { id: 'rate-good', text: '👍 Good' } },
        { button: { id: 'x'.repeat(200), text: 'Something else' } },
      ]);
      expect(responses[0]?.visitor.fields.language).toBe('ru');
      expect(bridge.telegram.calls.filter((c) => c.method === 'answerCallbackQuery').map((c) => c.params.callback_query_id)).toEqual(
        expect.arrayContaining([`cq-${good.update_id}`, `cq-${long.update_id}`]),
      );
      const edit = bridge.telegram.calls.find((c) => c.method === 'editMessageText' && c.params.chat_id === chatId);
      expect(edit?.params).toMatchObject({
        message_id: 77,
        text: 'How would you rate our help?\n\n✓ Ваш выбор: 👍 Good' /* the presser's Telegram is in Russian */,
      });
    });

    it('a press in callback_query_mode (Bot API 10.5: inline_message_id, no message) is routed by the presser, relayed once and answered', async () => {
      const { chatId, visitorId } = await newUser();
      const rows = [[{ id: 'yes-inline', text: 'Yes' }]];
      expect((await bridge.postCallback(keyboardCallback(visitorId, 'kb-inline-1', 'Solved?', rows))).statusCode).toBe(200);
      const sent = bridge.telegram.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === chatId).at(-1);
      const markup = sent?.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] };
      const press = {
        update_id: ++next,
        callback_query: {
          id: `cq-inline-${next}`,
          from: { id: chatId, is_bot: false, first_name: 'Test' },
          chat_instance: '-2',
          inline_message_id: 'AgAAAInlineMessageId',
          data: markup.inline_keyboard[0]![0]!.callback_data,
        },
      };
      expect((await bridge.postUpdate(press)).statusCode).toBe(200);
      expect((await bridge.postUpdate(press)).statusCode).toBe(200); // redelivered: relayed once
      const responses = received().filter((m) => m.visitor.id === visitorId && m.message.kind === 'keyboard_response');
      expect(responses.map((r) => r.message.data)).toEqual([{ button: { id: 'yes-inline', text: 'yes-inline' } }]);
      expect(bridge.telegram.calls.filter((c) => c.method === 'answerCallbackQuery').map((c) => c.params.callback_query_id)).toContain(
        press.callback_query.id,
      );
    });

    it('the fixture press of a known button relays its id and label', async () => {
      const chatId = 287164003;
      await bridge.postUpdate(textUpdate(++next, chatId, '/start'));
      expect((await bridge.postUpdate(fixture('telegram/callback_query_button.json'))).statusCode).toBe(200);
      expect(received().at(-1)?.message).toMatchObject({
        kind: 'keyboard_response',
        data: { button: { id: 'rate-good', text: '👍 Good' } },
      });
    });
  });

  describe('the context travels', () => {
    it('a deep link: /start spring-sale-7 reaches the operator as a visitor field and a visible line', async () => {
      const chatId = ++next;
      const start = textUpdate(++next, chatId, '/start spring-sale-7');
      (start.message as { from: Record<string, unknown> }).from.language_code = 'de';
      expect((await bridge.postUpdate(start)).statusCode).toBe(200);
      expect((await bridge.postUpdate(start)).statusCode).toBe(200);
      const mine = received().filter((m) => m.message.id === `tg-${chatId}-${start.update_id}`);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        visitor: { fields: { start_param: 'spring-sale-7', language: 'de' } },
        message: { kind: 'visitor', text: '🔗 Started the bot from a link: spring-sale-7 (Telegram language: de)' },
      });
    });

    it('a sticker reaches the operator with its emoji; an animated one as its static thumbnail', async () => {
      const chatId = ++next;
      await bridge.postUpdate(textUpdate(++next, chatId, '/start'));
      const sticker = fixture<{ update_id: number; message: Record<string, unknown> }>('telegram/sticker.json');
      sticker.update_id = ++next;
      (sticker.message.chat as { id: number }).id = chatId;
      sticker.message.sticker = {
        file_id: 'CAACAnimated1',
        file_unique_id: 'A1',
        type: 'regular',
        width: 512,
        height: 512,
        is_animated: true,
        is_video: false,
        emoji: '🎉',
        thumbnail: { file_id: 'AAMCThumb1', file_unique_id: 'T1', width: 128, height: 128, file_size: 4100 },
      };
      expect((await bridge.postUpdate(sticker)).statusCode).toBe(200);
      const texts = received()
        .filter((m) => m.message.id.startsWith(`tg-${chatId}-414`))
        .map((m) => m.message.text);
      expect(texts).toEqual(['[sticker: sticker-414.webp] 🎉']);
    });
  });

  it("the operator's name, when the setting is on, is the reply's first line, bold by an entity", async () => {
    const { chatId, visitorId } = await newUser();
    await bridge.postCallback({
      event: 'new_message',
      visitor_id: visitorId,
      message: { id: 'named-1', kind: 'operator', text: 'Hi, how can I help?', name: 'Anna *K*' },
    });
    const sent = bridge.telegram.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === chatId).at(-1);
    expect(sent?.params).toMatchObject({ text: 'Anna *K*\nHi, how can I help?', entities: [{ type: 'bold', offset: 0, length: 8 }] });
    expect(sent?.params.parse_mode).toBeUndefined();
  });

  it('no text of any message in any table or log line', async () => {
    const scan = `${await allTextInDatabase(bridge)}\n${bridge.logs.join('\n')}`;
    for (const text of [
      'Are you there?',
      'something Webim refuses',
      'still down',
      'How would you rate our help?',
      '👍 Good',
      'Hi, how can I help?',
      'Something else',
    ]) {
      expect(scan).not.toContain(text);
    }
  });
});
