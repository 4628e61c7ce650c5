import { describe, expect, it } from 'vitest';
import { CATALOGUES, type Catalogue, isLanguage, LANGUAGES, languageOf, wordsFor } from '../../../lib/i18n/catalogue';

/** Every word of a catalogue as text: strings as they are, functions called with sample arguments. */
function render(words: unknown, path = ''): [string, string][] {
  if (typeof words === 'string') return [[path, words]];
  if (typeof words === 'function') {
    // A file kind is a closed set; every other parameter takes any text.
    const args = path.endsWith('fileAsText')
      ? ['photo', 'ARG2']
      : Array.from({ length: Math.max(1, words.length) }, (_, i) => `ARG${i + 1}`);
    return [[path, String((words as (...a: unknown[]) => unknown)(...args))]];
  }
  return Object.entries(words as Record<string, unknown>).flatMap(([key, value]) => render(value, path ? `${path}.${key}` : key));
}

describe('the catalogue', () => {
  it('has Russian first and English, and nothing that is not a language code', () => {
    expect(LANGUAGES.slice(0, 2)).toEqual(['ru', 'en']);
    for (const language of LANGUAGES) expect(language).toMatch(/^[a-z]{2}$/);
  });

  it('has a non-empty word for every key in every language, and the same keys everywhere', () => {
    const keysOf = (c: Catalogue) => render(c).map(([path]) => path);
    for (const language of LANGUAGES) {
      const words = render(CATALOGUES[language]);
      expect(keysOf(CATALOGUES[language]), language).toEqual(keysOf(CATALOGUES.en));
      for (const [path, text] of words) expect(text.trim(), `${language}: ${path}`).not.toBe('');
    }
  });

  it('passes every parameter through into the text', () => {
    for (const language of LANGUAGES) {
      const c = CATALOGUES[language];
      expect(c.user.chosen('Yes')).toContain('Yes');
      expect(c.user.fileNotDelivered('invoice.pdf')).toContain('invoice.pdf');
      expect(c.desk.notDelivered('WHY')).toContain('WHY');
      expect(c.desk.startedFromLink('ad_42', 'ru')).toContain('ad_42');
      expect(c.desk.fileTooLarge('big.zip', '25.0 MB')).toContain('25.0 MB');
      expect(c.desk.fileAsText('video_note', 'v.mp4')).toContain('v.mp4');
      expect(c.desk.marker.contact('Ivan Petrov', '+79990001122')).toContain('+79990001122');
      expect(c.desk.marker.location('55.75,37.61')).toContain('55.75,37.61');
    }
  });

  it('counts in Russian with the right form of the word (1, 2–4, 5–20, 21, 111)', () => {
    const { admin } = CATALOGUES.ru;
    expect([1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111].map((n) => admin.statusProblems(n))).toEqual([
      '❌ 1 проблема',
      '❌ 2 проблемы',
      '❌ 4 проблемы',
      '❌ 5 проблем',
      '❌ 11 проблем',
      '❌ 12 проблем',
      '❌ 14 проблем',
      '❌ 21 проблема',
      '❌ 22 проблемы',
      '❌ 25 проблем',
      '❌ 101 проблема',
      '❌ 111 проблем',
    ]);
    expect(admin.heldBack(3)).toBe(' (ещё 3 таких оповещения не отправлено)');
    expect(CATALOGUES.en.admin.heldBack(1)).toBe(' (1 similar alert held back)');
  });

  it('speaks Russian in the Russian catalogue: every user and desk word has Cyrillic in it', () => {
    const latinOnly = render(CATALOGUES.ru).filter(([, text]) => !/[А-Яа-яЁё]/.test(text.replace(/ARG\d/g, '')));
    expect(latinOnly).toEqual([]);
  });

  it('picks the catalogue by the primary subtag of a Telegram language_code, else the fallback', () => {
    expect(languageOf('ru', 'en')).toBe('ru');
    expect(languageOf('ru-RU', 'en')).toBe('ru');
    expect(languageOf('EN-us', 'ru')).toBe('en');
    expect(languageOf('en_GB', 'ru')).toBe('en');
    for (const other of ['uk', 'be', 'kk', 'de', '', ' ', 'x-klingon', undefined, null]) {
      expect(languageOf(other, 'ru'), String(other)).toBe('ru');
      expect(languageOf(other, 'en'), String(other)).toBe('en');
    }
    expect(wordsFor('ru-RU', 'en')).toBe(CATALOGUES.ru);
    expect(isLanguage('ru')).toBe(true);
    expect(isLanguage('ru-RU')).toBe(false);
    expect(isLanguage('toString')).toBe(false);
  });
});
