-- Operator replies that cannot be delivered at once wait in the reply queue (SQS FIFO on AWS, an
-- in-process queue locally) instead of depending on Webim's redelivery. Their claims are in the
-- new state 'queued': released after a failed attempt and known to be waiting in the queue. The
-- previous release treats a 'queued' claim like a released one (it may retake it), so this
-- migration is backward compatible.
ALTER TABLE delivery_claims DROP CONSTRAINT IF EXISTS delivery_claims_state_check;
ALTER TABLE delivery_claims ADD CONSTRAINT delivery_claims_state_check
  CHECK (state IN ('processing', 'released', 'queued', 'done'));

-- As claim_operator_message (002), with one more outcome, so a reply at the head of the queue can
-- tell an earlier reply that waits behind it in the queue from one that is being sent right now:
--   chat_queued  an earlier message of this chat is unfinished and waiting in the reply queue
--   chat_busy    an earlier message of this chat is unfinished otherwise (being sent, or released)
CREATE FUNCTION claim_operator_reply(p_visitor text, p_message text, p_lease_seconds integer, p_hold_seconds integer)
RETURNS TABLE (claim_outcome text, claim_parts_done integer, claim_chat_id bigint, claim_blocked boolean)
LANGUAGE plpgsql AS $$
DECLARE
  m record;
  c record;
  v_holder_state text;
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
    SELECT dc.state INTO v_holder_state FROM delivery_claims dc
    WHERE dc.source = 'webim_message' AND dc.scope = p_visitor AND dc.key = m.outbound_message_id;
    RETURN QUERY SELECT CASE WHEN v_holder_state = 'queued' THEN 'chat_queued' ELSE 'chat_busy' END, 0, m.chat_id, m.blocked;
    RETURN;
  END IF;

  -- Commits asynchronously, like every per-message write except a chat's first mapping.
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

-- As release_claim (004), for a reply handed to the reply queue: the chat stays held by it.
CREATE FUNCTION defer_claim(p_source text, p_scope text, p_key text, p_parts_done integer, p_counts jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM add_delivery_stats(p_counts);
  UPDATE delivery_claims SET state = 'queued', parts_done = p_parts_done
  WHERE source = p_source AND scope = p_scope AND key = p_key AND state = 'processing';
END
$$;
