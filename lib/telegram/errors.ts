import { DeliveryFailure } from '../core/failure';
/**
 * Failures of Bot API calls. Messages carry the method name and Telegram's description only:
 * the request URL contains the bot token, so it never goes into an error.
 */
export class TelegramApiError extends Error {
  override readonly name = 'TelegramApiError';
  constructor(
    readonly method: string,
    /** HTTP status / Bot API error_code. */
    readonly status: number,
    readonly description: string,
    /** `parameters.retry_after` of a 429, in seconds (only when it was a positive number). */
    readonly retryAfterSeconds?: number,
  ) {
    super(`Telegram ${method} failed: ${status} ${description}`);
  }
}

/** An answer that is not a Bot API envelope at all (empty, not JSON, no `ok`): not Telegram speaking. */
export class TelegramResponseError extends Error {
  override readonly name = 'TelegramResponseError';
  constructor(
    readonly method: string,
    readonly status: number,
  ) {
    super(`Telegram ${method} answered HTTP ${status} without a Bot API response body`);
  }
}

export class TelegramNetworkError extends Error {
  override readonly name = 'TelegramNetworkError';
  constructor(
    readonly method: string,
    /** `timeout`, or the system error code (ECONNREFUSED, …), or `network`. */
    readonly reason: string,
    /** The request had been sent whole: Telegram may have delivered it (it has no idempotency key). */
    readonly mayHaveArrived = false,
  ) {
    super(`Telegram ${method} request failed: ${reason}`);
  }
}

export type TelegramFailureAction =
  /** 429: wait this long, then the same call may succeed. */
  | { action: 'retry_after'; seconds: number; reason: string }
  /** 5xx, timeout, network: retry with bounded backoff. */
  | { action: 'backoff'; reason: string }
  /** The user blocked the bot or is gone: stop writing to this chat. */
  | { action: 'stop_contact'; reason: string }
  /** Every call would fail until a setting is fixed (token revoked, wrong API base). */
  | { action: 'configuration'; reason: string }
  /** Retrying cannot help (bad request, chat not found, …). */
  | { action: 'permanent'; reason: string };

/**
 * Telegram's refusals of a send through a business connection (texts as the Bot API passes them
 * on). Each is permanent for the reply — retrying cannot help until the account changes something
 * — and has its own reason, so the operator's note says which.
 */
const BUSINESS_REFUSALS: readonly [RegExp, string][] = [
  [/BUSINESS_PEER_USAGE_MISSING/i, 'business_reply_window_closed'],
  [/BUSINESS_CONNECTION_INVALID|business connection not found/i, 'business_connection_gone'],
  [/BUSINESS_CONNECTION_DISABLED|business connection is disabled/i, 'business_connection_disabled'],
  [/BOT_ACCESS_FORBIDDEN|bot can't reply|not enough rights to (reply|send)|BUSINESS_BOT_RIGHTS/i, 'business_reply_not_allowed'],
  [/BUSINESS_PEER_INVALID/i, 'business_chat_excluded'],
  [/BUSINESS_CONNECTION_NOT_ALLOWED|BOT_BUSINESS_MISSING/i, 'business_mode_off'],
];

const STOP_CONTACT = [/blocked by the user/i, /user is deactivated/i, /bot was kicked/i, /bot can't initiate conversation/i];

/** The single decision point for what to do after a failed Bot API call. */
export function classifyTelegramError(error: unknown): TelegramFailureAction {
  if (error instanceof TelegramNetworkError) return { action: 'backoff', reason: `network_${error.reason}` };
  if (error instanceof TelegramResponseError) {
    // A 5xx page from a proxy is an outage; a 2xx/4xx that is not the Bot API means TELEGRAM_API_BASE is wrong.
    return error.status >= 500
      ? { action: 'backoff', reason: `server_error_${error.status}` }
      : { action: 'configuration', reason: 'telegram_not_a_bot_api_response' };
  }
  if (!(error instanceof TelegramApiError)) return { action: 'permanent', reason: 'unexpected_error' };
  const { status, description } = error;
  if (status === 429)
    return { action: 'retry_after', seconds: Math.max(1, Math.ceil(error.retryAfterSeconds ?? 1)), reason: 'rate_limited' };
  if (status >= 500) return { action: 'backoff', reason: `server_error_${status}` };
  if (status === 401) return { action: 'configuration', reason: 'telegram_token_rejected' };
  if (status === 404) return { action: 'configuration', reason: 'telegram_token_or_api_base_wrong' };
  const business = BUSINESS_REFUSALS.find(([re]) => re.test(description));
  if (business) return { action: 'permanent', reason: business[1] };
  if (status === 403 && STOP_CONTACT.some((re) => re.test(description))) return { action: 'stop_contact', reason: 'blocked_by_user' };
  if (/chat not found/i.test(description)) return { action: 'permanent', reason: 'chat_not_found' };
  if (status === 403) return { action: 'permanent', reason: 'forbidden' };
  return { action: 'permanent', reason: `bad_request_${status}` };
}

/** The delivery failure for a Bot API error when the call is not retried here (an upload: its stream is spent). */
export function telegramDeliveryFailure(error: unknown): DeliveryFailure {
  return deliveryFailureOf(classifyTelegramError(error), error);
}

/** The delivery failure a classified Bot API error amounts to once no retry is made for it. */
export function deliveryFailureOf(decision: TelegramFailureAction, error: unknown): DeliveryFailure {
  switch (decision.action) {
    case 'stop_contact':
      return new DeliveryFailure('blocked', 'telegram', decision.reason, undefined, { cause: error });
    case 'configuration':
      return new DeliveryFailure('configuration', 'telegram', decision.reason, undefined, { cause: error });
    case 'permanent':
      return new DeliveryFailure('permanent', 'telegram', decision.reason, undefined, { cause: error });
    case 'retry_after':
      return new DeliveryFailure('transient', 'telegram', decision.reason, decision.seconds, { cause: error });
    case 'backoff':
      return new DeliveryFailure('transient', 'telegram', decision.reason, undefined, { cause: error });
  }
}
