import { describe, expect, it } from 'vitest';
import { ratingCallbackData, ratingOfCallbackData } from '../../../lib/db/conversation';
import { buildRating, webimRateOf } from '../../../lib/webim/wire';

describe('a rating on the wire', () => {
  it('maps the five choices onto Webim’s −2…2 operator-rating scale', () => {
    expect([1, 2, 3, 4, 5].map(webimRateOf)).toEqual([-2, -1, 0, 1, 2]);
  });

  it('is a `rating` message for the visitor, with the closed chat when known', () => {
    const input = { visitorId: 'v-1', name: 'Ivan', language: 'ru', messageId: 'tg-1-rating-9', score: 5 };
    expect(buildRating({ ...input, webimChatId: '90125' })).toEqual({
      event: 'new_message',
      visitor: { id: 'v-1', fields: { name: 'Ivan', language: 'ru' } },
      message: { id: 'tg-1-rating-9', kind: 'rating', text: '★★★★★', data: { rate: 2, chat_id: '90125' } },
    });
    expect(buildRating(input).message.data).toEqual({ rate: 2 });
  });

  it('travels in callback_data within Telegram’s 64 bytes, the chat id left out when it would not fit', () => {
    expect(ratingCallbackData(4, '90125')).toBe('rt:4:90125');
    expect(ratingOfCallbackData('rt:4:90125')).toEqual({ score: 4, webimChatId: '90125' });
    const long = 'c'.repeat(80);
    expect(ratingCallbackData(2, long)).toBe('rt:2:');
    expect(ratingOfCallbackData('rt:2:')).toEqual({ score: 2 });
    for (const other of ['rt:0:1', 'rt:6:', 'rt:x:', 'b1:rt:5:', 'rt5']) expect(ratingOfCallbackData(other), other).toBeUndefined();
  });
});
