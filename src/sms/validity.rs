//! TP-VP, the validity period of an SMS-SUBMIT (TS 23.040 §9.2.3.12), in the
//! format TP-VPF (bits 4-3 of the first octet) selects.

use super::error::{DecodeError, DecodeErrorKind};
use super::timestamp::Timestamp;

/// A validity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidityPeriod {
    /// Relative format, one octet (§9.2.3.12.1).
    Relative(u8),
    /// Absolute format, a time stamp (§9.2.3.12.2).
    Absolute(Timestamp),
    /// Enhanced format, seven octets (§9.2.3.12.3).
    Enhanced([u8; 7]),
}

/// TP-VPF values.
pub(crate) const VPF_NONE: u8 = 0b00;
pub(crate) const VPF_ENHANCED: u8 = 0b01;
pub(crate) const VPF_RELATIVE: u8 = 0b10;
pub(crate) const VPF_ABSOLUTE: u8 = 0b11;

impl ValidityPeriod {
    /// The relative value for a duration: the shortest one at least as long,
    /// capped at 63 weeks.
    pub fn relative_from_seconds(secs: u64) -> ValidityPeriod {
        let mins = secs.div_ceil(60);
        let v = if mins <= 720 {
            (mins.div_ceil(5).max(1) - 1) as u8
        } else if mins <= 1440 {
            (143 + (mins - 720).div_ceil(30)) as u8
        } else if mins <= 30 * 1440 {
            (166 + mins.div_ceil(1440)) as u8
        } else {
            (192 + mins.div_ceil(7 * 1440)).min(255) as u8
        };
        ValidityPeriod::Relative(v)
    }

    /// The relative format's duration in seconds.
    pub fn relative_seconds(v: u8) -> u64 {
        let v = u64::from(v);
        60 * match v {
            0..=143 => (v + 1) * 5,
            144..=167 => 720 + (v - 143) * 30,
            168..=196 => (v - 166) * 1440,
            _ => (v - 192) * 7 * 1440,
        }
    }

    /// Duration in seconds where the period is relative (also in the
    /// enhanced format's relative forms).
    pub fn seconds(&self) -> Option<u64> {
        match self {
            ValidityPeriod::Relative(v) => Some(Self::relative_seconds(*v)),
            ValidityPeriod::Absolute(_) => None,
            ValidityPeriod::Enhanced(b) => match b[0] & 0x07 {
                0b001 => Some(Self::relative_seconds(b[1])),
                0b010 => Some(u64::from(b[1])),
                0b011 => {
                    let d = |i: usize| super::semioctet::decimal(*b.get(i)?).ok().map(u64::from);
                    Some(d(1)? * 3600 + d(2)? * 60 + d(3)?)
                }
                _ => None,
            },
        }
    }

    pub(crate) fn vpf(vp: Option<&ValidityPeriod>) -> u8 {
        match vp {
            None => VPF_NONE,
            Some(ValidityPeriod::Relative(_)) => VPF_RELATIVE,
            Some(ValidityPeriod::Absolute(_)) => VPF_ABSOLUTE,
            Some(ValidityPeriod::Enhanced(_)) => VPF_ENHANCED,
        }
    }

    /// Decodes the period for `vpf`; None when the format says there is none.
    pub fn decode(vpf: u8, data: &[u8]) -> Result<(Option<ValidityPeriod>, usize), DecodeError> {
        match vpf & 3 {
            VPF_RELATIVE => {
                let v = *data.first().ok_or_else(|| DecodeError::truncated("", 0))?;
                Ok((Some(ValidityPeriod::Relative(v)), 1))
            }
            VPF_ABSOLUTE => {
                let (ts, n) = Timestamp::decode(data)?;
                Ok((Some(ValidityPeriod::Absolute(ts)), n))
            }
            VPF_ENHANCED => {
                let b: [u8; 7] = data
                    .get(..7)
                    .and_then(|s| s.try_into().ok())
                    .ok_or_else(|| DecodeError::truncated("", data.len()))?;
                if b[0] & 0x07 > 0b011 {
                    return Err(DecodeError::new(
                        "",
                        0,
                        DecodeErrorKind::Unsupported("enhanced validity period format"),
                    ));
                }
                Ok((Some(ValidityPeriod::Enhanced(b)), 7))
            }
            _ => Ok((None, 0)),
        }
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ValidityPeriod::Relative(v) => out.push(*v),
            ValidityPeriod::Absolute(ts) => ts.encode(out),
            ValidityPeriod::Enhanced(b) => out.extend_from_slice(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_table() {
        // (name, octet, seconds): the four ranges of §9.2.3.12.1 at their edges.
        let cases: &[(&str, u8, u64)] = &[
            ("five minutes", 0, 300),
            ("twelve hours", 143, 12 * 3600),
            ("twelve and a half hours", 144, 12 * 3600 + 1800),
            ("one day", 167, 24 * 3600),
            ("two days", 168, 2 * 86400),
            ("thirty days", 196, 30 * 86400),
            ("five weeks", 197, 5 * 7 * 86400),
            ("sixty-three weeks", 255, 63 * 7 * 86400),
        ];
        for (name, v, secs) in cases {
            assert_eq!(ValidityPeriod::relative_seconds(*v), *secs, "{name}");
            assert_eq!(
                ValidityPeriod::relative_from_seconds(*secs),
                ValidityPeriod::Relative(*v),
                "{name} inverse"
            );
        }
        // A duration between two steps rounds up, never shortening validity.
        assert_eq!(
            ValidityPeriod::relative_from_seconds(301),
            ValidityPeriod::Relative(1)
        );
        assert_eq!(
            ValidityPeriod::relative_from_seconds(0),
            ValidityPeriod::Relative(0)
        );
    }

    #[test]
    fn decode_table() {
        let cases: &[(&str, u8, &[u8], Result<Option<u64>, &str>, usize)] = &[
            ("none", VPF_NONE, &[], Ok(None), 0),
            ("relative", VPF_RELATIVE, &[0xA7], Ok(Some(86400)), 1),
            (
                "enhanced seconds",
                VPF_ENHANCED,
                &[0x02, 30, 0, 0, 0, 0, 0],
                Ok(Some(30)),
                7,
            ),
            (
                "enhanced hh:mm:ss",
                VPF_ENHANCED,
                &[0x03, 0x10, 0x03, 0x00, 0, 0, 0],
                Ok(Some(3600 + 1800)),
                7,
            ),
            (
                "enhanced reserved format",
                VPF_ENHANCED,
                &[0x05, 0, 0, 0, 0, 0, 0],
                Err(" at octet 0: unsupported enhanced validity period format"),
                0,
            ),
            (
                "relative truncated",
                VPF_RELATIVE,
                &[],
                Err(" at octet 0: truncated"),
                0,
            ),
            (
                "enhanced truncated",
                VPF_ENHANCED,
                &[0x02, 30],
                Err(" at octet 2: truncated"),
                0,
            ),
        ];
        for (name, vpf, data, want, used) in cases {
            match (ValidityPeriod::decode(*vpf, data), want) {
                (Ok((vp, n)), Ok(secs)) => {
                    assert_eq!(vp.and_then(|v| v.seconds()), *secs, "{name}");
                    assert_eq!(n, *used, "{name} used");
                    let mut enc = Vec::new();
                    if let Some(vp) = vp {
                        vp.encode(&mut enc);
                    }
                    assert_eq!(enc, *data, "{name} encode");
                }
                (Err(e), Err(msg)) => assert_eq!(e.to_string(), *msg, "{name}"),
                (got, _) => panic!("{name}: got {got:?}"),
            }
        }
    }
}
