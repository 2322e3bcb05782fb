//! The SMS codec: 3GPP TS 23.040 (TPDUs) and TS 23.038 (alphabets). Pure: no
//! I/O, no tokio. Layered bottom-up: hex, semi-octets and septets, alphabets,
//! TP fields, TPDUs, PDU mode, then segmentation and reassembly.

// Both parse what modems and the network send: an index out of range would be a panic on
// external data. `unwrap` and `expect` are denied crate-wide in Cargo.toml.
#![deny(clippy::indexing_slicing)]

pub mod address;
pub mod compose;
pub mod dcs;
pub mod error;
pub mod gsm7;
pub mod hex;
pub mod pdumode;
pub mod reassembly;
pub mod segment;
pub mod semioctet;
pub mod timestamp;
pub mod tpdu;
pub mod ucs2;
pub mod udh;
pub mod userdata;
pub mod validity;

pub use address::{Address, Ton};
pub use dcs::{Alphabet, Dcs};
pub use error::{DecodeError, DecodeErrorKind, EncodeError};
pub use segment::{Count, count};
pub use timestamp::Timestamp;
pub use tpdu::{Deliver, Direction, StatusReport, Submit, Tpdu};
pub use udh::{Concat, Udh};
pub use userdata::{Body, UserData};
