//! The AT protocol (ITU-T V.250, 3GPP TS 27.007 / 27.005): a pure incremental framer, typed
//! result codes, URCs and commands, and (later) the client actor that owns a port.
//!
//! Everything here except the client is pure: bytes or lines in, values out, no I/O, no tokio. The
//! split (`docs/architecture.md`, "Layers"): the [`framer`] turns bytes into lines, prompts and
//! final result codes; [`urc`] recognises unsolicited result codes; [`command`] knows each
//! command's wire form, prefix, timeout and response parser; [`values`] holds what commands and
//! URCs share (registration, PIN state, signal); [`result`] holds the final result codes. Errors of this layer are [`ParseError`].

// Both parse what modems and the network send: an index out of range would be a panic on
// external data. `unwrap` and `expect` are denied crate-wide in Cargo.toml.
#![deny(clippy::indexing_slicing)]

pub mod client;
pub mod command;
pub mod framer;
pub mod parse;
pub mod result;
pub mod trace;
pub mod urc;
pub mod values;

pub use parse::ParseError;
