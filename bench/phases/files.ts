/** Files through the bridge process: peak RSS while 20 MB pass each way, and a file link's latency. */
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import type { BenchFakes } from '../../fakes/bench-upstreams';
import { startFakeTelegram } from '../../fakes/telegram';
import { startFakeWebim } from '../../fakes/webim';
import { bridgeEnv, bridgeStats, SMOKE, secrets, startBridge, stopProcess } from '../harness';
import { percentile, post } from '../load';

/**
 * Peak RSS of the bridge process while a 20 MB file passes through it each way: a user's file
 * served from its link (Telegram → the desk), and an operator's file downloaded from Webim and
 * uploaded to Telegram. Streaming means the process never holds a file whole.
 */
export async function fileMemory(
  databaseUrl: string,
): Promise<{ idleMb: number; peakMb: number; bytesServed: number; bytesUploaded: number; linkP50Ms: number; linkP99Ms: number }> {
  const telegram = await startFakeTelegram({ token: secrets.TELEGRAM_BOT_TOKEN });
  const webim = await startFakeWebim({ accessToken: secrets.WEBIM_ACCESS_TOKEN });
  const size = 20 * 1024 * 1024 - 1024;
  telegram.addFile('BENCHBIGFILE', randomBytes(size), { path: 'documents/big.bin' });
  // The operator's file is larger still (45 MB, under the 50 MB limit): growth well below its size shows it streams.
  const operatorSize = 45 * 1024 * 1024;
  const operatorFile = webim.addFile('big.bin', randomBytes(operatorSize), 'application/octet-stream');
  const env = {
    ...bridgeEnv({ telegramUrl: telegram.url, webimUrl: webim.url } as BenchFakes, databaseUrl, 1),
    FILE_LINK_SECRET: randomBytes(24).toString('base64url'),
    FILE_LINK_BASE_URL: 'http://127.0.0.1:9',
  };
  const bridge = await startBridge(env);
  try {
    const chatId = 3_000_001;
    const update = (id: number, message: Record<string, unknown>) =>
      post(
        new Agent(),
        new URL(`${bridge.url}/telegram-webhook`),
        JSON.stringify({
          update_id: id,
          message: {
            message_id: id,
            date: 1795338901,
            chat: { id: chatId, type: 'private', first_name: 'Big' },
            from: { id: chatId, is_bot: false, first_name: 'Big' },
            ...message,
          },
        }),
        { 'x-telegram-bot-api-secret-token': secrets.TELEGRAM_WEBHOOK_SECRET },
      );
    await update(700_000_001, { text: 'hello' });
    // Link serving latency: a 100 KB photo's link, fetched repeatedly (verify, getFile, stream).
    telegram.addFile('BENCHPHOTO', randomBytes(100 * 1024), { path: 'photos/p.jpg' });
    await update(700_000_003, { photo: [{ file_id: 'BENCHPHOTO', file_unique_id: 'p', file_size: 100 * 1024, width: 800, height: 600 }] });
    const photoLink = (webim.received.at(-1)?.message as unknown as { data?: { url: string } }).data?.url as string;
    const linkMs: number[] = [];
    for (let i = 0; i < (SMOKE ? 10 : 200); i++) {
      const started = performance.now();
      const r = await fetch(`${bridge.url}${new URL(photoLink).pathname}`);
      await r.arrayBuffer();
      linkMs.push(performance.now() - started);
    }
    await new Promise((r) => setTimeout(r, 300));
    const idle = await bridgeStats(bridge.url, true);
    await update(700_000_002, {
      document: {
        file_id: 'BENCHBIGFILE',
        file_unique_id: 'big',
        file_name: 'big.bin',
        mime_type: 'application/octet-stream',
        file_size: size,
      },
    });
    const link = (webim.received.at(-1)?.message as unknown as { data?: { url: string } }).data?.url;
    if (!link) throw new Error('no file link reached Webim');
    let bytesServed = 0;
    const res = await fetch(`${bridge.url}${new URL(link).pathname}`);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytesServed += chunk.length;
    const visitorId = webim.received.at(-1)?.visitor.id as string;
    const callback = {
      event: 'new_message',
      visitor_id: visitorId,
      message: {
        id: 'big-1',
        kind: 'file_operator',
        data: { url: operatorFile, name: 'big.bin', media_type: 'application/octet-stream', size: operatorSize },
      },
    };
    const answer = await post(new Agent(), new URL(`${bridge.url}/webim-callback`), JSON.stringify(callback), {
      authorization: `Token ${secrets.WEBIM_CALLBACK_SECRET}`,
    });
    if (answer.status !== 200) throw new Error(`operator file answered ${answer.status}`);
    const after = await bridgeStats(bridge.url);
    return {
      idleMb: idle.rss / 1024 / 1024,
      peakMb: after.peakRss / 1024 / 1024,
      bytesServed,
      bytesUploaded: telegram.uploads.at(-1)?.bytes.length ?? 0,
      linkP50Ms: percentile(linkMs, 50),
      linkP99Ms: percentile(linkMs, 99),
    };
  } finally {
    await stopProcess(bridge.child);
    await telegram.close();
    await webim.close();
  }
}
