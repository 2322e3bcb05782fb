//! What the service does with a completed inbound message, in one store transaction
//! (`docs/architecture.md`, "Receiving a message": rules run, replies are queued in the same
//! transaction, webhooks fire):
//!
//! 1. the conversation with the sender records it (created on first contact, reopened when
//!    closed);
//! 2. [`Policy::decide`](crate::rules::decide::Policy::decide) picks the opt keyword, rule and reply;
//! 3. STOP / START change the sender's consent (kept with the inbound id as its source) and are
//!    confirmed only when the consent changed, so a repeated STOP gets no second answer;
//! 4. the fired rule's actions run: tag, needs-human, forward to staff, webhook;
//! 5. the reply, if any, passes the opt-out check and the flood and loop guard, is rendered with
//!    the contact's fields and `{hours}`, and is queued at support priority;
//! 6. the message is marked processed with its `message.received` (and `rule.matched`) events.
//!
//! A crash anywhere before the COMMIT leaves the message unprocessed, and it is processed again
//! at start; after the COMMIT it is never processed twice (nothing doubled).
//!
//! [`Processor::run`] is the task: what the ingester completed, the backlog left unprocessed at
//! start, and every minute whatever failed to process (say the store was briefly unwritable).

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::json;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use super::prompts::{self, Reading};
use super::{Clock, Events};

use crate::config::Config;
use crate::rules::Live;
use crate::rules::decide::{Inbound, Policy};
use crate::rules::guard::{self, History, Refusal};
use crate::rules::opt::Opt;
use crate::rules::rule::Action;
use crate::rules::template::{self, TemplateError};
use crate::store::{
    self, Contact, ConversationState, ConversationUpdate, InboundMessage, NewEvent, NewMessage,
    Origin, PromptSent, Store, Tx,
};
use crate::webhook;

/// The tag put on a conversation whose automatic replies the loop guard cut off.
pub const LOOP_TAG: &str = "auto_reply_loop";

/// Longest forwarded text, in characters, so a forward stays within a few parts.
const FORWARD_MAX_CHARS: usize = 300;

/// How often, and after how long, an inbound message left unprocessed is tried again.
const RETRY_UNPROCESSED: Duration = Duration::from_secs(60);

/// What processing did, for logs, metrics and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Processed {
    /// The conversation the message belongs to.
    pub conversation: String,
    /// The opt keyword it carried.
    pub opt: Option<Opt>,
    /// The rule that fired.
    pub rule: Option<String>,
    /// Messages queued: replies, confirmations and forwards.
    pub queued: Vec<String>,
    /// Why an automatic reply was not sent (`opted_out`, `flood`, `ping_pong`, ...).
    pub withheld: Option<String>,
}

/// Processes inbound messages against the live rules.
#[derive(Clone)]
pub struct Processor {
    store: Store,
    config: Arc<Config>,
    live: Arc<Live>,
    compat: Option<Arc<crate::compat::events::Hooks>>,
    fleet: Option<Arc<crate::fleet::Subjects>>,
}

impl Processor {
    pub fn new(store: Store, config: Arc<Config>, live: Arc<Live>) -> Processor {
        Processor {
            store,
            config,
            live,
            compat: None,
            fleet: None,
        }
    }

    /// Also queues each received message for the fleet's hub.
    pub fn with_fleet(mut self, subjects: Option<crate::fleet::Subjects>) -> Processor {
        self.fleet = subjects.map(Arc::new);
        self
    }

    /// Also queues the compatibility APIs' deliveries for each received message.
    pub fn with_compat(mut self, hooks: Option<crate::compat::events::Hooks>) -> Processor {
        self.compat = hooks.map(Arc::new);
        self
    }

    /// Processes completed inbound messages until `cancel` or until `received` closes: first
    /// those left unprocessed by an earlier run, then each one the ingester sends, and every
    /// `RETRY_UNPROCESSED` (a minute) those whose processing failed. After each, wakes the
    /// dispatcher (for the replies) and the webhook deliverer.
    pub async fn run(
        self,
        clock: std::sync::Arc<dyn Clock>,
        events: Events,
        dispatch: std::sync::Arc<Notify>,
        mut received: mpsc::Receiver<InboundMessage>,
        cancel: CancellationToken,
    ) {
        let task = Task {
            processor: self,
            clock,
            events,
            dispatch,
        };
        match task.processor.store.unprocessed_inbound(1000).await {
            Ok(pending) => {
                for m in pending {
                    task.process(m).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for unprocessed inbound messages failed"),
        }
        let mut retry = tokio::time::interval(RETRY_UNPROCESSED);
        retry.tick().await;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                m = received.recv() => match m {
                    Some(m) => task.process(m).await,
                    None => return,
                },
                _ = retry.tick() => task.retry_unprocessed().await,
            }
        }
    }

    /// Processes `m` at `now`; resolves after the COMMIT that records it.
    pub async fn process(
        &self,
        m: InboundMessage,
        now: Timestamp,
    ) -> Result<Processed, store::Error> {
        // The store keeps whole milliseconds; compared with what it reads back (a new
        // conversation's `opened_at == now`), a finer `now` would never be equal.
        let now = Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now);
        let this = self.clone();
        self.store
            .atomically(move |tx| this.process_tx(tx, &m, now))
            .await
    }

    fn process_tx(
        &self,
        tx: &Tx<'_>,
        m: &InboundMessage,
        now: Timestamp,
    ) -> Result<Processed, store::Error> {
        let policy = self.live.policy();
        let rules = self.live.rules();
        // An answer to a prompt is no new inquiry: recorded, followed up, and nothing else.
        let unreadable = match prompts::read(tx, &self.config, policy, m)? {
            Reading::NotAnAnswer => false,
            Reading::Unreadable { .. } => true,
            Reading::Answered {
                prompt,
                reply,
                needs_human,
            } => return self.prompt_handled(tx, m, &prompt, reply, needs_human, true, now),
            Reading::Reask { prompt, reply } => {
                return self.prompt_handled(tx, m, &prompt, reply, false, false, now);
            }
        };
        // A new episode begins with this message when it is the first contact or reopens a
        // closed conversation. (Not `opened_at == now`: a second message processed in the same
        // millisecond, as a backlog at start may be, would get a second acknowledgement.)
        let reopens = tx
            .conversation_with(&m.sender)?
            .is_some_and(|c| c.state == ConversationState::Closed);
        let (conv, first_contact) = tx.conversation_inbound(&m.sender, now)?;
        let contact = tx.get_contact(&m.sender)?;
        let groups = contact
            .as_ref()
            .map(|c| c.groups.clone())
            .unwrap_or_default();
        let decision = policy.decide(
            &rules,
            &Inbound {
                text: &m.text,
                sender: &m.sender,
                at: m.completed_at,
                first_contact,
                groups: &groups,
                new_conversation: first_contact || reopens,
            },
        );
        let mut out = Processed {
            conversation: conv.id.clone(),
            opt: decision.opt,
            rule: decision.fired.map(|f| f.name.to_owned()),
            ..Processed::default()
        };
        let source = format!("sms:{}", m.id);

        // Opt keywords change consent; their answer is sent once per change.
        let mut confirm = false;
        if let Some(opt) = decision.opt {
            let changed = match opt {
                Opt::Stop => tx.set_consent(&m.sender, true, &source, now)?,
                Opt::Start => tx.set_consent(&m.sender, false, &source, now)?,
                Opt::Help => true,
            };
            if !changed {
                out.withheld = Some("unchanged".into());
            }
            confirm = changed && opt != Opt::Help;
        }

        let mut events = self.received(
            tx,
            m,
            Some(&conv.id),
            out.rule.as_deref(),
            decision.opt.map(Opt::as_str),
            now,
        )?;

        if let Some(fired) = decision.fired {
            tx.set_inbound_rule(&m.id, fired.name)?;
            let mut update = ConversationUpdate::default();
            for action in fired.actions {
                match action {
                    Action::Tag { tag } => update.add_tags.push(tag.clone()),
                    Action::NeedsHuman => update.state = Some(ConversationState::NeedsHuman),
                    Action::Forward { to } => {
                        // A staff number that opted out is respected like any other (and the
                        // store would refuse the message, failing the whole processing).
                        if tx.opted_out(to)? {
                            tracing::warn!(rule = fired.name, %to, "forward target opted out; not forwarded");
                        } else {
                            let text: String = m.text.chars().take(FORWARD_MAX_CHARS).collect();
                            let fwd = self.auto_message(to, format!("{}: {text}", m.sender));
                            out.queued.push(tx.enqueue(&fwd, now)?.id);
                        }
                    }
                    Action::Webhook { url } => {
                        if self.config.webhooks.iter().any(|w| w.url.get_ref() == url) {
                            let ev = webhook::event(
                                "rule.matched",
                                json!({"rule": fired.name, "id": m.id, "from": m.sender, "text": m.text, "conversation": conv.id}),
                                now,
                            );
                            events.push(NewEvent {
                                endpoint: url.clone(),
                                kind: "rule.matched".into(),
                                payload: ev.to_string(),
                            });
                        } else {
                            // Only configured endpoints have a secret and a delivery queue.
                            tracing::warn!(rule = fired.name, %url, "rule webhook is not a configured [[webhooks]] url; skipped");
                        }
                    }
                    Action::Reply { .. } | Action::Stop => {}
                }
            }
            if update != ConversationUpdate::default() {
                tx.update_conversation(&conv.id, &update, now)?;
            }
        }

        if let Some(name) = &decision.reply
            && (decision.opt.is_none() || confirm || decision.opt == Some(Opt::Help))
        {
            let kind = if confirm {
                ReplyKind::Confirmation
            } else if decision.opt == Some(Opt::Help) {
                ReplyKind::Help
            } else {
                ReplyKind::Ordinary
            };
            match self.allowed(tx, m, kind, now)? {
                Err(why) => {
                    tracing::info!(from = %m.sender, id = %m.id, reason = %why, "automatic reply withheld");
                    if matches!(why, Withheld::Guard(Refusal::PingPong { .. })) {
                        let cut = ConversationUpdate {
                            state: Some(ConversationState::NeedsHuman),
                            add_tags: vec![LOOP_TAG.into()],
                            ..Default::default()
                        };
                        tx.update_conversation(&conv.id, &cut, now)?;
                    }
                    out.withheld = Some(why.code().into());
                }
                Ok(()) => match template_body(tx, policy, name)
                    .map(|body| render_for(policy, &body, contact.as_ref(), &m.sender, false))
                    .transpose()
                {
                    Ok(Some(body)) => {
                        let reply = NewMessage {
                            // A confirmation goes to a number that just opted out, and HELP is
                            // answered whatever the number's consent.
                            transactional: kind != ReplyKind::Ordinary,
                            ..self.auto_message(&m.sender, body)
                        };
                        out.queued.push(tx.enqueue(&reply, now)?.id);
                    }
                    Ok(None) => {
                        tracing::warn!(template = %name, "reply template not found; nothing sent");
                        out.withheld = Some("template_missing".into());
                    }
                    Err(e) => {
                        tracing::warn!(template = %name, error = %e, "reply template failed to render; nothing sent");
                        out.withheld = Some("template_error".into());
                    }
                },
            }
        }

        if unreadable {
            // The prompt's re-ask was not understood either: a person reads it.
            let human = ConversationUpdate {
                state: Some(ConversationState::NeedsHuman),
                ..ConversationUpdate::default()
            };
            tx.update_conversation(&conv.id, &human, now)?;
        }
        if let Some(hooks) = &self.compat {
            events.extend(hooks.inbound_rows(tx, m, decision.opt.is_some(), now)?);
        }
        tx.finish_inbound(&m.id, &[], &events, now)?;
        Ok(out)
    }

    /// The `message.received` event rows of `m` (and its fleet event).
    fn received(
        &self,
        tx: &Tx<'_>,
        m: &InboundMessage,
        conversation: Option<&str>,
        rule: Option<&str>,
        opt: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<NewEvent>, store::Error> {
        let received = json!({
            "id": m.id, "from": m.sender, "text": m.text, "modem": m.modem,
            "parts": m.parts, "complete": m.complete,
            "received_at": m.completed_at.to_string(),
            "conversation": conversation, "rule": rule, "opt": opt,
        });
        if let Some(fleet) = &self.fleet {
            fleet.inbound_tx(tx, &received, now)?;
        }
        webhook::rows_for(
            &self.config.webhooks,
            "message.received",
            &webhook::event("message.received", received, now),
        )
        .map_err(|e| store::Error::Invalid(e.to_string()))
    }

    /// Finishes `m` as an answer to `prompt` (or a reply the re-ask asks for): marked with the
    /// prompt, `reply` queued unless the number opted out meanwhile, its conversation marked
    /// `needs_human` when asked (not reopened otherwise), `message.received` and, once
    /// `answered`, `prompt.answered` in the same transaction.
    #[allow(clippy::too_many_arguments)]
    fn prompt_handled(
        &self,
        tx: &Tx<'_>,
        m: &InboundMessage,
        prompt: &PromptSent,
        reply: Option<String>,
        needs_human: bool,
        answered: bool,
        now: Timestamp,
    ) -> Result<Processed, store::Error> {
        let rule = format!("prompt:{}", prompt.name);
        tx.set_inbound_rule(&m.id, &rule)?;
        let mut out = Processed {
            rule: Some(rule.clone()),
            ..Processed::default()
        };
        if let Some(text) = reply
            && !tx.opted_out(&m.sender)?
        {
            out.queued
                .push(tx.enqueue(&self.auto_message(&m.sender, text), now)?.id);
        }
        let conversation = if needs_human {
            Some(prompts::needs_human(tx, &m.sender, now)?)
        } else {
            tx.conversation_with(&m.sender)?.map(|c| c.id)
        };
        out.conversation = conversation.clone().unwrap_or_default();
        let mut events = self.received(tx, m, conversation.as_deref(), Some(&rule), None, now)?;
        if answered {
            events.extend(
                webhook::rows_for(
                    &self.config.webhooks,
                    "prompt.answered",
                    &webhook::event("prompt.answered", prompts::view(prompt), now),
                )
                .map_err(|e| store::Error::Invalid(e.to_string()))?,
            );
        }
        if let Some(hooks) = &self.compat {
            events.extend(hooks.inbound_rows(tx, m, false, now)?);
        }
        tx.finish_inbound(&m.id, &[], &events, now)?;
        Ok(out)
    }

    fn allowed(
        &self,
        tx: &Tx<'_>,
        m: &InboundMessage,
        kind: ReplyKind,
        now: Timestamp,
    ) -> Result<Result<(), Withheld>, store::Error> {
        reply_allowed(tx, &self.live.policy().guard, &m.sender, kind, now)
    }

    fn auto_message(&self, to: &str, body: String) -> NewMessage {
        auto_message(&self.config.queue, to, body, "rules")
    }
}

/// Whether an automatic reply to `sender` may go out: not to an opted-out number (but a
/// consent confirmation or the answer to HELP), and only within the flood and loop guard.
pub(crate) fn reply_allowed(
    tx: &Tx<'_>,
    cfg: &guard::GuardConfig,
    sender: &str,
    kind: ReplyKind,
    now: Timestamp,
) -> Result<Result<(), Withheld>, store::Error> {
    let confirmation = kind == ReplyKind::Confirmation;
    if kind == ReplyKind::Ordinary && tx.opted_out(sender)? {
        return Ok(Err(Withheld::OptedOut));
    }
    let since = now
        .checked_sub(cfg.history_span())
        .unwrap_or(Timestamp::MIN);
    let history = History {
        auto_replies: tx.auto_replies_since(sender, since)?,
        inbound: tx.inbound_since(sender, since)?,
    };
    let verdict = if confirmation {
        // A confirmation follows a consent change, which cannot loop; only an address that
        // cannot be answered stops it.
        match guard::classify_sender(sender) {
            guard::SenderKind::Number => Ok(()),
            _ => guard::check(cfg, sender, &History::default(), now),
        }
    } else {
        guard::check(cfg, sender, &history, now)
    };
    Ok(verdict.map_err(Withheld::Guard))
}

/// The webhook deliverer's way to queue a Kannel service's answer as a reply: cut to
/// `queue.max_parts`, an automatic message under the opt-out and the guard of `rules`.
pub fn service_replies(
    queue: crate::config::Queue,
    rules: std::sync::Arc<Live>,
) -> crate::webhook::QueueReply {
    std::sync::Arc::new(move |tx, to, text, now| {
        let opts = crate::sms::segment::Options {
            max_parts: *queue.max_parts.get_ref() as usize,
            ..Default::default()
        };
        let msg = auto_message(&queue, to, crate::sms::segment::fit(text, &opts), "kannel");
        match reply_allowed(tx, &rules.policy().guard, to, ReplyKind::Ordinary, now)? {
            Ok(()) => tx.enqueue(&msg, now).map(|_| true),
            Err(why) => {
                tracing::info!(%to, reason = why.code(), "sms-service answer withheld");
                Ok(false)
            }
        }
    })
}

/// An automatic message to `to` (a rule's reply or forward, a Kannel service's answer): the
/// automatic priority and origin, the queue's TTL and attempts.
pub(crate) fn auto_message(
    queue: &crate::config::Queue,
    to: &str,
    body: String,
    created_by: &str,
) -> NewMessage {
    NewMessage {
        priority: Origin::Auto.default_priority(),
        origin: Origin::Auto,
        ttl: Some(Duration::from_secs(queue.default_ttl)),
        max_attempts: *queue.max_attempts.get_ref(),
        created_by: Some(created_by.into()),
        ..NewMessage::new(vec![to.to_owned()], body)
    }
}

/// What [`Processor::run`] works with.
struct Task {
    processor: Processor,
    clock: std::sync::Arc<dyn Clock>,
    events: Events,
    dispatch: std::sync::Arc<Notify>,
}

impl Task {
    /// Runs the rules on `m` and records its processing, replies and events in one transaction;
    /// then wakes the dispatcher and the webhook deliverer.
    async fn process(&self, m: InboundMessage) {
        let id = m.id.clone();
        match self.processor.process(m, self.clock.now()).await {
            Ok(p) => {
                tracing::debug!(%id, rule = ?p.rule, opt = ?p.opt, queued = p.queued.len(), withheld = ?p.withheld, "inbound message processed");
                if !p.queued.is_empty() {
                    self.dispatch.notify_one();
                }
                self.events.committed();
            }
            Err(e) => {
                // Left unprocessed: tried again by the retry sweep and at the next start.
                tracing::error!(error = %e, %id, "processing an inbound message failed");
            }
        }
    }

    /// Messages still unprocessed a while after they completed: their processing failed, as
    /// they are clearly not just waiting in the channel.
    async fn retry_unprocessed(&self) {
        let Ok(cutoff) = self.clock.now().checked_sub(RETRY_UNPROCESSED) else {
            return;
        };
        match self.processor.store.unprocessed_inbound(100).await {
            Ok(pending) => {
                for m in pending.into_iter().filter(|m| m.completed_at <= cutoff) {
                    tracing::info!(id = %m.id, "processing an inbound message again");
                    self.process(m).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for unprocessed inbound messages failed"),
        }
    }
}

/// What a message says, as a request gives it: its own text, or the name of a template to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Text(String),
    Template(String),
}

impl Content {
    /// The text to render: the given text, or the template's body (the API's version, else the
    /// config file's; `NotFound` when neither has it).
    pub fn body(&self, tx: &Tx<'_>, policy: &Policy) -> Result<String, store::Error> {
        match self {
            Content::Text(t) => Ok(t.clone()),
            Content::Template(name) => template_body(tx, policy, name)
                .ok_or_else(|| store::Error::NotFound(format!("template {name}"))),
        }
    }
}

/// The body of template `name`: the API's version if there is one, else the config file's.
pub fn template_body(tx: &Tx<'_>, policy: &Policy, name: &str) -> Option<String> {
    match tx.get_template(name) {
        Ok(Some(t)) => Some(t.body),
        Ok(None) => policy.template(name).map(str::to_owned),
        Err(e) => {
            tracing::warn!(template = name, error = %e, "reading a template failed; using the config's");
            policy.template(name).map(str::to_owned)
        }
    }
}

/// `body` rendered for `number`: `{hours}` from the business hours, `{number}`, `{name}` and
/// the contact's custom fields as `{field.<key>}`. A placeholder the contact has no value for is an error, so a
/// customer never receives "Dear {name}" — except, when not `strict`, `{name}`, which is then
/// empty (an acknowledgement to an unknown number still goes out).
pub fn render_for(
    policy: &Policy,
    body: &str,
    contact: Option<&Contact>,
    number: &str,
    strict: bool,
) -> Result<String, TemplateError> {
    template::render(body, &|key| match key {
        "hours" => Some(policy.hours.describe()),
        "number" => Some(number.to_owned()),
        "name" => contact
            .map(|c| c.name.clone())
            .filter(|n| !n.is_empty())
            .or_else(|| (!strict).then(String::new)),
        other => {
            let field = other.strip_prefix("field.")?;
            contact.and_then(|c| c.fields.get(field).cloned())
        }
    })
}

/// What an automatic reply answers, which decides how consent and the guard apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyKind {
    /// STOP or START changed the consent: confirmed once, even to a number that just opted out.
    Confirmation,
    /// HELP: answered whatever the consent, within the guard.
    Help,
    /// A rule's reply or the acknowledgement.
    Ordinary,
}

/// Why an automatic reply was not sent.
#[derive(Debug)]
pub(crate) enum Withheld {
    OptedOut,
    Guard(Refusal),
}

impl Withheld {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Withheld::OptedOut => "opted_out",
            Withheld::Guard(r) => r.code(),
        }
    }
}

impl std::fmt::Display for Withheld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Withheld::OptedOut => f.write_str("the number opted out"),
            Withheld::Guard(r) => r.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::store::{InboundOutcome, NewInboundPart};

    const ALWAYS_OPEN: &str = "[support]\nack_open = \"ack\"\nack_closed = \"ack\"\n\
        [support.templates]\nack = \"Thank you, we will answer soon.\"\n\
        [support.hours]\nmon = [\"00:00-24:00\"]\ntue = [\"00:00-24:00\"]\n\
        wed = [\"00:00-24:00\"]\nthu = [\"00:00-24:00\"]\nfri = [\"00:00-24:00\"]\n\
        sat = [\"00:00-24:00\"]\nsun = [\"00:00-24:00\"]\n";

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn processor(name: &str, toml: &str) -> (Store, Processor) {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "smsgate-process-{}-{name}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = Config::parse(toml, Path::new("test.toml")).unwrap();
        let live = Live::new(&config.support, config.rules.clone(), Vec::new()).unwrap();
        let store = Store::open(dir.join("smsgate.db")).unwrap();
        let p = Processor::new(store.clone(), Arc::new(config), Arc::new(live));
        (store, p)
    }

    async fn received(store: &Store, sender: &str, reference: u16, text: &str) -> InboundMessage {
        let part = NewInboundPart {
            modem: "m0".into(),
            sender: sender.into(),
            reference,
            total: 1,
            seq: 1,
            pdu_hex: format!("00{reference:04X}"),
            text: text.into(),
            smsc_at: None,
        };
        match store.insert_inbound_part(part, at(0)).await.unwrap() {
            InboundOutcome::Completed(m) => m,
            other => panic!("a one-part message completes at once: {other:?}"),
        }
    }

    #[tokio::test]
    async fn two_messages_processed_in_one_millisecond_get_one_acknowledgement() {
        let (store, p) = processor("same_ms", ALWAYS_OPEN);
        let a = received(&store, "+819012345678", 1, "hello").await;
        let b = received(&store, "+819012345678", 2, "are you there?").await;
        // A backlog processed at start: both at the same instant.
        let first = p.process(a, at(5)).await.unwrap();
        assert_eq!(
            first.queued.len(),
            1,
            "the first message opens the conversation"
        );
        let second = p.process(b, at(5)).await.unwrap();
        assert_eq!(
            second.queued,
            Vec::<String>::new(),
            "no second acknowledgement"
        );
        assert_eq!(second.conversation, first.conversation);
        // Closed, the next message reopens it and is acknowledged again.
        let conv = first.conversation.clone();
        store
            .atomically(move |tx| {
                let close = ConversationUpdate {
                    state: Some(ConversationState::Closed),
                    ..ConversationUpdate::default()
                };
                tx.update_conversation(&conv, &close, at(6))
            })
            .await
            .unwrap();
        let c = received(&store, "+819012345678", 3, "one more thing").await;
        assert_eq!(p.process(c, at(7)).await.unwrap().queued.len(), 1);
    }

    #[tokio::test]
    async fn a_huge_pingpong_gap_does_not_fail_processing() {
        let toml = format!(
            "{ALWAYS_OPEN}[support.guard]\npingpong_gap_secs = {}\n",
            i64::MAX
        );
        let (store, p) = processor("huge_gap", &toml);
        let m = received(&store, "+819012345678", 1, "hello").await;
        let out = p.process(m, at(5)).await.unwrap();
        assert_eq!(out.queued.len(), 1);
    }

    #[tokio::test]
    async fn help_is_answered_even_after_stop_and_nothing_else_is() {
        let toml = format!(
            "{ALWAYS_OPEN}[[rules]]\nname = \"hi\"\nkeywords = [\"hello\"]\n\
             actions = [{{ reply = {{ template = \"ack\" }} }}]\n"
        );
        let (store, p) = processor("help_after_stop", &toml);
        let stop = received(&store, "+819012345678", 1, "STOP").await;
        assert_eq!(p.process(stop, at(5)).await.unwrap().queued.len(), 1);
        let hello = received(&store, "+819012345678", 2, "hello").await;
        let out = p.process(hello, at(6)).await.unwrap();
        assert_eq!(
            out.queued.len(),
            0,
            "no acknowledgement to an opted-out number"
        );
        assert_eq!(out.withheld.as_deref(), Some("opted_out"));
        let help = received(&store, "+819012345678", 3, "ＨＥＬＰ").await;
        let out = p.process(help, at(7)).await.unwrap();
        assert_eq!(out.queued.len(), 1, "HELP is always answered");
        let reply = store.get_message(&out.queued[0]).await.unwrap();
        assert!(reply.transactional);
    }

    #[tokio::test]
    async fn a_forward_to_an_opted_out_staff_number_is_skipped_not_failed() {
        let toml = format!(
            "{ALWAYS_OPEN}[[rules]]\nname = \"fwd\"\nany = true\n\
             actions = [{{ forward = {{ to = \"+819000000001\" }} }}, \"stop\"]\n"
        );
        let (store, p) = processor("forward_opted_out", &toml);
        let m = received(&store, "+819012345678", 1, "hello").await;
        assert_eq!(
            p.process(m, at(5)).await.unwrap().queued.len(),
            1,
            "forwarded"
        );
        store
            .set_consent("+819000000001", true, "api:desk", at(6))
            .await
            .unwrap();
        let m = received(&store, "+819012345678", 2, "again").await;
        let out = p.process(m, at(7)).await.unwrap();
        assert_eq!(out.queued.len(), 0);
        assert_eq!(out.rule.as_deref(), Some("fwd"), "processed, not failed");
    }

    const PROMPT: &str = "[[prompts]]\nname = \"csat\"\nkind = \"csat\"\n\
        text = \"How did we do? 1-5\"\nthanks = \"Thank you!\"\nwindow_secs = 60\n";

    /// Sends prompt `csat` to `to` at `at(0)`, its question sent at `at(1)`; the prompt's id.
    async fn asked(store: &Store, p: &Processor, to: &str) -> String {
        let (config, live, to) = (p.config.clone(), p.live.clone(), to.to_owned());
        let id = store
            .atomically(move |tx| {
                let ask = super::prompts::Ask {
                    spec: &config.prompts[0],
                    to,
                    send_at: None,
                    reference: None,
                    origin: Origin::Api,
                    created_by: "crm".into(),
                    conversation: None,
                    assignee: None,
                };
                Ok(
                    super::prompts::send(tx, &config, live.policy(), &ask, at(0))?
                        .unwrap()
                        .0
                        .id,
                )
            })
            .await
            .unwrap();
        let job = store.claim_due(at(1), 1, None).await.unwrap().remove(0);
        let part = crate::store::NewPart {
            seq: 1,
            total: 1,
            pdu_hex: "00".into(),
        };
        let parts = store.add_parts(job.recipient_id, vec![part]).await.unwrap();
        store
            .record_part_sent(parts[0].id, 1, "m0", at(1))
            .await
            .unwrap();
        id
    }

    #[tokio::test]
    async fn an_unreadable_answer_is_asked_again_once_then_a_person_reads_it() {
        let (store, p) = processor("prompt_reask", &format!("{ALWAYS_OPEN}{PROMPT}"));
        let id = asked(&store, &p, "+819012345678").await;
        // A question of the customer's own is no answer: processed as any message.
        let m = received(&store, "+819012345678", 9, "Can you call me at 5 tomorrow?").await;
        let out = p.process(m, at(2)).await.unwrap();
        assert_eq!(out.rule, None);
        assert_eq!(out.queued.len(), 1, "acknowledged as a new inquiry");
        assert_eq!(store.get_prompt_sent(&id).await.unwrap().state, "waiting");
        let m = received(&store, "+819012345678", 1, "6").await;
        let out = p.process(m, at(2)).await.unwrap();
        assert_eq!(out.rule.as_deref(), Some("prompt:csat"));
        assert_eq!(
            out.queued.len(),
            1,
            "the question again, no acknowledgement"
        );
        let again = store.get_message(&out.queued[0]).await.unwrap();
        assert_eq!(again.body, "How did we do? 1-5");
        let m = received(&store, "+819012345678", 2, "0点").await;
        let out = p.process(m, at(3)).await.unwrap();
        assert_eq!(out.rule, None, "processed as any message");
        let conv = store.get_conversation(&out.conversation).await.unwrap();
        assert_eq!(conv.state, ConversationState::NeedsHuman);
        // Still waiting: a score later in the window counts.
        let m = received(&store, "+819012345678", 3, "4").await;
        p.process(m, at(4)).await.unwrap();
        assert_eq!(store.get_prompt_sent(&id).await.unwrap().score, Some(4));
    }

    #[tokio::test]
    async fn stop_wins_over_a_prompt_and_a_late_answer_is_a_message() {
        let (store, p) = processor("prompt_stop", &format!("{ALWAYS_OPEN}{PROMPT}"));
        let id = asked(&store, &p, "+819011112222").await;
        let m = received(&store, "+819011112222", 1, "STOP").await;
        let out = p.process(m, at(2)).await.unwrap();
        assert_eq!(out.opt, Some(Opt::Stop));
        assert_eq!(store.get_prompt_sent(&id).await.unwrap().state, "waiting");

        let id = asked(&store, &p, "+819033334444").await;
        // The windows (60 s from the questions' time, at(0)) close unanswered; the one STOP
        // left waiting too.
        let expired = store
            .atomically(|tx| tx.expire_prompts(at(59)))
            .await
            .unwrap();
        assert!(expired.is_empty(), "{expired:?}");
        let expired = store
            .atomically(|tx| tx.expire_prompts(at(60)))
            .await
            .unwrap();
        assert_eq!(expired.len(), 2);
        assert_eq!(store.get_prompt_sent(&id).await.unwrap().state, "expired");
        let m = received(&store, "+819033334444", 2, "5").await;
        let out = p.process(m, at(62)).await.unwrap();
        assert_eq!(out.rule, None, "no prompt waits: an ordinary message");
        assert_eq!(out.queued.len(), 1, "acknowledged as a new inquiry");
    }
}
