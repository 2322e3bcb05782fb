-- Whether the sender asked for status reports (TP-SRR); the API's default is yes.
ALTER TABLE outbound_messages ADD COLUMN status_report INTEGER NOT NULL DEFAULT 1;
