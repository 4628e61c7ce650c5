import type { Catalogue } from './words';

/** Russian: the product's first language. A support team's tone: polite, short, «Вы». */
export const ru: Catalogue = {
  user: {
    welcome: 'Здравствуйте! Напишите Ваш вопрос здесь — оператор ответит Вам в этом чате.',
    chatClosed: 'Оператор завершил диалог. Если у Вас остались вопросы, просто напишите сюда.',
    undelivered: 'К сожалению, это сообщение не удалось передать операторам. Пожалуйста, попробуйте ещё раз — возможно, другими словами.',
    delayed: 'Операторы сейчас не могут принимать сообщения. Ваши сообщения сохранены и дойдут до них, как только это станет возможно.',
    choosePrompt: 'Пожалуйста, выберите:',
    chosen: (label) => `✓ Ваш выбор: ${label}`,
    fileNotDelivered: (name) => `📎 ${name} — оператор отправил файл, но доставить его сюда не удалось.`,
  },
  desk: {
    notDelivered: (why) => `⚠ Не доставлено пользователю: ${why}.`,
    undeliveredWhy: {
      blocked: 'пользователь заблокировал бота (или удалил аккаунт)',
      chatNotFound: 'чата в Telegram больше нет',
      forbidden: 'Telegram не разрешает боту писать этому пользователю',
      gaveUp: (detail) => `попытки доставки исчерпаны (${detail || 'причина неизвестна'})`,
      refused: (detail) => `Telegram не принял сообщение (${detail})`,
      businessConnectionGone: 'бизнес-аккаунт отключил бота (Telegram больше не знает это подключение)',
      businessConnectionDisabled: 'бизнес-аккаунт приостановил подключение бота',
      businessReplyNotAllowed:
        'бизнес-аккаунт не разрешил боту отвечать (Telegram Business → Чат-боты → бот: разрешите отвечать на сообщения)',
      businessReplyWindowClosed:
        'Telegram разрешает бизнес-боту отвечать только в течение 24 часов после последнего сообщения клиента; ответьте из самого аккаунта или дождитесь, когда клиент напишет',
      businessChatExcluded: 'бизнес-аккаунт исключил этот чат из обслуживания ботом',
      businessModeOff: 'у бота выключен Business Mode в @BotFather',
    },
    blocked: '⚠ Пользователь заблокировал бота: ответы не дойдут до него, пока он не разблокирует бота.',
    unblocked: '✓ Пользователь разблокировал бота: ответы снова доходят.',
    startedFromLink: (payload, language) =>
      `🔗 Пользователь пришёл по ссылке: ${payload}${language ? ` (язык Telegram: ${language})` : ''}`,
    fileTooLarge: (name, size) =>
      `📎 Пользователь отправил слишком большой файл: ${name} (${size}). Попросите его прислать файл поменьше или другим способом.`,
    fileAsText: (kind, name) => `[${ru.desk.fileKind[kind]}: ${name}]`,
    fileKind: {
      photo: 'фото',
      document: 'документ',
      voice: 'голосовое',
      audio: 'аудио',
      video: 'видео',
      video_note: 'видеосообщение',
      animation: 'анимация',
      sticker: 'стикер',
    },
    edited: '[изменено]',
    marker: {
      photo: 'фото',
      animation: 'анимация',
      video: 'видео',
      videoNote: 'видеосообщение',
      voice: (seconds) => (seconds === undefined ? 'голосовое' : `голосовое, ${seconds} с`),
      audio: (title) => (title ? `аудио ${title}` : 'аудио'),
      document: (name) => (name ? `документ ${name}` : 'документ'),
      sticker: (emoji) => (emoji ? `стикер ${emoji}` : 'стикер'),
      venue: (place, coordinates) => `место: ${place}${coordinates ? ` (${coordinates})` : ''}`,
      location: (coordinates) => `геопозиция ${coordinates}`,
      contact: (name, phone) => `контакт ${name} ${phone}`,
      poll: (question) => `опрос: ${question}`,
      dice: (emoji, value) => `кубик ${emoji} ${value}`,
      story: 'история',
      game: (title) => `игра ${title}`,
      invoice: (title) => `счёт ${title}`,
      paidMedia: 'платный контент',
      checklist: 'чек-лист',
    },
    statusUnavailable: 'Статус здесь недоступен.',
    businessAccount: (handle) => `Telegram Business, аккаунт ${handle}`,
    businessOwnerWrote: '✍ Бизнес-аккаунт ответил этому клиенту напрямую в Telegram (текст здесь не показывается).',
    businessOwnerQuoted: (text) => `✍ Бизнес-аккаунт ответил напрямую в Telegram: ${text}`,
    businessDeleted: (ids) => `🗑 В чате Telegram удалено: сообщение № ${ids}.`,
  },
  commands: {
    start: 'Начать диалог с оператором',
  },
};
