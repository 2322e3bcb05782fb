//! The inbox ingester: every part a modem hands over is committed to the
//! store before the modem may delete it (the acknowledgement); completed
//! messages are then processed, and status reports are matched to the part
//! they report on and rolled up to the message.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Clock;
use crate::modem::{ModemEvent, ModemStatus, ReceivedPart};
use crate::sms::tpdu::{Deliver, StatusClass, StatusReport, Tpdu};
use crate::sms::udh::Udh;
use crate::store::{
    InboundMessage, InboundOutcome, MatchedPart, NewInboundPart, NewStatusReport, ReportOutcome,
    Store,
};

/// How long after sending a status report may still match its part.
pub const REPORT_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// Parts of a message still missing after this are given up: the message is
/// delivered with what arrived, marked incomplete.
pub const REASSEMBLY_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// What the ingester tells the layers above.
#[derive(Debug, Clone)]
pub enum Notice {
    /// A whole (or timed-out) inbound message, stored.
    Received(InboundMessage),
    /// A status report changed a message's state.
    Report(MatchedPart),
    /// A modem's status changed.
    Modem(ModemStatus),
}

pub struct Ingester {
    store: Store,
    clock: Arc<dyn Clock>,
    notices: mpsc::Sender<Notice>,
}

impl Ingester {
    pub fn new(store: Store, clock: Arc<dyn Clock>, notices: mpsc::Sender<Notice>) -> Self {
        Ingester {
            store,
            clock,
            notices,
        }
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
                    Some(ModemEvent::Status(s)) => self.notify(Notice::Modem(s)).await,
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
            sender: d.oa.to_string(),
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
                self.notify(Notice::Received(m)).await;
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
            recipient: r.ra.to_string(),
            status: r.st.0,
            outcome,
            pdu_hex: part.pdu.clone(),
            discharge_at: jiff::Timestamp::from_second(r.dt.unix_seconds()).ok(),
        };
        match self
            .store
            .record_status_report(report, REPORT_WINDOW, self.clock.now())
            .await
        {
            Ok(m) => {
                if let Some(matched) = m.matched {
                    self.notify(Notice::Report(matched)).await;
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
                    self.notify(Notice::Received(m)).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "reassembly timeout sweep failed"),
        }
    }

    async fn notify(&self, n: Notice) {
        let _ = self.notices.send(n).await;
    }
}
