-- Undoes up.sql.
DROP TABLE bulk_checks;
