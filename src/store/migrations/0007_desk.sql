-- smsgate store, schema version 7: the desk's staff accounts and sessions, and search.

-- Staff who log in to the desk. The password is an Argon2id PHC string; never the password.
CREATE TABLE users (
    name            TEXT    PRIMARY KEY,
    role            TEXT    NOT NULL CHECK (role IN ('admin','agent')),
    password        TEXT    NOT NULL,
    lang            TEXT    CHECK (lang IN ('en','ja')), -- NULL: from Accept-Language
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;

-- Desk sessions. The cookie carries a random token; only its SHA-256 is stored, so a copy of
-- the database (a backup) does not let anyone in.
CREATE TABLE sessions (
    token_hash      TEXT    PRIMARY KEY,
    user            TEXT    NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    csrf            TEXT    NOT NULL,             -- the token every form and htmx request carries
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Message text search for the desk. The trigram tokenizer matches any substring of 3 or more
-- characters, which is what Japanese needs (no spaces between words). The rowid names the
-- message: 2*seq for inbound_messages, 2*seq+1 for outbound_messages, so the triggers below
-- find a row by key when retention deletes a message.
CREATE VIRTUAL TABLE message_search USING fts5(text, tokenize = 'trigram');
INSERT INTO message_search(rowid, text) SELECT 2 * seq, text FROM inbound_messages;
INSERT INTO message_search(rowid, text) SELECT 2 * seq + 1, body FROM outbound_messages;

CREATE TRIGGER inbound_search_insert AFTER INSERT ON inbound_messages BEGIN
    INSERT INTO message_search(rowid, text) VALUES (2 * NEW.seq, NEW.text);
END;
CREATE TRIGGER inbound_search_update AFTER UPDATE OF text ON inbound_messages BEGIN
    DELETE FROM message_search WHERE rowid = 2 * OLD.seq;
    INSERT INTO message_search(rowid, text) VALUES (2 * NEW.seq, NEW.text);
END;
CREATE TRIGGER inbound_search_delete AFTER DELETE ON inbound_messages BEGIN
    DELETE FROM message_search WHERE rowid = 2 * OLD.seq;
END;
CREATE TRIGGER outbound_search_insert AFTER INSERT ON outbound_messages BEGIN
    INSERT INTO message_search(rowid, text) VALUES (2 * NEW.seq + 1, NEW.body);
END;
CREATE TRIGGER outbound_search_delete AFTER DELETE ON outbound_messages BEGIN
    DELETE FROM message_search WHERE rowid = 2 * OLD.seq + 1;
END;
