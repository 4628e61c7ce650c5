import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, startLoopbackServer } from './loopback-server';

/**
 * Zero-latency upstreams for benchmarks: they answer at once and only count, so what is measured
 * is the bridge. Telegram: `/bot<token>/sendMessage`; Webim: the Custom Channel endpoint;
 * SSM: GetParametersByPath over the AWS JSON 1.1 protocol.
 */
export interface BenchFakes {
  telegramUrl: string;
  webimUrl: string;
  ssmUrl: string;
  counts: { sendMessage: number; webim: number; ssm: number };
  /** Webim deliveries per message id (to check duplicates). */
  webimIds: Map<string, number>;
  /** Visitor ids seen by Webim. */
  visitors: Set<string>;
  /** Times (epoch ms) of SSM calls. */
  ssmCalls: number[];
  /** SSM parameters served under the prefix. */
  ssmParameters: Record<string, string>;
  /** How long each upstream takes to answer, in ms (0: at once); the cold-path bench sets it. */
  serviceMs: { ssm: number; telegram: number; webim: number };
  close(): Promise<void>;
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
  delayMs: () => number = () => 0,
): Promise<LoopbackServer> {
  return startLoopbackServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ms = delayMs();
      if (ms > 0) setTimeout(() => handler(req, res, Buffer.concat(chunks)), ms);
      else handler(req, res, Buffer.concat(chunks));
    });
  });
}

export async function startBenchFakes(ssmPrefix: string): Promise<BenchFakes> {
  const counts = { sendMessage: 0, webim: 0, ssm: 0 };
  const webimIds = new Map<string, number>();
  const visitors = new Set<string>();
  const ssmCalls: number[] = [];
  const ssmParameters: Record<string, string> = {};
  const serviceMs = { ssm: 0, telegram: 0, webim: 0 };
  const json = (res: ServerResponse, status: number, body: string, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const telegram = await listen(
    (_req, res, body) => {
      counts.sendMessage++;
      const chatId = /"chat_id":(-?\d+)/.exec(body.toString())?.[1] ?? '0';
      json(
        res,
        200,
        `{"ok":true,"result":{"message_id":${counts.sendMessage},"date":1795338901,"chat":{"id":${chatId},"type":"private"}}}`,
      );
    },
    () => serviceMs.telegram,
  );
  const webim = await listen(
    (_req, res, body) => {
      counts.webim++;
      const text = body.toString();
      const id = /"message":\{"id":"([^"]+)"/.exec(text)?.[1] ?? '?';
      const visitor = /"visitor":\{"id":"([^"]+)"/.exec(text)?.[1];
      if (visitor) visitors.add(visitor);
      webimIds.set(id, (webimIds.get(id) ?? 0) + 1);
      json(res, 200, '{"result":"ok"}');
    },
    () => serviceMs.webim,
  );
  const ssm = await listen(
    (req, res) => {
      counts.ssm++;
      ssmCalls.push(Date.now());
      if (req.headers['x-amz-target'] !== 'AmazonSSM.GetParametersByPath')
        return json(res, 400, '{"__type":"ValidationException"}', 'application/x-amz-json-1.1');
      const Parameters = Object.entries(ssmParameters).map(([name, value]) => ({
        Name: `${ssmPrefix}/${name}`,
        Value: value,
        Type: 'SecureString',
        Version: 1,
      }));
      json(res, 200, JSON.stringify({ Parameters }), 'application/x-amz-json-1.1');
    },
    () => serviceMs.ssm,
  );

  return {
    telegramUrl: telegram.url,
    webimUrl: `${webim.url}/api/custom-channel/messages`,
    ssmUrl: ssm.url,
    counts,
    webimIds,
    visitors,
    ssmCalls,
    ssmParameters,
    serviceMs,
    async close() {
      for (const s of [telegram, webim, ssm]) await s.close();
    },
  };
}
