-- Values the deployment keeps for itself, which every replica must share:
-- the key that signs the events presso puts on the bus, and what the relay
-- last knew of the stream (its epoch, creation time and last sequence), so
-- a start-up can tell a stream that was lost or rewound.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
