ALTER TABLE certificates DROP COLUMN signatory_position;
ALTER TABLE certificates DROP COLUMN signatory_name;
ALTER TABLE institutions DROP COLUMN signatory_position;
ALTER TABLE institutions DROP COLUMN signatory_name;
