-- A conversation, not a pipe. Two small tables, neither holding any message text.

-- When a chat's messages have been failing to reach Webim (Webim unreachable), and whether the
-- user was told in this outage. An outage ends when no failure was seen for a while; written only
-- on a failure, never on a message that goes through.
CREATE TABLE chat_delay_notices (
  chat_id         bigint PRIMARY KEY,
  failing_since   timestamptz NOT NULL,
  last_failure_at timestamptz NOT NULL,
  notified_at     timestamptz
);

-- Operator button ids too long for Telegram's 64-byte callback_data: the button's id, found again
-- by a short token when the user presses it. Ids only (no text); purged with the delivery claims.
CREATE TABLE keyboard_buttons (
  token      text PRIMARY KEY,
  visitor_id text NOT NULL,
  button_id  text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX keyboard_buttons_created_at ON keyboard_buttons USING brin (created_at);
