DROP TABLE module_progress;
DROP TABLE law_entries;
DROP TABLE module_files;
DROP TABLE module_versions;
DROP TABLE course_modules;
DROP TABLE course_revisions;
DROP TABLE courses;
