/**
 * The payloads the simulators send, in exactly the shapes the real services use (pinned to the
 * fixtures under test/fixtures by the simulator tests).
 */

export interface SimUserIdentity {
  chatId: number;
  firstName: string;
  lastName?: string;
  username?: string;
}

const userObject = (u: SimUserIdentity) => ({
  id: u.chatId,
  is_bot: false,
  first_name: u.firstName,
  ...(u.lastName ? { last_name: u.lastName } : {}),
  ...(u.username ? { username: u.username } : {}),
  language_code: 'en',
});

const privateChat = (u: SimUserIdentity) => ({
  id: u.chatId,
  first_name: u.firstName,
  ...(u.lastName ? { last_name: u.lastName } : {}),
  ...(u.username ? { username: u.username } : {}),
  type: 'private' as const,
});

/** A Telegram `Update` carrying a private text message (commands get their bot_command entity). */
export function textUpdate(u: SimUserIdentity, updateId: number, messageId: number, text: string, date = Math.floor(Date.now() / 1000)) {
  const command = /^\/\w+/.exec(text);
  return {
    update_id: updateId,
    message: {
      message_id: messageId,
      from: userObject(u),
      chat: privateChat(u),
      date,
      text,
      ...(command ? { entities: [{ offset: 0, length: command[0].length, type: 'bot_command' }] } : {}),
    },
  };
}

/** A `my_chat_member` update: the user blocked ("kicked") or unblocked ("member") the bot. */
export function membershipUpdate(u: SimUserIdentity, updateId: number, bot: { id: number; username: string }, status: 'kicked' | 'member') {
  const botUser = { id: bot.id, is_bot: true, first_name: 'Sandbox Support', username: bot.username };
  return {
    update_id: updateId,
    my_chat_member: {
      chat: privateChat(u),
      from: userObject(u),
      date: Math.floor(Date.now() / 1000),
      old_chat_member: { user: botUser, status: status === 'kicked' ? 'member' : 'kicked', ...(status === 'member' ? { until_date: 0 } : {}) },
      new_chat_member: { user: botUser, status, ...(status === 'kicked' ? { until_date: 0 } : {}) },
    },
  };
}

/** Webim's callback for an operator message. */
export function operatorCallback(visitorId: string, webimChatId: number, messageId: string, text: string) {
  return {
    event: 'new_message',
    visitor_id: visitorId,
    chat_id: webimChatId,
    message: { id: messageId, kind: 'operator', text, created_at: Math.floor(Date.now() / 1000) },
  };
}
