-- What the user feels reaches the desk: ratings at the end of a chat, reactions to replies.
-- Expand only: new tables and new functions; nothing the previous release uses changes.
-- Ids, numbers and timestamps only: no message text.

-- Which Webim message each Telegram message the bridge delivered came from, so that a user's
-- reaction to it can name the reply. Written by the claim's completion (no round trip of its own);
-- kept as long as the chat's mapping (purged with it).
CREATE TABLE IF NOT EXISTS delivered_messages (
  chat_id             bigint NOT NULL REFERENCES chat_mapping (chat_id) ON DELETE CASCADE,
  telegram_message_id bigint NOT NULL,
  webim_message_id    text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chat_id, telegram_message_id)
);

-- The one press that counts per rating prompt (the Telegram message that carried the keyboard):
-- the first one recorded. A redelivery of that press finds its own update id and goes on; any
-- other press of the same prompt changes nothing. Kept with the chat's mapping.
CREATE TABLE IF NOT EXISTS chat_ratings (
  chat_id           bigint NOT NULL REFERENCES chat_mapping (chat_id) ON DELETE CASCADE,
  prompt_message_id bigint NOT NULL,
  update_id         text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chat_id, prompt_message_id)
);

-- Ratings counted per day (UTC) and score (1–5): numbers only, purged with the delivery statistics.
CREATE TABLE IF NOT EXISTS rating_stats (
  day   date NOT NULL,
  score smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
  count bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, score)
);

-- Records the Telegram messages a reply went out as (p_message_ids: a JSON array of message ids),
-- beside the completion of its claim in the same statement. A repeat (a deferred completion
-- written again) changes nothing; a chat whose mapping is gone records nothing (rather than fail
-- the completion it rides on).
CREATE OR REPLACE FUNCTION record_delivered_messages(p_chat_id bigint, p_webim_message text, p_message_ids jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_chat_id IS NULL OR p_message_ids IS NULL OR jsonb_array_length(p_message_ids) = 0 THEN
    RETURN;
  END IF;
  INSERT INTO delivered_messages (chat_id, telegram_message_id, webim_message_id)
  SELECT p_chat_id, t.id::bigint, p_webim_message FROM jsonb_array_elements_text(p_message_ids) AS t(id)
  WHERE EXISTS (SELECT 1 FROM chat_mapping cm WHERE cm.chat_id = p_chat_id)
  ON CONFLICT (chat_id, telegram_message_id) DO NOTHING;
END
$$;

-- Claims a message_reaction update (as claim_telegram_update, without touching any mapping) and,
-- when it is now ours, says which Webim message the reacted-to Telegram message delivered
-- (NULL: not one the bridge delivered) and the chat's visitor. One round trip.
CREATE OR REPLACE FUNCTION claim_reaction_update(
  p_update text, p_chat_id bigint, p_message_id bigint, p_lease_seconds integer, p_counts jsonb)
RETURNS TABLE (claim_outcome text, claim_parts_done integer, claim_visitor_id text, claim_webim_message_id text)
LANGUAGE plpgsql AS $$
DECLARE
  v_claim record;
  v_visitor text;
  v_webim text;
BEGIN
  SELECT * INTO v_claim FROM claim_telegram_update(p_update, NULL, p_lease_seconds, p_counts);
  IF v_claim.claim_outcome IS DISTINCT FROM 'claimed' THEN
    RETURN QUERY SELECT v_claim.claim_outcome, 0, NULL::text, NULL::text;
    RETURN;
  END IF;
  SELECT cm.visitor_id, dm.webim_message_id INTO v_visitor, v_webim
  FROM delivered_messages dm JOIN chat_mapping cm ON cm.chat_id = dm.chat_id
  WHERE dm.chat_id = p_chat_id AND dm.telegram_message_id = p_message_id;
  RETURN QUERY SELECT 'claimed'::text, v_claim.claim_parts_done, v_visitor, v_webim;
END
$$;

-- Records a press of a rating prompt, atomically: the first press of a prompt wins and is counted
-- in rating_stats; its redelivery (the same update) is told it won without counting again; any
-- other press of the prompt is told who won. Concurrent presses: the loser of the insert waits
-- for the winner's commit, then reads its row.
CREATE OR REPLACE FUNCTION record_rating(p_chat_id bigint, p_prompt_message_id bigint, p_update text, p_score smallint)
RETURNS TABLE (rating_update text, rating_counted boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_update text;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  INSERT INTO chat_ratings (chat_id, prompt_message_id, update_id) VALUES (p_chat_id, p_prompt_message_id, p_update)
  ON CONFLICT (chat_id, prompt_message_id) DO NOTHING;
  IF FOUND THEN
    INSERT INTO rating_stats AS s (day, score, count) VALUES ((now() AT TIME ZONE 'UTC')::date, p_score, 1)
    ON CONFLICT (day, score) DO UPDATE SET count = s.count + 1;
    RETURN QUERY SELECT p_update, true;
    RETURN;
  END IF;
  SELECT cr.update_id INTO v_update FROM chat_ratings cr
  WHERE cr.chat_id = p_chat_id AND cr.prompt_message_id = p_prompt_message_id;
  RETURN QUERY SELECT v_update, false;
END
$$;
