//! What the compatibility APIs need beyond the native one: a message found by the client's own
//! id, and offset pagination (SMS Gateway for Android's `limit`/`offset` with a total count).

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Error, MessageRecord, Store, Tx, ms};

impl Store {
    /// The message whose public id or client idempotency key is `id`.
    pub async fn message_by_id_or_key(&self, id: &str) -> Result<MessageRecord, Error> {
        let id = id.to_owned();
        self.read(move |tx| {
            let found: Option<String> = tx
                .conn
                .prepare_cached(
                    "SELECT id FROM outbound_messages WHERE id = ?1 OR idempotency_key = ?1 \
                     ORDER BY (id = ?1) DESC LIMIT 1",
                )?
                .query_row([&id], |r| r.get(0))
                .optional()?;
            match found {
                Some(msg) => tx.get_message(&msg),
                None => Err(Error::NotFound(format!("message {id}"))),
            }
        })
        .await
    }

    /// Outbound messages created in `[from, to)` (either bound optional), newest first:
    /// `limit` of them after skipping `offset`, and how many match in all.
    pub async fn message_page(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<MessageRecord>, u64), Error> {
        self.read(move |tx| {
            let (from, to) = (from.map(ms), to.map(ms));
            let total: i64 = tx
                .conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM outbound_messages \
                     WHERE (?1 IS NULL OR created_at >= ?1) AND (?2 IS NULL OR created_at < ?2)",
                )?
                .query_row(params![from, to], |r| r.get(0))?;
            let ids = tx
                .conn
                .prepare_cached(
                    "SELECT id FROM outbound_messages \
                     WHERE (?1 IS NULL OR created_at >= ?1) AND (?2 IS NULL OR created_at < ?2) \
                     ORDER BY seq DESC LIMIT ?3 OFFSET ?4",
                )?
                .query_map(
                    params![
                        from,
                        to,
                        i64::try_from(limit).unwrap_or(i64::MAX),
                        i64::try_from(offset).unwrap_or(i64::MAX)
                    ],
                    |r| r.get::<_, String>(0),
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let messages = ids
                .iter()
                .map(|id| tx.get_message(id))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((messages, u64::try_from(total).unwrap_or(0)))
        })
        .await
    }
}

/// A webhook registered through SMS Gateway for Android's `/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompatWebhook {
    /// The app's webhook id (the client's, or one smsgate made).
    pub id: String,
    /// Where its events go.
    pub url: String,
    /// One of the app's event names, e.g. `sms:received`.
    pub event: String,
    /// The `deviceId` it was registered with, if any.
    pub device_id: Option<String>,
}

/// A Kannel `dlr-url` kept with the message it reports on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KannelDlr {
    /// The URL with its `%` escapes not yet expanded.
    pub url: String,
    /// Kannel's `dlr-mask`: 1 delivered, 2 undelivered, 4 buffered, 8 accepted by the SMSC,
    /// 16 rejected by the SMSC.
    pub mask: u8,
    /// sendsms `from` (`%P`).
    pub sender: Option<String>,
    /// sendsms `coding` (`%c`).
    pub coding: u8,
    /// sendsms `charset` (`%C`).
    pub charset: Option<String>,
}

/// One recipient of a message, as the compatibility events report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientFacts {
    /// The client's id when it gave one, else smsgate's.
    pub client_id: String,
    /// smsgate's `msg_...` id.
    pub message_id: String,
    /// The text.
    pub body: String,
    /// The modem of the last attempt.
    pub modem: Option<String>,
    /// Parts of this recipient's message.
    pub parts: u32,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// The recipient's state (`sent`, `delivered`, `failed`, ...).
    pub state: String,
    /// The TP-MR of its first part, when sent.
    pub mr: Option<u8>,
    /// The recipient's number.
    pub number: String,
}

impl Store {
    /// Registers (or, for an existing `id`, replaces) an SMS Gateway for Android webhook.
    pub async fn compat_webhook_upsert(
        &self,
        hook: CompatWebhook,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.write(move |tx| {
            // Deliveries not yet made for a webhook whose URL or event changes are given up:
            // they were for the old registration.
            tx.conn
                .prepare_cached(
                    "UPDATE webhook_events SET state = 'failed', last_error = 'webhook replaced' \
                     WHERE state = 'pending' AND kind LIKE 'smsgate-app:%' \
                     AND json_extract(payload, '$.webhookId') = ?1 \
                     AND EXISTS (SELECT 1 FROM compat_webhooks w WHERE w.id = ?1 \
                                 AND (w.url != ?2 OR w.event != ?3))",
                )?
                .execute(params![hook.id, hook.url, hook.event])?;
            tx.conn
                .prepare_cached(
                    "INSERT INTO compat_webhooks (id, url, event, device_id, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO UPDATE SET \
                     url = excluded.url, event = excluded.event, device_id = excluded.device_id",
                )?
                .execute(params![
                    hook.id,
                    hook.url,
                    hook.event,
                    hook.device_id,
                    ms(now)
                ])?;
            Ok(())
        })
        .await
    }

    /// Every registered SMS Gateway for Android webhook, oldest first.
    pub async fn compat_webhooks(&self) -> Result<Vec<CompatWebhook>, Error> {
        self.read(|tx| tx.compat_webhooks(None)).await
    }

    /// Removes a webhook; its deliveries not yet made are given up in the same transaction, so
    /// nothing reaches a URL after its webhook was deleted. `false` when there was none.
    pub async fn compat_webhook_delete(&self, id: &str) -> Result<bool, Error> {
        let id = id.to_owned();
        self.write(move |tx| {
            let n = tx
                .conn
                .prepare_cached("DELETE FROM compat_webhooks WHERE id = ?1")?
                .execute([&id])?;
            tx.conn
                .prepare_cached(
                    "UPDATE webhook_events SET state = 'failed', last_error = 'webhook deleted' \
                     WHERE state = 'pending' AND kind LIKE 'smsgate-app:%' \
                     AND json_extract(payload, '$.webhookId') = ?1",
                )?
                .execute([&id])?;
            Ok(n > 0)
        })
        .await
    }
}

impl Tx<'_> {
    /// The SMS Gateway for Android webhooks for `event` (all of them for `None`).
    pub fn compat_webhooks(&self, event: Option<&str>) -> Result<Vec<CompatWebhook>, Error> {
        self.conn
            .prepare_cached(
                "SELECT id, url, event, device_id FROM compat_webhooks \
                 WHERE ?1 IS NULL OR event = ?1 ORDER BY created_at, id",
            )?
            .query_map([event], |r| {
                Ok(CompatWebhook {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    event: r.get(2)?,
                    device_id: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Error::from)
    }

    /// Keeps a Kannel `dlr-url` with `message_id`.
    pub fn set_kannel_dlr(&self, message_id: &str, dlr: &KannelDlr) -> Result<(), Error> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO compat_kannel_dlr (message_id, url, mask, sender, coding, charset) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                message_id,
                dlr.url,
                dlr.mask,
                dlr.sender,
                dlr.coding,
                dlr.charset
            ])?;
        Ok(())
    }

    /// The Kannel `dlr-url` kept with `message_id`, if any.
    pub fn kannel_dlr(&self, message_id: &str) -> Result<Option<KannelDlr>, Error> {
        self.conn
            .prepare_cached(
                "SELECT url, mask, sender, coding, charset FROM compat_kannel_dlr WHERE message_id = ?1",
            )?
            .query_row([message_id], |r| {
                Ok(KannelDlr {
                    url: r.get(0)?,
                    mask: r.get(1)?,
                    sender: r.get(2)?,
                    coding: r.get(3)?,
                    charset: r.get(4)?,
                })
            })
            .optional()
            .map_err(Error::from)
    }

    /// What the compatibility events say about recipient `to` of `message_id`.
    pub fn recipient_facts(
        &self,
        message_id: &str,
        to: &str,
    ) -> Result<Option<RecipientFacts>, Error> {
        let id: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT id FROM outbound_recipients WHERE message_id = ?1 AND number = ?2 \
                 ORDER BY idx LIMIT 1",
            )?
            .query_row([message_id, to], |r| r.get(0))
            .optional()?;
        match id {
            Some(id) => self.recipient_facts_by_id(id),
            None => Ok(None),
        }
    }

    /// What the compatibility events say about the recipient row `recipient_id`.
    pub fn recipient_facts_by_id(
        &self,
        recipient_id: i64,
    ) -> Result<Option<RecipientFacts>, Error> {
        self.conn
            .prepare_cached(
                "SELECT COALESCE(m.idempotency_key, m.id), m.id, m.body, r.modem, \
                        (SELECT COUNT(*) FROM outbound_parts p WHERE p.recipient_id = r.id), \
                        r.error, r.state, \
                        (SELECT p.mr FROM outbound_parts p WHERE p.recipient_id = r.id ORDER BY p.seq LIMIT 1) \
                        , r.number \
                 FROM outbound_messages m JOIN outbound_recipients r ON r.message_id = m.id \
                 WHERE r.id = ?1",
            )?
            .query_row([recipient_id], |r| {
                Ok(RecipientFacts {
                    client_id: r.get(0)?,
                    message_id: r.get(1)?,
                    body: r.get(2)?,
                    modem: r.get(3)?,
                    parts: r.get(4)?,
                    error: r.get(5)?,
                    state: r.get(6)?,
                    mr: r.get(7)?,
                    number: r.get(8)?,
                })
            })
            .optional()
            .map_err(Error::from)
    }
}
