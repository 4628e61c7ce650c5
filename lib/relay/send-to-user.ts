import { setChatBlocked } from '../db/chat-mapping';
import { recordPartsDone, type ClaimSource } from '../db/delivery-claims';
import { DeliveryFailure } from '../delivery/failure';
import { DEFAULT_TELEGRAM_RETRY, withTelegramRetries } from '../delivery/telegram-retry';
import { splitText } from '../telegram/split-text';
import type { RelayDeps } from './deps';

/**
 * Sends a text to a Telegram chat as one or more messages (split at the 4096 limit), in order.
 * With a claim, progress is recorded after each part of a split text so that a retry after a
 * transient failure resumes with the first unsent part instead of repeating earlier ones.
 * When Telegram says the user blocked the bot, the chat is marked blocked before the failure
 * propagates, so no later message is attempted until the user writes again.
 */
export async function sendTextToUser(
  deps: RelayDeps,
  chatId: number,
  text: string,
  progress?: { source: ClaimSource; key: string; partsDone: number },
): Promise<number> {
  const parts = splitText(text);
  let sent = progress?.partsDone ?? 0;
  for (; sent < parts.length; sent++) {
    const part = parts[sent] as string;
    try {
      await withTelegramRetries(() => deps.telegram.sendMessage(chatId, part), deps.deadline, {
        ...(deps.telegramRetry ?? DEFAULT_TELEGRAM_RETRY),
        onRetry: (info) => deps.log.warn('telegram_retry', { chat_id: chatId, part: sent + 1, ...info }),
      });
    } catch (error) {
      if (error instanceof DeliveryFailure && error.kind === 'blocked') await setChatBlocked(deps.db, chatId, true);
      throw error;
    }
    if (progress && parts.length > 1) await recordPartsDone(deps.db, progress.source, progress.key, sent + 1);
  }
  return parts.length;
}
