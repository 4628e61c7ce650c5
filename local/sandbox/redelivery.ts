import { setTimeout as sleep } from 'node:timers/promises';

export interface DeliveryAttempt {
  status: number;
  /** Seconds the receiver asked us to wait (Retry-After), if any. */
  retryAfter?: number;
}

/**
 * Per-key ordered delivery with retries, the way Telegram and Webim treat a webhook: one request
 * of a key (chat) at a time, a non-2xx answer is retried after a backoff, later items of the key
 * wait behind it. Sandbox delays are short so a person can watch it happen.
 */
export class OrderedRedelivery {
  private readonly queues = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly options: { baseDelayMs: number; maxDelayMs: number; honourRetryAfter: boolean; maxAttempts?: number }) {}

  enqueue(key: string, attempt: (n: number) => Promise<DeliveryAttempt>): Promise<void> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.run(attempt));
    this.queues.set(
      key,
      next.catch(() => {}),
    );
    return next;
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(attempt: (n: number) => Promise<DeliveryAttempt>): Promise<void> {
    for (let n = 1; !this.stopped; n++) {
      const result = await attempt(n).catch(() => ({ status: 0 }) as DeliveryAttempt);
      if (result.status >= 200 && result.status < 300) return;
      if (n >= (this.options.maxAttempts ?? Infinity)) return;
      const backoff = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (n - 1));
      const asked = this.options.honourRetryAfter && result.retryAfter !== undefined ? result.retryAfter * 1000 : backoff;
      await sleep(Math.min(this.options.maxDelayMs, Math.max(asked, this.options.baseDelayMs)));
    }
  }
}

/** One webhook/callback request to the bridge; any failure to get an answer is status 0. */
export async function postToBridge(url: string, payload: string, headers: Record<string, string>): Promise<DeliveryAttempt> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: payload,
      signal: AbortSignal.timeout(30_000),
    });
    await res.body?.cancel();
    const retryAfter = Number(res.headers.get('retry-after'));
    return { status: res.status, retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined };
  } catch {
    return { status: 0 };
  }
}
