import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSINESS_CHAT_KEY_MIN,
  type BusinessConnectionRecord,
  businessChatRoute,
  claimBusinessUpdate,
  isBusinessChatKey,
  recordBusinessConnection,
} from '../../../lib/db/business';
import type { Database } from '../../../lib/db/database';
import { claimOperatorMessage, claimUpdateForChat } from '../../../lib/db/delivery-claims';
import { databaseEngines, openTestDatabase } from '../../support/databases';

const connection = (over: Partial<BusinessConnectionRecord> = {}): BusinessConnectionRecord => ({
  id: 'conn-1',
  ownerUserId: 502917734,
  ownerUsername: 'acme_flowers',
  userChatId: 502917734,
  isEnabled: true,
  canReply: true,
  canReadMessages: false,
  rights: { can_reply: true },
  date: 1795338000,
  ...over,
});

/** Migration 009's statements on a real engine: races are decided in the database. */
describe.each(databaseEngines())('Telegram Business in the database on $name', (engine) => {
  let close: () => Promise<void>;
  let db: Database;
  let update = 1_000;
  const lease = { leaseSeconds: 60, create: true };
  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(engine));
  });
  afterAll(() => close());

  it('records each change of a connection once, and a late (older) update changes nothing', async () => {
    expect(await recordBusinessConnection(db, connection(), 10)).toEqual({
      recorded: true,
      wasKnown: false,
      wasEnabled: undefined,
      couldReply: undefined,
    });
    expect(await recordBusinessConnection(db, connection({ isEnabled: false, canReply: false, rights: {} }), 12)).toEqual({
      recorded: true,
      wasKnown: true,
      wasEnabled: true,
      couldReply: true,
    });
    // The redelivery of update 10 arrives after 12: the connection stays disabled.
    expect((await recordBusinessConnection(db, connection(), 10)).recorded).toBe(false);
    expect((await recordBusinessConnection(db, connection(), 12)).recorded).toBe(false);
    const [row] = await db.sql<{ is_enabled: boolean; last_update_id: string }[]>`
      SELECT is_enabled, last_update_id FROM business_connections WHERE id = 'conn-1'`;
    expect(row).toEqual({ is_enabled: false, last_update_id: '12' });
  });

  it("concurrent first messages of one business chat yield one mapping, apart from the customer's bot chat", async () => {
    const chat = { connectionId: 'conn-race', chatId: 287164003 };
    const attempts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => claimBusinessUpdate(db, String(++update), { ...chat, messageId: 10 + i }, lease)),
    );
    const mappings = attempts.map((a) => (a.status === 'claimed' ? a.mapping : undefined));
    expect(new Set(mappings.map((m) => m?.visitorId)).size).toBe(1);
    expect(mappings.filter((m) => m?.created)).toHaveLength(1);
    const key = mappings[0]?.chatKey as number;
    expect(isBusinessChatKey(key)).toBe(true);
    expect(key).toBeGreaterThanOrEqual(BUSINESS_CHAT_KEY_MIN);
    expect(Number.isSafeInteger(key)).toBe(true);
    // The latest customer message is kept for the read receipt, whatever order the claims ran in.
    expect((await businessChatRoute(db, key))?.lastMessageId).toBe(15);

    // The same person's bot chat is another row and another visitor; another account's chat too.
    const bot = await claimUpdateForChat(db, String(++update), chat.chatId, 60);
    const other = await claimBusinessUpdate(db, String(++update), { connectionId: 'conn-other', chatId: chat.chatId }, lease);
    const visitors = [
      mappings[0]?.visitorId,
      bot.status === 'claimed' && bot.mapping.visitorId,
      other.status === 'claimed' && other.mapping?.visitorId,
    ];
    expect(new Set(visitors).size).toBe(3);
  });

  it("a business chat's replies are claimed and held in order like a bot chat's; its route names the connection", async () => {
    await recordBusinessConnection(db, connection({ id: 'conn-route', canReadMessages: true }), 20);
    const claimed = await claimBusinessUpdate(db, String(++update), { connectionId: 'conn-route', chatId: 42, messageId: 7 }, lease);
    if (claimed.status !== 'claimed' || !claimed.mapping) throw new Error('not claimed');
    const { visitorId, chatKey } = claimed.mapping;
    const first = await claimOperatorMessage(db, visitorId, 'r-1', { leaseSeconds: 60, holdSeconds: 600 });
    expect(first).toMatchObject({ status: 'claimed', chat: { chatId: chatKey } });
    expect(await claimOperatorMessage(db, visitorId, 'r-2', { leaseSeconds: 60, holdSeconds: 600 })).toEqual({ status: 'chat_busy' });
    expect(await businessChatRoute(db, chatKey)).toEqual({
      connectionId: 'conn-route',
      chatId: 42,
      lastMessageId: 7,
      connection: { isEnabled: true, canReply: true, canReadMessages: true },
    });
    expect(await businessChatRoute(db, 42)).toBeUndefined();
  });

  it('a deletion or an owner note in a chat never seen creates no mapping', async () => {
    const attempt = await claimBusinessUpdate(
      db,
      String(++update),
      { connectionId: 'conn-none', chatId: 99 },
      { leaseSeconds: 60, create: false },
    );
    expect(attempt).toMatchObject({ status: 'claimed' });
    expect(attempt.status === 'claimed' && attempt.mapping).toBeUndefined();
    const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM chat_mapping WHERE business_connection_id = 'conn-none'`;
    expect(row?.n).toBe(0);
  });
});
