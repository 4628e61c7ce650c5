import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES, settingsSchema } from '../../lib/settings/schema';

/** docs/configuration.md and the zod schema say the same: every setting documented, nothing documented that does not exist. */
describe('docs/configuration.md', () => {
  const doc = readFileSync('docs/configuration.md', 'utf8');
  const rows = doc.split('\n').filter((l) => l.startsWith('| `'));
  const documented = new Set(rows.flatMap((r) => [...(r.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] as string)));
  const envOnly = ['SSM_PREFIX'];

  it('documents every setting of the schema', () => {
    expect(SETTING_NAMES.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('documents no setting the schema does not know', () => {
    expect([...documented].filter((name) => !(SETTING_NAMES as string[]).includes(name) && !envOnly.includes(name))).toEqual([]);
  });

  it("gives the schema's default for each setting that has a plain one", () => {
    for (const row of rows) {
      const [, names, , fallback] = row.split('|').map((c) => c.trim());
      const name = /`([A-Z][A-Z0-9_]+)`/.exec(names ?? '')?.[1] as keyof typeof settingsSchema.shape | undefined;
      if (!name || !(name in settingsSchema.shape)) continue;
      const value = settingsSchema.shape[name].safeParse(undefined);
      if (!value.success || typeof value.data !== 'number') continue;
      expect(fallback?.replace(/[\s,_]/g, ''), name).toContain(String(value.data));
    }
  });

  it("the README states the bot token's rule as the validator applies it", () => {
    const readme = readFileSync('README.md', 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| `TELEGRAM_BOT_TOKEN`')) ?? '';
    const minimum = Number(/(\d+) or more/.exec(row)?.[1]);
    const token = (rest: number) => `123456789:${'A'.repeat(rest)}`;
    const valid = (value: string) => settingsSchema.shape.TELEGRAM_BOT_TOKEN.safeParse(value).success;
    expect(valid(token(minimum)), row).toBe(true);
    expect(valid(token(minimum - 1)), row).toBe(false);
    expect(valid(token(35))).toBe(true);
  });
});
