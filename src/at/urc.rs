//! Unsolicited result codes (URCs): recognising them ([`classify`]) and parsing them ([`parse`]).
//!
//! A URC may arrive at any time, including between a command and its final result code and
//! between the SMS prompt and `+CMGS: <mr>`
//! (`docs/hardware/wire-format.md#framing-and-result-codes`). The client therefore checks each
//! [`Frame::Line`](crate::at::framer::Frame::Line) first against the in-flight command's prefix
//! (some lines, `+CREG:`, `+CPIN:`, `+CSQ:`, are both responses and URCs: FactbirdHQ/atat PR #205)
//! and then with [`classify`]. A header such as `+CMT: ,23` announces trailing lines (the PDU)
//! that belong to the URC, not to the command (GAMMU's "special answers" table).
//!
//! Every URC listed in `docs/hardware/wire-format.md#urc-formats` is recognised. Those the
//! gateway acts on get typed variants; vendor noise (`^RSSI`, `+ZPAS`, `#STN`, ...) is kept as
//! name plus arguments so it can be logged and ignored; an unknown URC is never an error.
//!
//! The value types shared with solicited replies ([`Registration`], [`PinState`],
//! [`SignalQuality`]) live here too.

use crate::at::parse::{ParseError, args, invalid, is_hex, number, opt_number};
use crate::at::values::{PinState, RegKind, Registration, SignalQuality};

/// Which URC a header line is, as told by [`classify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UrcKind {
    /// `+CMTI: <mem>,<index>` (27.005 §3.4.1).
    Cmti,
    /// `+CMT: [<alpha>],<length>` + PDU line (27.005 §3.4.1, PDU mode).
    Cmt,
    /// `+CDS: <length>` + PDU line (27.005 §3.4.1, PDU mode).
    Cds,
    /// `+CDSI: <mem>,<index>` (27.005 §3.4.1).
    Cdsi,
    /// `+CBM: <length>` + PDU line (27.005 §3.4.1, PDU mode).
    Cbm,
    /// `+CREG: ...` (27.007 §7.2).
    Creg,
    /// `+CGREG: ...` (27.007 §10.1, GPRS registration).
    Cgreg,
    /// `+CEREG: ...` (27.007 §10.1, EPS registration).
    Cereg,
    /// `RING` (V.250).
    Ring,
    /// `+CRING: <type>` (27.007 §6.11).
    Cring,
    /// `+CLIP: <number>,<type>,...` (27.007 §7.6).
    Clip,
    /// `NO CARRIER` when no command is in flight (a call ended).
    NoCarrier,
    /// `+CUSD: <m>[,<str>,<dcs>]` (27.007 §7.15).
    Cusd,
    /// `+CGEV: ...` (27.007 §10.1, packet domain events).
    Cgev,
    /// `+CTZV: <tz>` (27.007 §8.41).
    Ctzv,
    /// `+CTZE: <tz>,<dst>,<time>` (27.007 §8.41).
    Ctze,
    /// `+CIEV: <ind>,<value>` (27.007 §8.10).
    Ciev,
    /// `+CPIN: <code>` as a URC (SIMCom, Quectel boot).
    Cpin,
    /// `+CFUN: <fun>` as a URC (Quectel boot).
    Cfun,
    /// `+CSQ: <rssi>,<ber>` as a URC (SIMCom `AT+AUTOCSQ`).
    Csq,
    /// `RDY`: module started (Quectel, SIMCom).
    Rdy,
    /// `Call Ready` (SIMCom SIM800/SIM900).
    CallReady,
    /// `SMS Ready` (SIMCom SIM800/SIM900).
    SmsReady,
    /// `SMS DONE` (SIMCom SIM7x00).
    SmsDone,
    /// `PB DONE` (SIMCom SIM7x00).
    PbDone,
    /// `+QIND: ...` (Quectel).
    Qind,
    /// `+QUSIM: <n>` (Quectel, after a (e)UICC restart).
    Qusim,
    /// A power-down notice (SIMCom `NORMAL POWER DOWN`, Quectel `POWERED DOWN`, ...).
    PowerDown,
    /// A supply voltage warning (SIMCom SIM800 `UNDER-VOLTAGE WARNNING`, ...).
    VoltageWarning,
    /// `+AT: READY` / `+READY` (u-blox).
    ModuleReady,
    /// `+PBREADY` (u-blox).
    PbReady,
    /// `^NAME:...` (Huawei).
    HuaweiCaret,
    /// Another vendor URC recognised by name (`+ZPAS`, `#QSS`, `VOICE CALL`, `+WIND`, ...).
    Vendor,
}

/// What [`classify`] says about a line: which URC it is and how many lines after it belong to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UrcHeader {
    /// The URC.
    pub kind: UrcKind,
    /// How many lines after this one belong to the URC (the PDU of `+CMT`, `+CDS`, `+CBM`).
    pub trailing_lines: usize,
}

/// Lines that are URCs as a whole (after trimming).
const EXACT: &[(&str, UrcKind)] = &[
    ("RING", UrcKind::Ring),
    ("NO CARRIER", UrcKind::NoCarrier),
    ("RDY", UrcKind::Rdy),
    ("Call Ready", UrcKind::CallReady),
    ("SMS Ready", UrcKind::SmsReady),
    ("SMS DONE", UrcKind::SmsDone),
    ("PB DONE", UrcKind::PbDone),
    ("POWERED DOWN", UrcKind::PowerDown),
    ("NORMAL POWER DOWN", UrcKind::PowerDown),
    ("UNDER-VOLTAGE POWER DOWN", UrcKind::PowerDown),
    ("UNDER-VOLTAGE POWERDOWN", UrcKind::PowerDown),
    ("OVER-VOLTAGE POWER DOWN", UrcKind::PowerDown),
    ("OVER-VOLTAGE POWERDOWN", UrcKind::PowerDown),
    // "WARNNING" is the vendor's spelling (SIM800 hardware design V1.09); accept both.
    ("UNDER-VOLTAGE WARNNING", UrcKind::VoltageWarning),
    ("UNDER-VOLTAGE WARNING", UrcKind::VoltageWarning),
    ("OVER-VOLTAGE WARNNING", UrcKind::VoltageWarning),
    ("OVER-VOLTAGE WARNING", UrcKind::VoltageWarning),
    ("+READY", UrcKind::ModuleReady),
    ("+PBREADY", UrcKind::PbReady),
    ("+ZEND", UrcKind::Vendor),
];

/// URCs recognised by the name before the colon.
const NAMED: &[(&str, UrcKind)] = &[
    ("+CMTI", UrcKind::Cmti),
    ("+CMT", UrcKind::Cmt),
    ("+CDS", UrcKind::Cds),
    ("+CDSI", UrcKind::Cdsi),
    ("+CBM", UrcKind::Cbm),
    ("+CREG", UrcKind::Creg),
    ("+CGREG", UrcKind::Cgreg),
    ("+CEREG", UrcKind::Cereg),
    ("+CRING", UrcKind::Cring),
    ("+CLIP", UrcKind::Clip),
    ("+CUSD", UrcKind::Cusd),
    ("+CGEV", UrcKind::Cgev),
    ("+CTZV", UrcKind::Ctzv),
    ("+CTZE", UrcKind::Ctze),
    ("+CIEV", UrcKind::Ciev),
    ("+CPIN", UrcKind::Cpin),
    ("+CFUN", UrcKind::Cfun),
    ("+CSQ", UrcKind::Csq),
    ("+QIND", UrcKind::Qind),
    ("+QUSIM", UrcKind::Qusim),
    ("+AT", UrcKind::ModuleReady),
    // Quectel GNSS / LwM2M (MM ignores them).
    ("+QGPSURC", UrcKind::Vendor),
    ("+QLWURC", UrcKind::Vendor),
    // SIMCom (MM simtech helpers).
    ("+CNSMOD", UrcKind::Vendor),
    ("+NITZ", UrcKind::Vendor),
    ("VOICE CALL", UrcKind::Vendor),
    ("MISSED_CALL", UrcKind::Vendor),
    // Telit (MM telit plugin, GAMMU).
    ("#QSS", UrcKind::Vendor),
    ("#STN", UrcKind::Vendor),
    // ZTE (MM zte plugin, GAMMU).
    ("+ZUSIMR", UrcKind::Vendor),
    ("+ZDONR", UrcKind::Vendor),
    ("+ZPAS", UrcKind::Vendor),
    // Wavecom (`AT+WIND=50`).
    ("+WIND", UrcKind::Vendor),
];

/// Split `NAME: args` at the first colon.
fn split_name(line: &str) -> Option<(&str, &str)> {
    let (name, rest) = line.split_once(':')?;
    Some((name.trim(), rest.trim()))
}

/// Whether `line` is (or may be) a URC, and how many trailing lines it needs. `None` for lines
/// that are not URCs (information responses, echo, PDUs, unknown text).
///
/// Lines such as `+CREG: 1,1` are also solicited replies; check the in-flight command's prefix
/// first. Allocation-free.
pub fn classify(line: &str) -> Option<UrcHeader> {
    let line = line.trim();
    let header = |kind| UrcHeader {
        kind,
        trailing_lines: 0,
    };
    if let Some((_, kind)) = EXACT.iter().find(|(text, _)| *text == line) {
        return Some(header(*kind));
    }
    let (name, rest) = split_name(line)?;
    if name.starts_with('^') && name.len() > 1 {
        return Some(header(UrcKind::HuaweiCaret));
    }
    let (_, kind) = NAMED.iter().find(|(n, _)| *n == name)?;
    let trailing_lines = match kind {
        // PDU mode: the PDU follows on its own line (27.005 §3.4.1; GAMMU counts 2 lines).
        // A text-mode `+CDS` is one line of several fields (27.005 §3.4.1), so it has none.
        UrcKind::Cmt | UrcKind::Cbm => 1,
        UrcKind::Cds if !rest.contains(',') => 1,
        _ => 0,
    };
    Some(UrcHeader {
        kind: *kind,
        trailing_lines,
    })
}

/// Why a module powered down. All mean "the module is gone"
/// (`docs/hardware/wire-format.md#urc-formats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PowerDown {
    /// SIMCom `NORMAL POWER DOWN`.
    Normal,
    /// Quectel `POWERED DOWN`.
    Powered,
    /// SIMCom `UNDER-VOLTAGE POWER DOWN`.
    UnderVoltage,
    /// SIMCom `OVER-VOLTAGE POWER DOWN` (5 V logic on a 2.8 V SIM800 can cause it).
    OverVoltage,
}

/// Which supply limit a SIMCom voltage warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Voltage {
    /// `UNDER-VOLTAGE WARNNING` (≤ 3.49 V on SIM800).
    Under,
    /// `OVER-VOLTAGE WARNNING` (≥ 4.3 V on SIM800).
    Over,
}

/// An unsolicited result code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Urc {
    /// New message stored: `+CMTI: <mem>,<index>` (27.005 §3.4.1). De-duplicate on (mem, index):
    /// some modems signal twice (MM `mm-broadband-modem.c` l.7627).
    Cmti {
        /// Storage, e.g. `SM`, `ME`.
        mem: String,
        /// Index in that storage.
        index: u32,
    },
    /// New message routed directly: `+CMT: [<alpha>],<length>` + PDU (27.005 §3.4.1). Needs
    /// `AT+CNMA` when `+CSMS=1`.
    Cmt {
        /// `<alpha>`: phonebook name of the sender, rarely present.
        alpha: Option<String>,
        /// `<length>`: TPDU octets (a hint only,
        /// `docs/hardware/at-commands.md#reading-and-deleting`).
        length: u32,
        /// The PDU in hex (SMSC + TPDU).
        pdu: String,
    },
    /// Status report routed directly: `+CDS: <length>` + PDU (27.005 §3.4.1).
    Cds {
        /// `<length>`: TPDU octets.
        length: u32,
        /// The PDU in hex.
        pdu: String,
    },
    /// Status report stored: `+CDSI: <mem>,<index>` (27.005 §3.4.1).
    Cdsi {
        /// Storage, e.g. `SR`.
        mem: String,
        /// Index in that storage.
        index: u32,
    },
    /// Cell broadcast routed directly: `+CBM: <length>` + PDU (27.005 §3.4.1).
    Cbm {
        /// `<length>`: PDU octets.
        length: u32,
        /// The PDU in hex.
        pdu: String,
    },
    /// `+CREG` (circuit-switched registration, 27.007 §7.2).
    Creg(Registration),
    /// `+CGREG` (GPRS registration, 27.007 §10.1).
    Cgreg(Registration),
    /// `+CEREG` (EPS registration, 27.007 §10.1).
    Cereg(Registration),
    /// `RING`: an incoming call (hang up if calls are not wanted,
    /// `docs/hardware/wire-format.md#urc-formats`).
    Ring,
    /// `+CRING: <type>`, e.g. `VOICE`.
    Cring(String),
    /// `+CLIP: <number>,<type>[,<subaddr>,<satype>[,<alpha>[,<CLI validity>]]]` (27.007 §7.6).
    Clip {
        /// The caller's number (may be empty when withheld).
        number: String,
        /// `<type>`: type of address (129 national, 145 international).
        toa: Option<u8>,
        /// `<alpha>`: phonebook name.
        alpha: Option<String>,
        /// `<CLI validity>`: 0 valid, 1 withheld, 2 not available.
        validity: Option<u8>,
    },
    /// `NO CARRIER` outside a command: a call ended.
    NoCarrier,
    /// `+CUSD: <m>[,<str>,<dcs>]` (27.007 §7.15).
    Cusd {
        /// `<m>`: 0 no further action, 1 further action required, 2 terminated, ...
        m: u8,
        /// `<str>`: the USSD string as sent (its coding depends on `<dcs>` and `+CSCS`).
        text: Option<String>,
        /// `<dcs>`: 23.038 cell broadcast data coding scheme.
        dcs: Option<u8>,
    },
    /// `+CGEV: ...` packet domain event, kept as text.
    Cgev(String),
    /// `+CTZV: ...` time zone, kept as text.
    Ctzv(String),
    /// `+CTZE: ...` time zone and daylight saving, kept as text.
    Ctze(String),
    /// `+CIEV: <ind>,<value>` indicator event (`+CIEV: "MESSAGE",1` on some SIMCom modules).
    Ciev {
        /// The indicator, a number or a quoted name.
        indicator: String,
        /// Its value, as text.
        value: String,
    },
    /// `+CPIN: <code>` as a URC.
    Cpin(PinState),
    /// `+CFUN: <fun>` as a URC (Quectel boot: `+CFUN: 1`).
    Cfun(u8),
    /// `+CSQ: <rssi>,<ber>` as a URC (SIMCom `AT+AUTOCSQ`).
    Csq(SignalQuality),
    /// `RDY`: the module (re)started. Mid-session it means the module reset itself: re-run the
    /// full init (MM `mm-shared-quectel.c` l.153–178).
    Rdy,
    /// `Call Ready` (SIMCom SIM800/SIM900).
    CallReady,
    /// `SMS Ready` (SIMCom SIM800/SIM900): SMS commands work from now on.
    SmsReady,
    /// `SMS DONE` (SIMCom SIM7x00).
    SmsDone,
    /// `PB DONE` (SIMCom SIM7x00).
    PbDone,
    /// `+QIND: <args>` (Quectel), e.g. `SMS DONE`, `PB DONE`; the arguments without quotes.
    Qind(String),
    /// `+QUSIM: <n>` (Quectel, after a (e)UICC restart).
    Qusim(u8),
    /// The module powered down: treat as "power lost"
    /// (`docs/hardware/wire-format.md#urc-formats`).
    PowerDown(PowerDown),
    /// Supply voltage warning (SIMCom SIM800).
    VoltageWarning(Voltage),
    /// `+AT: READY` / `+READY` (u-blox): the AT interface is ready.
    ModuleReady,
    /// `+PBREADY` (u-blox).
    PbReady,
    /// A Huawei `^NAME:args` URC (`^RSSI:18`, `^BOOT:...`, `^MODE:3,3`, `^HCSQ:...`); `name`
    /// without the caret. `AT^CURC=0` silences most of them.
    HuaweiCaret {
        /// The name, e.g. `RSSI`.
        name: String,
        /// The arguments, trimmed.
        args: String,
    },
    /// Another vendor URC recognised by name (`+ZPAS`, `#QSS`, `+CNSMOD`, `VOICE CALL`, ...).
    Vendor {
        /// The name, e.g. `+ZPAS`.
        name: String,
        /// The arguments, trimmed (empty for `+ZEND`).
        args: String,
    },
    /// A line that is not a known URC, kept for logging.
    Other(String),
}

impl Urc {
    /// Whether this URC says SMS commands are now usable
    /// (`docs/hardware/at-commands.md#boot-urcs-and-busy-codes`: SIMCom `SMS Ready` / `SMS DONE`,
    /// Quectel `+QIND: SMS DONE`).
    pub fn signals_sms_ready(&self) -> bool {
        match self {
            Urc::SmsReady | Urc::SmsDone => true,
            Urc::Qind(what) => what.eq_ignore_ascii_case("SMS DONE"),
            _ => false,
        }
    }

    /// Whether this URC means the module restarted or is gone, so the session state is lost.
    pub fn signals_reset(&self) -> bool {
        matches!(self, Urc::Rdy | Urc::PowerDown(_))
    }
}

/// Parse a URC from its header line and the trailing lines [`classify`] asked for. A line that is
/// not a known URC becomes [`Urc::Other`]; a known URC with unusable fields is an error.
pub fn parse<S: AsRef<str>>(header: &str, trailing: &[S]) -> Result<Urc, ParseError> {
    let line = header.trim();
    let Some(h) = classify(line) else {
        return Ok(Urc::Other(line.to_owned()));
    };
    if trailing.len() < h.trailing_lines {
        return Err(ParseError::MissingTrailingLine {
            header: urc_name(h.kind),
            needed: h.trailing_lines,
            got: trailing.len(),
        });
    }
    let (name, rest) = split_name(line).unwrap_or((line, ""));
    let list = args(rest);
    let first = || list.first().map_or("", |a| a.text);
    let pdu = || -> Result<String, ParseError> {
        let pdu = trailing.first().map_or("", |l| l.as_ref().trim());
        if is_hex(pdu) {
            Ok(pdu.to_owned())
        } else {
            Err(invalid("<pdu>", pdu))
        }
    };
    Ok(match h.kind {
        UrcKind::Cmti | UrcKind::Cdsi => {
            let mem = first().to_owned();
            let index = number("<index>", list.get(1).map_or("", |a| a.text))?;
            if h.kind == UrcKind::Cmti {
                Urc::Cmti { mem, index }
            } else {
                Urc::Cdsi { mem, index }
            }
        }
        UrcKind::Cmt => {
            // `[<alpha>],<length>`: the length is the last field (PDU mode).
            let length = number("<length>", list.last().map_or("", |a| a.text))?;
            let alpha = if list.len() >= 2 {
                list.first().and_then(|a| a.non_empty()).map(str::to_owned)
            } else {
                None
            };
            Urc::Cmt {
                alpha,
                length,
                pdu: pdu()?,
            }
        }
        UrcKind::Cds => Urc::Cds {
            length: number("<length>", first())?,
            pdu: pdu()?,
        },
        UrcKind::Cbm => Urc::Cbm {
            length: number("<length>", first())?,
            pdu: pdu()?,
        },
        UrcKind::Creg => Urc::Creg(Registration::parse(RegKind::Creg, rest)?),
        UrcKind::Cgreg => Urc::Cgreg(Registration::parse(RegKind::Cgreg, rest)?),
        UrcKind::Cereg => Urc::Cereg(Registration::parse(RegKind::Cereg, rest)?),
        UrcKind::Ring => Urc::Ring,
        UrcKind::Cring => Urc::Cring(first().to_owned()),
        UrcKind::Clip => Urc::Clip {
            number: first().to_owned(),
            toa: opt_number("<type>", list.get(1).map_or("", |a| a.text))?,
            alpha: list.get(4).and_then(|a| a.non_empty()).map(str::to_owned),
            validity: opt_number("<CLI validity>", list.get(5).map_or("", |a| a.text))?,
        },
        UrcKind::NoCarrier => Urc::NoCarrier,
        UrcKind::Cusd => Urc::Cusd {
            m: number("<m>", first())?,
            text: list.get(1).map(|a| a.text.to_owned()),
            dcs: opt_number("<dcs>", list.get(2).map_or("", |a| a.text))?,
        },
        UrcKind::Cgev => Urc::Cgev(rest.to_owned()),
        UrcKind::Ctzv => Urc::Ctzv(rest.to_owned()),
        UrcKind::Ctze => Urc::Ctze(rest.to_owned()),
        UrcKind::Ciev => Urc::Ciev {
            indicator: first().to_owned(),
            value: list.get(1).map_or("", |a| a.text).to_owned(),
        },
        UrcKind::Cpin => Urc::Cpin(PinState::parse(rest)),
        UrcKind::Cfun => Urc::Cfun(number("<fun>", first())?),
        UrcKind::Csq => Urc::Csq(SignalQuality::parse(rest)?),
        UrcKind::Rdy => Urc::Rdy,
        UrcKind::CallReady => Urc::CallReady,
        UrcKind::SmsReady => Urc::SmsReady,
        UrcKind::SmsDone => Urc::SmsDone,
        UrcKind::PbDone => Urc::PbDone,
        UrcKind::Qind => Urc::Qind(rest.trim_matches('"').to_owned()),
        UrcKind::Qusim => Urc::Qusim(number("<n>", first())?),
        UrcKind::PowerDown => Urc::PowerDown(if line.starts_with("POWERED") {
            PowerDown::Powered
        } else if line.starts_with("UNDER") {
            PowerDown::UnderVoltage
        } else if line.starts_with("OVER") {
            PowerDown::OverVoltage
        } else {
            PowerDown::Normal
        }),
        UrcKind::VoltageWarning => Urc::VoltageWarning(if line.starts_with("UNDER") {
            Voltage::Under
        } else {
            Voltage::Over
        }),
        UrcKind::ModuleReady => {
            // `+AT: READY`; any other `+AT:` line is unexpected and kept as text.
            if name == "+AT" && !rest.eq_ignore_ascii_case("READY") {
                Urc::Vendor {
                    name: name.to_owned(),
                    args: rest.to_owned(),
                }
            } else {
                Urc::ModuleReady
            }
        }
        UrcKind::PbReady => Urc::PbReady,
        UrcKind::HuaweiCaret => Urc::HuaweiCaret {
            name: name.trim_start_matches('^').to_owned(),
            args: rest.to_owned(),
        },
        UrcKind::Vendor => Urc::Vendor {
            name: name.to_owned(),
            args: rest.to_owned(),
        },
    })
}

fn urc_name(kind: UrcKind) -> &'static str {
    NAMED
        .iter()
        .chain(EXACT)
        .find(|(_, k)| *k == kind)
        .map_or("URC", |(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::at::values::{RegStatus, any_registered};

    /// (name, line, expected kind and trailing line count).
    type ClassifyCase = (&'static str, &'static str, Option<(UrcKind, usize)>);

    const PDU: &str =
        "0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB5DE3771B";

    fn reg(
        n: Option<u8>,
        stat: u8,
        lac: Option<u32>,
        ci: Option<u64>,
        act: Option<u8>,
        rac: Option<u8>,
    ) -> Registration {
        Registration {
            n,
            stat: RegStatus::from_code(stat),
            lac,
            ci,
            act,
            rac,
        }
    }

    #[test]
    fn classify_headers() {
        let cases: &[ClassifyCase] = &[
            (
                "GAMMU +CMTI SM",
                "+CMTI: \"SM\",1",
                Some((UrcKind::Cmti, 0)),
            ),
            ("GAMMU +CMT PDU mode", "+CMT: ,23", Some((UrcKind::Cmt, 1))),
            ("MM +CDS PDU mode", "+CDS: 24", Some((UrcKind::Cds, 1))),
            ("GAMMU +CDS no space", "+CDS:25", Some((UrcKind::Cds, 1))),
            (
                "text-mode +CDS is one line",
                "+CDS: 6,12,\"+4412\",145,\"x\",\"y\",0",
                Some((UrcKind::Cds, 0)),
            ),
            ("Telit +CDSI", "+CDSI: \"SR\",3", Some((UrcKind::Cdsi, 0))),
            ("GAMMU +CBM", "+CBM: 88", Some((UrcKind::Cbm, 1))),
            ("MM +CREG unsolicited", "+CREG: 3", Some((UrcKind::Creg, 0))),
            (
                "Iridium +CREG no space",
                "+CREG:002,001,\"18d8\",\"ffff\"",
                Some((UrcKind::Creg, 0)),
            ),
            ("Quectel EC25 RDY", "RDY", Some((UrcKind::Rdy, 0))),
            (
                "Quectel EC25 +QIND",
                "+QIND: SMS DONE",
                Some((UrcKind::Qind, 0)),
            ),
            (
                "SIMCom SIM800 Call Ready",
                "Call Ready",
                Some((UrcKind::CallReady, 0)),
            ),
            (
                "SIMCom SIM800 SMS Ready",
                "SMS Ready",
                Some((UrcKind::SmsReady, 0)),
            ),
            (
                "SIMCom SIM7600 SMS DONE",
                "SMS DONE",
                Some((UrcKind::SmsDone, 0)),
            ),
            (
                "SIMCom SIM7600 PB DONE",
                "PB DONE",
                Some((UrcKind::PbDone, 0)),
            ),
            (
                "SIMCom SIM800 power down",
                "NORMAL POWER DOWN",
                Some((UrcKind::PowerDown, 0)),
            ),
            (
                "SIMCom SIM800 misspelt warning",
                "UNDER-VOLTAGE WARNNING",
                Some((UrcKind::VoltageWarning, 0)),
            ),
            (
                "Huawei E3372 ^RSSI",
                "^RSSI:18",
                Some((UrcKind::HuaweiCaret, 0)),
            ),
            (
                "Huawei E173 ^BOOT",
                "^BOOT:27710117,0,0,0,75",
                Some((UrcKind::HuaweiCaret, 0)),
            ),
            ("ZTE +ZEND", "+ZEND", Some((UrcKind::Vendor, 0))),
            (
                "ZTE +ZPAS",
                "+ZPAS: \"LTE\",\"CS_PS\"",
                Some((UrcKind::Vendor, 0)),
            ),
            ("Telit #QSS", "#QSS: 1", Some((UrcKind::Vendor, 0))),
            (
                "u-blox +AT: READY",
                "+AT: READY",
                Some((UrcKind::ModuleReady, 0)),
            ),
            ("u-blox +PBREADY", "+PBREADY", Some((UrcKind::PbReady, 0))),
            (
                "SIMCom VOICE CALL",
                "VOICE CALL: BEGIN",
                Some((UrcKind::Vendor, 0)),
            ),
            ("not a URC: +CMGS reply", "+CMGS: 23", None),
            ("not a URC: +CMGL header", "+CMGL: 0,1,,147", None),
            ("not a URC: PDU", PDU, None),
            ("not a URC: echo", "AT+CMGS=23", None),
            ("not a URC: bare ^", "^: x", None),
            ("not a URC: manufacturer", "Quectel", None),
        ];
        for (name, line, want) in cases {
            let got = classify(line).map(|h| (h.kind, h.trailing_lines));
            assert_eq!(got, *want, "{name}");
        }
    }

    #[test]
    fn parse_urcs() {
        let none: &[&str] = &[];
        let cases: Vec<(&str, &str, &[&str], Urc)> = vec![
            (
                "GAMMU +CMTI SM",
                "+CMTI: \"SM\",1",
                none,
                Urc::Cmti {
                    mem: "SM".into(),
                    index: 1,
                },
            ),
            (
                "GAMMU +CMTI ME",
                "+CMTI: \"ME\",12",
                none,
                Urc::Cmti {
                    mem: "ME".into(),
                    index: 12,
                },
            ),
            (
                "GAMMU smsd-incoming-cmt",
                "+CMT: ,23",
                &[PDU],
                Urc::Cmt {
                    alpha: None,
                    length: 23,
                    pdu: PDU.into(),
                },
            ),
            (
                "+CMT with alpha",
                "+CMT: \"Alice\",23",
                &[PDU],
                Urc::Cmt {
                    alpha: Some("Alice".into()),
                    length: 23,
                    pdu: PDU.into(),
                },
            ),
            (
                "+CMT with empty quoted alpha",
                "+CMT: \"\",23",
                &[PDU],
                Urc::Cmt {
                    alpha: None,
                    length: 23,
                    pdu: PDU.into(),
                },
            ),
            (
                "MM +CDS",
                "+CDS: 24",
                &["07914356060013F1"],
                Urc::Cds {
                    length: 24,
                    pdu: "07914356060013F1".into(),
                },
            ),
            (
                "Telit +CDSI",
                "+CDSI: \"SR\",3",
                none,
                Urc::Cdsi {
                    mem: "SR".into(),
                    index: 3,
                },
            ),
            (
                "MM +CREG unsolicited",
                "+CREG: 3",
                none,
                Urc::Creg(reg(None, 3, None, None, None, None)),
            ),
            (
                "MM +CREG unsolicited with location",
                "+CREG: 1,84CD,00D30156",
                none,
                Urc::Creg(reg(None, 1, Some(0x84CD), Some(0x00D3_0156), None, None)),
            ),
            (
                "MM +CGREG with RAC",
                "+CGREG: 1,\"1422\",\"00000142\",3,\"00\"",
                none,
                Urc::Cgreg(reg(None, 1, Some(0x1422), Some(0x142), Some(3), Some(0))),
            ),
            (
                "MM +CGREG unsolicited",
                "+CGREG: 0",
                none,
                Urc::Cgreg(reg(None, 0, None, None, None, None)),
            ),
            ("RING", "RING", none, Urc::Ring),
            (
                "+CRING voice",
                "+CRING: VOICE",
                none,
                Urc::Cring("VOICE".into()),
            ),
            (
                "+CLIP",
                "+CLIP: \"+447911123456\",145,,,,0",
                none,
                Urc::Clip {
                    number: "+447911123456".into(),
                    toa: Some(145),
                    alpha: None,
                    validity: Some(0),
                },
            ),
            (
                "+CUSD with text",
                "+CUSD: 0,\"Balance: 5.00, thanks\",15",
                none,
                Urc::Cusd {
                    m: 0,
                    text: Some("Balance: 5.00, thanks".into()),
                    dcs: Some(15),
                },
            ),
            (
                "+CUSD terminated",
                "+CUSD: 2",
                none,
                Urc::Cusd {
                    m: 2,
                    text: None,
                    dcs: None,
                },
            ),
            (
                "SIMCom +CIEV",
                "+CIEV: \"MESSAGE\",1",
                none,
                Urc::Ciev {
                    indicator: "MESSAGE".into(),
                    value: "1".into(),
                },
            ),
            (
                "Quectel EC25 +CPIN READY",
                "+CPIN: READY",
                none,
                Urc::Cpin(PinState::Ready),
            ),
            (
                "SIMCom SIM7600 +CPIN not inserted",
                "+CPIN: NOT INSERTED",
                none,
                Urc::Cpin(PinState::Other("NOT INSERTED".into())),
            ),
            ("Quectel EC25 +CFUN", "+CFUN: 1", none, Urc::Cfun(1)),
            (
                "SIMCom SIM7600 AUTOCSQ",
                "+CSQ: 21,99",
                none,
                Urc::Csq(SignalQuality {
                    rssi: Some(21),
                    ber: None,
                }),
            ),
            ("Quectel EC25 RDY", "RDY", none, Urc::Rdy),
            (
                "Quectel EC25 +QIND SMS DONE",
                "+QIND: SMS DONE",
                none,
                Urc::Qind("SMS DONE".into()),
            ),
            (
                "Quectel +QIND quoted",
                "+QIND: \"PB DONE\"",
                none,
                Urc::Qind("PB DONE".into()),
            ),
            ("Quectel +QUSIM", "+QUSIM: 1", none, Urc::Qusim(1)),
            (
                "Quectel POWERED DOWN",
                "POWERED DOWN",
                none,
                Urc::PowerDown(PowerDown::Powered),
            ),
            (
                "SIMCom SIM800 NORMAL POWER DOWN",
                "NORMAL POWER DOWN",
                none,
                Urc::PowerDown(PowerDown::Normal),
            ),
            (
                "SIMCom SIM800 UNDER-VOLTAGE POWER DOWN",
                "UNDER-VOLTAGE POWER DOWN",
                none,
                Urc::PowerDown(PowerDown::UnderVoltage),
            ),
            (
                "SIMCom SIM800 OVER-VOLTAGE POWERDOWN",
                "OVER-VOLTAGE POWERDOWN",
                none,
                Urc::PowerDown(PowerDown::OverVoltage),
            ),
            (
                "SIMCom SIM800 OVER-VOLTAGE WARNNING",
                "OVER-VOLTAGE WARNNING",
                none,
                Urc::VoltageWarning(Voltage::Over),
            ),
            (
                "SIMCom SIM800 UNDER-VOLTAGE WARNNING",
                "UNDER-VOLTAGE WARNNING",
                none,
                Urc::VoltageWarning(Voltage::Under),
            ),
            (
                "SIMCom SIM800 Call Ready",
                "Call Ready",
                none,
                Urc::CallReady,
            ),
            ("SIMCom SIM800 SMS Ready", "SMS Ready", none, Urc::SmsReady),
            ("SIMCom SIM7600 SMS DONE", "SMS DONE", none, Urc::SmsDone),
            ("SIMCom SIM7600 PB DONE", "PB DONE", none, Urc::PbDone),
            (
                "u-blox TOBY-L4 +AT: READY",
                "+AT: READY",
                none,
                Urc::ModuleReady,
            ),
            ("u-blox +READY", "+READY", none, Urc::ModuleReady),
            ("u-blox +PBREADY", "+PBREADY", none, Urc::PbReady),
            (
                "Huawei E3372 ^RSSI",
                "^RSSI:18",
                none,
                Urc::HuaweiCaret {
                    name: "RSSI".into(),
                    args: "18".into(),
                },
            ),
            (
                "Huawei E3372 ^HCSQ",
                "^HCSQ:\"LTE\",59,50,161,24",
                none,
                Urc::HuaweiCaret {
                    name: "HCSQ".into(),
                    args: "\"LTE\",59,50,161,24".into(),
                },
            ),
            (
                "Huawei ^MODE with space",
                "^MODE: 2",
                none,
                Urc::HuaweiCaret {
                    name: "MODE".into(),
                    args: "2".into(),
                },
            ),
            (
                "Huawei ^CEND",
                "^CEND:1,5,29,16",
                none,
                Urc::HuaweiCaret {
                    name: "CEND".into(),
                    args: "1,5,29,16".into(),
                },
            ),
            (
                "ZTE +ZEND",
                "+ZEND",
                none,
                Urc::Vendor {
                    name: "+ZEND".into(),
                    args: String::new(),
                },
            ),
            (
                "ZTE +ZUSIMR",
                "+ZUSIMR:2",
                none,
                Urc::Vendor {
                    name: "+ZUSIMR".into(),
                    args: "2".into(),
                },
            ),
            (
                "Telit #QSS",
                "#QSS: 1",
                none,
                Urc::Vendor {
                    name: "#QSS".into(),
                    args: "1".into(),
                },
            ),
            (
                "SIMCom SIM7600 +CNSMOD",
                "+CNSMOD: 8",
                none,
                Urc::Vendor {
                    name: "+CNSMOD".into(),
                    args: "8".into(),
                },
            ),
            (
                "SIMCom MISSED_CALL",
                "MISSED_CALL: 10:15AM 07911123456",
                none,
                Urc::Vendor {
                    name: "MISSED_CALL".into(),
                    args: "10:15AM 07911123456".into(),
                },
            ),
            (
                "Wavecom +WIND",
                "+WIND: 4",
                none,
                Urc::Vendor {
                    name: "+WIND".into(),
                    args: "4".into(),
                },
            ),
            ("NO CARRIER as URC", "NO CARRIER", none, Urc::NoCarrier),
            ("+CTZV", "+CTZV: +04", none, Urc::Ctzv("+04".into())),
            (
                "+CGEV",
                "+CGEV: ME DETACH",
                none,
                Urc::Cgev("ME DETACH".into()),
            ),
            (
                "unknown line kept",
                "+FOO: 1",
                none,
                Urc::Other("+FOO: 1".into()),
            ),
        ];
        for (name, header, trailing, want) in cases {
            assert_eq!(parse(header, trailing), Ok(want), "{name}");
        }
    }

    #[test]
    fn parse_errors() {
        let none: &[&str] = &[];
        let cases: Vec<(&str, &str, &[&str])> = vec![
            ("+CMT without its PDU line", "+CMT: ,23", none),
            ("+CDS without its PDU line", "+CDS: 24", none),
            ("+CMT with a non-hex PDU", "+CMT: ,23", &["hello"]),
            ("+CMT with empty PDU line", "+CMT: ,23", &[""]),
            ("+CMTI without index", "+CMTI: \"SM\"", none),
            ("+CMTI with junk index", "+CMTI: \"SM\",x", none),
            ("+CSQ junk", "+CSQ: a,b", none),
            ("+CREG junk stat", "+CREG: x", none),
            ("+CFUN empty", "+CFUN:", none),
        ];
        for (name, header, trailing) in cases {
            assert!(parse(header, trailing).is_err(), "{name}");
        }
        assert_eq!(
            parse("+CMT: ,23", none),
            Err(ParseError::MissingTrailingLine {
                header: "+CMT",
                needed: 1,
                got: 0
            })
        );
    }

    #[test]
    fn registration_forms() {
        use RegKind::{Cereg, Cgreg, Creg};
        let cases: Vec<(&str, RegKind, &str, Registration)> = vec![
            (
                "MM solicited n,stat",
                Creg,
                "1,3",
                reg(Some(1), 3, None, None, None, None),
            ),
            (
                "MM unsolicited stat",
                Creg,
                "3",
                reg(None, 3, None, None, None, None),
            ),
            (
                "MM solicited unquoted LAC/CI",
                Creg,
                "1,1,84CD,00D30173",
                reg(Some(1), 1, Some(0x84CD), Some(0xD3_0173), None, None),
            ),
            (
                "MM unsolicited with location",
                Creg,
                "1,84CD,00D30156",
                reg(None, 1, Some(0x84CD), Some(0xD3_0156), None, None),
            ),
            (
                "Sony Ericsson K850i quoted",
                Creg,
                "2,1,\"CE00\",\"01CEAD8F\"",
                reg(Some(2), 1, Some(0xCE00), Some(0x01CE_AD8F), None, None),
            ),
            (
                "Huawei E160G unregistered",
                Creg,
                "2,0,00,0",
                reg(Some(2), 0, Some(0), Some(0), None, None),
            ),
            (
                "Novatel XU870 empty fields",
                Creg,
                "2,,",
                reg(Some(2), 4, None, None, None, None),
            ),
            (
                "Iridium leading zeros",
                Creg,
                "002,001,\"18d8\",\"ffff\"",
                reg(Some(2), 1, Some(0x18D8), Some(0xFFFF), None, None),
            ),
            (
                "u-blox stat 6 with AcT",
                Creg,
                "2,6,\"8B37\",\"0A265185\",7",
                reg(Some(2), 6, Some(0x8B37), Some(0x0A26_5185), Some(7), None),
            ),
            (
                "Samsung Wave extra junk fields",
                Creg,
                "2,1,000B,2816, B, C2816",
                reg(Some(2), 1, Some(0xB), Some(0x2816), None, None),
            ),
            (
                "Gobi spaces inside LAC",
                Creg,
                "2,1,  0 5, 2715",
                reg(Some(2), 1, Some(0x5), Some(0x2715), None, None),
            ),
            (
                "MM +CGREG unsolicited with RAC",
                Cgreg,
                "1,\"1422\",\"00000142\",3,\"00\"",
                reg(None, 1, Some(0x1422), Some(0x142), Some(3), Some(0)),
            ),
            (
                "MM +CEREG spaces",
                Cereg,
                "2,1, 1F00, 79D903 ,7",
                reg(Some(2), 1, Some(0x1F00), Some(0x79_D903), Some(7), None),
            ),
            (
                "MM +CEREG stat 10 with RAC field",
                Cereg,
                "2,10, 2CA8, 20 ,B5583D ,7",
                reg(
                    Some(2),
                    10,
                    Some(0x2CA8),
                    Some(0xB5_583D),
                    Some(7),
                    Some(0x20),
                ),
            ),
            (
                "Altair +CEREG",
                Cereg,
                "1, 2, 0001, 00000100, 7",
                reg(Some(1), 2, Some(1), Some(0x100), Some(7), None),
            ),
            (
                "Thuraya +CGREG",
                Cgreg,
                "2, 1, \"0426\", \"F00F\"",
                reg(Some(2), 1, Some(0x426), Some(0xF00F), None, None),
            ),
            (
                "GAMMU empty LAC",
                Creg,
                "2,1,\"\",\"605F\"",
                reg(Some(2), 1, None, Some(0x605F), None, None),
            ),
            (
                "GAMMU mismatched quotes",
                Creg,
                "2,1,\"0B,\"0100701\",7",
                reg(Some(2), 1, Some(0xB), Some(0x10_0701), Some(7), None),
            ),
            (
                "GAMMU unterminated quote",
                Creg,
                "2,1,\"5E25",
                reg(Some(2), 1, Some(0x5E25), None, None, None),
            ),
            (
                "GAMMU Huawei short LAC",
                Creg,
                "2,1,4CA,81DE445",
                reg(Some(2), 1, Some(0x4CA), Some(0x81D_E445), None, None),
            ),
            (
                "GAMMU Telit solicited with AcT",
                Creg,
                "0,1,\"5E25\",\"605F\",2",
                reg(Some(0), 1, Some(0x5E25), Some(0x605F), Some(2), None),
            ),
        ];
        for (name, kind, text, want) in cases {
            assert_eq!(Registration::parse(kind, text), Ok(want), "{name}");
        }
    }

    #[test]
    fn registered_means_sms_capable() {
        for (code, want) in [
            (0, false),
            (1, true),
            (2, false),
            (3, false),
            (5, true),
            (6, true),
            (7, true),
            (8, false),
            (10, false),
            (42, false),
        ] {
            assert_eq!(
                RegStatus::from_code(code).is_registered(),
                want,
                "stat {code}"
            );
        }
        let creg = reg(None, 0, None, None, None, None);
        let cereg = reg(None, 5, None, None, None, None);
        assert!(
            any_registered([&creg, &cereg]),
            "BG96: CREG unregistered, CEREG roaming"
        );
        assert!(!any_registered([&creg]));
    }

    #[test]
    fn pin_states() {
        let cases: Vec<(&str, &str, PinState)> = vec![
            ("Quectel EC25 ready", " READY", PinState::Ready),
            ("generic SIM PIN", "SIM PIN", PinState::SimPin),
            (
                "SIM PIN2 not confused with SIM PIN",
                "SIM PIN2",
                PinState::SimPin2,
            ),
            ("SIM PUK2", "SIM PUK2", PinState::SimPuk2),
            ("Motorola EZX quoted", "\"SIM PIN\"", PinState::SimPin),
            ("PH-NETSUB PUK", "PH-NETSUB PUK", PinState::PhNetSubPuk),
            ("PH-SIM PIN", "PH-SIM PIN", PinState::PhSimPin),
            (
                "unknown kept",
                "NOT READY",
                PinState::Other("NOT READY".into()),
            ),
        ];
        for (name, text, want) in cases {
            assert_eq!(PinState::parse(text), want, "{name}");
        }
    }

    #[test]
    fn signal_quality() {
        let q = SignalQuality::parse("31,99").ok();
        assert_eq!(
            q,
            Some(SignalQuality {
                rssi: Some(31),
                ber: None
            })
        );
        assert_eq!(q.and_then(|q| q.rssi_dbm()), Some(-51));
        let unknown = SignalQuality::parse("99,99").ok();
        assert_eq!(unknown.and_then(|q| q.rssi_dbm()), None);
        assert!(SignalQuality::parse("").is_err());
    }

    #[test]
    fn semantic_hints() {
        assert!(Urc::SmsReady.signals_sms_ready());
        assert!(Urc::Qind("SMS DONE".into()).signals_sms_ready());
        assert!(!Urc::Qind("PB DONE".into()).signals_sms_ready());
        assert!(Urc::Rdy.signals_reset());
        assert!(Urc::PowerDown(PowerDown::UnderVoltage).signals_reset());
        assert!(!Urc::Ring.signals_reset());
    }
}
