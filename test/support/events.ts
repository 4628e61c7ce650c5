import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { HttpEvent } from '../../lib/http/api-gateway';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');

/** Reads a JSON fixture (a captured payload) by path under test/fixtures. */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
}

const template = fixture<HttpEvent>('apigw/http-api-v2-event.json');

/**
 * An API Gateway HTTP API v2 event as Lambda receives it, built from a captured event:
 * lower-cased header names, body as a string (base64 when asked).
 */
export function httpApiEvent(options: {
  routeKey: string;
  path: string;
  headers?: Record<string, string | undefined>;
  body?: unknown;
  rawBody?: string;
  base64?: boolean;
  pathParameters?: Record<string, string>;
}): HttpEvent {
  const event = structuredClone(template);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...event.headers, 'x-telegram-bot-api-secret-token': undefined, ...options.headers })) {
    if (v !== undefined) headers[k.toLowerCase()] = v;
  }
  const text = options.rawBody ?? (options.body === undefined ? '' : JSON.stringify(options.body));
  headers['content-length'] = String(Buffer.byteLength(text));
  event.routeKey = options.routeKey;
  event.rawPath = options.path;
  event.headers = headers;
  event.pathParameters = options.pathParameters;
  event.requestContext = {
    ...event.requestContext,
    routeKey: options.routeKey,
    requestId: `req-${Math.random().toString(36).slice(2)}`,
    http: { ...event.requestContext.http, path: options.path },
  };
  event.body = options.base64 ? Buffer.from(text).toString('base64') : text;
  event.isBase64Encoded = !!options.base64;
  return event;
}
