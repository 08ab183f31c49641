ALTER TABLE conversations ADD COLUMN last_message BIGINT;
