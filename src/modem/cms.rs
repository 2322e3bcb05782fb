//! What a `+CMS ERROR` means for the message that got it: the retry policy's classes
//! (permanent, temporary, device state, outcome unknown), one table for the codes 27.005 and
//! 24.011/23.040 define, and the model's own table (in [`super::quirks`]) for vendor codes ≥ 512.
//! `docs/hardware/cms-errors.md` has the meanings and their sources; the classes are ours. The
//! dispatcher acts on the class (`docs/architecture.md`, "Sending a message").

use crate::at::result::CmsError;

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

/// The class of a `+CMS ERROR` from a modem with the vendor table `vendor`. An error without a
/// code (a text the tables do not know) is [`CmsClass::Temporary`].
pub fn classify(e: &CmsError, vendor: &[(u16, CmsClass)]) -> CmsClass {
    e.code
        .map_or(CmsClass::Temporary, |c| classify_cms(c, vendor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modem::quirks::{QUECTEL_CMS_CLASSES, SIMCOM_CMS_CLASSES};

    /// (name, code, vendor table, expected class).
    type ClassCase = (&'static str, u16, &'static [(u16, CmsClass)], CmsClass);

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
        assert_eq!(classify(&CmsError::parse("network timeout"), none), U);
        assert_eq!(classify(&CmsError::parse("gremlins"), none), T);
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
