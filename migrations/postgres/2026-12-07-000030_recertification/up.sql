-- Re-certification (postgres): a learner whose certificate of a course expired or was revoked
-- and who completes a new run of it gets a new certificate, so certificates are no longer
-- unique per learner and course. At most one valid certificate per learner and course is
-- kept by the certificate code, which works out a learner's completion under a lock
-- (db::locks::Lock::Certification); this index finds a learner's certificates of a
-- course, newest first. Existing certificates are kept as they are.
-- Kept equivalent to migrations/sqlite/2026-12-07-000030_recertification.
DROP INDEX certificates_user_course;
CREATE INDEX certificates_user_course ON certificates (user_id, course_id, issued_at);
