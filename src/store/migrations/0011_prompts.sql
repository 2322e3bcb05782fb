-- Prompts managed through the API (PUT /api/v1/prompts): name -> the spec as JSON, as the
-- config's [[prompts]] entries are written. One of these overrides the config's of its name.
CREATE TABLE prompts (
    name            TEXT    PRIMARY KEY,
    spec            TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;

-- Prompts sent: messages that expect an answer from that number within a window
-- (src/rules/prompt.rs, src/store/prompts.rs).
CREATE TABLE prompts_sent (
    id              TEXT    PRIMARY KEY,          -- "pr_..."
    name            TEXT    NOT NULL,             -- the [[prompts]] entry
    kind            TEXT    NOT NULL CHECK (kind IN ('csat', 'nps', 'choice')),
    number          TEXT    NOT NULL,
    ref             TEXT,                         -- the caller's id (a call, a CRM record)
    message_id      TEXT    REFERENCES outbound_messages(id) ON DELETE SET NULL,
    episode         INTEGER,                      -- survey_on_close: the episode it closed
    assignee        TEXT,                         -- survey_on_close: who resolved it
    -- failed: the question was not sent (failed, expired, cancelled), found by the expiry sweep.
    state           TEXT    NOT NULL CHECK (state IN ('waiting', 'answered', 'expired', 'failed')),
    answer          TEXT,                         -- the customer's text
    score           INTEGER,
    choice          TEXT,
    reasked         INTEGER NOT NULL DEFAULT 0,
    sent_at         INTEGER NOT NULL,             -- the question's send_at: the window opens
    expires_at      INTEGER NOT NULL,
    answered_at     INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX prompts_sent_waiting ON prompts_sent(number, sent_at) WHERE state = 'waiting';
CREATE INDEX prompts_sent_expiry ON prompts_sent(expires_at) WHERE state = 'waiting';
CREATE INDEX prompts_sent_at ON prompts_sent(sent_at);
CREATE INDEX prompts_sent_message ON prompts_sent(message_id);
-- One survey per closed episode.
CREATE UNIQUE INDEX prompts_sent_episode ON prompts_sent(episode, name) WHERE episode IS NOT NULL;
