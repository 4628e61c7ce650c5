// Numbers shared by the reply queue's template (deploy/queue.cjs), its consumer function
// (serverless.yml) and its settings (QUEUE_MAX_ATTEMPTS in the functions' environment).
module.exports = {
  /** The consumer function's Lambda timeout. */
  CONSUMER_TIMEOUT_SECONDS: 30,
  /** Delivery attempts of a waiting reply before the consumer dead-letters it. */
  QUEUE_MAX_ATTEMPTS: 20,
  /** Records per batch (FIFO event source mappings take at most 10). */
  BATCH_SIZE: 10,
};
