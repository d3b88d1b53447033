-- Every order transition appends to order_history and outbox, and each
-- b-tree it touches is one more page written to the WAL at commit: a
-- transition wrote about 16 pages. Two of them bought nothing:
--   * outbox's AUTOINCREMENT rewrote sqlite_sequence on every insert. Rows
--     are never deleted from the outbox, so a plain INTEGER PRIMARY KEY
--     (the largest seq plus one) never reuses a seq either.
--   * order_history kept its rows in a rowid table plus an index on its
--     primary key; WITHOUT ROWID keeps them in the one b-tree, in the
--     order History reads them.
-- (PostgreSQL needs neither: BIGSERIAL keeps no such table, and its heap
-- with a primary-key index is what it always does.)

CREATE TABLE outbox_lean (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    event_id     TEXT NOT NULL,
    order_id     TEXT NOT NULL DEFAULT '',
    detail_type  TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    published_at INTEGER
);
-- The new table's columns are the old one's, in the same order.
INSERT INTO outbox_lean SELECT * FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_lean RENAME TO outbox;
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_order ON outbox (order_id) WHERE order_id <> '';

CREATE TABLE order_history_lean (
    order_id   TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    trigger    TEXT NOT NULL,
    actor      TEXT NOT NULL,
    PRIMARY KEY (order_id, seq)
) WITHOUT ROWID;
INSERT INTO order_history_lean SELECT * FROM order_history;
DROP TABLE order_history;
ALTER TABLE order_history_lean RENAME TO order_history;
