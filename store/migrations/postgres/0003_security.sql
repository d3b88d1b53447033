-- Security (issue 8).

-- Several sign-in codes may be pending for one address: asking for a new
-- code does not void one already mailed (someone else may have asked).
ALTER TABLE signin_codes DROP CONSTRAINT signin_codes_pkey;
ALTER TABLE signin_codes ADD COLUMN created_at BIGINT;
UPDATE signin_codes SET created_at = expires_at - 600000;
ALTER TABLE signin_codes ALTER COLUMN created_at SET NOT NULL;
ALTER TABLE signin_codes ADD PRIMARY KEY (email, code_hash);

-- Failed sign-ins per account ('staff:<username>') or address
-- ('email:<address>'), whatever client address they came from. After a few
-- free failures each one doubles the wait before the next attempt is
-- judged; a success clears the row.
CREATE TABLE signin_backoff (
    key        TEXT PRIMARY KEY,
    failures   BIGINT NOT NULL,
    next_at    BIGINT NOT NULL, -- no attempt is judged before this
    updated_at BIGINT NOT NULL
);

-- Counts per key and fixed window that every replica shares: mails sent
-- to one address per hour and per day, order starts from one client
-- address per QR code at a bar in name mode.
CREATE TABLE rate_counts (
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    n            BIGINT NOT NULL CHECK (n >= 0),
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_counts_expires ON rate_counts (expires_at);

-- A name sign-in belongs to the bar it was made at ('' for every other
-- session); sign-out of all of a user's sessions looks them up by user.
ALTER TABLE sessions ADD COLUMN event_id TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_user ON sessions (user_id);
