DROP INDEX certificates_unnotified;
ALTER TABLE certificates DROP COLUMN notified_at;
