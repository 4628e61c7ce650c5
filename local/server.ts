import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createFilesHandler } from '../functions/files';
import { createTelegramWebhookHandler } from '../functions/telegram-webhook';
import { createWebimCallbackHandler } from '../functions/webim-callback';
import type { Runtime } from '../lib/app/runtime';
import { type HttpEvent, type HttpResult, jsonResult } from '../lib/http/api-gateway';
import { SettingsError } from '../lib/settings/schema';
import { readRequestBody, toHttpApiEvent, writeHttpResult } from './http-adapter';

type RouteHandler = (event: HttpEvent, context?: Context) => Promise<HttpResult>;

interface Route {
  method: string;
  pattern: RegExp;
  routeKey: string;
  handler: RouteHandler;
  params?: string[];
}

/** What Lambda's HttpResponseStream does for a streamed function URL answer, on a Node response. */
const localResponseStream = {
  from: (stream: Writable, metadata: { statusCode: number; headers: Record<string, string> }): Writable =>
    (stream as ServerResponse).writeHead(metadata.statusCode, metadata.headers),
};

/**
 * `GET /health`: 200 only when the bridge can relay — settings complete and valid, database
 * reachable — else 503 naming what is missing (setting names, never values).
 */
export async function readiness(runtime: Runtime): Promise<HttpResult> {
  try {
    const ctx = await runtime.context();
    await ctx.db.query((sql) => sql`SELECT 1`, { timeoutMs: 3000 });
    return jsonResult(200, { status: 'ok' });
  } catch (error) {
    if (error instanceof SettingsError) {
      return jsonResult(503, { status: 'not_configured', missing: error.missing, invalid: error.invalid.map((i) => i.key) });
    }
    return jsonResult(503, { status: 'database_unreachable', reason: (error as { code?: string }).code ?? 'unknown' });
  }
}

/** Percent-decodes a path parameter as API Gateway does, keeping it raw when it is not valid encoding. */
function decodePathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** A Lambda-like context: local requests get the same 29 s budget API Gateway allows. */
function localContext(): Context {
  const deadline = Date.now() + 29_000;
  return { getRemainingTimeInMillis: () => deadline - Date.now() } as Context;
}

export interface LocalServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the deployed routes locally, turning each request into a real HTTP API v2 event for
 * the same handlers Lambda runs (as serverless.yml declares them).
 */
export async function startLocalServer(
  runtime: Runtime,
  options: {
    port: number;
    host?: string;
    /** Extra local-only pages (the sandbox); returns true when it answered the request. */
    extra?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;
  },
): Promise<LocalServer> {
  const telegram = createTelegramWebhookHandler(runtime);
  const webim = createWebimCallbackHandler(runtime);
  // GET /files/<token>: the file function's own handler, streaming as on its Lambda function URL.
  const files = createFilesHandler(runtime, { HttpResponseStream: localResponseStream });
  const routes: Route[] = [
    { method: 'POST', pattern: /^\/telegram-webhook\/?$/, routeKey: 'POST /telegram-webhook', handler: telegram },
    { method: 'POST', pattern: /^\/webim-callback\/?$/, routeKey: 'POST /webim-callback', handler: webim },
    {
      method: 'POST',
      pattern: /^\/webim-callback\/([^/]+)$/,
      routeKey: 'POST /webim-callback/{secret}',
      handler: webim,
      params: ['secret'],
    },
  ];

  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (options.extra && (await options.extra(req, res, path))) return;
      if (req.method === 'GET' && path === '/health') return writeHttpResult(res, await readiness(runtime));
      if (req.method === 'GET' && /^\/files\/[^/]+$/.test(path)) {
        const event = toHttpApiEvent(req, Buffer.alloc(0), { routeKey: '$default' }) as unknown as APIGatewayProxyEventV2;
        return await files(event, res).catch((error: unknown) =>
          runtime.log.child({ route: 'files' }).warn('file_stream_failed', { error }),
        );
      }
      const route = routes.find((r) => r.method === req.method && r.pattern.test(path));
      // API Gateway answers an unknown route or method the same way.
      if (!route) return writeHttpResult(res, jsonResult(404, { message: 'Not Found' }));
      const body = await readRequestBody(req);
      // The rest of an oversized body is never read, so the connection cannot carry another request.
      if (!body) return writeHttpResult(res, jsonResult(413, { message: 'Request Entity Too Large' }, { connection: 'close' }));
      const match = route.pattern.exec(path);
      const pathParameters = route.params
        ? Object.fromEntries(route.params.map((p, i) => [p, decodePathSegment(match?.[i + 1] ?? '')]))
        : undefined;
      writeHttpResult(res, await route.handler(toHttpApiEvent(req, body, { routeKey: route.routeKey, pathParameters }), localContext()));
    } catch (error) {
      runtime.log.error('local_server_error', { error });
      if (!res.headersSent) writeHttpResult(res, jsonResult(500, { message: 'Internal Server Error' }));
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
