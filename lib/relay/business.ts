import { businessAccountLabel, deletedNote, deskWords, ownerWroteNote } from '../core/business-words';
import { DeliveryFailure } from '../core/failure';
import { done, type RelayOutcome } from '../core/outcome';
import {
  type BusinessChatMapping,
  type BusinessChatRoute,
  businessChatRoute,
  claimBusinessUpdate,
  isBusinessChatKey,
  recordBusinessConnection,
} from '../db/business';
import { type ClaimAttempt, claimUpdate } from '../db/delivery-claims';
import type { Logger } from '../log';
import { businessConnectionStateOf, type UpdateIntent } from '../telegram/update';
import { noteIdFor } from '../webim/wire';
import { finish, runClaimed } from './claimed';
import { type RelayDeps, timedUpstream } from './deps';
import { postNote } from './notices';
import type { Recipient } from './send-to-user';

/**
 * Telegram Business use-cases: a connection's state recorded (and the admin told when it is
 * lost), the owner's own messages and deletions shown to operators as notes, and the route of a
 * reply through the account. A customer's own messages go the way of every user message
 * (relayTelegramUpdate), under their business chat's own visitor.
 */

type Intent<K extends UpdateIntent['kind']> = Extract<UpdateIntent, { kind: K }>;

/**
 * Claims an update of a business chat and reads (or creates) its mapping — one round trip. The
 * mapping is always there when `create` is set.
 */
export async function claimBusinessChat(
  deps: RelayDeps,
  updateKey: string,
  chat: { connectionId: string; chatId: number; messageId?: number },
): Promise<ClaimAttempt<{ mapping: BusinessChatMapping }>> {
  const attempt = await claimBusinessUpdate(deps.db, updateKey, chat, { leaseSeconds: deps.settings.CLAIM_LEASE_SECONDS, create: true });
  if (attempt.status !== 'claimed') return attempt;
  if (!attempt.mapping) throw new Error('claimed business update has no chat mapping');
  return { ...attempt, mapping: attempt.mapping };
}

/** Where messages to a business chat go, for the send functions. */
export const businessRecipient = (mapping: BusinessChatMapping, chat: { connectionId: string; chatId: number }): Recipient => ({
  chatId: chat.chatId,
  chatKey: mapping.chatKey,
  businessConnectionId: chat.connectionId,
});

/** A connection is looked up at most this long; the message goes on without it otherwise. */
const LOOKUP_TIMEOUT_MS = 2_000;
/** Connections this container has asked Telegram about already (answered or not), at most this many. */
const LOOKED_UP = new Set<string>();
const LOOKED_UP_MAX = 1_000;

/**
 * A connection the bridge never recorded (connected before the webhook asked for business
 * updates): asked of Telegram (getBusinessConnection) once per container and recorded under update
 * id 0, so any real update of it wins. Best effort: on failure the account's name stays unknown.
 */
export async function learnConnection(deps: RelayDeps, log: Logger, connectionId: string): Promise<Partial<BusinessChatMapping>> {
  // Once per container: a connection Telegram does not know either costs no call per message.
  if (LOOKED_UP.has(connectionId)) return {};
  if (LOOKED_UP.size >= LOOKED_UP_MAX) LOOKED_UP.clear();
  LOOKED_UP.add(connectionId);
  const budget = Math.min(LOOKUP_TIMEOUT_MS, deps.telegram.timeoutMs, deps.deadline.remaining() - 3_000);
  if (budget < 250) return {};
  try {
    const connection = await timedUpstream(deps, () => deps.telegram.getBusinessConnection(connectionId, budget));
    const state = businessConnectionStateOf(connection);
    await recordBusinessConnection(deps.db, state, 0);
    log.info('business_connection_learned', { business_connection_id: connectionId, enabled: state.isEnabled, can_reply: state.canReply });
    return { ownerUserId: state.ownerUserId, ownerUsername: state.ownerUsername };
  } catch (error) {
    log.warn('business_connection_lookup_failed', { business_connection_id: connectionId, error });
    return {};
  }
}

/** The account's name in the visitor's fields. */
export const businessAccountOf = (deps: RelayDeps, mapping: BusinessChatMapping): string =>
  businessAccountLabel(deskWords(deps.settings), mapping);

/**
 * A business_connection update: recorded (ids, owner, rights, enabled; no text), once per update.
 * The admin is alerted when the connection is lost (disabled or removed) or loses the right to
 * reply — decided in the same statement that records it, so each change is reported once.
 */
export function relayBusinessConnection(
  deps: RelayDeps,
  log: Logger,
  key: string,
  intent: Intent<'business_connection'>,
): Promise<RelayOutcome> {
  const c = intent.connection;
  const connectionLog = log.child({ business_connection_id: c.id, owner_user_id: c.ownerUserId });
  const claim = () => claimUpdate(deps.db, key, deps.settings.CLAIM_LEASE_SECONDS);
  return runClaimed(deps, connectionLog, { chatId: c.userChatId, messageId: key }, claim, async () => {
    const change = await recordBusinessConnection(deps.db, c, Number(key));
    connectionLog.info('business_connection_recorded', {
      enabled: c.isEnabled,
      can_reply: c.canReply,
      can_read_messages: c.canReadMessages,
      rights: Object.keys(c.rights).length,
      changed: change.recorded,
      known_before: change.wasKnown,
    });
    if (!change.recorded) return 'recorded';
    const account = businessAccountLabel(deskWords(deps.settings), c);
    const wasUsable = change.wasKnown && change.wasEnabled === true;
    if (wasUsable && !c.isEnabled) await deps.alerts?.businessConnection('lost', account, c.id);
    else if (c.isEnabled && !c.canReply && (!change.wasKnown || change.couldReply === true))
      await deps.alerts?.businessConnection('cannot_reply', account, c.id);
    return 'recorded';
  });
}

/**
 * The account's owner wrote in a customer's chat from their own Telegram: never relayed as the
 * customer's words. By BUSINESS_OWNER_NOTES the operators get a note that they did (default),
 * one quoting it, or nothing — so nobody answers twice. A chat the desk has never seen gets no
 * visitor for it.
 */
export async function relayOwnerMessage(
  deps: RelayDeps,
  log: Logger,
  key: string,
  intent: Intent<'business_owner_message'>,
): Promise<RelayOutcome> {
  const mode = deps.settings.BUSINESS_OWNER_NOTES;
  if (mode === 'off' || (intent.edited && mode === 'without_text')) {
    log.info('telegram_update_ignored', { reason: 'business_owner_message' });
    return finish(deps, done('ignored'));
  }
  return noteOnBusinessChat(deps, log, key, intent, async (visitorId) => {
    const text = ownerWroteNote(deskWords(deps.settings), { text: mode === 'with_text' ? intent.text : undefined, edited: intent.edited });
    await postNote({ ...deps, log }, visitorId, noteIdFor(`owner-${key}`), text);
    log.info('business_owner_message_noted', { visitor_id: visitorId, content_type: intent.contentType, with_text: mode === 'with_text' });
  });
}

/** Messages of a business chat were deleted: the operators get a note with their ids (no text), once. */
export async function relayBusinessDeleted(
  deps: RelayDeps,
  log: Logger,
  key: string,
  intent: Intent<'business_deleted'>,
): Promise<RelayOutcome> {
  return noteOnBusinessChat(deps, log, key, intent, async (visitorId) => {
    await postNote({ ...deps, log }, visitorId, noteIdFor(`deleted-${key}`), deletedNote(deskWords(deps.settings), intent.messageIds));
    log.info('business_messages_deleted_noted', { visitor_id: visitorId, messages: intent.messageIds.length });
  });
}

/**
 * An update about a business chat that becomes an operator note, once per update: claimed without
 * creating a chat (a chat the bridge never saw has nobody to tell), then `note` for its visitor.
 */
function noteOnBusinessChat(
  deps: RelayDeps,
  log: Logger,
  key: string,
  intent: { chatId: number; business: { connectionId: string } },
  note: (visitorId: string) => Promise<void>,
): Promise<RelayOutcome> {
  return runClaimed(
    deps,
    log,
    { chatId: intent.chatId, messageId: key },
    () =>
      claimBusinessUpdate(
        deps.db,
        key,
        { connectionId: intent.business.connectionId, chatId: intent.chatId },
        { leaseSeconds: deps.settings.CLAIM_LEASE_SECONDS, create: false },
      ),
    async ({ mapping }) => {
      if (!mapping) {
        log.info('telegram_update_ignored', { reason: 'business_chat_unknown' });
        return 'ignored';
      }
      await note(mapping.visitorId);
      return 'recorded';
    },
  );
}

/** A reply's route: a bot chat as it is, a business chat through its connection. */
export interface ReplyRoute {
  to: Recipient;
  /** A business chat's route (for the read receipt after delivery). */
  business?: BusinessChatRoute;
}

/**
 * Where a reply to a chat goes. A business chat (by its key) is read with its connection's last
 * recorded state (one more statement, only for business chats), and a reply the connection is
 * known not to allow fails at once — permanently, with the reason the operator's note names —
 * instead of asking Telegram.
 */
export async function replyRouteOf(deps: RelayDeps, chatKey: number): Promise<ReplyRoute> {
  if (!isBusinessChatKey(chatKey)) return { to: { chatId: chatKey, chatKey } };
  const route = await businessChatRoute(deps.db, chatKey);
  if (!route) throw new DeliveryFailure('permanent', 'bridge', 'business_chat_unknown');
  if (route.connection && !route.connection.isEnabled) throw new DeliveryFailure('permanent', 'telegram', 'business_connection_disabled');
  if (route.connection && !route.connection.canReply) throw new DeliveryFailure('permanent', 'telegram', 'business_reply_not_allowed');
  return { to: { chatId: route.chatId, chatKey, businessConnectionId: route.connectionId }, business: route };
}

/** A read receipt is given at most this long; it never holds up the reply's answer for more. */
const READ_TIMEOUT_MS = 2_000;

/**
 * After a reply reached a business chat: the customer's messages up to their latest are marked
 * read on the account's behalf (readBusinessMessage), when BUSINESS_READ_RECEIPTS is on and the
 * connection has `can_read_messages`. Best effort: a failure is logged, never retried, and never
 * changes the reply's outcome.
 */
export async function markCustomerRead(deps: RelayDeps, log: Logger, route: BusinessChatRoute | undefined): Promise<void> {
  if (!route || !deps.settings.BUSINESS_READ_RECEIPTS || route.lastMessageId === undefined) return;
  if (!route.connection?.canReadMessages) return;
  const budget = Math.min(READ_TIMEOUT_MS, deps.telegram.timeoutMs, deps.deadline.remaining() - 1_000);
  if (budget < 250) return;
  try {
    await timedUpstream(deps, () =>
      deps.telegram.readBusinessMessage(route.connectionId, route.chatId, route.lastMessageId as number, budget),
    );
    log.info('business_messages_read', { message_id: route.lastMessageId });
  } catch (error) {
    log.warn('business_read_failed', { error });
  }
}
