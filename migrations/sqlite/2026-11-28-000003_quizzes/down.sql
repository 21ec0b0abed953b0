DROP TABLE attempt_responses;
DROP TABLE quiz_attempts;
DROP TABLE quiz_versions;
DROP TABLE quizzes;
