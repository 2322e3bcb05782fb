//! Other gateways' HTTP APIs, each served on a listener of its own (`[compat.*]` in the
//! config), so that clients written for them can send through smsgate by changing a URL:
//! SMS Gateway for Android's local server ([`smsgate`]) and Kannel's `sendsms` ([`kannel`]).
//! Every one translates its request into what `POST /api/v1/messages` takes and queues it
//! through the same validation and transaction ([`crate::http::messages`]), authenticated
//! with the same `[[http.tokens]]` and audited under the token's name.

pub mod events;
pub mod kannel;
pub mod kannel_escapes;
pub mod smsgate;
