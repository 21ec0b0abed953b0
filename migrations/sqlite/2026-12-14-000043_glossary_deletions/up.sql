-- A glossary term deleted in the browser is kept as a tombstone instead of removed, so
-- that importing the files does not bring it back and the export writes its
-- language's file without it.
-- Kept equivalent to migrations/postgres/2026-12-14-000043_glossary_deletions.
ALTER TABLE glossary_terms ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT 0;
