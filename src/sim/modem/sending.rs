//! Sending and writing: what the PDU after the prompt becomes.
//!
//! After `AT+CMGW` the PDU is stored in `<mem2>` at once (`+CMGW: <i>`).
//! After `AT+CMGS` it goes to the network, which answers after
//! [`ModemConfig::send_delay`](super::ModemConfig::send_delay): the modem is
//! busy meanwhile, as a real one waits for the SMSC, so a host that writes
//! the next command before `+CMGS: <mr>` gets its answer only after it, and
//! URCs wait too. The TP-MR counts sends and wraps at 255. A send asking
//! for a status report (TP-SRR) gets one after
//! [`ModemConfig::report_delay`](super::ModemConfig::report_delay).
//!
//! The send faults act here: no network (`+CMS ERROR`, the profile's code
//! for it), injected CMS errors, and the silent send that leaves the host
//! unable to know whether its message went.

use super::errors::Fail;
use super::line::Mode;
use super::memory::Stored;
use super::network::registered;
use super::{Effect, Modem, Sent, Timer};
use crate::sms::pdumode::{self, Pdu};
use crate::sms::tpdu::{Direction, Tpdu};

impl Modem {
    /// The PDU after the prompt, ended by Ctrl-Z: `write` is `AT+CMGW`'s
    /// `<stat>` (None for `AT+CMGS`), `len` the TPDU length the command
    /// announced (SMSC address excluded, 27.005 §4.3); a PDU of another
    /// length is refused with CMS 304.
    pub(super) fn submit(&mut self, write: Option<u8>, len: usize, hex: &[u8]) {
        let hex: String = hex
            .iter()
            .filter(|b| !b.is_ascii_whitespace())
            .map(|&b| char::from(b))
            .collect();
        let parsed = pdumode::from_hex(&hex)
            .ok()
            .and_then(|bytes| Pdu::decode(&bytes).ok())
            .filter(|pdu| pdu.tpdu.len() == len);
        let Some(pdu) = parsed else {
            self.finish(Vec::new(), Err(Fail::Cms(304)));
            return;
        };
        if let Some(stat) = write {
            let Some(i) = self.memories.write().store(Stored {
                stat,
                pdu: pdu.encode(),
                tpdu_len: len,
            }) else {
                self.finish(Vec::new(), Err(Fail::Cms(322)));
                return;
            };
            self.finish(vec![vec![format!("+CMGW: {i}")]], Ok(()));
            return;
        }
        let submit = match Tpdu::decode(&pdu.tpdu, Direction::MobileOriginated) {
            Ok(Tpdu::Submit(s)) => s,
            _ => {
                self.finish(Vec::new(), Err(Fail::Cms(304)));
                return;
            }
        };
        if !registered(self.reg_stat()) {
            self.counters.send_errors += 1;
            let code = self.cfg.profile.cms_no_network;
            self.finish(Vec::new(), Err(Fail::Cms(code)));
            return;
        }
        let result = match self.cms_fault {
            Some((code, count)) if count > 0 => {
                self.cms_fault = (count > 1).then_some((code, count - 1));
                Err(code)
            }
            _ => {
                let mr = self.next_mr;
                self.next_mr = self.next_mr.wrapping_add(1);
                Ok(Sent {
                    mr,
                    to: submit.da.to_string(),
                    text: submit.ud.text(),
                    srr: submit.srr,
                    concat: submit
                        .ud
                        .udh
                        .as_ref()
                        .and_then(|u| u.concat())
                        .map(|c| (c.reference, c.total, c.sequence)),
                    pdu: hex,
                })
            }
        };
        if let Some((duration, delivered)) = self.silent_send.take() {
            // No +CMGS and no error: the host cannot know whether it went.
            match result {
                Ok(sent) if delivered => {
                    self.counters.sends += 1;
                    self.sent.push(sent);
                }
                Ok(_) => self.next_mr = self.next_mr.wrapping_sub(1),
                Err(_) => {}
            }
            self.hang(duration);
            return;
        }
        self.pending_send = Some(result);
        self.mode = Mode::Busy;
        self.fx.push(Effect::Schedule(
            self.cfg.send_delay,
            Timer::SendDone { epoch: self.epoch },
        ));
    }

    /// The network has answered the send in flight: `+CMGS: <mr>` (and a
    /// status report later if it asked for one) or `+CMS ERROR`; input
    /// that waited meanwhile is answered now.
    pub(super) fn send_done(&mut self) {
        let Some(result) = self.pending_send.take() else {
            return;
        };
        self.mode = Mode::Command;
        match result {
            Ok(sent) => {
                self.counters.sends += 1;
                let mr = sent.mr;
                if sent.srr {
                    self.fx.push(Effect::Schedule(
                        self.cfg.report_delay,
                        Timer::StatusReport { mr, status: 0 },
                    ));
                }
                self.sent.push(sent);
                self.finish(vec![vec![format!("+CMGS: {mr}")]], Ok(()));
            }
            Err(code) => {
                self.counters.send_errors += 1;
                self.finish(Vec::new(), Err(Fail::Cms(code)));
            }
        }
        self.process_input();
    }
}
