import { describe, expect, it } from 'vitest';
import { splitText, TELEGRAM_TEXT_LIMIT } from '../../../lib/telegram/split-text';

describe('splitText', () => {
  it('keeps a short text whole', () => {
    expect(splitText('hello')).toEqual(['hello']);
    expect(splitText('x'.repeat(TELEGRAM_TEXT_LIMIT))).toHaveLength(1);
  });

  it('prefers paragraph, then line, then word boundaries', () => {
    const para = `${'a'.repeat(3000)}\n\n${'b'.repeat(1000)}\n${'c'.repeat(1000)}`;
    expect(splitText(para).map((p) => p[0])).toEqual(['a', 'b']);
    expect(splitText(para)[0]).toBe('a'.repeat(3000));
    const words = Array.from({ length: 1000 }, () => 'word').join(' ');
    const parts = splitText(words, 100);
    expect(parts.every((p) => p.length <= 100 && !p.startsWith(' ') && !p.endsWith(' '))).toBe(true);
    expect(parts.join(' ')).toBe(words);
  });

  it('cuts a text without separators hard but never splits a surrogate pair', () => {
    const emoji = '😀'.repeat(3000); // 6000 UTF-16 units
    const parts = splitText(emoji);
    expect(parts.every((p) => p.length <= TELEGRAM_TEXT_LIMIT)).toBe(true);
    expect(parts.join('')).toBe(emoji);
    expect(parts.every((p) => !/[\uD800-\uDBFF]$/.test(p))).toBe(true);
  });

  it('keeps order and content for a long multi-line reply', () => {
    const text = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const parts = splitText(text, 500);
    expect(parts.join('\n')).toBe(text);
  });

  it('drops whitespace-only parts and returns nothing for an empty text', () => {
    expect(splitText('')).toEqual([]);
    expect(splitText('   ')).toEqual([]);
  });
});
