// The reply queue: SQS FIFO, where operator replies wait that cannot be delivered at once, and its
// dead-letter queue. Resolved offline at package time. MessageGroupId = the visitor (one chat at a
// time, in order) and the deduplication id = the Webim message id are set by the sender
// (lib/queue/reply-queue.ts); content-based deduplication stays off.
const { CONSUMER_TIMEOUT_SECONDS, REDRIVE_MAX_RECEIVES } = require('./queue-settings.cjs');

module.exports = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  return {
    Resources: {
      ReplyQueue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          QueueName: `${service}-${stage}-replies.fifo`,
          FifoQueue: true,
          ContentBasedDeduplication: false,
          // Deduplication and throughput per message group (one chat), not per queue.
          DeduplicationScope: 'messageGroup',
          FifoThroughputLimit: 'perMessageGroupId',
          // At least six times the consumer's timeout, as AWS advises for an event source mapping.
          VisibilityTimeout: CONSUMER_TIMEOUT_SECONDS * 6,
          // Replies are dead-lettered after QUEUE_MAX_AGE_SECONDS (1 h) by the consumer; the
          // retention only bounds how long a reply survives a consumer that cannot run at all.
          MessageRetentionPeriod: 4 * 86_400,
          SqsManagedSseEnabled: true,
          RedrivePolicy: {
            deadLetterTargetArn: { 'Fn::GetAtt': ['ReplyDeadLetterQueue', 'Arn'] },
            // The consumer dead-letters (with an alert) after QUEUE_MAX_ATTEMPTS real attempts; this
            // redrive only catches a consumer that crashes on a message (see queue-settings.cjs).
            maxReceiveCount: REDRIVE_MAX_RECEIVES,
          },
        },
      },
      ReplyDeadLetterQueue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          QueueName: `${service}-${stage}-replies-dead.fifo`,
          FifoQueue: true,
          ContentBasedDeduplication: false,
          MessageRetentionPeriod: 14 * 86_400,
          SqsManagedSseEnabled: true,
          // A redrive back to the reply queue (aws sqs start-message-move-task) is allowed from here only.
          RedriveAllowPolicy: {
            redrivePermission: 'byQueue',
            sourceQueueArns: [
              { 'Fn::Sub': `arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:${service}-${stage}-replies.fifo` },
            ],
          },
        },
      },
    },
  };
};
