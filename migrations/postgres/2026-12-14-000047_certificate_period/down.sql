ALTER TABLE certificates DROP COLUMN period_ends, DROP COLUMN period_starts;
