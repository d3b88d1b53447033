-- Times are Unix milliseconds in every engine, so both engines compare and
-- sort them the same way.
CREATE TABLE bars (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    is_open    INTEGER NOT NULL,
    config     TEXT NOT NULL,            -- JSON: menu, limits, timeouts, sign-in mode, time zone
    active     INTEGER NOT NULL DEFAULT 0, -- orders waiting, queued or making: the capacity check
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    event_id      TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);

CREATE TABLE customers (
    id         TEXT PRIMARY KEY,
    email      TEXT UNIQUE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE signin_codes (
    email      TEXT PRIMARY KEY,
    code_hash  TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE qr_codes (
    event_id     TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    window_end   INTEGER NOT NULL,
    code         TEXT NOT NULL UNIQUE,
    uses_left    INTEGER NOT NULL CHECK (uses_left >= 0),
    PRIMARY KEY (event_id, window_start)
);

CREATE TABLE counters (
    event_id TEXT NOT NULL,
    day      TEXT NOT NULL, -- '' unless the bar resets numbers daily
    value    INTEGER NOT NULL,
    PRIMARY KEY (event_id, day)
);

CREATE TABLE customer_days (
    event_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    day      TEXT NOT NULL,
    n        INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (event_id, user_id, day)
);

CREATE TABLE orders (
    id           TEXT PRIMARY KEY,
    event_id     TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    state        TEXT NOT NULL,
    cause        TEXT NOT NULL DEFAULT '',
    number       INTEGER NOT NULL DEFAULT 0,
    number_day   TEXT NOT NULL DEFAULT '',
    drink        TEXT,
    barista_id   TEXT NOT NULL DEFAULT '',
    barista_name TEXT NOT NULL DEFAULT '',
    day          TEXT NOT NULL,
    exempt       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    submitted_at INTEGER,
    made_at      INTEGER,
    finished_at  INTEGER,
    deadline_at  INTEGER,
    version      INTEGER NOT NULL
);
CREATE INDEX orders_event_state ON orders (event_id, state, number);
CREATE INDEX orders_user ON orders (user_id, created_at);
CREATE INDEX orders_deadline ON orders (deadline_at) WHERE deadline_at IS NOT NULL;
CREATE INDEX orders_finished ON orders (event_id, finished_at) WHERE finished_at IS NOT NULL;
CREATE UNIQUE INDEX orders_number ON orders (event_id, number_day, number) WHERE number > 0;

CREATE TABLE order_history (
    order_id   TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    trigger    TEXT NOT NULL,
    actor      TEXT NOT NULL,
    PRIMARY KEY (order_id, seq)
);

CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    event_id     TEXT NOT NULL,
    order_id     TEXT NOT NULL DEFAULT '',
    detail_type  TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_order ON outbox (order_id) WHERE order_id <> '';

-- One row that the relay locks so only one replica publishes at a time,
-- which keeps the outbox order on the stream.
CREATE TABLE relay_lock (id INTEGER PRIMARY KEY);
INSERT INTO relay_lock (id) VALUES (1);
