ALTER TABLE users DROP COLUMN gender;
DROP INDEX run_trainers_user;
DROP TABLE attendance;
DROP TABLE run_sessions;
ALTER TABLE course_runs DROP COLUMN min_attendance;
