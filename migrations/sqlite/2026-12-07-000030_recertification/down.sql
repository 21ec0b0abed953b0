DROP INDEX certificates_user_course;
CREATE UNIQUE INDEX certificates_user_course ON certificates (user_id, course_id);
