import type { Database } from './database';

/** A Telegram chat and its Webim visitor (created with the first claimed update, see delivery-claims). */
export interface ChatMapping {
  chatId: number;
  visitorId: string;
  blocked: boolean;
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
