//! Reception: what the network delivers, queued and handed to the modem as
//! its state allows.
//!
//! SMS-DELIVERs (a text split as `sms::segment::split` splits it, or a raw
//! PDU) and SMS-STATUS-REPORTs (for a send that asked for one, or on
//! request) join one queue, and [`Modem::pump`] hands them over in order.
//! Nothing is handed over while the modem is quiet, its SMS service is
//! starting or it is not registered: the network keeps trying, as a real one
//! does. Where each message goes follows `AT+CNMI` (27.005 §3.4.1): a DELIVER
//! with `<mt>` 2 goes straight to the host as `+CMT`, else it is stored in
//! `<mem3>`, with `+CMTI` for `<mt>` 1 and 3; a report with `<ds>` 1 is a
//! `+CDS`, with 2 it is stored (in "SR" on Quectel and SIMCom) with `+CDSI`,
//! with 0 it is not routed to the host at all. With `AT+CSMS=1` each `+CMT`
//! and `+CDS` waits for the `AT+CNMA` of the one before (27.005 §3.4.4).
//!
//! A full memory holds the queue back until a slot is freed or `AT+CPMS`
//! picks another (the profile's memory-full URC, once), except for a status
//! report that finds "SR" full: the module has already acknowledged it to the
//! network, so it is dropped, as on the modules that have "SR".

use super::Modem;
use super::memory::{Stored, WhenFull};
use super::network::registered;
use crate::sms::address::Address;
use crate::sms::dcs::{Alphabet, Dcs};
use crate::sms::pdumode::{self, Pdu};
use crate::sms::segment::{self, Options};
use crate::sms::tpdu::{Deliver, Direction, Status, StatusReport, Tpdu};
use crate::sms::udh::{Concat, Ie, Udh};
use crate::sms::userdata::{Body, UserData};

/// What the network is delivering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IncomingKind {
    /// An SMS-DELIVER.
    Deliver,
    /// An SMS-STATUS-REPORT.
    Report,
}

/// A message the "network" is trying to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Incoming {
    pub(super) kind: IncomingKind,
    /// PDU-mode octets, SMSC first, as `+CMT` or `AT+CMGR` will show them.
    pub(super) pdu: Vec<u8>,
    pub(super) tpdu_len: usize,
}

impl Modem {
    /// Delivers a text from `from` (a number, or an alphanumeric sender),
    /// split into as many SMS-DELIVER parts as it needs (GSM 7-bit when
    /// possible, UCS-2 otherwise, or always UCS-2 when `ucs2`); the parts join
    /// the network's queue. Returns the part count.
    pub fn deliver_text(
        &mut self,
        from: &str,
        text: &str,
        ucs2: bool,
        class: Option<u8>,
    ) -> Result<usize, String> {
        let pdus = self.make_delivers(from, text, ucs2, class)?;
        let n = pdus.len();
        for (pdu, tpdu_len) in pdus {
            self.incoming.push_back(Incoming {
                kind: IncomingKind::Deliver,
                pdu,
                tpdu_len,
            });
        }
        self.pump();
        Ok(n)
    }

    /// SMS-DELIVER parts for a text, as PDU-mode octets and TPDU lengths.
    pub(super) fn make_delivers(
        &mut self,
        from: &str,
        text: &str,
        ucs2: bool,
        class: Option<u8>,
    ) -> Result<Vec<(Vec<u8>, usize)>, String> {
        let oa = parse_sender(from)?;
        let reference = self.next_concat_ref;
        self.next_concat_ref = self.next_concat_ref.wrapping_add(1) % 256;
        let parts = if ucs2 {
            ucs2_parts(text, reference)?
        } else {
            let opts = Options {
                reference,
                ..Options::default()
            };
            segment::split(text, &opts).map_err(|e| e.to_string())?
        };
        if class.is_some_and(|c| c > 3) {
            return Err("class must be 0..=3".into());
        }
        let scts = (self.cfg.clock)();
        let mut pdus = Vec::new();
        for ud in parts {
            let alphabet = match ud.body {
                Body::Gsm7 { .. } => Alphabet::Gsm7,
                Body::Ucs2(_) => Alphabet::Ucs2,
                Body::Data(_) => Alphabet::EightBit,
            };
            let d = Deliver {
                more_messages: false,
                lp: false,
                sri: false,
                rp: false,
                oa: oa.clone(),
                pid: 0,
                dcs: Dcs::new(alphabet, class),
                scts,
                ud,
            };
            let mut tpdu = Vec::new();
            d.encode(&mut tpdu).map_err(|e| e.to_string())?;
            pdus.push(self.with_smsc(tpdu));
        }
        Ok(pdus)
    }

    /// A TPDU with the profile's SMSC in front, as PDU-mode octets, and its
    /// length.
    pub(super) fn with_smsc(&self, tpdu: Vec<u8>) -> (Vec<u8>, usize) {
        let smsc = Address::parse_number(self.cfg.profile.smsc).ok();
        let pdu = Pdu { smsc, tpdu };
        (pdu.encode(), pdu.tpdu_len())
    }

    /// Delivers a raw PDU (PDU-mode hex, SMSC prefix first); its type (deliver
    /// or status report) follows its TP-MTI. The PDU joins the queue.
    pub fn deliver_pdu(&mut self, hex: &str) -> Result<(), String> {
        let bytes = pdumode::from_hex(hex.trim()).map_err(|e| e.to_string())?;
        let pdu = Pdu::decode(&bytes).map_err(|e| e.to_string())?;
        let kind = match Tpdu::decode(&pdu.tpdu, Direction::MobileTerminated) {
            Ok(Tpdu::StatusReport(_)) => IncomingKind::Report,
            Ok(_) => IncomingKind::Deliver,
            Err(e) => return Err(e.to_string()),
        };
        self.incoming.push_back(Incoming {
            kind,
            tpdu_len: pdu.tpdu.len(),
            pdu: bytes,
        });
        self.pump();
        Ok(())
    }

    /// The network reports on the send with `mr` (TP-ST `status`); `to`
    /// overrides the recipient taken from the sent message. The report joins
    /// the queue.
    pub fn status_report(&mut self, mr: u8, status: u8, to: Option<&str>) -> Result<(), String> {
        let ra = match to {
            Some(t) => parse_sender(t)?,
            None => {
                let sent = self
                    .sent
                    .iter()
                    .rev()
                    .find(|s| s.mr == mr)
                    .ok_or_else(|| format!("no sent message with mr {mr}; give \"to\""))?;
                parse_sender(&sent.to)?
            }
        };
        let tpdu = self.report_tpdu(mr, status, ra)?;
        self.enqueue(IncomingKind::Report, tpdu);
        self.pump();
        Ok(())
    }

    /// An SMS-STATUS-REPORT TPDU for `mr`, time-stamped now.
    pub(super) fn report_tpdu(&self, mr: u8, status: u8, ra: Address) -> Result<Vec<u8>, String> {
        let now = (self.cfg.clock)();
        let r = StatusReport {
            more_messages: false,
            lp: false,
            srq: false,
            mr,
            ra,
            scts: now,
            dt: now,
            st: Status(status),
            pid: None,
            dcs: None,
            ud: None,
        };
        let mut tpdu = Vec::new();
        r.encode(&mut tpdu).map_err(|e| e.to_string())?;
        Ok(tpdu)
    }

    /// A TPDU from the network joins the queue.
    fn enqueue(&mut self, kind: IncomingKind, tpdu: Vec<u8>) {
        let (pdu, tpdu_len) = self.with_smsc(tpdu);
        self.incoming.push_back(Incoming {
            kind,
            pdu,
            tpdu_len,
        });
    }

    /// Hands waiting messages to the modem, in order, as far as its state
    /// allows; called after anything that may let one through.
    pub(super) fn pump(&mut self) {
        while let Some(front) = self.incoming.front().cloned() {
            if self.quiet() || self.sms_starting || !registered(self.reg_stat()) {
                return;
            }
            let (direct, prefix) = match front.kind {
                IncomingKind::Deliver => (self.set.cnmi[1] == 2, "+CMT: ,"),
                IncomingKind::Report => (self.set.cnmi[3] == 1, "+CDS: "),
            };
            let dropped = front.kind == IncomingKind::Report && self.set.cnmi[3] == 0;
            if dropped {
                // ds=0: no status report is routed to the host.
                self.counters.reports += 1;
                self.incoming.pop_front();
                continue;
            }
            if direct {
                if self.set.csms == 1 && self.awaiting_cnma {
                    return;
                }
                let text = format!(
                    "{prefix}{}\r\n{}",
                    front.tpdu_len,
                    pdumode::to_hex(&front.pdu)
                );
                self.urc(&text);
                if self.set.csms == 1 {
                    self.awaiting_cnma = true;
                }
            } else {
                let report = front.kind == IncomingKind::Report;
                let (mem, when_full) = self.memories.destination(report);
                let stored = self.memories.get_mut(mem).store(Stored {
                    stat: 0,
                    pdu: front.pdu,
                    tpdu_len: front.tpdu_len,
                });
                match (stored, when_full) {
                    (Some(i), _) => {
                        let name = mem.name();
                        match front.kind {
                            IncomingKind::Deliver if matches!(self.set.cnmi[1], 1 | 3) => {
                                self.urc(&format!("+CMTI: \"{name}\",{i}"));
                            }
                            IncomingKind::Report => self.urc(&format!("+CDSI: \"{name}\",{i}")),
                            IncomingKind::Deliver => {}
                        }
                    }
                    // The module has acknowledged the report to the network
                    // and has nowhere to put it: it is gone.
                    (None, WhenFull::Drop) => self.counters.dropped_reports += 1,
                    (None, WhenFull::Hold) => {
                        if !self.memory_full_told {
                            self.memory_full_told = true;
                            if let Some(u) = self.cfg.profile.memory_full_urc {
                                self.urc(u);
                            }
                        }
                        return;
                    }
                }
            }
            match front.kind {
                IncomingKind::Deliver => self.counters.received += 1,
                IncomingKind::Report => self.counters.reports += 1,
            }
            self.incoming.pop_front();
        }
    }
}

/// Text forced into UCS-2: one part of up to 70 UTF-16 units, or parts of
/// up to 67 with an 8-bit concatenation header; a surrogate pair never
/// straddles two parts.
fn ucs2_parts(text: &str, reference: u16) -> Result<Vec<UserData>, String> {
    if text.is_empty() {
        return Err("empty text".into());
    }
    if text.encode_utf16().count() <= 70 {
        return Ok(vec![UserData::ucs2(text)]);
    }
    let mut chunks: Vec<String> = vec![String::new()];
    let mut units = 0;
    for c in text.chars() {
        if units + c.len_utf16() > 67 {
            chunks.push(String::new());
            units = 0;
        }
        units += c.len_utf16();
        if let Some(last) = chunks.last_mut() {
            last.push(c);
        }
    }
    let total = u8::try_from(chunks.len()).map_err(|_| "text needs more than 255 parts")?;
    Ok(chunks
        .iter()
        .zip(1..=total)
        .map(|(chunk, sequence)| {
            let mut ud = UserData::ucs2(chunk);
            ud.udh = Some(Udh {
                ies: vec![Ie::Concat(Concat {
                    reference,
                    total,
                    sequence,
                    wide: false,
                })],
            });
            ud
        })
        .collect())
}

/// A sender or recipient as given in a request: a number (`+8190…`,
/// international with `+`) or, otherwise, an alphanumeric name (`Shop`).
pub(super) fn parse_sender(from: &str) -> Result<Address, String> {
    let numeric = from
        .strip_prefix('+')
        .unwrap_or(from)
        .chars()
        .all(|c| c.is_ascii_digit());
    if numeric && !from.is_empty() {
        Address::parse_number(from).map_err(|e| e.to_string())
    } else {
        Address::alphanumeric(from).map_err(|e| e.to_string())
    }
}
