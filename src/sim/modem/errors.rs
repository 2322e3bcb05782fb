//! The error result codes and their three forms.
//!
//! A command that fails ends its line with `ERROR`, `+CME ERROR: <err>`
//! (27.007 §9.2) or, for SMS commands, `+CMS ERROR: <err>` (27.005 §3.2.5).
//! `AT+CMEE` (27.007 §9.1) picks the form of a CME error: with 0 a bare
//! `ERROR`, with 1 its number, with 2 its text. 27.005 does not tie
//! `+CMS ERROR` to `AT+CMEE`, so a CMS error is always given, as a number;
//! only `CMEE=2` turns it into text, the profile's vendor text where it has
//! one, so that a host meets the texts it would meet on the hardware.

use super::Modem;

/// Why a command failed; its form follows `AT+CMEE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fail {
    /// `ERROR`, whatever `AT+CMEE` says.
    Plain,
    /// `+CME ERROR: <n>` (27.007 §9.2).
    Cme(u16),
    /// `+CMS ERROR: <n>` (27.005 §3.2.5).
    Cms(u16),
}

impl Modem {
    /// The final result code for `f` as the current `AT+CMEE` has it.
    pub(super) fn fail_text(&self, f: Fail) -> String {
        match f {
            Fail::Plain => "ERROR".into(),
            Fail::Cme(n) => match self.set.cmee {
                0 => "ERROR".into(),
                1 => format!("+CME ERROR: {n}"),
                _ => format!("+CME ERROR: {}", cme_text(n)),
            },
            // 27.005: +CMS ERROR does not depend on CMEE; only the text form does.
            Fail::Cms(n) => match self.set.cmee {
                2 => match self.cms_text(n) {
                    Some(t) => format!("+CMS ERROR: {t}"),
                    None => format!("+CMS ERROR: {n}"),
                },
                _ => format!("+CMS ERROR: {n}"),
            },
        }
    }

    /// The text of CMS error `n`: the profile's own first, then 27.005's.
    fn cms_text(&self, n: u16) -> Option<&'static str> {
        self.cfg
            .profile
            .cms_vendor_texts
            .iter()
            .find(|(c, _)| *c == n)
            .map(|(_, t)| *t)
            .or_else(|| cms_standard_text(n))
    }
}

/// The verbose texts of the 27.007 §9.2.1 codes the simulator gives.
fn cme_text(n: u16) -> &'static str {
    match n {
        3 => "operation not allowed",
        4 => "operation not supported",
        10 => "SIM not inserted",
        11 => "SIM PIN required",
        12 => "SIM PUK required",
        16 => "incorrect password",
        50 => "Incorrect parameters",
        _ => "unknown",
    }
}

/// The verbose texts of the 27.005 §3.2.5 codes the simulator gives; the
/// profile's vendor texts come first.
fn cms_standard_text(n: u16) -> Option<&'static str> {
    Some(match n {
        300 => "ME failure",
        302 => "operation not allowed",
        303 => "operation not supported",
        304 => "invalid PDU mode parameter",
        310 => "SIM not inserted",
        311 => "SIM PIN required",
        316 => "SIM PUK required",
        321 => "invalid memory index",
        322 => "memory full",
        330 => "SMSC address unknown",
        331 => "no network service",
        332 => "network timeout",
        340 => "no +CNMA acknowledgement expected",
        500 => "unknown error",
        _ => return None,
    })
}
