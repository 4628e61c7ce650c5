import { languageOf, wordsOf } from '../i18n/catalogue';
import type { DeskWords } from '../i18n/words';

/**
 * The words of Telegram Business notes, from the catalogue (lib/i18n). Notes carry ids and
 * reasons only, except the owner's own text where BUSINESS_OWNER_NOTES allows it.
 */

/**
 * The desk's words: `DESK_LANGUAGE` when the settings carry it, else English — the language of
 * the bridge's other operator notes until the desk language is a setting.
 */
export const deskWords = (settings: object): DeskWords =>
  wordsOf(languageOf((settings as { DESK_LANGUAGE?: unknown }).DESK_LANGUAGE as string | undefined, 'en')).desk;

/** The name operators see for a connected business account: its username, else its owner's id. */
export const businessAccountLabel = (desk: DeskWords, account: { ownerUsername?: string; ownerUserId?: number }): string =>
  desk
    .businessAccount(
      account.ownerUsername ? `@${account.ownerUsername}` : account.ownerUserId !== undefined ? `id ${account.ownerUserId}` : '',
    )
    .replace(/[\s,]+$/, '');

/** The note when the account's owner wrote in the chat: with their text only when the setting allows it. */
export const ownerWroteNote = (desk: DeskWords, options: { text?: string; edited: boolean }): string =>
  options.text === undefined
    ? desk.businessOwnerWrote
    : desk.businessOwnerQuoted(`${options.edited ? `${desk.edited} ` : ''}${options.text}`);

/** The note when messages of the chat were deleted: their ids (the first 20, then how many more). */
export const deletedNote = (desk: DeskWords, messageIds: readonly number[]): string =>
  desk.businessDeleted(`${messageIds.slice(0, 20).join(', ')}${messageIds.length > 20 ? ` (+${messageIds.length - 20})` : ''}`);

/** Why a reply through a business account did not reach the customer; undefined for other reasons. */
export function businessRefusalText(desk: DeskWords, reason: string): string | undefined {
  const why = desk.undeliveredWhy;
  switch (reason) {
    case 'business_connection_gone':
      return why.businessConnectionGone;
    case 'business_connection_disabled':
      return why.businessConnectionDisabled;
    case 'business_reply_not_allowed':
      return why.businessReplyNotAllowed;
    case 'business_reply_window_closed':
      return why.businessReplyWindowClosed;
    case 'business_chat_excluded':
      return why.businessChatExcluded;
    case 'business_mode_off':
      return why.businessModeOff;
    default:
      return undefined;
  }
}
