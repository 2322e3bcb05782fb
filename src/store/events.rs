//! The webhook outbox and the audit log.

use jiff::Timestamp;
use rusqlite::{Connection, params};

use super::types::{AuditEntry, NewEvent, WebhookEvent};
use super::{Error, Store, Tx, ms, ts};

impl Store {
    /// Queues an event for one webhook endpoint; returns its id.
    pub async fn enqueue_event(
        &self,
        endpoint: &str,
        kind: &str,
        payload: &str,
        now: Timestamp,
    ) -> Result<i64, Error> {
        let event = NewEvent {
            endpoint: endpoint.to_owned(),
            kind: kind.to_owned(),
            payload: payload.to_owned(),
        };
        self.write(move |tx| tx.enqueue_event(&event, now)).await
    }

    /// Pending webhook deliveries due at `now`, oldest first.
    pub async fn due_events(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<WebhookEvent>, Error> {
        self.read(move |tx| tx.due_events(now, limit)).await
    }

    /// A webhook delivery succeeded.
    pub async fn mark_event_delivered(&self, id: i64, now: Timestamp) -> Result<(), Error> {
        self.write(move |tx| tx.mark_event_delivered(id, now)).await
    }

    /// A webhook delivery failed: retry at `next_attempt_at`, or give up when `None`.
    pub async fn mark_event_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Option<Timestamp>,
    ) -> Result<(), Error> {
        let error = error.to_owned();
        self.write(move |tx| tx.mark_event_failed(id, &error, next_attempt_at))
            .await
    }

    /// Records that `token` did `action` on `target`.
    pub async fn audit(
        &self,
        token: &str,
        action: &str,
        target: Option<&str>,
        now: Timestamp,
    ) -> Result<i64, Error> {
        let (token, action) = (token.to_owned(), action.to_owned());
        let target = target.map(str::to_owned);
        self.write(move |tx| tx.audit(&token, &action, target.as_deref(), now))
            .await
    }

    /// The newest `limit` audit entries.
    pub async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, Error> {
        self.read(move |tx| tx.audit_log(limit)).await
    }
}

impl Tx<'_> {
    /// Queues one delivery of an event to one endpoint; returns its id.
    ///
    /// See [`Store::enqueue_event`](super::Store::enqueue_event).
    /// Queues every row of `events`.
    pub fn enqueue_events(&self, events: &[NewEvent], now: Timestamp) -> Result<(), Error> {
        for event in events {
            self.enqueue_event(event, now)?;
        }
        Ok(())
    }

    pub fn enqueue_event(&self, event: &NewEvent, now: Timestamp) -> Result<i64, Error> {
        self.conn.prepare_cached(
            "INSERT INTO webhook_events (endpoint, kind, payload, state, next_attempt_at, created_at) \
             VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
        )?
        .execute(params![event.endpoint, event.kind, event.payload, ms(now)])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Pending deliveries due at `now`, oldest first.
    fn due_events(&self, now: Timestamp, limit: usize) -> Result<Vec<WebhookEvent>, Error> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, endpoint, kind, payload, attempts, next_attempt_at, last_error, created_at \
             FROM webhook_events WHERE state = 'pending' AND next_attempt_at <= ?1 \
             ORDER BY next_attempt_at, id LIMIT ?2",
        )?;
        let events = stmt
            .query_map(
                params![ms(now), i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| {
                    Ok(WebhookEvent {
                        id: r.get(0)?,
                        endpoint: r.get(1)?,
                        kind: r.get(2)?,
                        payload: r.get(3)?,
                        attempts: r.get(4)?,
                        next_attempt_at: ts(r.get(5)?)?,
                        last_error: r.get(6)?,
                        created_at: ts(r.get(7)?)?,
                    })
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(events)
    }

    /// The endpoint answered 2xx.
    pub(crate) fn mark_event_delivered(&self, id: i64, now: Timestamp) -> Result<(), Error> {
        check_pending(self.conn, id)?;
        self.conn
            .prepare_cached(
                "UPDATE webhook_events SET state = 'delivered', attempts = attempts + 1, \
             delivered_at = ?2 WHERE id = ?1",
            )?
            .execute(params![id, ms(now)])?;
        Ok(())
    }

    /// The attempt failed: retry at `next_attempt_at`, or give up when it is `None`.
    fn mark_event_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Option<Timestamp>,
    ) -> Result<(), Error> {
        check_pending(self.conn, id)?;
        self.conn
            .prepare_cached(
                "UPDATE webhook_events SET attempts = attempts + 1, last_error = ?2, \
             state = CASE WHEN ?3 IS NULL THEN 'failed' ELSE 'pending' END, \
             next_attempt_at = COALESCE(?3, next_attempt_at) WHERE id = ?1",
            )?
            .execute(params![id, error, next_attempt_at.map(ms)])?;
        Ok(())
    }

    /// Appends to the audit log.
    ///
    /// See [`Store::audit`](super::Store::audit).
    pub fn audit(
        &self,
        token: &str,
        action: &str,
        target: Option<&str>,
        now: Timestamp,
    ) -> Result<i64, Error> {
        self.conn
            .prepare_cached(
                "INSERT INTO audit_log (at, token, action, target) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![ms(now), token, action, target])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The newest `limit` audit entries, newest first.
    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, Error> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at, token, action, target FROM audit_log ORDER BY id DESC LIMIT ?1",
        )?;
        let entries = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: ts(r.get(1)?)?,
                    token: r.get(2)?,
                    action: r.get(3)?,
                    target: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(entries)
    }
}

fn check_pending(conn: &Connection, id: i64) -> Result<(), Error> {
    let n: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM webhook_events WHERE id = ?1 AND state = 'pending'")?
        .query_row([id], |r| r.get(0))?;
    if n == 0 {
        return Err(Error::NotFound(format!("pending webhook event {id}")));
    }
    Ok(())
}
