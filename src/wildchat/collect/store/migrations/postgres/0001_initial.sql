-- The first schema: consents, calls, tombstones.
-- JSON columns are text holding orjson output (not jsonb: jsonb rejects \u0000, which clients may send).
-- Never edit this file: add 0002_*.sql instead.

CREATE TABLE consents (
    consent_id    text PRIMARY KEY,
    key_hash      text NOT NULL UNIQUE,
    terms_version text NOT NULL,
    created_at    timestamptz NOT NULL,
    withdrawn_at  timestamptz
);

CREATE TABLE calls (
    call_id                text PRIMARY KEY,
    consent_id             text NOT NULL,
    received_at            timestamptz NOT NULL,
    completed_at           timestamptz NOT NULL,
    model                  text NOT NULL,
    messages               text NOT NULL,
    stream                 boolean NOT NULL,
    status                 text NOT NULL,
    params                 text NOT NULL,
    time_to_first_token_ms double precision,
    response_text          text,
    finish_reason          text,
    prompt_tokens          bigint,
    completion_tokens      bigint,
    total_tokens           bigint,
    upstream_id            text,
    system_fingerprint     text,
    error                  text,
    headers                text NOT NULL,
    hashed_ip              text,
    country                text,
    state                  text
);

CREATE INDEX calls_consent_id ON calls (consent_id);
CREATE INDEX calls_hashed_ip ON calls (hashed_ip);
-- (received_at, call_id) is the export's keyset order.
CREATE INDEX calls_received_at ON calls (received_at, call_id);

-- A tombstone names what was deleted and when, nothing else: exactly one of consent_id, hashed_ip.
CREATE TABLE tombstones (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    withdrawn_at timestamptz NOT NULL,
    consent_id   text,
    hashed_ip    text,
    CHECK ((consent_id IS NULL) <> (hashed_ip IS NULL))
);
