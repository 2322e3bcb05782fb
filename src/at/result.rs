//! Final result codes (ITU-T V.250 §5.7.1, 3GPP TS 27.007 §9.2, TS 27.005 §3.2.5). What a
//! `+CMS ERROR` means for the message is retry policy and lives in `crate::modem::cms`.
//!
//! `+CME ERROR` and `+CMS ERROR` keep whatever the modem said: a numeric code (known or not,
//! FactbirdHQ/atat commit 01fe24d "Preserve codes of unknown CME and CMS errors"), a verbose
//! text (`AT+CMEE=2`), or nothing at all. Verbose texts that the specs define are mapped to their
//! numbers so that callers can match on numbers only.

use std::fmt;

use nom::character::complete::{digit1, space0};
use nom::combinator::{all_consuming, map_res};
use nom::sequence::delimited;
use nom::{IResult, Parser};

/// A final result code: the line that ends a command's response.
///
/// The set is V.250's (§5.7.1, Table 1) plus 27.007/27.005's error codes plus the vendor forms
/// ModemManager's `mm-serial-parsers.c` accepts
/// (`docs/hardware/wire-format.md#framing-and-result-codes`). The SMS prompt `> ` is not a
/// final result; the framer reports it as [`crate::at::framer::Frame::Prompt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinalResult {
    /// `OK` (V.250 result code 0).
    Ok,
    /// `CONNECT` or `CONNECT <text>` (V.250 code 1; the text is usually a rate).
    Connect(Option<String>),
    /// `ERROR` (V.250 code 4): any error when `+CMEE=0`, or an unknown command.
    Error,
    /// `+CME ERROR: <err>` (27.007 §9.2).
    CmeError(CmeError),
    /// `+CMS ERROR: <err>` (27.005 §3.2.5).
    CmsError(CmsError),
    /// `NO CARRIER` (V.250 code 3). Also arrives unsolicited when a call ends; the client, not the
    /// framer, decides which it is.
    NoCarrier,
    /// `NO DIALTONE` (V.250 code 6).
    NoDialtone,
    /// `BUSY` (V.250 code 7).
    Busy,
    /// `NO ANSWER` (V.250 code 8).
    NoAnswer,
    /// `COMMAND NOT SUPPORT`: Huawei's "unknown command" (PGM `HuaweiE1752`, GAMMU, MM
    /// `regex_unknown_error`).
    CommandNotSupport,
    /// `TOO MANY PARAMETERS`: Huawei's reply to a command given extra parameters.
    TooManyParameters,
    /// `MODEM ERROR: <n>`: Motorola EZX (GAMMU, MM `regex_ezx_error`). `None` if `<n>` is absent
    /// or not a number.
    ModemError(Option<u16>),
    /// A final result configured per model (P12), e.g. `NA` on the Samsung Z810
    /// (MM `mm-serial-parsers.c`: "Samsung Z810 may reply 'NA'").
    Custom {
        /// The line as received (trimmed).
        text: String,
        /// Whether it ends the command successfully.
        success: bool,
    },
}

impl FinalResult {
    /// Recognise a final result code in a line (surrounding whitespace ignored). `None` for
    /// every other line: information responses, URCs, echo.
    pub fn parse(line: &str) -> Option<FinalResult> {
        let line = line.trim();
        let simple = match line {
            "OK" => Some(FinalResult::Ok),
            "ERROR" => Some(FinalResult::Error),
            "CONNECT" => Some(FinalResult::Connect(None)),
            "NO CARRIER" => Some(FinalResult::NoCarrier),
            "NO DIALTONE" => Some(FinalResult::NoDialtone),
            "BUSY" => Some(FinalResult::Busy),
            "NO ANSWER" => Some(FinalResult::NoAnswer),
            "COMMAND NOT SUPPORT" => Some(FinalResult::CommandNotSupport),
            "TOO MANY PARAMETERS" => Some(FinalResult::TooManyParameters),
            _ => None,
        };
        if simple.is_some() {
            return simple;
        }
        if let Some(rest) = line.strip_prefix("+CME ERROR:") {
            return Some(FinalResult::CmeError(CmeError::parse(rest)));
        }
        if let Some(rest) = line.strip_prefix("+CMS ERROR:") {
            return Some(FinalResult::CmsError(CmsError::parse(rest)));
        }
        if let Some(rest) = line.strip_prefix("MODEM ERROR:") {
            return Some(FinalResult::ModemError(code(rest.trim())));
        }
        // `CONNECT 115200`; but not `CONNECTED` or other words that merely start the same way.
        if let Some(rest) = line.strip_prefix("CONNECT ") {
            return Some(FinalResult::Connect(Some(rest.trim().to_owned())));
        }
        None
    }

    /// Whether the command succeeded (`OK`, `CONNECT`, or a custom success string).
    pub fn is_success(&self) -> bool {
        match self {
            FinalResult::Ok | FinalResult::Connect(_) => true,
            FinalResult::Custom { success, .. } => *success,
            _ => false,
        }
    }
}

impl fmt::Display for FinalResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FinalResult::Ok => f.write_str("OK"),
            FinalResult::Connect(None) => f.write_str("CONNECT"),
            FinalResult::Connect(Some(t)) => write!(f, "CONNECT {t}"),
            FinalResult::Error => f.write_str("ERROR"),
            FinalResult::CmeError(e) => e.fmt(f),
            FinalResult::CmsError(e) => e.fmt(f),
            FinalResult::NoCarrier => f.write_str("NO CARRIER"),
            FinalResult::NoDialtone => f.write_str("NO DIALTONE"),
            FinalResult::Busy => f.write_str("BUSY"),
            FinalResult::NoAnswer => f.write_str("NO ANSWER"),
            FinalResult::CommandNotSupport => f.write_str("COMMAND NOT SUPPORT"),
            FinalResult::TooManyParameters => f.write_str("TOO MANY PARAMETERS"),
            FinalResult::ModemError(Some(n)) => write!(f, "MODEM ERROR: {n}"),
            FinalResult::ModemError(None) => f.write_str("MODEM ERROR"),
            FinalResult::Custom { text, .. } => f.write_str(text),
        }
    }
}

/// A decimal code with optional surrounding spaces, as nom sees it.
fn numeric_code(input: &str) -> IResult<&str, u16> {
    all_consuming(delimited(
        space0,
        map_res(digit1, str::parse::<u16>),
        space0,
    ))
    .parse(input)
}

/// The code in `s` if `s` is entirely a decimal number that fits a `u16`.
fn code(s: &str) -> Option<u16> {
    numeric_code(s).ok().map(|(_, n)| n)
}

/// Normalise a verbose error text for table look-up: lower case, letters and digits only, and
/// `(U)SIM`/`USIM` read as `SIM`. ModemManager normalises the same way (`simnotinserted`,
/// `memoryfull`, `networktimeout`; `src/mm-error-helpers.c`), and 27.005 writes `(U)SIM` where
/// modems print `SIM`.
fn normalise(text: &str) -> String {
    let lower = text.to_ascii_lowercase().replace("(u)", "");
    let compact: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    compact.replace("usim", "sim")
}

fn lookup_text(table: &[(u16, &str)], text: &str) -> Option<u16> {
    let wanted = normalise(text);
    table
        .iter()
        .find(|(_, t)| normalise(t) == wanted)
        .map(|(n, _)| *n)
}

fn describe(table: &'static [(u16, &'static str)], code: u16) -> Option<&'static str> {
    table.iter().find(|(n, _)| *n == code).map(|(_, t)| *t)
}

/// Split `rest` (what follows `+CME ERROR:`/`+CMS ERROR:`) into a code and a text.
fn split_error(rest: &str, table: &[(u16, &str)]) -> (Option<u16>, Option<String>) {
    let rest = rest.trim();
    if rest.is_empty() {
        return (None, None);
    }
    if let Some(n) = code(rest) {
        return (Some(n), None);
    }
    // Some modems quote the text (`+CME ERROR: "SIM busy"`); the quotes are not part of it.
    let text = rest.trim_matches('"').trim();
    (lookup_text(table, text), Some(text.to_owned()))
}

/// `+CME ERROR: <err>`: a mobile termination error (27.007 §9.2).
///
/// - numeric form (`AT+CMEE=1`): `code` is set, `text` is `None`, whether or not the code is
///   one the spec defines;
/// - verbose form (`AT+CMEE=2`): `text` is set, and `code` too when the text is in 27.007's
///   table (§9.2.1, §9.2.2);
/// - empty form (`+CME ERROR:` alone): both are `None`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CmeError {
    /// `<err>` as a number, given or mapped from the text.
    pub code: Option<u16>,
    /// The verbose text, as received.
    pub text: Option<String>,
}

impl CmeError {
    /// 27.007 §9.2.1 code 10 "SIM not inserted".
    pub const SIM_NOT_INSERTED: u16 = 10;
    /// 27.007 §9.2.1 code 11 "SIM PIN required".
    pub const SIM_PIN_REQUIRED: u16 = 11;
    /// 27.007 §9.2.1 code 12 "SIM PUK required".
    pub const SIM_PUK_REQUIRED: u16 = 12;
    /// 27.007 §9.2.1 code 13 "SIM failure".
    pub const SIM_FAILURE: u16 = 13;
    /// 27.007 §9.2.1 code 14 "SIM busy": retry after a short wait (PGM `modem.py` l.480–497).
    pub const SIM_BUSY: u16 = 14;
    /// 27.007 §9.2.1 code 16 "incorrect password": never retry a PIN automatically
    /// (`docs/hardware/at-commands.md#sim-pin`).
    pub const INCORRECT_PASSWORD: u16 = 16;
    /// Vendor code 515 "device busy" (Wavecom after `CFUN=1`, PGM; retried like SIM busy).
    pub const DEVICE_BUSY: u16 = 515;

    /// Parse what follows `+CME ERROR:`.
    pub fn parse(rest: &str) -> CmeError {
        let (code, text) = split_error(rest, CME_TEXTS);
        CmeError { code, text }
    }

    /// The spec's text for this error's code, if 27.007 defines it.
    pub fn description(&self) -> Option<&'static str> {
        self.code.and_then(|c| describe(CME_TEXTS, c))
    }
}

impl fmt::Display for CmeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_error(
            f,
            "+CME ERROR",
            self.code,
            self.text.as_deref(),
            self.description(),
        )
    }
}

/// `+CMS ERROR: <err>`: a message service failure (27.005 §3.2.5). The forms are as for
/// [`CmeError`]; verbose texts are mapped with 27.005's table (codes 300–500).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CmsError {
    /// `<err>` as a number, given or mapped from the text.
    pub code: Option<u16>,
    /// The verbose text, as received.
    pub text: Option<String>,
}

impl CmsError {
    /// 27.005 §3.2.5 code 321 "invalid memory index".
    pub const INVALID_MEMORY_INDEX: u16 = 321;
    /// 27.005 §3.2.5 code 330 "SMSC address unknown".
    pub const SMSC_ADDRESS_UNKNOWN: u16 = 330;
    /// 27.005 §3.2.5 code 340 "no +CNMA acknowledgement expected" (harmless,
    /// `docs/hardware/at-commands.md#cnmi-and-status-reports`).
    pub const NO_CNMA_EXPECTED: u16 = 340;
    /// 27.005 §3.2.5 code 500 "unknown error".
    pub const UNKNOWN_ERROR: u16 = 500;

    /// Parse what follows `+CMS ERROR:`.
    pub fn parse(rest: &str) -> CmsError {
        let (code, text) = split_error(rest, CMS_TEXTS);
        CmsError { code, text }
    }

    /// The spec's text for this error's code, if 27.005 §3.2.5 defines it.
    pub fn description(&self) -> Option<&'static str> {
        self.code.and_then(|c| describe(CMS_TEXTS, c))
    }
}

impl fmt::Display for CmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_error(
            f,
            "+CMS ERROR",
            self.code,
            self.text.as_deref(),
            self.description(),
        )
    }
}

fn write_error(
    f: &mut fmt::Formatter<'_>,
    what: &str,
    code: Option<u16>,
    text: Option<&str>,
    description: Option<&str>,
) -> fmt::Result {
    match (code, text.or(description)) {
        (Some(c), Some(t)) => write!(f, "{what}: {c} ({t})"),
        (Some(c), None) => write!(f, "{what}: {c}"),
        (None, Some(t)) => write!(f, "{what}: {t}"),
        (None, None) => f.write_str(what),
    }
}

/// 27.007 §9.2.1 (general errors) and §9.2.2 (GPRS-related errors): code and verbose text.
const CME_TEXTS: &[(u16, &str)] = &[
    (0, "phone failure"),
    (1, "no connection to phone"),
    (2, "phone-adaptor link reserved"),
    (3, "operation not allowed"),
    (4, "operation not supported"),
    (5, "PH-SIM PIN required"),
    (6, "PH-FSIM PIN required"),
    (7, "PH-FSIM PUK required"),
    (10, "SIM not inserted"),
    (11, "SIM PIN required"),
    (12, "SIM PUK required"),
    (13, "SIM failure"),
    (14, "SIM busy"),
    (15, "SIM wrong"),
    (16, "incorrect password"),
    (17, "SIM PIN2 required"),
    (18, "SIM PUK2 required"),
    (20, "memory full"),
    (21, "invalid index"),
    (22, "not found"),
    (23, "memory failure"),
    (24, "text string too long"),
    (25, "invalid characters in text string"),
    (26, "dial string too long"),
    (27, "invalid characters in dial string"),
    (30, "no network service"),
    (31, "network timeout"),
    (32, "network not allowed - emergency calls only"),
    (40, "network personalization PIN required"),
    (41, "network personalization PUK required"),
    (42, "network subset personalization PIN required"),
    (43, "network subset personalization PUK required"),
    (44, "service provider personalization PIN required"),
    (45, "service provider personalization PUK required"),
    (46, "corporate personalization PIN required"),
    (47, "corporate personalization PUK required"),
    (48, "hidden key required"),
    (49, "EAP method not supported"),
    (50, "incorrect parameters"),
    (100, "unknown"),
    (103, "illegal MS"),
    (106, "illegal ME"),
    (107, "GPRS services not allowed"),
    (111, "PLMN not allowed"),
    (112, "location area not allowed"),
    (113, "roaming not allowed in this location area"),
    (132, "service option not supported"),
    (133, "requested service option not subscribed"),
    (134, "service option temporarily out of order"),
    (148, "unspecified GPRS error"),
    (149, "PDP authentication failure"),
    (150, "invalid mobile class"),
];

/// 27.005 §3.2.5: the ME/TA codes 300–340 and 500 with their verbose texts. (0–127 are
/// 24.011 RP causes and 128–255 are 23.040 TP-FCS values; 27.005 gives them no text.)
const CMS_TEXTS: &[(u16, &str)] = &[
    (300, "ME failure"),
    (301, "SMS service of ME reserved"),
    (302, "operation not allowed"),
    (303, "operation not supported"),
    (304, "invalid PDU mode parameter"),
    (305, "invalid text mode parameter"),
    (310, "(U)SIM not inserted"),
    (311, "(U)SIM PIN required"),
    (312, "PH-(U)SIM PIN required"),
    (313, "(U)SIM failure"),
    (314, "(U)SIM busy"),
    (315, "(U)SIM wrong"),
    (316, "(U)SIM PUK required"),
    (317, "(U)SIM PIN2 required"),
    (318, "(U)SIM PUK2 required"),
    (320, "memory failure"),
    (321, "invalid memory index"),
    (322, "memory full"),
    (330, "SMSC address unknown"),
    (331, "no network service"),
    (332, "network timeout"),
    (340, "no +CNMA acknowledgement expected"),
    (500, "unknown error"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn cme(code: Option<u16>, text: Option<&str>) -> FinalResult {
        FinalResult::CmeError(CmeError {
            code,
            text: text.map(str::to_owned),
        })
    }

    fn cms(code: Option<u16>, text: Option<&str>) -> FinalResult {
        FinalResult::CmsError(CmsError {
            code,
            text: text.map(str::to_owned),
        })
    }

    #[test]
    fn final_result_codes() {
        let cases: Vec<(&str, &str, Option<FinalResult>)> = vec![
            ("generic OK", "OK", Some(FinalResult::Ok)),
            (
                "generic OK with trailing space",
                "OK ",
                Some(FinalResult::Ok),
            ),
            ("generic ERROR (CMEE=0)", "ERROR", Some(FinalResult::Error)),
            (
                "Quectel EC25 CME numeric (CMEE=1)",
                "+CME ERROR: 10",
                Some(cme(Some(10), None)),
            ),
            (
                "Wavecom CME 515 device busy",
                "+CME ERROR: 515",
                Some(cme(Some(515), None)),
            ),
            (
                "Quectel EC25 CME verbose (CMEE=2)",
                "+CME ERROR: SIM PIN required",
                Some(cme(Some(11), Some("SIM PIN required"))),
            ),
            (
                "SIMCom SIM7600 CME verbose, lower case",
                "+CME ERROR: sim not inserted",
                Some(cme(Some(10), Some("sim not inserted"))),
            ),
            (
                "ZTE M6280 CME quoted text",
                "+CME ERROR: \"SIM busy\"",
                Some(cme(Some(14), Some("SIM busy"))),
            ),
            (
                "empty CME (Huawei E173)",
                "+CME ERROR:",
                Some(cme(None, None)),
            ),
            (
                "empty CME with space",
                "+CME ERROR: ",
                Some(cme(None, None)),
            ),
            (
                "unknown CME code kept",
                "+CME ERROR: 9999",
                Some(cme(Some(9999), None)),
            ),
            (
                "unknown CME text kept",
                "+CME ERROR: Flux capacitor",
                Some(cme(None, Some("Flux capacitor"))),
            ),
            (
                "CME code too large for u16 kept as text",
                "+CME ERROR: 70000",
                Some(cme(None, Some("70000"))),
            ),
            (
                "SIMCom SIM800 CMS numeric",
                "+CMS ERROR: 500",
                Some(cms(Some(500), None)),
            ),
            (
                "Quectel EC25 CMS no space",
                "+CMS ERROR:304",
                Some(cms(Some(304), None)),
            ),
            (
                "SIMCom SIM7600 CMS verbose SIM busy",
                "+CMS ERROR: SIM busy",
                Some(cms(Some(314), Some("SIM busy"))),
            ),
            (
                "MM-normalised CMS text",
                "+CMS ERROR: memoryfull",
                Some(cms(Some(322), Some("memoryfull"))),
            ),
            (
                "CMS USIM spelling",
                "+CMS ERROR: USIM not inserted",
                Some(cms(Some(310), Some("USIM not inserted"))),
            ),
            ("empty CMS", "+CMS ERROR:", Some(cms(None, None))),
            (
                "unknown CMS vendor code kept",
                "+CMS ERROR: 549",
                Some(cms(Some(549), None)),
            ),
            (
                "Huawei E1752 unknown command",
                "COMMAND NOT SUPPORT",
                Some(FinalResult::CommandNotSupport),
            ),
            (
                "Huawei too many parameters",
                "TOO MANY PARAMETERS",
                Some(FinalResult::TooManyParameters),
            ),
            (
                "Motorola EZX modem error",
                "MODEM ERROR: 3",
                Some(FinalResult::ModemError(Some(3))),
            ),
            (
                "Motorola EZX modem error junk",
                "MODEM ERROR: x",
                Some(FinalResult::ModemError(None)),
            ),
            (
                "V.250 NO CARRIER",
                "NO CARRIER",
                Some(FinalResult::NoCarrier),
            ),
            ("V.250 BUSY", "BUSY", Some(FinalResult::Busy)),
            ("V.250 NO ANSWER", "NO ANSWER", Some(FinalResult::NoAnswer)),
            (
                "V.250 NO DIALTONE",
                "NO DIALTONE",
                Some(FinalResult::NoDialtone),
            ),
            ("V.250 CONNECT", "CONNECT", Some(FinalResult::Connect(None))),
            (
                "V.250 CONNECT with rate",
                "CONNECT 115200",
                Some(FinalResult::Connect(Some("115200".into()))),
            ),
            ("not final: CONNECTED", "CONNECTED", None),
            ("not final: info line", "+CSQ: 20,99", None),
            ("not final: Samsung Z810 NA without quirk", "NA", None),
            ("not final: OKAY", "OKAY", None),
            ("not final: RING", "RING", None),
        ];
        for (name, line, want) in cases {
            assert_eq!(FinalResult::parse(line), want, "{name}");
        }
    }

    #[test]
    fn success() {
        assert!(FinalResult::Ok.is_success());
        assert!(FinalResult::Connect(None).is_success());
        assert!(!FinalResult::Error.is_success());
        assert!(!FinalResult::NoCarrier.is_success());
        assert!(
            FinalResult::Custom {
                text: "DONE".into(),
                success: true
            }
            .is_success()
        );
    }

    #[test]
    fn display() {
        let cases: Vec<(FinalResult, &str)> = vec![
            (cme(Some(14), None), "+CME ERROR: 14 (SIM busy)"),
            (cme(Some(9999), None), "+CME ERROR: 9999"),
            (cme(None, Some("odd")), "+CME ERROR: odd"),
            (cme(None, None), "+CME ERROR"),
            (cms(Some(332), None), "+CMS ERROR: 332 (network timeout)"),
            (
                cms(Some(314), Some("SIM busy")),
                "+CMS ERROR: 314 (SIM busy)",
            ),
            (FinalResult::Connect(Some("9600".into())), "CONNECT 9600"),
        ];
        for (value, want) in cases {
            assert_eq!(value.to_string(), want);
        }
    }

    #[test]
    fn every_spec_text_maps_back_to_its_code() {
        for (code, text) in CME_TEXTS {
            assert_eq!(CmeError::parse(text).code, Some(*code), "CME {text}");
        }
        for (code, text) in CMS_TEXTS {
            assert_eq!(CmsError::parse(text).code, Some(*code), "CMS {text}");
        }
    }
}
