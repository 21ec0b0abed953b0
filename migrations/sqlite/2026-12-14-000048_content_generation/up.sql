-- A counter that every change to what course pages show raises: courses, their
-- modules and texts, law references and quizzes. Each instance keeps rendered course
-- content in memory and reads this one row with the request that uses it, so an
-- import or a publication through any instance is shown by every instance at once.
-- Triggers raise it, so no writer, present or future, can forget to.
-- Kept equivalent to migrations/postgres/2026-12-14-000048_content_generation.
CREATE TABLE content_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO content_generation (id, generation) VALUES (1, 1);
CREATE TRIGGER courses_insert_content AFTER INSERT ON courses
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER courses_update_content AFTER UPDATE ON courses
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER courses_delete_content AFTER DELETE ON courses
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER course_modules_insert_content AFTER INSERT ON course_modules
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER course_modules_update_content AFTER UPDATE ON course_modules
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER course_modules_delete_content AFTER DELETE ON course_modules
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER module_versions_insert_content AFTER INSERT ON module_versions
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER module_versions_update_content AFTER UPDATE ON module_versions
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER module_versions_delete_content AFTER DELETE ON module_versions
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER law_entries_insert_content AFTER INSERT ON law_entries
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER law_entries_update_content AFTER UPDATE ON law_entries
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER law_entries_delete_content AFTER DELETE ON law_entries
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER quizzes_insert_content AFTER INSERT ON quizzes
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER quizzes_update_content AFTER UPDATE ON quizzes
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER quizzes_delete_content AFTER DELETE ON quizzes
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
END;
