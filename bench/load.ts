import { Agent, request } from 'node:http';

export interface LoadResult {
  latenciesMs: number[];
  statuses: Record<number, number>;
  elapsedMs: number;
}

/** One keep-alive HTTP POST; resolves with the status and the time to the full response. */
export function post(agent: Agent, url: URL, body: string, headers: Record<string, string>): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends `total` requests with `concurrency` in flight; `make(i)` builds request i. */
export async function runLoad(
  total: number,
  concurrency: number,
  make: (i: number) => { url: URL; body: string; headers: Record<string, string> },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latenciesMs: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const { url, body, headers } = make(i);
      const { status, ms } = await post(agent, url, body, headers);
      latenciesMs.push(ms);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { latenciesMs, statuses, elapsedMs };
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}
