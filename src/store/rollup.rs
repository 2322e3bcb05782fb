//! The state roll-up: a recipient's state decides its message's. Every module that changes a
//! recipient's state (sending, reports, consent, expiry, cancel) stores the message's new state
//! through [`update_rollup`] in the same transaction, so they share this module and need not
//! know each other.

use jiff::Timestamp;
use rusqlite::{Connection, params};

use super::types::State;
use super::{Error, ms};

/// A message's state from its recipients' states.
///
/// All alike: that state. Otherwise the first present of `sending`, `queued`, `unknown`, `sent`
/// (work remains or is in doubt), then, for a mix of final states, `failed`, `expired`,
/// `cancelled`. So a message is `delivered` only when every recipient is (and a recipient only
/// when every part is).
pub fn rollup(states: impl IntoIterator<Item = State>) -> State {
    let mut seen = [false; State::ALL.len()];
    let mut count = 0;
    for s in states {
        seen[s as usize] = true;
        count += 1;
    }
    if count == 0 {
        return State::Queued;
    }
    let distinct: Vec<State> = State::ALL
        .into_iter()
        .filter(|s| seen[*s as usize])
        .collect();
    if let [only] = distinct.as_slice() {
        return *only;
    }
    [
        State::Sending,
        State::Queued,
        State::Unknown,
        State::Sent,
        State::Failed,
        State::Expired,
        State::Cancelled,
    ]
    .into_iter()
    .find(|s| seen[*s as usize])
    .unwrap_or(State::Delivered)
}

/// Recomputes and stores a message's rolled-up state.
pub(crate) fn update_rollup(
    conn: &Connection,
    message_id: &str,
    now: Timestamp,
) -> Result<State, Error> {
    let mut stmt =
        conn.prepare_cached("SELECT state FROM outbound_recipients WHERE message_id = ?1")?;
    let states = stmt
        .query_map([message_id], |r| r.get::<_, State>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let state = rollup(states);
    conn.prepare_cached(
        "UPDATE outbound_messages SET state = ?2, updated_at = ?3 WHERE id = ?1 AND state != ?2",
    )?
    .execute(params![message_id, state, ms(now)])?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollup_table() {
        use State::*;
        let cases: &[(&[State], State)] = &[
            (&[], Queued),
            (&[Delivered], Delivered),
            (&[Delivered, Delivered], Delivered),
            (&[Delivered, Sent], Sent),
            (&[Queued, Sending], Sending),
            (&[Queued, Delivered], Queued),
            (&[Unknown, Delivered], Unknown),
            (&[Failed, Delivered], Failed),
            (&[Expired, Cancelled], Expired),
            (&[Cancelled, Delivered], Cancelled),
        ];
        for (states, want) in cases {
            assert_eq!(rollup(states.iter().copied()), *want, "{states:?}");
        }
    }
}
