DROP INDEX users_report;
DROP INDEX enrolments_activity;
CREATE INDEX enrolments_activity ON enrolments (run_id, status, last_activity_at);
DROP INDEX quiz_attempts_report;
CREATE INDEX quiz_attempts_run ON quiz_attempts (run_id, quiz_id);
