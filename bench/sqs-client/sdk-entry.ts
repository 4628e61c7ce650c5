// One SendMessage with the AWS SDK's SQS client, timed from process start (see ../sqs-client.ts).
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const loadedMs = performance.now();
const client = new SQSClient({
  region: 'eu-central-1',
  endpoint: process.env.BENCH_SQS_URL,
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  maxAttempts: 1,
  md5: false,
});
await client.send(
  new SendMessageCommand({
    QueueUrl: 'https://sqs.eu-central-1.amazonaws.com/1/q.fifo',
    MessageBody: '{"v":1}',
    MessageGroupId: 'g',
    MessageDeduplicationId: 'd',
  }),
);
process.stdout.write(`${JSON.stringify({ loadedMs, sentMs: performance.now() })}\n`);
