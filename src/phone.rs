//! Phone numbers as people type them, turned into the one form the store keeps.
//!
//! Every number is stored in E.164 (ITU-T E.164: `+`, the country code, the national
//! significant number, no separators, at most 15 digits). One form makes `090-1234-5678`,
//! `09012345678`, `+81 90 1234 5678` and the full-width `０９０−１２３４−５６７８` the same
//! contact, the same conversation and the same consent record, whoever typed them and wherever
//! they came from (the API, a CSV import, the network).
//!
//! A number written without its country code (national format) only has a meaning within a
//! country, so the conversion needs a default region: `[support] country` in the config (a
//! CLDR code such as `JP`). Without it nothing is guessed: a national number is kept as its
//! digits, as before the region existed, and international numbers are not checked against
//! the numbering plans. With it, numbers are checked with the `phonenumber` crate (Google's
//! libphonenumber metadata), so a digit too many is refused rather than stored.
//!
//! Short codes (`110`, `3200`: 3 to 8 digits that are no national number of the region) and
//! alphanumeric senders (`AMAZON`) are no E.164 numbers; they are kept as they are.
//!
//! Pure: no I/O.

use std::fmt;
use std::str::FromStr;

use phonenumber::country::Id;
use unicode_normalization::UnicodeNormalization;

use crate::sms::{Address, Ton};

/// Shortest short code, in digits.
pub const SHORT_CODE_MIN: usize = 3;
/// Longest short code, in digits; longer digits-only input must be a national number.
pub const SHORT_CODE_MAX: usize = 8;

/// The default region: the country a number written without its country code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region(Id);

impl Region {
    /// The CLDR code, e.g. `JP`.
    pub fn code(&self) -> &str {
        self.0.as_ref()
    }
}

impl FromStr for Region {
    type Err = PhoneError;

    /// A two-letter CLDR region code, in either case (`JP`, `us`).
    fn from_str(s: &str) -> Result<Region, PhoneError> {
        let code = s.trim().to_ascii_uppercase();
        // The metadata also has non-geographic entities (`001`); only a country is a region
        // people write national numbers in.
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(PhoneError::UnknownRegion(s.to_owned()));
        }
        Id::from_str(&code)
            .map(Region)
            .map_err(|_| PhoneError::UnknownRegion(s.to_owned()))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a text is no number. The display form is for people and names the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the number is empty")]
    Empty,
    /// Characters no number has (letters after `+`, punctuation, an overlong sender name).
    #[error("{input:?} is not a phone number: {why}")]
    Malformed { input: String, why: &'static str },
    /// Digits, but no number of the numbering plan (a digit too many or too few).
    #[error("{input:?} is not a valid phone number{}", in_region(region.as_ref()))]
    Invalid {
        input: String,
        region: Option<Region>,
    },
    /// An alphanumeric sender where a number to send to is needed.
    #[error("{0:?} is a sender name, not a number a message can be sent to")]
    Alphanumeric(String),
    #[error("{0:?} is not a two-letter country code such as \"JP\"")]
    UnknownRegion(String),
}

fn in_region(region: Option<&Region>) -> String {
    region.map_or_else(String::new, |r| format!(" in {r}"))
}

/// Separators people and spreadsheets put in numbers, after NFKC folding (which already turns
/// full-width digits, `＋`, `（`, `－` and the ideographic space into ASCII). The dashes left are
/// those NFKC keeps: hyphens, the minus sign Japanese input methods produce for `−`, and the
/// long vowel mark `ー` typed in its place.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.' | '(' | ')' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}'
        )
}

/// The canonical form of an address a person typed or the network sent:
///
/// - a number: E.164 (`+819012345678`) when `region` is set and the number is valid there (or
///   is international and valid); without a region, `+` and digits or the national digits, as
///   written;
/// - a short code (3 to 8 digits, no national number of the region): its digits;
/// - an alphanumeric sender (`AMAZON`: letters, at most 11 GSM characters): as it is.
///
/// Full-width characters and the separators of [`is_separator`] are accepted.
pub fn normalize(raw: &str, region: Option<&Region>) -> Result<String, PhoneError> {
    let trimmed = raw.trim();
    let folded: String = trimmed.nfkc().collect();
    let compact: String = folded.chars().filter(|c| !is_separator(*c)).collect();
    if compact.is_empty() {
        return Err(PhoneError::Empty);
    }
    let malformed = |why| PhoneError::Malformed {
        input: trimmed.to_owned(),
        why,
    };
    let (plus, digits) = match compact.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, compact.as_str()),
    };
    if !digits
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
    {
        if plus || !compact.chars().any(char::is_alphabetic) {
            return Err(malformed("only digits may follow '+'"));
        }
        // A sender name is kept as the network spells it.
        return Address::alphanumeric(trimmed)
            .map(|_| trimmed.to_owned())
            .map_err(|_| malformed("a sender name has 1 to 11 GSM characters"));
    }
    // The address rules of the SMS layer (digits, length) apply in every case.
    let address = Address::parse_number(&compact).map_err(|e| match e {
        crate::sms::EncodeError::InvalidAddress(_, why) => malformed(why),
        _ => malformed("not an address"),
    })?;
    let Some(region) = region else {
        return Ok(address.to_string());
    };
    let service_code = !digits.bytes().all(|b| b.is_ascii_digit());
    if !plus && service_code {
        // `*123#`-style codes are the network's, not a numbering plan's.
        return Ok(compact);
    }
    let invalid = || PhoneError::Invalid {
        input: trimmed.to_owned(),
        region: Some(*region),
    };
    match phonenumber::parse(Some(region.0), &compact) {
        Ok(n) if n.is_valid() => Ok(n.format().mode(phonenumber::Mode::E164).to_string()),
        _ if !plus && (SHORT_CODE_MIN..=SHORT_CODE_MAX).contains(&digits.len()) => Ok(compact),
        _ => Err(invalid()),
    }
}

/// Loads the numbering plans now rather than on the first number normalised in a region. The
/// `phonenumber` crate decodes its metadata on first use, which takes about 0.1 s on a desktop
/// CPU (more on a board) and blocks the caller: done at start on a blocking thread, the first
/// inbound message or API request does not wait for it. Without a region the plans are never
/// used and need not be loaded.
pub fn load_numbering_plans() {
    let _ = phonenumber::metadata::DATABASE.by_id("JP");
}

/// [`normalize`], for a number a message is sent to or a contact is kept under: a sender name
/// is refused, since nothing can be sent to it.
pub fn recipient(raw: &str, region: Option<&Region>) -> Result<String, PhoneError> {
    let n = normalize(raw, region)?;
    if is_alphanumeric(&n) {
        return Err(PhoneError::Alphanumeric(n));
    }
    Ok(n)
}

/// A number prefix to search stored numbers with (`090`, `090-12`, `+8190`), in their stored
/// form: a whole number as [`normalize`] gives it; a partial one in the region's national format
/// has its national prefix replaced by the country code (`090` in JP: `+8190`), since the
/// store keeps E.164. Never fails: a prefix that is none of these is searched for as written
/// (without separators) and simply matches nothing.
pub fn prefix(raw: &str, region: Option<&Region>) -> String {
    if let Ok(n) = normalize(raw, region)
        && n.starts_with('+')
    {
        return n;
    }
    let compact: String = raw.trim().nfkc().filter(|c| !is_separator(*c)).collect();
    let Some(region) = region else {
        return compact;
    };
    if compact.is_empty() || !compact.bytes().all(|b| b.is_ascii_digit()) {
        return compact;
    }
    let national = phonenumber::metadata::DATABASE
        .by_id(region.code())
        .and_then(|m| {
            m.national_prefix()
                .map(|p| (p.to_owned(), m.country_code()))
        });
    match national {
        Some((np, cc)) => match compact.strip_prefix(np.as_str()) {
            Some(rest) => format!("+{cc}{rest}"),
            None => compact,
        },
        None => compact,
    }
}

/// Whether a normalised address is a sender name rather than a number or short code.
fn is_alphanumeric(normalized: &str) -> bool {
    !normalized
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'*' | b'#'))
}

/// An address the network sent (an inbound message's sender, a status report's recipient) as
/// the store keeps it. Never fails: what the network sent is kept even when it is no valid
/// number, so no message or report is lost over its address.
///
/// A national-format sender (type of number unknown or national, as many networks deliver
/// domestic senders: `09012345678`) becomes E.164 in `region`; an international one is
/// already E.164; an alphanumeric one is kept as it is. Without a region every sender is kept as
/// the network sent it.
pub fn received(address: &Address, region: Option<&Region>) -> String {
    let as_sent = address.to_string();
    match (address.ton, region) {
        (Ton::Unknown | Ton::National, Some(_)) => normalize(&as_sent, region)
            .ok()
            .filter(|n| n.starts_with('+'))
            .unwrap_or(as_sent),
        _ => as_sent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jp() -> Region {
        "JP".parse().unwrap()
    }

    #[test]
    fn normalize_table() {
        let jp = jp();
        let us: Region = "us".parse().unwrap();
        // (name, input, region, expected; Err(()) for any error)
        let cases: &[(&str, &str, Option<&Region>, Result<&str, ()>)] = &[
            (
                "JP mobile, dashes",
                "090-1234-5678",
                Some(&jp),
                Ok("+819012345678"),
            ),
            (
                "JP mobile, digits",
                "09012345678",
                Some(&jp),
                Ok("+819012345678"),
            ),
            (
                "JP mobile, international with spaces",
                "+81 90 1234 5678",
                Some(&jp),
                Ok("+819012345678"),
            ),
            (
                "JP mobile, E.164",
                "+819012345678",
                Some(&jp),
                Ok("+819012345678"),
            ),
            (
                "JP mobile, full-width with minus signs",
                "０９０−１２３４−５６７８",
                Some(&jp),
                Ok("+819012345678"),
            ),
            (
                "JP mobile, full-width plus and ideographic spaces",
                "＋８１\u{3000}９０\u{3000}１２３４\u{3000}５６７８",
                Some(&jp),
                Ok("+819012345678"),
            ),
            (
                "JP mobile, long vowel mark as dash",
                "090ー1234ー5678",
                Some(&jp),
                Ok("+819012345678"),
            ),
            (
                "JP landline, parentheses",
                "(03) 1234-5678",
                Some(&jp),
                Ok("+81312345678"),
            ),
            (
                "JP mobile, one digit too many",
                "090-1234-56789",
                Some(&jp),
                Err(()),
            ),
            (
                "US number typed in JP",
                "+1 650-253-0000",
                Some(&jp),
                Ok("+16502530000"),
            ),
            (
                "US national in US",
                "(650) 253-0000",
                Some(&us),
                Ok("+16502530000"),
            ),
            ("short code", "110", Some(&jp), Ok("110")),
            (
                "short code, 8 digits",
                "12345678",
                Some(&jp),
                Ok("12345678"),
            ),
            ("service code", "*123#", Some(&jp), Ok("*123#")),
            ("too short", "11", Some(&jp), Err(())),
            ("alphanumeric", "AMAZON", Some(&jp), Ok("AMAZON")),
            ("alphanumeric, no region", "AMAZON", None, Ok("AMAZON")),
            (
                "alphanumeric, too long",
                "call me maybe",
                Some(&jp),
                Err(()),
            ),
            ("letters after plus", "+81 abc", Some(&jp), Err(())),
            ("punctuation", "!!!", Some(&jp), Err(())),
            ("empty", "", Some(&jp), Err(())),
            ("blank", " \u{3000} ", None, Err(())),
            (
                "no region: national kept",
                "090-1234-5678",
                None,
                Ok("09012345678"),
            ),
            (
                "no region: full-width folded",
                "０９０−１２３４−５６７８",
                None,
                Ok("09012345678"),
            ),
            (
                "no region: international unchecked",
                "+81 90 1234 5678",
                None,
                Ok("+819012345678"),
            ),
            (
                "no region: too long",
                "+123456789012345678901",
                None,
                Err(()),
            ),
        ];
        for (name, input, region, want) in cases {
            assert_eq!(
                normalize(input, *region).map_err(|_| ()),
                want.map(str::to_owned),
                "{name}"
            );
        }
    }

    #[test]
    fn prefixes() {
        let jp = jp();
        // (name, input, region, expected)
        let cases: &[(&str, &str, Option<&Region>, &str)] = &[
            ("national mobile prefix", "090", Some(&jp), "+8190"),
            ("partial with a dash", "090-12", Some(&jp), "+819012"),
            ("full-width", "０９０", Some(&jp), "+8190"),
            ("whole number", "090-1234-5678", Some(&jp), "+819012345678"),
            ("international prefix", "+8190", Some(&jp), "+8190"),
            ("short code", "110", Some(&jp), "110"),
            ("sender name", "AMA", Some(&jp), "AMA"),
            ("no region", "090-12", None, "09012"),
            ("empty", "", Some(&jp), ""),
        ];
        for (name, input, region, want) in cases {
            assert_eq!(prefix(input, *region), *want, "{name}");
        }
    }

    #[test]
    fn recipient_refuses_sender_names() {
        assert_eq!(
            recipient("AMAZON", Some(&jp())),
            Err(PhoneError::Alphanumeric("AMAZON".into()))
        );
        assert_eq!(recipient("110", Some(&jp())).as_deref(), Ok("110"));
    }

    #[test]
    fn errors_name_the_input() {
        let e = normalize("090-1234-56789", Some(&jp())).unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"090-1234-56789\" is not a valid phone number in JP"
        );
        assert_eq!(normalize("  ", None).unwrap_err(), PhoneError::Empty);
    }

    #[test]
    fn regions() {
        assert_eq!(jp().code(), "JP");
        assert_eq!("jp".parse::<Region>().unwrap(), jp());
        for bad in ["", "J", "JPN", "XX", "001"] {
            assert!(bad.parse::<Region>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn received_addresses() {
        let jp = jp();
        let national = Address::parse_number("09012345678").unwrap();
        assert_eq!(national.ton, Ton::Unknown);
        assert_eq!(received(&national, Some(&jp)), "+819012345678");
        assert_eq!(received(&national, None), "09012345678");
        let intl = Address::parse_number("+819012345678").unwrap();
        assert_eq!(received(&intl, Some(&jp)), "+819012345678");
        let short = Address::parse_number("3200").unwrap();
        assert_eq!(received(&short, Some(&jp)), "3200");
        let name = Address::alphanumeric("AMAZON").unwrap();
        assert_eq!(received(&name, Some(&jp)), "AMAZON");
        // Kept as sent when it is no number of the region.
        let odd = Address::parse_number("0901234567890").unwrap();
        assert_eq!(received(&odd, Some(&jp)), "0901234567890");
    }
}
