/** Bot API limit for sendMessage text, in UTF-16 code units as JavaScript counts them. */
export const TELEGRAM_TEXT_LIMIT = 4096;

/**
 * Splits a long text into ordered parts of at most `limit` characters, preferring paragraph
 * breaks, then line breaks, then spaces; only a part with none of those is cut hard (never
 * inside a surrogate pair). Joining the parts with the removed separators restores the text.
 */
export function splitText(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    let cut = -1;
    let skip = 0;
    for (const sep of ['\n\n', '\n', ' ']) {
      const at = window.lastIndexOf(sep);
      if (at > 0) {
        cut = at;
        skip = sep.length;
        break;
      }
    }
    if (cut <= 0) {
      cut = limit;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep a surrogate pair together
      skip = 0;
    }
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut + skip);
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts.filter((p) => p.trim().length > 0);
}
