-- The send queue at campaign scale (docs/architecture.md, "The send queue").

-- One row per queued recipient that may be sent: the sort key of a claim copied from its
-- message, so the next due recipient is the first entry of an index instead of the result of
-- sorting every queued row. Kept in step with outbound_recipients and outbound_messages by the
-- triggers below, inside the transaction of every change.
--
-- `ready` splits the queue in two: due rows (1), found by priority then age in
-- outbound_queue_next; rows waiting for their time (0), made ready by the claim when it comes,
-- most urgent first (outbound_queue_promote), and counted by time (outbound_queue_waiting).
CREATE TABLE outbound_queue (
    recipient_id    INTEGER PRIMARY KEY REFERENCES outbound_recipients(id) ON DELETE CASCADE,
    pin             TEXT    NOT NULL,             -- the modem the message is pinned to, '' for any
    priority        INTEGER NOT NULL,
    msg_seq         INTEGER NOT NULL,             -- the message's seq: its age
    idx             INTEGER NOT NULL,             -- the recipient's place in its message
    due_at          INTEGER NOT NULL,             -- max(send_at, next_attempt_at)
    expires_at      INTEGER,
    ready           INTEGER NOT NULL
);
CREATE INDEX outbound_queue_next ON outbound_queue(pin, priority DESC, msg_seq, idx) WHERE ready = 1;
CREATE INDEX outbound_queue_waiting ON outbound_queue(due_at) WHERE ready = 0;
-- Waiting rows made ready most urgent first: per priority, oldest due first.
CREATE INDEX outbound_queue_promote ON outbound_queue(priority, due_at) WHERE ready = 0;

-- A campaign is inserted in chunks: `creating` until its last chunk commits (its messages are
-- not in outbound_queue yet, so none is sent), `releasing` while its messages enter the queue,
-- then `created`. At start a `creating` one is discarded and a `releasing` one released.
ALTER TABLE campaigns ADD COLUMN state TEXT NOT NULL DEFAULT 'created'
    CHECK (state IN ('creating', 'releasing', 'created', 'discarded'));
-- The seq of the last message released into the queue.
ALTER TABLE campaigns ADD COLUMN released_seq INTEGER NOT NULL DEFAULT 0;

-- A recipient enters the queue when queued, unless its campaign is still being created. It is
-- ready at once when due at the time of the change (created_at, updated_at: the writer's now).
CREATE TRIGGER outbound_queue_insert AFTER INSERT ON outbound_recipients
WHEN NEW.state = 'queued' BEGIN
    INSERT INTO outbound_queue (recipient_id, pin, priority, msg_seq, idx, due_at, expires_at, ready)
    SELECT NEW.id, COALESCE(m.modem, ''), m.priority, m.seq, NEW.idx,
           MAX(m.send_at, NEW.next_attempt_at), m.expires_at,
           MAX(m.send_at, NEW.next_attempt_at) <= NEW.created_at
    FROM outbound_messages m
    WHERE m.id = NEW.message_id
      AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = m.campaign AND c.state = 'creating');
END;

CREATE TRIGGER outbound_queue_requeue AFTER UPDATE OF state, next_attempt_at ON outbound_recipients
WHEN NEW.state = 'queued' BEGIN
    INSERT OR REPLACE INTO outbound_queue
        (recipient_id, pin, priority, msg_seq, idx, due_at, expires_at, ready)
    SELECT NEW.id, COALESCE(m.modem, ''), m.priority, m.seq, NEW.idx,
           MAX(m.send_at, NEW.next_attempt_at), m.expires_at,
           MAX(m.send_at, NEW.next_attempt_at) <= NEW.updated_at
    FROM outbound_messages m
    WHERE m.id = NEW.message_id
      AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = m.campaign AND c.state = 'creating');
END;

CREATE TRIGGER outbound_queue_leave AFTER UPDATE OF state ON outbound_recipients
WHEN OLD.state = 'queued' AND NEW.state <> 'queued' BEGIN
    DELETE FROM outbound_queue WHERE recipient_id = NEW.id;
END;

-- A change to a message's time, priority, pin or expiry (the fleet's hold and release) moves
-- its queued recipients; the next claim makes them ready if they are due.
CREATE TRIGGER outbound_queue_message AFTER UPDATE OF send_at, priority, modem, expires_at
ON outbound_messages BEGIN
    UPDATE outbound_queue
    SET pin = COALESCE(NEW.modem, ''), priority = NEW.priority, expires_at = NEW.expires_at,
        due_at = MAX(NEW.send_at,
                     (SELECT r.next_attempt_at FROM outbound_recipients r
                      WHERE r.id = outbound_queue.recipient_id)),
        ready = 0
    WHERE recipient_id IN
        (SELECT id FROM outbound_recipients WHERE message_id = NEW.id AND state = 'queued');
END;

INSERT INTO outbound_queue (recipient_id, pin, priority, msg_seq, idx, due_at, expires_at, ready)
SELECT r.id, COALESCE(m.modem, ''), m.priority, m.seq, r.idx,
       MAX(m.send_at, r.next_attempt_at), m.expires_at, 0
FROM outbound_recipients r JOIN outbound_messages m ON m.id = r.message_id
WHERE r.state = 'queued';

-- Listing filters, each answered from an index in one query: a recipient's messages newest
-- first, a sender's, and where `since` starts.
CREATE INDEX outbound_recipients_number_id ON outbound_recipients(number, id);
CREATE INDEX inbound_messages_sender_seq ON inbound_messages(sender, seq);
CREATE INDEX outbound_messages_created ON outbound_messages(created_at);

-- Campaign messages stay out of the desk's text search. A campaign sends one text to thousands:
-- indexing each copy was most of the work of queueing it, and a search for any of its words
-- matched every recipient, crowding out the conversations staff look for. The campaign itself
-- (GET /api/v1/bulk/{id}) says who was sent what.
DROP TRIGGER outbound_search_insert;
CREATE TRIGGER outbound_search_insert AFTER INSERT ON outbound_messages
WHEN NEW.origin <> 'bulk' BEGIN
    INSERT INTO message_search(rowid, text) VALUES (2 * NEW.seq + 1, NEW.body);
END;
DELETE FROM message_search
WHERE rowid IN (SELECT 2 * seq + 1 FROM outbound_messages WHERE origin = 'bulk');
