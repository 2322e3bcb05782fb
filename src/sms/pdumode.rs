//! PDU mode (TS 27.005 §3.1, §4.3): the SMSC address prefix followed by the
//! TPDU, written as hex. `AT+CMGS=<length>` counts only the TPDU's octets.

use super::address::Address;
use super::error::DecodeError;
pub use super::hex::{from_hex, to_hex};
use super::tpdu::{Direction, Tpdu};

/// A PDU as a modem prints or takes it: SMSC address and TPDU octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// The service centre; None for the modem's default (prefix `00`).
    pub smsc: Option<Address>,
    pub tpdu: Vec<u8>,
}

impl Pdu {
    /// Splits PDU-mode octets into SMSC and TPDU.
    pub fn decode(bytes: &[u8]) -> Result<Pdu, DecodeError> {
        let (smsc, n) = Address::decode_smsc(bytes).map_err(|e| e.within("smsc", 0))?;
        Ok(Pdu {
            smsc,
            tpdu: bytes.get(n..).unwrap_or_default().to_vec(),
        })
    }

    /// PDU-mode octets: SMSC prefix then TPDU.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(12 + self.tpdu.len());
        Address::encode_smsc(self.smsc.as_ref(), &mut out);
        out.extend_from_slice(&self.tpdu);
        out
    }

    /// The length `AT+CMGS` and `AT+CMGW` want: TPDU octets only.
    pub fn tpdu_len(&self) -> usize {
        self.tpdu.len()
    }

    /// The hex string to write after the `> ` prompt.
    pub fn to_hex(&self) -> String {
        to_hex(&self.encode())
    }
}

/// Decodes a hex PDU with or without the SMSC prefix, as a modem reports a
/// stored message. Errors carry octet offsets into the whole PDU.
pub fn decode_hex(hex: &str, with_smsc: bool) -> Result<(Option<Address>, Tpdu), DecodeError> {
    let bytes = from_hex(hex)?;
    decode(&bytes, with_smsc, None)
}

/// Decodes PDU-mode octets. `direction` None reads the type from the MTI as
/// stored messages are reported (see [`Tpdu::decode_stored`]).
pub fn decode(
    bytes: &[u8],
    with_smsc: bool,
    direction: Option<Direction>,
) -> Result<(Option<Address>, Tpdu), DecodeError> {
    let (smsc, n) = if with_smsc {
        Address::decode_smsc(bytes).map_err(|e| e.within("smsc", 0))?
    } else {
        (None, 0)
    };
    let tpdu = bytes.get(n..).unwrap_or_default();
    let t = match direction {
        Some(d) => Tpdu::decode(tpdu, d),
        None => Tpdu::decode_stored(tpdu),
    }
    .map_err(|e| e.within_offset(n))?;
    Ok((smsc, t))
}

impl DecodeError {
    fn within_offset(mut self, base: usize) -> Self {
        self.offset += base;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_count_octets_from_the_start_of_the_pdu() {
        // warthog618/sms deliver_internal_test.go "underflow scts", behind an
        // 8-octet SMSC prefix.
        let err = decode_hex("07911614220991F10404913619000051", true).unwrap_err();
        assert_eq!(err.to_string(), "deliver.scts at octet 16: truncated");
        let err = decode_hex("0404913619000051", false).unwrap_err();
        assert_eq!(err.to_string(), "deliver.scts at octet 8: truncated");
    }
}
