DROP TABLE certificates;
DROP TABLE course_completions;
