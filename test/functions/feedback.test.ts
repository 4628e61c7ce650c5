import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telegramError } from '../../fakes/telegram';
import { statsReport } from '../../lib/admin/stats';
import { operatorCallback, SECRETS, startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';
import { fixture } from '../support/events';
import { allTextInDatabase } from '../support/privacy';

type Received = {
  message: { id: string; kind: string; text?: string; data?: Record<string, unknown> };
  visitor: { id: string; fields: Record<string, string> };
};
type Press = { update_id: number; callback_query: { id: string; data: string; message: { message_id: number; chat: { id: number } } } };
type Reaction = { update_id: number; message_reaction: { chat: { id: number }; message_id: number } };

/**
 * What the user feels reaches the desk, end to end through the HTTP routes and the fakes: the
 * rating prompt when the chat closes and a press, reactions to replies as operator notes, and the
 * bot's reaction once Webim has the user's message.
 */
describe.each(databaseEngines())('ratings, reactions and the delivery reaction on $name', (engine) => {
  let bridge: TestBridge;
  let next = 7_700_000;
  const received = () => bridge.webim.received as unknown as Received[];
  const mine = (visitorId: string, kind: string) => received().filter((m) => m.visitor.id === visitorId && m.message.kind === kind);
  const newUser = async () => {
    const chatId = ++next;
    expect((await bridge.postUpdate(textUpdate(++next, chatId, '/start'))).statusCode).toBe(200);
    return { chatId, visitorId: await visitorOf(bridge.db, chatId) };
  };
  /** The Telegram message ids a reply was delivered as, in the order Telegram accepted them. */
  const telegramIdsOf = async (chatId: number, webimMessageId: string) =>
    (
      await bridge.db.sql<{ id: string }[]>`
        SELECT telegram_message_id::text AS id FROM delivered_messages
        WHERE chat_id = ${chatId} AND webim_message_id = ${webimMessageId} ORDER BY telegram_message_id`
    ).map((r) => Number(r.id));
  const reaction = (name: string, chatId: number, messageId: number): Reaction => {
    const update = fixture<Reaction>(`telegram/${name}`);
    update.update_id = ++next;
    update.message_reaction.chat.id = chatId;
    update.message_reaction.message_id = messageId;
    return update;
  };

  beforeAll(async () => {
    bridge = await startTestBridge(engine, {
      CHAT_CLOSED_TEXT: 'The operator closed this chat.',
      RATING_PROMPT: 'true',
      // The user and the desk read Russian here, as by default.
      DEFAULT_LANGUAGE: 'ru',
      DESK_LANGUAGE: 'ru',
    });
  });
  afterAll(() => bridge.close());

  describe('a rating when the chat ends', () => {
    it('chat_closed: the closing text, then the question with five choices; a press reaches Webim on the −2…2 scale, is noted, answered and shown; pressed again it changes nothing', async () => {
      const { chatId, visitorId } = await newUser();
      const closed = { ...fixture('webim/chat_closed.json'), visitor_id: visitorId };
      expect((await bridge.postCallback(closed)).statusCode).toBe(200);
      expect((await bridge.postCallback(closed)).statusCode).toBe(200); // Webim's redelivery: nothing twice
      const sent = bridge.telegram.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === chatId);
      expect(sent.map((c) => c.params.text)).toEqual(['The operator closed this chat.', 'Пожалуйста, оцените, как оператор помог Вам:']);
      const markup = sent[1]?.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] };
      expect(markup.inline_keyboard).toEqual([[1, 2, 3, 4, 5].map((n) => ({ text: `${n} ⭐`, callback_data: `rt:${n}:90125` }))]);

      // The user presses 4 on the prompt (the update as Telegram sends it).
      const press = fixture<Press>('telegram/callback_query_rating.json');
      press.update_id = ++next;
      press.callback_query.message.chat.id = chatId;
      (press.callback_query as unknown as { from: { id: number } }).from.id = chatId;
      expect((await bridge.postUpdate(press)).statusCode).toBe(200);
      expect((await bridge.postUpdate(press)).statusCode).toBe(200); // Telegram redelivers the same press
      // A second press on the same prompt (a double tap before the keyboard went away): answered, nothing else.
      const again = structuredClone(press);
      again.update_id = ++next;
      again.callback_query.id = 'cq-again';
      again.callback_query.data = 'rt:1:90125';
      expect((await bridge.postUpdate(again)).statusCode).toBe(200);

      const ratings = mine(visitorId, 'rating');
      expect(ratings).toHaveLength(1);
      expect(ratings[0]?.message).toEqual({
        id: `tg-${chatId}-rating-440`,
        kind: 'rating',
        text: '★★★★☆',
        data: { rate: 1, chat_id: '90125' },
      });
      expect(ratings[0]?.visitor.fields.language).toBe('ru');
      expect(mine(visitorId, 'for_operator').map((n) => [n.message.id, n.message.text])).toEqual([
        [`note-tg-${chatId}-rating-440`, '⭐ Пользователь оценил диалог: 4 из 5.'],
      ]);
      const answered = bridge.telegram.calls.filter((c) => c.method === 'answerCallbackQuery').map((c) => c.params.callback_query_id);
      expect(answered).toEqual(expect.arrayContaining([press.callback_query.id, 'cq-again']));
      const edits = bridge.telegram.calls.filter((c) => c.method === 'editMessageText' && c.params.chat_id === chatId);
      expect(edits).toHaveLength(1);
      expect(edits[0]?.params).toMatchObject({
        message_id: 440,
        text: 'Пожалуйста, оцените, как оператор помог Вам:\n\n✓ Спасибо за оценку: ★★★★☆',
      });
      expect(bridge.parsedLogs().some((l) => l.event === 'telegram_update_ignored' && l.reason === 'rating_already_given')).toBe(true);
    });

    it('Telegram failing after the closing text: the retry sends only the question, once', async () => {
      const { chatId, visitorId } = await newUser();
      const bad = { status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } };
      bridge.telegram.script('sendMessage', { status: 200, pass: true }, bad, bad, bad, bad);
      const closed = { event: 'chat_closed', visitor_id: visitorId, chat_id: 'closed-retry' };
      expect((await bridge.postCallback(closed)).statusCode).toBe(503);
      expect((await bridge.postCallback(closed)).statusCode).toBe(200);
      expect(bridge.telegram.deliveredTo(chatId)).toEqual([
        'The operator closed this chat.',
        'Пожалуйста, оцените, как оператор помог Вам:',
      ]);
    });

    it('presses of one prompt arriving together: one rating reaches Webim and the statistics count one', async () => {
      const { chatId, visitorId } = await newUser();
      const before = (await statsReport(bridge.db)).ratings.week.byScore;
      const presses = [5, 2, 5, 3].map((score) => {
        const press = fixture<Press>('telegram/callback_query_rating.json');
        press.update_id = ++next;
        press.callback_query.id = `cq-${press.update_id}`;
        press.callback_query.data = `rt:${score}:90125`;
        press.callback_query.message.message_id = 9_001;
        press.callback_query.message.chat.id = chatId;
        return press;
      });
      const statuses = await Promise.all(presses.map((p) => bridge.postUpdate(p).then((r) => r.statusCode)));
      expect(statuses).toEqual([200, 200, 200, 200]);
      expect(mine(visitorId, 'rating')).toHaveLength(1);
      const after = (await statsReport(bridge.db)).ratings.week.byScore;
      expect(after.reduce((a, n) => a + n, 0) - before.reduce((a, n) => a + n, 0)).toBe(1);
    });

    it('Webim down when the user presses: 503, and the redelivered press gets through, counted once', async () => {
      const { chatId, visitorId } = await newUser();
      const before = (await statsReport(bridge.db)).ratings.week.byScore[2] ?? 0;
      const press = fixture<Press>('telegram/callback_query_rating.json');
      press.update_id = ++next;
      press.callback_query.data = 'rt:3:';
      press.callback_query.message.message_id = 9_100;
      press.callback_query.message.chat.id = chatId;
      bridge.webim.script({ status: 503, body: { error: 'unavailable', desc: 'try later' } });
      expect((await bridge.postUpdate(press)).statusCode).toBe(503);
      expect((await bridge.postUpdate(press)).statusCode).toBe(200);
      expect(mine(visitorId, 'rating').map((r) => r.message.data)).toEqual([{ rate: 0 }]);
      expect((await statsReport(bridge.db)).ratings.week.byScore[2]).toBe(before + 1);
    });

    it('npm run stats shows the ratings: counts per score and the average, numbers only', async () => {
      const report = await statsReport(bridge.db);
      expect(report.ratings.week.count).toBeGreaterThanOrEqual(3);
      expect(report.ratings.days).toHaveLength(1);
      const line = report.lines.find((l) => l.startsWith('ratings, last 7 days:'));
      expect(line).toMatch(
        /^ratings, last 7 days: \d+ rating\(s\), average \d\.\d of 5 {2}\(1⭐ \d+, 2⭐ \d+, 3⭐ \d+, 4⭐ \d+, 5⭐ \d+\)$/,
      );
      const [row] = await bridge.db.sql`SELECT * FROM rating_stats LIMIT 1`;
      expect(Object.keys(row ?? {}).sort()).toEqual(['count', 'day', 'score']);
    });
  });

  describe('reactions to replies', () => {
    it('a reaction to a delivered reply becomes an operator note naming the emoji and the reply, once; changed and taken back too', async () => {
      const { chatId, visitorId } = await newUser();
      expect((await bridge.postCallback(operatorCallback(visitorId, 'op-react-1', 'Your parcel leaves today'))).statusCode).toBe(200);
      const [delivered] = await telegramIdsOf(chatId, 'op-react-1');
      expect(delivered).toBeDefined();

      const added = reaction('message_reaction_added.json', chatId, delivered as number);
      const before = bridge.queries();
      expect((await bridge.postUpdate(added)).statusCode).toBe(200);
      expect(bridge.queries() - before).toBe(2); // claim + find the reply, complete
      expect((await bridge.postUpdate(added)).statusCode).toBe(200); // redelivered: a duplicate
      expect((await bridge.postUpdate(reaction('message_reaction_changed.json', chatId, delivered as number))).statusCode).toBe(200);
      expect((await bridge.postUpdate(reaction('message_reaction_removed.json', chatId, delivered as number))).statusCode).toBe(200);

      const notes = mine(visitorId, 'for_operator');
      expect(notes.map((n) => n.message.text)).toEqual([
        'Пользователь отреагировал 👍 на ответ op-react-1.',
        'Пользователь отреагировал свой эмодзи на ответ op-react-1.\nПользователь убрал реакцию 👍 с ответа op-react-1.',
        'Пользователь убрал реакцию свой эмодзи с ответа op-react-1.',
      ]);
      expect(notes[0]?.message.id).toBe(`note-reaction-${added.update_id}`);
    });

    it('every part of a split reply names the same reply', async () => {
      const { chatId, visitorId } = await newUser();
      const long = `${'a'.repeat(4000)}\n\n${'b'.repeat(3000)}`;
      expect((await bridge.postCallback(operatorCallback(visitorId, 'op-split-1', long))).statusCode).toBe(200);
      const ids = await telegramIdsOf(chatId, 'op-split-1');
      expect(ids).toHaveLength(2);
      expect((await bridge.postUpdate(reaction('message_reaction_added.json', chatId, ids[1] as number))).statusCode).toBe(200);
      expect(mine(visitorId, 'for_operator').map((n) => n.message.text)).toEqual(['Пользователь отреагировал 👍 на ответ op-split-1.']);
    });

    it("a reaction to any other message (the user's own, the rating prompt, one never seen) is ignored", async () => {
      const { chatId, visitorId } = await newUser();
      const own = textUpdate(++next, chatId, 'my question', 55);
      expect((await bridge.postUpdate(own)).statusCode).toBe(200);
      const updates = [reaction('message_reaction_added.json', chatId, 55), reaction('message_reaction_added.json', chatId, 987_654)];
      for (const update of updates) expect((await bridge.postUpdate(update)).statusCode).toBe(200);
      // A stranger's reaction: no chat is made for it.
      const stranger = reaction('message_reaction_added.json', ++next, 1);
      expect((await bridge.postUpdate(stranger)).statusCode).toBe(200);
      expect(mine(visitorId, 'for_operator')).toEqual([]);
      expect(await bridge.db.sql`SELECT 1 FROM chat_mapping WHERE chat_id = ${stranger.message_reaction.chat.id}`).toHaveLength(0);
      const ignored = bridge.parsedLogs().filter((l) => l.event === 'telegram_update_ignored' && l.reason === 'reaction_not_on_a_reply');
      expect(ignored.map((l) => l.update_id)).toEqual([...updates, stranger].map((u) => u.update_id));
    });

    it('Webim down when the reaction arrives: 503, and the redelivery notes it once', async () => {
      const { chatId, visitorId } = await newUser();
      await bridge.postCallback(operatorCallback(visitorId, 'op-react-2', 'Done'));
      const [delivered] = await telegramIdsOf(chatId, 'op-react-2');
      const added = reaction('message_reaction_added.json', chatId, delivered as number);
      bridge.webim.script({ status: 502 });
      expect((await bridge.postUpdate(added)).statusCode).toBe(503);
      expect((await bridge.postUpdate(added)).statusCode).toBe(200);
      expect(mine(visitorId, 'for_operator')).toHaveLength(1);
    });

    it('the delivery reaction is off by default: no setMessageReaction', () => {
      expect(bridge.telegram.calls.filter((c) => c.method === 'setMessageReaction')).toEqual([]);
    });
  });

  it('privacy: no message text in the database, only ids and numbers; none in a log line', async () => {
    const stored = await allTextInDatabase(bridge);
    expect(stored).toContain('op-react-1'); // the scan sees the mapping
    for (const text of ['Your parcel leaves today', 'my question', 'The operator closed this chat.', 'aaaaaaaaaa', 'оцените'])
      expect(stored).not.toContain(text);
    const logs = bridge.logs.join('\n');
    for (const text of ['Your parcel leaves today', 'my question', 'оцените', ...Object.values(SECRETS)]) expect(logs).not.toContain(text);
  });
});

describe.each(databaseEngines())('DELIVERY_REACTION on $name', (engine) => {
  let bridge: TestBridge;
  let next = 8_800_000;
  const reactions = (chatId: number) =>
    bridge.telegram.calls.filter((c) => c.method === 'setMessageReaction' && c.params.chat_id === chatId).map((c) => c.params);

  beforeAll(async () => {
    bridge = await startTestBridge(engine, { DELIVERY_REACTION: 'on' });
  });
  afterAll(() => bridge.close());

  it("once Webim has the user's message the bot reacts to it (👀); not before, not to an edit, not twice", async () => {
    const chatId = ++next;
    const first = textUpdate(++next, chatId, 'hello', 12);
    expect((await bridge.postUpdate(first)).statusCode).toBe(200);
    expect((await bridge.postUpdate(first)).statusCode).toBe(200); // a duplicate: no second reaction
    expect(reactions(chatId)).toEqual([{ chat_id: chatId, message_id: 12, reaction: [{ type: 'emoji', emoji: '👀' }] }]);

    bridge.webim.script({ status: 503 });
    expect((await bridge.postUpdate(textUpdate(++next, chatId, 'not yet', 13))).statusCode).toBe(503);
    expect(reactions(chatId)).toHaveLength(1); // Webim does not have it: no reaction

    const edit = {
      update_id: ++next,
      edited_message: { ...(textUpdate(0, chatId, 'hello!', 12).message as object), edit_date: 1795339000 },
    };
    expect((await bridge.postUpdate(edit)).statusCode).toBe(200);
    expect(reactions(chatId)).toHaveLength(1);
  });

  it('a slow Telegram holds the answer at most about a second; a refused reaction is logged, never retried, never a 503', async () => {
    const chatId = ++next;
    bridge.telegram.script('setMessageReaction', { status: 200, body: { ok: true, result: true }, delayMs: 5_000 });
    const started = performance.now();
    expect((await bridge.postUpdate(textUpdate(++next, chatId, 'slow', 20))).statusCode).toBe(200);
    expect(performance.now() - started).toBeLessThan(2_500);

    bridge.telegram.script('setMessageReaction', telegramError(400, 'Bad Request: REACTION_INVALID'));
    expect((await bridge.postUpdate(textUpdate(++next, chatId, 'refused', 21))).statusCode).toBe(200);
    expect(reactions(chatId).map((p) => p.message_id)).toEqual([20, 21]);
    const failed = bridge.parsedLogs().filter((l) => l.event === 'delivery_reaction_failed' && l.chat_id === chatId);
    expect(failed).toHaveLength(2);
  });

  it('costs no database round trip: still claim and completion', async () => {
    const before = bridge.queries();
    expect((await bridge.postUpdate(textUpdate(++next, ++next, 'count me', 30))).statusCode).toBe(200);
    expect(bridge.queries() - before).toBe(2);
  });
});
