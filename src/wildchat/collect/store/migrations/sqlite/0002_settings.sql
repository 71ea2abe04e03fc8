-- Small facts about the store itself, e.g. the fingerprint of the salt its hashed_ip values were made
-- with, so that a gateway started with another salt refuses instead of silently changing pseudonyms.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
