import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

/** A local server started by `startLocalServer`: the process, its address, and every line it wrote to stderr so far. */
export interface LocalServer {
  process: ChildProcess;
  url: string;
  stderr: string[];
}

/**
 * `npm start` as its own process (local/start.ts under tsx) on a free loopback port, with exactly
 * `env` (plus PORT) and in `cwd` (default: the repository). Resolves once it says it is ready;
 * rejects, with what it wrote, if it exits first.
 */
export async function startLocalServer(options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<LocalServer> {
  const repo = process.cwd();
  const tsx = pathToFileURL(path.join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(process.execPath, ['--import', tsx, path.join(repo, 'local/start.ts')], {
    cwd: options.cwd ?? repo,
    env: { ...options.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${stderr.join('\n')}`)));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr.push(line);
      const ready = /bridge ready .* on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (ready) resolve(ready[1]!);
    });
  });
  return { process: child, url, stderr };
}
