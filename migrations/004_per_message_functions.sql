-- The statements every relayed message runs, as functions. A statement sent as text is parsed
-- and planned on every message, which cost more than its execution (about 1 ms of the 1.5 ms
-- that the claim and the completion took on the benchmark machine). PostgreSQL keeps the plans of
-- a function's statements for the life of the connection, so the hot path is planned once per
-- connection, while the client still sends no named prepared statements (RDS Proxy and PgBouncer
-- in transaction mode stay safe: the cache lives on the server connection, not in the session).
--
-- Every per-message transaction except a chat's first mapping commits asynchronously; why that
-- cannot cause a duplicate the sender would not also cause: docs/performance.md.

-- Adds relay outcome counts to this hour's counters (one of 8 shards, so that concurrent writers
-- rarely meet on one row). Called by the statements the relay runs anyway: no round trip of its own.
-- p_counts: [{"d": direction, "o": outcome, "n": count}, …] (JSON rather than arrays, so the
-- driver needs no catalogue query for array types on each new connection).
CREATE FUNCTION add_delivery_stats(p_counts jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_counts IS NULL OR jsonb_array_length(p_counts) = 0 THEN
    RETURN;
  END IF;
  INSERT INTO delivery_stats AS s (hour, direction, outcome, shard, count)
  SELECT date_trunc('hour', now()), t.d, t.o, floor(random() * 8)::smallint, t.n
  FROM jsonb_to_recordset(p_counts) AS t(d text, o text, n integer)
  ON CONFLICT (hour, direction, outcome, shard) DO UPDATE SET count = s.count + excluded.count;
END
$$;

-- Claims a Telegram update. A new id is inserted as processing; a released one (an earlier
-- transient failure) or a processing one whose lease ran out (a crashed invocation) is taken
-- over. Only when the update is now ours, and p_chat_id is given, the chat's mapping is read, or
-- created (durably: its visitor id must never change); a blocked flag is cleared (the user wrote).
-- Concurrent first messages of one chat yield one mapping row: the loser of the insert reads the
-- winner's row (each statement here sees what committed before it started).
--   done         delivered or failed for good before: a duplicate
--   in_progress  another invocation holds it (or a concurrent claim just took it)
--   claimed      ours; parts_done parts of it (a file, then its caption) were sent already
CREATE FUNCTION claim_telegram_update(p_update text, p_chat_id bigint, p_lease_seconds integer, p_counts jsonb)
RETURNS TABLE (claim_outcome text, claim_parts_done integer, claim_visitor_id text, claim_created boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_parts integer;
  v_state text;
  v_visitor text;
  v_blocked boolean;
  v_created boolean := false;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM add_delivery_stats(p_counts);

  INSERT INTO delivery_claims AS c (source, scope, key) VALUES ('telegram_update', '', p_update)
  ON CONFLICT (source, scope, key) DO UPDATE
    SET state = 'processing', claimed_at = now(), attempts = c.attempts + 1
    WHERE c.state = 'released'
       OR (c.state = 'processing' AND c.claimed_at < now() - make_interval(secs => p_lease_seconds))
  RETURNING c.parts_done INTO v_parts;
  IF NOT FOUND THEN
    SELECT dc.state INTO v_state FROM delivery_claims dc
    WHERE dc.source = 'telegram_update' AND dc.scope = '' AND dc.key = p_update;
    RETURN QUERY SELECT CASE WHEN v_state = 'done' THEN 'done' ELSE 'in_progress' END, 0, NULL::text, NULL::boolean;
    RETURN;
  END IF;

  IF p_chat_id IS NOT NULL THEN
    -- The usual case, a known chat, only reads: no row lock, nothing written.
    SELECT cm.visitor_id, cm.blocked INTO v_visitor, v_blocked FROM chat_mapping cm WHERE cm.chat_id = p_chat_id;
    IF NOT FOUND THEN
      INSERT INTO chat_mapping (chat_id) VALUES (p_chat_id) ON CONFLICT (chat_id) DO NOTHING
      RETURNING visitor_id INTO v_visitor;
      v_created := FOUND;
      IF v_created THEN
        PERFORM set_config('synchronous_commit', 'on', true);
      ELSE
        SELECT cm.visitor_id INTO v_visitor FROM chat_mapping cm WHERE cm.chat_id = p_chat_id;
      END IF;
    ELSIF v_blocked THEN
      UPDATE chat_mapping SET blocked = false, blocked_at = NULL, updated_at = now() WHERE chat_id = p_chat_id;
    END IF;
  END IF;
  RETURN QUERY SELECT 'claimed'::text, v_parts, v_visitor, v_created;
END
$$;

-- Finishes a claim for good (delivered, or failed permanently) and, for an operator message,
-- frees its chat for the next one.
CREATE FUNCTION complete_claim(p_source text, p_scope text, p_key text, p_parts_done integer, p_counts jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM add_delivery_stats(p_counts);
  UPDATE delivery_claims SET state = 'done', completed_at = now(), parts_done = p_parts_done
  WHERE source = p_source AND scope = p_scope AND key = p_key;
  IF p_source = 'webim_message' THEN
    UPDATE chat_mapping SET outbound_message_id = NULL, outbound_since = NULL
    WHERE visitor_id = p_scope AND outbound_message_id = p_key;
  END IF;
END
$$;

-- Gives a claim back after a transient failure, keeping its progress; the chat stays held by it.
CREATE FUNCTION release_claim(p_source text, p_scope text, p_key text, p_parts_done integer, p_counts jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM add_delivery_stats(p_counts);
  UPDATE delivery_claims SET state = 'released', parts_done = p_parts_done
  WHERE source = p_source AND scope = p_scope AND key = p_key AND state = 'processing';
END
$$;

-- Claim rows are updated once or twice right after their insert (completed, released): room left
-- on each page lets those be HOT updates, which touch no index. The same for a chat's row, which
-- an operator message updates twice (its order hold). created_at only serves the hourly purge and
-- grows with the insert order: a BRIN index costs next to nothing per insert, unlike a B-tree.
ALTER TABLE delivery_claims SET (fillfactor = 70);
ALTER TABLE chat_mapping SET (fillfactor = 80);
DROP INDEX delivery_claims_created_at;
CREATE INDEX delivery_claims_created_at ON delivery_claims USING brin (created_at);
