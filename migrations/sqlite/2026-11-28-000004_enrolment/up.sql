-- Course runs of institutions, enrolments with their history, one-time tokens and
-- the mail outbox (SQLite). Kept equivalent to migrations/postgres/2026-11-28-000004_enrolment.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;
ALTER TABLE users ADD COLUMN position TEXT;

CREATE TABLE course_runs (
    id INTEGER PRIMARY KEY NOT NULL,
    course_id TEXT NOT NULL,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    language TEXT NOT NULL,
    country TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    enrol_by DATE NOT NULL,
    capacity INTEGER NOT NULL,
    mode TEXT NOT NULL,
    enrolment TEXT NOT NULL,
    enrolment_key TEXT,
    phase TEXT NOT NULL,
    categories TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    reminder_sent_at TIMESTAMP
);
CREATE INDEX course_runs_institution ON course_runs (institution_id);
CREATE INDEX course_runs_course ON course_runs (course_id);
CREATE INDEX course_runs_starts ON course_runs (starts_on);

CREATE TABLE run_trainers (
    run_id BIGINT NOT NULL REFERENCES course_runs (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (run_id, user_id)
);

CREATE TABLE enrolments (
    id INTEGER PRIMARY KEY NOT NULL,
    run_id BIGINT NOT NULL REFERENCES course_runs (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX enrolments_run_user ON enrolments (run_id, user_id);
CREATE INDEX enrolments_user ON enrolments (user_id);
CREATE INDEX enrolments_run_status ON enrolments (run_id, status, updated_at);

CREATE TABLE enrolment_events (
    id INTEGER PRIMARY KEY NOT NULL,
    enrolment_id BIGINT NOT NULL REFERENCES enrolments (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    reason TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX enrolment_events_enrolment ON enrolment_events (enrolment_id);

CREATE TABLE user_tokens (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX user_tokens_hash ON user_tokens (token_hash);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    message_id TEXT NOT NULL,
    dedupe_key TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    locked_by TEXT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE UNIQUE INDEX outbox_message_id ON outbox (message_id);
CREATE UNIQUE INDEX outbox_dedupe ON outbox (dedupe_key);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
