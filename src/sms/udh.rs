//! TP-UDH, the user data header (TS 23.040 §9.2.3.24): information elements
//! for concatenation, application ports and national language shifts;
//! unknown elements are kept as they came.

use super::error::DecodeError;
use super::gsm7::{Charset, Language};

/// IEI 0x00, concatenated short message with an 8-bit reference (§9.2.3.24.1).
pub const IEI_CONCAT_8: u8 = 0x00;
/// IEI 0x04, application port addressing, 8-bit (§9.2.3.24.3).
pub const IEI_PORTS_8: u8 = 0x04;
/// IEI 0x05, application port addressing, 16-bit (§9.2.3.24.4).
pub const IEI_PORTS_16: u8 = 0x05;
/// IEI 0x08, concatenated short message with a 16-bit reference (§9.2.3.24.8).
pub const IEI_CONCAT_16: u8 = 0x08;
/// IEI 0x24, national language single shift (§9.2.3.24.15).
pub const IEI_SINGLE_SHIFT: u8 = 0x24;
/// IEI 0x25, national language locking shift (§9.2.3.24.16).
pub const IEI_LOCKING_SHIFT: u8 = 0x25;

/// Concatenation: this part's place in a longer message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    pub reference: u16,
    /// Number of parts (1..=255).
    pub total: u8,
    /// This part's number, from 1.
    pub sequence: u8,
    /// A 16-bit reference (IEI 0x08) rather than an 8-bit one (IEI 0x00).
    pub wide: bool,
}

/// Application port addressing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ports {
    pub destination: u16,
    pub origin: u16,
    /// 16-bit ports (IEI 0x05) rather than 8-bit ones (IEI 0x04).
    pub wide: bool,
}

/// An information element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ie {
    Concat(Concat),
    Ports(Ports),
    /// A national language single shift: the language code as sent.
    SingleShift(u8),
    /// A national language locking shift: the language code as sent.
    LockingShift(u8),
    /// Any other element, or a known one whose length or values are invalid
    /// (which §9.2.3.24 tells the receiver to ignore), kept as it came.
    Other {
        iei: u8,
        data: Vec<u8>,
    },
}

impl Ie {
    fn from_wire(iei: u8, d: &[u8]) -> Ie {
        let concat = |reference, total, sequence, wide| {
            // §9.2.3.24.1: a zero total or sequence, or a sequence past the
            // total, makes the whole element to be ignored.
            if total == 0 || sequence == 0 || sequence > total {
                None
            } else {
                Some(Ie::Concat(Concat {
                    reference,
                    total,
                    sequence,
                    wide,
                }))
            }
        };
        let known = match (iei, d) {
            (IEI_CONCAT_8, &[r, t, s]) => concat(u16::from(r), t, s, false),
            (IEI_CONCAT_16, &[r1, r2, t, s]) => concat(u16::from_be_bytes([r1, r2]), t, s, true),
            (IEI_PORTS_8, &[d, o]) => Some(Ie::Ports(Ports {
                destination: u16::from(d),
                origin: u16::from(o),
                wide: false,
            })),
            (IEI_PORTS_16, &[d1, d2, o1, o2]) => Some(Ie::Ports(Ports {
                destination: u16::from_be_bytes([d1, d2]),
                origin: u16::from_be_bytes([o1, o2]),
                wide: true,
            })),
            (IEI_SINGLE_SHIFT, &[l]) => Some(Ie::SingleShift(l)),
            (IEI_LOCKING_SHIFT, &[l]) => Some(Ie::LockingShift(l)),
            _ => None,
        };
        known.unwrap_or_else(|| Ie::Other {
            iei,
            data: d.to_vec(),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Ie::Concat(c) if c.wide => {
                let [r1, r2] = c.reference.to_be_bytes();
                out.extend_from_slice(&[IEI_CONCAT_16, 4, r1, r2, c.total, c.sequence]);
            }
            Ie::Concat(c) => {
                out.extend_from_slice(&[IEI_CONCAT_8, 3, c.reference as u8, c.total, c.sequence]);
            }
            Ie::Ports(p) if p.wide => {
                out.extend_from_slice(&[IEI_PORTS_16, 4]);
                out.extend_from_slice(&p.destination.to_be_bytes());
                out.extend_from_slice(&p.origin.to_be_bytes());
            }
            Ie::Ports(p) => {
                out.extend_from_slice(&[IEI_PORTS_8, 2, p.destination as u8, p.origin as u8]);
            }
            Ie::SingleShift(l) => out.extend_from_slice(&[IEI_SINGLE_SHIFT, 1, *l]),
            Ie::LockingShift(l) => out.extend_from_slice(&[IEI_LOCKING_SHIFT, 1, *l]),
            Ie::Other { iei, data } => {
                out.push(*iei);
                out.push(data.len() as u8);
                out.extend_from_slice(data);
            }
        }
    }

    /// Octets on the wire, IEI and length included.
    pub fn len(&self) -> usize {
        2 + match self {
            Ie::Concat(c) => 3 + usize::from(c.wide),
            Ie::Ports(p) => 2 + 2 * usize::from(p.wide),
            Ie::SingleShift(_) | Ie::LockingShift(_) => 1,
            Ie::Other { data, .. } => data.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// A user data header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Udh {
    pub ies: Vec<Ie>,
}

impl Udh {
    /// Decodes the header at the start of the user data (from TP-UDHL);
    /// returns it and the octets used (UDHL + 1).
    pub fn decode(data: &[u8]) -> Result<(Udh, usize), DecodeError> {
        let udhl = usize::from(
            *data
                .first()
                .ok_or_else(|| DecodeError::truncated("udhl", 0))?,
        );
        let body = data
            .get(1..1 + udhl)
            .ok_or_else(|| DecodeError::truncated("", data.len()))?;
        let mut ies = Vec::new();
        let mut i = 0;
        while let Some(&iei) = body.get(i) {
            let len = usize::from(
                *body
                    .get(i + 1)
                    .ok_or_else(|| DecodeError::truncated("iedl", 1 + i + 1))?,
            );
            let d = body
                .get(i + 2..i + 2 + len)
                .ok_or_else(|| DecodeError::truncated("ied", 1 + body.len()))?;
            ies.push(Ie::from_wire(iei, d));
            i += 2 + len;
        }
        Ok((Udh { ies }, 1 + udhl))
    }

    /// Appends UDHL and the elements.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push((self.len() - 1) as u8);
        for ie in &self.ies {
            ie.encode(out);
        }
    }

    /// Octets on the wire, the UDHL octet included.
    pub fn len(&self) -> usize {
        1 + self.ies.iter().map(Ie::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.ies.is_empty()
    }

    /// The concatenation element, if any (the first valid one).
    pub fn concat(&self) -> Option<Concat> {
        self.ies.iter().find_map(|ie| match ie {
            Ie::Concat(c) => Some(*c),
            _ => None,
        })
    }

    pub fn ports(&self) -> Option<Ports> {
        self.ies.iter().find_map(|ie| match ie {
            Ie::Ports(p) => Some(*p),
            _ => None,
        })
    }

    /// The 7-bit tables the shift elements select. An unknown language code
    /// leaves the default table in force (TS 23.038 §6.2.1.2.4).
    pub fn charset(&self) -> Charset {
        let mut cs = Charset::DEFAULT;
        for ie in &self.ies {
            match ie {
                Ie::SingleShift(l) => cs.single = Language::from_code(*l),
                Ie::LockingShift(l) => cs.locking = Language::from_code(*l),
                _ => {}
            }
        }
        cs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        crate::sms::hex::from_hex(s).unwrap()
    }

    #[test]
    fn udh_table() {
        let c8 = |reference, total, sequence| {
            Ie::Concat(Concat {
                reference,
                total,
                sequence,
                wide: false,
            })
        };
        let cases: &[(&str, &str, Vec<Ie>)] = &[
            ("empty header", "00", vec![]),
            ("concat 8-bit", "050003CC0201", vec![c8(0xCC, 2, 1)]),
            (
                "concat 16-bit",
                "060804BEEF0302",
                vec![Ie::Concat(Concat {
                    reference: 0xBEEF,
                    total: 3,
                    sequence: 2,
                    wide: true,
                })],
            ),
            (
                "ports 16-bit (WAP push)",
                "0605040B8423F0",
                vec![Ie::Ports(Ports {
                    destination: 0x0B84,
                    origin: 0x23F0,
                    wide: true,
                })],
            ),
            (
                "turkish shifts",
                "06240101250101",
                vec![Ie::SingleShift(1), Ie::LockingShift(1)],
            ),
            (
                "unknown element kept",
                "0A0A0300FF000003010201",
                vec![
                    Ie::Other {
                        iei: 0x0A,
                        data: vec![0x00, 0xFF, 0x00],
                    },
                    c8(1, 2, 1),
                ],
            ),
            (
                "concat with sequence zero is ignored",
                "050003010200",
                vec![Ie::Other {
                    iei: 0,
                    data: vec![1, 2, 0],
                }],
            ),
        ];
        for (name, h, ies) in cases {
            let bytes = hex(h);
            let (udh, used) = Udh::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(used, bytes.len(), "{name} used");
            assert_eq!(udh.ies, *ies, "{name}");
            assert_eq!(udh.len(), bytes.len(), "{name} len");
            let mut enc = Vec::new();
            udh.encode(&mut enc);
            assert_eq!(enc, bytes, "{name} encode");
        }
    }

    #[test]
    fn udh_errors() {
        let cases: &[(&str, &str, &str)] = &[
            ("no udhl", "", "udhl at octet 0: truncated"),
            (
                "header longer than data",
                "0500030102",
                " at octet 5: truncated",
            ),
            (
                "element longer than header",
                "03000301",
                "ied at octet 4: truncated",
            ),
            (
                "element length missing",
                "0100",
                "iedl at octet 2: truncated",
            ),
        ];
        for (name, h, want) in cases {
            let err = Udh::decode(&hex(h)).unwrap_err();
            assert_eq!(err.to_string(), *want, "{name}");
        }
    }
}
