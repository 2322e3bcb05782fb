//! The state snapshot: everything a test or an operator can observe about
//! the simulated modem, as the JSON of `{"cmd":"state"}`.
//!
//! Tests of a host assert on it rather than on the modem's internals: what
//! the host sent (`sent`, with each PDU as written), what the memories hold
//! (decoded, so that a test need not parse PDUs), what the network holds
//! back (`waiting`), the counters, the settings the host has made, and the
//! faults in force. The keys are the control protocol's, described in
//! `src/sim/README.md`; renaming one breaks its users.

use serde_json::{Value, json};

use super::Modem;
use super::memory::{Mem, Stored};
use crate::sms::pdumode;
use crate::sms::tpdu::Tpdu;

impl Modem {
    /// Everything observable, for `{"cmd":"state"}`.
    pub fn state(&self) -> Value {
        let messages = |mem: Mem| -> Vec<Value> {
            self.memories
                .get(mem)
                .messages()
                .map(|(i, m)| stored_json(i, m))
                .collect()
        };
        let memories: serde_json::Map<String, Value> = self
            .memories
            .names()
            .map(|mem| {
                let mm = self.memories.get(mem);
                let v = json!({
                    "capacity": mm.capacity(),
                    "used": mm.used(),
                    "messages": messages(mem),
                });
                (mem.name().to_string(), v)
            })
            .collect();
        let sm = self.memories.get(Mem::Sm);
        let sent: Vec<Value> = self
            .sent
            .iter()
            .map(|s| {
                json!({
                    "mr": s.mr,
                    "to": s.to,
                    "text": s.text,
                    "status_report_requested": s.srr,
                    "concat": s.concat.map(|(r, t, q)| json!({"reference": r, "total": t, "sequence": q})),
                    "pdu": s.pdu,
                })
            })
            .collect();
        let c = &self.counters;
        json!({
            "profile": self.cfg.profile.name,
            // "storage", "capacity" and "used" are the SIM's memory, as
            // before there were others; "memories" has every one.
            "storage": messages(Mem::Sm),
            "capacity": sm.capacity(),
            "used": sm.used(),
            "memories": memories,
            "waiting": self.incoming.len(),
            "sent": sent,
            "next_mr": self.next_mr,
            "counters": {
                "commands": c.commands,
                "unknown_commands": c.unknown,
                "sends": c.sends,
                "send_errors": c.send_errors,
                "received": c.received,
                "status_reports": c.reports,
                "dropped_status_reports": c.dropped_reports,
                "dropped_input_bytes": c.dropped_input,
                "reboots": c.reboots,
            },
            "settings": {
                "echo": self.set.echo,
                "cmee": self.set.cmee,
                "csms": self.set.csms,
                "cnmi": self.set.cnmi,
                "cpms": self.memories.selection().map(Mem::name),
                "creg": self.set.creg,
                "cfun": self.cfun,
                "smsc": self.smsc,
            },
            "sim": self.cpin_state(),
            "registration": self.reg_stat(),
            "rssi": self.effective_rssi(),
            "hung": self.hung,
            "booting": self.booting,
            "sms_starting": self.sms_starting,
            "cms_fault": self.cms_fault.map(|(code, count)| json!({"code": code, "count": count})),
            "silent_send": self.silent_send.map(|(d, delivered)| json!({"seconds": d.as_secs_f64(), "delivered": delivered})),
        })
    }
}

/// One stored message in `state`: `index`, `stat`, `length`, `pdu`, and
/// what its PDU decodes to.
fn stored_json(index: usize, m: &Stored) -> Value {
    let mut v = json!({
        "index": index,
        "stat": m.stat,
        "length": m.tpdu_len,
        "pdu": pdumode::to_hex(&m.pdu),
    });
    match pdumode::decode(&m.pdu, true, None) {
        Ok((_, Tpdu::Deliver(d))) => {
            v["type"] = "deliver".into();
            v["from"] = d.oa.to_string().into();
            v["text"] = d.ud.text().into();
        }
        Ok((_, Tpdu::StatusReport(r))) => {
            v["type"] = "status_report".into();
            v["to"] = r.ra.to_string().into();
            v["reference"] = r.mr.into();
            v["status"] = r.st.0.into();
        }
        Ok((_, Tpdu::Submit(s))) => {
            v["type"] = "submit".into();
            v["to"] = s.da.to_string().into();
            v["text"] = s.ud.text().into();
        }
        Err(_) => {}
    }
    v
}
