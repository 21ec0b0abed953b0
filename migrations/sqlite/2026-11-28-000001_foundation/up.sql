-- Foundation: institutions, accounts and installation settings (SQLite).
-- Kept equivalent to migrations/postgres/2026-11-28-000001_foundation.
CREATE TABLE institutions (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX institutions_country_name ON institutions (country, name);

CREATE TABLE users (
    id INTEGER PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    country TEXT,
    institution_id BIGINT REFERENCES institutions (id),
    category TEXT NOT NULL,
    locale TEXT NOT NULL,
    token_version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_institution ON users (institution_id);
CREATE INDEX users_role ON users (role);

CREATE TABLE settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
