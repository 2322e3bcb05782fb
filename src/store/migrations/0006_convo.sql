-- smsgate store: conversations and daily reports. Indexes only.

-- The daily report counts recipients by the day they were accepted and inbound messages by the
-- day they were assembled; without these each report scanned both tables whole.
CREATE INDEX outbound_recipients_created ON outbound_recipients(created_at);
CREATE INDEX inbound_messages_completed ON inbound_messages(completed_at);
-- The desk's inbox: conversations by last activity, keyset-paginated on (updated_at, seq).
CREATE INDEX conversations_activity ON conversations(updated_at, seq);
