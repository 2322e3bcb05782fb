//! The outbox rows that are not smsgate's own events but calls another API expects (made by
//! [`crate::compat::events`]): their `kind` tells the [`super::Deliverer`] how to send them.

/// Kind prefix of an SMS Gateway for Android webhook delivery: `smsgate-app:<event>`. POSTed
/// as JSON, signed with `X-Signature` and `X-Timestamp`.
pub const KIND_APP: &str = "smsgate-app:";
/// Kind of a Kannel `dlr-url` call: a GET of the expanded URL (the row's endpoint).
pub const KIND_KANNEL_DLR: &str = "kannel:dlr";
/// Kind of a Kannel `get-url`/`post-url` call for a received message; its answer may be a
/// reply. The payload is a [`ServiceCall`].
pub const KIND_KANNEL_SERVICE: &str = "kannel:service";

/// A Kannel `sms-service` call, as stored in its outbox row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServiceCall {
    /// `GET` or `POST`.
    pub method: String,
    /// The body of a POST: the text.
    #[serde(default)]
    pub body: String,
    /// Kannel's `X-Kannel-*` headers of a POST.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Where an answer goes, when answers are sent back; `None` when they are not.
    pub reply_to: Option<String>,
    /// The received message's id.
    pub inbound: String,
}
