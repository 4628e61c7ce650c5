-- Claiming an operator message commits asynchronously, like every other per-message write except
-- a chat's first mapping: one fewer disk flush per message. Why losing such a commit in a
-- database crash cannot make a duplicate the sender would not cause anyway: README "Performance".
CREATE OR REPLACE FUNCTION claim_operator_message(p_visitor text, p_message text, p_lease_seconds integer, p_hold_seconds integer)
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

  -- This transaction commits asynchronously: see lib/db/delivery-claims.ts and README "Performance".
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
