-- The last Discord message a conversation has handled: messages are applied in the order
-- Discord assigned them (snowflake ids grow with time), a message seen again (replayed
-- after a resume) is not applied twice, and at start-up nimo catches up on what was
-- written to it while it was down (the messages after this one).
ALTER TABLE conversations ADD COLUMN last_message INTEGER;
