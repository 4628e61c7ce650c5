import { type Catalogue, LANGUAGES, type Language, languageOf, wordsOf } from '../i18n/catalogue';
import { overrideName, type Settings, USER_TEXT_LIMITS, type UserTextSetting } from './schema';

/** The value that turns a text off (an empty value counts as unset in every settings source). */
export const TEXT_OFF = 'off';

/** The catalogue word each text setting replaces. */
const WORD_OF = {
  WELCOME_TEXT: 'welcome',
  CHAT_CLOSED_TEXT: 'chatClosed',
  UNDELIVERED_NOTICE_TEXT: 'undelivered',
  DELAY_NOTICE_TEXT: 'delayed',
} as const satisfies Record<UserTextSetting, keyof Catalogue['user']>;

/** Every text setting, in the order the doctor lists them. */
export const USER_TEXT_SETTINGS = Object.keys(USER_TEXT_LIMITS) as UserTextSetting[];

export interface UserText {
  /** What to send; undefined when the text is turned off. */
  text: string | undefined;
  /** Where it comes from: the setting that set it (`WELCOME_TEXT_EN`, `WELCOME_TEXT`) or `catalogue`. */
  source: string;
}

/**
 * One of the user's texts in one language: the per-language setting (`WELCOME_TEXT_EN`) if set,
 * else the setting for every language (`WELCOME_TEXT`), else the catalogue's word. `off` at the
 * level that decides turns it off.
 */
export function userTextOf(settings: Settings, name: UserTextSetting, language: Language): UserText {
  for (const key of [overrideName(name, language), name] as const) {
    const value = settings[key];
    if (value !== undefined) return { text: value.trim().toLowerCase() === TEXT_OFF ? undefined : value, source: key };
  }
  return { text: wordsOf(language).user[WORD_OF[name]], source: 'catalogue' };
}

/** The catalogue language a Telegram user reads: their `language_code`, else `DEFAULT_LANGUAGE`. */
export function userLanguageOf(settings: Pick<Settings, 'DEFAULT_LANGUAGE'>, code: string | undefined | null): Language {
  return languageOf(code, settings.DEFAULT_LANGUAGE);
}

/** The words of the user with this Telegram `language_code`. */
export function userWordsOf(settings: Pick<Settings, 'DEFAULT_LANGUAGE'>, code: string | undefined | null): Catalogue['user'] {
  return wordsOf(userLanguageOf(settings, code)).user;
}

/** The words operators read (`DESK_LANGUAGE`). */
export function deskWordsOf(settings: Pick<Settings, 'DESK_LANGUAGE'>): Catalogue['desk'] {
  return wordsOf(settings.DESK_LANGUAGE).desk;
}

/** The words of the admin chat: alerts and `/status` (`DESK_LANGUAGE`, as staff read it). */
export function adminWordsOf(settings: Pick<Settings, 'DESK_LANGUAGE'>): Catalogue['admin'] {
  return wordsOf(settings.DESK_LANGUAGE).admin;
}

/**
 * Where each user text comes from, per language, for the doctor: one line per text, such as
 * `WELCOME_TEXT: ru catalogue, en WELCOME_TEXT_EN`, or `… en off (WELCOME_TEXT_EN)`. Never the texts.
 */
export function describeUserTexts(settings: Settings): string[] {
  return USER_TEXT_SETTINGS.map((name) => {
    const parts = LANGUAGES.map((language) => {
      const { text, source } = userTextOf(settings, name, language);
      return text === undefined ? `${language} off (${source})` : `${language} ${source}`;
    });
    return `${name}: ${parts.join(', ')}`;
  });
}
