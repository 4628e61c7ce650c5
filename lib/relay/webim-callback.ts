import { done, type RelayOutcome, type RelayResult } from '../core/outcome';
import { chatLanguageOf, findChatByVisitor } from '../db/chat-mapping';
import { callbackDataFor, storeButtonIds } from '../db/conversation';
import type { HeldClaim } from '../db/delivery-claims';
import { claimOperatorMessage } from '../db/delivery-claims';
import { LANGUAGES } from '../i18n/catalogue';
import type { Logger } from '../log';
import { userLanguageOf, userTextOf, userWordsOf } from '../settings/texts';
import { type KeyboardButton, keyboardOf, operatorFileOf, operatorNameOf, userTextFor, type WebimCallback } from '../webim/wire';
import { markCustomerRead, replyRouteOf } from './business';
import { finish, runClaimed, runUnclaimed } from './claimed';
import type { RelayDeps } from './deps';
import { sendRatingPrompt } from './feedback';
import { noteUndelivered } from './notices';
import { sendFileToUser } from './send-file-to-user';
import { sendTextToUser } from './send-to-user';

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
  if (callback.event === 'chat_closed' && callback.visitor_id && tellsChatClosed(deps.settings)) {
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
  const buttons = message.kind === 'keyboard' ? keyboardOf(message) : undefined;
  if (message.kind === 'keyboard' && !buttons) {
    log.info('webim_callback_ignored', { reason: 'keyboard_without_buttons' });
    return finish(deps, done('ignored'));
  }
  const header = deps.settings.SHOW_OPERATOR_NAME ? operatorNameOf(callback) : undefined;

  const deliver = async (chat: { chatId: number; blocked: boolean }, claim?: HeldClaim): Promise<RelayResult> => {
    const chatLog = log.child({ chat_id: chat.chatId });
    if (chat.blocked) {
      chatLog.error('message_not_delivered', { reason: 'blocked_by_user', error_class: 'blocked' });
      return 'blocked';
    }
    // A business chat's reply goes out through its connection (and may be refused before any call).
    const route = await replyRouteOf(deps, chat.chatId);
    const keyboard = buttons ? await inlineKeyboardFor(deps, visitorId, buttons) : undefined;
    // Buttons without a question of the operator's get a prompt in the user's language (a read, only then).
    const text =
      buttons && !message.text?.trim()
        ? userWordsOf(deps.settings, await chatLanguageOf(deps.db, chat.chatId)).choosePrompt
        : rendered.text;
    // Each Telegram message of the reply is noted in the claim: its completion records which reply it was.
    const onSent = (sent: number) => claim?.noteDelivered(chat.chatId, sent);
    const parts = file
      ? await sendFileToUser({ ...deps, log: chatLog }, route.to, file, message.text?.trim() ? message.text : undefined, claim, onSent)
      : await sendTextToUser({ ...deps, log: chatLog }, route.to, text, claim, 0, { header, keyboard, onSent });
    chatLog.info('relayed_to_telegram', { parts, business: route.business ? true : undefined });
    await markCustomerRead(deps, chatLog, route.business);
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
  const outcome = await runClaimed(
    deps,
    log,
    ids,
    () => claimForChat(deps, visitorId, messageId),
    ({ chat, claim }) => deliver(chat, claim),
  );
  // This invocation finished the reply for good without delivering it: the operators are told, once.
  if (
    outcome.status === 'done' &&
    (outcome.result === 'blocked' || outcome.result === 'failed_permanent') &&
    outcome.failure?.upstream !== 'database'
  ) {
    await noteUndelivered({ ...deps, log }, visitorId, messageId, outcome.failure?.reason);
  }
  return outcome;
}

/**
 * An operator's buttons as a Telegram inline keyboard, rows kept. Each button's callback_data
 * carries its id, or — for an id over Telegram's 64 bytes — a token under which the id is kept
 * (one statement, only then). No text is stored: the button's label comes back with the press.
 */
async function inlineKeyboardFor(deps: RelayDeps, visitorId: string, rows: KeyboardButton[][]) {
  const stored: { token: string; visitorId: string; buttonId: string }[] = [];
  const inline_keyboard = rows.map((row) =>
    row.map((button) => {
      const { data, stored: long } = callbackDataFor(visitorId, button.id);
      if (long) stored.push(long);
      return { text: button.text, callback_data: data };
    }),
  );
  await storeButtonIds(deps.db, stored);
  return { inline_keyboard };
}

/**
 * Claims a message to a visitor's chat in the chat's order. A place that waits in the reply queue
 * stops holding the chat only after the queue would have dead-lettered it (a safety net for a
 * queue message that vanished); one whose sender keeps it, after ORDER_HOLD_SECONDS.
 */
const claimForChat = (deps: RelayDeps, visitorId: string, key: string) =>
  claimOperatorMessage(deps.db, visitorId, key, {
    leaseSeconds: deps.settings.CLAIM_LEASE_SECONDS,
    holdSeconds: deps.settings.ORDER_HOLD_SECONDS,
    queuedHoldSeconds: deps.settings.QUEUE_MAX_AGE_SECONDS + deps.settings.ORDER_HOLD_SECONDS,
  });

/** Whether the user hears of a closed chat: its text in some language, or the rating question. */
const tellsChatClosed = (settings: RelayDeps['settings']) =>
  settings.RATING_PROMPT || LANGUAGES.some((language) => userTextOf(settings, 'CHAT_CLOSED_TEXT', language).text);

/** The claim of a closed chat's notice: once per closed Webim chat of the visitor. */
const chatClosedKey = (webimChatId: string | number | undefined) => `chat-closed:${webimChatId ?? ''}`;

/**
 * The id a callback is delivered once under, in its chat's order — the operator message's id, or
 * the closed chat's notice — or undefined when it is not delivered to the user under a claim
 * (nothing for the reply queue to take over).
 */
export function claimKeyOf(callback: WebimCallback, settings: RelayDeps['settings']): string | undefined {
  if (!callback.visitor_id) return undefined;
  if (callback.event === 'chat_closed') return tellsChatClosed(settings) ? chatClosedKey(callback.chat_id) : undefined;
  return callback.event === 'new_message' ? callback.message?.id : undefined;
}

/**
 * Webim closed the chat: the user is told so (CHAT_CLOSED_TEXT, or the catalogue's word in the
 * language last seen from the user), once per closed Webim chat (the claim is the visitor's
 * `chat-closed:<webim chat id>`), in order with the replies before it.
 */
function closeChat(deps: RelayDeps, log: Logger, visitorId: string, webimChatId: string | number | undefined): Promise<RelayOutcome> {
  const key = chatClosedKey(webimChatId);
  return runClaimed(
    deps,
    log,
    { visitorId, messageId: key },
    () => claimForChat(deps, visitorId, key),
    async ({ chat, claim }) => {
      if (chat.blocked) return 'blocked';
      const chatDeps = { ...deps, log: log.child({ chat_id: chat.chatId }) };
      const language = userLanguageOf(deps.settings, await chatLanguageOf(deps.db, chat.chatId));
      const text = userTextOf(deps.settings, 'CHAT_CLOSED_TEXT', language).text;
      if (!text && !deps.settings.RATING_PROMPT) {
        log.info('webim_callback_ignored', { reason: 'chat_closed_text_off', language });
        return 'ignored';
      }
      const route = await replyRouteOf(deps, chat.chatId);
      let sent = 0;
      if (text) {
        sent = await sendTextToUser(chatDeps, route.to, text, claim);
        log.info('chat_closed_sent', { chat_id: chat.chatId, language });
      }
      if (deps.settings.RATING_PROMPT) {
        // The closing text is done: a retry after a failed prompt must not send it again.
        if (sent && claim.partsDone < sent)
          await claim.recordParts(sent).catch((e: unknown) => log.warn('progress_record_failed', { error: e }));
        await sendRatingPrompt(chatDeps, route.to, language, webimChatId === undefined ? undefined : String(webimChatId), claim, sent);
      }
      return 'relayed';
    },
  );
}
