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

/** A Telegram `language_code` as it may be kept: an IETF tag, short (anything else is not kept). */
const LANGUAGE_CODE = /^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8}){0,3}$/;
/** Chats whose language code this process wrote, per connection pool (never the text; ids and codes). */
const written = new WeakMap<object, Map<number, string>>();
/** Enough for the chats of a busy container; beyond it the memory starts over (a write more, nothing lost). */
const WRITTEN_MAX = 10_000;

/**
 * Keeps the user's Telegram language code with their chat's mapping, for the texts sent to them
 * later in answer to Webim. A round trip only when needed: not when this process already wrote
 * the same code for the chat (users seldom change their language), unless the mapping is `fresh`
 * (just created, so nothing is kept yet); the statement changes a row only when the code
 * differs. A code that is not a language tag is ignored. Only the code, never a text.
 */
export async function rememberChatLanguage(db: Database, chatId: number, code: string | undefined, fresh = false): Promise<void> {
  if (!code || !LANGUAGE_CODE.test(code)) return;
  // Keyed by the driver: a replaced pool (a timeout, a reconfiguration) starts with no memory.
  const pool = db.sql as object;
  let seen = written.get(pool);
  if (!seen) written.set(pool, (seen = new Map()));
  if (!fresh && seen.get(chatId) === code) return;
  await db.query(
    (sql) => sql`
      UPDATE chat_mapping SET language_code = ${code}
      WHERE chat_id = ${chatId} AND language_code IS DISTINCT FROM ${code}`,
  );
  if (seen.size >= WRITTEN_MAX) seen.clear();
  seen.set(chatId, code);
}

/** The Telegram language code last seen from this chat's user, if any. */
export async function chatLanguageOf(db: Database, chatId: number): Promise<string | undefined> {
  const [row] = await db.query(
    (sql) => sql<{ language_code: string | null }[]>`SELECT language_code FROM chat_mapping WHERE chat_id = ${chatId}`,
  );
  return row?.language_code ?? undefined;
}
