// Numbers shared by the reply queue's template (deploy/queue.cjs), its consumer function
// (serverless.yml) and its settings (QUEUE_MAX_ATTEMPTS in the functions' environment).
module.exports = {
  /** The consumer function's Lambda timeout. */
  CONSUMER_TIMEOUT_SECONDS: 30,
  /** Delivery attempts of a waiting reply before the consumer dead-letters it. */
  QUEUE_MAX_ATTEMPTS: 20,
  /** Records per batch (FIFO event source mappings take at most 10). */
  BATCH_SIZE: 10,
  /**
   * Receives after which SQS itself moves a message to the dead-letter queue: only a consumer that
   * crashes on a message gets there. Far above QUEUE_MAX_ATTEMPTS because SQS also counts the
   * receives that are no attempt (a record skipped behind a failed one of its chat, a reply that
   * waits while another invocation holds it); the consumer counts real attempts in the database.
   * Equal to REDRIVE_MAX_RECEIVES in lib/queue/reply-queue.ts (a test holds it).
   */
  REDRIVE_MAX_RECEIVES: 100,
};
