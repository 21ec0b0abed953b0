-- Rate-limit counters shared by every instance over this database (postgres): with several
-- instances behind a load balancer, limits kept only in each instance's memory would
-- let a client guess as many times as there are instances. One row per limit, client
-- address and minute; rows older than an hour are deleted hourly.
-- Kept equivalent to migrations/sqlite/2026-11-28-000010_rate_limits.
CREATE TABLE rate_limit_windows (
    bucket TEXT NOT NULL,
    client TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, client, window_start)
);
CREATE INDEX rate_limit_windows_start ON rate_limit_windows (window_start);
