import type { InlineKeyboardMarkup } from '@grammyjs/types';
import { DeliveryFailure } from '../core/failure';
import { setChatBlocked } from '../db/chat-mapping';
import type { HeldClaim } from '../db/delivery-claims';
import { attemptBudgetMs, DEFAULT_TELEGRAM_RETRY, withTelegramRetries } from '../telegram/retry';
import { splitText } from '../telegram/split-text';
import { type RelayDeps, timedUpstream } from './deps';

/**
 * Where a message to a user goes: a bot chat (its Telegram id), or a business chat — the
 * customer's chat with a connected business account, which every send names by its connection.
 */
export interface Recipient {
  /** The Telegram chat the message is sent to. */
  chatId: number;
  /** The chat's key in chat_mapping: the bot chat's own id, or a business chat's key. */
  chatKey: number;
  /** A business chat's connection (`business_connection_id` on every send). */
  businessConnectionId?: string;
}

/** A bare chat id is a bot chat. */
export const recipientOf = (to: number | Recipient): Recipient => (typeof to === 'number' ? { chatId: to, chatKey: to } : to);

/** The send parameter that routes a message through a business connection, when it has one. */
export const businessParams = (to: Recipient): { business_connection_id?: string } =>
  to.businessConnectionId ? { business_connection_id: to.businessConnectionId } : {};

/**
 * Sends a text to a Telegram chat as one or more messages (split at the 4096 limit), in order.
 * `to` is a bot chat's id, or a Recipient — a business chat's messages go through its connection.
 *
 * With a claim, progress is kept after each part of a split text (counted after `partOffset`
 * earlier parts of the same message, such as a file) so that a retry after a
 * transient failure resumes with the first unsent part instead of repeating earlier ones. A
 * later part is started only when a whole call still fits the deadline: a call cut short might
 * reach the user unseen and be sent again by the retry. When Telegram says the user blocked the
 * bot, the chat is marked blocked before the failure propagates, so no later message is
 * attempted until the user writes again.
 */
export async function sendTextToUser(
  deps: RelayDeps,
  to: number | Recipient,
  text: string,
  claim?: HeldClaim,
  partOffset = 0,
  extra: { header?: string; keyboard?: InlineKeyboardMarkup; onSent?: (messageId: number) => void } = {},
): Promise<number> {
  const recipient = recipientOf(to);
  const chatId = recipient.chatId;
  // A header (the operator's name) is the first line, bold by an entity: never a parse mode,
  // which user content could break.
  const parts = splitText(extra.header ? `${extra.header}\n${text}` : text);
  const policy = {
    ...(deps.telegramRetry ?? DEFAULT_TELEGRAM_RETRY),
    onRetry: (info: { attempt: number; waitMs: number; reason: string }) => deps.log.warn('telegram_retry', { chat_id: chatId, ...info }),
  };
  const timeoutMs = deps.telegram.timeoutMs;
  // With an offset, earlier parts of the same claim (a file) come before these texts.
  const first = Math.max(0, (claim?.partsDone ?? 0) - partOffset);
  for (let sent = first; sent < parts.length; sent++) {
    if (sent > first && attemptBudgetMs(timeoutMs, deps.deadline, policy) < timeoutMs) {
      throw new DeliveryFailure('transient', 'telegram', 'no_time_for_next_part');
    }
    const part = parts[sent] as string;
    const options = {
      ...(sent === 0 && extra.header ? { entities: [{ type: 'bold' as const, offset: 0, length: extra.header.length }] } : {}),
      // The buttons go under the last part, where the question ends.
      ...(sent === parts.length - 1 && extra.keyboard ? { reply_markup: extra.keyboard } : {}),
      ...businessParams(recipient),
    };
    try {
      const sentMessage = await withTelegramRetries(
        (ms) => timedUpstream(deps, () => deps.telegram.sendMessage(chatId, part, ms, options)),
        timeoutMs,
        deps.deadline,
        policy,
      );
      extra.onSent?.(sentMessage.message_id);
    } catch (error) {
      if (error instanceof DeliveryFailure && error.kind === 'blocked') {
        await setChatBlocked(deps.db, recipient.chatKey, true).catch((e: unknown) =>
          deps.log.warn('chat_block_record_failed', { error: e }),
        );
      }
      throw error;
    }
    if (claim && parts.length + partOffset > 1) {
      // Kept in the claim even if the database is away now: a release writes it later.
      await claim.recordParts(partOffset + sent + 1).catch((e: unknown) => deps.log.warn('progress_record_failed', { error: e }));
    }
  }
  return parts.length;
}
