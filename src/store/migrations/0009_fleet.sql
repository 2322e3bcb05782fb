-- The fleet bridge's state (src/fleet, docs/fleet.md).

-- Sends pulled from the hub's SMS_OUT stream. A send is committed here (its message held, not
-- yet due) before it is claimed fleet-wide and acknowledged; the claim releases or cancels it.
CREATE TABLE fleet_sends (
    msg_id          TEXT    PRIMARY KEY,          -- Nats-Msg-Id (the client's id)
    message_id      TEXT    NOT NULL REFERENCES outbound_messages(id) ON DELETE CASCADE,
    state           TEXT    NOT NULL CHECK (state IN ('claiming', 'claimed', 'superseded')),
    send_at         INTEGER NOT NULL,             -- when it may go once claimed
    received_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX fleet_sends_claiming ON fleet_sends(state) WHERE state = 'claiming';
CREATE INDEX fleet_sends_message ON fleet_sends(message_id);

-- What this appliance publishes to the hub (received messages, events), written in the
-- transaction of what it reports and published in id order; the id is the Nats-Msg-Id.
CREATE TABLE fleet_outbox (
    id              INTEGER PRIMARY KEY,
    subject         TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    forwarded_at    INTEGER,
    stream_seq      INTEGER                       -- the hub's sequence in its PubAck
);
CREATE INDEX fleet_outbox_pending ON fleet_outbox(id) WHERE forwarded_at IS NULL;

-- The link as the bridge last saw it, for `smsgate fleet status` (one row).
CREATE TABLE fleet_link (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    state           TEXT    NOT NULL,
    detail          TEXT,
    changed_at      INTEGER NOT NULL
);
