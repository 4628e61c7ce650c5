import { createHash } from 'node:crypto';
import type { Database } from './database';

/**
 * Records that a chat's message could not reach Webim just now, and says whether the user should
 * be told: once per outage per chat. An outage is a run of failures without a gap longer than
 * `gapSeconds`; the user is told once it has lasted `afterSeconds`. One atomic statement, so
 * concurrent failures of one chat tell the user once. Written only on failures.
 */
export async function noteWebimDelay(
  db: Database,
  chatId: number,
  options: { afterSeconds: number; gapSeconds: number },
): Promise<boolean> {
  const [state] = await db.query(
    (sql) => sql<{ due: boolean }[]>`
      INSERT INTO chat_delay_notices AS n (chat_id, failing_since, last_failure_at) VALUES (${chatId}, now(), now())
      ON CONFLICT (chat_id) DO UPDATE SET
        failing_since = CASE WHEN n.last_failure_at < now() - make_interval(secs => ${options.gapSeconds}) THEN now() ELSE n.failing_since END,
        notified_at = CASE WHEN n.last_failure_at < now() - make_interval(secs => ${options.gapSeconds}) THEN NULL ELSE n.notified_at END,
        last_failure_at = now()
      RETURNING (notified_at IS NULL AND failing_since <= now() - make_interval(secs => ${options.afterSeconds})) AS due`,
  );
  if (!state?.due) return false;
  // Of concurrent failures that found the notice due, exactly one takes it.
  const taken = await db.query(
    (sql) => sql`UPDATE chat_delay_notices SET notified_at = now() WHERE chat_id = ${chatId} AND notified_at IS NULL RETURNING 1`,
  );
  return taken.length === 1;
}

/** Telegram's limit for a button's callback_data. */
const CALLBACK_DATA_BYTES = 64;

/**
 * The callback_data of an operator's button: `b1:<id>` when it fits Telegram's 64 bytes, else
 * `b2:<token>` for a token under which the id is kept (`keyboard_buttons`; ids only, no text).
 * Returns the data per button and the long ids to store.
 */
export function callbackDataFor(
  visitorId: string,
  buttonId: string,
): { data: string; stored?: { token: string; visitorId: string; buttonId: string } } {
  const direct = `b1:${buttonId}`;
  if (Buffer.byteLength(direct) <= CALLBACK_DATA_BYTES) return { data: direct };
  const token = createHash('sha256').update(`${visitorId}\u0000${buttonId}`).digest('base64url').slice(0, 43);
  return { data: `b2:${token}`, stored: { token, visitorId, buttonId } };
}

/** Keeps the long button ids of a keyboard (one statement; none when every id fits). */
export async function storeButtonIds(db: Database, rows: { token: string; visitorId: string; buttonId: string }[]): Promise<void> {
  if (!rows.length) return;
  // One JSON argument (the driver fetches no array types, see lib/db/database.ts).
  const values = rows.map((r) => ({ token: r.token, visitor_id: r.visitorId, button_id: r.buttonId }));
  await db.query(
    (sql) => sql`
      INSERT INTO keyboard_buttons (token, visitor_id, button_id)
      SELECT token, visitor_id, button_id FROM jsonb_to_recordset(${sql.json(values)}::jsonb) AS x(token text, visitor_id text, button_id text)
      ON CONFLICT (token) DO UPDATE SET created_at = now()`,
  );
}

/** The button id a callback_data stands for; undefined when it is not ours or its token is gone. */
export async function buttonIdOf(db: Database, visitorId: string, data: string): Promise<string | undefined> {
  if (data.startsWith('b1:')) return data.slice(3);
  if (!data.startsWith('b2:')) return undefined;
  const [row] = await db.query(
    (sql) =>
      sql<{ button_id: string }[]>`SELECT button_id FROM keyboard_buttons WHERE token = ${data.slice(3)} AND visitor_id = ${visitorId}`,
  );
  return row?.button_id;
}

/** The callback_data of a rating choice: `rt:<score>:<Webim chat id>`, the chat id left out when it would not fit. */
export function ratingCallbackData(score: number, webimChatId: string | undefined): string {
  const data = `rt:${score}:${webimChatId ?? ''}`;
  return Buffer.byteLength(data) <= CALLBACK_DATA_BYTES ? data : `rt:${score}:`;
}

/** The rating a callback_data stands for (1–5, and the closed Webim chat when it was kept); undefined when it is no rating. */
export function ratingOfCallbackData(data: string): { score: number; webimChatId?: string } | undefined {
  const match = /^rt:([1-5]):(.*)$/s.exec(data);
  if (!match) return undefined;
  return match[2] ? { score: Number(match[1]), webimChatId: match[2] } : { score: Number(match[1]) };
}

/** Deletes stored button ids older than the retention window. */
export async function purgeButtonIds(db: Database, retentionHours: number): Promise<number> {
  const result = await db.query(
    (sql) => sql`DELETE FROM keyboard_buttons WHERE created_at < now() - make_interval(hours => ${retentionHours})`,
  );
  return result.count;
}
