import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox/sandbox';

/** The README's "One full cycle, by hand" block — curl against /telegram-webhook and /webim-callback — run as a reader would paste it, against the sandbox. */
describe('README: one full cycle, by hand', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, dataDir: null, quiet: true });
  });
  afterAll(() => sandbox.stop());

  it('works verbatim (only the port differs)', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## One full cycle, by hand'));
    const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toContain('B=http://127.0.0.1:3000');
    const script = block!.replace('B=http://127.0.0.1:3000', `B=${sandbox.bridge.url}`);
    // Asynchronously: the sandbox answers from this same process.
    const { stdout: out } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8', timeout: 30_000 });
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['{"ok":true}', '{"result":"ok"}']);
    expect(JSON.parse(lines.at(-1)!).at(-1)).toBe('Found it: the courier comes tomorrow');
    const visitor = sandbox.webim.visitors.find((v) => v.lines.some((l) => l.text === 'Hello, my parcel 5512 is lost'));
    expect(visitor).toBeDefined();
  });
});
