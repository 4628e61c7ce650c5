import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Telegram and Webim bodies are small; 1 MiB leaves room and bounds the work per request. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Reads a header; HTTP API lower-cases names, but events from other sources may not. */
export function header(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const lower = name.toLowerCase();
  if (headers[lower] !== undefined) return headers[lower];
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Objects and arrays nested deeper than this are refused: a real update or callback nests about ten
 * levels, and code that walks a value recursively (JSON.stringify when a reply is queued, schema
 * checks) overflows its stack somewhere in the thousands.
 */
export const MAX_JSON_DEPTH = 64;

/** Decodes the body (base64 when flagged) and parses it as JSON; 413 / 400 as HttpError. */
export function readJsonBody(event: HttpEvent, maxBytes = MAX_BODY_BYTES): unknown {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) throw new HttpError(413, 'payload_too_large', `body exceeds ${maxBytes} bytes`);
  if (bytes.length === 0) throw new HttpError(400, 'empty_body', 'request body is empty');
  if (nestingDepth(bytes) > MAX_JSON_DEPTH)
    throw new HttpError(400, 'too_deeply_nested', `request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HttpError(400, 'malformed_json', 'request body is not valid JSON');
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x7b, 0x5b]); // { [
const CLOSE = new Set([0x7d, 0x5d]); // } ]

/** The deepest nesting of objects and arrays in a JSON text (brackets inside strings do not count); one pass, no parse. */
function nestingDepth(bytes: Buffer): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (OPEN.has(byte)) deepest = Math.max(deepest, ++depth);
    else if (CLOSE.has(byte)) depth--;
  }
  return deepest;
}

export function jsonResult(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
