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

/**
 * Records that the user blocked (or unblocked) the bot. Says whether the chat is known, what it
 * was before (so a change can be reported once) and its visitor.
 */
export async function setChatBlocked(
  db: Database,
  chatId: number,
  blocked: boolean,
): Promise<{ known: boolean; wasBlocked?: boolean; visitorId?: string }> {
  const [row] = await db.query(
    (sql) => sql<{ was_blocked: boolean; visitor_id: string }[]>`
      UPDATE chat_mapping m
      SET blocked = ${blocked}, blocked_at = CASE WHEN ${blocked} THEN now() END, updated_at = now()
      FROM (SELECT chat_id, blocked FROM chat_mapping WHERE chat_id = ${chatId}) old
      WHERE m.chat_id = old.chat_id
      RETURNING old.blocked AS was_blocked, m.visitor_id`,
  );
  return row ? { known: true, wasBlocked: row.was_blocked, visitorId: row.visitor_id } : { known: false };
}
