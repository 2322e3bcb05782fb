//! Building a bulk campaign: one text or template sent to a contact group and a list of numbers,
//! rendered per recipient, optionally scheduled and spread over time.
//!
//! A campaign may have [`MAX_RECIPIENTS`] recipients, too much work for one job of the store's
//! writer, which every other write waits behind. So it is built in steps:
//!
//! 1. [`prepare`], on a read connection: the template's body, the group's members and the
//!    contacts of the listed numbers are read in one read transaction (one consistent view), and
//!    every text is rendered and its cost checked there, off the writer and off the async threads;
//! 2. [`Prepared::queue`], in chunks of [`CHUNK`] recipients, each its own short job of the
//!    writer (the store's campaign states, `crate::store::campaigns`, keep a half-written
//!    campaign from being sent): only consent is read again, for each recipient, and the
//!    messages are inserted. Consent is checked at insert time, as for every message: a number
//!    that says STOP while the campaign is being prepared is skipped as `opted_out`, never sent
//!    to, and one that says it while the campaign is being inserted is cancelled like any
//!    queued message. The answer goes out once the chunk that completes the campaign commits;
//! 3. [`release`], run by the dispatcher: the campaign's messages enter the send queue, again
//!    in chunks.
//!
//! Its messages are queued at bulk priority ([`Origin::Bulk`]), below support replies and
//! acknowledgements, so the dispatcher always takes a waiting support reply before the next
//! campaign message: a campaign never starves the support line.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::process::{Content, render_for};
use crate::phone::{self, Region};
use crate::rules::Live;
use crate::rules::template::check_cost;
use crate::store::{
    Campaign, Contact, Error, NewCampaign, NewMessage, NewPromptSent, Origin, Skipped, Store, Tx,
};

/// Most recipients one campaign may have.
pub const MAX_RECIPIENTS: usize = 50_000;

/// Recipients inserted, or messages released into the send queue, by one job of the writer:
/// a few milliseconds of work, so a reply queued meanwhile waits no longer than that.
pub const CHUNK: usize = 500;

/// A campaign as asked for, its fields already checked by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBulk {
    /// A name for people.
    pub name: String,
    /// A contact group: its members, in number order.
    pub group: Option<String>,
    /// Numbers as given, after the group's members; one that is no number is skipped as
    /// `invalid_number`, one given twice or already a member is sent to once.
    pub to: Vec<String>,
    /// The text or template, rendered per recipient.
    pub content: Content,
    /// The first message's `send_at`.
    pub start: Timestamp,
    /// At most this many messages per minute from `start` on; `None`: all at `start`.
    pub rate_per_minute: Option<u32>,
    /// How long each message may wait unsent, counted from its own `send_at`.
    pub ttl: Duration,
    /// Sent to opted-out numbers too (the caller decides, from
    /// `support.allow_transactional_to_opted_out`).
    pub transactional: bool,
    /// Longest text, in parts (`queue.max_parts`).
    pub max_parts: usize,
    /// Per message (`queue.max_attempts`).
    pub max_attempts: u32,
    /// The API token that asked for it.
    pub created_by: String,
    /// The default region the numbers of `to` are normalised in (`[support] country`).
    pub region: Option<Region>,
    /// Each message is this prompt's question, expecting an answer (a reminder to a group).
    pub prompt: Option<BulkPrompt>,
}

/// The prompt a campaign asks ([`crate::rules::prompt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkPrompt {
    pub name: String,
    /// `csat`, `nps` or `choice`.
    pub kind: String,
    pub window_secs: u64,
}

/// A campaign rendered and ready to be queued by [`Prepared::queue`].
#[derive(Debug)]
pub struct Prepared {
    bulk: NewBulk,
    /// Numbers skipped before anything was read (`invalid_number`).
    skipped: Vec<Skipped>,
    /// Each recipient in order: its rendered text, or why it is skipped.
    recipients: Vec<(String, Result<String, String>)>,
}

/// Reads the campaign's template, group members and contacts on a read connection and renders
/// every text. Fails with [`Error::NotFound`] for an unknown template and [`Error::Invalid`] for
/// more than [`MAX_RECIPIENTS`] recipients.
pub async fn prepare(store: &Store, rules: &Arc<Live>, bulk: NewBulk) -> Result<Prepared, Error> {
    let mut skipped = Vec::new();
    let mut listed = Vec::new();
    for n in &bulk.to {
        match phone::recipient(n, bulk.region.as_ref()) {
            Ok(number) => listed.push(number),
            Err(_) => skipped.push(Skipped {
                number: n.clone(),
                reason: "invalid_number".into(),
            }),
        }
    }
    let rules = Arc::clone(rules);
    store
        .read(move |tx| {
            let policy = rules.policy();
            let body = bulk.content.body(tx, policy)?;
            let recipients = recipients(tx, bulk.group.as_deref(), listed)?
                .into_iter()
                .map(|(number, contact)| {
                    let text = render_for(policy, &body, contact.as_ref(), &number, true)
                        .map_err(|e| format!("template: {e}"))
                        .and_then(|text| match check_cost(&text, bulk.max_parts) {
                            Ok(_) => Ok(text),
                            Err(e) => Err(format!("too_long: {e}")),
                        });
                    (number, text)
                })
                .collect();
            Ok(Prepared {
                bulk,
                skipped,
                recipients,
            })
        })
        .await
}

/// The group's members, then the listed numbers that are not among them, each once, with its
/// contact if it has one.
fn recipients(
    tx: &Tx<'_>,
    group: Option<&str>,
    listed: Vec<String>,
) -> Result<Vec<(String, Option<Contact>)>, Error> {
    let mut recipients = Vec::new();
    let mut seen = HashSet::new();
    if let Some(g) = group {
        // Refused before its members are read, so a huge group costs no memory.
        let size = tx.group_size(g)?;
        if size > MAX_RECIPIENTS as u64 {
            return Err(Error::Invalid(format!(
                "group {g:?} has {size} contacts; at most {MAX_RECIPIENTS} per campaign"
            )));
        }
        for c in tx.group_members(g)? {
            if seen.insert(c.number.clone()) {
                recipients.push((c.number.clone(), Some(c)));
            }
        }
    }
    for n in listed {
        if seen.insert(n.clone()) {
            let c = tx.get_contact(&n)?;
            recipients.push((n, c));
        }
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(Error::Invalid(format!(
            "{} recipients; at most {MAX_RECIPIENTS} per campaign",
            recipients.len()
        )));
    }
    Ok(recipients)
}

impl Prepared {
    /// Queues the campaign in chunks of [`CHUNK`] (see the module's doc), audited as `caller`
    /// (`bulk.create`) in the transaction that completes it; returns after that commit, the
    /// campaign `releasing`: the dispatcher's releaser ([`release`]) then puts its messages into
    /// the send queue. A recipient that opted out (unless the campaign is transactional), whose
    /// text did not render or is too long is skipped, in that order of precedence; the others
    /// are spread from `start` at `rate_per_minute`. If a chunk fails, what was written is
    /// discarded.
    pub async fn queue(
        self,
        store: &Store,
        caller: String,
        now: Timestamp,
    ) -> Result<Campaign, Error> {
        let Prepared {
            bulk,
            skipped,
            recipients,
        } = self;
        let template = match &bulk.content {
            Content::Template(name) => Some(name.clone()),
            Content::Text(_) => None,
        };
        let campaign = NewCampaign {
            name: bulk.name.clone(),
            template,
            group: bulk.group.clone(),
            send_at: Some(bulk.start),
            created_by: Some(bulk.created_by.clone()),
            skipped: Vec::new(),
        };
        let id = store
            .atomically(move |tx| tx.begin_campaign(&campaign, now))
            .await?;
        // On a task of its own: a client that hangs up does not leave the campaign half written
        // until the next start.
        let written = {
            let (store, id) = (store.clone(), id.clone());
            tokio::spawn(async move {
                insert(
                    &store,
                    &id,
                    Arc::new(bulk),
                    skipped,
                    recipients,
                    caller,
                    now,
                )
                .await
            })
            .await
            .unwrap_or_else(|e| Err(Error::Invalid(format!("writing the campaign stopped: {e}"))))
        };
        if let Err(e) = written {
            let gone = id.clone();
            if let Err(d) = store
                .atomically_alone(move |tx| tx.discard_campaign(&gone))
                .await
            {
                tracing::error!(campaign = %id, error = %d, "discarding a failed campaign failed; the next start discards it");
            }
            return Err(e);
        }
        store.get_campaign(&id).await
    }
}

/// Puts the messages of every `releasing` campaign into the send queue, [`CHUNK`] at a time,
/// each chunk a writer job of its own, at the time `now` gives then (a message due by then is
/// ready at once); `released` is called after each. Returns how many chunks.
pub async fn release(
    store: &Store,
    now: impl Fn() -> Timestamp,
    released: impl Fn(),
) -> Result<usize, Error> {
    let mut chunks = 0;
    while store.release_next(now(), CHUNK as i64).await?.is_some() {
        chunks += 1;
        released();
        crate::fault::fault("campaign-after-release");
    }
    Ok(chunks)
}

/// Inserts the recipients of the `creating` campaign `id` chunk by chunk, then finishes it
/// with its skips and audit line.
async fn insert(
    store: &Store,
    id: &str,
    bulk: Arc<NewBulk>,
    mut skipped: Vec<Skipped>,
    recipients: Vec<(String, Result<String, String>)>,
    caller: String,
    now: Timestamp,
) -> Result<(), Error> {
    let mut queued = 0;
    let mut rest = recipients.into_iter();
    loop {
        let chunk: Vec<_> = rest.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        let (id, bulk) = (id.to_owned(), Arc::clone(&bulk));
        let (n, left_out) = store
            .atomically_alone(move |tx| {
                let mut messages = Vec::with_capacity(chunk.len());
                let mut left_out = Vec::new();
                for (number, text) in chunk {
                    let text = match verdict(tx, &bulk, &number, text)? {
                        Ok(text) => text,
                        Err(reason) => {
                            left_out.push(Skipped { number, reason });
                            continue;
                        }
                    };
                    let send_at = spread(bulk.start, queued + messages.len(), bulk.rate_per_minute);
                    messages.push(NewMessage {
                        priority: Origin::Bulk.default_priority(),
                        origin: Origin::Bulk,
                        send_at: Some(send_at),
                        ttl: Some(bulk.ttl),
                        max_attempts: bulk.max_attempts,
                        created_by: Some(bulk.created_by.clone()),
                        transactional: bulk.transactional,
                        ..NewMessage::new(vec![number], text)
                    });
                }
                let n = messages.len();
                let asked: Vec<(String, Timestamp)> = messages
                    .iter()
                    .map(|m| (m.recipients[0].clone(), m.send_at.unwrap_or(now)))
                    .collect();
                let ids = tx.add_to_campaign(&id, messages, now)?;
                if let Some(p) = &bulk.prompt {
                    for (message_id, (number, sent_at)) in ids.into_iter().zip(asked) {
                        let prompt = NewPromptSent {
                            name: p.name.clone(),
                            kind: p.kind.clone(),
                            number,
                            reference: Some(id.clone()),
                            message_id,
                            sent_at,
                            window_secs: p.window_secs,
                            conversation: None,
                            assignee: None,
                        };
                        tx.record_prompt(&prompt, now)?;
                    }
                }
                Ok((n, left_out))
            })
            .await?;
        queued += n;
        skipped.extend(left_out);
        crate::fault::fault("campaign-after-chunk");
    }
    let id = id.to_owned();
    store
        .atomically(move |tx| {
            tx.finish_campaign(&id, &skipped)?;
            tx.audit(&caller, "bulk.create", Some(&id), now)?;
            Ok(())
        })
        .await
}

/// Whether [`Prepared::queue`] sends to `number`: its text, or why it is skipped. Opted out
/// (unless the campaign is transactional) comes before a text that did not render.
fn verdict(
    tx: &Tx<'_>,
    bulk: &NewBulk,
    number: &str,
    text: Result<String, String>,
) -> Result<Result<String, String>, Error> {
    if !bulk.transactional && tx.opted_out(number)? {
        return Ok(Err("opted_out".into()));
    }
    Ok(text)
}

/// What [`Prepared::queue`] would do if run now, for a person to check before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The first recipients that would be sent to, with their rendered text.
    pub sample: Vec<(String, String)>,
    /// Messages that would be queued.
    pub messages: usize,
    /// SMS parts over all of them.
    pub parts: usize,
    /// Every recipient that would be skipped, and why.
    pub skipped: Vec<Skipped>,
    /// The first and the last message's `send_at`.
    pub first: Timestamp,
    pub last: Timestamp,
}

impl Prepared {
    /// The campaign's [`Preview`], read in `tx` with the same decisions as [`Prepared::queue`]
    /// (consent as of `tx`); `sample` recipients are shown with their text.
    pub fn preview(&self, tx: &Tx<'_>, sample: usize) -> Result<Preview, Error> {
        let mut out = Preview {
            sample: Vec::new(),
            messages: 0,
            parts: 0,
            skipped: self.skipped.clone(),
            first: self.bulk.start,
            last: self.bulk.start,
        };
        for (number, text) in &self.recipients {
            match verdict(tx, &self.bulk, number, text.clone())? {
                Ok(text) => {
                    out.parts += crate::rules::template::preview(&text).parts;
                    if out.sample.len() < sample {
                        out.sample.push((number.clone(), text));
                    }
                    out.messages += 1;
                }
                Err(reason) => out.skipped.push(Skipped {
                    number: number.clone(),
                    reason,
                }),
            }
        }
        out.last = spread(
            self.bulk.start,
            out.messages.saturating_sub(1),
            self.bulk.rate_per_minute,
        );
        Ok(out)
    }
}

/// The `send_at` of the `i`-th message of a campaign starting at `start` at `rate` per minute.
fn spread(start: Timestamp, i: usize, rate: Option<u32>) -> Timestamp {
    let Some(rate) = rate else {
        return start;
    };
    let offset_ms = (i as i64).saturating_mul(60_000) / i64::from(rate.max(1));
    start
        .checked_add(SignedDuration::from_millis(offset_ms))
        .unwrap_or(start)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::config::Config;
    use crate::store::NewContact;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn store(name: &str) -> Store {
        let dir =
            std::env::temp_dir().join(format!("smsgate-campaign-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Store::open(dir.join("smsgate.db")).unwrap()
    }

    fn member(number: &str, name: &str) -> NewContact {
        NewContact {
            number: number.into(),
            name: name.into(),
            fields: BTreeMap::new(),
            groups: vec!["g".into()],
        }
    }

    #[tokio::test]
    async fn consent_is_checked_when_queued_and_skips_come_in_recipient_order() {
        let store = store("consent");
        for (n, name) in [
            ("+819000000001", "Aiko"),
            ("+819000000002", ""),
            ("+819000000003", "Ken"),
        ] {
            store.upsert_contact(member(n, name), at(0)).await.unwrap();
        }
        store
            .set_consent("+819000000002", true, "test", at(0))
            .await
            .unwrap();
        let config = Config::parse("", Path::new("test.toml")).unwrap();
        let rules = Arc::new(Live::new(&config.support, Vec::new(), Vec::new()).unwrap());
        let bulk = NewBulk {
            name: "sale".into(),
            group: Some("g".into()),
            to: vec![
                "nope".into(),
                "+819000000004".into(),
                "+819000000001".into(),
            ],
            content: Content::Text("Hi {name}".into()),
            start: at(10),
            rate_per_minute: Some(60),
            ttl: Duration::from_secs(60),
            transactional: false,
            max_parts: 1,
            max_attempts: 3,
            created_by: "crm".into(),
            region: None,
            prompt: None,
        };
        let prepared = prepare(&store, &rules, bulk).await.unwrap();
        // A STOP committed after the campaign was read is still honoured.
        store
            .set_consent("+819000000003", true, "test", at(1))
            .await
            .unwrap();
        let c = prepared.queue(&store, "crm".into(), at(2)).await.unwrap();
        let skipped: Vec<(&str, &str)> = c
            .skipped
            .iter()
            .map(|s| (s.number.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                ("nope", "invalid_number"),
                // Opted out and without a name: opted_out comes first.
                ("+819000000002", "opted_out"),
                ("+819000000003", "opted_out"),
                (
                    "+819000000004",
                    "template: unknown placeholder {name} at byte 3"
                ),
            ]
        );
        assert_eq!(c.recipients, 1);
        assert_eq!(c.send_at, at(10));
    }

    #[test]
    fn spread_paces_a_campaign() {
        let t0 = Timestamp::from_second(1_700_000_000).unwrap();
        let ms = |i, r| spread(t0, i, r).as_millisecond() - t0.as_millisecond();
        // (name, index, rate, offset in ms)
        let cases = [
            ("no rate: all at once", 999, None, 0),
            ("first message at the start", 0, Some(60), 0),
            ("one a second", 5, Some(60), 5_000),
            ("120 a minute", 3, Some(120), 1_500),
            (
                "slower than one a minute is still even",
                2,
                Some(1),
                120_000,
            ),
        ];
        for (name, i, rate, want) in cases {
            assert_eq!(ms(i, rate), want, "{name}");
        }
    }
}
