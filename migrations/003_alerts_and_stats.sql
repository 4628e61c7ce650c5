-- Delivery statistics: counts per hour × direction × outcome, never any content. Rows are spread
-- over a few shards so that concurrent messages do not queue on one hot row; readers sum them.
CREATE TABLE delivery_stats (
  hour      timestamptz NOT NULL,
  direction text NOT NULL CHECK (direction IN ('telegram_to_webim', 'webim_to_telegram')),
  outcome   text NOT NULL CHECK (outcome IN ('relayed', 'duplicate', 'deferred', 'failed', 'blocked', 'ignored', 'configuration_error')),
  shard     smallint NOT NULL DEFAULT 0,
  count     bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (hour, direction, outcome, shard)
);

-- Admin alert state, written only when something goes wrong: when each kind of alert was last
-- sent and how many were held back since, and since when an upstream has been failing.
CREATE TABLE alert_state (
  reason          text PRIMARY KEY,
  last_sent_at    timestamptz,
  suppressed      integer NOT NULL DEFAULT 0,
  reported        integer NOT NULL DEFAULT 0,
  failing_since   timestamptz,
  last_failure_at timestamptz
);
