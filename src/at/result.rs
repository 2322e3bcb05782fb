//! Final result codes (ITU-T V.250 §5.7.1, 3GPP TS 27.007 §9.2, TS 27.005 §3.2.5) and the
//! classification of `+CMS ERROR` codes for the sender (`docs/hardware/cms-errors.md`).
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

    /// How the sender should treat this error (`docs/hardware/cms-errors.md#classes`). `vendor` is
    /// the modem model's table for codes ≥ 512 (e.g. [`QUECTEL_CMS_CLASSES`]); an error without a
    /// code is [`CmsClass::Temporary`].
    pub fn class(&self, vendor: &[(u16, CmsClass)]) -> CmsClass {
        self.code
            .map_or(CmsClass::Temporary, |c| classify_cms(c, vendor))
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

/// What the sender does after a `+CMS ERROR` (`docs/hardware/cms-errors.md#classes`; the classes
/// are our reasoning, the code meanings come from the sources each [`CmsRule`] names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmsClass {
    /// "P": do not retry the same PDU; fail the message (or fix the configuration and retry once).
    Permanent,
    /// "T": retry with exponential backoff, up to a limit.
    Temporary,
    /// "D": the device or SIM is in a bad state. Pause the whole queue and run recovery; do not
    /// count the attempt against the message.
    DeviceState,
    /// The SM may already have reached the SC (TP-MR duplicate, network timeout). Never resend
    /// blindly; the recipient becomes `unknown` (`docs/architecture.md`, "Sending a message").
    OutcomeUnknown,
}

/// One row of the `+CMS ERROR` classification table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmsRule {
    /// First code of the row.
    pub first: u16,
    /// Last code of the row (inclusive).
    pub last: u16,
    /// How the sender treats it.
    pub class: CmsClass,
    /// What the code means and why it has this class.
    pub note: &'static str,
    /// Where the meaning (and any grouping) comes from, as cited in `docs/hardware/cms-errors.md`.
    pub source: &'static str,
}

const fn rule(
    first: u16,
    last: u16,
    class: CmsClass,
    note: &'static str,
    source: &'static str,
) -> CmsRule {
    CmsRule {
        first,
        last,
        class,
        note,
        source,
    }
}

use CmsClass::{DeviceState as D, OutcomeUnknown as U, Permanent as P, Temporary as T};

/// Names of 0–255 per 24.011 Annex E-2 / 23.040 §9.2.3.22 as tabled by SMST, GAMMU, MM, ATMAN.
const RP: &str =
    "docs/hardware/cms-errors.md; 24.011 Annex E-2, SMST gsm_cms_errors[], GAMMU CMSErrorCodes[]";
const TP: &str =
    "docs/hardware/cms-errors.md; 23.040 §9.2.3.22, SMST gsm_cms_errors[], GAMMU CMSErrorCodes[]";
const ME: &str =
    "docs/hardware/cms-errors.md; 27.005 §3.2.5 via SMST, GAMMU, MM mm-error-helpers.c";

/// The one `+CMS ERROR` classification table for codes below 512 (`docs/hardware/cms-errors.md`).
/// Codes not listed default to [`CmsClass::Temporary`] (a retry with a limit is the cautious
/// choice).
pub const CMS_CLASSES: &[CmsRule] = &[
    rule(
        1,
        1,
        P,
        "unassigned (unallocated) number: destination does not exist",
        RP,
    ),
    rule(8, 8, P, "operator determined barring", RP),
    rule(10, 10, P, "call barred", RP),
    rule(
        21,
        21,
        P,
        "short message transfer rejected (at most 1 retry)",
        RP,
    ),
    rule(
        27,
        27,
        T,
        "destination out of order: far end unreachable now",
        RP,
    ),
    rule(
        28,
        28,
        P,
        "unidentified subscriber: our SIM not provisioned for SMS",
        RP,
    ),
    rule(29, 29, P, "facility rejected", RP),
    rule(
        30,
        30,
        P,
        "unknown subscriber: our subscription is invalid",
        RP,
    ),
    rule(
        38,
        38,
        T,
        "network out of order",
        "docs/hardware/cms-errors.md; GAMMU maps to ERR_NETWORK_ERROR",
    ),
    rule(
        41,
        41,
        T,
        "temporary failure",
        "docs/hardware/cms-errors.md; GAMMU maps to ERR_NETWORK_ERROR",
    ),
    rule(
        42,
        42,
        T,
        "congestion: back off",
        "docs/hardware/cms-errors.md; GAMMU maps to ERR_NETWORK_ERROR",
    ),
    rule(
        47,
        47,
        T,
        "resources unavailable, unspecified",
        "docs/hardware/cms-errors.md; GAMMU maps to ERR_NETWORK_ERROR",
    ),
    rule(
        50,
        50,
        P,
        "requested facility not subscribed (data-only IoT SIMs)",
        RP,
    ),
    rule(69, 69, P, "requested facility not implemented", RP),
    rule(
        81,
        81,
        T,
        "invalid SM transfer reference value (1-2 tries, fresh TP-MR)",
        RP,
    ),
    rule(
        95,
        95,
        P,
        "invalid message, unspecified: our PDU is wrong",
        RP,
    ),
    rule(
        96,
        96,
        P,
        "invalid mandatory information: our PDU is wrong",
        RP,
    ),
    rule(
        97,
        97,
        P,
        "message type non-existent or not implemented",
        RP,
    ),
    rule(
        98,
        98,
        T,
        "message not compatible with SM protocol state (1-2 tries)",
        RP,
    ),
    rule(
        99,
        99,
        P,
        "information element non-existent or not implemented",
        RP,
    ),
    rule(
        111,
        111,
        T,
        "protocol error, unspecified (limited)",
        "docs/hardware/cms-errors.md; GAMMU maps to ERR_NETWORK_ERROR",
    ),
    rule(127, 127, T, "interworking, unspecified (limited)", RP),
    rule(128, 143, P, "TP-PID errors: bad TP-PID in our PDU", TP),
    rule(
        144,
        159,
        P,
        "TP-DCS or message class not supported: re-encode",
        TP,
    ),
    rule(160, 175, P, "TP-Command errors", TP),
    rule(176, 176, P, "TPDU not supported", TP),
    rule(192, 192, T, "SC busy", TP),
    rule(193, 193, P, "no SC subscription", TP),
    rule(194, 194, T, "SC system failure", TP),
    rule(195, 195, P, "invalid SME address: bad destination", TP),
    rule(196, 196, P, "destination SME barred", TP),
    rule(
        197,
        197,
        U,
        "SM rejected, duplicate SM: an earlier attempt probably got through",
        TP,
    ),
    rule(
        198,
        199,
        P,
        "TP-VPF / TP-VP not supported: change the validity format",
        TP,
    ),
    rule(
        208,
        211,
        T,
        "SIM storage full / no SIM storage / error in MS / memory exceeded: MT-side causes, not expected on send (limited)",
        "docs/hardware/cms-errors.md; GAMMU maps 0xD3 to ERR_FULL",
    ),
    rule(212, 212, T, "SAT busy", TP),
    rule(
        213,
        213,
        T,
        "SIM data download error: MT-side cause (limited)",
        TP,
    ),
    rule(255, 255, T, "unspecified error cause (limited)", TP),
    rule(
        300,
        300,
        D,
        "ME failure: re-initialise, power-cycle if persistent",
        ME,
    ),
    rule(301, 301, T, "SMS service of ME reserved", ME),
    rule(
        302,
        302,
        D,
        "operation not allowed: usually wrong state; re-init and retry once, then P",
        ME,
    ),
    rule(303, 303, P, "operation not supported", ME),
    rule(
        304,
        304,
        P,
        "invalid PDU mode parameter: PDU or <length> wrong (length excludes the SMSC)",
        ME,
    ),
    rule(305, 305, P, "invalid text mode parameter", ME),
    rule(310, 310, D, "SIM not inserted", ME),
    rule(
        311,
        312,
        D,
        "PIN required: never auto-enter a rejected PIN",
        ME,
    ),
    rule(
        313,
        313,
        D,
        "SIM failure",
        "docs/hardware/cms-errors.md; GAMMU maps to ERR_NOSIM",
    ),
    rule(
        314,
        314,
        T,
        "SIM busy: still initialising, short retry (PGM CME 14 handling)",
        ME,
    ),
    rule(
        315,
        315,
        D,
        "SIM wrong",
        "docs/hardware/cms-errors.md; GAMMU maps to ERR_NOSIM",
    ),
    rule(316, 318, D, "PUK / PIN2 / PUK2 required", ME),
    rule(320, 320, D, "memory failure", ME),
    rule(
        321,
        321,
        P,
        "invalid memory index: not a send error; resync with CMGL",
        ME,
    ),
    rule(322, 322, D, "memory full: purge storage", ME),
    rule(
        330,
        330,
        P,
        "SMSC address unknown: set +CSCA or embed the SMSC, then retry",
        ME,
    ),
    rule(331, 331, T, "no network service: wait for registration", ME),
    rule(
        332,
        332,
        U,
        "network timeout: the SM may have reached the SC (reuse TP-MR with TP-RD=1)",
        ME,
    ),
    rule(
        340,
        340,
        T,
        "no +CNMA acknowledgement expected: harmless on +CNMA (EC25 manual), never a send error",
        ME,
    ),
    rule(
        500,
        500,
        T,
        "unknown error (small limit, then P): often a SIM without SMS service (botletics#103)",
        ME,
    ),
];

/// Quectel vendor codes (ATMAN `cms-errors.md`; `docs/hardware/cms-errors.md#vendor-codes`): 512
/// SIM not ready, 513 message length exceeds, 514 invalid request parameters, 529 MO SMS not
/// allowed, 530 GPRS suspended. (515, 517 and 531 have no class of their own and fall back to the
/// default.)
pub const QUECTEL_CMS_CLASSES: &[(u16, CmsClass)] =
    &[(512, T), (513, P), (514, P), (529, P), (530, T)];

/// SIMCom/Wavecom-style vendor codes (SMST, KANNEL `at2_error_string`;
/// `docs/hardware/cms-errors.md#vendor-codes`): 512 MM establishment failure, 513 lower-layer
/// failure, 514 network congestion, 515 init in progress.
pub const SIMCOM_CMS_CLASSES: &[(u16, CmsClass)] = &[(512, T), (513, T), (514, T), (515, T)];

/// The row of [`CMS_CLASSES`] that covers `code`, if any.
pub fn cms_rule(code: u16) -> Option<&'static CmsRule> {
    CMS_CLASSES
        .iter()
        .find(|r| (r.first..=r.last).contains(&code))
}

/// Classify a `+CMS ERROR` code. Codes ≥ 512 are manufacturer specific ("the same number means
/// different things per vendor", `docs/hardware/cms-errors.md`), so they are looked up only in
/// `vendor`, the model's own table; anything unknown is [`CmsClass::Temporary`].
pub fn classify_cms(code: u16, vendor: &[(u16, CmsClass)]) -> CmsClass {
    if code >= 512 {
        return vendor
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(CmsClass::Temporary, |(_, class)| *class);
    }
    cms_rule(code).map_or(CmsClass::Temporary, |r| r.class)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, code, vendor table, expected class).
    type ClassCase = (&'static str, u16, &'static [(u16, CmsClass)], CmsClass);

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

    #[test]
    fn cms_classes() {
        let none: &[(u16, CmsClass)] = &[];
        let cases: &[ClassCase] = &[
            ("unassigned number", 1, none, P),
            ("network out of order", 38, none, T),
            ("TP-PID range start", 128, none, P),
            ("TP-PID range end", 143, none, P),
            ("duplicate SM: probably delivered", 197, none, U),
            ("ME failure", 300, none, D),
            ("invalid PDU mode parameter", 304, none, P),
            ("SIM busy", 314, none, T),
            ("SMSC unknown", 330, none, P),
            ("network timeout: maybe a duplicate", 332, none, U),
            ("SIMCom SIM7600 unknown error (botletics#103)", 500, none, T),
            ("unlisted RP cause defaults to T", 60, none, T),
            ("unlisted reserved code defaults to T", 400, none, T),
            (
                "Quectel EC25 513 message length exceeds",
                513,
                QUECTEL_CMS_CLASSES,
                P,
            ),
            (
                "Quectel EC25 529 MO SMS not allowed",
                529,
                QUECTEL_CMS_CLASSES,
                P,
            ),
            ("Quectel EC25 515 unclassified", 515, QUECTEL_CMS_CLASSES, T),
            (
                "SIMCom SIM800 513 lower-layer failure",
                513,
                SIMCOM_CMS_CLASSES,
                T,
            ),
            ("vendor code without a table", 513, none, T),
        ];
        for (name, code, vendor, want) in cases {
            assert_eq!(classify_cms(*code, vendor), *want, "{name}");
        }
        // Text-only errors classify through their mapped code; unknown text is temporary.
        assert_eq!(CmsError::parse("network timeout").class(none), U);
        assert_eq!(CmsError::parse("gremlins").class(none), T);
    }

    #[test]
    fn cms_table_is_sorted_and_disjoint() {
        for pair in CMS_CLASSES.windows(2) {
            if let [a, b] = pair {
                assert!(a.first <= a.last, "{a:?}");
                assert!(a.last < b.first, "{a:?} overlaps or precedes {b:?}");
                assert!(
                    b.last < 512,
                    "vendor codes belong in per-model tables: {b:?}"
                );
                assert!(!a.source.is_empty() && !a.note.is_empty());
            }
        }
    }
}
