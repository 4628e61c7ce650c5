import { DeliveryFailure, type DeliveryFailureKind } from '../core/failure';

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

export type WebimFailureClass = { kind: Exclude<DeliveryFailureKind, 'blocked'>; reason: string };

/**
 * The single decision point for a failed call into Webim:
 * - 401/403 (token wrong or rotated) and 404 (endpoint wrong) fail every message alike: configuration;
 * - 408, 429, 5xx, timeouts and network errors: transient;
 * - any other 4xx: this message is refused, permanent.
 */
export function classifyWebimError(error: unknown): WebimFailureClass {
  if (error instanceof WebimNetworkError) return { kind: 'transient', reason: `network_${error.reason}` };
  if (error instanceof WebimApiError) {
    const { status } = error;
    if (status === 401 || status === 403) return { kind: 'configuration', reason: `webim_token_rejected_${status}` };
    if (status === 404) return { kind: 'configuration', reason: 'webim_endpoint_not_found' };
    if (status === 408 || status === 429 || status >= 500) return { kind: 'transient', reason: `webim_${status}` };
    return { kind: 'permanent', reason: `webim_${status}${error.code ? `_${error.code.replace(/[^\w-]/g, '').slice(0, 40)}` : ''}` };
  }
  return { kind: 'permanent', reason: 'unexpected_error' };
}

/** The delivery failure for an error of a Webim call. */
export function webimDeliveryFailure(error: unknown): DeliveryFailure {
  const c = classifyWebimError(error);
  return new DeliveryFailure(c.kind, 'webim', c.reason, undefined, { cause: error });
}
