import { findChatByVisitor } from '../db/chat-mapping';
import { claimOperatorMessage } from '../db/delivery-claims';
import type { HeldClaim } from '../db/delivery-claims';
import { operatorFileOf, userTextFor, type WebimCallback } from '../webim/wire';
import type { Logger } from '../log';
import { finish, runClaimed, runUnclaimed } from './claimed';
import type { RelayDeps } from './deps';
import { done, type RelayOutcome, type RelayResult } from './outcome';
import { sendTextToUser } from './send-to-user';
import { sendFileToUser } from './send-file-to-user';

/**
 * Use-case: relay one Webim callback to the Telegram user. Operator messages are delivered once
 * per (visitor, message id), split and in order, and never overtake an earlier unfinished
 * message of the same chat; other events and kinds are acknowledged and logged.
 */
export async function relayWebimCallback(deps: RelayDeps, callback: WebimCallback): Promise<RelayOutcome> {
  const message = callback.message;
  const log = deps.log.child({
    visitor_id: callback.visitor_id,
    webim_message_id: message?.id,
    webim_chat_id: callback.chat_id,
    webim_event: callback.event,
    message_kind: message?.kind,
  });

  const ids = { visitorId: callback.visitor_id, messageId: message?.id };
  if (callback.event === 'chat_closed' && callback.visitor_id && deps.settings.CHAT_CLOSED_TEXT) {
    return closeChat(deps, log, callback.visitor_id, callback.chat_id);
  }
  if (callback.event !== 'new_message' || !message || !callback.visitor_id) {
    log.info('webim_callback_ignored', { reason: `event_${callback.event}` });
    return finish(deps, done('ignored'));
  }
  const rendered = userTextFor(message, { forwardInfo: deps.settings.FORWARD_INFO_MESSAGES });
  if ('skip' in rendered) {
    log.info('webim_callback_ignored', { reason: rendered.skip });
    return finish(deps, done('ignored'));
  }
  const visitorId = callback.visitor_id;
  const file = message.kind === 'file_operator' ? operatorFileOf(message) : undefined;

  const deliver = async (chat: { chatId: number; blocked: boolean }, claim?: HeldClaim): Promise<RelayResult> => {
    const chatLog = log.child({ chat_id: chat.chatId });
    if (chat.blocked) {
      chatLog.error('message_not_delivered', { reason: 'blocked_by_user', error_class: 'blocked' });
      return 'blocked';
    }
    const parts = file
      ? await sendFileToUser({ ...deps, log: chatLog }, chat.chatId, file, message.text?.trim() ? message.text : undefined, claim)
      : await sendTextToUser({ ...deps, log: chatLog }, chat.chatId, rendered.text, claim);
    chatLog.info('relayed_to_telegram', { parts });
    return 'relayed';
  };

  if (!message.id) {
    // Without an id a redelivery cannot be recognised; deliver and say so.
    log.warn('webim_message_without_id');
    return runUnclaimed(deps, log, ids, async () => {
      const chat = await findChatByVisitor(deps.db, visitorId);
      if (chat) return deliver(chat);
      log.error('message_not_delivered', { reason: 'unknown_visitor', error_class: 'permanent' });
      return 'unknown_visitor';
    });
  }
  const messageId = message.id;
  // Claiming the message also reads the visitor's chat and checks the chat's order: one round trip.
  return runClaimed(deps, log, ids, () => claimForChat(deps, visitorId, messageId), ({ chat, claim }) => deliver(chat, claim));
}

/** Claims a message to a visitor's chat under the configured lease and per-chat order hold. */
const claimForChat = (deps: RelayDeps, visitorId: string, key: string) =>
  claimOperatorMessage(deps.db, visitorId, key, { leaseSeconds: deps.settings.CLAIM_LEASE_SECONDS, holdSeconds: deps.settings.ORDER_HOLD_SECONDS });

/**
 * Webim closed the chat: the user is told so with CHAT_CLOSED_TEXT, once per closed Webim chat
 * (the claim is the visitor's `chat-closed:<webim chat id>`), in order with the replies before it.
 */
function closeChat(deps: RelayDeps, log: Logger, visitorId: string, webimChatId: string | number | undefined): Promise<RelayOutcome> {
  const key = `chat-closed:${webimChatId ?? ''}`;
  return runClaimed(
    deps,
    log,
    { visitorId, messageId: key },
    () => claimForChat(deps, visitorId, key),
    async ({ chat, claim }) => {
      if (chat.blocked) return 'blocked';
      await sendTextToUser({ ...deps, log: log.child({ chat_id: chat.chatId }) }, chat.chatId, deps.settings.CHAT_CLOSED_TEXT, claim);
      log.info('chat_closed_sent', { chat_id: chat.chatId });
      return 'relayed';
    },
  );
}
