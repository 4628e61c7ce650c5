import type { Catalogue } from './words';

/** English. */
export const en: Catalogue = {
  user: {
    welcome: 'Hello! Write your question here and an operator will answer you in this chat.',
    chatClosed: 'The operator has closed this conversation. If you have more questions, just write here.',
    undelivered: 'Sorry, this message could not be passed on to our operators. Please try again, perhaps in other words.',
    delayed: 'Our operators cannot receive messages right now. Yours are kept and will reach them as soon as possible.',
    choosePrompt: 'Please choose:',
    chosen: (label) => `✓ Your choice: ${label}`,
    fileNotDelivered: (name) => `📎 ${name} — the operator sent a file that could not be delivered here.`,
    ratingQuestion: 'Please rate how the operator helped you:',
    rated: (score) => `✓ Thank you for your rating: ${'★'.repeat(score)}${'☆'.repeat(5 - score)}`,
  },
  desk: {
    notDelivered: (why) => `⚠ Not delivered to the user: ${why}.`,
    undeliveredWhy: {
      blocked: 'the user blocked the bot (or deleted their account)',
      chatNotFound: 'the Telegram chat no longer exists',
      forbidden: 'Telegram does not let the bot write to this user',
      gaveUp: (detail) => `gave up after repeated attempts (${detail || 'no reason'})`,
      refused: (detail) => `Telegram refused the message (${detail})`,
      businessConnectionGone: 'the business account disconnected the bot (Telegram no longer knows the connection)',
      businessConnectionDisabled: 'the business account has disabled its connection to the bot',
      businessReplyNotAllowed:
        'the business account does not allow the bot to reply (Telegram Business → Chatbots → the bot: allow replying to messages)',
      businessReplyWindowClosed:
        "Telegram lets a business bot answer only within 24 hours of the customer's last message; answer from the account itself or wait for the customer to write",
      businessChatExcluded: 'the business account excluded this chat from the bot',
      businessModeOff: 'Business Mode is switched off for the bot in @BotFather',
    },
    blocked: '⚠ The user blocked the bot: replies will not reach them until they unblock it.',
    unblocked: '✓ The user unblocked the bot: replies reach them again.',
    startedFromLink: (payload, language) =>
      `🔗 Started the bot from a link: ${payload}${language ? ` (Telegram language: ${language})` : ''}`,
    fileTooLarge: (name, size) =>
      `📎 The user sent a file too large to relay: ${name} (${size}). Ask them for a smaller one or another channel.`,
    fileAsText: (kind, name) => `[${en.desk.fileKind[kind]}: ${name}]`,
    fileKind: {
      photo: 'photo',
      document: 'document',
      voice: 'voice',
      audio: 'audio',
      video: 'video',
      video_note: 'video note',
      animation: 'animation',
      sticker: 'sticker',
    },
    edited: '[edited]',
    marker: {
      photo: 'photo',
      animation: 'animation',
      video: 'video',
      videoNote: 'video note',
      voice: (seconds) => (seconds === undefined ? 'voice' : `voice ${seconds}s`),
      audio: (title) => (title ? `audio ${title}` : 'audio'),
      document: (name) => (name ? `document ${name}` : 'document'),
      sticker: (emoji) => (emoji ? `sticker ${emoji}` : 'sticker'),
      venue: (place, coordinates) => `venue ${place}${coordinates ? ` (${coordinates})` : ''}`,
      location: (coordinates) => `location ${coordinates}`,
      contact: (name, phone) => `contact ${name} ${phone}`,
      poll: (question) => `poll ${question}`,
      dice: (emoji, value) => `dice ${emoji} ${value}`,
      story: 'story',
      game: (title) => `game ${title}`,
      invoice: (title) => `invoice ${title}`,
      paidMedia: 'paid media',
      checklist: 'checklist',
    },
    statusUnavailable: 'Status is not available here.',
    businessAccount: (handle) => `Telegram Business account ${handle}`,
    businessOwnerWrote: '✍ The business account answered this customer directly in Telegram (the text is not shown here).',
    businessOwnerQuoted: (text) => `✍ The business account replied directly in Telegram: ${text}`,
    businessDeleted: (ids) => `🗑 Deleted in the Telegram chat: message ${ids}.`,
    rated: (score) => `⭐ The user rated the conversation: ${score} of 5.`,
    reactionAdded: (reaction, reply) => `The user reacted ${reaction} to reply ${reply}.`,
    reactionRemoved: (reaction, reply) => `The user removed the reaction ${reaction} from reply ${reply}.`,
    reactionCustomEmoji: 'a custom emoji',
    reactionPaid: 'a paid ⭐',
  },
  admin: {
    undelivered: (route, ids, reason) => `⚠️ Not delivered (${route}): ${ids}; reason ${reason}.`,
    chatId: (id) => `chat ${id}`,
    visitorId: (id) => `visitor ${id}`,
    messageId: (id) => `message ${id}`,
    noIds: 'no ids',
    databaseRefuses: (reason) => `🛠 Database refuses the bridge: ${reason}. Every message is held (503) until it is fixed; run the doctor.`,
    configurationError: (problem, where) =>
      `🛠 Configuration error${where ? ` (${where})` : ''}: ${problem}. Every message is held (503) until it is fixed; run the doctor.`,
    ssmRefuses: (code) => `SSM refuses the bridge (${code})`,
    queueRefuses: (code) => `the reply queue refuses the bridge (${code})`,
    missingSetting: (name) => `missing ${name}`,
    invalidSetting: (name) => `invalid ${name}`,
    databaseUnreachable: (duration, reason) =>
      `🔴 Database unreachable for ${duration} (${reason}). Messages are held and retried by their senders.`,
    upstreamFailing: (upstream, duration, reason) =>
      `🔴 ${upstream} failing for ${duration} (${reason}). Messages are held and retried by their senders.`,
    rateLimited: (duration, reason) =>
      `🔴 Telegram is rate-limiting the bot for ${duration} (${reason}). Messages are held and retried by their senders.`,
    seconds: (n) => `${n} s`,
    minutes: (n) => `${n} min`,
    heldBack: (n) => ` (${n} similar alert${n === 1 ? '' : 's'} held back)`,
    businessLost: (account) =>
      `⚠️ ${account} disconnected or disabled the bot: its customers' messages no longer arrive, and operators' replies to them cannot be sent.`,
    businessCannotReply: (account) =>
      `⚠️ ${account} no longer lets the bot reply: operators' replies to its customers will not be delivered until the right is granted again.`,
    statusHealthy: (checks) => `✅ Bridge healthy (${checks} checks)`,
    statusProblems: (problems) => `❌ ${problems} problem${problems === 1 ? '' : 's'}`,
  },
  commands: {
    start: 'Start a conversation with an operator',
  },
};
