//! PDU mode (TS 27.005 §3.1, §4.3): the SMSC address prefix followed by the
//! TPDU, written as hex. `AT+CMGS=<length>` counts only the TPDU's octets.

use super::address::Address;
use super::error::{DecodeError, DecodeErrorKind};
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
            tpdu: bytes[n..].to_vec(),
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
    let tpdu = &bytes[n..];
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

/// Hex digit values; 0xFF for bytes that are not hex digits.
static HEX: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Hex to octets; upper or lower case, no separators. Bounded by the input.
pub fn from_hex(s: &str) -> Result<Vec<u8>, DecodeError> {
    let b = s.as_bytes();
    let bad = |i: usize| DecodeError::new("hex", i / 2, DecodeErrorKind::InvalidHex);
    if !b.len().is_multiple_of(2) {
        return Err(bad(b.len()));
    }
    let mut out = Vec::with_capacity(b.len() / 2);
    for (i, pair) in b.chunks_exact(2).enumerate() {
        let (hi, lo) = (HEX[usize::from(pair[0])], HEX[usize::from(pair[1])]);
        if (hi | lo) & 0xF0 != 0 {
            return Err(bad(if hi == 0xFF { 2 * i } else { 2 * i + 1 }));
        }
        out.push(hi << 4 | lo);
    }
    Ok(out)
}

/// Octets to upper-case hex, as modems print it.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_table() {
        let cases: &[(&str, &str, Result<&[u8], &str>)] = &[
            ("upper", "0A1B", Ok(&[0x0A, 0x1B])),
            ("lower", "0a1b", Ok(&[0x0A, 0x1B])),
            ("empty", "", Ok(&[])),
            ("odd length", "0A1", Err("hex at octet 1: not a hex string")),
            ("not hex", "0A=9", Err("hex at octet 1: not a hex string")),
        ];
        for (name, s, want) in cases {
            match (from_hex(s), want) {
                (Ok(b), Ok(w)) => {
                    assert_eq!(b, *w, "{name}");
                    assert_eq!(to_hex(&b), s.to_uppercase(), "{name} back");
                }
                (Err(e), Err(w)) => assert_eq!(e.to_string(), *w, "{name}"),
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
    }

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
