import type { Database } from './database';

export interface ChatMapping {
  chatId: number;
  visitorId: string;
  blocked: boolean;
}

/**
 * Returns the visitor of a Telegram chat, creating it on first contact. One atomic statement:
 * any number of concurrent first messages from one chat yield exactly one row and one visitor id.
 * A user who writes has evidently unblocked the bot, so the blocked flag is cleared.
 */
export async function upsertChatMapping(db: Database, chatId: number): Promise<ChatMapping & { created: boolean }> {
  const [row] = await db.query(
    (sql) => sql<{ visitor_id: string; created: boolean }[]>`
      INSERT INTO chat_mapping (chat_id) VALUES (${chatId})
      ON CONFLICT (chat_id) DO UPDATE SET blocked = false, blocked_at = NULL, updated_at = now()
      RETURNING visitor_id, (xmax = 0) AS created`,
  );
  if (!row) throw new Error('chat mapping upsert returned no row');
  return { chatId, visitorId: row.visitor_id, blocked: false, created: row.created };
}

/** Finds the chat of a Webim visitor; undefined when the visitor is unknown. */
export async function findChatByVisitor(db: Database, visitorId: string): Promise<ChatMapping | undefined> {
  const [row] = await db.query(
    (sql) => sql<{ chat_id: string; blocked: boolean }[]>`
      SELECT chat_id, blocked FROM chat_mapping WHERE visitor_id = ${visitorId}`,
  );
  return row ? { chatId: Number(row.chat_id), visitorId, blocked: row.blocked } : undefined;
}

/** Records that the user blocked (or unblocked) the bot. Returns false when the chat is unknown. */
export async function setChatBlocked(db: Database, chatId: number, blocked: boolean): Promise<boolean> {
  const rows = await db.query(
    (sql) => sql`
      UPDATE chat_mapping
      SET blocked = ${blocked}, blocked_at = CASE WHEN ${blocked} THEN now() END, updated_at = now()
      WHERE chat_id = ${chatId}
      RETURNING 1`,
  );
  return rows.length > 0;
}
