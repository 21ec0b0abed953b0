-- A lower-cased copy of each user's name and email address, which the administrators'
-- user search matches against (sqlite). Neither SQLite's LIKE nor PostgreSQL's folds the
-- case of Cyrillic letters the same way, so Bilim folds it in Rust when a name is
-- written; rows from before this migration are filled in by `bilim` right after it.
-- Kept equivalent to migrations/postgres/2026-11-28-000009_user_search.
ALTER TABLE users ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
