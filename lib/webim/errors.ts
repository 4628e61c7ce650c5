/** Webim answered with a non-2xx status. `code`/`desc` come from its {"error","desc"} body when present. */
export class WebimApiError extends Error {
  override readonly name = 'WebimApiError';
  constructor(
    readonly status: number,
    readonly code?: string,
    readonly desc?: string,
  ) {
    super(`Webim rejected the message: ${status}${code ? ` ${code}` : ''}${desc ? ` (${desc})` : ''}`);
  }
}

/** No usable answer from Webim: timeout, refused, reset, DNS. */
export class WebimNetworkError extends Error {
  override readonly name = 'WebimNetworkError';
  constructor(readonly reason: string) {
    super(`Webim request failed: ${reason}`);
  }
}

export type WebimFailureClass = { kind: 'transient'; reason: string } | { kind: 'permanent'; reason: string };

/** 408, 429, 5xx, timeouts and network errors are transient; every other 4xx is permanent. */
export function classifyWebimError(error: unknown): WebimFailureClass {
  if (error instanceof WebimNetworkError) return { kind: 'transient', reason: `network_${error.reason}` };
  if (error instanceof WebimApiError) {
    const { status } = error;
    if (status === 408 || status === 429 || status >= 500) return { kind: 'transient', reason: `webim_${status}` };
    return { kind: 'permanent', reason: `webim_${status}${error.code ? `_${error.code}` : ''}` };
  }
  return { kind: 'transient', reason: 'unexpected_error' };
}
