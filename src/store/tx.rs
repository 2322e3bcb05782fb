//! [`Tx`]: several store operations in one transaction, for steps that must not half happen
//! (a state change and its webhook event, an API action and its audit line).

use std::time::Duration;

use jiff::Timestamp;
use rusqlite::Connection;

use super::campaigns::{Campaign, NewCampaign};
use super::consent::ConsentChange;
use super::conversations::{Conversation, ConversationUpdate};
use super::rules::{NewRule, StoredRule};
use super::types::{
    DispatchJob, FailureClass, InboundMessage, InboundOutcome, MessageRecord, NewEvent,
    NewInboundPart, NewMessage, NewPart, NewStatusReport, PartRecord, ReportMatch, State,
};
use super::{
    Error, campaigns, consent, conversations, events, history, inbound, outbound, reports, rules,
};
// contacts and templates (the contacts API)
use super::consent::ConsentState;
use super::contacts::{self, Contact, ContactFilter, ImportCounts, NewContact};
use super::templates::{self, Template};
use super::types::Page;

/// The writer's transaction, handed to the closure given to [`Store::atomically`](super::Store::atomically).
///
/// Each method behaves like the `Store` method of the same name. When the closure returns an
/// error, everything it did is rolled back.
pub struct Tx<'a> {
    pub(crate) conn: &'a Connection,
}

impl Tx<'_> {
    /// See [`Store::enqueue`](super::Store::enqueue).
    pub fn enqueue(&self, msg: &NewMessage, now: Timestamp) -> Result<MessageRecord, Error> {
        outbound::enqueue(self.conn, msg, now)
    }

    /// See [`Store::claim_due`](super::Store::claim_due).
    pub fn claim_due(
        &self,
        now: Timestamp,
        limit: usize,
        modem: Option<&str>,
    ) -> Result<Vec<DispatchJob>, Error> {
        outbound::claim_due(self.conn, now, limit, modem)
    }

    /// See [`Store::add_parts`](super::Store::add_parts).
    pub fn add_parts(
        &self,
        recipient_id: i64,
        parts: &[NewPart],
    ) -> Result<Vec<PartRecord>, Error> {
        outbound::add_parts(self.conn, recipient_id, parts)
    }

    /// See [`Store::record_part_sent`](super::Store::record_part_sent).
    pub fn record_part_sent(
        &self,
        part_id: i64,
        mr: u8,
        modem: &str,
        now: Timestamp,
    ) -> Result<State, Error> {
        outbound::record_part_sent(self.conn, part_id, mr, modem, now)
    }

    /// See [`Store::record_send_failed`](super::Store::record_send_failed).
    pub fn record_send_failed(
        &self,
        recipient_id: i64,
        class: FailureClass,
        error: &str,
        next_attempt_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<State, Error> {
        outbound::record_send_failed(self.conn, recipient_id, class, error, next_attempt_at, now)
    }

    /// See [`Store::resolve_unknown`](super::Store::resolve_unknown).
    pub fn resolve_unknown(
        &self,
        recipient_id: i64,
        resend: bool,
        now: Timestamp,
    ) -> Result<State, Error> {
        outbound::resolve_unknown(self.conn, recipient_id, resend, now)
    }

    /// See [`Store::expire_due`](super::Store::expire_due).
    pub fn expire_due(&self, now: Timestamp) -> Result<Vec<String>, Error> {
        outbound::expire_due(self.conn, now)
    }

    /// See [`Store::cancel`](super::Store::cancel).
    pub fn cancel(&self, id: &str, now: Timestamp) -> Result<MessageRecord, Error> {
        outbound::cancel(self.conn, id, now)
    }

    /// See [`Store::get_message`](super::Store::get_message) (sees this transaction's writes).
    pub fn get_message(&self, id: &str) -> Result<MessageRecord, Error> {
        outbound::load_message(self.conn, id)
    }

    /// See [`Store::insert_inbound_part`](super::Store::insert_inbound_part).
    pub fn insert_inbound_part(
        &self,
        part: &NewInboundPart,
        now: Timestamp,
    ) -> Result<InboundOutcome, Error> {
        inbound::insert_part(self.conn, part, now)
    }

    /// See [`Store::flush_stale_inbound`](super::Store::flush_stale_inbound).
    pub fn flush_stale_inbound(
        &self,
        older_than: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<InboundMessage>, Error> {
        inbound::flush_stale(self.conn, older_than, now)
    }

    /// See [`Store::finish_inbound`](super::Store::finish_inbound).
    pub fn finish_inbound(
        &self,
        id: &str,
        replies: &[NewMessage],
        events: &[NewEvent],
        now: Timestamp,
    ) -> Result<Vec<MessageRecord>, Error> {
        inbound::finish(self.conn, id, replies, events, now)
    }

    /// See [`Store::record_status_report`](super::Store::record_status_report).
    pub fn record_status_report(
        &self,
        report: &NewStatusReport,
        window: Duration,
        now: Timestamp,
    ) -> Result<ReportMatch, Error> {
        reports::record(self.conn, report, window, now)
    }

    /// See [`Store::enqueue_event`](super::Store::enqueue_event).
    pub fn enqueue_event(&self, event: &NewEvent, now: Timestamp) -> Result<i64, Error> {
        events::enqueue(self.conn, &event.endpoint, &event.kind, &event.payload, now)
    }

    /// See [`Store::audit`](super::Store::audit).
    pub fn audit(
        &self,
        token: &str,
        action: &str,
        target: Option<&str>,
        now: Timestamp,
    ) -> Result<i64, Error> {
        events::audit(self.conn, token, action, target, now)
    }

    /// See [`Store::opted_out`](super::Store::opted_out).
    pub fn opted_out(&self, number: &str) -> Result<bool, Error> {
        consent::opted_out(self.conn, number)
    }

    /// See [`Store::set_consent`](super::Store::set_consent).
    pub fn set_consent(
        &self,
        number: &str,
        opted_out: bool,
        source: &str,
        now: Timestamp,
    ) -> Result<bool, Error> {
        consent::set(self.conn, number, opted_out, source, now)
    }

    /// See [`Store::consent_history`](super::Store::consent_history).
    pub fn consent_history(&self, number: &str) -> Result<Vec<ConsentChange>, Error> {
        consent::history(self.conn, number)
    }

    /// Records an inbound message from `number` on its conversation (creating it on first
    /// contact); returns the conversation and whether this was the first contact.
    pub fn conversation_inbound(
        &self,
        number: &str,
        now: Timestamp,
    ) -> Result<(Conversation, bool), Error> {
        conversations::on_inbound(self.conn, number, now)
    }

    /// See [`Store::conversation_with`](super::Store::conversation_with).
    pub fn conversation_with(&self, number: &str) -> Result<Option<Conversation>, Error> {
        conversations::by_number(self.conn, number)
    }

    /// See [`Store::update_conversation`](super::Store::update_conversation).
    pub fn update_conversation(
        &self,
        id: &str,
        update: &ConversationUpdate,
        now: Timestamp,
    ) -> Result<Conversation, Error> {
        conversations::update(self.conn, id, update, now)
    }

    /// When automatic replies to `number` were queued since `since`, oldest first (the flood
    /// guard's window).
    pub fn auto_replies_since(
        &self,
        number: &str,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>, Error> {
        history::auto_replies_since(self.conn, number, since)
    }

    /// When messages from `sender` were completed since `since`, oldest first.
    pub fn inbound_since(&self, sender: &str, since: Timestamp) -> Result<Vec<Timestamp>, Error> {
        history::inbound_since(self.conn, sender, since)
    }

    /// Records which rule fired for inbound message `id`.
    pub fn set_inbound_rule(&self, id: &str, rule: &str) -> Result<(), Error> {
        history::set_inbound_rule(self.conn, id, rule)
    }

    /// See [`Store::create_campaign`](super::Store::create_campaign).
    pub fn create_campaign(
        &self,
        campaign: &NewCampaign,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> Result<Campaign, Error> {
        campaigns::create(self.conn, campaign, messages, now)
    }

    /// See [`Store::rules`](super::Store::rules) (sees this transaction's writes).
    pub fn rules(&self) -> Result<Vec<StoredRule>, Error> {
        rules::load(self.conn)
    }

    /// See [`Store::replace_rules`](super::Store::replace_rules).
    pub fn replace_rules(
        &self,
        list: &[NewRule],
        by: Option<&str>,
        now: Timestamp,
    ) -> Result<(), Error> {
        rules::replace(self.conn, list, by, now)
    }

    // ---- contacts, consent listing and templates (the contacts API) ----

    /// See [`Store::get_contact`](super::Store::get_contact) (sees this transaction's writes).
    pub fn get_contact(&self, number: &str) -> Result<Option<Contact>, Error> {
        contacts::get(self.conn, number)
    }

    /// See [`Store::upsert_contact`](super::Store::upsert_contact).
    pub fn upsert_contact(
        &self,
        contact: &NewContact,
        now: Timestamp,
    ) -> Result<(Contact, bool), Error> {
        contacts::upsert(self.conn, contact, now)
    }

    /// See [`Store::delete_contact`](super::Store::delete_contact).
    pub fn delete_contact(&self, number: &str) -> Result<bool, Error> {
        contacts::delete(self.conn, number)
    }

    /// See [`Store::list_contacts`](super::Store::list_contacts).
    pub fn list_contacts(
        &self,
        filter: &ContactFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Contact>, Error> {
        contacts::list(self.conn, filter, cursor, limit)
    }

    /// See [`Store::groups_of`](super::Store::groups_of).
    pub fn groups_of(&self, number: &str) -> Result<Vec<String>, Error> {
        contacts::groups_of(self.conn, number)
    }

    /// See [`Store::group_members`](super::Store::group_members).
    pub fn group_members(&self, group: &str) -> Result<Vec<Contact>, Error> {
        contacts::all(self.conn, Some(group))
    }

    /// How many contacts `group` has, counted without reading them.
    pub fn group_size(&self, group: &str) -> Result<u64, Error> {
        contacts::group_size(self.conn, group)
    }

    /// See [`Store::list_groups`](super::Store::list_groups).
    pub fn list_groups(&self) -> Result<Vec<(String, u64)>, Error> {
        contacts::groups(self.conn)
    }

    /// See [`Store::import_contacts`](super::Store::import_contacts).
    pub fn import_contacts(
        &self,
        rows: &[NewContact],
        now: Timestamp,
    ) -> Result<ImportCounts, Error> {
        contacts::import(self.conn, rows, now)
    }

    /// See [`Store::list_consent`](super::Store::list_consent).
    pub fn list_consent(
        &self,
        opted_out: bool,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<ConsentState>, Error> {
        consent::list(self.conn, opted_out, cursor, limit)
    }

    /// See [`Store::get_template`](super::Store::get_template).
    pub fn get_template(&self, name: &str) -> Result<Option<Template>, Error> {
        templates::get(self.conn, name)
    }

    /// See [`Store::upsert_template`](super::Store::upsert_template).
    pub fn upsert_template(
        &self,
        name: &str,
        body: &str,
        updated_by: Option<&str>,
        now: Timestamp,
    ) -> Result<(Template, bool), Error> {
        templates::upsert(self.conn, name, body, updated_by, now)
    }

    /// See [`Store::delete_template`](super::Store::delete_template).
    pub fn delete_template(&self, name: &str) -> Result<bool, Error> {
        templates::delete(self.conn, name)
    }

    /// See [`Store::list_templates`](super::Store::list_templates).
    pub fn list_templates(&self) -> Result<Vec<Template>, Error> {
        templates::list(self.conn)
    }

    // ---- conversations ----

    /// See [`Store::get_conversation`](super::Store::get_conversation) (sees this transaction's
    /// writes).
    pub fn get_conversation(&self, id: &str) -> Result<Conversation, Error> {
        conversations::get(self.conn, id)
    }

    /// See [`Store::mark_conversation_read`](super::Store::mark_conversation_read).
    pub fn mark_conversation_read(&self, id: &str) -> Result<Conversation, Error> {
        super::threads::mark_read(self.conn, id)
    }
}
