import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log';
import { TelegramNetworkError } from '../../lib/telegram/errors';

describe('logger', () => {
  it('writes one JSON line per event with level, event and fields', () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l), base: { route: 'x' } }).child({ update_id: 5 });
    log.info('relayed', { chat_id: 1 });
    log.debug('hidden');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'info', event: 'relayed', route: 'x', update_id: 5, chat_id: 1 });
  });

  it('scrubs known secrets from every string, including error messages', () => {
    const lines: string[] = [];
    const secret = '7012345678:AAHk3-secret';
    const log = createLogger({ sink: (l) => lines.push(l), secrets: () => [secret] });
    log.error('boom', {
      url: `https://api.telegram.org/bot${secret}/sendMessage`,
      nested: { list: [secret] },
      error: new Error(`failed ${secret}`),
    });
    expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain('[redacted]');
  });

  it('logs the classification fields of an error', () => {
    const lines: string[] = [];
    createLogger({ sink: (l) => lines.push(l) }).warn('x', { error: new TelegramNetworkError('sendMessage', 'timeout') });
    expect(JSON.parse(lines[0] as string)).toMatchObject({ error_name: 'TelegramNetworkError', error_reason: 'timeout' });
  });
});
