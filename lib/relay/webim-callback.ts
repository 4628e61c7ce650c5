import { findChatByVisitor, type ChatMapping } from '../db/chat-mapping';
import { claimCallbackForVisitor } from '../db/delivery-claims';
import { userTextFor, type WebimCallback } from '../webim/wire';
import { runClaimed, runUnclaimed } from './claimed';
import type { RelayDeps } from './deps';
import { done, type RelayOutcome, type RelayResult } from './outcome';
import { sendTextToUser } from './send-to-user';

/**
 * Use-case: relay one Webim callback to the Telegram user. Operator messages are delivered once,
 * split and in order; other events and kinds are acknowledged and logged.
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

  if (callback.event !== 'new_message' || !message || !callback.visitor_id) {
    log.info('webim_callback_ignored', { reason: `event_${callback.event}` });
    return done('ignored');
  }
  const rendered = userTextFor(message, { forwardInfo: deps.settings.FORWARD_INFO_MESSAGES });
  if ('skip' in rendered) {
    log.info('webim_callback_ignored', { reason: rendered.skip });
    return done('ignored');
  }
  const visitorId = callback.visitor_id;

  const deliver = async (partsDone: number, mapping: Pick<ChatMapping, 'chatId' | 'blocked'> | undefined, claimKey?: string): Promise<RelayResult> => {
    if (!mapping) {
      log.error('message_not_delivered', { reason: 'unknown_visitor' });
      return 'unknown_visitor';
    }
    const chatLog = log.child({ chat_id: mapping.chatId });
    if (mapping.blocked) {
      chatLog.error('message_not_delivered', { reason: 'blocked_by_user', error_class: 'blocked' });
      return 'blocked';
    }
    const parts = await sendTextToUser(
      { ...deps, log: chatLog },
      mapping.chatId,
      rendered.text,
      claimKey ? { source: 'webim_message', key: claimKey, partsDone } : undefined,
    );
    chatLog.info('relayed_to_telegram', { parts });
    return 'relayed';
  };

  if (!message.id) {
    // Without an id a redelivery cannot be recognised; deliver and say so.
    log.warn('webim_message_without_id');
    return runUnclaimed(log, async () => deliver(0, await findChatByVisitor(deps.db, visitorId)));
  }
  const key = message.id;
  // Claiming the message also reads the visitor's chat: one round trip.
  return runClaimed(
    deps,
    log,
    'webim_message',
    key,
    () => claimCallbackForVisitor(deps.db, key, visitorId, deps.settings.CLAIM_LEASE_SECONDS),
    (partsDone, { chat }) => deliver(partsDone, chat, key),
  );
}
