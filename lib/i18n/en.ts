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
  },
  desk: {
    notDelivered: (why) => `⚠ Not delivered to the user: ${why}.`,
    undeliveredWhy: {
      blocked: 'the user blocked the bot (or deleted their account)',
      chatNotFound: 'the Telegram chat no longer exists',
      forbidden: 'Telegram does not let the bot write to this user',
      gaveUp: (detail) => `gave up after repeated attempts (${detail || 'no reason'})`,
      refused: (detail) => `Telegram refused the message (${detail})`,
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
  },
  commands: {
    start: 'Start a conversation with an operator',
  },
};
