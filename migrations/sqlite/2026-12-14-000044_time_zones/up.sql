-- The time zone a user reads times in, as a fixed offset code ("UTC+5"); NULL means
-- "as in my country" (see src/accounts/time_zone.rs), so most users never set it.
-- Kept equivalent to migrations/postgres/2026-12-14-000044_time_zones.
ALTER TABLE users ADD COLUMN time_zone TEXT;
