-- Covering indexes for the reports (sqlite): the dashboard groups every admitted
-- enrolment and every quiz attempt of the runs in scope by the learner's category,
-- and reads the columns it needs from these indexes instead of visiting the rows
-- (quiz attempt rows carry their question snapshots and are large).
-- Kept equivalent to migrations/postgres/2026-11-28-000008_report_indexes.
DROP INDEX quiz_attempts_run;
CREATE INDEX quiz_attempts_report ON quiz_attempts (run_id, quiz_id, is_preview, submitted_at, percent, user_id, course_id);

DROP INDEX enrolments_activity;
CREATE INDEX enrolments_activity ON enrolments (run_id, status, last_activity_at, user_id);

CREATE INDEX users_report ON users (id, category, gender);
