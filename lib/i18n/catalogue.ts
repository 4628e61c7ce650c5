import { en } from './en';
import { ru } from './ru';
import type { Catalogue } from './words';

export type { AdminWords, Catalogue, CommandWords, DeskWords, FileKindWord, MarkerWords, UndeliveredWhy, UserWords } from './words';

/**
 * The catalogues the bridge speaks, by ISO 639-1 code. Adding a language: a file exporting a
 * complete `Catalogue` (copy `en.ts`, translate every word), and one line here. The settings
 * follow on their own (`DEFAULT_LANGUAGE`, `DESK_LANGUAGE` and the per-language text overrides
 * such as `WELCOME_TEXT_UK` are made from this list), and so does the bot's command menu.
 */
export const CATALOGUES = { ru, en } as const satisfies Record<string, Catalogue>;

/** A language the bridge has a catalogue for. */
export type Language = keyof typeof CATALOGUES;

/** Every language with a catalogue, the product's first language first. */
export const LANGUAGES = Object.keys(CATALOGUES) as Language[];

/** Whether `value` names a language with a catalogue (exactly: `ru`, not `ru-RU`). */
export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && Object.hasOwn(CATALOGUES, value);
}

/**
 * The catalogue language for a Telegram `language_code` (an IETF tag such as `ru`, `ru-RU`,
 * `en-US`, `uk`): its primary subtag when there is a catalogue for it, else `fallback`. A
 * language without a catalogue of its own is never mapped to a neighbour's: it gets the fallback
 * (the operator of the bridge chooses that, with `DEFAULT_LANGUAGE`).
 */
export function languageOf(code: string | undefined | null, fallback: Language): Language {
  const primary = code?.trim().toLowerCase().split(/[-_]/)[0];
  return isLanguage(primary) ? primary : fallback;
}

/** The words of a language (see `languageOf` for a Telegram code). */
export function wordsOf(language: Language): Catalogue {
  return CATALOGUES[language];
}

/** The words for a Telegram user's `language_code`, falling back to `fallback`. */
export function wordsFor(code: string | undefined | null, fallback: Language): Catalogue {
  return CATALOGUES[languageOf(code, fallback)];
}
