//! A number's recent history, as the flood and loop guard needs it, and the rule an inbound
//! message fired.

use jiff::Timestamp;
use rusqlite::params;

use super::{Error, Tx, ms, ts};

impl Tx<'_> {
    /// When automatic replies to `number` were queued since `since`, oldest first (the flood
    /// guard's window).
    pub fn auto_replies_since(
        &self,
        number: &str,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>, Error> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.created_at FROM outbound_recipients r \
             JOIN outbound_messages m ON m.id = r.message_id \
             WHERE r.number = ?1 AND r.created_at >= ?2 AND m.origin = 'auto' \
             ORDER BY r.created_at",
        )?;
        let rows = stmt.query_map(params![number, ms(since)], |r| ts(r.get(0)?))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// When messages from `sender` were completed since `since`, oldest first.
    pub fn inbound_since(&self, sender: &str, since: Timestamp) -> Result<Vec<Timestamp>, Error> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT completed_at FROM inbound_messages WHERE sender = ?1 AND completed_at >= ?2 \
             ORDER BY completed_at",
        )?;
        let rows = stmt.query_map(params![sender, ms(since)], |r| ts(r.get(0)?))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Records which rule fired for inbound message `id`.
    pub fn set_inbound_rule(&self, id: &str, rule: &str) -> Result<(), Error> {
        self.conn
            .prepare_cached("UPDATE inbound_messages SET rule = ?2 WHERE id = ?1")?
            .execute(params![id, rule])?;
        Ok(())
    }
}
