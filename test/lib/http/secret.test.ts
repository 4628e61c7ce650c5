import { describe, expect, it } from 'vitest';
import { header } from '../../../lib/http/api-gateway';
import { secretMatches } from '../../../lib/http/secret';
import { httpApiEvent } from '../../support/events';

describe('request authentication helpers', () => {
  it('compares secrets exactly', () => {
    expect(secretMatches('abc_123', 'abc_123')).toBe(true);
    expect(secretMatches('abc_12', 'abc_123')).toBe(false);
    expect(secretMatches('abc_1234', 'abc_123')).toBe(false);
    expect(secretMatches(undefined, 'abc_123')).toBe(false);
    expect(secretMatches('', '')).toBe(false);
  });

  it('finds headers lower-cased as HTTP API delivers them, and in other casings', () => {
    const event = httpApiEvent({ routeKey: 'POST /x', path: '/x', headers: { 'X-Telegram-Bot-Api-Secret-Token': 's' } });
    expect(event.headers['x-telegram-bot-api-secret-token']).toBe('s');
    expect(header(event, 'X-Telegram-Bot-Api-Secret-Token')).toBe('s');
    expect(header({ ...event, headers: { 'X-Custom': 'v' } }, 'x-custom')).toBe('v');
  });
});
