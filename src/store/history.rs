//! A number's recent history, as the flood and loop guard needs it, and the rule an inbound
//! message fired.

use jiff::Timestamp;
use rusqlite::{Connection, params};

use super::{Error, ms, ts};

/// When automatic replies ([`Origin::Auto`](super::Origin::Auto)) to `number` were queued at
/// or after `since`, oldest first.
pub(crate) fn auto_replies_since(
    conn: &Connection,
    number: &str,
    since: Timestamp,
) -> Result<Vec<Timestamp>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.created_at FROM outbound_recipients r \
         JOIN outbound_messages m ON m.id = r.message_id \
         WHERE r.number = ?1 AND r.created_at >= ?2 AND m.origin = 'auto' \
         ORDER BY r.created_at",
    )?;
    let rows = stmt.query_map(params![number, ms(since)], |r| ts(r.get(0)?))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// When messages from `sender` were completed at or after `since`, oldest first.
pub(crate) fn inbound_since(
    conn: &Connection,
    sender: &str,
    since: Timestamp,
) -> Result<Vec<Timestamp>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT completed_at FROM inbound_messages WHERE sender = ?1 AND completed_at >= ?2 \
         ORDER BY completed_at",
    )?;
    let rows = stmt.query_map(params![sender, ms(since)], |r| ts(r.get(0)?))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Records which rule fired for inbound message `id`.
pub(crate) fn set_inbound_rule(conn: &Connection, id: &str, rule: &str) -> Result<(), Error> {
    conn.prepare_cached("UPDATE inbound_messages SET rule = ?2 WHERE id = ?1")?
        .execute(params![id, rule])?;
    Ok(())
}
