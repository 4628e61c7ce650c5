import type { Catalogue } from './words';

/** The Russian form for a count: 1 проблема, 2 проблемы, 5 проблем (21 проблема, 11 проблем). */
function plural(n: number, one: string, few: string, many: string): string {
  const tens = Math.abs(n) % 100;
  const units = tens % 10;
  if (tens >= 11 && tens <= 14) return many;
  if (units === 1) return one;
  return units >= 2 && units <= 4 ? few : many;
}

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
    ratingQuestion: 'Пожалуйста, оцените, как оператор помог Вам:',
    rated: (score) => `✓ Спасибо за оценку: ${'★'.repeat(score)}${'☆'.repeat(5 - score)}`,
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
    rated: (score) => `⭐ Пользователь оценил диалог: ${score} из 5.`,
    reactionAdded: (reaction, reply) => `Пользователь отреагировал ${reaction} на ответ ${reply}.`,
    reactionRemoved: (reaction, reply) => `Пользователь убрал реакцию ${reaction} с ответа ${reply}.`,
    reactionCustomEmoji: 'свой эмодзи',
    reactionPaid: 'платная ⭐',
  },
  admin: {
    undelivered: (route, ids, reason) => `⚠️ Не доставлено (${route}): ${ids}; причина ${reason}.`,
    chatId: (id) => `чат ${id}`,
    visitorId: (id) => `посетитель ${id}`,
    messageId: (id) => `сообщение ${id}`,
    noIds: 'без идентификаторов',
    databaseRefuses: (reason) =>
      `🛠 База данных не пускает мост: ${reason}. Все сообщения задерживаются (503), пока это не исправлено; запустите doctor.`,
    configurationError: (problem, where) =>
      `🛠 Ошибка настройки${where ? ` (${where})` : ''}: ${problem}. Все сообщения задерживаются (503), пока это не исправлено; запустите doctor.`,
    ssmRefuses: (code) => `SSM не выдаёт мосту настройки (${code})`,
    queueRefuses: (code) => `очередь ответов не принимает сообщения моста (${code})`,
    missingSetting: (name) => `не задан ${name}`,
    invalidSetting: (name) => `неверный ${name}`,
    databaseUnreachable: (duration, reason) =>
      `🔴 База данных недоступна уже ${duration} (${reason}). Сообщения задерживаются, отправители повторят их.`,
    upstreamFailing: (upstream, duration, reason) =>
      `🔴 ${upstream} не отвечает как следует уже ${duration} (${reason}). Сообщения задерживаются, отправители повторят их.`,
    rateLimited: (duration, reason) =>
      `🔴 Telegram ограничивает частоту сообщений бота уже ${duration} (${reason}). Сообщения задерживаются, отправители повторят их.`,
    seconds: (n) => `${n} с`,
    minutes: (n) => `${n} мин`,
    heldBack: (n) => ` (ещё ${n} ${plural(n, 'такое оповещение', 'таких оповещения', 'таких оповещений')} не отправлено)`,
    businessLost: (account) =>
      `⚠️ ${account} отключил или приостановил бота: сообщения его клиентов больше не приходят, а ответы операторов им не отправить.`,
    businessCannotReply: (account) =>
      `⚠️ ${account} больше не разрешает боту отвечать: ответы операторов его клиентам не будут доставлены, пока право не вернут.`,
    statusHealthy: (checks) => `✅ Мост работает (${checks} ${plural(checks, 'проверка', 'проверки', 'проверок')})`,
    statusProblems: (problems) => `❌ ${problems} ${plural(problems, 'проблема', 'проблемы', 'проблем')}`,
  },
  commands: {
    start: 'Начать диалог с оператором',
  },
};
