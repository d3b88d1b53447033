-- The admin console (issue 9). A disabled account cannot sign in; the
-- last sign-in is shown in the staff list.
ALTER TABLE staff ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN last_sign_in_at INTEGER;

-- QR windows are aligned to qr_epoch (Unix ms; 0 is the Unix epoch). A
-- rotation moves it to "now", so every replica computes the same windows.
ALTER TABLE bars ADD COLUMN qr_epoch INTEGER NOT NULL DEFAULT 0;

-- Who changed what, written in the same transaction as the change.
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    event_id    TEXT NOT NULL DEFAULT '', -- '' for a change that belongs to no bar (an admin account)
    target      TEXT NOT NULL,
    before_json TEXT,                    -- JSON summary, NULL when there is none
    after_json  TEXT
);
CREATE INDEX audit_event ON audit (event_id, seq);

-- One-time links and codes that sign a screen in as a bar's display. Only
-- hashes are stored.
CREATE TABLE pairings (
    code_hash  TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    event_id   TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX pairings_expires ON pairings (expires_at);
