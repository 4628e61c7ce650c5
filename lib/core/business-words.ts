/**
 * What the bridge writes to operators and admins about Telegram Business chats, in one place.
 * Notes carry ids and reasons only, except the owner's own text where a setting allows it.
 */

/** The name operators see for a connected business account: its username, else its owner's id. */
export function businessAccountLabel(account: { ownerUsername?: string; ownerUserId?: number }): string {
  if (account.ownerUsername) return `Telegram Business @${account.ownerUsername}`;
  return account.ownerUserId !== undefined ? `Telegram Business account ${account.ownerUserId}` : 'Telegram Business';
}

/** The operator's note when the account's owner wrote in the chat themselves (text only when allowed). */
export function ownerWroteNote(options: { text?: string; edited: boolean }): string {
  if (options.text === undefined)
    return options.edited
      ? '✍ The business account edited its own message in this chat directly in Telegram.'
      : '✍ The business account answered this customer directly in Telegram (the text is not shown here).';
  return `✍ The business account replied directly${options.edited ? ' (edited)' : ''}: ${options.text}`;
}

/** The operator's note when messages of the customer's chat were deleted (ids only). */
export function messagesDeletedNote(messageIds: readonly number[]): string {
  const shown = messageIds.slice(0, 20).join(', ');
  const more = messageIds.length > 20 ? ` and ${messageIds.length - 20} more` : '';
  return messageIds.length === 1
    ? `🗑 A message was deleted in the Telegram chat (message ${shown}).`
    : `🗑 ${messageIds.length} messages were deleted in the Telegram chat (messages ${shown}${more}).`;
}

/** Why a reply through a business account did not reach the customer; undefined for other reasons. */
export function businessRefusalText(reason: string): string | undefined {
  switch (reason) {
    case 'business_connection_gone':
      return 'the business account disconnected the bot (Telegram no longer knows the connection)';
    case 'business_connection_disabled':
      return 'the business account has disabled its connection to the bot';
    case 'business_reply_not_allowed':
      return 'the business account does not allow the bot to reply (Telegram Business → Chatbots → the bot: allow it to reply to messages)';
    case 'business_reply_window_closed':
      return "Telegram lets a business bot answer only within 24 hours of the customer's last message; answer from the account itself or wait for the customer to write";
    case 'business_chat_excluded':
      return 'the business account excluded this chat from the bot';
    case 'business_mode_off':
      return 'Business Mode is switched off for the bot in @BotFather';
    default:
      return undefined;
  }
}

/** The admin alert when a connected account is lost, or no longer lets the bot reply. */
export function connectionAlertText(change: 'lost' | 'cannot_reply', account: string): string {
  return change === 'lost'
    ? `${account} disconnected or disabled the bot: its customers' messages no longer arrive, and operators' replies to them cannot be sent.`
    : `${account} no longer lets the bot reply: operators' replies to its customers will not be delivered until the right is granted again.`;
}
