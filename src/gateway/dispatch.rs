//! The outbox dispatcher: one worker per modem claims the most urgent due
//! recipient (priority, then age; the store orders them), segments its text
//! once (the parts are stored, so a retry resends exactly the pending ones),
//! and sends the parts through its modem, committing each `+CMGS: <mr>` as
//! it arrives.
//!
//! Errors follow their class: temporary ones retry with exponential backoff
//! and jitter, permanent ones fail the recipient, a modem in trouble hands
//! the recipient back at once so another ready modem takes it (failover),
//! and a send whose outcome is unknown is parked as `unknown`, never resent
//! blindly. Each modem is paced to its `rate_per_minute`.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use serde_json::json;

use super::{Clock, Events, campaign};
use crate::modem::cms::CmsClass;
use crate::modem::{ModemHandle, ModemState, SendError};
use crate::sms::address::Address;
use crate::sms::compose::{Compose, compose};
use crate::sms::segment::Options;
use crate::store::{DispatchJob, FailureClass, NewPart, PartState, State, Store};

/// Queue settings the dispatcher applies.
#[derive(Debug, Clone)]
pub struct Settings {
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    pub max_parts: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            backoff_initial: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            max_parts: 10,
        }
    }
}

/// Per-modem pacing for carriers that throttle.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    pub rate_per_minute: u32,
}

impl Pacing {
    fn gap(self) -> Option<Duration> {
        (self.rate_per_minute > 0).then(|| Duration::from_secs(60) / self.rate_per_minute)
    }
}

pub struct Dispatcher {
    store: Store,
    clock: Arc<dyn Clock>,
    settings: Settings,
    wake: Arc<Notify>,
    release: Arc<Notify>,
    events: Events,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: Settings,
        wake: Arc<Notify>,
        events: Events,
    ) -> Self {
        Dispatcher {
            store,
            clock,
            settings,
            wake,
            release: Arc::new(Notify::new()),
            events,
        }
    }

    /// Wakes the releaser, which puts completed campaigns' messages into the send queue
    /// ([`campaign::release`]); it also looks once a second.
    pub fn with_release(mut self, release: Arc<Notify>) -> Self {
        self.release = release;
        self
    }

    /// Runs one worker per modem, and the expiry sweep, until cancelled. A
    /// worker finishes the part in flight before it stops.
    pub async fn run(self, modems: Vec<(ModemHandle, Pacing)>, cancel: CancellationToken) {
        let this = Arc::new(self);
        let mut tasks = tokio::task::JoinSet::new();
        for (m, pacing) in modems {
            let d = this.clone();
            let c = cancel.clone();
            tasks.spawn(async move { d.worker(m, pacing, c).await });
        }
        let d = this.clone();
        let c = cancel.clone();
        tasks.spawn(async move { d.expiry(c).await });
        let d = this.clone();
        let c = cancel.clone();
        tasks.spawn(async move { d.releaser(c).await });
        while tasks.join_next().await.is_some() {}
    }

    async fn expiry(&self, cancel: CancellationToken) {
        loop {
            // An expired message is reported like a failed one, in the transaction that
            // expires it.
            let (now, events) = (self.clock.now(), self.events.clone());
            let expired = self
                .store
                .atomically(move |tx| {
                    let (ids, recipients) = tx.expire_due_recipients(now)?;
                    for r in recipients {
                        events.settled_tx(tx, r, now)?;
                    }
                    for id in &ids {
                        events.publish_tx(
                            tx,
                            "message.failed",
                            json!({"id": id, "state": "expired", "error": "ttl expired"}),
                            now,
                        )?;
                    }
                    // A prompt's window that closed unanswered ends it, reported the same way.
                    let prompts = tx.expire_prompts(now)?;
                    for p in &prompts {
                        events.webhooks_tx(tx, "prompt.expired", super::prompts::view(p), now)?;
                    }
                    Ok(ids.len() + prompts.len())
                })
                .await;
            match expired {
                Ok(0) => {}
                Ok(_) => self.events.committed(),
                Err(e) => tracing::warn!(error = %e, "expiry sweep failed"),
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    async fn releaser(&self, cancel: CancellationToken) {
        loop {
            let woken = self.release.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let wake = &self.wake;
            // Each chunk released wakes the workers: sending starts with the first.
            if let Err(e) = campaign::release(
                &self.store,
                || self.clock.now(),
                || {
                    wake.notify_waiters();
                    wake.notify_one();
                },
            )
            .await
            {
                tracing::warn!(error = %e, "releasing a campaign into the queue failed");
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = &mut woken => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    async fn worker(&self, mut modem: ModemHandle, pacing: Pacing, cancel: CancellationToken) {
        loop {
            // Registered before looking, so a wake between the look and the
            // wait is not missed.
            let woken = self.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            // A modem without network would only spend attempts.
            let status = modem.status();
            let ready = status.state == ModemState::Ready && status.health.registered;
            let job = if ready {
                match self
                    .store
                    .claim_due(self.clock.now(), 1, Some(modem.name().to_owned()))
                    .await
                {
                    Ok(mut jobs) => jobs.pop(),
                    Err(e) => {
                        tracing::error!(error = %e, "claiming from the queue failed");
                        None
                    }
                }
            } else {
                None
            };
            match job {
                Some(job) => self.send(&modem, job, pacing).await,
                None => {
                    // Nothing due (or the modem is not ready): wait for a new
                    // message, a modem change, or the next retry coming due.
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = &mut woken => {}
                        _ = modem.changed() => {}
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    }
                }
            }
            if cancel.is_cancelled() {
                return;
            }
        }
    }

    async fn send(&self, modem: &ModemHandle, job: DispatchJob, pacing: Pacing) {
        let started = std::time::Instant::now();
        let parts = match self.parts(&job).await {
            Ok(p) => p,
            Err(e) => {
                // The text cannot be encoded for this number: never will be.
                self.fail(&job, FailureClass::Permanent, &e, None).await;
                return;
            }
        };
        for part in parts.iter().filter(|p| p.state == PartState::Pending) {
            let Some(tpdu_len) = tpdu_len(&part.pdu_hex) else {
                self.fail(
                    &job,
                    FailureClass::Permanent,
                    "stored PDU is malformed",
                    None,
                )
                .await;
                return;
            };
            match modem.send_part(tpdu_len, part.pdu_hex.clone()).await {
                Ok(mr) => {
                    let (part_id, modem_name, now) =
                        (part.id, modem.name().to_owned(), self.clock.now());
                    let (events, message_id, to) = (
                        self.events.clone(),
                        job.message_id.clone(),
                        job.number.clone(),
                    );
                    let state = self
                        .store
                        .atomically(move |tx| {
                            let state = tx.record_part_sent(part_id, mr, &modem_name, now)?;
                            if state == State::Sent {
                                events.publish_tx(
                                    tx,
                                    "message.sent",
                                    json!({"id": message_id, "to": to}),
                                    now,
                                )?;
                            }
                            Ok(state)
                        })
                        .await;
                    match state {
                        Ok(State::Sent) => {
                            self.events.committed();
                            let m = self.events.metrics();
                            m.inc_sent();
                            m.observe_send_latency(started.elapsed().as_secs_f64());
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "recording a sent part failed"),
                    }
                }
                Err(e) => {
                    self.failed_send(&job, &e).await;
                    return;
                }
            }
            if let Some(gap) = pacing.gap() {
                tokio::time::sleep(gap).await;
            }
        }
    }

    /// The recipient's parts: stored ones on a retry, else the text
    /// segmented now and stored before anything is sent.
    async fn parts(&self, job: &DispatchJob) -> Result<Vec<crate::store::PartRecord>, String> {
        if !job.parts.is_empty() {
            return Ok(job.parts.clone());
        }
        let to = Address::parse_number(&job.number).map_err(|e| e.to_string())?;
        let c = Compose {
            status_report: job.status_report,
            segment: Options {
                // A per-recipient reference keeps two long messages to one
                // phone apart.
                reference: (job.recipient_id as u64 % 256) as u16,
                max_parts: self.settings.max_parts,
                ucs2: job.ucs2,
                ..Options::default()
            },
            ..Compose::to(to)
        };
        let pdus = compose(&job.body, &c).map_err(|e| e.to_string())?;
        let total = pdus.len() as u8;
        let new: Vec<NewPart> = pdus
            .iter()
            .enumerate()
            .map(|(i, p)| NewPart {
                seq: i as u8 + 1,
                total,
                pdu_hex: p.to_hex(),
            })
            .collect();
        self.store
            .add_parts(job.recipient_id, new)
            .await
            .map_err(|e| e.to_string())
    }

    async fn failed_send(&self, job: &DispatchJob, e: &SendError) {
        let now = self.clock.now();
        match e.class {
            CmsClass::Permanent => {
                self.fail(job, FailureClass::Permanent, &e.detail, None)
                    .await
            }
            CmsClass::OutcomeUnknown => {
                self.fail(job, FailureClass::Unknown, &e.detail, None).await
            }
            // The modem is in trouble: back in the queue at once, for
            // whichever modem is ready.
            CmsClass::DeviceState => {
                self.fail(job, FailureClass::Device, &e.detail, Some(now))
                    .await
            }
            CmsClass::Temporary => {
                let next = now + backoff(&self.settings, job.attempt);
                self.fail(job, FailureClass::Temporary, &e.detail, Some(next))
                    .await
            }
        }
    }

    async fn fail(
        &self,
        job: &DispatchJob,
        class: FailureClass,
        error: &str,
        next: Option<Timestamp>,
    ) {
        let now = self.clock.now();
        let (events, recipient_id, message_id, to, error) = (
            self.events.clone(),
            job.recipient_id,
            job.message_id.clone(),
            job.number.clone(),
            error.to_owned(),
        );
        let r = self
            .store
            .atomically(move |tx| {
                let state = tx.record_send_failed(recipient_id, class, &error, next, now)?;
                if matches!(state, State::Failed | State::Unknown) {
                    events.publish_tx(
                        tx,
                        "message.failed",
                        json!({"id": message_id, "to": to, "state": state.as_str(), "error": error}),
                        now,
                    )?;
                }
                Ok(state)
            })
            .await;
        match r {
            Ok(State::Failed | State::Unknown) => {
                self.events.committed();
                self.events.metrics().inc_failed();
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "recording a failed send failed"),
        }
    }
}

/// TPDU octets of a PDU-mode hex string: all octets less the SMSC prefix.
fn tpdu_len(hex: &str) -> Option<usize> {
    let smsc_len = usize::from(u8::from_str_radix(hex.get(..2)?, 16).ok()?);
    (hex.len() / 2).checked_sub(1 + smsc_len).filter(|&n| n > 0)
}

/// Exponential backoff with jitter: the initial delay doubled per attempt,
/// capped, then up to a quarter off so retries of a burst spread out.
pub fn backoff(s: &Settings, attempt: u32) -> jiff::SignedDuration {
    let factor = 1u32 << attempt.saturating_sub(1).min(16);
    let d = s.backoff_initial.saturating_mul(factor).min(s.backoff_max);
    let d = d.mul_f64(1.0 - 0.25 * crate::random::fraction());
    jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tpdu_len_table() {
        let cases = [
            ("no smsc", "0001000B91", Some(4)),
            ("with smsc", "07912143658709F10100", Some(2)),
            ("empty", "", None),
            ("smsc longer than pdu", "0791", None),
            ("not hex", "ZZ00", None),
        ];
        for (name, hex, want) in cases {
            assert_eq!(tpdu_len(hex), want, "{name}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let s = Settings {
            backoff_initial: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            ..Settings::default()
        };
        for (attempt, base) in [(1, 30), (2, 60), (3, 120), (8, 3600), (40, 3600)] {
            let d = backoff(&s, attempt).as_secs_f64();
            let base = base as f64;
            assert!(
                d <= base && d >= base * 0.75,
                "attempt {attempt}: {d} vs {base}"
            );
        }
    }
}
