-- The compatibility APIs' own state (src/compat).

-- A message its sender asked to go as UCS-2 even where GSM 7-bit would do (Kannel's coding=2).
ALTER TABLE outbound_messages ADD COLUMN ucs2 INTEGER NOT NULL DEFAULT 0;

-- Webhooks registered through SMS Gateway for Android's `/webhooks`: one event each, as in the
-- app. Their deliveries are webhook_events rows whose kind starts with `smsgate-app:`.
CREATE TABLE compat_webhooks (
    id              TEXT    PRIMARY KEY,
    url             TEXT    NOT NULL,
    event           TEXT    NOT NULL,
    device_id       TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX compat_webhooks_event ON compat_webhooks(event);

-- A Kannel `dlr-url` and `dlr-mask` given to sendsms, kept with the message they report on.
-- The URL keeps its escapes: they are expanded per report (webhook_events kind `kannel:dlr`).
CREATE TABLE compat_kannel_dlr (
    message_id      TEXT    PRIMARY KEY REFERENCES outbound_messages(id) ON DELETE CASCADE,
    url             TEXT    NOT NULL,
    mask            INTEGER NOT NULL,
    sender          TEXT,                         -- sendsms `from`, for %P
    coding          INTEGER NOT NULL DEFAULT 0,   -- for %c
    charset         TEXT                          -- for %C
) WITHOUT ROWID;
