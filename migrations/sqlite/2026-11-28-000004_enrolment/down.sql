DROP TABLE outbox;
DROP TABLE user_tokens;
DROP TABLE enrolment_events;
DROP TABLE enrolments;
DROP TABLE run_trainers;
DROP TABLE course_runs;
ALTER TABLE users DROP COLUMN position;
ALTER TABLE users DROP COLUMN email_verified_at;
