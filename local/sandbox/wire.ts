/**
 * The payloads the simulators send, in exactly the shapes the real services use (pinned to the
 * fixtures under test/fixtures by the simulator tests).
 */

export interface SimUserIdentity {
  chatId: number;
  firstName: string;
  lastName?: string;
  username?: string;
  /** The language of the user's Telegram app (`language_code`); absent: the user never sent one. */
  languageCode?: string;
}

const userObject = (u: SimUserIdentity) => ({
  id: u.chatId,
  is_bot: false,
  first_name: u.firstName,
  ...(u.lastName ? { last_name: u.lastName } : {}),
  ...(u.username ? { username: u.username } : {}),
  ...(u.languageCode ? { language_code: u.languageCode } : {}),
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

/** A Telegram `Update` carrying a file the user sent: photo sizes, a document or a voice note. */
export function fileUpdate(
  u: SimUserIdentity,
  updateId: number,
  messageId: number,
  file: { kind: 'photo' | 'document' | 'voice' | 'sticker'; fileId: string; name: string; mediaType: string; size: number },
  caption?: string,
  date = Math.floor(Date.now() / 1000),
) {
  const unique = `u${file.fileId.slice(-10)}`;
  const media =
    file.kind === 'photo'
      ? {
          photo: [
            { file_id: `${file.fileId}-thumb`, file_unique_id: `${unique}t`, file_size: Math.round(file.size / 8), width: 90, height: 56 },
            { file_id: file.fileId, file_unique_id: unique, file_size: file.size, width: 160, height: 100 },
          ],
        }
      : file.kind === 'voice'
        ? { voice: { file_id: file.fileId, file_unique_id: unique, duration: 3, mime_type: file.mediaType, file_size: file.size } }
        : file.kind === 'sticker'
          ? {
              sticker: {
                file_id: file.fileId,
                file_unique_id: unique,
                type: 'regular',
                width: 512,
                height: 512,
                is_animated: false,
                is_video: false,
                emoji: '👍',
                set_name: 'SandboxSet',
                file_size: file.size,
              },
            }
          : {
              document: {
                file_id: file.fileId,
                file_unique_id: unique,
                file_name: file.name,
                mime_type: file.mediaType,
                file_size: file.size,
              },
            };
  return {
    update_id: updateId,
    message: { message_id: messageId, from: userObject(u), chat: privateChat(u), date, ...media, ...(caption ? { caption } : {}) },
  };
}

/** A Webim operator message with buttons (Webim Bot API 2.0's `keyboard` kind). */
export function operatorKeyboardCallback(
  visitorId: string,
  webimChatId: number,
  messageId: string,
  text: string,
  buttons: { id: string; text: string }[][],
) {
  return { event: 'new_message', visitor_id: visitorId, chat_id: webimChatId, message: { id: messageId, kind: 'keyboard', text, buttons } };
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
      old_chat_member: {
        user: botUser,
        status: status === 'kicked' ? 'member' : 'kicked',
        ...(status === 'member' ? { until_date: 0 } : {}),
      },
      new_chat_member: { user: botUser, status, ...(status === 'kicked' ? { until_date: 0 } : {}) },
    },
  };
}

/** Webim's callback for an operator's file (`file_operator`, data with url, name, media type, size). */
export function operatorFileCallback(
  visitorId: string,
  webimChatId: number,
  messageId: string,
  file: { url: string; name: string; mediaType: string; size: number },
  text?: string,
) {
  return {
    event: 'new_message',
    visitor_id: visitorId,
    chat_id: webimChatId,
    message: {
      id: messageId,
      kind: 'file_operator',
      ...(text ? { text } : {}),
      data: { url: file.url, name: file.name, media_type: file.mediaType, size: file.size },
      created_at: Math.floor(Date.now() / 1000),
    },
  };
}

/** A `message_reaction` update: the user changed their reaction to a message (old and new, emoji only here). */
export function reactionUpdate(u: SimUserIdentity, updateId: number, messageId: number, oldEmoji?: string, newEmoji?: string) {
  const list = (emoji?: string) => (emoji ? [{ type: 'emoji', emoji }] : []);
  return {
    update_id: updateId,
    message_reaction: {
      chat: privateChat(u),
      message_id: messageId,
      user: userObject(u),
      date: Math.floor(Date.now() / 1000),
      old_reaction: list(oldEmoji),
      new_reaction: list(newEmoji),
    },
  };
}

/** Webim's callback when an operator closes the chat. */
export function chatClosedCallback(visitorId: string, webimChatId: number) {
  return { event: 'chat_closed', visitor_id: visitorId, chat_id: webimChatId };
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
