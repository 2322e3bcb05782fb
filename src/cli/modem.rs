//! `smsgate modem info|send|read|at|scan`: field tools for installers,
//! talking to modems directly (not through a running service). JSON on
//! stdout (scan: a config snippet); on failure one line on stderr and exit
//! status 1.

mod scan;

use std::process::ExitCode;

use super::fail;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::at::command::MessageStat;
use crate::modem::port::{self, FlowControl};
use crate::modem::{InitConfig, Session};
use crate::sms::address::Address;
use crate::sms::compose::{Compose, compose};
use crate::sms::pdumode;
use crate::sms::reassembly::join;
use crate::sms::segment::Options;
use crate::sms::tpdu::Tpdu;
use crate::sms::udh::Udh;
use crate::sms::userdata::Body;

#[derive(Debug, Args)]
pub struct Port {
    /// Serial device (udev symlink, /dev/serial/by-id/..., /dev/ttyUSB2) or tcp://host:port.
    #[arg(long)]
    device: String,
    #[arg(long, default_value_t = 115_200)]
    baud: u32,
    /// RTS/CTS hardware flow control.
    #[arg(long)]
    rtscts: bool,
    /// SIM PIN, if the SIM asks for one.
    #[arg(long)]
    pin: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ModemCommand {
    /// Identity, SIM state, registration, operator and signal.
    Info(Port),
    /// Send a text (split into parts as needed).
    Send {
        #[command(flatten)]
        port: Port,
        #[arg(long)]
        to: String,
        /// Request a status report.
        #[arg(long)]
        status_report: bool,
        text: String,
    },
    /// Print the stored messages, reassembled, one JSON object per line.
    Read {
        #[command(flatten)]
        port: Port,
        /// Delete them from the modem after printing.
        #[arg(long)]
        delete: bool,
    },
    /// Run one raw AT command and print its response lines.
    At {
        #[command(flatten)]
        port: Port,
        command: String,
    },
    /// Probe the serial ports for modems and print `[[modems]]` config blocks.
    Scan(scan::ScanArgs),
}

pub fn run(cmd: ModemCommand) -> ExitCode {
    let rt = match super::current_thread() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = match cmd {
        ModemCommand::Scan(args) => return rt.block_on(scan::run(args)),
        ModemCommand::Info(p) => rt.block_on(info(&p)),
        ModemCommand::Send {
            port,
            to,
            status_report,
            text,
        } => rt.block_on(send(&port, &to, status_report, &text)),
        ModemCommand::Read { port, delete } => rt.block_on(read(&port, delete)),
        ModemCommand::At { port, command } => rt.block_on(at(&port, &command)),
    };
    match result {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

async fn connect(p: &Port) -> Result<Session, String> {
    let flow = if p.rtscts {
        FlowControl::Hardware
    } else {
        FlowControl::None
    };
    let port = port::open(&p.device, p.baud, flow)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Session::new(port, &p.device))
}

async fn ready(p: &Port) -> Result<(Session, crate::modem::Setup), String> {
    let mut s = connect(p).await?;
    let setup = s
        .init(&InitConfig {
            pin: p.pin.clone(),
            ..InitConfig::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok((s, setup))
}

async fn info(p: &Port) -> Result<Vec<Value>, String> {
    let (s, setup) = ready(p).await?;
    let h = s.health().await.map_err(|e| e.to_string())?;
    let id = &setup.identity;
    Ok(vec![json!({
        "device": p.device,
        "manufacturer": id.manufacturer,
        "model": id.model,
        "revision": id.revision,
        "imei": id.imei,
        "imsi": id.imsi,
        "iccid": id.iccid,
        "sim": "ready",
        "registered": h.registered,
        "operator": h.operator,
        "rssi": h.rssi,
        "signal_dbm": h.signal_dbm,
        "storage": setup.storage,
        "smsc": setup.smsc,
        "quirks": s.quirks.name,
    })])
}

async fn send(p: &Port, to: &str, status_report: bool, text: &str) -> Result<Vec<Value>, String> {
    let to = Address::parse_number(to).map_err(|e| e.to_string())?;
    let c = Compose {
        status_report,
        segment: Options {
            reference: crate::random::u64() as u16,
            ..Options::default()
        },
        ..Compose::to(to)
    };
    let pdus = compose(text, &c).map_err(|e| e.to_string())?;
    let (s, _) = ready(p).await?;
    let mut references = Vec::new();
    for (i, pdu) in pdus.iter().enumerate() {
        let mr = s
            .send_pdu(pdu.tpdu_len(), &pdu.to_hex())
            .await
            .map_err(|e| format!("part {} of {}: {e}", i + 1, pdus.len()))?;
        references.push(mr);
    }
    Ok(vec![json!({"parts": pdus.len(), "references": references})])
}

async fn read(p: &Port, delete: bool) -> Result<Vec<Value>, String> {
    let (s, _) = ready(p).await?;
    let list = s.list().await.map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    // Parts grouped by (sender, reference, total, width) in storage order.
    let mut groups: Vec<(Key, Vec<Stored>)> = Vec::new();
    for m in &list {
        let d = match pdumode::decode_hex(m.pdu.trim(), true) {
            Ok((_, Tpdu::Deliver(d))) => d,
            Ok(_) => continue,
            Err(e) => {
                out.push(json!({"index": m.index, "error": e.to_string(), "pdu": m.pdu}));
                continue;
            }
        };
        let concat =
            d.ud.udh
                .as_ref()
                .and_then(Udh::concat)
                .filter(|c| c.total > 1);
        let key = Key {
            sender: d.oa.to_string(),
            concat: concat.map(|c| (c.reference, c.total, c.wide)),
            index: if concat.is_none() { m.index } else { 0 },
        };
        let part = Stored {
            index: m.index,
            sequence: concat.map_or(1, |c| c.sequence),
            timestamp: d.scts.to_string(),
            body: d.ud.body,
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, parts)) => parts.push(part),
            None => groups.push((key, vec![part])),
        }
    }
    for (key, mut parts) in groups {
        parts.sort_by_key(|p| p.sequence);
        parts.dedup_by_key(|p| p.sequence);
        let total = key.concat.map_or(1, |(_, t, _)| usize::from(t));
        let bodies: Vec<&Body> = parts.iter().map(|p| &p.body).collect();
        let (text, data) = join(&bodies);
        out.push(json!({
            "from": key.sender,
            "text": text,
            "data_hex": data.map(|d| pdumode::to_hex(&d)),
            "timestamp": parts.first().map(|p| p.timestamp.clone()),
            "parts": total,
            "complete": parts.len() == total,
            "indexes": parts.iter().map(|p| p.index).collect::<Vec<_>>(),
        }));
    }
    if delete {
        // Received messages only; drafts and sent copies stay.
        for m in list.iter().filter(|m| {
            !matches!(
                m.stat,
                Some(MessageStat::StoredUnsent | MessageStat::StoredSent)
            )
        }) {
            s.delete(m.index).await.map_err(|e| e.to_string())?;
        }
    }
    Ok(out)
}

#[derive(PartialEq, Eq)]
struct Key {
    sender: String,
    concat: Option<(u16, u8, bool)>,
    /// Keeps single-part messages apart.
    index: u32,
}

struct Stored {
    index: u32,
    sequence: u8,
    timestamp: String,
    body: Body,
}

async fn at(p: &Port, command: &str) -> Result<Vec<Value>, String> {
    let s = connect(p).await?;
    s.resync(3).await.map_err(|e| e.to_string())?;
    let resp = s
        .client
        .raw(command.trim(), std::time::Duration::from_secs(30))
        .await;
    match resp {
        Ok(r) => Ok(vec![
            json!({"lines": r.lines, "result": r.result.to_string()}),
        ]),
        Err(e) => Err(e.to_string()),
    }
}
