import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telegramError } from '../../fakes/telegram';
import { deadlineIn } from '../../lib/core/deadline';
import { type Catalogue, wordsOf } from '../../lib/i18n/catalogue';
import { relayDeps } from '../../lib/relay/deps';
import { noteUndelivered } from '../../lib/relay/notices';
import { startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';
import { fixture } from '../support/events';

type Received = { message: { id: string; kind: string; text?: string }; visitor: { id: string } };

/** An update whose sender's Telegram is set to `code` (none: the user never sent a language). */
function speaking<T extends Record<string, unknown>>(update: T, code: string | undefined): T {
  const message = (update.message ?? update.edited_message) as { from: Record<string, unknown> };
  if (code === undefined) delete message.from.language_code;
  else message.from.language_code = code;
  return update;
}

/** Settings that leave every text to the catalogue (the suites' own bridge turns the welcome off). */
const CATALOGUE_TEXTS = { WELCOME_TEXT: '', DEFAULT_LANGUAGE: 'ru', DESK_LANGUAGE: 'ru' };

/**
 * Every word the bridge writes, driven end to end through its HTTP routes for a Russian and an
 * English user: each notice the user gets comes from the user's catalogue, each operator note and
 * added line from the desk's; the text settings override all languages or one, from the
 * environment and from the settings table.
 */
describe.each(databaseEngines())("the bridge speaks its users' language, on $name", (engine) => {
  let next = 8_800_000;

  describe('a Russian desk; a ru user, an en-US user, a user without a language and a uk user', () => {
    let bridge: TestBridge;
    const received = () => bridge.webim.received as unknown as Received[];
    const notesFor = (visitorId: string) =>
      received()
        .filter((m) => m.visitor.id === visitorId && m.message.kind === 'for_operator')
        .map((m) => m.message.text);
    const linesFor = (visitorId: string) =>
      received()
        .filter((m) => m.visitor.id === visitorId && m.message.kind === 'visitor')
        .map((m) => m.message.text);
    const ru = wordsOf('ru');
    beforeAll(async () => {
      bridge = await startTestBridge(engine, CATALOGUE_TEXTS);
    });
    afterAll(() => bridge.close());

    const users: [string | undefined, Catalogue][] = [
      ['ru', wordsOf('ru')],
      ['en-US', wordsOf('en')],
      [undefined, wordsOf('ru')],
      ['uk', wordsOf('ru')],
    ];
    it.each(users)('a user whose Telegram says %s reads every notice from the right catalogue', async (code, words) => {
      const chatId = ++next;
      const send = (text: string) => bridge.postUpdate(speaking(textUpdate(++next, chatId, text), code));
      const lastTo = () => bridge.telegram.deliveredTo(chatId).at(-1);

      // /start: the welcome.
      expect((await send('/start')).statusCode).toBe(200);
      expect(bridge.telegram.deliveredTo(chatId)).toEqual([words.user.welcome]);
      const visitorId = await visitorOf(bridge.db, chatId);

      // Webim refuses a message for good.
      bridge.webim.script({ status: 400, body: { error: 'bad_message', desc: 'rejected' } });
      expect((await send('something Webim refuses')).statusCode).toBe(200);
      expect(lastTo()).toBe(words.user.undelivered);

      // Webim unreachable past the threshold: the delay notice.
      bridge.webim.script({ status: 503 }, { status: 503 });
      expect((await send('first while down')).statusCode).toBe(503);
      await bridge.db.sql`UPDATE chat_delay_notices SET failing_since = now() - interval '10 minutes' WHERE chat_id = ${chatId}`;
      expect((await send('still down')).statusCode).toBe(503);
      expect(lastTo()).toBe(words.user.delayed);

      // Buttons without a question: the prompt; a press: the choice shown on the keyboard.
      const keyboard = {
        event: 'new_message',
        visitor_id: visitorId,
        message: { id: `kb-${chatId}`, kind: 'keyboard', buttons: [[{ id: 'y', text: 'Yes' }]] },
      };
      expect((await bridge.postCallback(keyboard)).statusCode).toBe(200);
      expect(lastTo()).toBe(words.user.choosePrompt);
      const sent = bridge.telegram.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === chatId).at(-1);
      const press = {
        update_id: ++next,
        callback_query: {
          id: `cq-${chatId}`,
          from: { id: chatId, is_bot: false, first_name: 'Test', ...(code ? { language_code: code } : {}) },
          chat_instance: '1',
          data: 'b1:y',
          message: {
            message_id: 77,
            date: 1795339000,
            chat: { id: chatId, type: 'private' },
            text: words.user.choosePrompt,
            reply_markup: sent?.params.reply_markup,
          },
        },
      };
      expect((await bridge.postUpdate(press)).statusCode).toBe(200);
      const edit = bridge.telegram.calls.filter((c) => c.method === 'editMessageText' && c.params.chat_id === chatId).at(-1);
      expect(edit?.params.text).toBe(`${words.user.choosePrompt}\n\n${words.user.chosen('Yes')}`);

      // An operator file that cannot be fetched: its name and a note.
      const gone = {
        event: 'new_message',
        visitor_id: visitorId,
        message: { id: `file-${chatId}`, kind: 'file_operator', data: { url: `${bridge.webim.origin}/files/gone.pdf`, name: 'gone.pdf' } },
      };
      expect((await bridge.postCallback(gone)).statusCode).toBe(200);
      expect(lastTo()).toBe(words.user.fileNotDelivered('gone.pdf'));

      // The operator closes the chat.
      expect((await bridge.postCallback({ event: 'chat_closed', visitor_id: visitorId, chat_id: `closed-${chatId}` })).statusCode).toBe(
        200,
      );
      expect(lastTo()).toBe(words.user.chatClosed);

      // Whatever the user's language, the desk reads Russian: the notes and the lines the bridge adds.
      bridge.telegram.script('sendMessage', telegramError(403, 'Forbidden: bot was blocked by the user'));
      await bridge.postCallback({
        event: 'new_message',
        visitor_id: visitorId,
        message: { id: `op-${chatId}`, kind: 'operator', text: 'Hello?' },
      });
      expect(notesFor(visitorId)).toEqual([ru.desk.notDelivered(ru.desk.undeliveredWhy.blocked)]);
    });

    it('the desk reads Russian: block and unblock notes, the deep link line, markers, edits, a file too large', async () => {
      const chatId = ++next;
      const start = speaking(textUpdate(++next, chatId, '/start spring-sale-7'), 'en');
      expect((await bridge.postUpdate(start)).statusCode).toBe(200);
      const visitorId = await visitorOf(bridge.db, chatId);
      const membership = (status: 'kicked' | 'member') => ({
        update_id: ++next,
        my_chat_member: {
          chat: { id: chatId, type: 'private' },
          from: { id: chatId, is_bot: false, first_name: 'Test' },
          date: 1795339000,
          old_chat_member: { user: { id: 1, is_bot: true, first_name: 'Bot' }, status: status === 'kicked' ? 'member' : 'kicked' },
          new_chat_member: { user: { id: 1, is_bot: true, first_name: 'Bot' }, status },
        },
      });
      await bridge.postUpdate(membership('kicked'));
      await bridge.postUpdate(membership('member'));
      expect(notesFor(visitorId)).toEqual([ru.desk.blocked, ru.desk.unblocked]);

      const asThisUser = (name: string) => {
        type Message = Record<string, unknown> & { message_id: number; chat: { id: number }; from: { id: number } };
        const update = fixture<{ update_id: number; message?: Message; edited_message?: Message }>(name);
        const message = (update.message ?? update.edited_message) as Message;
        update.update_id = ++next;
        message.message_id = next;
        message.chat.id = chatId;
        message.from.id = chatId;
        return { update: speaking(update, 'en'), message };
      };
      for (const name of ['telegram/location.json', 'telegram/edited_message.json', 'telegram/document_too_big.json'])
        expect((await bridge.postUpdate(asThisUser(name).update)).statusCode).toBe(200);
      const contact = asThisUser('telegram/location.json');
      delete contact.message.location;
      contact.message.contact = { phone_number: '+79990001122', first_name: 'Anna' };
      const venue = asThisUser('telegram/location.json');
      venue.message.venue = { location: { latitude: 55.75, longitude: 37.62 }, title: 'Пункт выдачи', address: 'Тверская, 1' };
      for (const { update } of [contact, venue]) expect((await bridge.postUpdate(update)).statusCode).toBe(200);

      expect(linesFor(visitorId)).toEqual([
        ru.desk.startedFromLink('spring-sale-7', 'en'),
        `[${ru.desk.marker.location('55.75124,37.61842')}]`,
        expect.stringMatching(new RegExp(`^\\${ru.desk.edited} `)),
        ru.desk.fileTooLarge('backup.zip', '25.0 MB'),
        `[${ru.desk.marker.contact('Anna', '+79990001122')}]`,
        `[${ru.desk.marker.venue('Пункт выдачи, Тверская, 1', '55.75,37.62')}]`,
      ]);
    });
    it('every reason a note gives for an undelivered reply is in the desk language', async () => {
      const chatId = ++next;
      await bridge.postUpdate(speaking(textUpdate(++next, chatId, '/start'), 'en'));
      const visitorId = await visitorOf(bridge.db, chatId);
      const deps = relayDeps(await bridge.runtime.relayContext(), {
        log: bridge.runtime.log,
        deadline: deadlineIn(10_000),
        direction: 'webim_to_telegram',
      });
      const reasons: [string, string][] = [
        ['blocked_by_user', ru.desk.undeliveredWhy.blocked],
        ['chat_not_found', ru.desk.undeliveredWhy.chatNotFound],
        ['forbidden', ru.desk.undeliveredWhy.forbidden],
        ['dead_lettered_chat_busy', ru.desk.undeliveredWhy.gaveUp('chat_busy')],
        ['dead_lettered', ru.desk.undeliveredWhy.gaveUp('')],
        ['bad_request_message_too_long', ru.desk.undeliveredWhy.refused('bad_request_message_too_long')],
      ];
      for (const [i, [reason]] of reasons.entries()) await noteUndelivered(deps, visitorId, `why-${i}`, reason);
      expect(notesFor(visitorId)).toEqual(reasons.map(([, why]) => ru.desk.notDelivered(why)));
      expect(ru.desk.undeliveredWhy.gaveUp('')).toContain('причина неизвестна');
    });

    it('a photo described in text (no file links configured) names its kind in the desk language', async () => {
      const chatId = ++next;
      const photo = fixture<{ update_id: number; message: { message_id: number; chat: { id: number }; from: { id: number } } }>(
        'telegram/photo_with_caption.json',
      );
      photo.update_id = ++next;
      photo.message.chat.id = chatId;
      photo.message.from.id = chatId;
      expect((await bridge.postUpdate(photo)).statusCode).toBe(200);
      const visitorId = await visitorOf(bridge.db, chatId);
      expect(linesFor(visitorId)).toEqual([`${ru.desk.fileAsText('photo', `photo-${photo.message.message_id}.jpg`)} Box arrived damaged`]);
    });
  });

  describe('an English desk, and the texts overridden per language from the environment and the settings table', () => {
    let bridge: TestBridge;
    const en = wordsOf('en');
    const ru = wordsOf('ru');
    beforeAll(async () => {
      bridge = await startTestBridge(engine, {
        ...CATALOGUE_TEXTS,
        DESK_LANGUAGE: 'en',
        SETTINGS_TTL_SECONDS: '0',
        WELCOME_TEXT_EN: 'Hello from the environment (en only)',
        DELAY_NOTICE_TEXT: 'A delay, in every language (environment)',
      });
      // Rows of the settings table: one language's chat-closed text, one language's notice off.
      await bridge.db.sql`
        INSERT INTO settings (key, value) VALUES
          ('CHAT_CLOSED_TEXT_RU', 'Диалог закрыт (из таблицы settings)'),
          ('UNDELIVERED_NOTICE_TEXT_EN', 'off')`;
    });
    afterAll(() => bridge.close());

    it('each user gets the override of their language, else the one for every language, else the catalogue; `off` sends nothing', async () => {
      const expected = {
        ru: { welcome: ru.user.welcome, undelivered: ru.user.undelivered, closed: 'Диалог закрыт (из таблицы settings)' },
        en: { welcome: 'Hello from the environment (en only)', undelivered: undefined, closed: en.user.chatClosed },
      };
      for (const code of ['ru', 'en'] as const) {
        const chatId = ++next;
        const send = (text: string) => bridge.postUpdate(speaking(textUpdate(++next, chatId, text), code));
        await send('/start');
        const visitorId = await visitorOf(bridge.db, chatId);
        bridge.webim.script({ status: 400, body: { error: 'bad_message', desc: 'rejected' } });
        await send('refused');
        bridge.webim.script({ status: 503 }, { status: 503 });
        await send('down');
        await bridge.db.sql`UPDATE chat_delay_notices SET failing_since = now() - interval '10 minutes' WHERE chat_id = ${chatId}`;
        await send('still down');
        await bridge.postCallback({ event: 'chat_closed', visitor_id: visitorId, chat_id: `c-${chatId}` });
        const want = expected[code];
        expect(bridge.telegram.deliveredTo(chatId), code).toEqual(
          [want.welcome, want.undelivered, 'A delay, in every language (environment)', want.closed].filter((t) => t !== undefined),
        );
        // The desk is English for both.
        bridge.telegram.script('sendMessage', telegramError(400, 'Bad Request: chat not found'));
        await bridge.postCallback({
          event: 'new_message',
          visitor_id: visitorId,
          message: { id: `gone-${chatId}`, kind: 'operator', text: 'Hi' },
        });
        const notes = (bridge.webim.received as unknown as Received[]).filter(
          (m) => m.visitor.id === visitorId && m.message.kind === 'for_operator',
        );
        expect(notes.map((n) => n.message.text)).toEqual([en.desk.notDelivered(en.desk.undeliveredWhy.chatNotFound)]);
      }
    });
  });
});
