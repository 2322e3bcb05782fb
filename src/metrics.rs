//! Prometheus metrics (OpenMetrics text, served at `GET /metrics`).
//!
//! Counters and the send latency histogram are updated by whoever does the work (the HTTP layer
//! counts accepted messages, the dispatcher sent/failed parts and latency, the ingester received
//! messages and delivery reports). The per-modem gauges and the queue depth are not kept up to
//! date in between: [`Metrics::render`] sets them from the values it is handed at scrape time, so
//! they never go stale and a modem that disappeared disappears from the output too.

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::modem::{ModemState, ModemStatus};

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Send latency buckets, seconds: from a fast modem (~1 s) to a congested one (minutes).
const LATENCY_BUCKETS: [f64; 12] = [
    0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 60.0, 120.0,
];

/// Every modem state, for the state-set gauge (one series per state, 1 for the current one).
const MODEM_STATES: [(ModemState, &str); 4] = [
    (ModemState::Starting, "starting"),
    (ModemState::Ready, "ready"),
    (ModemState::Recovering, "recovering"),
    (ModemState::Failed, "failed"),
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModemLabels {
    modem: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModemStateLabels {
    modem: String,
    state: String,
}

/// The gateway's metrics; share it in an `Arc`.
pub struct Metrics {
    accepted: Counter,
    sent: Counter,
    failed: Counter,
    delivered: Counter,
    received: Counter,
    send_latency: Histogram,
    queue_depth: Gauge,
    modem_signal: Family<ModemLabels, Gauge>,
    modem_rssi: Family<ModemLabels, Gauge>,
    modem_registered: Family<ModemLabels, Gauge>,
    modem_state: Family<ModemStateLabels, Gauge>,
    /// Held while a scrape sets the gauges and encodes, so two scrapes never interleave.
    registry: Mutex<Registry>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("accepted", &self.accepted.get())
            .field("sent", &self.sent.get())
            .field("failed", &self.failed.get())
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Fresh metrics, all zero, registered under the `smsgate_` prefix.
    pub fn new() -> Metrics {
        let m = Metrics {
            accepted: Counter::default(),
            sent: Counter::default(),
            failed: Counter::default(),
            delivered: Counter::default(),
            received: Counter::default(),
            send_latency: Histogram::new(LATENCY_BUCKETS),
            queue_depth: Gauge::default(),
            modem_signal: Family::default(),
            modem_rssi: Family::default(),
            modem_registered: Family::default(),
            modem_state: Family::default(),
            registry: Mutex::new(Registry::with_prefix("smsgate")),
        };
        {
            let mut r = match m.registry.lock() {
                Ok(r) => r,
                Err(p) => p.into_inner(),
            };
            r.register(
                "messages_accepted",
                "Messages accepted by the API (committed to the store)",
                m.accepted.clone(),
            );
            r.register(
                "parts_sent",
                "Parts accepted by the network (+CMGS)",
                m.sent.clone(),
            );
            r.register("send_failed", "Send attempts that failed", m.failed.clone());
            r.register(
                "parts_delivered",
                "Parts reported delivered by a status report",
                m.delivered.clone(),
            );
            r.register(
                "messages_received",
                "Inbound messages received (reassembled)",
                m.received.clone(),
            );
            r.register(
                "send_latency_seconds",
                "Time from handing a part to a modem to its +CMGS",
                m.send_latency.clone(),
            );
            r.register(
                "queue_depth",
                "Outbound recipients waiting in the queue",
                m.queue_depth.clone(),
            );
            r.register(
                "modem_signal_dbm",
                "Modem signal strength in dBm (absent when unknown)",
                m.modem_signal.clone(),
            );
            r.register(
                "modem_rssi",
                "Modem +CSQ rssi 0..=31 (absent when unknown)",
                m.modem_rssi.clone(),
            );
            r.register(
                "modem_registered",
                "1 when the modem is registered on a network",
                m.modem_registered.clone(),
            );
            r.register(
                "modem_state",
                "1 for the modem's current state, 0 for the others",
                m.modem_state.clone(),
            );
        }
        m
    }

    /// A message was accepted (after its commit).
    pub fn inc_accepted(&self) {
        self.accepted.inc();
    }

    /// A part was accepted by the network.
    pub fn inc_sent(&self) {
        self.sent.inc();
    }

    /// A send attempt failed.
    pub fn inc_failed(&self) {
        self.failed.inc();
    }

    /// A part was reported delivered.
    pub fn inc_delivered(&self) {
        self.delivered.inc();
    }

    /// An inbound message was received.
    pub fn inc_received(&self) {
        self.received.inc();
    }

    /// Records how long one part took to send, in seconds.
    pub fn observe_send_latency(&self, secs: f64) {
        if secs.is_finite() && secs >= 0.0 {
            self.send_latency.observe(secs);
        }
    }

    /// The counters' current values: (accepted, sent, failed, delivered, received).
    pub fn counts(&self) -> (u64, u64, u64, u64, u64) {
        (
            self.accepted.get(),
            self.sent.get(),
            self.failed.get(),
            self.delivered.get(),
            self.received.get(),
        )
    }

    /// Sets the scrape-time gauges from `modems` and `queue_depth` (`None`: the store could not
    /// be read; the gauge is then left out rather than reported as 0) and encodes everything.
    pub fn render(&self, modems: &[ModemStatus], queue_depth: Option<u64>) -> String {
        let registry = match self.registry.lock() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        self.modem_signal.clear();
        self.modem_rssi.clear();
        self.modem_registered.clear();
        self.modem_state.clear();
        for m in modems {
            let labels = ModemLabels {
                modem: m.name.clone(),
            };
            if let Some(dbm) = m.health.signal_dbm {
                self.modem_signal.get_or_create(&labels).set(i64::from(dbm));
            }
            if let Some(rssi) = m.health.rssi {
                self.modem_rssi.get_or_create(&labels).set(i64::from(rssi));
            }
            self.modem_registered
                .get_or_create(&labels)
                .set(i64::from(m.health.registered));
            for (state, name) in MODEM_STATES {
                self.modem_state
                    .get_or_create(&ModemStateLabels {
                        modem: m.name.clone(),
                        state: name.to_owned(),
                    })
                    .set(i64::from(m.state == state));
            }
        }
        self.queue_depth
            .set(queue_depth.map_or(0, |d| i64::try_from(d).unwrap_or(i64::MAX)));
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &registry) {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        if queue_depth.is_none() {
            out = out
                .lines()
                .filter(|l| !l.contains("smsgate_queue_depth"))
                .map(|l| format!("{l}\n"))
                .collect();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modem::Health;

    fn status(name: &str, state: ModemState, dbm: Option<i16>) -> ModemStatus {
        ModemStatus {
            name: name.into(),
            device: "/dev/null".into(),
            state,
            identity: None,
            health: Health {
                rssi: dbm.map(|_| 20),
                signal_dbm: dbm,
                registered: true,
                operator: None,
            },
            sent: 0,
            received: 0,
            errors: 0,
            last_error: None,
        }
    }

    #[test]
    fn render_has_every_metric() {
        let m = Metrics::new();
        m.inc_accepted();
        m.inc_sent();
        m.inc_sent();
        m.inc_failed();
        m.inc_delivered();
        m.inc_received();
        m.observe_send_latency(1.5);
        m.observe_send_latency(f64::NAN);
        let text = m.render(
            &[
                status("a", ModemState::Ready, Some(-73)),
                status("b", ModemState::Failed, None),
            ],
            Some(7),
        );
        for want in [
            "smsgate_messages_accepted_total 1",
            "smsgate_parts_sent_total 2",
            "smsgate_send_failed_total 1",
            "smsgate_parts_delivered_total 1",
            "smsgate_messages_received_total 1",
            "smsgate_send_latency_seconds_count 1",
            "smsgate_queue_depth 7",
            "smsgate_modem_signal_dbm{modem=\"a\"} -73",
            "smsgate_modem_state{modem=\"a\",state=\"ready\"} 1",
            "smsgate_modem_state{modem=\"b\",state=\"failed\"} 1",
            "smsgate_modem_state{modem=\"b\",state=\"ready\"} 0",
            "# EOF",
        ] {
            assert!(text.contains(want), "{want:?} missing from\n{text}");
        }
        assert!(!text.contains("smsgate_modem_signal_dbm{modem=\"b\"}"));
    }

    #[test]
    fn gone_modems_and_unknown_depth_disappear() {
        let m = Metrics::new();
        let _ = m.render(&[status("a", ModemState::Ready, Some(-73))], Some(1));
        let text = m.render(&[], None);
        assert!(!text.contains("modem=\"a\""), "{text}");
        assert!(!text.contains("smsgate_queue_depth"), "{text}");
    }
}
