-- When a run's attendance requirement was settled (postgres): a run that requires attendance
-- decides it once its last day has come, so that nobody completes on the first days
-- before the rest are added. The hourly upkeep settles runs that have ended and records
-- it here. Kept equivalent to migrations/sqlite/2026-11-28-000012_attendance_settled.
ALTER TABLE course_runs ADD COLUMN attendance_settled_at TIMESTAMP;
