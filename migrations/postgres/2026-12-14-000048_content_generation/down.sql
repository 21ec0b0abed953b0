DROP TRIGGER courses_content ON courses;
DROP TRIGGER course_modules_content ON course_modules;
DROP TRIGGER module_versions_content ON module_versions;
DROP TRIGGER law_entries_content ON law_entries;
DROP TRIGGER quizzes_content ON quizzes;
DROP FUNCTION raise_content_generation();
DROP TABLE content_generation;
