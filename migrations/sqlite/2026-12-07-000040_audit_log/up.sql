-- The audit log of privileged actions (sqlite): who did what to which record, when. Details
-- are JSON holding ids and values, never names or addresses, so that erasing a person's
-- personal data leaves the log whole. Rows are never changed or deleted: triggers refuse it.
-- Kept equivalent to migrations/postgres/2026-12-07-000040_audit_log.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX audit_events_by_action ON audit_events (action, id);
CREATE INDEX audit_events_by_actor ON audit_events (actor_id, id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
