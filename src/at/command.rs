//! Typed AT commands: each knows its wire form, the prefix of its
//! information responses, its timeout, whether it uses the SMS prompt, and how to parse the
//! lines of its response. Parsers are pure functions over the collected lines, tested on
//! captured replies.
//!
//! Naming follows the specs: the type is the command's mnemonic, with `Read`/`Set`/`Test` where
//! one command has several forms (MM `mm-modem-helpers.h`: Exec `AT+X`, Read `AT+X?`, Write
//! `AT+X=...`, Test `AT+X=?`). Doc comments quote the section of ITU-T V.250, 3GPP TS 27.007 or
//! TS 27.005 that defines the command.
//!
//! The lines given to [`AtCommand::parse`] are the information lines the client collected for the
//! command: URCs removed, final result code removed. An echo of the command may still be among
//! them (the framer does not strip it); parsers skip lines they do not recognise.

use std::time::Duration;

use crate::at::parse::{
    Arg, ParseError, args, info_args, invalid, is_hex, number, opt_number, snippet,
};
use crate::at::values::{PinState, RegKind, Registration, SignalQuality};

/// Ctrl-Z (SUB): ends the PDU after the prompt and sends it (27.005 §3.5.1).
pub const CTRL_Z: u8 = 0x1A;
/// ESC: abandons the PDU after the prompt without sending (27.005 §3.5.1); also the first byte
/// of the resync at open (`docs/hardware/at-commands.md#init-sequence`).
pub const ESC: u8 = 0x1B;

/// The timeout of commands that only touch the module.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The `AT` probe: short, because it is repeated until the module answers (PGM polls every
/// 0.5 s, `docs/hardware/at-commands.md#init-sequence`).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// Commands that read or write the SIM, which can be slow while it initialises.
pub const SIM_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for the `> ` prompt after `AT+CMGS=<n>` (PGM: 5 s;
/// `docs/hardware/at-commands.md#sending`).
pub const PROMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// `+CMGS` after the PDU: the network round trip. PGM uses 35 s and KANNEL 20 s
/// (`docs/hardware/at-commands.md#sending`);
/// a timeout turns a sent SM into `unknown`, never into a blind resend, so err on the long side.
pub const CMGS_TIMEOUT: Duration = Duration::from_secs(60);
/// `+CMGL` can list a full storage; SMST allows 12× its base read timeout
/// (`docs/hardware/at-commands.md#reading-and-deleting`).
pub const CMGL_TIMEOUT: Duration = Duration::from_secs(30);
/// `+CFUN` switches the radio, which takes seconds.
pub const CFUN_TIMEOUT: Duration = Duration::from_secs(15);

/// A typed AT command.
pub trait AtCommand {
    /// What a successful response parses to.
    type Response;

    /// Append the command line, ending with `\r` (V.250 §5.2.1: S3), to `out`.
    fn write(&self, out: &mut Vec<u8>);

    /// The prefix of the command's information responses, e.g. `+CMGS`, or `None` if it has none
    /// or answers with bare text (`+CGMI` on most modems). A line with this prefix belongs to the
    /// command even when [`crate::at::urc::classify`] also knows it (`+CREG:`, `+CPIN:`).
    fn prefix(&self) -> Option<&'static str> {
        None
    }

    /// How many lines after `line` also belong to the response: the PDU after each `+CMGL:` and
    /// `+CMGR:` header (27.005 §4.1, §4.2). Those PDU lines carry no prefix.
    fn trailing_lines(&self, _line: &str) -> usize {
        0
    }

    /// How long to wait for the final result code.
    fn timeout(&self) -> Duration {
        DEFAULT_TIMEOUT
    }

    /// Whether the command waits for the `> ` prompt and then takes [`AtCommand::write_payload`].
    fn uses_prompt(&self) -> bool {
        false
    }

    /// The bytes to send after the prompt, ending with [`CTRL_Z`]. To abandon, send [`ESC`]
    /// instead.
    fn write_payload(&self, _out: &mut Vec<u8>) {}

    /// Parse the collected information lines of a successful response.
    fn parse(&self, lines: &[String]) -> Result<Self::Response, ParseError>;

    /// The command line as bytes (convenience over [`AtCommand::write`]).
    fn wire(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }
}

/// The arguments of the first line with `prefix`, or [`ParseError::MissingLine`].
fn first_with<'a>(lines: &'a [String], prefix: &'static str) -> Result<&'a str, ParseError> {
    lines
        .iter()
        .find_map(|l| info_args(l, prefix))
        .ok_or(ParseError::MissingLine { expected: prefix })
}

/// `text` as a quoted string parameter (27.007 §4.1), refusing characters that would end the
/// string or the command line early.
fn push_quoted(out: &mut Vec<u8>, field: &'static str, text: &str) -> Result<(), ParseError> {
    if text.bytes().any(|b| b == b'"' || b < 0x20 || b == 0x7f) {
        return Err(ParseError::InvalidArgument {
            field,
            value: snippet(text),
            reason: "quotes and control characters cannot be sent in a string parameter",
        });
    }
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
    Ok(())
}

fn arg_refused(field: &'static str, value: &str, reason: &'static str) -> ParseError {
    ParseError::InvalidArgument {
        field,
        value: snippet(value),
        reason,
    }
}

// ---------------------------------------------------------------------------------------------
// V.250 basics
// ---------------------------------------------------------------------------------------------

/// `AT`: the probe (V.250 §5.2.1). Repeated until `OK` at open
/// (`docs/hardware/at-commands.md#init-sequence`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct At;

impl AtCommand for At {
    type Response = ();
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT\r");
    }
    fn timeout(&self) -> Duration {
        PROBE_TIMEOUT
    }
    fn parse(&self, _lines: &[String]) -> Result<(), ParseError> {
        Ok(())
    }
}

/// `ATZ`: reset to the stored profile (V.250 §6.1.1). Send before `ATE0` and `AT+CMEE`, which it
/// may undo (`docs/hardware/at-commands.md#init-sequence`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Atz;

impl AtCommand for Atz {
    type Response = ();
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"ATZ\r");
    }
    fn parse(&self, _lines: &[String]) -> Result<(), ParseError> {
        Ok(())
    }
}

/// `ATE0`: command echo off (V.250 §6.2.4). Sent on its own, never concatenated with extended
/// commands (SMST `modeminit.c` l.1778). Its own reply may still carry the echo `ATE0`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ate0;

impl AtCommand for Ate0 {
    type Response = ();
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"ATE0\r");
    }
    fn parse(&self, _lines: &[String]) -> Result<(), ParseError> {
        Ok(())
    }
}

/// `AT+CMEE=<n>`: report mobile termination error (27.007 §9.1). 1 = numeric `+CME ERROR: <n>`,
/// 2 = verbose; the result parser accepts both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cmee(pub u8);

impl AtCommand for Cmee {
    type Response = ();
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT+CMEE={}\r", self.0).as_bytes());
    }
    fn parse(&self, _lines: &[String]) -> Result<(), ParseError> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Identification (27.007 §5)
// ---------------------------------------------------------------------------------------------

/// The value of an identification reply: the first line that is not the echo, without an
/// optional `<prefix>:`, quotes or surrounding spaces (Wavecom ` MULTIBAND  900E  1800 `).
fn identity(lines: &[String], echo: &str, prefixes: &[&str]) -> Result<String, ParseError> {
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.eq_ignore_ascii_case(echo))
        .map(|l| {
            prefixes
                .iter()
                .find_map(|p| info_args(l, p))
                .unwrap_or(l)
                .trim()
                .trim_matches('"')
                .trim()
                .to_owned()
        })
        .find(|v| !v.is_empty())
        .ok_or(ParseError::MissingLine {
            expected: "identification",
        })
}

macro_rules! identification {
    ($(#[$doc:meta])* $name:ident, $wire:literal, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name;

        impl AtCommand for $name {
            type Response = String;
            fn write(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(concat!($wire, "\r").as_bytes());
            }
            fn parse(&self, lines: &[String]) -> Result<String, ParseError> {
                identity(lines, $wire, &[$prefix])
            }
        }
    };
}

identification!(
    /// `AT+CGMI`: request manufacturer identification (27.007 §5.1). Usually a bare line
    /// (`Quectel`), sometimes `+CGMI: ...`.
    Cgmi, "AT+CGMI", "+CGMI"
);
identification!(
    /// `AT+CGMM`: request model identification (27.007 §5.2), e.g. `EC25`, `SIMCOM_SIM7600E-H`.
    Cgmm, "AT+CGMM", "+CGMM"
);
identification!(
    /// `AT+CGMR`: request revision identification (27.007 §5.3), e.g. `Revision: EC25EFAR06A03M4G`
    /// on Quectel (kept whole).
    Cgmr, "AT+CGMR", "+CGMR"
);
identification!(
    /// `AT+CGSN`: request product serial number, the IMEI (27.007 §5.4).
    Cgsn, "AT+CGSN", "+CGSN"
);
identification!(
    /// `AT+CIMI`: request international mobile subscriber identity (27.007 §5.6).
    Cimi, "AT+CIMI", "+CIMI"
);

/// The vendor command that reads the SIM's ICCID; 27.007 has none, so each family has its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CcidForm {
    /// `AT+CCID` → `+CCID: <iccid>` (SIMCom SIM800, u-blox; some answer a bare line).
    Ccid,
    /// `AT+QCCID` → `+QCCID: <iccid>` (Quectel).
    Qccid,
    /// `AT+CICCID` → `+ICCID: <iccid>` (SIMCom SIM7x00).
    Ciccid,
    /// `AT^ICCID?` → `^ICCID: <iccid>` (Huawei).
    HuaweiIccid,
    /// `AT#CCID` → `#CCID: <iccid>` (Telit).
    TelitCcid,
}

/// Read the ICCID with the model's command (see [`CcidForm`]). The response is the digits with
/// any trailing `F` filler removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ccid(pub CcidForm);

impl Ccid {
    fn wire_text(&self) -> &'static str {
        match self.0 {
            CcidForm::Ccid => "AT+CCID",
            CcidForm::Qccid => "AT+QCCID",
            CcidForm::Ciccid => "AT+CICCID",
            CcidForm::HuaweiIccid => "AT^ICCID?",
            CcidForm::TelitCcid => "AT#CCID",
        }
    }
}

impl AtCommand for Ccid {
    type Response = String;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.wire_text().as_bytes());
        out.push(b'\r');
    }
    fn timeout(&self) -> Duration {
        SIM_TIMEOUT
    }
    fn parse(&self, lines: &[String]) -> Result<String, ParseError> {
        let raw = identity(
            lines,
            self.wire_text(),
            &["+CCID", "+QCCID", "+ICCID", "^ICCID", "#CCID"],
        )?;
        let iccid = raw.trim_end_matches(['F', 'f']);
        if iccid.is_empty() || !iccid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("<iccid>", &raw));
        }
        Ok(iccid.to_owned())
    }
}

// ---------------------------------------------------------------------------------------------
// SIM, radio, network (27.007 §7, §8)
// ---------------------------------------------------------------------------------------------

/// `AT+CPIN?`: read the PIN state (27.007 §8.3). Wavecom answers `+CPIN: READY` without `OK`
/// (`docs/hardware/at-commands.md#sim-pin`); the client may accept the line followed by a timeout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpinRead;

impl AtCommand for CpinRead {
    type Response = PinState;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CPIN?\r");
    }
    fn prefix(&self) -> Option<&'static str> {
        Some("+CPIN")
    }
    fn timeout(&self) -> Duration {
        SIM_TIMEOUT
    }
    fn parse(&self, lines: &[String]) -> Result<PinState, ParseError> {
        first_with(lines, "+CPIN").map(PinState::parse)
    }
}

/// `AT+CPIN=<pin>[,<newpin>]`: enter the PIN, or the PUK and a new PIN (27.007 §8.3). Never
/// retried automatically after `+CME ERROR: 16` (`docs/hardware/at-commands.md#sim-pin`).
#[derive(Clone, PartialEq, Eq)]
pub struct CpinSet {
    pin: String,
    new_pin: Option<String>,
}

impl std::fmt::Debug for CpinSet {
    // A PIN must not end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpinSet")
            .field("pin", &"***")
            .field("new_pin", &self.new_pin.as_ref().map(|_| "***"))
            .finish()
    }
}

fn check_pin(field: &'static str, pin: &str) -> Result<(), ParseError> {
    // 3GPP TS 31.101/22.004: PIN 4–8 digits, PUK 8 digits.
    if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(arg_refused(field, "***", "a PIN or PUK is 4 to 8 digits"))
    }
}

impl CpinSet {
    /// Enter a PIN (4–8 digits).
    pub fn new(pin: &str) -> Result<CpinSet, ParseError> {
        check_pin("<pin>", pin)?;
        Ok(CpinSet {
            pin: pin.to_owned(),
            new_pin: None,
        })
    }

    /// Enter a PUK and a new PIN.
    pub fn with_puk(puk: &str, new_pin: &str) -> Result<CpinSet, ParseError> {
        check_pin("<pin>", puk)?;
        check_pin("<newpin>", new_pin)?;
        Ok(CpinSet {
            pin: puk.to_owned(),
            new_pin: Some(new_pin.to_owned()),
        })
    }
}

impl AtCommand for CpinSet {
    type Response = ();
    fn write(&self, out: &mut Vec<u8>) {
        // Digits only (checked in the constructor), so quoting cannot fail.
        out.extend_from_slice(format!("AT+CPIN=\"{}\"", self.pin).as_bytes());
        if let Some(new_pin) = &self.new_pin {
            out.extend_from_slice(format!(",\"{new_pin}\"").as_bytes());
        }
        out.push(b'\r');
    }
    fn timeout(&self) -> Duration {
        SIM_TIMEOUT
    }
    fn parse(&self, _lines: &[String]) -> Result<(), ParseError> {
        Ok(())
    }
}

macro_rules! registration_read {
    ($(#[$doc:meta])* $name:ident, $wire:literal, $prefix:literal, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name;

        impl AtCommand for $name {
            type Response = Registration;
            fn write(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(concat!($wire, "\r").as_bytes());
            }
            fn prefix(&self) -> Option<&'static str> {
                Some($prefix)
            }
            fn parse(&self, lines: &[String]) -> Result<Registration, ParseError> {
                Registration::parse($kind, first_with(lines, $prefix)?)
            }
        }
    };
}

registration_read!(
    /// `AT+CREG?`: circuit-switched network registration (27.007 §7.2).
    CregRead, "AT+CREG?", "+CREG", RegKind::Creg
);
registration_read!(
    /// `AT+CGREG?`: GPRS network registration status (27.007 §10.1).
    CgregRead, "AT+CGREG?", "+CGREG", RegKind::Cgreg
);
registration_read!(
    /// `AT+CEREG?`: EPS network registration status (27.007 §10.1). LTE-only and Cat-M modules
    /// may register here while `+CREG` says not registered
    /// (`docs/hardware/at-commands.md#registration-and-signal`).
    CeregRead, "AT+CEREG?", "+CEREG", RegKind::Cereg
);

/// `AT+CSQ`: signal quality (27.007 §8.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Csq;

impl AtCommand for Csq {
    type Response = SignalQuality;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CSQ\r");
    }
    fn prefix(&self) -> Option<&'static str> {
        Some("+CSQ")
    }
    fn parse(&self, lines: &[String]) -> Result<SignalQuality, ParseError> {
        SignalQuality::parse(first_with(lines, "+CSQ")?)
    }
}

/// The reply of `AT+COPS?`: `+COPS: <mode>[,<format>,<oper>[,<AcT>]]` (27.007 §7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// `<mode>`: 0 automatic, 1 manual, 2 deregistered, 3 format only, 4 manual/automatic.
    pub mode: u8,
    /// `<format>`: 0 long alphanumeric, 1 short alphanumeric, 2 numeric.
    pub format: Option<u8>,
    /// `<oper>` in that format; `None` when not registered.
    pub oper: Option<String>,
    /// `<AcT>`: access technology.
    pub act: Option<u8>,
}

/// `AT+COPS?`: the current operator (27.007 §7.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopsRead;

impl AtCommand for CopsRead {
    type Response = Operator;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+COPS?\r");
    }
    fn prefix(&self) -> Option<&'static str> {
        Some("+COPS")
    }
    fn parse(&self, lines: &[String]) -> Result<Operator, ParseError> {
        let list = args(first_with(lines, "+COPS")?);
        let field = |i: usize| list.get(i).map_or("", |a| a.text);
        Ok(Operator {
            mode: number("<mode>", field(0))?,
            format: opt_number("<format>", field(1))?,
            oper: list.get(2).and_then(|a| a.non_empty()).map(str::to_owned),
            act: opt_number("<AcT>", field(3))?,
        })
    }
}

/// `AT+CFUN=<fun>[,<rst>]`: set phone functionality (27.007 §8.2). `0`/`1` turn the radio off
/// and on; `1,1` resets the module (the recovery ladder, `docs/modem.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CfunSet {
    /// `<fun>`: 0 minimum, 1 full, 4 radio off.
    pub fun: u8,
    /// `<rst>`: 1 resets the module before setting `<fun>`.
    pub rst: Option<u8>,
}

impl AtCommand for CfunSet {
    type Response = ();
    fn write(&self, out: &mut Vec<u8>) {
        let text = match self.rst {
            Some(rst) => format!("AT+CFUN={},{rst}\r", self.fun),
            None => format!("AT+CFUN={}\r", self.fun),
        };
        out.extend_from_slice(text.as_bytes());
    }
    fn timeout(&self) -> Duration {
        CFUN_TIMEOUT
    }
    fn parse(&self, _lines: &[String]) -> Result<(), ParseError> {
        Ok(())
    }
}

/// `AT+CFUN?`: read phone functionality (27.007 §8.2); `AT+CFUN=1` follows if it is not 1
/// (PGM; `docs/hardware/at-commands.md#init-sequence`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CfunRead;

impl AtCommand for CfunRead {
    type Response = u8;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CFUN?\r");
    }
    fn prefix(&self) -> Option<&'static str> {
        Some("+CFUN")
    }
    fn parse(&self, lines: &[String]) -> Result<u8, ParseError> {
        let list = args(first_with(lines, "+CFUN")?);
        number("<fun>", list.first().map_or("", |a| a.text))
    }
}

// ---------------------------------------------------------------------------------------------
// SMS set-up (27.005 §3.2, §3.3, §3.4.1)
// ---------------------------------------------------------------------------------------------

/// `AT+CMGF=<mode>`: message format (27.005 §3.2.3). This gateway always uses 0 (PDU mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cmgf(pub u8);

impl Cmgf {
    /// PDU mode.
    pub const PDU: Cmgf = Cmgf(0);
}

impl AtCommand for Cmgf {
    type Response = ();
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT+CMGF={}\r", self.0).as_bytes());
    }
    fn parse(&self, _lines: &[String]) -> Result<(), ParseError> {
        Ok(())
    }
}

/// Used and total slots of one message storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryUsage {
    /// `<used>`.
    pub used: u32,
    /// `<total>`.
    pub total: u32,
}

/// One storage in the `AT+CPMS?` reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StorageStatus {
    /// The storage, e.g. `SM`.
    pub mem: String,
    /// Its usage.
    pub usage: MemoryUsage,
}

/// A storage name is a short token such as `SM`, `ME`, `MT`, `SR`, `SM_P`
/// (`docs/hardware/at-commands.md#storage`).
fn check_mem(field: &'static str, mem: &str) -> Result<(), ParseError> {
    if !mem.is_empty()
        && mem.len() <= 8
        && mem.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(())
    } else {
        Err(arg_refused(
            field,
            mem,
            "a storage name is 1 to 8 letters, digits or '_'",
        ))
    }
}

/// `AT+CPMS=<mem1>[,<mem2>[,<mem3>]]`: preferred message storage (27.005 §3.2.2). `mem1` is
/// read/list/delete, `mem2` write/send, `mem3` receive (MM `mm-broadband-modem.c` l.7141).
/// Reply: `+CPMS: <used1>,<total1>,<used2>,<total2>[,<used3>,<total3>]`, one pair per storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpmsSet {
    mems: Vec<String>,
}

impl CpmsSet {
    /// Select storages; `mem2` and `mem3` may be left to the modem.
    pub fn new(mem1: &str, mem2: Option<&str>, mem3: Option<&str>) -> Result<CpmsSet, ParseError> {
        check_mem("<mem1>", mem1)?;
        let mut mems = vec![mem1.to_owned()];
        if let Some(m2) = mem2 {
            check_mem("<mem2>", m2)?;
            mems.push(m2.to_owned());
            if let Some(m3) = mem3 {
                check_mem("<mem3>", m3)?;
                mems.push(m3.to_owned());
            }
        }
        Ok(CpmsSet { mems })
    }
}

impl AtCommand for CpmsSet {
    type Response = Vec<MemoryUsage>;
    fn write(&self, out: &mut Vec<u8>) {
        let list: Vec<String> = self.mems.iter().map(|m| format!("\"{m}\"")).collect();
        out.extend_from_slice(format!("AT+CPMS={}\r", list.join(",")).as_bytes());
    }
    fn prefix(&self) -> Option<&'static str> {
        Some("+CPMS")
    }
    fn timeout(&self) -> Duration {
        SIM_TIMEOUT
    }
    fn parse(&self, lines: &[String]) -> Result<Vec<MemoryUsage>, ParseError> {
        let list = args(first_with(lines, "+CPMS")?);
        list.chunks_exact(2)
            .map(|pair| match pair {
                [used, total] => Ok(MemoryUsage {
                    used: number("<used>", used.text)?,
                    total: number("<total>", total.text)?,
                }),
                _ => Err(ParseError::MissingField { field: "<total>" }),
            })
            .collect()
    }
}

/// `AT+CPMS?`: the selected storages and their usage (27.005 §3.2.2):
/// `+CPMS: "SM",0,25,"SM",0,25,"SM",0,25`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpmsRead;

impl AtCommand for CpmsRead {
    type Response = Vec<StorageStatus>;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CPMS?\r");
    }
    fn prefix(&self) -> Option<&'static str> {
        Some("+CPMS")
    }
    fn timeout(&self) -> Duration {
        SIM_TIMEOUT
    }
    fn parse(&self, lines: &[String]) -> Result<Vec<StorageStatus>, ParseError> {
        let list = args(first_with(lines, "+CPMS")?);
        list.chunks_exact(3)
            .map(|triple| match triple {
                [mem, used, total] => Ok(StorageStatus {
                    mem: mem.text.to_owned(),
                    usage: MemoryUsage {
                        used: number("<used>", used.text)?,
                        total: number("<total>", total.text)?,
                    },
                }),
                _ => Err(ParseError::MissingField { field: "<total>" }),
            })
            .collect()
    }
}

/// `AT+CPMS=?`: the storages each parameter supports (27.005 §3.2.2), one list per parameter.
///
/// The shapes vary a lot (`docs/hardware/at-commands.md#storage`; GAMMU `tests/at-cpms*`, PGM
/// fakemodems): `("SM","ME"),("SM","ME"),("SM","ME")`, Wavecom's nested
/// `(("SM","BM","SR"),("SM"))`, iWOW's `"SM","SM","SM"` without parentheses, Samsung J700's empty
/// reply and Nokia S60's `(),(),()`. Every innermost parenthesised group is a list; without
/// parentheses each string is a list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpmsTest;

/// Split the `+CPMS=?` reply into its innermost parenthesised lists of quoted names.
fn storage_lists(text: &str) -> Vec<Vec<String>> {
    let mut lists = Vec::new();
    // Stack of open groups: the names collected so far and whether a group nested inside it.
    let mut stack: Vec<(Vec<String>, bool)> = Vec::new();
    let mut loose = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                if let Some(top) = stack.last_mut() {
                    top.1 = true;
                }
                stack.push((Vec::new(), false));
            }
            ')' => {
                if let Some((names, had_child)) = stack.pop()
                    && !had_child
                {
                    lists.push(names);
                }
            }
            '"' => {
                let name: String = chars.by_ref().take_while(|&c| c != '"').collect();
                let name = name.trim().to_owned();
                match stack.last_mut() {
                    Some((names, _)) => names.push(name),
                    None => loose.push(vec![name]),
                }
            }
            _ => {}
        }
    }
    if lists.is_empty() { loose } else { lists }
}

impl AtCommand for CpmsTest {
    type Response = Vec<Vec<String>>;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CPMS=?\r");
    }
    fn prefix(&self) -> Option<&'static str> {
        Some("+CPMS")
    }
    fn parse(&self, lines: &[String]) -> Result<Vec<Vec<String>>, ParseError> {
        Ok(storage_lists(first_with(lines, "+CPMS")?))
    }
}

/// `AT+CNMI=<mode>,<mt>,<bm>,<ds>[,<bfr>]`: new message indications to TE (27.005 §3.4.1).
/// The recommended setting is `2,1,0,2,0` (store and `+CMTI`, status reports as `+CDSI`), with
/// fallbacks per model (`docs/hardware/at-commands.md#cnmi-and-status-reports`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cnmi {
    /// `<mode>`: 2 = buffer while the link is reserved, then flush.
    pub mode: u8,
    /// `<mt>`: 1 = store and send `+CMTI`; 2 = route as `+CMT`.
    pub mt: u8,
    /// `<bm>`: cell broadcast indications.
    pub bm: u8,
    /// `<ds>`: 1 = `+CDS`; 2 = store and send `+CDSI`.
    pub ds: u8,
    /// `<bfr>`: 0 = flush buffered URCs when entering `<mode>` 1–3. Some modems take only four
    /// parameters (PGM's default `2,1,0,2`).
    pub bfr: Option<u8>,
}

impl AtCommand for Cnmi {
    type Response = ();
    fn write(&self, out: &mut Vec<u8>) {
        let mut text = format!("AT+CNMI={},{},{},{}", self.mode, self.mt, self.bm, self.ds);
        if let Some(bfr) = self.bfr {
            text.push_str(&format!(",{bfr}"));
        }
        text.push('\r');
        out.extend_from_slice(text.as_bytes());
    }
    fn parse(&self, _lines: &[String]) -> Result<(), ParseError> {
        Ok(())
    }
}

/// The SMSC address as read from `AT+CSCA?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smsc {
    /// `<sca>`: the address, decoded from UCS2 hex if the modem used `+CSCS="UCS2"`.
    pub address: String,
    /// `<tosca>`: type of address (145 international, 129 unknown).
    pub toa: Option<u8>,
}

/// If `s` is UCS2 hex (`002B0033...`, GAMMU `tests/at-smsc/01.dump`) of a dialling string,
/// decode it.
fn ucs2_dial_string(s: &str) -> Option<String> {
    if s.is_empty() || !s.len().is_multiple_of(4) || !is_hex(s) {
        return None;
    }
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        let (unit, after) = rest.split_at_checked(4)?;
        let c = char::from_u32(u32::from_str_radix(unit, 16).ok()?)?;
        if !(c.is_ascii_digit() || matches!(c, '+' | '*' | '#')) {
            return None;
        }
        out.push(c);
        rest = after;
    }
    Some(out)
}

/// `AT+CSCA?`: read the service centre address (27.005 §3.3.1). `None` when none is set: some
/// modems answer an empty `OK`, some an empty address. (Others answer `+CMS ERROR: 330`, which
/// the client reports as an error.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CscaRead;

impl AtCommand for CscaRead {
    type Response = Option<Smsc>;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CSCA?\r");
    }
    fn prefix(&self) -> Option<&'static str> {
        Some("+CSCA")
    }
    fn timeout(&self) -> Duration {
        SIM_TIMEOUT
    }
    fn parse(&self, lines: &[String]) -> Result<Option<Smsc>, ParseError> {
        let Some(text) = lines.iter().find_map(|l| info_args(l, "+CSCA")) else {
            return Ok(None);
        };
        let list = args(text);
        let raw = list.first().map_or("", |a| a.text);
        if raw.is_empty() {
            return Ok(None);
        }
        Ok(Some(Smsc {
            address: ucs2_dial_string(raw).unwrap_or_else(|| raw.to_owned()),
            toa: opt_number("<tosca>", list.get(1).map_or("", |a| a.text))?,
        }))
    }
}

/// `AT+CSCA=<sca>[,<tosca>]`: set the service centre address (27.005 §3.3.1). Assumes
/// `+CSCS="GSM"` or `"IRA"`: the address is sent as plain digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CscaSet {
    address: String,
    toa: Option<u8>,
}

impl CscaSet {
    /// An address of digits with an optional leading `+`; `toa` e.g. 145 (international).
    pub fn new(address: &str, toa: Option<u8>) -> Result<CscaSet, ParseError> {
        let digits = address.strip_prefix('+').unwrap_or(address);
        if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(arg_refused(
                "<sca>",
                address,
                "an SMSC address is up to 20 digits with an optional leading '+'",
            ));
        }
        Ok(CscaSet {
            address: address.to_owned(),
            toa,
        })
    }
}

impl AtCommand for CscaSet {
    type Response = ();
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CSCA=");
        // Checked in the constructor: digits and '+', so quoting cannot fail.
        if push_quoted(out, "<sca>", &self.address).is_err() {
            out.extend_from_slice(b"\"\"");
        }
        if let Some(toa) = self.toa {
            out.extend_from_slice(format!(",{toa}").as_bytes());
        }
        out.push(b'\r');
    }
    fn timeout(&self) -> Duration {
        SIM_TIMEOUT
    }
    fn parse(&self, _lines: &[String]) -> Result<(), ParseError> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Sending, reading, deleting (27.005 §3.4, §3.5, §4)
// ---------------------------------------------------------------------------------------------

/// `AT+CMGS=<length>` + prompt + PDU + Ctrl-Z: send a message in PDU mode (27.005 §3.5.1,
/// §4.3). Reply `+CMGS: <mr>[,<ackpdu>]`.
///
/// `<length>` is the number of TPDU octets, **excluding** the SMSC part (MM `mm-sms-at.c` l.86;
/// EC25 manual): [`Cmgs::new`] checks it against the PDU, because getting it wrong is the
/// classic cause of `+CMS ERROR: 304`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmgs {
    tpdu_len: u16,
    pdu_hex: String,
}

/// The TP-Message-Reference of a submitted SM (`<mr>`, 23.040 §9.2.3.6), used to match status
/// reports.
pub type MessageReference = u8;

impl Cmgs {
    /// `pdu_hex` is the whole PDU as sent (SMSC part, `00` for the stored SMSC, then the TPDU);
    /// `tpdu_len` the TPDU octets. Refused unless `1 + <SMSC length octet> + tpdu_len` equals the
    /// PDU's octet count.
    pub fn new(tpdu_len: u16, pdu_hex: &str) -> Result<Cmgs, ParseError> {
        if !is_hex(pdu_hex) || !pdu_hex.len().is_multiple_of(2) {
            return Err(arg_refused(
                "<pdu>",
                pdu_hex,
                "the PDU must be an even number of hex digits",
            ));
        }
        let smsc_len = pdu_hex
            .get(..2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map_or(0, usize::from);
        let octets = pdu_hex.len() / 2;
        if tpdu_len == 0 || 1 + smsc_len + usize::from(tpdu_len) != octets {
            return Err(arg_refused(
                "<length>",
                &tpdu_len.to_string(),
                "must be the TPDU octets: the PDU's octets minus the SMSC part",
            ));
        }
        Ok(Cmgs {
            tpdu_len,
            pdu_hex: pdu_hex.to_ascii_uppercase(),
        })
    }

    /// `<length>`: TPDU octets.
    pub fn tpdu_len(&self) -> u16 {
        self.tpdu_len
    }

    /// The PDU in hex, as it will be sent.
    pub fn pdu_hex(&self) -> &str {
        &self.pdu_hex
    }
}

impl AtCommand for Cmgs {
    type Response = MessageReference;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT+CMGS={}\r", self.tpdu_len).as_bytes());
    }
    fn prefix(&self) -> Option<&'static str> {
        Some("+CMGS")
    }
    fn timeout(&self) -> Duration {
        CMGS_TIMEOUT
    }
    fn uses_prompt(&self) -> bool {
        true
    }
    fn write_payload(&self, out: &mut Vec<u8>) {
        // The PDU then Ctrl-Z, with no CR/LF (KANNEL `smsc_at.c` ~l.2277; MM sends it "raw").
        out.extend_from_slice(self.pdu_hex.as_bytes());
        out.push(CTRL_Z);
    }
    fn parse(&self, lines: &[String]) -> Result<MessageReference, ParseError> {
        // 27.005 allows `,<ackpdu>` after `<mr>`; only the first integer matters (MM
        // `sscanf("+CMGS: %d")`).
        let list = args(first_with(lines, "+CMGS")?);
        number("<mr>", list.first().map_or("", |a| a.text))
    }
}

/// `<stat>` in PDU mode (27.005 §3.1): 0 received unread, 1 received read, 2 stored unsent,
/// 3 stored sent, 4 all (for `+CMGL` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageStat {
    /// 0: received unread.
    ReceivedUnread,
    /// 1: received read.
    ReceivedRead,
    /// 2: stored unsent.
    StoredUnsent,
    /// 3: stored sent.
    StoredSent,
    /// 4: all messages (a `+CMGL` filter).
    All,
    /// Another value, kept.
    Other(u8),
}

impl MessageStat {
    /// From the numeric `<stat>`.
    pub fn from_code(code: u8) -> MessageStat {
        match code {
            0 => MessageStat::ReceivedUnread,
            1 => MessageStat::ReceivedRead,
            2 => MessageStat::StoredUnsent,
            3 => MessageStat::StoredSent,
            4 => MessageStat::All,
            other => MessageStat::Other(other),
        }
    }

    /// The numeric `<stat>`.
    pub fn code(self) -> u8 {
        match self {
            MessageStat::ReceivedUnread => 0,
            MessageStat::ReceivedRead => 1,
            MessageStat::StoredUnsent => 2,
            MessageStat::StoredSent => 3,
            MessageStat::All => 4,
            MessageStat::Other(code) => code,
        }
    }
}

fn opt_stat(text: &str) -> Result<Option<MessageStat>, ParseError> {
    Ok(opt_number::<u8>("<stat>", text)?.map(MessageStat::from_code))
}

fn pdu_line(line: Option<&String>) -> Result<String, ParseError> {
    let pdu = line
        .map(|l| l.trim())
        .ok_or(ParseError::MissingField { field: "<pdu>" })?;
    if is_hex(pdu) {
        Ok(pdu.to_owned())
    } else {
        Err(invalid("<pdu>", pdu))
    }
}

fn text_of<'a>(arg: Option<&Arg<'a>>) -> &'a str {
    arg.map_or("", |a| a.text)
}

fn alpha(arg: Option<&Arg<'_>>) -> Option<String> {
    arg.and_then(|a| a.non_empty()).map(str::to_owned)
}

/// One entry of `+CMGL` in PDU mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedMessage {
    /// `<index>` in the storage.
    pub index: u32,
    /// `<stat>`; `None` if the modem left it empty.
    pub stat: Option<MessageStat>,
    /// `<alpha>`; `None` if empty or left out.
    pub alpha: Option<String>,
    /// `<length>`: TPDU octets, a hint only, not always right
    /// (`docs/hardware/at-commands.md#reading-and-deleting`).
    pub length: Option<u32>,
    /// The PDU in hex (SMSC + TPDU; may carry SIM `FF` padding).
    pub pdu: String,
}

/// `AT+CMGL=<stat>`: list messages in PDU mode (27.005 §4.1). `Cmgl(MessageStat::All)` is the
/// start-up sweep (`docs/architecture.md`, "Receiving a message").
///
/// Each entry is `+CMGL: <index>,<stat>,[<alpha>],<length>` then the PDU line. Seen variants
/// (`docs/hardware/at-commands.md#reading-and-deleting`): `+CMGL: 0,1,,147` (MM generic),
/// `+CMGL: 17,3,35` (Pantech: no `<alpha>` field at all), `+CMGL: 1,0,"",23` (GAMMU).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cmgl(pub MessageStat);

impl AtCommand for Cmgl {
    type Response = Vec<ListedMessage>;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT+CMGL={}\r", self.0.code()).as_bytes());
    }
    fn prefix(&self) -> Option<&'static str> {
        Some("+CMGL")
    }
    fn trailing_lines(&self, line: &str) -> usize {
        usize::from(info_args(line, "+CMGL").is_some())
    }
    fn timeout(&self) -> Duration {
        CMGL_TIMEOUT
    }
    fn parse(&self, lines: &[String]) -> Result<Vec<ListedMessage>, ParseError> {
        let mut out = Vec::new();
        let mut iter = lines.iter();
        while let Some(line) = iter.next() {
            // Anything before a header (an echo) is not part of an entry.
            let Some(header) = info_args(line, "+CMGL") else {
                continue;
            };
            let list = args(header);
            let field = |i: usize| list.get(i).map_or("", |a| a.text);
            let (alpha_arg, length_text) = match list.len() {
                0..=2 => (None, ""),
                3 => (None, field(2)),
                _ => (list.get(2), field(3)),
            };
            out.push(ListedMessage {
                index: number("<index>", field(0))?,
                stat: opt_stat(field(1))?,
                alpha: alpha(alpha_arg),
                length: opt_number("<length>", length_text)?,
                pdu: pdu_line(iter.next())?,
            });
        }
        Ok(out)
    }
}

/// A message read with `+CMGR` in PDU mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// `<stat>`; `None` if left out (ZTE omits it; PGM then assumes "received unread").
    pub stat: Option<MessageStat>,
    /// `<alpha>`.
    pub alpha: Option<String>,
    /// `<length>`: TPDU octets, a hint only.
    pub length: Option<u32>,
    /// The PDU in hex.
    pub pdu: String,
}

/// `AT+CMGR=<index>`: read a message in PDU mode (27.005 §4.2). `None` when the slot is empty
/// and the modem answers a bare `OK`.
///
/// `+CMGR: <stat>,[<alpha>],<length>` then the PDU line. Variants (GAMMU `tests/at-sms`):
/// `1,,25`; `0,23` (no alpha); `24` (length only); `,,92` (empty stat); `4,1,,151` (extra
/// leading field); Telit HE910 `0,"",50` with an empty line before the PDU (MM
/// `test-modem-helpers.c:455`; the framer drops the empty line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cmgr(pub u32);

impl AtCommand for Cmgr {
    type Response = Option<StoredMessage>;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT+CMGR={}\r", self.0).as_bytes());
    }
    fn prefix(&self) -> Option<&'static str> {
        Some("+CMGR")
    }
    fn trailing_lines(&self, line: &str) -> usize {
        usize::from(info_args(line, "+CMGR").is_some())
    }
    fn parse(&self, lines: &[String]) -> Result<Option<StoredMessage>, ParseError> {
        let mut iter = lines.iter();
        let Some(header) = iter.by_ref().find_map(|l| info_args(l, "+CMGR")) else {
            return Ok(None);
        };
        let list = args(header);
        // The last three fields are <stat>,<alpha>,<length>, whatever precedes them.
        let n = list.len();
        let from_end = |k: usize| n.checked_sub(k).and_then(|i| list.get(i));
        let (stat, alpha_arg, length) = match n {
            0 | 1 => (None, None, from_end(1)),
            2 => (from_end(2), None, from_end(1)),
            _ => (from_end(3), from_end(2), from_end(1)),
        };
        Ok(Some(StoredMessage {
            stat: opt_stat(text_of(stat))?,
            alpha: alpha(alpha_arg),
            length: opt_number("<length>", text_of(length))?,
            pdu: pdu_line(iter.next())?,
        }))
    }
}

/// `AT+CMGD=<index>[,<delflag>]`: delete messages (27.005 §3.5.4). `<delflag>` 0 deletes that
/// index only, 1 all read, 2 read and sent, 3 read, sent and unsent, 4 all. Siemens MC35/TC35
/// take only `<index>` (PGM), so `delflag` may be left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cmgd {
    /// `<index>`.
    pub index: u32,
    /// `<delflag>`.
    pub delflag: Option<u8>,
}

impl AtCommand for Cmgd {
    type Response = ();
    fn write(&self, out: &mut Vec<u8>) {
        let text = match self.delflag {
            Some(flag) => format!("AT+CMGD={},{flag}\r", self.index),
            None => format!("AT+CMGD={}\r", self.index),
        };
        out.extend_from_slice(text.as_bytes());
    }
    fn timeout(&self) -> Duration {
        SIM_TIMEOUT
    }
    fn parse(&self, _lines: &[String]) -> Result<(), ParseError> {
        Ok(())
    }
}

/// `AT+CNMA`: new message acknowledgement to ME/TA (27.005 §3.4.4), owed for every `+CMT`/`+CDS`
/// when `+CSMS=1`. `+CMS ERROR: 340` means none was due and is harmless (EC25 manual).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cnma;

impl AtCommand for Cnma {
    type Response = ();
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CNMA\r");
    }
    fn parse(&self, _lines: &[String]) -> Result<(), ParseError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, command form, response lines, expected ICCID or an error).
    type IccidCase = (&'static str, CcidForm, Vec<String>, Result<String, ()>);
    use crate::at::values::RegStatus;

    fn lines(ls: &[&str]) -> Vec<String> {
        ls.iter().map(|s| (*s).to_owned()).collect()
    }

    fn wire<C: AtCommand>(cmd: &C) -> String {
        String::from_utf8_lossy(&cmd.wire()).into_owned()
    }

    const PDU: &str =
        "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07";

    #[test]
    fn wire_forms() {
        let cases: Vec<(&str, String, &str)> = vec![
            ("probe", wire(&At), "AT\r"),
            ("reset", wire(&Atz), "ATZ\r"),
            ("echo off", wire(&Ate0), "ATE0\r"),
            ("numeric errors", wire(&Cmee(1)), "AT+CMEE=1\r"),
            ("PIN state", wire(&CpinRead), "AT+CPIN?\r"),
            ("PDU mode", wire(&Cmgf::PDU), "AT+CMGF=0\r"),
            ("storage read", wire(&CpmsRead), "AT+CPMS?\r"),
            ("storage test", wire(&CpmsTest), "AT+CPMS=?\r"),
            (
                "indications (MM first try)",
                wire(&Cnmi {
                    mode: 2,
                    mt: 1,
                    bm: 2,
                    ds: 1,
                    bfr: Some(0),
                }),
                "AT+CNMI=2,1,2,1,0\r",
            ),
            (
                "indications, four parameters (PGM)",
                wire(&Cnmi {
                    mode: 2,
                    mt: 1,
                    bm: 0,
                    ds: 2,
                    bfr: None,
                }),
                "AT+CNMI=2,1,0,2\r",
            ),
            ("SMSC read", wire(&CscaRead), "AT+CSCA?\r"),
            ("manufacturer", wire(&Cgmi), "AT+CGMI\r"),
            ("model", wire(&Cgmm), "AT+CGMM\r"),
            ("revision", wire(&Cgmr), "AT+CGMR\r"),
            ("IMEI", wire(&Cgsn), "AT+CGSN\r"),
            ("IMSI", wire(&Cimi), "AT+CIMI\r"),
            (
                "ICCID SIMCom SIM800",
                wire(&Ccid(CcidForm::Ccid)),
                "AT+CCID\r",
            ),
            (
                "ICCID Quectel EC25",
                wire(&Ccid(CcidForm::Qccid)),
                "AT+QCCID\r",
            ),
            (
                "ICCID SIMCom SIM7600",
                wire(&Ccid(CcidForm::Ciccid)),
                "AT+CICCID\r",
            ),
            (
                "ICCID Huawei E3372",
                wire(&Ccid(CcidForm::HuaweiIccid)),
                "AT^ICCID?\r",
            ),
            (
                "ICCID Telit LE910",
                wire(&Ccid(CcidForm::TelitCcid)),
                "AT#CCID\r",
            ),
            ("CREG read", wire(&CregRead), "AT+CREG?\r"),
            ("CGREG read", wire(&CgregRead), "AT+CGREG?\r"),
            ("CEREG read", wire(&CeregRead), "AT+CEREG?\r"),
            ("signal", wire(&Csq), "AT+CSQ\r"),
            ("operator", wire(&CopsRead), "AT+COPS?\r"),
            (
                "radio off",
                wire(&CfunSet { fun: 0, rst: None }),
                "AT+CFUN=0\r",
            ),
            (
                "module reset",
                wire(&CfunSet {
                    fun: 1,
                    rst: Some(1),
                }),
                "AT+CFUN=1,1\r",
            ),
            ("CFUN read", wire(&CfunRead), "AT+CFUN?\r"),
            ("list all", wire(&Cmgl(MessageStat::All)), "AT+CMGL=4\r"),
            ("read", wire(&Cmgr(3)), "AT+CMGR=3\r"),
            (
                "delete one",
                wire(&Cmgd {
                    index: 3,
                    delflag: Some(0),
                }),
                "AT+CMGD=3,0\r",
            ),
            (
                "delete Siemens MC35 form",
                wire(&Cmgd {
                    index: 3,
                    delflag: None,
                }),
                "AT+CMGD=3\r",
            ),
            (
                "Quectel EC25 clear storage",
                wire(&Cmgd {
                    index: 0,
                    delflag: Some(4),
                }),
                "AT+CMGD=0,4\r",
            ),
            ("acknowledge", wire(&Cnma), "AT+CNMA\r"),
        ];
        for (name, got, want) in cases {
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn checked_wire_forms() -> Result<(), ParseError> {
        assert_eq!(wire(&CpinSet::new("1234")?), "AT+CPIN=\"1234\"\r");
        assert_eq!(
            wire(&CpinSet::with_puk("12345678", "0000")?),
            "AT+CPIN=\"12345678\",\"0000\"\r"
        );
        assert_eq!(
            wire(&CpmsSet::new("SM", Some("SM"), Some("SM"))?),
            "AT+CPMS=\"SM\",\"SM\",\"SM\"\r"
        );
        assert_eq!(
            wire(&CpmsSet::new("ME", None, Some("SM"))?),
            "AT+CPMS=\"ME\"\r"
        );
        assert_eq!(
            wire(&CscaSet::new("+4479000000", Some(145))?),
            "AT+CSCA=\"+4479000000\",145\r"
        );
        assert_eq!(
            wire(&CscaSet::new("0031624000000", None)?),
            "AT+CSCA=\"0031624000000\"\r"
        );
        Ok(())
    }

    #[test]
    fn refused_arguments() {
        assert!(CpinSet::new("12\"4").is_err(), "quote in PIN");
        assert!(CpinSet::new("123").is_err(), "PIN too short");
        assert!(CpinSet::new("1234\r").is_err(), "CR in PIN");
        assert!(CpinSet::with_puk("1234", "x").is_err());
        assert!(CpmsSet::new("S\"M", None, None).is_err());
        assert!(CpmsSet::new("", None, None).is_err());
        assert!(CscaSet::new("+44 79", None).is_err());
        assert!(CscaSet::new("\"", None).is_err());
        // A PIN never reaches a log through Debug.
        let pin = CpinSet::new("4321")
            .map(|c| format!("{c:?}"))
            .unwrap_or_default();
        assert!(!pin.contains("4321"), "{pin}");
    }

    #[test]
    fn cmgs() -> Result<(), ParseError> {
        // A SUBMIT to +46708251358, "hellohello", stored SMSC (`00`): 23 TPDU octets.
        let pdu = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37";
        let cmd = Cmgs::new(23, pdu)?;
        assert_eq!(wire(&cmd), "AT+CMGS=23\r");
        assert!(cmd.uses_prompt());
        assert_eq!(cmd.timeout(), CMGS_TIMEOUT);
        let mut payload = Vec::new();
        cmd.write_payload(&mut payload);
        assert_eq!(payload.last(), Some(&CTRL_Z));
        assert_eq!(payload.len(), pdu.len() + 1);
        assert!(!payload.contains(&b'\r'), "no CR/LF after the PDU (KANNEL)");

        let cases: Vec<(&str, Vec<String>, Result<u8, ()>)> = vec![
            ("Quectel EC25", lines(&["+CMGS: 23"]), Ok(23)),
            ("nRF91 with ackpdu", lines(&["+CMGS: 7,\"0100\""]), Ok(7)),
            (
                "echoed PDU before the reply",
                lines(&[pdu, "+CMGS: 255"]),
                Ok(255),
            ),
            ("out of range", lines(&["+CMGS: 256"]), Err(())),
            ("missing", lines(&[]), Err(())),
            ("junk", lines(&["+CMGS: x"]), Err(())),
        ];
        for (name, input, want) in cases {
            assert_eq!(cmd.parse(&input).map_err(|_| ()), want, "{name}");
        }

        // The length must exclude the SMSC part (MM mm-sms-at.c l.86).
        assert!(Cmgs::new(24, pdu).is_err(), "SMSC octet counted");
        let with_smsc = "07914477790000F0".to_owned() + &pdu[2..];
        assert!(Cmgs::new(23, &with_smsc).is_ok(), "explicit SMSC");
        assert!(Cmgs::new(31, &with_smsc).is_err());
        assert!(Cmgs::new(1, "0").is_err(), "odd length");
        assert!(Cmgs::new(1, "00GG").is_err(), "not hex");
        assert!(Cmgs::new(0, "00").is_err(), "empty TPDU");
        Ok(())
    }

    #[test]
    fn cmgl() {
        let entry = |index, stat, alpha: Option<&str>, length| ListedMessage {
            index,
            stat: Some(MessageStat::from_code(stat)),
            alpha: alpha.map(str::to_owned),
            length: Some(length),
            pdu: PDU.to_owned(),
        };
        let cases: Vec<(&str, Vec<String>, Vec<ListedMessage>)> = vec![
            (
                "MM generic",
                lines(&["+CMGL: 0,1,,147", PDU, "+CMGL: 1,1,,147", PDU]),
                vec![entry(0, 1, None, 147), entry(1, 1, None, 147)],
            ),
            (
                "MM Pantech: no alpha field",
                lines(&["+CMGL: 17,3,35", PDU]),
                vec![entry(17, 3, None, 35)],
            ),
            (
                "GAMMU smsd: empty quoted alpha",
                lines(&["+CMGL: 1,0,\"\",23", PDU]),
                vec![entry(1, 0, None, 23)],
            ),
            (
                "alpha present",
                lines(&["+CMGL: 2,1,\"Bob\",23", PDU]),
                vec![entry(2, 1, Some("Bob"), 23)],
            ),
            (
                "echo before the list",
                lines(&["AT+CMGL=4", "+CMGL: 0,1,,147", PDU]),
                vec![entry(0, 1, None, 147)],
            ),
            ("empty storage", lines(&[]), vec![]),
        ];
        let cmd = Cmgl(MessageStat::All);
        for (name, input, want) in cases {
            assert_eq!(cmd.parse(&input), Ok(want), "{name}");
        }
        assert!(
            cmd.parse(&lines(&["+CMGL: 0,1,,147"])).is_err(),
            "header without PDU"
        );
        assert!(
            cmd.parse(&lines(&["+CMGL: 0,1,,147", "+CMGL: 1,1,,147"]))
                .is_err(),
            "header as PDU"
        );
        assert!(
            cmd.parse(&lines(&["+CMGL: x,1,,147", PDU])).is_err(),
            "junk index"
        );
        assert_eq!(cmd.trailing_lines("+CMGL: 0,1,,147"), 1);
        assert_eq!(cmd.trailing_lines(PDU), 0);
    }

    #[test]
    fn cmgr() {
        let msg = |stat: Option<u8>, alpha: Option<&str>, length: Option<u32>| {
            Some(StoredMessage {
                stat: stat.map(MessageStat::from_code),
                alpha: alpha.map(str::to_owned),
                length,
                pdu: PDU.to_owned(),
            })
        };
        let cases: Vec<(&str, Vec<String>, Option<StoredMessage>)> = vec![
            (
                "GAMMU 1,,25",
                lines(&["+CMGR: 1,,25", PDU]),
                msg(Some(1), None, Some(25)),
            ),
            (
                "GAMMU no alpha",
                lines(&["+CMGR: 0,23", PDU]),
                msg(Some(0), None, Some(23)),
            ),
            (
                "GAMMU length only",
                lines(&["+CMGR: 24", PDU]),
                msg(None, None, Some(24)),
            ),
            (
                "GAMMU empty stat",
                lines(&["+CMGR: ,,92", PDU]),
                msg(None, None, Some(92)),
            ),
            (
                "GAMMU extra leading field",
                lines(&["+CMGR: 4,1,,151", PDU]),
                msg(Some(1), None, Some(151)),
            ),
            (
                "MM Telit HE910 empty quoted alpha",
                lines(&["+CMGR: 0,\"\",50", PDU]),
                msg(Some(0), None, Some(50)),
            ),
            (
                "ZTE MF626 alpha",
                lines(&["+CMGR: 1,\"Eve\",25", PDU]),
                msg(Some(1), Some("Eve"), Some(25)),
            ),
            (
                "GAMMU status report with FF padding",
                lines(&[
                    "+CMGR: 1,,25",
                    "0006D60B911326880736F4111011719551401110117195714000FFFFFF",
                ]),
                Some(StoredMessage {
                    stat: Some(MessageStat::ReceivedRead),
                    alpha: None,
                    length: Some(25),
                    pdu: "0006D60B911326880736F4111011719551401110117195714000FFFFFF".into(),
                }),
            ),
            ("empty slot: bare OK", lines(&[]), None),
        ];
        let cmd = Cmgr(1);
        for (name, input, want) in cases {
            assert_eq!(cmd.parse(&input), Ok(want), "{name}");
        }
        assert!(cmd.parse(&lines(&["+CMGR: 1,,25"])).is_err(), "no PDU");
        assert!(
            cmd.parse(&lines(&["+CMGR: 1,,25", "not hex"])).is_err(),
            "bad PDU"
        );
    }

    #[test]
    fn identification() {
        let cases: Vec<(&str, Vec<String>, Result<String, ()>)> = vec![
            (
                "Quectel EC25 CGMI",
                lines(&["Quectel"]),
                Ok("Quectel".into()),
            ),
            (
                "Wavecom CGMM with spaces",
                lines(&[" MULTIBAND  900E  1800 "]),
                Ok("MULTIBAND  900E  1800".into()),
            ),
            (
                "GAMMU echo first",
                lines(&["AT+CGMI", "huawei"]),
                Ok("huawei".into()),
            ),
            (
                "prefixed form",
                lines(&["+CGMI: \"SIMCOM INCORPORATED\""]),
                Ok("SIMCOM INCORPORATED".into()),
            ),
            ("nothing", lines(&[]), Err(())),
        ];
        for (name, input, want) in cases {
            assert_eq!(Cgmi.parse(&input).map_err(|_| ()), want, "{name}");
        }
        assert_eq!(
            Cgmr.parse(&lines(&["Revision: EC25EFAR06A03M4G"])),
            Ok("Revision: EC25EFAR06A03M4G".into())
        );
        assert_eq!(
            Cgsn.parse(&lines(&["866758041234567"])),
            Ok("866758041234567".into())
        );
        assert_eq!(
            Cimi.parse(&lines(&["AT+CIMI", "234150123456789"])),
            Ok("234150123456789".into())
        );
        assert_eq!(
            Cgmm.parse(&lines(&["SIMCOM_SIM7600E-H"])),
            Ok("SIMCOM_SIM7600E-H".into())
        );
    }

    #[test]
    fn iccid() {
        let cases: Vec<IccidCase> = vec![
            (
                "Quectel EC25",
                CcidForm::Qccid,
                lines(&["+QCCID: 89860318740201234567"]),
                Ok("89860318740201234567".into()),
            ),
            (
                "SIMCom SIM800 bare",
                CcidForm::Ccid,
                lines(&["8944110068256270054F"]),
                Ok("8944110068256270054".into()),
            ),
            (
                "SIMCom SIM7600",
                CcidForm::Ciccid,
                lines(&["+ICCID: 89445046300012345678"]),
                Ok("89445046300012345678".into()),
            ),
            (
                "Huawei E3372",
                CcidForm::HuaweiIccid,
                lines(&["^ICCID: 89441000302148762093"]),
                Ok("89441000302148762093".into()),
            ),
            (
                "Telit LE910",
                CcidForm::TelitCcid,
                lines(&["#CCID: 89390100001234567890"]),
                Ok("89390100001234567890".into()),
            ),
            (
                "quoted",
                CcidForm::Ccid,
                lines(&["+CCID: \"89014103211118510720\""]),
                Ok("89014103211118510720".into()),
            ),
            ("junk", CcidForm::Ccid, lines(&["ERROR-ish"]), Err(())),
        ];
        for (name, form, input, want) in cases {
            assert_eq!(Ccid(form).parse(&input).map_err(|_| ()), want, "{name}");
        }
    }

    #[test]
    fn pin_and_registration() {
        assert_eq!(
            CpinRead.parse(&lines(&["+CPIN: READY"])),
            Ok(PinState::Ready)
        );
        assert_eq!(
            CpinRead.parse(&lines(&["+CPIN: SIM PIN"])),
            Ok(PinState::SimPin)
        );
        assert!(CpinRead.parse(&lines(&[])).is_err());
        let creg = CregRead.parse(&lines(&["+CREG: 2,1,\"CE00\",\"01CEAD8F\""]));
        assert_eq!(
            creg.map(|r| (r.n, r.stat, r.lac)),
            Ok((Some(2), RegStatus::Home, Some(0xCE00)))
        );
        let cgreg = CgregRead.parse(&lines(&["+CGREG: 0,5"]));
        assert_eq!(cgreg.map(|r| r.stat.is_registered()), Ok(true));
        let cereg = CeregRead.parse(&lines(&["+CEREG: 2,1, 1F00, 79D903 ,7"]));
        assert_eq!(cereg.map(|r| r.act), Ok(Some(7)));
        assert_eq!(CregRead.prefix(), Some("+CREG"));
    }

    #[test]
    fn signal_operator_cfun() {
        assert_eq!(
            Csq.parse(&lines(&["+CSQ: 99,99"])),
            Ok(SignalQuality {
                rssi: None,
                ber: None
            })
        );
        assert_eq!(
            Csq.parse(&lines(&["+CSQ: 17,0"])),
            Ok(SignalQuality {
                rssi: Some(17),
                ber: Some(0)
            })
        );
        assert!(Csq.parse(&lines(&["+CSQ:"])).is_err());
        assert_eq!(
            CopsRead.parse(&lines(&["+COPS: 0,0,\"vodafone UK\",7"])),
            Ok(Operator {
                mode: 0,
                format: Some(0),
                oper: Some("vodafone UK".into()),
                act: Some(7)
            })
        );
        assert_eq!(
            CopsRead.parse(&lines(&["+COPS: 0"])),
            Ok(Operator {
                mode: 0,
                format: None,
                oper: None,
                act: None
            })
        );
        assert_eq!(CfunRead.parse(&lines(&["+CFUN: 1"])), Ok(1));
        assert_eq!(CfunRead.parse(&lines(&["+CFUN: 0,0"])), Ok(0));
    }

    #[test]
    fn cpms() {
        let set = CpmsSet::new("SM", Some("SM"), Some("SM"))
            .map(|c| c.parse(&lines(&["+CPMS: 0,255,0,255,0,255"])));
        let pair = |used, total| MemoryUsage { used, total };
        assert_eq!(set, Ok(Ok(vec![pair(0, 255), pair(0, 255), pair(0, 255)])));
        let two =
            CpmsSet::new("SM", Some("SM"), None).map(|c| c.parse(&lines(&["+CPMS: 14,50,14,50"])));
        assert_eq!(two, Ok(Ok(vec![pair(14, 50), pair(14, 50)])));

        let read = CpmsRead.parse(&lines(&["+CPMS: \"SM\",0,25,\"ME\",3,50,\"SM\",0,25"]));
        let status = |mem: &str, used, total| StorageStatus {
            mem: mem.into(),
            usage: pair(used, total),
        };
        assert_eq!(
            read,
            Ok(vec![
                status("SM", 0, 25),
                status("ME", 3, 50),
                status("SM", 0, 25)
            ])
        );

        let sv = |names: &[&str]| names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let cases: Vec<(&str, &str, Vec<Vec<String>>)> = vec![
            (
                "Huawei E3372-325 no spaces",
                "+CPMS: (\"SM\",\"ME\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")",
                vec![sv(&["SM", "ME"]), sv(&["SM", "ME"]), sv(&["SM", "ME"])],
            ),
            (
                "Huawei K3715 / ZTE four storages",
                "+CPMS: (\"ME\",\"MT\",\"SM\",\"SR\"),(\"ME\",\"MT\",\"SM\",\"SR\"),(\"ME\",\"MT\",\"SM\",\"SR\")",
                vec![
                    sv(&["ME", "MT", "SM", "SR"]),
                    sv(&["ME", "MT", "SM", "SR"]),
                    sv(&["ME", "MT", "SM", "SR"]),
                ],
            ),
            (
                "Wavecom nested, two lists",
                "+CPMS: ((\"SM\",\"BM\",\"SR\"),(\"SM\"))",
                vec![sv(&["SM", "BM", "SR"]), sv(&["SM"])],
            ),
            (
                "iWOW no parentheses",
                "+CPMS: \"SM\",\"SM\",\"SM\"",
                vec![sv(&["SM"]), sv(&["SM"]), sv(&["SM"])],
            ),
            (
                "Alcatel with spaces",
                "+CPMS: (\"SM\", \"ME\", \"SM_P\", \"ME_P\", \"MT\"),(\"SM\", \"ME\"),(\"SM\")",
                vec![
                    sv(&["SM", "ME", "SM_P", "ME_P", "MT"]),
                    sv(&["SM", "ME"]),
                    sv(&["SM"]),
                ],
            ),
            ("Samsung J700 empty", "+CPMS: ", vec![]),
            (
                "Nokia S60 unsupported",
                "+CPMS: (),(),()",
                vec![vec![], vec![], vec![]],
            ),
            ("unbalanced junk", "+CPMS: ((\"SM\"", vec![]),
        ];
        for (name, line, want) in cases {
            assert_eq!(CpmsTest.parse(&lines(&[line])), Ok(want), "{name}");
        }
    }

    #[test]
    fn csca() {
        let smsc = |address: &str, toa| {
            Some(Smsc {
                address: address.into(),
                toa,
            })
        };
        let cases: Vec<(&str, Vec<String>, Option<Smsc>)> = vec![
            (
                "GAMMU plain",
                lines(&["+CSCA: \"+31624000000\",145"]),
                smsc("+31624000000", Some(145)),
            ),
            (
                "GAMMU at-smsc/01 UCS2",
                lines(&["+CSCA: \"002B00330031003600320034003000300030003000300030\",145"]),
                smsc("+31624000000", Some(145)),
            ),
            (
                "national digits stay digits",
                lines(&["+CSCA: \"0031624000000\",129"]),
                smsc("0031624000000", Some(129)),
            ),
            ("no SMSC: empty address", lines(&["+CSCA: \"\",129"]), None),
            ("no SMSC: bare OK", lines(&[]), None),
        ];
        for (name, input, want) in cases {
            assert_eq!(CscaRead.parse(&input), Ok(want), "{name}");
        }
    }

    #[test]
    fn timeouts_and_prompt() {
        assert_eq!(At.timeout(), PROBE_TIMEOUT);
        assert_eq!(Csq.timeout(), DEFAULT_TIMEOUT);
        assert_eq!(Cmgl(MessageStat::All).timeout(), CMGL_TIMEOUT);
        assert_eq!(CfunSet { fun: 1, rst: None }.timeout(), CFUN_TIMEOUT);
        assert!(!Csq.uses_prompt());
        let mut payload = Vec::new();
        Csq.write_payload(&mut payload);
        assert!(payload.is_empty());
    }
}
