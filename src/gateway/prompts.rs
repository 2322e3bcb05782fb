//! Sending prompts and reading their answers ([`crate::rules::prompt`]): the question is queued
//! and recorded in one transaction; an answer is recognised by the processor before any rule, so
//! it is no new inquiry (no acknowledgement, no auto-reply rule) while STOP still wins.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::process::render_for;
use crate::config::Config;
use crate::rules::decide::Policy;
use crate::rules::prompt::{Answer, PromptSpec, looks_like_answer};
use crate::store::{
    self, ConversationState, ConversationUpdate, InboundMessage, MessageRecord, NewMessage,
    NewPromptSent, Origin, PromptSent, Tx,
};

/// Every prompt in force: the API's, then the config file's not overridden by one of the same
/// name.
pub fn specs(tx: &Tx<'_>, config: &Config) -> Result<Vec<PromptSpec>, store::Error> {
    let mut all = tx.api_prompts()?;
    let from_config: Vec<PromptSpec> = config
        .prompts
        .iter()
        .filter(|c| !all.iter().any(|a| a.name == c.name))
        .cloned()
        .collect();
    all.extend(from_config);
    Ok(all)
}

/// Prompt `name` as in force ([`specs`]).
pub fn spec(tx: &Tx<'_>, config: &Config, name: &str) -> Result<Option<PromptSpec>, store::Error> {
    Ok(specs(tx, config)?.into_iter().find(|s| s.name == name))
}

/// A prompt to send.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    pub spec: &'a PromptSpec,
    pub to: String,
    /// Not before this time; `None`: now.
    pub send_at: Option<Timestamp>,
    /// The caller's id for it (a call, a CRM record).
    pub reference: Option<String>,
    pub origin: Origin,
    pub created_by: String,
    /// `survey_on_close`: the conversation it closes, once per episode, and who resolved it.
    pub conversation: Option<String>,
    pub assignee: Option<String>,
}

/// Queues the question of `ask` and records the prompt, in `tx`. `None` when the conversation's
/// episode already had this prompt. The question is rendered with the number's contact
/// (`{name}`, `{field.date}`); a placeholder it cannot fill refuses the send.
pub fn send(
    tx: &Tx<'_>,
    config: &Config,
    policy: &Policy,
    ask: &Ask<'_>,
    now: Timestamp,
) -> Result<Option<(PromptSent, MessageRecord)>, store::Error> {
    if let Some(c) = &ask.conversation
        && tx.episode_prompted(c, &ask.spec.name)?
    {
        return Ok(None);
    }
    let contact = tx.get_contact(&ask.to)?;
    let text = render_for(policy, &ask.spec.text, contact.as_ref(), &ask.to, true)
        .map_err(|e| store::Error::Invalid(format!("prompt {}: {e}", ask.spec.name)))?;
    let msg = NewMessage {
        priority: ask.origin.default_priority(),
        origin: ask.origin,
        // A time in the past is now: the window opens when the question can go out.
        send_at: ask.send_at.map(|t| t.max(now)),
        ttl: Some(Duration::from_secs(config.queue.default_ttl)),
        max_attempts: *config.queue.max_attempts.get_ref(),
        created_by: Some(ask.created_by.clone()),
        ..NewMessage::new(vec![ask.to.clone()], text)
    };
    let record = tx.enqueue(&msg, now)?;
    let sent = tx.record_prompt(
        &NewPromptSent {
            name: ask.spec.name.clone(),
            kind: ask.spec.kind.as_str().to_owned(),
            number: ask.to.clone(),
            reference: ask.reference.clone(),
            message_id: record.id.clone(),
            sent_at: record.send_at,
            window_secs: ask.spec.window_secs,
            conversation: ask.conversation.clone(),
            assignee: ask.assignee.clone(),
        },
        now,
    )?;
    Ok(sent.map(|p| (p, record)))
}

/// What an inbound message did to the prompt its sender was asked.
#[derive(Debug)]
pub enum Reading {
    /// No prompt waits for this number, or the message is an opt keyword (STOP wins).
    NotAnAnswer,
    /// Recognised: the prompt is answered; `reply` is its follow-up text, `needs_human` whether
    /// a person must look.
    Answered {
        prompt: PromptSent,
        reply: Option<String>,
        needs_human: bool,
    },
    /// Not recognised, the first time: ask again with `reply` (none if it failed to render).
    Reask {
        prompt: PromptSent,
        reply: Option<String>,
    },
    /// Not recognised after the re-ask: a person reads it (the message is processed as any).
    Unreadable { prompt: PromptSent },
}

/// Reads `m` against the prompts its sender may be answering (judged at the time it arrived,
/// not when it is processed), and records the answer or the re-ask in `tx`. The newest waiting
/// prompt that recognises the text takes it; a text none recognises but that looks like a
/// try at an answer (`6`, `4 5`) asks the newest again, once; anything else is a message for a
/// person.
pub fn read(
    tx: &Tx<'_>,
    config: &Config,
    policy: &Policy,
    m: &InboundMessage,
) -> Result<Reading, store::Error> {
    if policy.opts.classify(&m.text).is_some() {
        return Ok(Reading::NotAnAnswer);
    }
    let at = m.completed_at;
    let waiting = tx.waiting_prompts(&m.sender, at)?;
    if waiting.is_empty() {
        return Ok(Reading::NotAnAnswer);
    }
    // A prompt no longer in force is no longer read.
    let in_force = specs(tx, config)?;
    let waiting: Vec<(PromptSent, &PromptSpec)> = waiting
        .into_iter()
        .filter_map(|p| {
            let spec = in_force.iter().find(|s| s.name == p.name)?;
            Some((p, spec))
        })
        .collect();
    let contact = tx.get_contact(&m.sender)?;
    let render = |spec: &PromptSpec, text: &str| match render_for(
        policy,
        text,
        contact.as_ref(),
        &m.sender,
        true,
    ) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(prompt = %spec.name, error = %e, "prompt text failed to render; not sent");
            None
        }
    };
    for (p, spec) in &waiting {
        if let Some(answer) = spec.recognise(&m.text) {
            let (score, choice) = match &answer {
                Answer::Score(s) => (Some(*s), None),
                Answer::Choice(c) => (None, Some(c.as_str())),
            };
            let prompt = tx.answer_prompt(&p.id, &m.text, score, choice, at)?;
            let (reply, needs_human) = spec.follow_up(&answer);
            return Ok(Reading::Answered {
                prompt,
                reply: reply.and_then(|r| render(spec, r)),
                needs_human,
            });
        }
    }
    match waiting.into_iter().next() {
        Some((p, spec)) if looks_like_answer(&m.text) => {
            if p.reasked {
                return Ok(Reading::Unreadable { prompt: p });
            }
            tx.reask_prompt(&p.id)?;
            let reply = render(spec, spec.reask.as_deref().unwrap_or(&spec.text));
            Ok(Reading::Reask { prompt: p, reply })
        }
        _ => Ok(Reading::NotAnAnswer),
    }
}

/// A prompt's public facts, as events and the API show them.
pub fn view(p: &PromptSent) -> Value {
    json!({
        "id": p.id, "name": p.name, "kind": p.kind, "to": p.number, "ref": p.reference,
        "message": p.message_id, "state": p.state, "answer": p.answer, "score": p.score,
        "choice": p.choice, "assignee": p.assignee, "sent_at": p.sent_at.to_string(),
        "expires_at": p.expires_at.to_string(),
        "answered_at": p.answered_at.map(|t| t.to_string()),
    })
}

/// Marks the sender's conversation `needs_human` (creating it if the customer never wrote
/// before); its id.
pub fn needs_human(tx: &Tx<'_>, number: &str, now: Timestamp) -> Result<String, store::Error> {
    let conv = match tx.conversation_with(number)? {
        Some(c) => c,
        None => tx.conversation_inbound(number, now)?.0,
    };
    let update = ConversationUpdate {
        state: Some(ConversationState::NeedsHuman),
        ..ConversationUpdate::default()
    };
    tx.update_conversation(&conv.id, &update, now)?;
    Ok(conv.id)
}
