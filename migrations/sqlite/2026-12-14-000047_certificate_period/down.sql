ALTER TABLE certificates DROP COLUMN period_ends;
ALTER TABLE certificates DROP COLUMN period_starts;
