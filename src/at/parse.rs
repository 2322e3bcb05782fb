//! The error type of the pure AT layer and the small nom parsers that every response and URC
//! parser shares: information-response prefixes (`+CMGS: `), comma-separated argument lists
//! with or without quotes, and numbers.
//!
//! Everything here is tolerant in the way real modems require (`docs/hardware/wire-format.md`):
//! spaces around values, missing closing quotes and empty fields are accepted; what cannot be made
//! sense of becomes a [`ParseError`], never a panic.

use nom::branch::alt;
use nom::bytes::complete::{take_till, take_while};
use nom::character::complete::char;
use nom::combinator::{map, opt};
use nom::multi::separated_list0;
use nom::sequence::{preceded, terminated};
use nom::{IResult, Parser};

/// How much of an offending line an error keeps. Errors are logged, and a modem that sends a
/// 4 KiB line of garbage should not make every log line 4 KiB long.
const SNIPPET: usize = 64;

/// The error of the pure AT layer: a response, URC or result line that could not be understood,
/// or a command argument that cannot be put on the wire.
///
/// Every variant carries at most a 64-character excerpt of the input, so an error's size
/// does not depend on what the modem sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A response that should contain an information line (e.g. `+CSQ: ...`) contained none.
    #[error("no {expected} line in the response")]
    MissingLine {
        /// The prefix or kind of line that was expected.
        expected: &'static str,
    },
    /// A required field was absent or empty.
    #[error("{field} is missing")]
    MissingField {
        /// The field, named as in the spec (e.g. `<mr>`).
        field: &'static str,
    },
    /// A field was present but could not be parsed.
    #[error("{field} has an invalid value {value:?}")]
    InvalidField {
        /// The field, named as in the spec (e.g. `<index>`).
        field: &'static str,
        /// The start of the offending value.
        value: String,
    },
    /// A URC header announced trailing lines (the PDU of `+CMT`/`+CDS`) that were not supplied.
    #[error("{header} needs {needed} trailing line(s), got {got}")]
    MissingTrailingLine {
        /// The URC name, e.g. `+CMT`.
        header: &'static str,
        /// How many lines the header needs.
        needed: usize,
        /// How many were given.
        got: usize,
    },
    /// A value we were asked to send cannot be encoded in a command line (e.g. a PIN with a
    /// quote in it, or a `+CMGS` length that does not match the PDU).
    #[error("cannot send {field} = {value:?}: {reason}")]
    InvalidArgument {
        /// The parameter, named as in the spec.
        field: &'static str,
        /// The start of the offending value.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
}

/// The first [`SNIPPET`] characters of `s`, for error messages.
pub(crate) fn snippet(s: &str) -> String {
    s.chars().take(SNIPPET).collect()
}

/// Shorthand for [`ParseError::InvalidField`].
pub(crate) fn invalid(field: &'static str, value: &str) -> ParseError {
    ParseError::InvalidField {
        field,
        value: snippet(value),
    }
}

/// If `line` is an information response `<prefix>:<args>` (27.007 §4.1: `+CMD: <args>`), the
/// arguments with surrounding whitespace removed. Spaces after the colon are optional on real
/// devices (`+CDS:25`, GAMMU `smsd-incoming-cds.c`; `+CNMI:(0-3),...`, GAMMU `at-cnmi`).
pub fn info_args<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.trim_start()
        .strip_prefix(prefix)?
        .strip_prefix(':')
        .map(str::trim)
}

/// One argument of a comma-separated list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arg<'a> {
    /// The value, without quotes and surrounding whitespace.
    pub text: &'a str,
    /// Whether the value was in double quotes (a string parameter, 27.007 §4.1).
    pub quoted: bool,
}

impl<'a> Arg<'a> {
    /// `None` for an empty (omitted) argument.
    pub fn non_empty(self) -> Option<&'a str> {
        (!self.text.is_empty()).then_some(self.text)
    }
}

/// `"text"`, tolerating a missing closing quote (GAMMU `+CREG: 2,1,"5E25`), then anything up to
/// the next comma, which is dropped (GAMMU `+CREG: 2,1,"0B,"0100701",7`: mismatched quotes).
fn quoted_arg(input: &str) -> IResult<&str, Arg<'_>> {
    let (input, text) = preceded(
        char('"'),
        terminated(take_till(|c| c == '"'), opt(char('"'))),
    )
    .parse(input)?;
    let (input, _junk) = take_till(|c| c == ',').parse(input)?;
    Ok((input, Arg { text, quoted: true }))
}

/// An unquoted argument: everything up to the next comma, trimmed.
fn bare_arg(input: &str) -> IResult<&str, Arg<'_>> {
    map(take_till(|c| c == ','), |text: &str| Arg {
        text: text.trim(),
        quoted: false,
    })
    .parse(input)
}

fn arg(input: &str) -> IResult<&str, Arg<'_>> {
    preceded(
        take_while(|c: char| c == ' ' || c == '\t'),
        alt((quoted_arg, bare_arg)),
    )
    .parse(input)
}

/// Split an argument list at commas outside double quotes. An empty input is one empty
/// argument, as `+CMGR: ` would be. Allocation is one `Arg` per comma, so it is bounded by the
/// line length.
pub(crate) fn args(input: &str) -> Vec<Arg<'_>> {
    match separated_list0(char(','), arg).parse(input) {
        Ok((_, list)) => list,
        // `arg` cannot fail (both alternatives accept the empty string), but if it did the
        // caller gets an empty list and reports the missing fields.
        Err(_) => Vec::new(),
    }
}

/// Parse a decimal integer field, allowing surrounding whitespace and leading zeros
/// (`+CREG:002,001,...`, Iridium, MM test-modem-helpers).
pub(crate) fn number<T: std::str::FromStr>(
    field: &'static str,
    text: &str,
) -> Result<T, ParseError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ParseError::MissingField { field });
    }
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(field, text));
    }
    t.parse().map_err(|_| invalid(field, text))
}

/// Like [`number`] but `None` for an empty field.
pub(crate) fn opt_number<T: std::str::FromStr>(
    field: &'static str,
    text: &str,
) -> Result<Option<T>, ParseError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        number(field, text).map(Some)
    }
}

/// Whether `s` is a non-empty string of hex digits (a PDU line, 27.005 §4).
pub(crate) fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, input, expected (text, quoted) per argument).
    type ArgsCase = (&'static str, &'static str, &'static [(&'static str, bool)]);

    fn texts(input: &str) -> Vec<(&str, bool)> {
        args(input)
            .into_iter()
            .map(|a| (a.text, a.quoted))
            .collect()
    }

    #[test]
    fn argument_lists() {
        let cases: &[ArgsCase] = &[
            ("plain", "1,2", &[("1", false), ("2", false)]),
            ("empty input is one empty arg", "", &[("", false)]),
            (
                "empty fields (Novatel XU870 +CREG)",
                "2,,",
                &[("2", false), ("", false), ("", false)],
            ),
            (
                "quoted with comma inside",
                "\"a,b\",145",
                &[("a,b", true), ("145", false)],
            ),
            (
                "spaces around values (Altair +CEREG)",
                "1, 2, 0001, 00000100, 7",
                &[
                    ("1", false),
                    ("2", false),
                    ("0001", false),
                    ("00000100", false),
                    ("7", false),
                ],
            ),
            (
                "unterminated quote (GAMMU +CREG)",
                "2,1,\"5E25",
                &[("2", false), ("1", false), ("5E25", true)],
            ),
            (
                "mismatched quotes (GAMMU +CREG)",
                "2,1,\"0B,\"0100701\",7",
                &[("2", false), ("1", false), ("0B,", true), ("7", false)],
            ),
            (
                "empty quoted (Telit HE910 alpha)",
                "0,\"\",50",
                &[("0", false), ("", true), ("50", false)],
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(texts(input), want.to_vec(), "{name}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(number::<u8>("<n>", "002"), Ok(2));
        assert_eq!(number::<u8>("<n>", " 7 "), Ok(7));
        assert_eq!(
            number::<u8>("<n>", ""),
            Err(ParseError::MissingField { field: "<n>" })
        );
        assert!(number::<u8>("<n>", "300").is_err());
        assert!(number::<u8>("<n>", "-1").is_err());
        assert!(number::<u32>("<n>", "1e3").is_err());
        assert_eq!(opt_number::<u8>("<n>", " "), Ok(None));
    }

    #[test]
    fn prefixes() {
        assert_eq!(info_args("+CDS:25", "+CDS"), Some("25"));
        assert_eq!(info_args("+CMGS: 23", "+CMGS"), Some("23"));
        assert_eq!(info_args("+CDSI: \"SM\",1", "+CDS"), None);
        assert_eq!(info_args("OK", "+CMGS"), None);
    }

    #[test]
    fn errors_are_bounded() {
        let long = "x".repeat(5000);
        match invalid("<pdu>", &long) {
            ParseError::InvalidField { value, .. } => assert_eq!(value.len(), SNIPPET),
            other => panic!("unexpected {other:?}"),
        }
    }
}
