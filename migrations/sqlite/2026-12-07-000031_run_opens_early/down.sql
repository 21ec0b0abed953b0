ALTER TABLE course_runs DROP COLUMN opens_early;
