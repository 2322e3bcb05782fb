-- smsgate store, schema version 1.
-- Times are integer milliseconds since the Unix epoch (UTC).

CREATE TABLE outbound_messages (
    seq             INTEGER PRIMARY KEY,          -- insertion order; keyset pagination
    id              TEXT    NOT NULL UNIQUE,      -- public id, "msg_..."
    idempotency_key TEXT    UNIQUE,               -- client-supplied id, NULL when none
    fingerprint     TEXT    NOT NULL,             -- canonical request, compared on idempotent retries
    body            TEXT    NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 0,   -- higher first
    send_at         INTEGER NOT NULL,
    expires_at      INTEGER,                      -- NULL: never expires
    max_attempts    INTEGER NOT NULL,
    modem           TEXT,                         -- pinned modem, NULL: any
    created_by      TEXT,                         -- API token name
    state           TEXT    NOT NULL,             -- rolled up from the recipients
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX outbound_messages_state ON outbound_messages(state, seq);

CREATE TABLE outbound_recipients (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT    NOT NULL REFERENCES outbound_messages(id) ON DELETE CASCADE,
    idx             INTEGER NOT NULL,
    number          TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN
                        ('queued','sending','sent','delivered','failed','expired','cancelled','unknown')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    modem           TEXT,                         -- modem of the last attempt
    error           TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    delivered_at    INTEGER,
    UNIQUE (message_id, idx)
);
CREATE INDEX outbound_recipients_due ON outbound_recipients(state, next_attempt_at);

CREATE TABLE outbound_parts (
    id              INTEGER PRIMARY KEY,
    recipient_id    INTEGER NOT NULL REFERENCES outbound_recipients(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,             -- 1-based
    total           INTEGER NOT NULL,
    pdu_hex         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending','sent','delivered','failed')),
    mr              INTEGER,                      -- TP-MR from +CMGS
    modem           TEXT,
    sent_at         INTEGER,
    report_at       INTEGER,
    status          INTEGER,                      -- TP-ST of the matched report
    UNIQUE (recipient_id, seq)
);
CREATE INDEX outbound_parts_mr ON outbound_parts(modem, mr, sent_at);

CREATE TABLE delivery_reports (
    id              INTEGER PRIMARY KEY,
    modem           TEXT    NOT NULL,
    mr              INTEGER NOT NULL,
    recipient       TEXT    NOT NULL,
    status          INTEGER NOT NULL,
    outcome         TEXT    NOT NULL CHECK (outcome IN ('delivered','pending','failed')),
    pdu_hex         TEXT    NOT NULL,
    discharge_at    INTEGER,
    received_at     INTEGER NOT NULL,
    part_id         INTEGER REFERENCES outbound_parts(id) ON DELETE SET NULL
);
CREATE INDEX delivery_reports_part ON delivery_reports(part_id);

CREATE TABLE inbound_messages (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,      -- "in_..."
    modem           TEXT    NOT NULL,
    sender          TEXT    NOT NULL,
    reference       INTEGER NOT NULL,
    total           INTEGER NOT NULL,
    parts           INTEGER NOT NULL,             -- parts that arrived
    complete        INTEGER NOT NULL,             -- 0: delivered incomplete after a timeout
    text            TEXT    NOT NULL,
    smsc_at         INTEGER,                      -- service centre time stamp of the first part
    first_received_at INTEGER NOT NULL,
    completed_at    INTEGER NOT NULL,
    processed_at    INTEGER                       -- rules ran; NULL: still to do (after a restart too)
);
CREATE INDEX inbound_messages_unprocessed ON inbound_messages(seq) WHERE processed_at IS NULL;

CREATE TABLE inbound_parts (
    id              INTEGER PRIMARY KEY,
    modem           TEXT    NOT NULL,
    sender          TEXT    NOT NULL,
    reference       INTEGER NOT NULL,
    total           INTEGER NOT NULL,
    seq             INTEGER NOT NULL,             -- 1-based
    pdu_hex         TEXT    NOT NULL,
    text            TEXT    NOT NULL,             -- decoded by the caller
    smsc_at         INTEGER,
    received_at     INTEGER NOT NULL,
    message_id      TEXT    REFERENCES inbound_messages(id) ON DELETE SET NULL,
    UNIQUE (modem, sender, reference, total, seq, pdu_hex)
);
CREATE INDEX inbound_parts_pending ON inbound_parts(modem, sender, reference, total, message_id);

CREATE TABLE webhook_events (
    id              INTEGER PRIMARY KEY,
    endpoint        TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending','delivered','failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
CREATE INDEX webhook_events_due ON webhook_events(state, next_attempt_at);

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    token           TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    target          TEXT
);
