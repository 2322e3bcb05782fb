-- Rules managed through the API (PUT /api/v1/rules), in evaluation order after the config
-- file's. The spec is the rule's JSON as the API takes it; the store does not interpret it.
CREATE TABLE rules (
    position   INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    spec       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT
);
