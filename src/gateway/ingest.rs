//! The inbox ingester: every part a modem hands over is committed to the
//! store before the modem may delete it (the acknowledgement); completed
//! messages are then handed to the [`Processor`](super::process::Processor),
//! and status reports are matched to the part they report on and rolled up to
//! the message, with the `message.delivered` / `message.failed` event in the
//! same transaction. A modem's status changes become `modem.state` events.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use serde_json::json;

use super::{Clock, Events};
use crate::modem::{ModemEvent, ModemStatus, ReceivedPart};
use crate::phone::{self, Region};
use crate::sms::tpdu::{Deliver, StatusClass, StatusReport, Tpdu};
use crate::sms::udh::Udh;
use crate::store::{
    InboundMessage, InboundOutcome, NewInboundPart, NewStatusReport, ReportOutcome, State, Store,
};

/// How long after sending a status report may still match its part.
pub const REPORT_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// Parts of a message still missing after this are given up: the message is
/// delivered with what arrived, marked incomplete.
pub const REASSEMBLY_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

pub struct Ingester {
    store: Store,
    clock: Arc<dyn Clock>,
    events: Events,
    /// Completed inbound messages, for processing. Sent with backpressure, never dropped; a
    /// message committed but not yet processed when the service stops is processed at start.
    received: mpsc::Sender<InboundMessage>,
    /// The default region senders are normalised in (`[support] country`).
    region: Option<Region>,
}

impl Ingester {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        events: Events,
        received: mpsc::Sender<InboundMessage>,
    ) -> Self {
        Ingester {
            store,
            clock,
            events,
            received,
            region: None,
        }
    }

    /// Stores national-format senders (`09012345678`) in E.164 in `region`, so a customer's
    /// messages meet their contact, conversation and consent whichever form the network used;
    /// likewise a status report's recipient, so it meets the number its message was sent to
    /// ([`phone::received`]). Without it addresses are stored as the network sent them.
    pub fn with_region(mut self, region: Option<Region>) -> Self {
        self.region = region;
        self
    }

    /// Takes events from every modem until the channel closes or `cancel`.
    pub async fn run(self, mut events: mpsc::Receiver<ModemEvent>, cancel: CancellationToken) {
        let mut sweep = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                ev = events.recv() => match ev {
                    Some(ModemEvent::Received { part, ack }) => {
                        if self.store_part(&part).await {
                            // Only now may the modem delete it.
                            let _ = ack.send(());
                        }
                    }
                    Some(ModemEvent::Status(s)) => self.modem_state(s).await,
                    None => return,
                },
                _ = sweep.tick() => self.flush_stale().await,
            }
        }
    }

    /// Stores one received part; true once it is committed.
    async fn store_part(&self, part: &ReceivedPart) -> bool {
        let now = self.clock.now();
        match &part.tpdu {
            Ok(Tpdu::Deliver(d)) => self.deliver(part, d).await,
            Ok(Tpdu::StatusReport(r)) => self.report(part, r).await,
            // A SUBMIT copy in storage is not a received message.
            Ok(Tpdu::Submit(_)) => true,
            Err(why) => {
                // Undecodable, yet never dropped: kept with its PDU for a
                // person to look at.
                tracing::warn!(modem = %part.modem, error = %why, pdu = %part.pdu, "undecodable PDU stored as is");
                let p = NewInboundPart {
                    modem: part.modem.clone(),
                    sender: String::new(),
                    reference: 0,
                    total: 1,
                    seq: 1,
                    pdu_hex: part.pdu.clone(),
                    text: String::new(),
                    smsc_at: None,
                };
                self.insert(p, now).await
            }
        }
    }

    async fn deliver(&self, part: &ReceivedPart, d: &Deliver) -> bool {
        let concat =
            d.ud.udh
                .as_ref()
                .and_then(Udh::concat)
                .filter(|c| c.total > 1);
        let text = d.ud.text().unwrap_or_else(|| {
            // 8-bit data: kept as hex so nothing is lost.
            d.ud.body_hex()
        });
        let p = NewInboundPart {
            modem: part.modem.clone(),
            sender: phone::received(&d.oa, self.region.as_ref()),
            reference: concat.map_or(0, |c| c.reference),
            total: concat.map_or(1, |c| c.total),
            seq: concat.map_or(1, |c| c.sequence),
            pdu_hex: part.pdu.clone(),
            text,
            smsc_at: jiff::Timestamp::from_second(d.scts.unix_seconds()).ok(),
        };
        self.insert(p, self.clock.now()).await
    }

    async fn insert(&self, p: NewInboundPart, now: jiff::Timestamp) -> bool {
        match self.store.insert_inbound_part(p, now).await {
            Ok(InboundOutcome::Completed(m)) => {
                self.completed(m).await;
                true
            }
            Ok(InboundOutcome::Stored | InboundOutcome::Duplicate) => true,
            Err(e) => {
                tracing::error!(error = %e, "storing a received part failed; left on the modem");
                false
            }
        }
    }

    async fn report(&self, part: &ReceivedPart, r: &StatusReport) -> bool {
        let outcome = match r.st.class() {
            StatusClass::Completed if r.st.delivered() => ReportOutcome::Delivered,
            StatusClass::Completed | StatusClass::Failed | StatusClass::Expired => {
                ReportOutcome::Failed
            }
            StatusClass::Pending => ReportOutcome::Pending,
        };
        let report = NewStatusReport {
            modem: part.modem.clone(),
            mr: r.mr,
            // In the form the number was stored in when sent, or the report matches nothing.
            recipient: phone::received(&r.ra, self.region.as_ref()),
            status: r.st.0,
            outcome,
            pdu_hex: part.pdu.clone(),
            discharge_at: jiff::Timestamp::from_second(r.dt.unix_seconds()).ok(),
        };
        let now = self.clock.now();
        let events = self.events.clone();
        let recorded = self
            .store
            .atomically(move |tx| {
                let m = tx.record_status_report(&report, REPORT_WINDOW, now)?;
                // One event per logical message: only the report that completes it changes
                // the message's state.
                let kind = match m.matched.as_ref().map(|p| p.message_state) {
                    Some(State::Delivered) => Some("message.delivered"),
                    Some(State::Failed) => Some("message.failed"),
                    _ => None,
                };
                // The compatibility APIs report per recipient: when this report settled one.
                let mut settled = false;
                if let Some(p) = m.matched.as_ref().filter(|p| p.settled) {
                    events.settled_tx(tx, p.recipient_id, now)?;
                    settled = true;
                }
                if let (Some(kind), Some(p)) = (kind, &m.matched) {
                    events.publish_tx(
                        tx,
                        kind,
                        json!({"id": p.message_id, "state": p.message_state.as_str()}),
                        now,
                    )?;
                }
                Ok((kind, settled))
            })
            .await;
        match recorded {
            Ok((kind, settled)) => {
                if kind.is_some() || settled {
                    self.events.committed();
                }
                if kind == Some("message.delivered") {
                    self.events.metrics().inc_delivered();
                }
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "storing a status report failed; left on the modem");
                false
            }
        }
    }

    async fn flush_stale(&self) {
        let now = self.clock.now();
        let Ok(older) = now.checked_sub(jiff::SignedDuration::from_secs(
            REASSEMBLY_TIMEOUT.as_secs() as i64,
        )) else {
            return;
        };
        match self.store.flush_stale_inbound(older, now).await {
            Ok(done) => {
                for m in done {
                    self.completed(m).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "reassembly timeout sweep failed"),
        }
    }

    async fn completed(&self, m: InboundMessage) {
        self.events.metrics().inc_received();
        let _ = self.received.send(m).await;
    }

    /// A modem's status as a `modem.state` event. The status lives in memory only, so the
    /// event is all there is to commit.
    async fn modem_state(&self, s: ModemStatus) {
        // Nothing to commit without an endpoint: no empty transaction per status change.
        if !self.events.any() {
            return;
        }
        let now = self.clock.now();
        let events = self.events.clone();
        let data = json!({
            "name": s.name, "state": s.state, "registered": s.health.registered,
            "signal_dbm": s.health.signal_dbm, "error": s.last_error,
        });
        match self
            .store
            .atomically(move |tx| events.publish_tx(tx, "modem.state", data, now))
            .await
        {
            Ok(()) => self.events.committed(),
            Err(e) => tracing::error!(error = %e, "queueing a modem.state event failed"),
        }
    }
}
