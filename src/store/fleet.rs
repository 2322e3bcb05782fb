//! The fleet bridge's rows (`src/fleet`, docs/fleet.md): sends pulled from the hub, held until
//! claimed fleet-wide, and the outbox of what this appliance publishes.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Error, NewMessage, Store, Tx, ms, ts};

/// Where a pulled send stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetSendState {
    /// Committed and held; the fleet-wide claim is not made yet.
    Claiming,
    /// This appliance owns it: released to the dispatcher.
    Claimed,
    /// Another appliance owns it: cancelled here, never sent.
    Superseded,
}

impl FleetSendState {
    fn as_str(self) -> &'static str {
        match self {
            FleetSendState::Claiming => "claiming",
            FleetSendState::Claimed => "claimed",
            FleetSendState::Superseded => "superseded",
        }
    }

    fn parse(s: &str) -> Result<FleetSendState, Error> {
        match s {
            "claiming" => Ok(FleetSendState::Claiming),
            "claimed" => Ok(FleetSendState::Claimed),
            "superseded" => Ok(FleetSendState::Superseded),
            other => Err(Error::Invalid(format!("fleet send state {other:?}"))),
        }
    }
}

/// One row of the outbox to the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetOut {
    pub id: i64,
    pub subject: String,
    pub payload: String,
}

/// What `smsgate fleet status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetStatus {
    /// The link as the bridge last saw it, with when it changed.
    pub link: Option<(String, Option<String>, Timestamp)>,
    /// Rows not yet acknowledged by the hub.
    pub backlog: u64,
    /// The last row the hub acknowledged: its subject and the hub's sequence in that
    /// subject's stream.
    pub last: Option<(String, u64)>,
    /// Sends held while their claim is made.
    pub claiming: u64,
}

/// A held message is due at the last instant a timestamp can name (9999-12-31): the dispatcher
/// never claims it, and it still reads back as a time.
const HOLD_MS: i64 = 253_402_207_200_000;

impl Store {
    /// Commits a send pulled from the hub, held, under its `msg_id`; a redelivery finds the row
    /// it made before. Returns the message id and where the send stands.
    pub async fn fleet_take(
        &self,
        msg_id: &str,
        msg: NewMessage,
        now: Timestamp,
    ) -> Result<(String, FleetSendState), Error> {
        let msg_id = msg_id.to_owned();
        self.write(move |tx| {
            if let Some(found) = tx.fleet_send(&msg_id)? {
                return Ok(found);
            }
            let rec = tx.enqueue(&msg, now)?;
            let send_at = msg.send_at.map_or(ms(now), ms);
            tx.conn
                .prepare_cached("UPDATE outbound_messages SET send_at = ?2 WHERE id = ?1")?
                .execute(params![rec.id, HOLD_MS])?;
            tx.conn
                .prepare_cached(
                    "INSERT INTO fleet_sends (msg_id, message_id, state, send_at, received_at) \
                     VALUES (?1, ?2, 'claiming', ?3, ?4)",
                )?
                .execute(params![msg_id, rec.id, send_at, ms(now)])?;
            Ok((rec.id, FleetSendState::Claiming))
        })
        .await
    }

    /// Records the outcome of the claim: `Claimed` keeps the message held until
    /// [`Store::fleet_release`] (after the acknowledgement), `Superseded` cancels it. A send
    /// already decided stays as it is.
    pub async fn fleet_decide(
        &self,
        msg_id: &str,
        state: FleetSendState,
        now: Timestamp,
    ) -> Result<(), Error> {
        let msg_id = msg_id.to_owned();
        self.write(move |tx| {
            let Some((message_id, FleetSendState::Claiming)) = tx.fleet_send(&msg_id)? else {
                return Ok(());
            };
            tx.conn
                .prepare_cached("UPDATE fleet_sends SET state = ?2 WHERE msg_id = ?1")?
                .execute(params![msg_id, state.as_str()])?;
            if state == FleetSendState::Superseded {
                // Its copy may have nothing queued left (expired, cancelled by a STOP or by
                // hand): nothing to cancel then, and the decision stands.
                match tx.cancel(&message_id, now) {
                    Ok(_) | Err(Error::InvalidState { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
        .await
    }

    /// Releases claimed sends still held to the dispatcher (each becomes due at its own
    /// time): `msg_id` after its acknowledgement, or with `None` every one (at start); how
    /// many.
    pub async fn fleet_release(&self, msg_id: Option<&str>) -> Result<usize, Error> {
        let msg_id = msg_id.map(str::to_owned);
        self.write(move |tx| {
            let n = tx
                .conn
                .prepare_cached(
                    "UPDATE outbound_messages SET send_at = f.send_at FROM fleet_sends f \
                     WHERE f.message_id = outbound_messages.id AND f.state = 'claimed' \
                     AND (?2 IS NULL OR f.msg_id = ?2) AND outbound_messages.send_at = ?1",
                )?
                .execute(params![HOLD_MS, msg_id])?;
            Ok(n)
        })
        .await
    }

    /// Sends committed but not yet claimed (a restart between the commit and the claim), with
    /// when each was taken.
    pub async fn fleet_claiming(&self) -> Result<Vec<(String, Timestamp)>, Error> {
        self.read(|tx| {
            tx.conn
                .prepare_cached(
                    "SELECT msg_id, received_at FROM fleet_sends WHERE state = 'claiming'",
                )?
                .query_map([], |r| Ok((r.get(0)?, ts(r.get(1)?)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(Error::from)
        })
        .await
    }

    /// The oldest rows not yet acknowledged by the hub, in order.
    pub async fn fleet_pending(&self, limit: usize) -> Result<Vec<FleetOut>, Error> {
        self.read(move |tx| {
            tx.conn
                .prepare_cached(
                    "SELECT id, subject, payload FROM fleet_outbox WHERE forwarded_at IS NULL \
                     ORDER BY id LIMIT ?1",
                )?
                .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                    Ok(FleetOut {
                        id: r.get(0)?,
                        subject: r.get(1)?,
                        payload: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(Error::from)
        })
        .await
    }

    /// The hub acknowledged row `id` as its stream sequence `seq`.
    pub async fn fleet_forwarded(&self, id: i64, seq: u64, now: Timestamp) -> Result<(), Error> {
        self.write(move |tx| {
            tx.conn
                .prepare_cached(
                    "UPDATE fleet_outbox SET forwarded_at = ?2, stream_seq = ?3 WHERE id = ?1",
                )?
                .execute(params![id, ms(now), i64::try_from(seq).unwrap_or(i64::MAX)])?;
            Ok(())
        })
        .await
    }

    /// Records the link's state when it changes.
    pub async fn fleet_link(
        &self,
        state: &str,
        detail: Option<String>,
        now: Timestamp,
    ) -> Result<(), Error> {
        let state = state.to_owned();
        self.write(move |tx| {
            tx.conn
                .prepare_cached(
                    "INSERT INTO fleet_link (id, state, detail, changed_at) VALUES (1, ?1, ?2, ?3) \
                     ON CONFLICT(id) DO UPDATE SET state = excluded.state, \
                     detail = excluded.detail, changed_at = excluded.changed_at",
                )?
                .execute(params![state, detail, ms(now)])?;
            Ok(())
        })
        .await
    }

    /// What `smsgate fleet status` shows.
    pub async fn fleet_status(&self) -> Result<FleetStatus, Error> {
        self.read(|tx| {
            let link = tx
                .conn
                .prepare_cached("SELECT state, detail, changed_at FROM fleet_link WHERE id = 1")?
                .query_row([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .optional()?
                .map(|(s, d, at)| ts(at).map(|at| (s, d, at)))
                .transpose()?;
            let count = |sql: &str| -> Result<u64, Error> {
                let n: i64 = tx.conn.prepare_cached(sql)?.query_row([], |r| r.get(0))?;
                Ok(u64::try_from(n).unwrap_or(0))
            };
            let last: Option<(String, i64)> = tx
                .conn
                .prepare_cached(
                    "SELECT subject, stream_seq FROM fleet_outbox WHERE forwarded_at IS NOT NULL \
                     ORDER BY id DESC LIMIT 1",
                )?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            Ok(FleetStatus {
                link,
                backlog: count("SELECT COUNT(*) FROM fleet_outbox WHERE forwarded_at IS NULL")?,
                last: last.map(|(s, n)| (s, u64::try_from(n).unwrap_or(0))),
                claiming: count("SELECT COUNT(*) FROM fleet_sends WHERE state = 'claiming'")?,
            })
        })
        .await
    }

    /// Recipients due or sending here at `now`, counted up to `cap`: how much the dispatcher
    /// has to do soon (a message scheduled for later, or waiting out a retry, does not count).
    /// Counted on the send queue's indexes, so with a cap it costs the same whatever waits.
    pub async fn queued_recipients(&self, now: Timestamp, cap: u64) -> Result<u64, Error> {
        self.read(move |tx| {
            let cap = i64::try_from(cap).unwrap_or(i64::MAX);
            let n: i64 = tx
                .conn
                .prepare_cached(
                    "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM outbound_recipients \
                             WHERE state = 'sending' LIMIT ?2)) \
                          + (SELECT COUNT(*) FROM (SELECT 1 FROM outbound_queue \
                             WHERE ready = 1 AND due_at <= ?1 LIMIT ?2)) \
                          + (SELECT COUNT(*) FROM (SELECT 1 FROM outbound_queue \
                             WHERE ready = 0 AND due_at <= ?1 LIMIT ?2))",
                )?
                .query_row(params![ms(now), cap], |r| r.get(0))?;
            Ok(u64::try_from(n)
                .unwrap_or(0)
                .min(u64::try_from(cap).unwrap_or(0)))
        })
        .await
    }
}

impl Tx<'_> {
    fn fleet_send(&self, msg_id: &str) -> Result<Option<(String, FleetSendState)>, Error> {
        let row: Option<(String, String)> = self
            .conn
            .prepare_cached("SELECT message_id, state FROM fleet_sends WHERE msg_id = ?1")?
            .query_row([msg_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(m, s)| FleetSendState::parse(&s).map(|s| (m, s)))
            .transpose()
    }

    /// The fleet's id (`Nats-Msg-Id`) of `message_id` and where that send stands, when the
    /// message came from the hub.
    pub fn fleet_send_of(
        &self,
        message_id: &str,
    ) -> Result<Option<(String, FleetSendState)>, Error> {
        let row: Option<(String, String)> = self
            .conn
            .prepare_cached("SELECT msg_id, state FROM fleet_sends WHERE message_id = ?1")?
            .query_row([message_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(m, s)| FleetSendState::parse(&s).map(|s| (m, s)))
            .transpose()
    }

    /// Queues `payload` for the hub on `subject`, inside the transaction of what it reports.
    pub fn fleet_publish(&self, subject: &str, payload: &str, now: Timestamp) -> Result<(), Error> {
        self.conn
            .prepare_cached(
                "INSERT INTO fleet_outbox (subject, payload, created_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![subject, payload, ms(now)])?;
        Ok(())
    }
}
