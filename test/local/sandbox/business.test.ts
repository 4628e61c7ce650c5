import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordsOf } from '../../../lib/i18n/catalogue';
import { type Sandbox, startSandbox } from '../../../local/sandbox/sandbox';

/** The sandbox's desk reads Russian, as by default. */
const desk = wordsOf('ru').desk;

const waitFor = async (check: () => boolean, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

/**
 * The sandbox's Telegram Business account, driven through the sandbox's own API as the page does:
 * a customer chatting with the connected account and an operator see each other's messages, the
 * owner typing directly becomes a note, and after a disconnection a reply becomes a note.
 */
describe('sandbox: a simulated Telegram Business account', () => {
  let sandbox: Sandbox;
  let api: (path: string, body?: unknown) => Promise<number>;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, dataDir: null, quiet: true });
    api = async (path, body = {}) => {
      const res = await fetch(`${sandbox.bridge.url}/sandbox/api/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      return res.status;
    };
  });
  afterAll(() => sandbox.stop());

  it('connects, relays both ways through the account, notes the owner typing, and notes a reply after a disconnection', async () => {
    const ivan = sandbox.telegram.users[0]!;
    const business = sandbox.telegram.business;
    expect(await api('business/connect')).toBe(202);
    expect(await api(`business/chats/${ivan.chatId}/customer`, { text: 'Do you have tulips?' })).toBe(202);
    await waitFor(() => sandbox.webim.visitors.some((v) => v.businessAccount));
    const visitor = sandbox.webim.visitors.find((v) => v.businessAccount)!;
    expect(visitor.businessAccount).toBe(desk.businessAccount('@acme_flowers_sandbox'));
    expect(visitor.lines.map((l) => l.text)).toEqual(['Do you have tulips?']);

    // The same person writing to the bot is another visitor.
    expect(await api(`users/${ivan.chatId}/messages`, { text: 'Hello bot' })).toBe(202);
    await waitFor(() => sandbox.webim.visitors.some((v) => v.lines.some((l) => l.text === 'Hello bot')));
    expect(sandbox.webim.visitors.find((v) => v.lines.some((l) => l.text === 'Hello bot'))?.visitorId).not.toBe(visitor.visitorId);

    // The operator answers: the customer sees it in their chat with the account, read receipts come along.
    sandbox.webim.reply(visitor.visitorId, 'Yes, red and pink');
    const chat = () => business.state.chats.find((c) => c.chatId === ivan.chatId)!;
    await waitFor(() => chat().lines.some((l) => l.text === 'Yes, red and pink'));
    expect(ivan.lines.some((l) => l.text === 'Yes, red and pink')).toBe(false);
    await waitFor(() => chat().lines[0]?.read === true);

    // The owner types directly: the desk gets a note, never the owner's words as the customer's.
    expect(await api(`business/chats/${ivan.chatId}/owner`, { text: 'I will bring them myself' })).toBe(202);
    await waitFor(() => visitor.lines.some((l) => l.from === 'note'));
    expect(visitor.lines.some((l) => l.text.includes('I will bring them myself'))).toBe(false);

    // The account disconnects the bot: the next reply becomes a note for the operator.
    expect(await api('business/disconnect')).toBe(202);
    const db = await sandbox.local.runtime.databaseOnly();
    let enabled = true;
    const end = Date.now() + 10_000;
    while (enabled && Date.now() < end) {
      const [row] = await db.sql<
        { is_enabled: boolean }[]
      >`SELECT is_enabled FROM business_connections WHERE id = ${business.state.connectionId}`;
      enabled = row?.is_enabled !== false;
      if (enabled) await new Promise((r) => setTimeout(r, 50));
    }
    expect(enabled).toBe(false);
    sandbox.webim.reply(visitor.visitorId, 'Anything else?');
    const refused = [desk.undeliveredWhy.businessConnectionDisabled, desk.undeliveredWhy.businessConnectionGone].map(desk.notDelivered);
    await waitFor(() => visitor.lines.some((l) => l.from === 'note' && refused.includes(l.text)));
    expect(chat().lines.some((l) => l.text === 'Anything else?')).toBe(false);
  }, 60_000);
});
