-- A coordinator's checked CSV file, kept so that applying it needs no second upload:
-- the page's "apply" form carries only the check's random id. A check belongs to the
-- coordinator who made it and to one run, and is kept at most a day (older ones are
-- deleted whenever a new check is stored, and a check is deleted once applied).
-- Kept equivalent to migrations/sqlite/2026-12-14-000046_bulk_checks.
CREATE TABLE bulk_checks (
    id TEXT PRIMARY KEY NOT NULL,
    run_id BIGINT NOT NULL REFERENCES course_runs (id),
    uploader_id BIGINT NOT NULL REFERENCES users (id),
    content TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX bulk_checks_by_age ON bulk_checks (created_at);
