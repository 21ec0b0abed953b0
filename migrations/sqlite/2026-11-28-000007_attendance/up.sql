-- Attendance at a run's in-person days, recorded by its trainers, and the optional
-- gender of a profile for the programme's share-of-women indicator (sqlite).
-- Kept equivalent to migrations/postgres/2026-11-28-000007_attendance.

-- The share of in-person days a learner must attend to complete the run's course, in
-- per cent; NULL when the run does not require attendance.
ALTER TABLE course_runs ADD COLUMN min_attendance INTEGER;

CREATE TABLE run_sessions (
    id INTEGER PRIMARY KEY NOT NULL,
    run_id BIGINT NOT NULL REFERENCES course_runs (id),
    held_on DATE NOT NULL,
    topic TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX run_sessions_run_day ON run_sessions (run_id, held_on);

CREATE TABLE attendance (
    session_id BIGINT NOT NULL REFERENCES run_sessions (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    present BOOLEAN NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
-- Completion counts a learner's days present in one run.
CREATE INDEX attendance_user ON attendance (user_id, present, session_id);

-- A trainer's runs.
CREATE INDEX run_trainers_user ON run_trainers (user_id);

-- 'female' or 'male' when the person chose to record it; NULL otherwise.
ALTER TABLE users ADD COLUMN gender TEXT;
