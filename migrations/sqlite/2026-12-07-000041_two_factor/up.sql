-- Two-factor sign-in (sqlite): an authenticator app's TOTP secret (RFC 6238) per user,
-- confirmed once the user has entered a first code, with the last time step used so a
-- code works once; and one-time recovery codes, kept as SHA-256 hashes.
-- Kept equivalent to migrations/postgres/2026-12-07-000041_two_factor.
CREATE TABLE two_factor (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users (id),
    secret TEXT NOT NULL,
    confirmed_at TIMESTAMP,
    last_step BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id, code_hash);
