-- Reports count certificates per run.
CREATE INDEX certificates_run ON certificates (run_id, revoked_at);

-- The learner's last study activity in the run's course, kept on the enrolment so that
-- reports find active and stalled learners from one index instead of joining every
-- module progress record.
ALTER TABLE enrolments ADD COLUMN last_activity_at TIMESTAMP;
UPDATE enrolments SET last_activity_at = (
    SELECT MAX(module_progress.updated_at)
    FROM module_progress JOIN course_runs ON course_runs.course_id = module_progress.course_id
    WHERE course_runs.id = enrolments.run_id AND module_progress.user_id = enrolments.user_id
);
CREATE INDEX enrolments_activity ON enrolments (run_id, status, last_activity_at);

-- The run a quiz attempt was taken in (the learner's latest admitted run of the
-- course), so that reports average scores per run from one index.
ALTER TABLE quiz_attempts ADD COLUMN run_id BIGINT;
UPDATE quiz_attempts SET run_id = (
    SELECT enrolments.run_id
    FROM enrolments JOIN course_runs ON course_runs.id = enrolments.run_id
    WHERE enrolments.user_id = quiz_attempts.user_id
      AND course_runs.course_id = quiz_attempts.course_id
      AND enrolments.status IN ('enrolled', 'completed')
    ORDER BY course_runs.starts_on DESC, course_runs.id DESC
    LIMIT 1
);
CREATE INDEX quiz_attempts_run ON quiz_attempts (run_id, quiz_id);
