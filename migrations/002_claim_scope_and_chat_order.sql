-- A claim's id is unique only within its scope: Webim message ids are scoped by visitor (two
-- visitors' messages may share an id); Telegram update ids are unique per bot (scope '').
ALTER TABLE delivery_claims ADD COLUMN scope text NOT NULL DEFAULT '';
ALTER TABLE delivery_claims DROP CONSTRAINT delivery_claims_pkey;
ALTER TABLE delivery_claims ADD PRIMARY KEY (source, scope, key);

-- The operator message a chat is still delivering (claimed or released after a transient
-- failure). Later messages for the chat wait until it is finished, so replies never overtake.
ALTER TABLE chat_mapping ADD COLUMN outbound_message_id text;
ALTER TABLE chat_mapping ADD COLUMN outbound_since timestamptz;

-- Claims an operator message of a visitor in one call. The chat's row is locked first, so the
-- claims of one chat's messages are decided one after another, each statement seeing the
-- previous one's result. Outcomes:
--   unknown_visitor  no chat for this visitor (nothing claimed)
--   done             delivered or failed for good before: a duplicate
--   in_progress      another invocation holds the claim and its lease has not run out
--   chat_busy        an earlier message of this chat is unfinished: wait, keep the order
--   claimed          ours to deliver; parts_done Telegram messages of it were sent already
CREATE FUNCTION claim_operator_message(p_visitor text, p_message text, p_lease_seconds integer, p_hold_seconds integer)
RETURNS TABLE (claim_outcome text, claim_parts_done integer, claim_chat_id bigint, claim_blocked boolean)
LANGUAGE plpgsql AS $$
DECLARE
  m record;
  c record;
BEGIN
  SELECT cm.chat_id, cm.blocked, cm.outbound_message_id, cm.outbound_since INTO m
  FROM chat_mapping cm WHERE cm.visitor_id = p_visitor FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'unknown_visitor'::text, 0, NULL::bigint, NULL::boolean;
    RETURN;
  END IF;

  SELECT dc.state, dc.parts_done, dc.claimed_at INTO c
  FROM delivery_claims dc
  WHERE dc.source = 'webim_message' AND dc.scope = p_visitor AND dc.key = p_message;
  IF FOUND AND c.state = 'done' THEN
    RETURN QUERY SELECT 'done'::text, c.parts_done, m.chat_id, m.blocked;
    RETURN;
  END IF;
  IF FOUND AND c.state = 'processing' AND c.claimed_at >= now() - make_interval(secs => p_lease_seconds) THEN
    RETURN QUERY SELECT 'in_progress'::text, c.parts_done, m.chat_id, m.blocked;
    RETURN;
  END IF;
  IF m.outbound_message_id IS NOT NULL AND m.outbound_message_id <> p_message
     AND m.outbound_since >= now() - make_interval(secs => p_hold_seconds) THEN
    RETURN QUERY SELECT 'chat_busy'::text, 0, m.chat_id, m.blocked;
    RETURN;
  END IF;

  -- This transaction commits asynchronously, like every per-message write except a chat's first
  -- mapping: see lib/db/delivery-claims.ts and docs/performance.md.
  PERFORM set_config('synchronous_commit', 'off', true);
  INSERT INTO delivery_claims AS dc (source, scope, key) VALUES ('webim_message', p_visitor, p_message)
  ON CONFLICT (source, scope, key) DO UPDATE
    SET state = 'processing', claimed_at = now(), attempts = dc.attempts + 1
  RETURNING dc.parts_done INTO c;
  UPDATE chat_mapping cm
  SET outbound_message_id = p_message,
      outbound_since = CASE WHEN cm.outbound_message_id = p_message THEN cm.outbound_since ELSE now() END
  WHERE cm.chat_id = m.chat_id;
  RETURN QUERY SELECT 'claimed'::text, c.parts_done, m.chat_id, m.blocked;
END
$$;
