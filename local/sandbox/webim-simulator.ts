import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, startLoopbackServer } from '../../fakes/loopback-server';
import type { SandboxEventBus } from './events';
import { OrderedRedelivery, postToBridge } from './redelivery';
import { type SampleKind, sampleFile } from './samples';
import { chatClosedCallback, operatorCallback, operatorFileCallback, operatorKeyboardCallback } from './wire';

export interface DeskLine {
  id: string;
  /** `note`: a for_operator message from the bridge, which only operators see. */
  from: 'visitor' | 'operator' | 'system' | 'note';
  text: string;
  time: string;
  /** A file: a visitor's comes as the bridge's link; an operator's is hosted by this simulator. */
  file?: { name: string; mediaType: string; url: string; size?: number };
  /**
   * For operator replies: where it is on its way — sent to the bridge, accepted and waiting in the
   * bridge's reply queue, delivered to the user, refused by the bridge (Webim does not call again),
   * or reported not delivered by the bridge.
   */
  status?: 'sending' | 'retrying' | 'queued' | 'delivered' | 'refused' | 'not_delivered';
}

export interface DeskVisitor {
  visitorId: string;
  /** Webim's own chat id for the conversation. */
  webimChatId: number;
  name?: string;
  login?: string;
  /** Visitor fields the bridge sends: the user's language and the deep-link payload they came with. */
  language?: string;
  startParam?: string;
  /**
   * The Telegram chat this visitor is, as the bridge's message ids tell (`tg-<chat id>-…`): how the
   * page keeps the desk and the Telegram pane on the same person.
   */
  chatId?: number;
  /** The Telegram Business account the customer wrote to (a chat of that account, not of the bot). */
  businessAccount?: string;
  lines: DeskLine[];
}

export interface WebimFaults {
  /** The Custom Channel endpoint answers 503. */
  down: boolean;
}

/**
 * A simulated Webim: the Custom Channel endpoint the bridge posts visitor messages to (checks
 * `Authorization: Token`), and the operator desk whose replies are called back to the bridge's
 * /webim-callback with Webim's token — once each, as a Webim that never redelivers would: a reply
 * the bridge cannot deliver at once waits in its reply queue, and the desk shows it as queued.
 */
export class WebimSimulator {
  readonly visitors: DeskVisitor[] = [];
  readonly faults: WebimFaults = { down: false };
  private server?: LoopbackServer;
  private readonly seenMessageIds = new Set<string>();
  private nextReply = 1;
  private lastCallback?: { visitorId: string; body: { event: string; message?: { id: string } } };
  private readonly redelivery = new OrderedRedelivery({ baseDelayMs: 1000, maxDelayMs: 5000, honourRetryAfter: true, maxAttempts: 1 });
  private callbackUrl = '';
  private origin = '';
  /** Operator files this simulated Webim hosts (its file host), by path. */
  private readonly hosted = new Map<string, { mediaType: string; bytes: Buffer }>();

  constructor(
    private readonly bus: SandboxEventBus,
    private readonly accessToken: string,
    private readonly callbackSecret: string,
  ) {
    // The bridge's own account of a reply (its log lines) moves the desk line on.
    bus.onEvent((event) => {
      if (event.source !== 'bridge' || typeof event.webim_message_id !== 'string') return;
      const line = this.visitors.flatMap((v) => v.lines).find((l) => l.id === event.webim_message_id);
      if (!line) return;
      if (event.kind === 'reply_queued') line.status = 'queued';
      else if (event.kind === 'queued_reply_done' || event.kind === 'relayed_to_telegram' || event.kind === 'chat_closed_sent')
        line.status = 'delivered';
      else if (event.kind === 'message_not_delivered') line.status = 'not_delivered';
    });
  }

  /** Starts the Custom Channel endpoint on loopback; returns its URL (the bridge's WEBIM_API_URL). */
  async start(): Promise<string> {
    this.server = await startLoopbackServer((req, res) => void this.handleChannel(req, res));
    this.origin = this.server.url;
    return `${this.origin}/api/custom-channel/messages`;
  }

  useCallback(url: string): void {
    this.callbackUrl = url;
  }

  /** An operator answers a visitor in the desk. */
  reply(visitorId: string, text: string): void {
    const visitor = this.visitors.find((v) => v.visitorId === visitorId);
    if (!visitor) throw new Error('unknown visitor');
    const id = `op-${Date.now().toString(36)}-${this.nextReply++}`;
    const line: DeskLine = { id, from: 'operator', text, time: new Date().toISOString(), status: 'sending' };
    visitor.lines.push(line);
    this.callBack(visitor.visitorId, operatorCallback(visitor.visitorId, visitor.webimChatId, id, text), line);
  }

  /** An operator asks a question with buttons (the `keyboard` kind); the user's press comes back as `keyboard_response`. */
  sendButtons(visitorId: string, text: string, buttons: { id: string; text: string }[][]): void {
    const visitor = this.visitors.find((v) => v.visitorId === visitorId);
    if (!visitor) throw new Error('unknown visitor');
    const id = `op-${Date.now().toString(36)}-${this.nextReply++}`;
    const line: DeskLine = {
      id,
      from: 'operator',
      text: `${text} [${buttons
        .flat()
        .map((b) => b.text)
        .join(' | ')}]`,
      time: new Date().toISOString(),
      status: 'sending',
    };
    visitor.lines.push(line);
    this.callBack(visitor.visitorId, operatorKeyboardCallback(visitor.visitorId, visitor.webimChatId, id, text, buttons), line);
  }

  /** An operator sends one of the sample files, hosted here as Webim's file host would, with an optional text. */
  sendFile(visitorId: string, kind: SampleKind, text?: string): void {
    const visitor = this.visitors.find((v) => v.visitorId === visitorId);
    if (!visitor) throw new Error('unknown visitor');
    const sample = sampleFile(kind, 'operator');
    const id = `op-${Date.now().toString(36)}-${this.nextReply++}`;
    const path = `/l/v/download/${id}/${encodeURIComponent(sample.name)}`;
    this.hosted.set(path, { mediaType: sample.mediaType, bytes: sample.bytes });
    const file = { url: `${this.origin}${path}`, name: sample.name, mediaType: sample.mediaType, size: sample.bytes.length };
    const line: DeskLine = { id, from: 'operator', text: text ?? '', time: new Date().toISOString(), status: 'sending', file };
    visitor.lines.push(line);
    this.callBack(visitor.visitorId, operatorFileCallback(visitor.visitorId, visitor.webimChatId, id, file, text), line);
  }

  /** An operator closes the chat: Webim calls back with `chat_closed`. */
  closeChat(visitorId: string): void {
    const visitor = this.visitors.find((v) => v.visitorId === visitorId);
    if (!visitor) throw new Error('unknown visitor');
    const id = `closed-${visitor.webimChatId}`;
    const line: DeskLine = { id, from: 'system', text: 'Chat closed by the operator', time: new Date().toISOString(), status: 'sending' };
    visitor.lines.push(line);
    this.callBack(visitor.visitorId, chatClosedCallback(visitor.visitorId, visitor.webimChatId), line);
    visitor.webimChatId += 1000; // the next conversation is a new Webim chat
  }

  /** Calls back the last operator message again, unchanged, as a duplicate delivery. */
  resendLast(): boolean {
    if (!this.lastCallback) return false;
    this.callBack(this.lastCallback.visitorId, this.lastCallback.body, undefined, true);
    return true;
  }

  async stop(): Promise<void> {
    this.redelivery.stop();
    await this.server?.close();
  }

  private callBack(visitorId: string, body: { event: string; message?: { id: string } }, line?: DeskLine, duplicate = false): void {
    if (!duplicate) this.lastCallback = { visitorId, body };
    const payload = JSON.stringify(body);
    void this.redelivery.enqueue(visitorId, async (attempt) => {
      const started = Date.now();
      const { status, retryAfter } = await postToBridge(this.callbackUrl, payload, { authorization: `Token ${this.callbackSecret}` });
      const ok = status >= 200 && status < 300;
      // A 200 the bridge already accounted for (queued, delivered, not delivered) stays as it says.
      if (line && (!ok || line.status === 'sending')) line.status = ok ? 'delivered' : 'refused';
      this.bus.emit('webim', 'callback_delivered', {
        visitor_id: visitorId,
        webim_message_id: body.message?.id,
        webim_event: body.event,
        attempt,
        status,
        duplicate,
        retry_after_s: retryAfter,
        ms: Date.now() - started,
        will_retry: !ok,
      });
      return { status, retryAfter };
    });
  }

  private async handleChannel(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const reply = (status: number, body: unknown, fields: Record<string, unknown> = {}) => {
      this.bus.emit('webim', 'visitor_message_received', { status, ...fields });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const hosted = req.method === 'GET' ? this.hosted.get(new URL(req.url ?? '/', 'http://x').pathname) : undefined;
    if (req.method === 'GET') {
      this.bus.emit('webim', 'file_downloaded', { status: hosted ? 200 : 404, size: hosted?.bytes.length });
      if (!hosted) return reply(404, { error: 'not_found', desc: 'no such file' });
      res.writeHead(200, { 'content-type': hosted.mediaType, 'content-length': hosted.bytes.length });
      return void res.end(hosted.bytes);
    }
    if (req.method !== 'POST') return reply(405, { error: 'method_not_allowed', desc: 'POST only' });
    if (req.headers.authorization !== `Token ${this.accessToken}`)
      return reply(401, { error: 'unauthorized', desc: 'invalid access token' });
    let body: {
      event?: string;
      visitor?: {
        id?: string;
        fields?: { name?: string; login?: string; language?: string; start_param?: string; business_account?: string };
      };
      message?: {
        id?: string;
        kind?: string;
        text?: string;
        data?: {
          url?: string;
          name?: string;
          media_type?: string;
          size?: number;
          button?: { id?: string; text?: string };
          rate?: number;
        };
      };
    };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return reply(400, { error: 'bad_request', desc: 'body is not JSON' });
    }
    const visitorId = body.visitor?.id;
    const message = body.message;
    const isText = message?.kind === 'visitor' && typeof message.text === 'string';
    const isFile = message?.kind === 'file_visitor' && typeof message.data?.url === 'string' && typeof message.data?.name === 'string';
    const isNote = message?.kind === 'for_operator' && typeof message.text === 'string';
    const isPress = message?.kind === 'keyboard_response' && typeof message.data?.button?.id === 'string';
    const isRating = message?.kind === 'rating' && typeof message.data?.rate === 'number';
    if (body.event !== 'new_message' || !visitorId || !message?.id || (!isText && !isFile && !isNote && !isPress && !isRating)) {
      return reply(400, {
        error: 'bad_request',
        desc: 'expected a new_message: a visitor text or file, a keyboard_response, a rating, or a for_operator note',
      });
    }
    const ids = { visitor_id: visitorId, webim_message_id: message.id };
    if (this.faults.down) return reply(503, { error: 'unavailable', desc: 'service temporarily unavailable' }, ids);
    if (this.seenMessageIds.has(message.id)) return reply(200, { result: 'ok' }, { ...ids, duplicate: true });
    this.seenMessageIds.add(message.id);
    let visitor = this.visitors.find((v) => v.visitorId === visitorId);
    if (!visitor) {
      visitor = { visitorId, webimChatId: 90_000 + this.visitors.length + 1, lines: [] };
      this.visitors.push(visitor);
    }
    visitor.name = body.visitor?.fields?.name ?? visitor.name;
    visitor.login = body.visitor?.fields?.login ?? visitor.login;
    visitor.language = body.visitor?.fields?.language ?? visitor.language;
    visitor.startParam = body.visitor?.fields?.start_param ?? visitor.startParam;
    const chatOfId = /^tg-(-?\d+)-/.exec(message.id)?.[1];
    if (chatOfId !== undefined) visitor.chatId = Number(chatOfId);
    visitor.businessAccount = body.visitor?.fields?.business_account ?? visitor.businessAccount;
    const data = message.data;
    if (isNote) {
      // The bridge's note about a reply names it (note-<reply id>): the desk marks that reply too.
      const about = visitor.lines.find((l) => `note-${l.id}` === message.id);
      if (about && (message.text as string).startsWith('⚠')) about.status = 'not_delivered';
    }
    visitor.lines.push({
      id: message.id,
      from: isNote ? 'note' : 'visitor',
      text:
        isText || isNote
          ? (message.text as string)
          : isPress
            ? `▸ pressed “${data?.button?.text ?? data?.button?.id}”`
            : isRating
              ? `⭐ rated the operator ${message.text ?? ''} (rate ${data?.rate} on −2…2)`
              : '',
      time: new Date().toISOString(),
      ...(isFile && data
        ? {
            file: {
              name: String(data.name),
              mediaType: String(data.media_type ?? 'application/octet-stream'),
              url: String(data.url),
              size: data.size,
            },
          }
        : {}),
    });
    reply(200, { result: 'ok' }, ids);
  }
}
