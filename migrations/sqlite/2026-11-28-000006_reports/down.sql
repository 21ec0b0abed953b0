DROP INDEX quiz_attempts_run;
ALTER TABLE quiz_attempts DROP COLUMN run_id;
