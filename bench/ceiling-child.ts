/**
 * The forward-only ceiling: the least any bridge must do per message, with no database at all —
 * authenticate, parse, forward to the same fake upstream with the same HTTP client, answer. Run in
 * its own process on the same load generator and fakes as the bridge, so every bridge figure can
 * be read as a fraction of what this machine allows.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postJson } from '../lib/http/json-client';

const env = process.env;
const webimUrl = env.WEBIM_API_URL as string;
const sendMessageUrl = `${env.TELEGRAM_API_BASE}/bot${env.TELEGRAM_BOT_TOKEN}/sendMessage`;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const answer = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    try {
      // biome-ignore lint/suspicious/noExplicitAny: the ceiling server forwards without validating, on purpose (it measures the floor)
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, any>;
      if (req.url === '/telegram-webhook') {
        if (req.headers['x-telegram-bot-api-secret-token'] !== env.TELEGRAM_WEBHOOK_SECRET) return answer(401, '{}');
        const m = body.message;
        await postJson(
          webimUrl,
          {
            event: 'new_message',
            visitor: { id: `v-${m.chat.id}`, fields: {} },
            message: { id: `tg-${m.chat.id}-${m.message_id}`, kind: 'visitor', text: m.text },
          },
          { headers: { authorization: `Token ${env.WEBIM_ACCESS_TOKEN}` }, timeoutMs: 5000 },
        );
        return answer(200, '{"ok":true}');
      }
      if (req.url === '/webim-callback') {
        if (req.headers.authorization !== `Token ${env.WEBIM_CALLBACK_SECRET}`) return answer(401, '{}');
        await postJson(sendMessageUrl, { chat_id: 1_000_000, text: body.message.text }, { timeoutMs: 5000 });
        return answer(200, '{"result":"ok"}');
      }
      answer(404, '{}');
    } catch {
      answer(500, '{}');
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.send?.({ benchBridgeUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
