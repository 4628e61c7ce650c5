import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox/sandbox';

/** The README's "One full cycle, by hand" block — curl against /telegram-webhook and /webim-callback — run as a reader would paste it, against the sandbox. */
describe('README: one full cycle, by hand', () => {
  // A database kept on disk, as `npm start` keeps it in .data/sandbox.
  const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'sandbox-readme-')), 'sandbox');
  let sandbox: Sandbox | undefined;
  afterAll(async () => {
    await sandbox?.stop();
    rmSync(path.dirname(dataDir), { recursive: true, force: true });
  });

  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## One full cycle, by hand'));
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1];

  /** Runs the block verbatim (only the port differs) and checks what it prints and what the desk shows. */
  async function runCycle(running: Sandbox) {
    expect(block).toContain('B=http://127.0.0.1:3000');
    const script = block!.replace('B=http://127.0.0.1:3000', `B=${running.bridge.url}`);
    // Asynchronously: the sandbox answers from this same process.
    const { stdout: out } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8', timeout: 30_000 });
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['{"ok":true}', '{"result":"ok"}']);
    expect(JSON.parse(lines.at(-1)!).at(-1)).toBe('Found it: the courier comes tomorrow');
    const visitor = running.webim.visitors.find((v) => v.lines.some((l) => l.text === 'Hello, my parcel 5512 is lost'));
    expect(visitor).toBeDefined();
  }

  it('works verbatim, and again after `npm start` is restarted on the same data directory (the sandbox starts clean)', async () => {
    sandbox = await startSandbox({ port: 0, dataDir, quiet: true });
    const port = Number(new URL(sandbox.bridge.url).port);
    await runCycle(sandbox);
    await sandbox.stop();
    sandbox = undefined;
    sandbox = await startSandbox({ port, dataDir, quiet: true });
    await runCycle(sandbox);
  }, 90_000);
});
