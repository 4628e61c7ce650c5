import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { split, REQUIRED_QUOTA } = require('../../deploy/budget.cjs') as {
  split: (budget: number) => { webhook: number; callback: number; files: number; replies: number };
  REQUIRED_QUOTA: (budget: number) => number;
};
const costs = require('../../deploy/costs.cjs') as { render: () => string };

/** Every figure docs/deploy.md states that the code decides is the code's figure. */
describe('docs/deploy.md figures', () => {
  const doc = readFileSync('docs/deploy.md', 'utf8');
  const migrations = readdirSync('migrations').filter((f) => /^\d+_.+\.sql$/.test(f)).length;

  it('the cost table is what deploy/costs.cjs computes', () => {
    // The formatter may pad the table's columns: compared without the padding.
    const unpadded = (text: string | undefined) => text?.replace(/ {2,}/g, ' ').replace(/-{3,}:/g, '---:');
    const block = /<!-- costs:begin -->\n([\s\S]*?)\n<!-- costs:end -->/.exec(doc)?.[1];
    expect(unpadded(block)).toBe(unpadded(costs.render()));
  });

  it("the doctor's example counts the migrations there are", () => {
    expect(doc).toContain(`nothing to apply (${migrations} current)`);
    expect(doc).toContain(`current (${migrations} applied)`);
    expect([...doc.matchAll(/\((\d+) (?:current|applied)\)/g)].map((m) => Number(m[1]))).toEqual([migrations, migrations]);
  });

  it('the connection budget split and the quota it needs', () => {
    const s = split(40);
    expect(doc).toContain(
      `gives \`telegramWebhook\` ${s.webhook}, \`webimCallback\` ${s.callback}, \`replyQueue\` ${s.replies}, \`files\` ${s.files}`,
    );
    expect(doc).toContain(`(${s.webhook + s.callback} for the two HTTP functions, ${s.files} for files)`);
    expect(() => split(8)).toThrow();
    expect(() => split(9)).not.toThrow();
    const rows = [...doc.matchAll(/^\| (\d+)(?: \([^)]*\))? +\| (\d+) +\| (\d+) +\|$/gm)].map((m) => m.slice(1).map(Number));
    expect(rows).toEqual([
      [40, 40, REQUIRED_QUOTA(40)],
      [9, 9, REQUIRED_QUOTA(9)],
    ]);
    expect(doc).toContain(`**A Lambda concurrency quota of at least ${REQUIRED_QUOTA(40)}**`);
  });
});
