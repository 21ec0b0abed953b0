DROP TABLE settings;
DROP TABLE users;
DROP TABLE institutions;
