-- The once-a-second expiry sweep reads only messages that can still expire.
CREATE INDEX outbound_messages_expiry ON outbound_messages(expires_at)
    WHERE state IN ('queued', 'sending');
