-- A counter that every change to what course pages show raises: courses, their
-- modules and texts, law references and quizzes. Each instance keeps rendered course
-- content in memory and reads this one row with the request that uses it, so an
-- import or a publication through any instance is shown by every instance at once.
-- Triggers raise it, so no writer, present or future, can forget to.
-- Kept equivalent to migrations/sqlite/2026-12-14-000048_content_generation.
CREATE TABLE content_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO content_generation (id, generation) VALUES (1, 1);
CREATE FUNCTION raise_content_generation() RETURNS trigger AS $$
BEGIN
    UPDATE content_generation SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER courses_content AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON courses
    FOR EACH STATEMENT EXECUTE FUNCTION raise_content_generation();
CREATE TRIGGER course_modules_content AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON course_modules
    FOR EACH STATEMENT EXECUTE FUNCTION raise_content_generation();
CREATE TRIGGER module_versions_content AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON module_versions
    FOR EACH STATEMENT EXECUTE FUNCTION raise_content_generation();
CREATE TRIGGER law_entries_content AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON law_entries
    FOR EACH STATEMENT EXECUTE FUNCTION raise_content_generation();
CREATE TRIGGER quizzes_content AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON quizzes
    FOR EACH STATEMENT EXECUTE FUNCTION raise_content_generation();
