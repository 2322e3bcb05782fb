//! Delivery reports: stored, matched on (modem, mr, recipient, time window) to the sent part,
//! which then becomes delivered or failed; the recipient and message roll up.

use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::rollup::update_rollup;
use super::types::{MatchedPart, NewStatusReport, PartState, ReportMatch, ReportOutcome, State};
use super::{Error, Store, Tx, ms};

impl Store {
    /// Stores a status report and applies it to the part sent with that (modem, mr, recipient)
    /// most recently within `window` before `now`.
    pub async fn record_status_report(
        &self,
        report: NewStatusReport,
        window: Duration,
        now: Timestamp,
    ) -> Result<ReportMatch, Error> {
        self.write(move |tx| tx.record_status_report(&report, window, now))
            .await
    }
}

impl Tx<'_> {
    /// Stores a report and applies it to the most recent matching part sent within `window`.
    ///
    /// See [`Store::record_status_report`](super::Store::record_status_report).
    pub fn record_status_report(
        &self,
        report: &NewStatusReport,
        window: Duration,
        now: Timestamp,
    ) -> Result<ReportMatch, Error> {
        let now_ms = ms(now);
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let found: Option<(i64, i64, String, State)> = self
            .conn
            .prepare_cached(
                "SELECT p.id, p.recipient_id, r.message_id, r.state FROM outbound_parts p \
                 JOIN outbound_recipients r ON r.id = p.recipient_id \
                 WHERE p.modem = ?1 AND p.mr = ?2 AND r.number = ?3 AND p.state = 'sent' \
                 AND p.sent_at >= ?4 AND p.sent_at <= ?5 \
                 ORDER BY p.sent_at DESC, p.id DESC LIMIT 1",
            )?
            .query_row(
                params![
                    report.modem,
                    report.mr,
                    report.recipient,
                    now_ms.saturating_sub(window_ms),
                    now_ms
                ],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        let part_id = found.as_ref().map(|f| f.0);
        self.conn
            .prepare_cached(
                "INSERT INTO delivery_reports (modem, mr, recipient, status, outcome, pdu_hex, \
             discharge_at, received_at, part_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                report.modem,
                report.mr,
                report.recipient,
                report.status,
                report.outcome.as_str(),
                report.pdu_hex,
                report.discharge_at.map(ms),
                now_ms,
                part_id,
            ])?;
        let report_id = self.conn.last_insert_rowid();
        let Some((part_id, recipient_id, message_id, mut recipient_state)) = found else {
            return Ok(ReportMatch {
                report_id,
                matched: None,
            });
        };
        let part_state = match report.outcome {
            ReportOutcome::Delivered => PartState::Delivered,
            ReportOutcome::Failed => PartState::Failed,
            ReportOutcome::Pending => PartState::Sent,
        };
        self.conn
            .prepare_cached(
                "UPDATE outbound_parts SET state = ?2, status = ?3, \
             report_at = CASE WHEN ?2 = 'sent' THEN report_at ELSE ?4 END WHERE id = ?1",
            )?
            .execute(params![part_id, part_state, report.status, now_ms])?;
        let was_sent = recipient_state == State::Sent;
        if recipient_state == State::Sent {
            match report.outcome {
                ReportOutcome::Delivered => {
                    let undelivered: i64 = self
                        .conn
                        .prepare_cached(
                            "SELECT COUNT(*) FROM outbound_parts \
                             WHERE recipient_id = ?1 AND state != 'delivered'",
                        )?
                        .query_row([recipient_id], |row| row.get(0))?;
                    if undelivered == 0 {
                        recipient_state = State::Delivered;
                        self.conn.prepare_cached(
                            "UPDATE outbound_recipients SET state = 'delivered', delivered_at = ?2, \
                             updated_at = ?2 WHERE id = ?1",
                        )?
                        .execute(params![recipient_id, now_ms])?;
                    }
                }
                ReportOutcome::Failed => {
                    recipient_state = State::Failed;
                    self.conn
                        .prepare_cached(
                            "UPDATE outbound_recipients SET state = 'failed', error = ?3, \
                         updated_at = ?2 WHERE id = ?1",
                        )?
                        .execute(params![
                            recipient_id,
                            now_ms,
                            format!("status report: TP-ST 0x{:02x}", report.status)
                        ])?;
                }
                ReportOutcome::Pending => {}
            }
        }
        let message_state = update_rollup(self.conn, &message_id, now)?;
        Ok(ReportMatch {
            report_id,
            matched: Some(MatchedPart {
                message_id,
                recipient_id,
                part_id,
                part_state,
                recipient_state,
                message_state,
                settled: was_sent && recipient_state != State::Sent,
            }),
        })
    }
}
