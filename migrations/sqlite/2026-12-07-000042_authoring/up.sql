-- Trainer authoring (sqlite). Kept equivalent to migrations/postgres/2026-12-07-000042_authoring.
--
-- A cell is one section of one module in one language, for one country ('' for the
-- base text and its translations). Every version of a cell is a row of
-- section_revisions: the text, its workflow state, and the parent section it was made
-- from (fingerprint and full text), so a later change of the parent can be shown as a
-- diff. Learners read the newest approved revision; freshness is computed from the
-- parents and the law table, never stored.
CREATE TABLE section_revisions (
    id INTEGER PRIMARY KEY NOT NULL,
    course_id TEXT NOT NULL,
    module_id TEXT NOT NULL,
    language TEXT NOT NULL,
    country TEXT NOT NULL,
    section_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    markdown TEXT NOT NULL,
    removes BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    origin TEXT NOT NULL,
    based_on TEXT NOT NULL,
    based_on_markdown TEXT NOT NULL,
    author_id BIGINT REFERENCES users (id),
    comment TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    reviewed_by BIGINT REFERENCES users (id),
    reviewed_at TIMESTAMP,
    review_comment TEXT NOT NULL
);
CREATE UNIQUE INDEX section_revisions_cell
    ON section_revisions (course_id, module_id, language, country, section_id, revision);
CREATE INDEX section_revisions_queue ON section_revisions (state, language, country);

-- What a module text holds besides its sections, as last read from the files: the
-- front matter (title, outcomes), the text before the first section, and the order
-- of the sections; one row per language, and per country for adaptations (which only
-- carry a title and their file's name).
CREATE TABLE module_sources (
    course_id TEXT NOT NULL,
    module_id TEXT NOT NULL,
    language TEXT NOT NULL,
    country TEXT NOT NULL,
    folder TEXT NOT NULL,
    translated_from TEXT NOT NULL,
    front_matter TEXT NOT NULL,
    intro TEXT NOT NULL,
    section_order TEXT NOT NULL,
    PRIMARY KEY (course_id, module_id, language, country)
);

-- The languages a trainer translates (space-separated codes).
ALTER TABLE users ADD COLUMN languages TEXT NOT NULL DEFAULT '';

-- The law table becomes editable: the state of an entry (in force, amended, repealed)
-- with its effective date and note, who verified it and when, who changed it last,
-- and the hash of the entry as last read from _law/<cc>.toml.
ALTER TABLE law_entries ADD COLUMN status TEXT NOT NULL DEFAULT 'in_force';
ALTER TABLE law_entries ADD COLUMN effective DATE;
ALTER TABLE law_entries ADD COLUMN amended_at TIMESTAMP;
ALTER TABLE law_entries ADD COLUMN amendment_note TEXT NOT NULL DEFAULT '';
ALTER TABLE law_entries ADD COLUMN verified_by BIGINT;
ALTER TABLE law_entries ADD COLUMN verified_at TIMESTAMP;
ALTER TABLE law_entries ADD COLUMN file_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE law_entries ADD COLUMN updated_by BIGINT;
ALTER TABLE law_entries ADD COLUMN updated_at TIMESTAMP;

-- Proposed changes to a law entry, reviewed by a second person like sections.
CREATE TABLE law_revisions (
    id INTEGER PRIMARY KEY NOT NULL,
    country TEXT NOT NULL,
    concept TEXT NOT NULL,
    revision INTEGER NOT NULL,
    entry TEXT NOT NULL,
    state TEXT NOT NULL,
    origin TEXT NOT NULL,
    author_id BIGINT REFERENCES users (id),
    comment TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    reviewed_by BIGINT REFERENCES users (id),
    reviewed_at TIMESTAMP,
    review_comment TEXT NOT NULL
);
CREATE UNIQUE INDEX law_revisions_entry ON law_revisions (country, concept, revision);
CREATE INDEX law_revisions_queue ON law_revisions (state, country);

-- Agreed terms per language, imported from _glossary/<lang>.toml and edited in the
-- browser; the checks of the section editor look for them.
CREATE TABLE glossary_terms (
    language TEXT NOT NULL,
    term TEXT NOT NULL,
    source_en TEXT NOT NULL,
    source_ru TEXT NOT NULL,
    translation TEXT NOT NULL,
    note TEXT NOT NULL,
    updated_by BIGINT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (language, term)
);
