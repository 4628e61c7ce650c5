import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

/** A connection budget too small for the template is said once, in words, and packaging stops. */
describe('serverless package with connectionBudget=5', () => {
  it('fails with one message naming the smallest budget and the quota it needs', { timeout: 120_000 }, () => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: mkdtempSync(path.join(tmpdir(), 'home-')) };
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[key];
    const run = spawnSync(
      process.execPath,
      [
        require.resolve('osls/bin/serverless.js'),
        'package',
        '--stage',
        'ci',
        '--package',
        mkdtempSync(path.join(tmpdir(), 'pkg-')),
        '--param=connectionBudget=5',
      ],
      { env, encoding: 'utf8', timeout: 110_000 },
    );
    expect(run.status).not.toBe(0);
    const output = `${run.stdout}${run.stderr}`;
    expect(output.match(/connectionBudget must be/g)).toHaveLength(1);
    expect(output).toContain('a whole number of 9 or more (got "5")');
    expect(output).toContain('allow 109 concurrent Lambda executions');
    expect(output).not.toMatch(/at split \(/); // no stack trace
  });
});
