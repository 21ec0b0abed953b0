-- When the holder was told by email that their certificate was issued (sqlite). The mail
-- worker of any instance tells holders of certificates without it; certificates issued
-- before this migration count as told, so nobody gets a late message.
-- Kept equivalent to migrations/postgres/2026-11-28-000011_certificate_notices.
ALTER TABLE certificates ADD COLUMN notified_at TIMESTAMP;
UPDATE certificates SET notified_at = issued_at;
CREATE INDEX certificates_unnotified ON certificates (notified_at);
