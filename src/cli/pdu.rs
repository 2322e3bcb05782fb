//! `smsgate pdu decode` and `smsgate pdu encode`: the codec on the command
//! line, with JSON output (the shapes are a contract; see README.md).

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use super::fail;
use clap::Subcommand;
use serde_json::{Map, Value, json};

use crate::sms::address::Address;
use crate::sms::compose::{Compose, compose};
use crate::sms::dcs::Dcs;
use crate::sms::gsm7::Language;
use crate::sms::pdumode::{self, Pdu};
use crate::sms::segment::Options;
use crate::sms::tpdu::{Deliver, StatusReport, Submit, Tpdu};
use crate::sms::udh::{Ie, Udh};
use crate::sms::userdata::{Body, UserData};
use crate::sms::validity::ValidityPeriod;

#[derive(Debug, Subcommand)]
pub enum PduCommand {
    /// Decode a PDU (SMSC prefix first, as modems print it in PDU mode).
    /// With `-` or no argument, decode one hex PDU per line from stdin.
    Decode {
        /// The PDU in hex, or `-` for stdin.
        hex: Option<String>,
        /// The PDU has no SMSC prefix (a bare TPDU).
        #[arg(long)]
        no_smsc: bool,
    },
    /// Encode a text as SMS-SUBMIT PDUs, one JSON object per part.
    Encode {
        /// Recipient: +<country code><number>, or a national number or short code.
        #[arg(long)]
        to: String,
        /// Service centre number; without it the modem's default is used (prefix 00).
        #[arg(long)]
        smsc: Option<String>,
        /// Request a status report (TP-SRR).
        #[arg(long)]
        status_report: bool,
        /// Message class 0..=3 (0 is a flash message).
        #[arg(long, value_parser = clap::value_parser!(u8).range(0..=3))]
        class: Option<u8>,
        /// Use 16-bit concatenation references.
        #[arg(long)]
        ref16: bool,
        /// Concatenation reference; random when not given.
        #[arg(long)]
        reference: Option<u16>,
        /// National language shift tables to try when they need fewer parts
        /// (turkish, spanish, portuguese, bengali, ..., urdu). Repeatable.
        #[arg(long, value_parser = parse_language)]
        national: Vec<Language>,
        /// Validity period in seconds (relative format).
        #[arg(long)]
        validity: Option<u64>,
        /// The text.
        text: String,
    },
}

fn parse_language(s: &str) -> Result<Language, String> {
    Language::ALL
        .into_iter()
        .find(|l| l.name().eq_ignore_ascii_case(s))
        .ok_or_else(|| format!("unknown national language {s:?}"))
}

pub fn run(cmd: PduCommand) -> ExitCode {
    match cmd {
        PduCommand::Decode { hex, no_smsc } => match hex.as_deref() {
            None | Some("-") => decode_stdin(!no_smsc),
            Some(h) => match decode_json(h, !no_smsc) {
                Ok(v) => {
                    println!("{v}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            },
        },
        PduCommand::Encode {
            to,
            smsc,
            status_report,
            class,
            ref16,
            reference,
            national,
            validity,
            text,
        } => {
            let opts = Options {
                reference: // Random, so two long messages sent to one phone from the command
                // line do not merge.
                reference.unwrap_or_else(|| crate::random::u64() as u16),
                ref16,
                national,
                ..Options::default()
            };
            let req = EncodeRequest {
                to: &to,
                smsc: smsc.as_deref(),
                status_report,
                class,
                validity,
            };
            match encode(&text, &req, &opts) {
                Ok(parts) => {
                    let mut out = io::stdout().lock();
                    for p in parts {
                        let line = json!({"length": p.tpdu_len(), "pdu": p.to_hex()});
                        let _ = writeln!(out, "{line}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
    }
}

/// One JSON object per input line; bad lines give `{"error": ...}`. Exits
/// non-zero when any line failed, after decoding them all.
fn decode_stdin(with_smsc: bool) -> ExitCode {
    let stdin = io::stdin().lock();
    let mut out = io::stdout().lock();
    let mut failed = false;
    for line in stdin.lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                failed = true;
                let _ = writeln!(out, "{}", json!({"error": format!("reading stdin: {e}")}));
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let v = decode_json(&line, with_smsc).unwrap_or_else(|e| {
            failed = true;
            json!({"error": e})
        });
        if writeln!(out, "{v}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Decodes one hex PDU to the contract's JSON object.
pub fn decode_json(hex: &str, with_smsc: bool) -> Result<Value, String> {
    let (smsc, tpdu) = pdumode::decode_hex(hex.trim(), with_smsc).map_err(|e| e.to_string())?;
    let mut m = Map::new();
    let smsc = smsc.map(|a| a.to_string());
    match &tpdu {
        Tpdu::Deliver(d) => deliver_fields(d, smsc, &mut m),
        Tpdu::Submit(s) => submit_fields(s, smsc, &mut m),
        Tpdu::StatusReport(r) => status_report_fields(r, smsc, &mut m),
    }
    Ok(Value::Object(m))
}

fn deliver_fields(d: &Deliver, smsc: Option<String>, m: &mut Map<String, Value>) {
    m.insert("type".into(), json!("deliver"));
    m.insert("smsc".into(), json!(smsc));
    m.insert("from".into(), json!(d.oa.to_string()));
    user_data_fields(d.dcs, &d.ud, m);
    m.insert("timestamp".into(), json!(d.scts.to_string()));
    m.insert("pid".into(), json!(d.pid));
    m.insert("dcs".into(), json!(d.dcs.0));
}

fn submit_fields(s: &Submit, smsc: Option<String>, m: &mut Map<String, Value>) {
    m.insert("type".into(), json!("submit"));
    m.insert("smsc".into(), json!(smsc));
    m.insert("to".into(), json!(s.da.to_string()));
    user_data_fields(s.dcs, &s.ud, m);
    m.insert("status_report_requested".into(), json!(s.srr));
    m.insert("reference".into(), json!(s.mr));
    m.insert("pid".into(), json!(s.pid));
    m.insert("dcs".into(), json!(s.dcs.0));
    let vp = match &s.vp {
        None => Value::Null,
        Some(ValidityPeriod::Absolute(ts)) => json!({"absolute": ts.to_string()}),
        Some(vp) => json!({"seconds": vp.seconds()}),
    };
    m.insert("validity".into(), vp);
}

fn status_report_fields(r: &StatusReport, smsc: Option<String>, m: &mut Map<String, Value>) {
    m.insert("type".into(), json!("status_report"));
    m.insert("smsc".into(), json!(smsc));
    m.insert("to".into(), json!(r.ra.to_string()));
    m.insert("reference".into(), json!(r.mr));
    m.insert("status".into(), json!(r.st.0));
    m.insert("delivered".into(), json!(r.st.delivered()));
    m.insert("discharge_time".into(), json!(r.dt.to_string()));
    m.insert("timestamp".into(), json!(r.scts.to_string()));
    if let (Some(dcs), Some(ud)) = (r.dcs.or(Some(Dcs(0))), &r.ud) {
        user_data_fields(dcs, ud, m);
    }
}

fn user_data_fields(dcs: Dcs, ud: &UserData, m: &mut Map<String, Value>) {
    let alphabet = if dcs.compressed() {
        // The header and alphabet bits still say what it would be.
        dcs.alphabet()
    } else {
        ud.body.alphabet()
    };
    m.insert("text".into(), json!(ud.text()));
    if let Body::Data(d) = &ud.body {
        m.insert("data_hex".into(), json!(lower_hex(d)));
    }
    if dcs.compressed() {
        m.insert("compressed".into(), json!(true));
        m.insert(
            "error".into(),
            json!("compressed user data (TS 23.042) is not supported"),
        );
    }
    m.insert("encoding".into(), json!(alphabet.name()));
    let concat = ud
        .udh
        .as_ref()
        .and_then(Udh::concat)
        .map(|c| json!({"reference": c.reference, "total": c.total, "sequence": c.sequence}));
    m.insert("concat".into(), json!(concat));
    m.insert("class".into(), json!(dcs.class()));
    if let Some(w) = dcs.message_waiting() {
        m.insert(
            "message_waiting".into(),
            json!({"active": w.active, "kind": format!("{:?}", w.kind).to_lowercase(), "store": w.store}),
        );
    }
    if let Some(udh) = &ud.udh {
        if let Some(p) = udh.ports() {
            m.insert(
                "ports".into(),
                json!({"destination": p.destination, "origin": p.origin}),
            );
        }
        let ies: Vec<Value> = udh.ies.iter().map(ie_json).collect();
        m.insert("udh".into(), json!(ies));
    }
    if let Body::Gsm7 { charset, .. } = &ud.body
        && !charset.is_default()
    {
        m.insert(
                "national".into(),
                json!({"locking": charset.locking.map(Language::name), "single": charset.single.map(Language::name)}),
            );
    }
}

fn ie_json(ie: &Ie) -> Value {
    let mut wire = Vec::new();
    Udh {
        ies: vec![ie.clone()],
    }
    .encode(&mut wire);
    json!({"iei": wire.get(1), "data_hex": lower_hex(wire.get(3..).unwrap_or_default())})
}

fn lower_hex(b: &[u8]) -> String {
    pdumode::to_hex(b).to_ascii_lowercase()
}

struct EncodeRequest<'a> {
    to: &'a str,
    smsc: Option<&'a str>,
    status_report: bool,
    class: Option<u8>,
    validity: Option<u64>,
}

fn encode(text: &str, req: &EncodeRequest<'_>, opts: &Options) -> Result<Vec<Pdu>, String> {
    let to = Address::parse_number(req.to).map_err(|e| e.to_string())?;
    let smsc = req
        .smsc
        .map(Address::parse_number)
        .transpose()
        .map_err(|e| e.to_string())?;
    let c = Compose {
        to,
        smsc,
        status_report: req.status_report,
        class: req.class,
        validity: req.validity.map(ValidityPeriod::relative_from_seconds),
        segment: opts.clone(),
    };
    compose(text, &c).map_err(|e| e.to_string())
}
