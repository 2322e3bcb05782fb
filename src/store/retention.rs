//! Retention (`[storage] retention_days`): finished records older than a
//! cut-off are deleted. Queued, sending and `unknown` messages (the last
//! waits for a person) and incomplete inbound parts younger than the
//! cut-off are kept.

use jiff::Timestamp;

use super::{Error, Store};

/// Rows deleted by [`Store::prune`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub outbound: usize,
    pub inbound: usize,
    pub events: usize,
}

impl Store {
    /// Deletes what finished before `cutoff`.
    pub async fn prune(&self, cutoff: Timestamp) -> Result<Pruned, Error> {
        let ms = cutoff.as_millisecond();
        self.write(move |tx| {
            let c = tx.conn;
            // Recipients and parts go with their message (ON DELETE CASCADE).
            let outbound = c.execute(
                "DELETE FROM outbound_messages WHERE updated_at < ?1 \
                 AND state IN ('sent','delivered','failed','expired','cancelled')",
                [ms],
            )?;
            c.execute("DELETE FROM delivery_reports WHERE received_at < ?1", [ms])?;
            c.execute(
                "DELETE FROM prompts_sent WHERE created_at < ?1 AND state <> 'waiting'",
                [ms],
            )?;
            // What the hub has acknowledged is the hub's.
            c.execute(
                "DELETE FROM fleet_outbox WHERE created_at < ?1 AND forwarded_at IS NOT NULL",
                [ms],
            )?;
            let inbound = c.execute(
                "DELETE FROM inbound_messages WHERE completed_at < ?1 AND processed_at IS NOT NULL",
                [ms],
            )?;
            c.execute(
                "DELETE FROM inbound_parts WHERE received_at < ?1 AND message_id IS NULL",
                [ms],
            )?;
            let events = c.execute(
                "DELETE FROM webhook_events WHERE created_at < ?1 AND state <> 'pending'",
                [ms],
            )?;
            Ok(Pruned {
                outbound,
                inbound,
                events,
            })
        })
        .await
    }
}
