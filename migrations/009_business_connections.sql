-- Telegram Business: a company's (or a person's) own Telegram account connects the bot, and its
-- customers' private chats reach Webim like bot chats. Ids, rights and states only, never a text.

-- One row per business connection, as the latest business_connection update described it. The
-- owner's username is kept (a public handle, the name operators see for the account); no other
-- name, no text. last_update_id keeps a late redelivery from overwriting a newer state.
CREATE TABLE IF NOT EXISTS business_connections (
  id                text PRIMARY KEY,
  owner_user_id     bigint NOT NULL,
  owner_username    text,
  user_chat_id      bigint NOT NULL,
  is_enabled        boolean NOT NULL,
  can_reply         boolean NOT NULL,
  can_read_messages boolean NOT NULL,
  -- Every right the account granted, by Bot API name (BusinessBotRights): booleans only.
  rights            jsonb NOT NULL DEFAULT '{}'::jsonb,
  connected_at      timestamptz,
  last_update_id    bigint NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- A business chat's Telegram chat id is the customer's user id: the same id as the customer's
-- own chat with the bot, and the same in every business account they write to. So a business
-- chat gets a key of its own in chat_mapping.chat_id, drawn from this sequence, above the
-- 52 bits any Telegram id fits in and below 2^53 (exact in JavaScript numbers). Everything keyed
-- by a chat (claims, the order hold, notices) then works for business chats unchanged, and the
-- customer's bot chat and each business chat are distinct visitors.
CREATE SEQUENCE IF NOT EXISTS business_chat_keys AS bigint
  START WITH 4503599627370497 MINVALUE 4503599627370497 MAXVALUE 9007199254740991 NO CYCLE;

-- Where a business chat's messages go: the connection and the customer's chat id. Both null for
-- a bot chat. business_last_message_id is the customer's latest message (an id), which a
-- delivered reply marks read.
ALTER TABLE chat_mapping ADD COLUMN IF NOT EXISTS business_connection_id text;
ALTER TABLE chat_mapping ADD COLUMN IF NOT EXISTS business_chat_id bigint;
ALTER TABLE chat_mapping ADD COLUMN IF NOT EXISTS business_last_message_id bigint;
CREATE UNIQUE INDEX IF NOT EXISTS chat_mapping_business_chat
  ON chat_mapping (business_connection_id, business_chat_id) WHERE business_connection_id IS NOT NULL;

-- Records a business_connection update in one statement and says what changed, so the admin is
-- alerted once when a connection is lost or loses the right to reply. Older updates than the one
-- recorded (a late redelivery) change nothing (recorded = false).
CREATE OR REPLACE FUNCTION record_business_connection(
  p_id text, p_owner bigint, p_username text, p_user_chat bigint, p_enabled boolean,
  p_can_reply boolean, p_can_read boolean, p_rights jsonb, p_date bigint, p_update bigint)
RETURNS TABLE (recorded boolean, was_known boolean, was_enabled boolean, could_reply boolean)
LANGUAGE plpgsql AS $$
DECLARE
  old record;
  v_known boolean;
BEGIN
  -- Lock the row (if any) so two updates of one connection are decided one after the other.
  SELECT c.is_enabled, c.can_reply, c.last_update_id INTO old FROM business_connections c WHERE c.id = p_id FOR UPDATE;
  v_known := FOUND;
  IF v_known AND old.last_update_id >= p_update THEN
    RETURN QUERY SELECT false, true, old.is_enabled, old.can_reply;
    RETURN;
  END IF;
  INSERT INTO business_connections AS c
    (id, owner_user_id, owner_username, user_chat_id, is_enabled, can_reply, can_read_messages, rights, connected_at, last_update_id)
  VALUES (p_id, p_owner, p_username, p_user_chat, p_enabled, p_can_reply, p_can_read, coalesce(p_rights, '{}'::jsonb),
          CASE WHEN p_date > 0 THEN to_timestamp(p_date) END, p_update)
  ON CONFLICT (id) DO UPDATE SET
    owner_user_id = excluded.owner_user_id, owner_username = excluded.owner_username, user_chat_id = excluded.user_chat_id,
    is_enabled = excluded.is_enabled, can_reply = excluded.can_reply, can_read_messages = excluded.can_read_messages,
    rights = excluded.rights, connected_at = excluded.connected_at, last_update_id = excluded.last_update_id, updated_at = now()
  WHERE c.last_update_id < excluded.last_update_id;
  IF NOT FOUND THEN
    -- A concurrent insert of the same connection with a newer update won.
    RETURN QUERY SELECT false, true, NULL::boolean, NULL::boolean;
    RETURN;
  END IF;
  IF NOT v_known THEN
    RETURN QUERY SELECT true, false, NULL::boolean, NULL::boolean;
  ELSE
    RETURN QUERY SELECT true, true, old.is_enabled, old.can_reply;
  END IF;
END
$$;

-- As claim_telegram_update (004) for an update of a business chat: claims the update (through
-- that function, so the claim rules are one) and, only if it is now ours, reads or creates the
-- business chat's mapping under its own key, one statement. p_create false only reads (a deletion
-- in a chat the desk never saw creates nothing). p_message_id, when given, is the customer's
-- latest message (for read receipts). Also returns the account's username for the visitor's fields.
CREATE OR REPLACE FUNCTION claim_business_update(
  p_update text, p_connection text, p_chat_id bigint, p_message_id bigint, p_create boolean,
  p_lease_seconds integer, p_counts jsonb)
RETURNS TABLE (claim_outcome text, claim_parts_done integer, claim_visitor_id text, claim_created boolean,
               claim_chat_key bigint, claim_owner_user_id bigint, claim_owner_username text)
LANGUAGE plpgsql AS $$
DECLARE
  v_claim record;
  v_key bigint;
  v_visitor text;
  v_created boolean := false;
  v_owner bigint;
  v_username text;
BEGIN
  SELECT * INTO v_claim FROM claim_telegram_update(p_update, NULL::bigint, p_lease_seconds, p_counts);
  IF v_claim.claim_outcome <> 'claimed' THEN
    RETURN QUERY SELECT v_claim.claim_outcome, 0, NULL::text, NULL::boolean, NULL::bigint, NULL::bigint, NULL::text;
    RETURN;
  END IF;

  SELECT cm.chat_id, cm.visitor_id INTO v_key, v_visitor FROM chat_mapping cm
  WHERE cm.business_connection_id = p_connection AND cm.business_chat_id = p_chat_id;
  IF NOT FOUND AND p_create THEN
    INSERT INTO chat_mapping (chat_id, business_connection_id, business_chat_id, business_last_message_id)
    VALUES (nextval('business_chat_keys'), p_connection, p_chat_id, p_message_id)
    ON CONFLICT (business_connection_id, business_chat_id) WHERE business_connection_id IS NOT NULL DO NOTHING
    RETURNING chat_id, visitor_id INTO v_key, v_visitor;
    v_created := FOUND;
    IF v_created THEN
      -- The chat's first mapping is committed durably: its visitor id must never change.
      PERFORM set_config('synchronous_commit', 'on', true);
    ELSE
      SELECT cm.chat_id, cm.visitor_id INTO v_key, v_visitor FROM chat_mapping cm
      WHERE cm.business_connection_id = p_connection AND cm.business_chat_id = p_chat_id;
    END IF;
  END IF;
  IF v_key IS NOT NULL AND p_message_id IS NOT NULL AND NOT v_created THEN
    UPDATE chat_mapping SET business_last_message_id = p_message_id
    WHERE chat_id = v_key AND (business_last_message_id IS NULL OR business_last_message_id < p_message_id);
  END IF;
  SELECT bc.owner_user_id, bc.owner_username INTO v_owner, v_username FROM business_connections bc WHERE bc.id = p_connection;
  RETURN QUERY SELECT 'claimed'::text, v_claim.claim_parts_done, v_visitor, v_created, v_key, v_owner, v_username;
END
$$;
