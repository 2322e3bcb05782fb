//! smsgate: an SMS appliance for a Raspberry Pi-class board with GSM/LTE modems.
//!
//! The layers, bottom up (see `docs/architecture.md`, "Layers", and `README.md`):
//! - [`sms`]: the pure SMS codec (3GPP TS 23.040 / 23.038), no I/O;
//! - [`at`]: the AT protocol, a pure framer plus a client actor;
//! - the modem driver, store, gateway, rules, HTTP API and webhooks on top.
//!
//! Lower layers never import higher ones.

pub mod app;
pub mod at;
pub mod board;
pub mod cli;
pub mod compat;
pub mod config;
pub mod desk;
pub mod fault;
pub mod fleet;
pub mod gateway;
pub mod http;
pub mod metrics;
pub mod modem;
pub mod notify;
pub mod phone;
pub mod random;
pub mod rules;
pub mod sim;
pub mod sms;
pub mod store;
pub mod webhook;
