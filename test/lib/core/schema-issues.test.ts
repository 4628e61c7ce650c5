import { describe, expect, it } from 'vitest';
import { describeIssues, PLAIN_WORDS } from '../../../lib/core/schema-issues';
import { parseSettings, SETTING_NAMES, SettingsError } from '../../../lib/settings/schema';
import { webimCallbackSchema } from '../../../lib/webim/wire';
import { upstreamEnv } from '../../support/bridge';

/** The required settings, valid. */
const REQUIRED = upstreamEnv('https://api.telegram.org', 'https://demo.webim.ru/api/custom-channel/messages');

const problemsOf = (raw: Record<string, string>): { key: string; problem: string }[] => {
  try {
    parseSettings(raw);
    return [];
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    return error.invalid;
  }
};

describe('what a broken rule says', () => {
  // Values no setting takes all of: each one that fails must say what the rule wanted, in words.
  const BAD = ['§not-valid§', '-7', '99999999999', 'x'.repeat(5000)];

  it.each(BAD)('every setting refusing %s says why, in words, and never quotes the value', (bad) => {
    let refused = 0;
    for (const key of SETTING_NAMES) {
      for (const { key: where, problem } of problemsOf({ ...REQUIRED, [key]: bad })) {
        refused++;
        expect(where).toBe(key);
        expect(problem, key).not.toBe('Invalid input');
        expect(problem, key).toMatch(/^(must|is) /);
        expect(problem, key).not.toContain(bad.slice(0, 20));
      }
    }
    expect(refused).toBeGreaterThan(5);
  });

  it('names the limits of the rules without a message of their own', () => {
    expect(problemsOf({ ...REQUIRED, WEBIM_ACCESS_TOKEN: '' })).toEqual([{ key: 'WEBIM_ACCESS_TOKEN', problem: 'must not be empty' }]);
    expect(problemsOf({ ...REQUIRED, WELCOME_TEXT: 'x'.repeat(4097) })).toEqual([
      { key: 'WELCOME_TEXT', problem: 'must be at most 4096 characters' },
    ]);
    expect(problemsOf({ ...REQUIRED, RATING_PROMPT: 'maybe' })).toEqual([
      { key: 'RATING_PROMPT', problem: 'must be true or false (also 1/0, yes/no, on/off)' },
    ]);
    expect(problemsOf({ ...REQUIRED, LOG_LEVEL: 'loud' })).toEqual([{ key: 'LOG_LEVEL', problem: 'must be debug, info, warn or error' }]);
    expect(problemsOf({ ...REQUIRED, CLAIM_LEASE_SECONDS: '10' })[0]?.problem).toMatch(/^must be a whole number of at least 30: /);
    expect(problemsOf({ ...REQUIRED, CLAIM_LEASE_SECONDS: '4000' })).toEqual([
      { key: 'CLAIM_LEASE_SECONDS', problem: 'must be at most 3600' },
    ]);
  });

  it('describes where a Webim callback broke its schema, by path and rule, without its values', () => {
    const longId = `v${'9'.repeat(300)}`;
    const parsed = webimCallbackSchema.safeParse({ visitor_id: longId, message: { text: 'secret words', kind: 7 } }, PLAIN_WORDS);
    expect(parsed.success).toBe(false);
    const said = describeIssues(parsed.error?.issues ?? []);
    expect(said).toContain('visitor_id must be at most 256 characters');
    expect(said).toContain('message.kind must be a string');
    expect(said).not.toContain('999999');
    expect(said).not.toContain('secret words');
    expect(said).not.toContain('Invalid input');
  });
});
