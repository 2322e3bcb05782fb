//! Values that commands and URCs share: network registration (`+CREG`, `+CGREG`, `+CEREG`:
//! answers to `AT+CREG?` and URCs alike), the SIM's PIN state (`AT+CPIN?`, `+CPIN:` URC) and
//! signal quality (`AT+CSQ`). Parsed from their argument lists; pure.

use crate::at::parse::{Arg, ParseError, args, number, opt_number};

/// Which registration command a [`Registration`] came from; the field layouts differ slightly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegKind {
    /// `+CREG` (27.007 §7.2): `[<n>,]<stat>[,<lac>,<ci>[,<AcT>]]`.
    Creg,
    /// `+CGREG` (27.007 §10.1): `[<n>,]<stat>[,<lac>,<ci>[,<AcT>,<rac>]]`.
    Cgreg,
    /// `+CEREG` (27.007 §10.1): `[<n>,]<stat>[,<tac>,<ci>[,<AcT>]]`.
    Cereg,
}

/// `<stat>` of `+CREG`/`+CGREG`/`+CEREG` (27.007 §7.2; names as MM
/// `include/ModemManager-enums.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegStatus {
    /// 0: not registered, not searching.
    NotRegistered,
    /// 1: registered, home network.
    Home,
    /// 2: not registered, searching.
    Searching,
    /// 3: registration denied.
    Denied,
    /// 4: unknown (also used here when `<stat>` is empty, Novatel XU870 `+CREG: 2,,`).
    Unknown,
    /// 5: registered, roaming.
    Roaming,
    /// 6: registered for "SMS only", home network.
    HomeSmsOnly,
    /// 7: registered for "SMS only", roaming.
    RoamingSmsOnly,
    /// 8: attached for emergency bearer services only.
    EmergencyOnly,
    /// 9: registered for "CSFB not preferred", home network.
    HomeCsfbNotPreferred,
    /// 10: registered for "CSFB not preferred", roaming.
    RoamingCsfbNotPreferred,
    /// 11: attached for access to RLOS.
    AttachedRlos,
    /// Any other value, kept.
    Other(u8),
}

impl RegStatus {
    /// From the numeric `<stat>`.
    pub fn from_code(code: u8) -> RegStatus {
        match code {
            0 => RegStatus::NotRegistered,
            1 => RegStatus::Home,
            2 => RegStatus::Searching,
            3 => RegStatus::Denied,
            4 => RegStatus::Unknown,
            5 => RegStatus::Roaming,
            6 => RegStatus::HomeSmsOnly,
            7 => RegStatus::RoamingSmsOnly,
            8 => RegStatus::EmergencyOnly,
            9 => RegStatus::HomeCsfbNotPreferred,
            10 => RegStatus::RoamingCsfbNotPreferred,
            11 => RegStatus::AttachedRlos,
            other => RegStatus::Other(other),
        }
    }

    /// Registered in a way that carries SMS: home or roaming, including "SMS only" (1, 5, 6, 7;
    /// `docs/hardware/at-commands.md#registration-and-signal`).
    pub fn is_registered(self) -> bool {
        matches!(
            self,
            RegStatus::Home
                | RegStatus::Roaming
                | RegStatus::HomeSmsOnly
                | RegStatus::RoamingSmsOnly
        )
    }
}

/// A registration report, solicited (`AT+CREG?`, with `<n>`) or unsolicited (without).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Registration {
    /// `<n>`: the URC mode, present only in solicited replies.
    pub n: Option<u8>,
    /// `<stat>`.
    pub stat: RegStatus,
    /// `<lac>` (CREG/CGREG) or `<tac>` (CEREG), hex; `None` if absent or unreadable.
    pub lac: Option<u32>,
    /// `<ci>`: cell identity, hex; `None` if absent or unreadable.
    pub ci: Option<u64>,
    /// `<AcT>`: access technology (0 GSM, 2 UTRAN, 7 E-UTRAN, ...).
    pub act: Option<u8>,
    /// `<rac>`: routing area code (CGREG; some CEREG replies too).
    pub rac: Option<u8>,
}

/// A location field: hex with any spaces removed (Gobi `  0 5`); `None` if empty or not hex
/// (Samsung Wave junk).
fn hex_field<T: TryFrom<u64>>(text: Option<&str>) -> Option<T> {
    let compact: String = text?.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() || compact.len() > 16 {
        return None;
    }
    u64::from_str_radix(&compact, 16)
        .ok()
        .and_then(|v| T::try_from(v).ok())
}

/// An `<AcT>` field: decimal 0–15 (27.007 §7.3); anything else is junk.
fn act_field(text: Option<&str>) -> Option<u8> {
    let t = text?.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok().filter(|v| *v <= 15)
}

impl Registration {
    /// Parse the arguments of `+CREG:`/`+CGREG:`/`+CEREG:` (after the colon), solicited or not.
    ///
    /// The forms overlap (`docs/hardware/wire-format.md#urc-formats`): `1,3` is `<n>,<stat>`;
    /// `1,84CD,00D30156` is `<stat>,<lac>,<ci>`. As MM's `item_is_lac_not_stat` does, the second
    /// item decides: an unquoted decimal of at most three digits and at most 11 (or nothing) is a
    /// `<stat>`, so the first item was `<n>`; anything else (quoted, hex, long) is a LAC.
    pub fn parse(kind: RegKind, args_text: &str) -> Result<Registration, ParseError> {
        // No field of these replies can contain a comma, so split at every comma and drop the
        // quotes: that reads mismatched and unterminated quotes (GAMMU `2,1,"0B,"0100701",7`,
        // `2,1,"5E25`) the way the modem meant them.
        let list: Vec<Arg<'_>> = args_text
            .split(',')
            .map(|item| Arg {
                text: item.trim().trim_matches('"').trim(),
                quoted: item.contains('"'),
            })
            .collect();
        let stat_like = |i: usize| {
            list.get(i).is_some_and(|a| {
                let t = a.text.trim();
                !a.quoted
                    && (t.is_empty()
                        || (t.len() <= 3
                            && t.bytes().all(|b| b.is_ascii_digit())
                            && t.parse::<u8>().is_ok_and(|v| v <= 11)))
            })
        };
        let solicited = match list.len() {
            0 | 1 => false,
            2 => true,
            _ => stat_like(1),
        };
        let (n, stat_at) = if solicited {
            (
                Some(number::<u8>("<n>", list.first().map_or("", |a| a.text))?),
                1,
            )
        } else {
            (None, 0)
        };
        let stat_text = list.get(stat_at).map_or("", |a| a.text);
        let stat = match opt_number::<u8>("<stat>", stat_text)? {
            Some(code) => RegStatus::from_code(code),
            None => RegStatus::Unknown,
        };
        let loc: Vec<&str> = list.iter().skip(stat_at + 1).map(|a| a.text).collect();
        let at = |i: usize| loc.get(i).copied();
        let mut reg = Registration {
            n,
            stat,
            lac: hex_field(at(0)),
            ci: hex_field(at(1)),
            act: act_field(at(2)),
            rac: None,
        };
        match kind {
            RegKind::Cgreg => reg.rac = hex_field(at(3)),
            // Some modems put a RAC between TAC and CI in +CEREG (MM test vector
            // `+CEREG: 2,10, 2CA8, 20 ,B5583D ,7`): recognised when the third field is not an
            // AcT but the fourth is.
            RegKind::Cereg
                if loc.len() >= 4 && act_field(at(2)).is_none() && act_field(at(3)).is_some() =>
            {
                reg.rac = hex_field(at(1));
                reg.ci = hex_field(at(2));
                reg.act = act_field(at(3));
            }
            _ => {}
        }
        Ok(reg)
    }
}

/// True if any of the reports says registered: LTE-only and Cat-M modules may show `+CREG`
/// unregistered while `+CEREG` is registered (ZEPHYR `modem_cellular_is_registered`).
pub fn any_registered<'a>(reports: impl IntoIterator<Item = &'a Registration>) -> bool {
    reports.into_iter().any(|r| r.stat.is_registered())
}

/// `<code>` of `+CPIN` (27.007 §8.3), with the values MM's `unlock_results[]` recognises.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PinState {
    /// `READY`: no PIN needed.
    Ready,
    /// `SIM PIN`.
    SimPin,
    /// `SIM PUK`.
    SimPuk,
    /// `SIM PIN2` (some phones report it when no PIN is needed; SMST `pin = ignore`).
    SimPin2,
    /// `SIM PUK2`.
    SimPuk2,
    /// `PH-SIM PIN`.
    PhSimPin,
    /// `PH-FSIM PIN`.
    PhFsimPin,
    /// `PH-FSIM PUK`.
    PhFsimPuk,
    /// `PH-NET PIN`.
    PhNetPin,
    /// `PH-NET PUK`.
    PhNetPuk,
    /// `PH-NETSUB PIN`.
    PhNetSubPin,
    /// `PH-NETSUB PUK`.
    PhNetSubPuk,
    /// `PH-SP PIN`.
    PhSpPin,
    /// `PH-SP PUK`.
    PhSpPuk,
    /// `PH-CORP PIN`.
    PhCorpPin,
    /// `PH-CORP PUK`.
    PhCorpPuk,
    /// Anything else, kept as text (e.g. SIMCom `+CPIN: NOT INSERTED`).
    Other(String),
}

const PIN_STATES: &[(&str, PinState)] = &[
    ("READY", PinState::Ready),
    ("SIM PIN", PinState::SimPin),
    ("SIM PUK", PinState::SimPuk),
    ("SIM PIN2", PinState::SimPin2),
    ("SIM PUK2", PinState::SimPuk2),
    ("PH-SIM PIN", PinState::PhSimPin),
    ("PH-FSIM PIN", PinState::PhFsimPin),
    ("PH-FSIM PUK", PinState::PhFsimPuk),
    ("PH-NET PIN", PinState::PhNetPin),
    ("PH-NET PUK", PinState::PhNetPuk),
    ("PH-NETSUB PIN", PinState::PhNetSubPin),
    ("PH-NETSUB PUK", PinState::PhNetSubPuk),
    ("PH-SP PIN", PinState::PhSpPin),
    ("PH-SP PUK", PinState::PhSpPuk),
    ("PH-CORP PIN", PinState::PhCorpPin),
    ("PH-CORP PUK", PinState::PhCorpPuk),
];

impl PinState {
    /// Parse the text after `+CPIN:`. Quotes are dropped (Motorola EZX quotes the value, MM).
    /// Whole-value comparison, so `SIM PIN` never matches a `SIM PIN2` prefix.
    pub fn parse(text: &str) -> PinState {
        let value = text.trim().trim_matches('"').trim();
        PIN_STATES
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(value))
            .map_or_else(|| PinState::Other(value.to_owned()), |(_, s)| s.clone())
    }
}

/// `+CSQ: <rssi>,<ber>` (27.007 §8.5). 99 ("not known or not detectable") becomes `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalQuality {
    /// `<rssi>`: 0–31 (see [`SignalQuality::rssi_dbm`]); other vendor values are kept.
    pub rssi: Option<u8>,
    /// `<ber>`: 0–7 (RXQUAL).
    pub ber: Option<u8>,
}

impl SignalQuality {
    /// Parse the arguments of `+CSQ:`.
    pub fn parse(args_text: &str) -> Result<SignalQuality, ParseError> {
        let list = args(args_text);
        let field = |i: usize, name: &'static str| -> Result<Option<u8>, ParseError> {
            let v: u8 = number(name, list.get(i).map_or("", |a| a.text))?;
            Ok((v != 99).then_some(v))
        };
        Ok(SignalQuality {
            rssi: field(0, "<rssi>")?,
            ber: field(1, "<ber>")?,
        })
    }

    /// `<rssi>` in dBm: −113 + 2·rssi for 0–31 (ZEPHYR `CSQ_RSSI_TO_DB`).
    pub fn rssi_dbm(&self) -> Option<i16> {
        self.rssi
            .filter(|r| *r <= 31)
            .map(|r| -113 + 2 * i16::from(r))
    }
}
