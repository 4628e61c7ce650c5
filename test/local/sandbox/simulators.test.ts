import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordsOf } from '../../../lib/i18n/catalogue';
import { TelegramClient } from '../../../lib/telegram/client';
import { classifyTelegramError } from '../../../lib/telegram/errors';
import { parseUpdate } from '../../../lib/telegram/update';
import { WebimClient } from '../../../lib/webim/client';
import { WebimApiError } from '../../../lib/webim/errors';
import { webimCallbackSchema } from '../../../lib/webim/wire';
import { type Sandbox, startSandbox, wantsSandbox } from '../../../local/sandbox/sandbox';
import { membershipUpdate, operatorCallback, reactionUpdate, textUpdate } from '../../../local/sandbox/wire';
import { fixture } from '../../support/events';

/** The shape of a JSON value: every key path with its value's type, so two payloads can be compared. */
function shape(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return [`${path}:array`, ...(value.length ? shape(value[0], `${path}[]`) : [])];
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => shape(v, `${path}.${k}`));
  return [`${path}:${typeof value}`];
}

const ivan = { chatId: 287164003, firstName: 'Ivan', lastName: 'Petrov', username: 'ivan_p', languageCode: 'ru' };
const ru = wordsOf('ru');
const en = wordsOf('en');
const waitFor = async (check: () => boolean, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('sandbox wire formats are the ones the bridge is tested with', () => {
  it('text updates and /start match the captured Telegram fixtures', () => {
    const text = textUpdate(ivan, 815203347, 412, 'Hello', 1795338901);
    expect(shape(text).sort()).toEqual(shape(fixture('telegram/text_message.json')).sort());
    const start = textUpdate(ivan, 815203346, 411, '/start', 1795338890);
    expect(shape(start).sort()).toEqual(shape(fixture('telegram/start_command.json')).sort());
    expect(parseUpdate(text)).toBeDefined();
  });

  it('my_chat_member updates match the fixture', () => {
    const kicked = membershipUpdate(
      { chatId: 287164003, firstName: 'Ivan' },
      815203353,
      { id: 7012345678, username: 'shop_support_bot' },
      'kicked',
    );
    const f = fixture<{ my_chat_member: { from: Record<string, unknown> } }>('telegram/my_chat_member_kicked.json');
    expect(shape({ ...kicked, my_chat_member: { ...kicked.my_chat_member, from: f.my_chat_member.from } }).sort()).toEqual(shape(f).sort());
  });

  it('message_reaction updates match the fixtures and pass the bridge schema', () => {
    const added = reactionUpdate(
      { chatId: 287164003, firstName: 'Ivan', username: 'ivan_p', languageCode: 'ru' },
      815203411,
      433,
      undefined,
      '👍',
    );
    const f = fixture<{ message_reaction: Record<string, unknown> }>('telegram/message_reaction_added.json');
    expect(shape({ ...added, message_reaction: { ...added.message_reaction, date: 1 } }).sort()).toEqual(shape(f).sort());
    expect(parseUpdate(reactionUpdate(ivan, 815203413, 433, '👍', undefined))).toBeDefined();
  });

  it('operator callbacks match the Webim fixture and the bridge schema', () => {
    const cb = operatorCallback('visitor-1', 90125, '8c1f', 'Hi!');
    expect(shape(cb).sort()).toEqual(shape({ ...fixture<Record<string, unknown>>('webim/operator_message.json'), visitor_id: 'x' }).sort());
    expect(webimCallbackSchema.safeParse(cb).success).toBe(true);
  });
});

describe('sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, dataDir: null, quiet: true });
  });
  afterAll(() => sandbox.stop());

  it('GET / leads to the page', async () => {
    const res = await fetch(`${sandbox.bridge.url}/`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/sandbox');
  });

  it('starts only when no Telegram or Webim setting is given', () => {
    expect(wantsSandbox({})).toBe(true);
    expect(wantsSandbox({ WEBIM_API_URL: 'https://x' })).toBe(false);
    expect(wantsSandbox({ SSM_PREFIX: '/p' })).toBe(false);
  });

  it('the simulated Bot API speaks the envelope the bridge client expects, with its faults', async () => {
    const { TELEGRAM_BOT_TOKEN: token, TELEGRAM_API_BASE: apiBase } = (await sandbox.local.runtime.context()).settings;
    const client = new TelegramClient({ token, apiBase, timeoutMs: 2000 });
    const user = sandbox.telegram.users[0]!;
    expect(await client.sendMessage(user.chatId, 'direct')).toMatchObject({ chat: { id: user.chatId }, text: 'direct' });
    sandbox.telegram.faults.rateLimit = true;
    const limited = await client.sendMessage(user.chatId, 'x').catch((e: unknown) => e);
    expect(classifyTelegramError(limited)).toEqual({ action: 'retry_after', seconds: 2, reason: 'rate_limited' });
    sandbox.telegram.faults.rateLimit = false;
    expect(classifyTelegramError(await client.sendMessage(1, 'x').catch((e: unknown) => e))).toMatchObject({ reason: 'chat_not_found' });
    const wrongToken = new TelegramClient({ token: '1:wrongwrongwrongwrongwrong', apiBase, timeoutMs: 2000 });
    await expect(wrongToken.sendMessage(user.chatId, 'x')).rejects.toMatchObject({ status: 401 });
  });

  it('the simulated Custom Channel accepts the bridge client and refuses a wrong token', async () => {
    const { settings } = await sandbox.local.runtime.context();
    const ok = new WebimClient({ apiUrl: settings.WEBIM_API_URL, accessToken: settings.WEBIM_ACCESS_TOKEN, timeoutMs: 2000 });
    await ok.sendVisitorMessage({ visitorId: 'direct-visitor', name: 'Direct', messageId: 'tg-1-1', text: 'direct' });
    expect(sandbox.webim.visitors.find((v) => v.visitorId === 'direct-visitor')?.lines.map((l) => l.text)).toEqual(['direct']);
    const bad = new WebimClient({ apiUrl: settings.WEBIM_API_URL, accessToken: 'nope', timeoutMs: 2000 });
    await expect(bad.sendVisitorMessage({ visitorId: 'v', messageId: 'm', text: 't' })).rejects.toBeInstanceOf(WebimApiError);
  });

  it('relays both ways through the real bridge, and redelivers through a Webim outage in order', async () => {
    const user = sandbox.telegram.users[1]!;
    sandbox.telegram.sendAsUser(user.chatId, '/start');
    sandbox.telegram.sendAsUser(user.chatId, 'first');
    await waitFor(() => sandbox.webim.visitors.some((v) => v.name === 'Maria Sokolova'));
    const visitor = sandbox.webim.visitors.find((v) => v.name === 'Maria Sokolova')!;

    sandbox.webim.faults.down = true;
    sandbox.telegram.sendAsUser(user.chatId, 'second');
    sandbox.telegram.sendAsUser(user.chatId, 'third');
    await waitFor(() => sandbox.bus.recent().some((e) => e.kind === 'update_delivered' && e.status === 503 && e.chat_id === user.chatId));
    expect(visitor.lines.map((l) => l.text)).toEqual(['first']);
    sandbox.webim.faults.down = false;
    await waitFor(() => visitor.lines.length === 3);
    expect(visitor.lines.map((l) => l.text)).toEqual(['first', 'second', 'third']);

    sandbox.webim.reply(visitor.visitorId, 'operator says hi');
    await waitFor(() => user.lines.some((l) => l.text === 'operator says hi'));
    expect(sandbox.telegram.resendLast()).toBe(true);
    expect(sandbox.webim.resendLast()).toBe(true);
    await waitFor(() => sandbox.bus.recent().filter((e) => e.kind === 'duplicate_ignored').length >= 2);
    expect(visitor.lines.filter((l) => l.text === 'third')).toHaveLength(1);
    expect(user.lines.filter((l) => l.text === 'operator says hi')).toHaveLength(1);
    // The event log carries no texts.
    const log = JSON.stringify(sandbox.bus.recent());
    for (const t of ['first', 'second', 'third', 'operator says hi']) expect(log).not.toContain(`"${t}"`);
  }, 30_000);

  it('the conversation both ways: a note on the desk for a blocked user, buttons the user presses, a sticker, a deep-link start', async () => {
    const user = sandbox.telegram.addUser({ firstName: 'Olga', username: 'olga_k', languageCode: 'en' });
    sandbox.telegram.sendAsUser(user.chatId, '/start spring-sale-7');
    await waitFor(() => sandbox.webim.visitors.some((v) => v.startParam === 'spring-sale-7'));
    const visitor = sandbox.webim.visitors.find((v) => v.startParam === 'spring-sale-7')!;
    expect(visitor.lines.map((l) => l.text)).toEqual([ru.desk.startedFromLink('spring-sale-7', 'en')]);
    expect(visitor.language).toBe('en');

    sandbox.telegram.sendFileAsUser(user.chatId, 'sticker');
    await waitFor(() => visitor.lines.some((l) => l.file?.name.startsWith('sticker-')));
    await waitFor(() => visitor.lines.some((l) => l.text === '👍'));

    sandbox.webim.sendButtons(visitor.visitorId, 'Did this solve your problem?', [
      [
        { id: 'yes', text: 'Yes' },
        { id: 'no', text: 'No' },
      ],
      [{ id: 'z'.repeat(120), text: 'Call me back' }],
    ]);
    await waitFor(() => user.lines.some((l) => l.buttons));
    const question = user.lines.find((l) => l.buttons)!;
    sandbox.telegram.pressButton(user.chatId, question.id, question.buttons![1]![0]!.data);
    await waitFor(() => visitor.lines.some((l) => l.text === '▸ pressed “Call me back”'));
    await waitFor(() => question.text.endsWith(en.user.chosen('Call me back')) && !question.buttons);

    sandbox.telegram.setBlocked(user.chatId, true);
    await waitFor(() => visitor.lines.some((l) => l.from === 'note' && l.text === ru.desk.blocked));
    sandbox.webim.reply(visitor.visitorId, 'Still there?');
    const reply = visitor.lines.at(-1)!;
    await waitFor(() => reply.status === 'not_delivered');
    // The bridge logs the failure before it posts the note: wait for the note itself.
    await waitFor(() => visitor.lines.at(-1)?.from === 'note');
    expect(visitor.lines.at(-1)).toMatchObject({
      from: 'note',
      text: expect.stringContaining(ru.desk.notDelivered(ru.desk.undeliveredWhy.blocked)),
    });
  }, 30_000);

  it('what the user feels reaches the desk: the bot reacts 👀 to a delivered message, a reaction to a reply and a rating reach the desk', async () => {
    const user = sandbox.telegram.addUser({ firstName: 'Pavel', username: 'pavel_r' });
    sandbox.telegram.sendAsUser(user.chatId, '/start');
    sandbox.telegram.sendAsUser(user.chatId, 'where is my order?');
    const mine = user.lines.at(-1)!;
    await waitFor(() => mine.botReaction === '👀'); // the sandbox turns DELIVERY_REACTION on
    const visitor = sandbox.webim.visitors.find((v) => v.name === 'Pavel')!;

    sandbox.webim.reply(visitor.visitorId, 'It ships today');
    await waitFor(() => user.lines.some((l) => l.from === 'bot' && l.text === 'It ships today'));
    const reply = user.lines.find((l) => l.text === 'It ships today')!;
    sandbox.telegram.reactAsUser(user.chatId, reply.id, '👍');
    const replyId = visitor.lines.find((l) => l.text === 'It ships today')!.id;
    await waitFor(() => visitor.lines.some((l) => l.from === 'note' && l.text.includes('👍') && l.text.includes(replyId)));

    sandbox.webim.closeChat(visitor.visitorId);
    await waitFor(() => user.lines.some((l) => l.buttons?.flat().length === 5));
    const prompt = user.lines.find((l) => l.buttons?.flat().length === 5)!;
    sandbox.telegram.pressButton(user.chatId, prompt.id, prompt.buttons![0]![4]!.data);
    await waitFor(() => visitor.lines.some((l) => l.text === '⭐ rated the operator ★★★★★ (rate 2 on −2…2)'));
    await waitFor(() => !prompt.buttons && prompt.text.includes('★★★★★'));
    expect(visitor.lines.some((l) => l.from === 'note' && l.text.includes('5'))).toBe(true);
  }, 30_000);

  it('Telegram down: a reply posted once shows as queued on the desk and reaches the user when Telegram is back', async () => {
    const user = sandbox.telegram.users[0]!;
    sandbox.telegram.sendAsUser(user.chatId, '/start');
    sandbox.telegram.sendAsUser(user.chatId, 'is anyone there?');
    await waitFor(() => sandbox.webim.visitors.some((v) => v.name === 'Ivan Petrov'));
    const visitor = sandbox.webim.visitors.find((v) => v.name === 'Ivan Petrov')!;
    sandbox.telegram.faults.down = true;
    sandbox.webim.reply(visitor.visitorId, 'waits for Telegram');
    const line = visitor.lines.at(-1)!;
    await waitFor(() => line.status === 'queued', 15_000);
    expect(user.lines.some((l) => l.text === 'waits for Telegram')).toBe(false);
    // Webim called once: the bridge answered 200 and keeps the reply itself.
    const callbacks = () => sandbox.bus.recent().filter((e) => e.kind === 'callback_delivered' && e.webim_message_id === line.id);
    await waitFor(() => callbacks().length > 0);
    expect(callbacks().map((e) => e.status)).toEqual([200]);
    sandbox.telegram.faults.down = false;
    await waitFor(() => user.lines.some((l) => l.text === 'waits for Telegram'), 20_000);
    await waitFor(() => line.status === 'delivered');
    expect(user.lines.filter((l) => l.text === 'waits for Telegram')).toHaveLength(1);
  }, 45_000);
});

describe('sandbox sample files', () => {
  it('have the bytes their names say', async () => {
    const { sampleFile } = await import('../../../local/sandbox/samples');
    const magic: Record<string, number[]> = {
      jpg: [0xff, 0xd8, 0xff],
      png: [0x89, 0x50, 0x4e, 0x47],
      pdf: [0x25, 0x50, 0x44, 0x46],
      webp: [0x52, 0x49, 0x46, 0x46],
      ogg: [0x4f, 0x67, 0x67, 0x53],
    };
    for (const who of ['user', 'operator'] as const) {
      for (const kind of ['photo', 'pdf', 'voice', 'sticker'] as const) {
        const f = sampleFile(kind, who);
        const ext = f.name.split('.').pop() as string;
        expect([...f.bytes.subarray(0, magic[ext]!.length)], `${who} ${kind} ${f.name}`).toEqual(magic[ext]);
      }
    }
  });
});
