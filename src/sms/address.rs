//! Addresses: TP-OA / TP-DA / TP-RA (TS 23.040 §9.1.2.5) and the RP-SC
//! address of the SMSC in the PDU-mode prefix (TS 24.011 §8.2.5.2,
//! TS 27.005 §3.1).

use std::fmt;

use super::error::{DecodeError, DecodeErrorKind, EncodeError};
use super::gsm7::{Charset, pack};
use super::semioctet;

/// Type of number, TS 23.040 §9.1.2.5 (bits 6-4 of the type-of-address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ton {
    Unknown = 0,
    International = 1,
    National = 2,
    NetworkSpecific = 3,
    Subscriber = 4,
    Alphanumeric = 5,
    Abbreviated = 6,
    Reserved = 7,
}

impl Ton {
    fn from_bits(b: u8) -> Ton {
        match b & 7 {
            0 => Ton::Unknown,
            1 => Ton::International,
            2 => Ton::National,
            3 => Ton::NetworkSpecific,
            4 => Ton::Subscriber,
            5 => Ton::Alphanumeric,
            6 => Ton::Abbreviated,
            _ => Ton::Reserved,
        }
    }
}

/// Numbering plan identification (bits 3-0 of the type-of-address); kept as
/// the raw value. 1 is ISDN/E.164, the plan of ordinary phone numbers.
pub type Npi = u8;

/// ISDN/telephone numbering plan (E.164/E.163).
pub const NPI_ISDN: Npi = 1;

/// An address with its type of number and numbering plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    pub ton: Ton,
    pub npi: Npi,
    /// Digits (`0-9 * # a b c`) or, for [`Ton::Alphanumeric`], the text.
    pub value: String,
}

impl Address {
    /// A phone number as a user writes it: `+` then digits for an
    /// international number, digits alone for a national number or short code
    /// (type unknown, as phones send them).
    pub fn parse_number(s: &str) -> Result<Address, EncodeError> {
        let bad = |why| EncodeError::InvalidAddress(s.to_owned(), why);
        let (ton, digits) = match s.strip_prefix('+') {
            Some(rest) => (Ton::International, rest),
            None => (Ton::Unknown, s),
        };
        if digits.is_empty() {
            return Err(bad("no digits"));
        }
        if digits.len() > 20 {
            return Err(bad("more than 20 digits"));
        }
        if ton == Ton::International && !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("an international number has only digits after '+'"));
        }
        if !digits
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
        {
            return Err(bad("only digits, '*' and '#' are allowed"));
        }
        Ok(Address {
            ton,
            npi: NPI_ISDN,
            value: digits.to_owned(),
        })
    }

    /// An alphanumeric sender (at most 11 GSM 7-bit characters).
    pub fn alphanumeric(text: &str) -> Result<Address, EncodeError> {
        let mut septets = Vec::new();
        Charset::DEFAULT
            .encode(text, &mut septets)
            .map_err(|_| EncodeError::InvalidAddress(text.to_owned(), "not GSM 7-bit"))?;
        if septets.is_empty() || septets.len() > 11 {
            return Err(EncodeError::InvalidAddress(
                text.to_owned(),
                "alphanumeric addresses have 1 to 11 septets",
            ));
        }
        Ok(Address {
            ton: Ton::Alphanumeric,
            npi: 0,
            value: text.to_owned(),
        })
    }

    fn toa(&self) -> u8 {
        0x80 | (self.ton as u8) << 4 | (self.npi & 0x0F)
    }

    /// Decodes a TP address; returns it and the octets used.
    pub fn decode(data: &[u8]) -> Result<(Address, usize), DecodeError> {
        let len = *data
            .first()
            .ok_or_else(|| DecodeError::truncated("len", 0))? as usize;
        let toa = *data
            .get(1)
            .ok_or_else(|| DecodeError::truncated("toa", 1))?;
        let octets = len.div_ceil(2);
        let body = data
            .get(2..2 + octets)
            .ok_or_else(|| DecodeError::truncated("value", data.len()))?;
        let ton = Ton::from_bits(toa >> 4);
        let value = if ton == Ton::Alphanumeric {
            let mut septets = Vec::with_capacity(len * 4 / 7);
            pack::unpack(body, 0, len * 4 / 7, &mut septets)
                .ok_or_else(|| DecodeError::truncated("value", data.len()))?;
            let mut text = String::new();
            Charset::DEFAULT.decode(&septets, &mut text);
            text
        } else {
            digits(body, len, 2)?
        };
        Ok((
            Address {
                ton,
                npi: toa & 0x0F,
                value,
            },
            2 + octets,
        ))
    }

    /// Encodes as a TP address.
    pub fn encode(&self, out: &mut Vec<u8>) {
        if self.ton == Ton::Alphanumeric {
            let mut septets = Vec::new();
            // Values come from `alphanumeric`, or a decoder that produced
            // only GSM characters; anything else is dropped.
            let _ = Charset::DEFAULT.encode(&self.value, &mut septets);
            let mut packed = Vec::new();
            pack::pack(&septets, 0, &mut packed);
            out.push((septets.len() * 7).div_ceil(4) as u8);
            out.push(self.toa());
            out.extend_from_slice(&packed);
        } else {
            out.push(self.value.len() as u8);
            out.push(self.toa());
            semioctet::pack(self.value.chars().filter_map(semioctet::char_digit), out);
        }
    }

    /// Decodes the SMSC address of the PDU-mode prefix, whose length octet
    /// counts octets (type-of-address included), not digits. Length 0 means
    /// no SMSC (the modem's default).
    pub fn decode_smsc(data: &[u8]) -> Result<(Option<Address>, usize), DecodeError> {
        let len = *data
            .first()
            .ok_or_else(|| DecodeError::truncated("len", 0))? as usize;
        if len == 0 {
            return Ok((None, 1));
        }
        let body = data
            .get(1..1 + len)
            .ok_or_else(|| DecodeError::truncated("len", 0))?;
        if len > 11 {
            return Err(DecodeError::new(
                "len",
                0,
                DecodeErrorKind::OutOfRange("SMSC address length"),
            ));
        }
        let (&toa, rest) = body
            .split_first()
            .ok_or_else(|| DecodeError::truncated("toa", 1))?;
        let value = digits(rest, (len - 1) * 2, 2)?;
        Ok((
            Some(Address {
                ton: Ton::from_bits(toa >> 4),
                npi: toa & 0x0F,
                value,
            }),
            1 + len,
        ))
    }

    /// Encodes as the PDU-mode SMSC prefix.
    pub fn encode_smsc(addr: Option<&Address>, out: &mut Vec<u8>) {
        match addr {
            None => out.push(0),
            Some(a) => {
                out.push(1 + a.value.len().div_ceil(2) as u8);
                out.push(a.toa());
                semioctet::pack(a.value.chars().filter_map(semioctet::char_digit), out);
            }
        }
    }
}

/// Reads up to `count` semi-octet digits; filler nibbles are skipped.
fn digits(body: &[u8], count: usize, base: usize) -> Result<String, DecodeError> {
    let mut s = String::with_capacity(count);
    for i in 0..count {
        let octet = *body
            .get(i / 2)
            .ok_or_else(|| DecodeError::truncated("value", base + i / 2))?;
        let nibble = if i % 2 == 0 { octet & 0x0F } else { octet >> 4 };
        match semioctet::digit_char(nibble) {
            Some(c) => s.push(c),
            None if nibble == 0xF => {}
            None => {
                return Err(DecodeError::new(
                    "value",
                    base + i / 2,
                    DecodeErrorKind::InvalidDigit(nibble),
                ));
            }
        }
    }
    Ok(s)
}

impl fmt::Display for Address {
    /// International numbers with a leading `+`; others as they are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ton == Ton::International && !self.value.starts_with('+') {
            f.write_str("+")?;
        }
        f.write_str(&self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        crate::sms::hex::from_hex(s).unwrap()
    }

    #[test]
    fn tp_address_table() {
        // (name, hex, ton, npi, value, display)
        let cases: &[(&str, &str, Ton, u8, &str, &str)] = &[
            (
                "international, odd digits",
                "0B916171957291F8",
                Ton::International,
                1,
                "16175927198",
                "+16175927198",
            ),
            (
                "short code, unknown type",
                "04812300",
                Ton::Unknown,
                1,
                "3200",
                "3200",
            ),
            (
                "national",
                "0AA11062452143",
                Ton::National,
                1,
                "0126541234",
                "0126541234",
            ),
            (
                "alphanumeric InternetSMS",
                "14D04937BD2C7797E9D3E614",
                Ton::Alphanumeric,
                0,
                "InternetSMS",
                "InternetSMS",
            ),
            ("star and hash", "04812AB3", Ton::Unknown, 1, "*23#", "*23#"),
        ];
        for (name, h, ton, npi, value, display) in cases {
            let bytes = hex(h);
            let (a, used) = Address::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(used, bytes.len(), "{name} length");
            assert_eq!(
                (a.ton, a.npi, a.value.as_str()),
                (*ton, *npi, *value),
                "{name}"
            );
            assert_eq!(a.to_string(), *display, "{name} display");
            let mut enc = Vec::new();
            a.encode(&mut enc);
            assert_eq!(enc, bytes, "{name} encode");
        }
    }

    #[test]
    fn tp_address_errors() {
        let cases: &[(&str, &str, &str)] = &[
            ("empty", "", "len at octet 0: truncated"),
            ("no type", "0B", "toa at octet 1: truncated"),
            ("digits cut short", "0B9161", "value at octet 3: truncated"),
        ];
        for (name, h, want) in cases {
            let err = Address::decode(&hex(h)).unwrap_err();
            assert_eq!(err.to_string(), *want, "{name}");
        }
    }

    #[test]
    fn smsc_table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("none", "00", None),
            ("international", "07912143658709F1", Some("+12345678901")),
            ("national short", "04A12143F5", Some("12345")),
        ];
        for (name, h, want) in cases {
            let bytes = hex(h);
            let (a, used) = Address::decode_smsc(&bytes).unwrap();
            assert_eq!(used, bytes.len(), "{name}");
            assert_eq!(
                a.as_ref().map(|a| a.to_string()).as_deref(),
                *want,
                "{name}"
            );
            let mut enc = Vec::new();
            Address::encode_smsc(a.as_ref(), &mut enc);
            assert_eq!(enc, bytes, "{name} encode");
        }
        assert_eq!(
            Address::decode_smsc(&hex("C47479"))
                .unwrap_err()
                .to_string(),
            "len at octet 0: truncated"
        );
    }

    #[test]
    fn parse_number_table() {
        let cases: &[(&str, &str, Result<(Ton, &str), ()>)] = &[
            (
                "international",
                "+819012345678",
                Ok((Ton::International, "819012345678")),
            ),
            ("short code", "3200", Ok((Ton::Unknown, "3200"))),
            ("empty", "", Err(())),
            ("plus only", "+", Err(())),
            ("letters", "+81abc", Err(())),
            ("semi-octet letters are not for users", "12abc", Err(())),
            ("spaces", "090 1234", Err(())),
            ("too long", "+123456789012345678901", Err(())),
        ];
        for (name, s, want) in cases {
            let got = Address::parse_number(s)
                .map(|a| (a.ton, a.value))
                .map_err(|_| ());
            assert_eq!(got, want.map(|(t, v)| (t, v.to_owned())), "{name}");
        }
    }
}
