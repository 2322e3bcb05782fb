-- smsgate store, schema version 4: the support line.
-- Contacts and groups, consent (opt-out) with its history, templates, conversations with their
-- episodes, bulk campaigns, and where each outbound message came from.

-- Where an outbound message came from: 'api' (POST /messages), 'reply' (a staff reply in a
-- conversation), 'auto' (a rule, acknowledgement or opt-out confirmation), 'bulk' (a campaign).
-- Only 'api' and 'reply' count as a person's response in the reports.
ALTER TABLE outbound_messages ADD COLUMN origin TEXT NOT NULL DEFAULT 'api'
    CHECK (origin IN ('api','reply','auto','bulk'));
-- Sent even to an opted-out number, when the config allows transactional messages.
ALTER TABLE outbound_messages ADD COLUMN transactional INTEGER NOT NULL DEFAULT 0;
-- The bulk campaign ("bulk_...") it belongs to.
ALTER TABLE outbound_messages ADD COLUMN campaign TEXT;
CREATE INDEX outbound_messages_campaign ON outbound_messages(campaign) WHERE campaign IS NOT NULL;

-- A number's outbound history (conversations, the flood guard) and its inbound history.
CREATE INDEX outbound_recipients_number ON outbound_recipients(number, created_at);
CREATE INDEX inbound_messages_sender ON inbound_messages(sender, completed_at);

-- The rule that fired for an inbound message, if any (NULL: none, or not processed yet).
ALTER TABLE inbound_messages ADD COLUMN rule TEXT;

CREATE TABLE contacts (
    id              INTEGER PRIMARY KEY,
    number          TEXT    NOT NULL UNIQUE,      -- as messages carry it, e.g. +819012345678
    name            TEXT    NOT NULL DEFAULT '',
    fields          TEXT    NOT NULL DEFAULT '{}', -- JSON object of custom string fields
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE contact_groups (
    grp             TEXT    NOT NULL,
    contact_id      INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    PRIMARY KEY (grp, contact_id)
) WITHOUT ROWID;
CREATE INDEX contact_groups_contact ON contact_groups(contact_id);

-- The current consent of a number; a number with no row has not opted out.
CREATE TABLE consent (
    number          TEXT    PRIMARY KEY,
    opted_out       INTEGER NOT NULL,             -- 1: send nothing but allowed transactional
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;

-- Every consent change, never pruned: who or what changed it and when.
CREATE TABLE consent_log (
    id              INTEGER PRIMARY KEY,
    number          TEXT    NOT NULL,
    opted_out       INTEGER NOT NULL,
    source          TEXT    NOT NULL,             -- 'sms:in_...', 'api:<token>', 'import:<token>'
    at              INTEGER NOT NULL
);
CREATE INDEX consent_log_number ON consent_log(number, at);
CREATE INDEX consent_log_at ON consent_log(at);

-- Templates managed through the API; the config file's [support.templates] are the defaults a
-- row of the same name overrides.
CREATE TABLE templates (
    name            TEXT    PRIMARY KEY,
    body            TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL,
    updated_by      TEXT
) WITHOUT ROWID;

-- One thread per remote number.
CREATE TABLE conversations (
    seq             INTEGER PRIMARY KEY,          -- keyset pagination
    id              TEXT    NOT NULL UNIQUE,      -- "conv_..."
    number          TEXT    NOT NULL UNIQUE,
    state           TEXT    NOT NULL CHECK (state IN ('open','waiting','needs_human','closed')),
    assignee        TEXT,
    tags            TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    notes           TEXT    NOT NULL DEFAULT '',
    unread          INTEGER NOT NULL DEFAULT 0,
    episode         INTEGER NOT NULL,             -- the current episode's id
    last_inbound_at INTEGER,
    last_outbound_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX conversations_state ON conversations(state, seq);

-- From the first inbound message after the conversation was closed (or began) to its closing:
-- the unit of first-response and resolution times.
CREATE TABLE episodes (
    id              INTEGER PRIMARY KEY,
    conversation    TEXT    NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    opened_at       INTEGER NOT NULL,
    first_response_at INTEGER,                    -- first 'api' or 'reply' message after opened_at
    resolved_at     INTEGER                       -- closed at
);
CREATE INDEX episodes_conversation ON episodes(conversation);
CREATE INDEX episodes_first_response ON episodes(first_response_at) WHERE first_response_at IS NOT NULL;
CREATE INDEX episodes_resolved ON episodes(resolved_at) WHERE resolved_at IS NOT NULL;

-- Bulk sends: one row per campaign, its messages carry its id.
CREATE TABLE campaigns (
    id              TEXT    PRIMARY KEY,          -- "bulk_..."
    name            TEXT    NOT NULL DEFAULT '',
    template        TEXT,
    grp             TEXT,
    send_at         INTEGER NOT NULL,
    recipients      INTEGER NOT NULL,             -- messages queued
    skipped         TEXT    NOT NULL DEFAULT '[]', -- JSON [{number, reason}]
    created_by      TEXT,
    created_at      INTEGER NOT NULL
) WITHOUT ROWID;
