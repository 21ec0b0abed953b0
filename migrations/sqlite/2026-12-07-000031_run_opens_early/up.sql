-- Whether a run's content opens before its start date (sqlite). Closed by default: learners
-- of a run read its course from the first day on. Existing runs are closed too; whatever
-- the setting, a certificate is issued only once the run has started.
-- Kept equivalent to migrations/postgres/2026-12-07-000031_run_opens_early.
ALTER TABLE course_runs ADD COLUMN opens_early BOOLEAN NOT NULL DEFAULT FALSE;
