-- The run's first and last day as they were when the certificate was issued: the PDF
-- prints these, so a run edited later never changes the period of study on a
-- certificate already handed out. Empty for certificates issued before this column,
-- which keep printing the run's current dates, and for those issued without a run.
-- Kept equivalent to migrations/postgres/2026-12-14-000047_certificate_period.
ALTER TABLE certificates ADD COLUMN period_starts DATE;
ALTER TABLE certificates ADD COLUMN period_ends DATE;
