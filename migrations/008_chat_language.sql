-- The user's Telegram language code (`ru`, `en-US`, …), kept with the chat's mapping so that a text
-- sent later, in answer to Webim rather than to the user (the chat closed, a file that could not be
-- delivered, a keyboard's prompt), is in the user's language. Only the code, never a text; it
-- goes when the mapping row goes. Expand only: a nullable column the previous release ignores.
ALTER TABLE chat_mapping ADD COLUMN IF NOT EXISTS language_code text;
