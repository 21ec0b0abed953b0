-- Courses loaded from the courses folder, their rendered module texts, attachments,
-- national law entries and learners' progress (SQLite).
-- Kept equivalent to migrations/postgres/2026-11-28-000002_courses.
CREATE TABLE courses (
    id TEXT PRIMARY KEY NOT NULL,
    version TEXT NOT NULL,
    hours DOUBLE PRECISION NOT NULL,
    audience TEXT NOT NULL,
    titles TEXT NOT NULL,
    summaries TEXT NOT NULL,
    prerequisites TEXT NOT NULL,
    settings TEXT NOT NULL,
    source_hash TEXT NOT NULL,
    revision INTEGER NOT NULL,
    active BOOLEAN NOT NULL,
    imported_at TIMESTAMP NOT NULL
);
CREATE INDEX courses_active ON courses (active);

CREATE TABLE course_revisions (
    course_id TEXT NOT NULL REFERENCES courses (id),
    revision INTEGER NOT NULL,
    source_hash TEXT NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (course_id, revision)
);

CREATE TABLE course_modules (
    course_id TEXT NOT NULL REFERENCES courses (id),
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (course_id, id)
);
CREATE INDEX course_modules_order ON course_modules (course_id, active, position);

CREATE TABLE module_versions (
    course_id TEXT NOT NULL,
    module_id TEXT NOT NULL,
    language TEXT NOT NULL,
    country TEXT NOT NULL,
    title TEXT NOT NULL,
    outcomes TEXT NOT NULL,
    html TEXT NOT NULL,
    law_concepts TEXT NOT NULL,
    outdated_sections TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    revision INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (course_id, module_id, language, country),
    FOREIGN KEY (course_id, module_id) REFERENCES course_modules (course_id, id)
);

CREATE TABLE module_files (
    course_id TEXT NOT NULL,
    module_id TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (course_id, module_id, name),
    FOREIGN KEY (course_id, module_id) REFERENCES course_modules (course_id, id)
);

CREATE TABLE law_entries (
    country TEXT NOT NULL,
    concept TEXT NOT NULL,
    article TEXT NOT NULL,
    codes TEXT NOT NULL,
    titles TEXT NOT NULL,
    notes TEXT NOT NULL,
    source TEXT NOT NULL,
    verified BOOLEAN NOT NULL,
    PRIMARY KEY (country, concept)
);
CREATE INDEX law_entries_concept ON law_entries (concept);

CREATE TABLE module_progress (
    user_id BIGINT NOT NULL REFERENCES users (id),
    course_id TEXT NOT NULL,
    module_id TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, course_id, module_id)
);
CREATE INDEX module_progress_course ON module_progress (course_id, module_id);
