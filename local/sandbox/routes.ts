import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import * as z from 'zod';
import type { SandboxEventBus } from './events';
import { SAMPLES } from './samples';
import type { TelegramSimulator } from './telegram-simulator';
import type { WebimSimulator } from './webim-simulator';

const PUBLIC_DIR = path.join(import.meta.dirname, 'public');
const STATIC: Record<string, [file: string, type: string]> = {
  '/sandbox': ['index.html', 'text/html; charset=utf-8'],
  '/sandbox/': ['index.html', 'text/html; charset=utf-8'],
  '/sandbox/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/sandbox/style.css': ['style.css', 'text/css; charset=utf-8'],
};

const text = z.object({ text: z.string().trim().min(1).max(20_000) });
const newUser = z.object({
  firstName: z.string().trim().min(1).max(64),
  lastName: z.string().trim().max(64).optional(),
  username: z
    .string()
    .regex(/^\w{0,32}$/)
    .optional(),
  languageCode: z
    .string()
    .regex(/^[a-z]{2}(-[A-Z]{2})?$/)
    .optional(),
});
const language = z.object({
  languageCode: z
    .string()
    .regex(/^[a-z]{2}(-[A-Z]{2})?$/)
    .nullable(),
});
const press = z.object({ lineId: z.string().min(1).max(64), data: z.string().min(1).max(64) });
const react = z.object({ lineId: z.string().min(1).max(64), emoji: z.string().max(16) });
const keyboard = z.object({
  text: z.string().max(4096).default(''),
  buttons: z
    .array(z.array(z.object({ id: z.string().min(1).max(256), text: z.string().min(1).max(64) })).min(1))
    .min(1)
    .optional(),
});
/** The desk's sample question: two short ids and one longer than Telegram's 64-byte callback_data. */
const SAMPLE_BUTTONS = [
  [
    { id: 'answer-yes', text: 'Yes, solved' },
    { id: 'answer-no', text: 'No' },
  ],
  [{ id: `escalate-to-second-line-support-with-the-full-conversation-history-${'x'.repeat(40)}`, text: 'Call me back' }],
];
const faults = z.object({
  webimDown: z.boolean().optional(),
  telegramRateLimit: z.boolean().optional(),
  telegramDown: z.boolean().optional(),
});
const blocked = z.object({ blocked: z.boolean() });
const businessRights = z.object({ canReply: z.boolean().optional(), canReadMessages: z.boolean().optional() });
const duplicate = z.object({ target: z.enum(['update', 'callback']) });
const fileSample = z.object({ sample: z.enum(SAMPLES), text: z.string().trim().max(4000).optional() });

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
}

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

/** The sandbox page, its live event stream and the small JSON API the page drives the simulators with. */
export function sandboxRoutes(telegram: TelegramSimulator, webim: WebimSimulator, bus: SandboxEventBus, stats: () => Promise<unknown>) {
  return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> => {
    // The address npm start prints leads to the page.
    if (req.method === 'GET' && pathname === '/') {
      res.writeHead(302, { location: '/sandbox' });
      res.end();
      return true;
    }
    if (!pathname.startsWith('/sandbox')) return false;
    const asset = STATIC[pathname];
    if (req.method === 'GET' && asset) {
      res.writeHead(200, { 'content-type': asset[1], 'cache-control': 'no-store' });
      res.end(await readFile(path.join(PUBLIC_DIR, asset[0])));
      return true;
    }
    const telegramFile = req.method === 'GET' ? /^\/sandbox\/api\/telegram-files\/([\w-]+)$/.exec(pathname)?.[1] : undefined;
    if (telegramFile) {
      // A file as the user's Telegram app has it (sent by the user, or by the bot).
      const file = telegram.received.get(telegramFile);
      if (!file) {
        send(res, 404, { error: 'not_found' });
        return true;
      }
      res.writeHead(200, {
        'content-type': file.mediaType,
        'content-length': file.bytes.length,
        'content-disposition': `inline; filename="${file.name.replace(/"/g, '')}"`,
      });
      res.end(file.bytes);
      return true;
    }
    if (req.method === 'GET' && pathname === '/sandbox/api/stats') {
      send(res, 200, await stats());
      return true;
    }
    if (req.method === 'GET' && pathname === '/sandbox/api/state') {
      send(res, 200, bus.state());
      return true;
    }
    if (req.method === 'GET' && pathname === '/sandbox/events') {
      bus.subscribe(res);
      return true;
    }
    if (req.method !== 'POST') {
      send(res, 404, { error: 'not_found' });
      return true;
    }
    try {
      const body = await readJson(req);
      let m: RegExpExecArray | null;
      if (pathname === '/sandbox/api/users') {
        const user = telegram.addUser(newUser.parse(body));
        send(res, 201, { chatId: user.chatId });
      } else if ((m = /^\/sandbox\/api\/users\/(\d+)\/messages$/.exec(pathname))) {
        telegram.sendAsUser(Number(m[1]), text.parse(body).text);
        send(res, 202, { queued: true });
      } else if ((m = /^\/sandbox\/api\/users\/(\d+)\/files$/.exec(pathname))) {
        const f = fileSample.parse(body);
        telegram.sendFileAsUser(Number(m[1]), f.sample, f.text);
        send(res, 202, { queued: true });
      } else if ((m = /^\/sandbox\/api\/visitors\/([^/]+)\/files$/.exec(pathname))) {
        const f = fileSample.parse(body);
        webim.sendFile(decodeURIComponent(m[1] as string), f.sample, f.text);
        send(res, 202, { queued: true });
      } else if ((m = /^\/sandbox\/api\/visitors\/([^/]+)\/close$/.exec(pathname))) {
        webim.closeChat(decodeURIComponent(m[1] as string));
        send(res, 202, { queued: true });
      } else if ((m = /^\/sandbox\/api\/users\/(\d+)\/blocked$/.exec(pathname))) {
        telegram.setBlocked(Number(m[1]), blocked.parse(body).blocked);
        send(res, 202, { queued: true });
      } else if ((m = /^\/sandbox\/api\/users\/(\d+)\/language$/.exec(pathname))) {
        telegram.setLanguage(Number(m[1]), language.parse(body).languageCode ?? undefined);
        send(res, 200, { languageCode: telegram.user(Number(m[1])).languageCode ?? null });
      } else if ((m = /^\/sandbox\/api\/users\/(\d+)\/press$/.exec(pathname))) {
        const p = press.parse(body);
        telegram.pressButton(Number(m[1]), p.lineId, p.data);
        send(res, 202, { queued: true });
      } else if ((m = /^\/sandbox\/api\/users\/(\d+)\/react$/.exec(pathname))) {
        const r = react.parse(body);
        telegram.reactAsUser(Number(m[1]), r.lineId, r.emoji);
        send(res, 202, { queued: true });
      } else if ((m = /^\/sandbox\/api\/visitors\/([^/]+)\/keyboard$/.exec(pathname))) {
        const k = keyboard.parse(body);
        webim.sendButtons(decodeURIComponent(m[1] as string), k.text, k.buttons ?? SAMPLE_BUTTONS);
        send(res, 202, { queued: true });
      } else if ((m = /^\/sandbox\/api\/visitors\/([^/]+)\/replies$/.exec(pathname))) {
        webim.reply(decodeURIComponent(m[1] as string), text.parse(body).text);
        send(res, 202, { queued: true });
      } else if (pathname === '/sandbox/api/business/connect') {
        telegram.business.connect(businessRights.parse(body));
        send(res, 202, { queued: true });
      } else if (pathname === '/sandbox/api/business/disconnect') {
        telegram.business.disconnect();
        send(res, 202, { queued: true });
      } else if ((m = /^\/sandbox\/api\/business\/chats\/(\d+)\/(customer|owner)$/.exec(pathname))) {
        telegram.business.write(Number(m[1]), text.parse(body).text, m[2] as 'customer' | 'owner');
        send(res, 202, { queued: true });
      } else if (pathname === '/sandbox/api/faults') {
        const f = faults.parse(body);
        if (f.webimDown !== undefined) webim.faults.down = f.webimDown;
        if (f.telegramRateLimit !== undefined) telegram.faults.rateLimit = f.telegramRateLimit;
        if (f.telegramDown !== undefined) telegram.faults.down = f.telegramDown;
        bus.emit('sandbox', 'faults_changed', {
          webim_down: webim.faults.down,
          telegram_rate_limit: telegram.faults.rateLimit,
          telegram_down: telegram.faults.down,
        });
        send(res, 200, { webimDown: webim.faults.down, telegramRateLimit: telegram.faults.rateLimit, telegramDown: telegram.faults.down });
      } else if (pathname === '/sandbox/api/duplicate') {
        const { target } = duplicate.parse(body);
        const sent = target === 'update' ? telegram.resendLast() : webim.resendLast();
        bus.emit('sandbox', 'duplicate_requested', { target, sent });
        send(res, sent ? 202 : 409, { sent });
      } else {
        send(res, 404, { error: 'not_found' });
      }
      bus.stateChanged();
    } catch (error) {
      send(res, 400, {
        error: 'bad_request',
        desc:
          error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (error as Error).message,
      });
    }
    return true;
  };
}
