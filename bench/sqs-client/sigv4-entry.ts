// One SendMessage with the bridge's own SigV4 SQS client, timed from process start (see ../sqs-client.ts).
import { SqsReplyQueue } from '../../lib/queue/sqs';

const loadedMs = performance.now();
const queue = new SqsReplyQueue({
  region: 'eu-central-1',
  queueUrl: 'https://sqs.eu-central-1.amazonaws.com/1/q.fifo',
  endpoint: process.env.BENCH_SQS_URL,
  credentials: async () => ({ accessKeyId: 'bench', secretAccessKey: 'bench' }),
});
await queue.send({ body: '{"v":1}', groupId: 'g', dedupId: 'd' });
process.stdout.write(`${JSON.stringify({ loadedMs, sentMs: performance.now() })}\n`);
