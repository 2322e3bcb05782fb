//! TPDUs (TS 23.040 §9.2.2). Decoding takes a [`Direction`] because TP-MTI
//! alone is ambiguous: MTI 0 is SMS-DELIVER towards the phone and
//! SMS-DELIVER-REPORT from it.

mod deliver;
mod status_report;
mod submit;

pub use deliver::Deliver;
pub use status_report::{Status, StatusClass, StatusReport};
pub use submit::Submit;

use super::error::{DecodeError, DecodeErrorKind};

/// Which way a TPDU travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Network to phone (SMS-DELIVER, SMS-SUBMIT-REPORT, SMS-STATUS-REPORT).
    MobileTerminated,
    /// Phone to network (SMS-SUBMIT, SMS-DELIVER-REPORT, SMS-COMMAND).
    MobileOriginated,
}

/// A decoded TPDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tpdu {
    Deliver(Deliver),
    Submit(Submit),
    StatusReport(StatusReport),
}

/// TP-MTI, bits 1-0 of the first octet (§9.2.3.1).
pub fn mti(first_octet: u8) -> u8 {
    first_octet & 0x03
}

impl Tpdu {
    /// Decodes a TPDU travelling in `direction`.
    pub fn decode(bytes: &[u8], direction: Direction) -> Result<Tpdu, DecodeError> {
        let first = *bytes
            .first()
            .ok_or_else(|| DecodeError::truncated("tpdu.first_octet", 0))?;
        match (direction, mti(first)) {
            (Direction::MobileTerminated, 0) => Deliver::decode(bytes).map(Tpdu::Deliver),
            (Direction::MobileOriginated, 1) => Submit::decode(bytes).map(Tpdu::Submit),
            (Direction::MobileTerminated, 2) => StatusReport::decode(bytes).map(Tpdu::StatusReport),
            (Direction::MobileTerminated, 1) => Err(unsupported("SMS-SUBMIT-REPORT")),
            (Direction::MobileOriginated, 0) => Err(unsupported("SMS-DELIVER-REPORT")),
            (Direction::MobileOriginated, 2) => Err(unsupported("SMS-COMMAND")),
            _ => Err(unsupported("reserved message type")),
        }
    }

    /// Decodes a TPDU as a modem reports stored messages (`+CMGL`,
    /// `+CMGR`): MTI 0 is a received SMS-DELIVER, 1 an SMS-SUBMIT written to
    /// storage, 2 an SMS-STATUS-REPORT.
    pub fn decode_stored(bytes: &[u8]) -> Result<Tpdu, DecodeError> {
        let direction = match bytes.first().map(|&b| mti(b)) {
            Some(1) => Direction::MobileOriginated,
            _ => Direction::MobileTerminated,
        };
        Self::decode(bytes, direction)
    }
}

fn unsupported(what: &'static str) -> DecodeError {
    DecodeError::new("tpdu.first_octet", 0, DecodeErrorKind::Unsupported(what))
}

/// Bit `n` of a TPDU's first octet (TS 23.040 §9.2.3: TP-MMS, TP-SRR, TP-UDHI, ...).
pub(crate) fn bit(octet: u8, n: u8) -> bool {
    octet & (1 << n) != 0
}
