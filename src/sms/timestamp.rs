//! TP-SCTS and the other 7-octet time stamps (TS 23.040 §9.2.3.11): local
//! time in swapped BCD and the time zone in signed quarter-hours.

use std::fmt;

use super::error::{DecodeError, DecodeErrorKind};
use super::semioctet;

/// A time stamp as the network sent it: local time and its offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// Full year; the two wire digits are read as 1990-2089.
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Offset from UTC in quarters of an hour (-79..=79).
    pub tz_quarters: i8,
}

impl Timestamp {
    /// Octets on the wire.
    pub const LEN: usize = 7;

    pub fn decode(data: &[u8]) -> Result<(Timestamp, usize), DecodeError> {
        let b = data
            .get(..Self::LEN)
            .ok_or_else(|| DecodeError::truncated("", data.len()))?;
        let digit = |i: usize, what: &'static str, range: std::ops::RangeInclusive<u8>| {
            let v = semioctet::decimal(b.get(i).copied().unwrap_or(0xFF))
                .map_err(|n| DecodeError::new(what, i, DecodeErrorKind::InvalidDigit(n)))?;
            if range.contains(&v) {
                Ok(v)
            } else {
                Err(DecodeError::new(what, i, DecodeErrorKind::OutOfRange(what)))
            }
        };
        let yy = digit(0, "year", 0..=99)?;
        let year = if yy >= 90 { 1900 } else { 2000 } + u16::from(yy);
        let month = digit(1, "month", 1..=12)?;
        let day = digit(2, "day", 1..=days_in_month(year, month))?;
        let hour = digit(3, "hour", 0..=23)?;
        let minute = digit(4, "minute", 0..=59)?;
        let second = digit(5, "second", 0..=59)?;
        // Bit 3 of the seventh octet is the sign; the rest is two BCD digits,
        // tens in the low nibble.
        let tz = b.get(6).copied().unwrap_or(0xFF);
        let quarters = semioctet::decimal(tz & 0xF7)
            .map_err(|n| DecodeError::new("tz", 6, DecodeErrorKind::InvalidDigit(n)))?;
        let tz_quarters = if tz & 0x08 != 0 {
            -(quarters as i8)
        } else {
            quarters as i8
        };
        Ok((
            Timestamp {
                year,
                month,
                day,
                hour,
                minute,
                second,
                tz_quarters,
            },
            Self::LEN,
        ))
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        let q = self.tz_quarters.unsigned_abs().min(79);
        let sign = if self.tz_quarters < 0 { 0x08 } else { 0 };
        out.extend_from_slice(&[
            semioctet::to_decimal((self.year % 100) as u8),
            semioctet::to_decimal(self.month),
            semioctet::to_decimal(self.day),
            semioctet::to_decimal(self.hour),
            semioctet::to_decimal(self.minute),
            semioctet::to_decimal(self.second),
            semioctet::to_decimal(q) | sign,
        ]);
    }

    /// Offset from UTC in seconds.
    pub fn offset_seconds(&self) -> i32 {
        i32::from(self.tz_quarters) * 15 * 60
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        let local = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        local - i64::from(self.offset_seconds())
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 with the sender's offset, e.g. `2011-02-28T11:50:50-05:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let off = self.offset_seconds();
        let sign = if off < 0 { '-' } else { '+' };
        let off = off.unsigned_abs();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            sign,
            off / 3600,
            off % 3600 / 60
        )
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        crate::sms::hex::from_hex(s).unwrap()
    }

    #[test]
    fn scts_table() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "minus five hours",
                "1120821105050A",
                "2011-02-28T11:50:50-05:00",
            ),
            (
                "plus four hours",
                "11309291024061",
                "2011-03-29T19:20:04+04:00",
            ),
            ("utc", "11101021436500", "2011-01-01T12:34:56+00:00"),
            (
                "nepal +05:45",
                "21503212000032",
                "2012-05-23T21:00:00+05:45",
            ),
            (
                "newfoundland -03:30",
                "99211312359549",
                "1999-12-31T21:53:59-03:30",
            ),
            ("leap day", "42209200000000", "2024-02-29T00:00:00+00:00"),
        ];
        for (name, h, want) in cases {
            let bytes = hex(h);
            let (ts, used) = Timestamp::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(used, 7);
            assert_eq!(ts.to_string(), *want, "{name}");
            let mut enc = Vec::new();
            ts.encode(&mut enc);
            assert_eq!(enc, bytes, "{name} encode");
        }
    }

    #[test]
    fn scts_errors() {
        let cases: &[(&str, &str, &str)] = &[
            ("short", "112082", " at octet 3: truncated"),
            (
                "month 13",
                "11310000000000",
                "month at octet 1: month out of range",
            ),
            (
                "no leap day in 2023",
                "32209200000000",
                "day at octet 2: day out of range",
            ),
            (
                "hex digit in hour",
                "1120821A05050A",
                "hour at octet 3: invalid semi-octet 0xA",
            ),
            (
                "bad zone digit",
                "112082110505A0",
                "tz at octet 6: invalid semi-octet 0xA",
            ),
        ];
        for (name, h, want) in cases {
            let err = Timestamp::decode(&hex(h)).unwrap_err();
            assert_eq!(err.to_string(), *want, "{name}");
        }
    }

    #[test]
    fn unix_seconds_applies_the_offset() {
        let (ts, _) = Timestamp::decode(&hex("1120821105050A")).unwrap();
        // 2011-02-28T16:50:50Z
        assert_eq!(ts.unix_seconds(), 1_298_911_850);
    }
}
