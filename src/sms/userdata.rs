//! TP-UDL and TP-UD, the user data (TS 23.040 §9.2.3.16, §9.2.3.24): an
//! optional header, then text or data in the alphabet TP-DCS names.

use super::dcs::{Alphabet, Dcs};
use super::error::{DecodeError, DecodeErrorKind, EncodeError};
use super::gsm7::{Charset, pack};
use super::ucs2;
use super::udh::Udh;

/// At most 140 octets of user data fit in one TPDU (§9.2.3.24).
pub const MAX_OCTETS: usize = 140;
/// ... which hold 160 septets.
pub const MAX_SEPTETS: usize = 160;

/// The user data, with the text still in its code units so that
/// reassembly can join parts before decoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Body {
    /// Unpacked septets and the tables they are read with.
    Gsm7 { septets: Vec<u8>, charset: Charset },
    /// UTF-16BE octets.
    Ucs2(Vec<u8>),
    /// 8-bit data, or compressed data (TS 23.042) left as it came.
    Data(Vec<u8>),
}

impl Body {
    /// The alphabet the body is in.
    pub fn alphabet(&self) -> Alphabet {
        match self {
            Body::Gsm7 { .. } => Alphabet::Gsm7,
            Body::Ucs2(_) => Alphabet::Ucs2,
            Body::Data(_) => Alphabet::EightBit,
        }
    }

    /// The text, for the 7-bit and UCS-2 alphabets.
    pub fn text(&self) -> Option<String> {
        let mut s = String::new();
        match self {
            Body::Gsm7 { septets, charset } => charset.decode(septets, &mut s),
            Body::Ucs2(b) => ucs2::decode(b, &mut s),
            Body::Data(_) => return None,
        }
        Some(s)
    }
}

/// TP-UD with its header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserData {
    pub udh: Option<Udh>,
    pub body: Body,
}

impl UserData {
    /// GSM 7-bit text with the default tables and no header.
    pub fn gsm7(text: &str) -> Result<UserData, EncodeError> {
        let mut septets = Vec::new();
        Charset::DEFAULT
            .encode(text, &mut septets)
            .map_err(EncodeError::NotGsm7)?;
        Ok(UserData {
            udh: None,
            body: Body::Gsm7 {
                septets,
                charset: Charset::DEFAULT,
            },
        })
    }

    /// UCS-2 text with no header.
    pub fn ucs2(text: &str) -> UserData {
        let mut b = Vec::new();
        ucs2::encode(text, &mut b);
        UserData {
            udh: None,
            body: Body::Ucs2(b),
        }
    }

    pub fn text(&self) -> Option<String> {
        self.body.text()
    }

    /// The body's octets in hex (8-bit data as it came).
    pub fn body_hex(&self) -> String {
        match &self.body {
            Body::Gsm7 { septets, .. } => super::hex::to_hex(septets),
            Body::Ucs2(b) | Body::Data(b) => super::hex::to_hex(b),
        }
    }

    /// Decodes TP-UDL and TP-UD; returns the user data and the octets used.
    pub fn decode(dcs: Dcs, udhi: bool, data: &[u8]) -> Result<(UserData, usize), DecodeError> {
        let udl = usize::from(
            *data
                .first()
                .ok_or_else(|| DecodeError::truncated("udl", 0))?,
        );
        let septets = dcs.alphabet() == Alphabet::Gsm7 && !dcs.compressed();
        let (octets, max) = if septets {
            (pack::packed_len(udl, 0), MAX_SEPTETS)
        } else {
            (udl, MAX_OCTETS)
        };
        if udl > max {
            return Err(DecodeError::new(
                "udl",
                0,
                DecodeErrorKind::OutOfRange("udl"),
            ));
        }
        let ud = data
            .get(1..1 + octets)
            .ok_or_else(|| DecodeError::truncated("", data.len()))?;
        let (udh, hlen) = if udhi {
            let (udh, n) = Udh::decode(ud).map_err(|e| e.within("udh", 1))?;
            (Some(udh), n)
        } else {
            (None, 0)
        };
        let body = if septets {
            let fill = fill_bits(hlen);
            let header_septets = (hlen * 8 + fill) / 7;
            let count = udl.checked_sub(header_septets).ok_or_else(|| {
                DecodeError::new(
                    "udl",
                    0,
                    DecodeErrorKind::OutOfRange("udl shorter than the header"),
                )
            })?;
            let mut out = Vec::with_capacity(count);
            let septets = ud
                .get(hlen..)
                .ok_or_else(|| DecodeError::truncated("", data.len()))?;
            pack::unpack(septets, fill, count, &mut out)
                .ok_or_else(|| DecodeError::truncated("", data.len()))?;
            let charset = udh.as_ref().map(Udh::charset).unwrap_or_default();
            Body::Gsm7 {
                septets: out,
                charset,
            }
        } else {
            let rest = ud.get(hlen..).ok_or_else(|| {
                DecodeError::new(
                    "udl",
                    0,
                    DecodeErrorKind::OutOfRange("udl shorter than the header"),
                )
            })?;
            if dcs.alphabet() == Alphabet::Ucs2 && !dcs.compressed() {
                Body::Ucs2(rest.to_vec())
            } else {
                Body::Data(rest.to_vec())
            }
        };
        Ok((UserData { udh, body }, 1 + octets))
    }

    /// Appends TP-UDL and TP-UD. Fails when it would not fit one TPDU.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let hlen = self.udh.as_ref().map_or(0, Udh::len);
        let (udl, octets) = match &self.body {
            Body::Gsm7 { septets, .. } => {
                let fill = fill_bits(hlen);
                let udl = (hlen * 8 + fill) / 7 + septets.len();
                (udl, pack::packed_len(udl, 0))
            }
            Body::Ucs2(b) | Body::Data(b) => (hlen + b.len(), hlen + b.len()),
        };
        if octets > MAX_OCTETS {
            return Err(EncodeError::UserDataTooLong {
                len: octets,
                max: MAX_OCTETS,
            });
        }
        out.push(udl as u8);
        if let Some(udh) = &self.udh {
            udh.encode(out);
        }
        match &self.body {
            Body::Gsm7 { septets, .. } => pack::pack(septets, fill_bits(hlen), out),
            Body::Ucs2(b) | Body::Data(b) => out.extend_from_slice(b),
        }
        Ok(())
    }
}

/// Fill bits that bring a header of `header_octets` to a septet boundary.
pub fn fill_bits(header_octets: usize) -> usize {
    (7 - (header_octets * 8) % 7) % 7
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        crate::sms::hex::from_hex(s).unwrap()
    }

    #[test]
    fn fill_bits_table() {
        // (header octets incl. UDHL, fill bits): 6-octet concat header -> 1.
        for (octets, fill) in [(0, 0), (1, 6), (6, 1), (7, 0), (5, 2), (8, 6)] {
            assert_eq!(fill_bits(octets), fill, "{octets} octets");
        }
    }

    #[test]
    fn user_data_table() {
        // (name, dcs, udhi, hex from UDL, text or None)
        let cases: &[(&str, u8, bool, &str, Option<&str>)] = &[
            (
                "gsm7 hellohello",
                0x00,
                false,
                "0AE8329BFD4697D9EC37",
                Some("hellohello"),
            ),
            ("ucs2", 0x08, false, "080442043504410442", Some("тест")),
            ("8-bit", 0x04, false, "03010203", None),
            // gammu tests/at-sms/19.dump: UDHI with an empty header and 6 fill bits.
            (
                "empty header",
                0x00,
                true,
                "1600C034DC86B3CBA063B8DDAE83DAE5F93C7C2E03",
                Some("Sample Gammu message"),
            ),
            ("compressed stays data", 0x24, false, "02ABCD", None),
        ];
        for (name, dcs, udhi, h, text) in cases {
            let bytes = hex(h);
            let (ud, used) = UserData::decode(Dcs(*dcs), *udhi, &bytes)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(used, bytes.len(), "{name} used");
            if let Some(text) = text {
                assert_eq!(ud.text().as_deref(), Some(*text), "{name}");
            }
            let mut enc = Vec::new();
            ud.encode(&mut enc).unwrap();
            assert_eq!(enc, bytes, "{name} encode");
        }
    }

    #[test]
    fn concat_header_text() {
        let mut ud = UserData::gsm7("Hello").unwrap();
        ud.udh = Some(Udh {
            ies: vec![crate::sms::udh::Ie::Concat(crate::sms::udh::Concat {
                reference: 1,
                total: 2,
                sequence: 1,
                wide: false,
            })],
        });
        let mut enc = Vec::new();
        ud.encode(&mut enc).unwrap();
        // 6 header octets + 1 fill bit = 7 septets, plus 5 of text.
        assert_eq!(enc[0], 12);
        let (back, _) = UserData::decode(Dcs(0), true, &enc).unwrap();
        assert_eq!(back, ud);
        assert_eq!(back.text().as_deref(), Some("Hello"));
    }

    #[test]
    fn user_data_errors() {
        let cases: &[(&str, u8, bool, &str, &str)] = &[
            ("empty", 0x00, false, "", "udl at octet 0: truncated"),
            (
                "septets beyond data",
                0x00,
                false,
                "0BE8329BFD4697D9EC37",
                " at octet 10: truncated",
            ),
            (
                "ucs2 beyond data",
                0x08,
                false,
                "A0050003000301306F3044",
                "udl at octet 0: udl out of range",
            ),
            (
                "octets beyond data",
                0x08,
                false,
                "0A0003",
                " at octet 3: truncated",
            ),
            (
                "header beyond udl",
                0x08,
                true,
                "02050003000301",
                "udh at octet 3: truncated",
            ),
            (
                "septets over 160",
                0x00,
                false,
                "A1",
                "udl at octet 0: udl out of range",
            ),
        ];
        for (name, dcs, udhi, h, want) in cases {
            let err = UserData::decode(Dcs(*dcs), *udhi, &hex(h)).unwrap_err();
            assert_eq!(err.to_string(), *want, "{name}");
        }
    }
}
