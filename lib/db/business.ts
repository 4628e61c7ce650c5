import type { Database } from './database';
import { type ClaimAttempt, HeldClaim, notClaimed } from './delivery-claims';
import { statsArgs } from './delivery-stats';

/**
 * Telegram Business in the database (migration 009): the connections, and business chats as
 * chat_mapping rows under keys of their own. Ids, rights and states only, never a text.
 */

/** The smallest chat key of a business chat: above any Telegram id (52 bits), so the two never meet. */
export const BUSINESS_CHAT_KEY_MIN = 2 ** 52 + 1;

/** Whether a chat_mapping key belongs to a business chat (else it is the bot chat's Telegram id). */
export const isBusinessChatKey = (chatKey: number): boolean => chatKey >= BUSINESS_CHAT_KEY_MIN;

/** A business_connection update as the bridge keeps it. */
export interface BusinessConnectionRecord {
  id: string;
  ownerUserId: number;
  ownerUsername?: string;
  userChatId: number;
  isEnabled: boolean;
  canReply: boolean;
  canReadMessages: boolean;
  /** Every right granted, by Bot API name (booleans only). */
  rights: Record<string, boolean>;
  /** When the connection was established (Unix seconds; 0 when unknown). */
  date: number;
}

/** What recording a connection update changed. */
export interface ConnectionChange {
  /** False when a newer update of this connection was recorded already (nothing changed). */
  recorded: boolean;
  wasKnown: boolean;
  wasEnabled?: boolean;
  couldReply?: boolean;
}

/**
 * Records a business_connection update (one statement, `record_business_connection`): the
 * connection's row is locked while the new state is compared with the old one, so each change is
 * reported once, and an update older than the recorded one is ignored.
 */
export async function recordBusinessConnection(db: Database, c: BusinessConnectionRecord, updateId: number): Promise<ConnectionChange> {
  const [row] = await db.query(
    (sql) => sql<{ recorded: boolean; was_known: boolean; was_enabled: boolean | null; could_reply: boolean | null }[]>`
      SELECT * FROM record_business_connection(${c.id}, ${c.ownerUserId}::bigint, ${c.ownerUsername ?? null}, ${c.userChatId}::bigint,
        ${c.isEnabled}, ${c.canReply}, ${c.canReadMessages}, ${sql.json(c.rights)}::jsonb, ${c.date}::bigint, ${updateId}::bigint)`,
  );
  return {
    recorded: row?.recorded === true,
    wasKnown: row?.was_known === true,
    wasEnabled: row?.was_enabled ?? undefined,
    couldReply: row?.could_reply ?? undefined,
  };
}

/** A business chat's mapping as a claimed update reads it. */
export interface BusinessChatMapping {
  visitorId: string;
  created: boolean;
  /** The chat's key in chat_mapping (not a Telegram id). */
  chatKey: number;
  /** The connected account's owner and username, when the connection was recorded. */
  ownerUserId?: number;
  ownerUsername?: string;
}

/**
 * Claims an update of a business chat and, only if it is now ours, reads or (with `create`)
 * creates the chat's mapping under its own key — one round trip (`claim_business_update`).
 * Without `create`, a chat the bridge never saw is `claimed` with no mapping.
 */
export async function claimBusinessUpdate(
  db: Database,
  updateId: string,
  chat: { connectionId: string; chatId: number; messageId?: number },
  options: { leaseSeconds: number; create: boolean },
): Promise<ClaimAttempt<{ mapping?: BusinessChatMapping }>> {
  await db.flushDeferredWrites();
  const [row] = await db.withPendingStats((stats) =>
    db.query(
      (sql) => sql<
        {
          claim_outcome: string;
          claim_parts_done: number;
          claim_visitor_id: string | null;
          claim_created: boolean | null;
          claim_chat_key: string | null;
          claim_owner_user_id: string | null;
          claim_owner_username: string | null;
        }[]
      >`
        SELECT * FROM claim_business_update(${updateId}, ${chat.connectionId}, ${chat.chatId}::bigint, ${chat.messageId ?? null}::bigint,
          ${options.create}, ${options.leaseSeconds}::int, ${statsArgs(sql, stats)})`,
    ),
  );
  if (row?.claim_outcome !== 'claimed') return notClaimed(row?.claim_outcome);
  const claim = new HeldClaim(db, { source: 'telegram_update', scope: '', key: updateId }, row.claim_parts_done);
  if (!row.claim_visitor_id || row.claim_chat_key === null) return { status: 'claimed', claim };
  return {
    status: 'claimed',
    claim,
    mapping: {
      visitorId: row.claim_visitor_id,
      created: row.claim_created === true,
      chatKey: Number(row.claim_chat_key),
      ownerUserId: row.claim_owner_user_id === null ? undefined : Number(row.claim_owner_user_id),
      ownerUsername: row.claim_owner_username ?? undefined,
    },
  };
}

/** Where a business chat's replies go, and what its connection allows (as last recorded). */
export interface BusinessChatRoute {
  connectionId: string;
  /** The customer's Telegram chat id. */
  chatId: number;
  /** The customer's latest message, to mark read once a reply is delivered. */
  lastMessageId?: number;
  /** Undefined when no business_connection update of it was ever recorded. */
  connection?: { isEnabled: boolean; canReply: boolean; canReadMessages: boolean };
}

/** The route of a business chat by its key (one read); undefined when the key is not a business chat. */
export async function businessChatRoute(db: Database, chatKey: number): Promise<BusinessChatRoute | undefined> {
  const [row] = await db.query(
    (sql) => sql<
      {
        business_connection_id: string;
        business_chat_id: string;
        business_last_message_id: string | null;
        is_enabled: boolean | null;
        can_reply: boolean | null;
        can_read_messages: boolean | null;
      }[]
    >`
      SELECT m.business_connection_id, m.business_chat_id, m.business_last_message_id, c.is_enabled, c.can_reply, c.can_read_messages
      FROM chat_mapping m LEFT JOIN business_connections c ON c.id = m.business_connection_id
      WHERE m.chat_id = ${chatKey} AND m.business_connection_id IS NOT NULL`,
  );
  if (!row) return undefined;
  return {
    connectionId: row.business_connection_id,
    chatId: Number(row.business_chat_id),
    lastMessageId: row.business_last_message_id === null ? undefined : Number(row.business_last_message_id),
    connection:
      row.is_enabled === null
        ? undefined
        : { isEnabled: row.is_enabled, canReply: row.can_reply === true, canReadMessages: row.can_read_messages === true },
  };
}

/** A connection as the doctor lists it (ids and states, no text). */
export interface ConnectionSummary {
  id: string;
  ownerUserId: number;
  ownerUsername?: string;
  isEnabled: boolean;
  canReply: boolean;
  canReadMessages: boolean;
  updatedAt: Date;
  /** Business chats mapped through it. */
  chats: number;
}

/** Every recorded connection, enabled ones first (for the doctor; a handful of rows). */
export async function listBusinessConnections(db: Database, limit = 50): Promise<ConnectionSummary[]> {
  const rows = await db.query(
    (sql) => sql<
      {
        id: string;
        owner_user_id: string;
        owner_username: string | null;
        is_enabled: boolean;
        can_reply: boolean;
        can_read_messages: boolean;
        updated_at: Date;
        chats: string;
      }[]
    >`
      SELECT c.id, c.owner_user_id, c.owner_username, c.is_enabled, c.can_reply, c.can_read_messages, c.updated_at,
        (SELECT count(*) FROM chat_mapping m WHERE m.business_connection_id = c.id) AS chats
      FROM business_connections c ORDER BY c.is_enabled DESC, c.updated_at DESC LIMIT ${limit}`,
  );
  return rows.map((r) => ({
    id: r.id,
    ownerUserId: Number(r.owner_user_id),
    ownerUsername: r.owner_username ?? undefined,
    isEnabled: r.is_enabled,
    canReply: r.can_reply,
    canReadMessages: r.can_read_messages,
    updatedAt: r.updated_at,
    chats: Number(r.chats),
  }));
}
