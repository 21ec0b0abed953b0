-- Quizzes loaded from the courses folder, attempts and their responses (SQLite).
-- Kept equivalent to migrations/postgres/2026-11-28-000003_quizzes.
CREATE TABLE quizzes (
    course_id TEXT NOT NULL REFERENCES courses (id),
    id TEXT NOT NULL,
    settings TEXT NOT NULL,
    titles TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (course_id, id)
);

CREATE TABLE quiz_versions (
    course_id TEXT NOT NULL,
    quiz_id TEXT NOT NULL,
    language TEXT NOT NULL,
    questions TEXT NOT NULL,
    PRIMARY KEY (course_id, quiz_id, language),
    FOREIGN KEY (course_id, quiz_id) REFERENCES quizzes (course_id, id)
);

CREATE TABLE quiz_attempts (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    course_id TEXT NOT NULL,
    quiz_id TEXT NOT NULL,
    language TEXT NOT NULL,
    is_preview BOOLEAN NOT NULL,
    questions TEXT NOT NULL,
    settings TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    deadline TIMESTAMP,
    submitted_at TIMESTAMP,
    score DOUBLE PRECISION,
    max_score DOUBLE PRECISION,
    percent DOUBLE PRECISION,
    passed BOOLEAN,
    pending_manual BOOLEAN NOT NULL
);
CREATE INDEX quiz_attempts_user ON quiz_attempts (user_id, course_id, quiz_id);
CREATE INDEX quiz_attempts_quiz ON quiz_attempts (course_id, quiz_id, submitted_at);
CREATE INDEX quiz_attempts_pending ON quiz_attempts (pending_manual, submitted_at);

CREATE TABLE attempt_responses (
    attempt_id BIGINT NOT NULL REFERENCES quiz_attempts (id),
    question_id TEXT NOT NULL,
    response TEXT,
    answered_at TIMESTAMP,
    score DOUBLE PRECISION,
    max_score DOUBLE PRECISION,
    pending_manual BOOLEAN NOT NULL,
    grader_id BIGINT REFERENCES users (id),
    comment TEXT,
    graded_at TIMESTAMP,
    PRIMARY KEY (attempt_id, question_id)
);
