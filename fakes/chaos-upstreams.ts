import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, startLoopbackServer } from './loopback-server';

/**
 * What a chaos upstream does with one request, decided by the run's fault generator:
 * - `answer`: not processed; this status and body instead (a 5xx, a 429, a 403 …);
 * - `hang`: not processed, never answered (the client's timeout must fire);
 * - `reset`: not processed, the connection is reset;
 * - `lost`: processed (the message is delivered), then the answer is lost — by a hang or a reset.
 *   This is the ambiguous send: the client cannot know the message arrived.
 */
export type UpstreamFault = { answer: { status: number; body: unknown } } | { hang: true } | { reset: true } | { lost: 'hang' | 'reset' };

export interface ChaosUpstreamsOptions {
  botToken: string;
  webimToken: string;
  /** Decides the fate of a sendMessage to `chatId` (undefined: served normally). */
  telegramFault(chatId: number): UpstreamFault | undefined;
  /** Decides the fate of a message posted to Webim. */
  webimFault(): UpstreamFault | undefined;
  /** A sendMessage was processed: the user got `text`. `answerLost` when the answer never reached the bridge. */
  onTelegramMessage(chatId: number, text: string, answerLost: boolean): void;
  /** Webim took a message (any kind). `answerLost` when the answer never reached the bridge. */
  onWebimMessage(body: unknown, answerLost: boolean): void;
}

export interface ChaosUpstreams {
  telegramUrl: string;
  webimUrl: string;
  close(): Promise<void>;
}

/** An unanswered request is given up after this long even if the client never hangs up. */
const HANG_LIMIT_MS = 60_000;

function readJson(req: IncomingMessage, then: (body: unknown) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      then(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      then(undefined);
    }
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

function hang(res: ServerResponse): void {
  // Bounded: a client that never gives up still frees the socket in the end.
  setTimeout(() => res.destroy(), HANG_LIMIT_MS).unref();
}

/** Applies a fault that leaves the request unanswered or refused; false when the request must be served. */
function refuse(res: ServerResponse, req: IncomingMessage, fault: UpstreamFault | undefined): boolean {
  if (!fault || 'lost' in fault) return false;
  if ('answer' in fault) send(res, fault.answer.status, fault.answer.body);
  else if ('hang' in fault) hang(res);
  else req.socket.resetAndDestroy();
  return true;
}

/** After a processed request: answers it, or loses the answer as the fault says. */
function answer(res: ServerResponse, req: IncomingMessage, fault: UpstreamFault | undefined, body: unknown): void {
  if (fault && 'lost' in fault) {
    if (fault.lost === 'hang') hang(res);
    else req.socket.resetAndDestroy();
    return;
  }
  send(res, 200, body);
}

/**
 * Loopback Telegram (sendMessage only) and Webim (the Custom Channel endpoint) for the chaos run:
 * each request's fate comes from the run's fault generator, and what was delivered is handed to
 * the run as it happens. Nothing is recorded here, so a long run holds no growing list.
 */
export async function startChaosUpstreams(options: ChaosUpstreamsOptions): Promise<ChaosUpstreams> {
  let messageId = 0;
  const telegram: LoopbackServer = await startLoopbackServer((req, res) =>
    readJson(req, (body) => {
      const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
      if (!match || match[1] !== options.botToken)
        return send(res, match ? 401 : 404, {
          ok: false,
          error_code: match ? 401 : 404,
          description: match ? 'Unauthorized' : 'Not Found',
        });
      if (match[2] !== 'sendMessage')
        return send(res, 400, { ok: false, error_code: 400, description: `Bad Request: method ${match[2]} not faked` });
      const params = (body ?? {}) as { chat_id?: unknown; text?: unknown };
      const chatId = Number(params.chat_id);
      const fault = options.telegramFault(chatId);
      if (refuse(res, req, fault)) return;
      options.onTelegramMessage(chatId, String(params.text ?? ''), fault !== undefined);
      answer(res, req, fault, {
        ok: true,
        result: { message_id: ++messageId, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private' }, text: params.text },
      });
    }),
  );
  const webim: LoopbackServer = await startLoopbackServer((req, res) =>
    readJson(req, (body) => {
      if (req.headers.authorization !== `Token ${options.webimToken}`) return send(res, 401, { error: 'unauthorized', desc: 'bad token' });
      if (req.method !== 'POST') return send(res, 405, { error: 'method_not_allowed', desc: 'POST messages here' });
      const fault = options.webimFault();
      if (refuse(res, req, fault)) return;
      options.onWebimMessage(body, fault !== undefined);
      answer(res, req, fault, { result: 'ok' });
    }),
  );
  return {
    telegramUrl: telegram.url,
    webimUrl: `${webim.url}/custom-channel/messages`,
    async close() {
      await telegram.close();
      await webim.close();
    },
  };
}
