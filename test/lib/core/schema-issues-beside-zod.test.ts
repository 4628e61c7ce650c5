import { describe, expect, it } from 'vitest';
// Full zod (as the local sandbox loads it beside the bridge in `npm start`) switches its English
// message catalogue on for every schema in the process, zod/mini's included.
import 'zod';
import { describeIssues, PLAIN_WORDS } from '../../../lib/core/schema-issues';
import { parseSettings, type SettingsError } from '../../../lib/settings/schema';
import { webimCallbackSchema } from '../../../lib/webim/wire';
import { upstreamEnv } from '../../support/bridge';

const REQUIRED = upstreamEnv('https://api.telegram.org', 'https://demo.webim.ru/api/custom-channel/messages');

describe('the words of a broken rule do not depend on what else the process loaded', () => {
  it('with full zod loaded, a setting and a Webim callback read as on Lambda (where only zod/mini is)', () => {
    let problems: SettingsError['invalid'] = [];
    try {
      parseSettings({ ...REQUIRED, WELCOME_TEXT: 'x'.repeat(5000), WEBIM_ACCESS_TOKEN: '' });
    } catch (error) {
      problems = (error as SettingsError).invalid;
    }
    expect(problems).toEqual([
      { key: 'WEBIM_ACCESS_TOKEN', problem: 'must not be empty' },
      { key: 'WELCOME_TEXT', problem: 'must be at most 4096 characters' },
    ]);
    const parsed = webimCallbackSchema.safeParse({ visitor_id: 'v'.repeat(300), message: { text: 5 } }, PLAIN_WORDS);
    expect(describeIssues(parsed.error?.issues ?? [])).toBe('visitor_id must be at most 256 characters; message.text must be a string');
  });
});
