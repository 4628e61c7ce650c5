-- Telegram chat ⇄ Webim visitor. The visitor id is random, never derived from the Telegram id.
CREATE TABLE chat_mapping (
  chat_id     bigint PRIMARY KEY,
  visitor_id  text NOT NULL UNIQUE DEFAULT gen_random_uuid()::text,
  blocked     boolean NOT NULL DEFAULT false,
  blocked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Settings with the same names as env vars and SSM parameters (lowest precedence but defaults).
CREATE TABLE settings (
  key        text PRIMARY KEY,
  value      text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Delivery claims: one row per Telegram update_id / Webim message id, so each is relayed once.
-- state: processing (someone is delivering it), released (transient failure, may be retaken),
-- done (delivered, or failed permanently). parts_done counts Telegram messages already sent for a
-- split operator reply, so a retry resumes instead of repeating them.
CREATE TABLE delivery_claims (
  source       text NOT NULL CHECK (source IN ('telegram_update', 'webim_message')),
  key          text NOT NULL,
  state        text NOT NULL DEFAULT 'processing' CHECK (state IN ('processing', 'released', 'done')),
  parts_done   integer NOT NULL DEFAULT 0,
  attempts     integer NOT NULL DEFAULT 1,
  claimed_at   timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, key)
);
CREATE INDEX delivery_claims_created_at ON delivery_claims (created_at);
