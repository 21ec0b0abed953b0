-- Course completions and the certificates issued for them (PostgreSQL).
-- Kept equivalent to migrations/sqlite/2026-11-28-000005_certificates.
CREATE TABLE course_completions (
    user_id BIGINT NOT NULL REFERENCES users (id),
    course_id TEXT NOT NULL,
    run_id BIGINT REFERENCES course_runs (id),
    completed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, course_id)
);
CREATE INDEX course_completions_course ON course_completions (course_id, completed_at);

CREATE TABLE certificates (
    code TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    course_id TEXT NOT NULL,
    run_id BIGINT REFERENCES course_runs (id),
    holder_name TEXT NOT NULL,
    course_titles TEXT NOT NULL,
    institution TEXT NOT NULL,
    country TEXT NOT NULL,
    hours DOUBLE PRECISION NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP,
    revoked_reason TEXT,
    revoked_by BIGINT REFERENCES users (id)
);
CREATE UNIQUE INDEX certificates_user_course ON certificates (user_id, course_id);
