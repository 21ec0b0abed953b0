ALTER TABLE course_runs DROP COLUMN attendance_settled_at;
