-- Order per chat on every path. Each operator reply gets its place in its chat (chat_seq, from the
-- chat's counter outbound_seq) the first time the bridge sees it — delivered at once, refused
-- because an earlier reply is unfinished, or handed to the reply queue — and keeps it until it is
-- delivered, failed for good (done) or dead-lettered (dead). A reply is delivered only when no
-- earlier place of its chat is still open, so a reply that waits in the queue for any reason holds
-- its chat's order in the database, not in the queue's position.
--
-- Backward compatible with the previous release: it keeps using claim_operator_reply and
-- chat_mapping.outbound_message_id, which the new function keeps up to date (and honours for a
-- claim the previous release made), and it treats the new state 'dead' like a released claim.
ALTER TABLE delivery_claims ADD COLUMN IF NOT EXISTS chat_seq bigint;
ALTER TABLE chat_mapping ADD COLUMN IF NOT EXISTS outbound_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE delivery_claims DROP CONSTRAINT IF EXISTS delivery_claims_state_check;
ALTER TABLE delivery_claims ADD CONSTRAINT delivery_claims_state_check
  CHECK (state IN ('processing', 'released', 'queued', 'done', 'dead'));

-- Claims an operator reply in its chat's order, in one call (the chat's row is locked first, so
-- one chat's claims are decided one after another). Outcomes:
--   unknown_visitor  no chat for this visitor (nothing recorded)
--   done             delivered or failed for good before: a duplicate
--   in_progress      another invocation holds the claim and its lease has not run out
--   chat_queued      an earlier reply of the chat is open and waits in the reply queue
--   chat_busy        an earlier reply of the chat is open otherwise (being sent, or its sender keeps it)
--   claimed          ours to deliver; parts_done Telegram messages of it were sent already
-- Every outcome but unknown_visitor leaves the reply with its place. An earlier place stops
-- holding the chat only when it is finished, or when it was abandoned: not claimed within its
-- lease, and older than p_hold_seconds (its sender keeps it) or p_queued_hold_seconds (it waits in
-- the queue, which dead-letters it before then) — a safety net, not the way order is kept.
-- claim_attempts counts real delivery attempts only (a refusal to overtake is not one).
CREATE OR REPLACE FUNCTION claim_reply_in_order(
  p_visitor text, p_message text, p_lease_seconds integer, p_hold_seconds integer, p_queued_hold_seconds integer)
RETURNS TABLE (claim_outcome text, claim_parts_done integer, claim_chat_id bigint, claim_blocked boolean, claim_attempts integer)
LANGUAGE plpgsql AS $$
DECLARE
  m record;
  c record;
  v_seq bigint;
  v_new boolean;
  v_head text;
BEGIN
  SELECT cm.chat_id, cm.blocked, cm.outbound_message_id, cm.outbound_since, cm.outbound_seq INTO m
  FROM chat_mapping cm WHERE cm.visitor_id = p_visitor FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'unknown_visitor'::text, 0, NULL::bigint, NULL::boolean, 0;
    RETURN;
  END IF;

  SELECT dc.state, dc.parts_done, dc.claimed_at, dc.chat_seq, dc.attempts INTO c
  FROM delivery_claims dc
  WHERE dc.source = 'webim_message' AND dc.scope = p_visitor AND dc.key = p_message;
  IF FOUND AND c.state = 'done' THEN
    RETURN QUERY SELECT 'done'::text, c.parts_done, m.chat_id, m.blocked, c.attempts;
    RETURN;
  END IF;
  IF FOUND AND c.state = 'processing' AND c.claimed_at >= now() - make_interval(secs => p_lease_seconds) THEN
    RETURN QUERY SELECT 'in_progress'::text, c.parts_done, m.chat_id, m.blocked, c.attempts;
    RETURN;
  END IF;

  -- A reply seen for the first time takes the chat's next place. One the previous release claimed
  -- and still holds the chat with (outbound_message_id) came before every place taken while it
  -- held it: it goes ahead of them.
  v_new := NOT FOUND OR c.chat_seq IS NULL;
  v_seq := CASE WHEN v_new THEN m.outbound_seq + 1 ELSE c.chat_seq END;
  IF FOUND AND c.chat_seq IS NULL AND m.outbound_message_id = p_message THEN
    SELECT COALESCE(min(dc.chat_seq), v_seq) - 1 INTO v_seq FROM delivery_claims dc
    WHERE dc.source = 'webim_message' AND dc.scope = p_visitor AND dc.state IN ('processing', 'released', 'queued');
  END IF;

  SELECT dc.state INTO v_head
  FROM delivery_claims dc
  WHERE dc.source = 'webim_message' AND dc.scope = p_visitor AND dc.key <> p_message
    AND dc.state IN ('processing', 'released', 'queued')
    AND (
      (dc.chat_seq < v_seq AND (
        (dc.state = 'processing' AND dc.claimed_at >= now() - make_interval(secs => p_lease_seconds))
        OR dc.created_at >= now() - make_interval(secs => CASE WHEN dc.state = 'queued' THEN p_queued_hold_seconds ELSE p_hold_seconds END)))
      -- a reply the previous release is delivering holds the chat as it did there
      OR (dc.chat_seq IS NULL AND dc.key = m.outbound_message_id
          AND m.outbound_since >= now() - make_interval(secs => p_hold_seconds)))
  ORDER BY dc.chat_seq NULLS FIRST
  LIMIT 1;

  -- Commits asynchronously, like every per-message write except a chat's first mapping.
  PERFORM set_config('synchronous_commit', 'off', true);
  IF v_head IS NOT NULL THEN
    IF v_new THEN
      UPDATE chat_mapping SET outbound_seq = greatest(outbound_seq, v_seq) WHERE chat_id = m.chat_id;
      INSERT INTO delivery_claims AS dc (source, scope, key, state, attempts, chat_seq)
      VALUES ('webim_message', p_visitor, p_message, 'released', 0, v_seq)
      ON CONFLICT (source, scope, key) DO UPDATE SET chat_seq = v_seq;
    END IF;
    RETURN QUERY SELECT CASE WHEN v_head = 'queued' THEN 'chat_queued' ELSE 'chat_busy' END,
      COALESCE(c.parts_done, 0), m.chat_id, m.blocked, COALESCE(c.attempts, 0);
    RETURN;
  END IF;

  INSERT INTO delivery_claims AS dc (source, scope, key, state, attempts, chat_seq)
  VALUES ('webim_message', p_visitor, p_message, 'processing', 1, v_seq)
  ON CONFLICT (source, scope, key) DO UPDATE
    SET state = 'processing', claimed_at = now(), attempts = dc.attempts + 1, chat_seq = v_seq
  RETURNING dc.parts_done, dc.attempts INTO c;
  UPDATE chat_mapping cm
  SET outbound_seq = greatest(cm.outbound_seq, v_seq),
      outbound_message_id = p_message,
      outbound_since = CASE WHEN cm.outbound_message_id = p_message THEN cm.outbound_since ELSE now() END
  WHERE cm.chat_id = m.chat_id;
  RETURN QUERY SELECT 'claimed'::text, c.parts_done, m.chat_id, m.blocked, c.attempts;
END
$$;

-- The reply queue accepted a reply the callback could not deliver: its open place is marked as
-- waiting there (only a released one: a claim some invocation holds again, or a finished one, is
-- left as it is). Marked only after the queue has the message, so 'queued' always has one.
CREATE OR REPLACE FUNCTION mark_reply_queued(p_visitor text, p_message text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  UPDATE delivery_claims SET state = 'queued'
  WHERE source = 'webim_message' AND scope = p_visitor AND key = p_message AND state = 'released';
END
$$;

-- A waiting reply was dead-lettered: its place no longer holds the chat, and a redrive of it may
-- claim it again (with a fresh count of attempts). Never touches a reply already done.
CREATE OR REPLACE FUNCTION dead_letter_reply(p_visitor text, p_message text, p_counts jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM add_delivery_stats(p_counts);
  UPDATE delivery_claims SET state = 'dead', attempts = 0, completed_at = now()
  WHERE source = 'webim_message' AND scope = p_visitor AND key = p_message AND state <> 'done';
  UPDATE chat_mapping SET outbound_message_id = NULL, outbound_since = NULL
  WHERE visitor_id = p_visitor AND outbound_message_id = p_message;
END
$$;

-- The previous release decides a chat's order from chat_mapping.outbound_message_id alone. So that
-- it never overtakes a reply waiting for its place while both releases run (a deploy), the chat's
-- holder passes on to its oldest open place whenever the holder is finished or dead-lettered.
CREATE OR REPLACE FUNCTION pass_on_chat_hold() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_next text;
BEGIN
  SELECT dc.key INTO v_next FROM delivery_claims dc
  WHERE dc.source = 'webim_message' AND dc.scope = NEW.scope AND dc.key <> NEW.key
    AND dc.state IN ('processing', 'released', 'queued') AND dc.chat_seq IS NOT NULL
  ORDER BY dc.chat_seq LIMIT 1;
  IF v_next IS NOT NULL THEN
    UPDATE chat_mapping SET outbound_message_id = v_next, outbound_since = now()
    WHERE visitor_id = NEW.scope AND outbound_message_id = NEW.key;
  END IF;
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS delivery_claims_pass_on_chat_hold ON delivery_claims;
CREATE TRIGGER delivery_claims_pass_on_chat_hold
  AFTER UPDATE OF state ON delivery_claims
  FOR EACH ROW
  WHEN (NEW.source = 'webim_message' AND NEW.state IN ('done', 'dead') AND OLD.state NOT IN ('done', 'dead'))
  EXECUTE FUNCTION pass_on_chat_hold();

-- A reply answered 503 while the reply queue exists is its sender's again: it gives up its place,
-- so the chat's later replies, accepted meanwhile, do not wait for a retry that may never come
-- (a retry takes a new place). Only the attempt that failed is touched (claimed at or before
-- p_before), never one a retry has taken since, nor a finished one.
CREATE OR REPLACE FUNCTION give_up_reply_place(p_visitor text, p_message text, p_before timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_next text;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  UPDATE delivery_claims SET chat_seq = NULL, state = 'released'
  WHERE source = 'webim_message' AND scope = p_visitor AND key = p_message
    AND state IN ('processing', 'released') AND claimed_at <= p_before;
  IF FOUND THEN
    SELECT dc.key INTO v_next FROM delivery_claims dc
    WHERE dc.source = 'webim_message' AND dc.scope = p_visitor AND dc.key <> p_message
      AND dc.state IN ('processing', 'released', 'queued') AND dc.chat_seq IS NOT NULL
    ORDER BY dc.chat_seq LIMIT 1;
    UPDATE chat_mapping SET outbound_message_id = v_next, outbound_since = CASE WHEN v_next IS NULL THEN NULL ELSE now() END
    WHERE visitor_id = p_visitor AND outbound_message_id = p_message;
  END IF;
END
$$;
