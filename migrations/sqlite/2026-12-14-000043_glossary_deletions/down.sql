DELETE FROM glossary_terms WHERE deleted = 1;
ALTER TABLE glossary_terms DROP COLUMN deleted;
