-- The person who signs an institution's certificates: a name and a position printed
-- under the signature line, both empty while none is configured.
-- A certificate keeps the signatory of its issue, as it keeps the institution's name,
-- so a new head of the academy does not appear on certificates issued before them.
-- Kept equivalent to migrations/sqlite/2026-12-14-000045_institution_signatory.
ALTER TABLE institutions ADD COLUMN signatory_name TEXT NOT NULL DEFAULT '';
ALTER TABLE institutions ADD COLUMN signatory_position TEXT NOT NULL DEFAULT '';
ALTER TABLE certificates ADD COLUMN signatory_name TEXT NOT NULL DEFAULT '';
ALTER TABLE certificates ADD COLUMN signatory_position TEXT NOT NULL DEFAULT '';
