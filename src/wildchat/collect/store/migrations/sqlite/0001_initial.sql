-- The first schema: consents, calls, tombstones.
-- Timestamps are UTC ISO-8601 text with microseconds and a trailing Z (fixed width, so text order
-- is time order). JSON columns hold orjson output. Never edit this file: add 0002_*.sql instead.

CREATE TABLE consents (
    consent_id    TEXT PRIMARY KEY,
    key_hash      TEXT NOT NULL UNIQUE,
    terms_version TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    withdrawn_at  TEXT
);

CREATE TABLE calls (
    call_id                TEXT PRIMARY KEY,
    consent_id             TEXT NOT NULL,
    received_at            TEXT NOT NULL,
    completed_at           TEXT NOT NULL,
    model                  TEXT NOT NULL,
    messages               TEXT NOT NULL,
    stream                 INTEGER NOT NULL,
    status                 TEXT NOT NULL,
    params                 TEXT NOT NULL,
    time_to_first_token_ms REAL,
    response_text          TEXT,
    finish_reason          TEXT,
    prompt_tokens          INTEGER,
    completion_tokens      INTEGER,
    total_tokens           INTEGER,
    upstream_id            TEXT,
    system_fingerprint     TEXT,
    error                  TEXT,
    headers                TEXT NOT NULL,
    hashed_ip              TEXT,
    country                TEXT,
    state                  TEXT
);

CREATE INDEX calls_consent_id ON calls (consent_id);
CREATE INDEX calls_hashed_ip ON calls (hashed_ip);
-- (received_at, call_id) is the export's keyset order.
CREATE INDEX calls_received_at ON calls (received_at, call_id);

-- A tombstone names what was deleted and when, nothing else: exactly one of consent_id, hashed_ip.
CREATE TABLE tombstones (
    withdrawn_at TEXT NOT NULL,
    consent_id   TEXT,
    hashed_ip    TEXT,
    CHECK ((consent_id IS NULL) <> (hashed_ip IS NULL))
);
