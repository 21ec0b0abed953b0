DELETE FROM glossary_terms WHERE deleted;
ALTER TABLE glossary_terms DROP COLUMN deleted;
