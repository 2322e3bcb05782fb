//! SMS-STATUS-REPORT (TS 23.040 §9.2.2.3).

use crate::sms::address::Address;
use crate::sms::dcs::Dcs;
use crate::sms::error::{DecodeError, EncodeError, Reader};
use crate::sms::timestamp::Timestamp;
use crate::sms::userdata::UserData;

use super::bit;

/// SMS-STATUS-REPORT: what became of a message sent with TP-SRR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// TP-MMS inverted: more messages are waiting at the service centre.
    pub more_messages: bool,
    /// TP-LP, loop prevention.
    pub lp: bool,
    /// TP-SRQ: this reports on an SMS-COMMAND (true) or an SMS-SUBMIT.
    pub srq: bool,
    /// TP-MR of the message reported on.
    pub mr: u8,
    /// TP-RA, the recipient address of that message.
    pub ra: Address,
    /// TP-SCTS, when the service centre received that message.
    pub scts: Timestamp,
    /// TP-DT, discharge time: when the status below was reached.
    pub dt: Timestamp,
    /// TP-ST, the status.
    pub st: Status,
    /// TP-PID, if TP-PI announced it.
    pub pid: Option<u8>,
    /// TP-DCS, if TP-PI announced it.
    pub dcs: Option<Dcs>,
    /// TP-UD, if TP-PI announced it.
    pub ud: Option<UserData>,
}

/// TP-ST (§9.2.3.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub u8);

/// What a TP-ST value means for the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusClass {
    /// 0x00-0x1F: transaction completed (0x00 delivered).
    Completed,
    /// 0x20-0x3F: temporary error, the service centre still tries.
    Pending,
    /// 0x40-0x5F: permanent error, no more attempts.
    Failed,
    /// 0x60-0x7F: temporary error, the service centre stopped trying.
    Expired,
}

impl Status {
    pub fn class(self) -> StatusClass {
        match self.0 & 0x7F {
            0x00..=0x1F => StatusClass::Completed,
            0x20..=0x3F => StatusClass::Pending,
            0x40..=0x5F => StatusClass::Failed,
            _ => StatusClass::Expired,
        }
    }

    /// The message reached the recipient (0x00-0x02: received, forwarded
    /// with unconfirmed delivery, replaced).
    pub fn delivered(self) -> bool {
        self.0 <= 0x02
    }
}

const FIELD: &str = "status_report";

impl StatusReport {
    pub fn decode(bytes: &[u8]) -> Result<StatusReport, DecodeError> {
        let mut r = Reader::new(bytes);
        let first = r.u8(FIELD)?;
        let at = |e: DecodeError| e.within(FIELD, 0);
        let mr = r.u8("mr").map_err(at)?;
        let ra = r.field("ra", Address::decode).map_err(at)?;
        let scts = r.field("scts", Timestamp::decode).map_err(at)?;
        let dt = r.field("dt", Timestamp::decode).map_err(at)?;
        let st = Status(r.u8("st").map_err(at)?);
        // TP-PI and what it announces are optional (§9.2.2.3); a report that
        // ends after TP-ST is complete. Bit 7 extends TP-PI: skip the rest.
        let (mut pid, mut dcs, mut ud) = (None, None, None);
        if !r.remaining().is_empty() {
            let mut pi = r.u8("pi").map_err(at)?;
            let first_pi = pi;
            while pi & 0x80 != 0 {
                pi = r.u8("pi").map_err(at)?;
            }
            if bit(first_pi, 0) {
                pid = Some(r.u8("pid").map_err(at)?);
            }
            if bit(first_pi, 1) {
                dcs = Some(Dcs(r.u8("dcs").map_err(at)?));
            }
            if bit(first_pi, 2) {
                let d = dcs.unwrap_or_default();
                ud = Some(
                    r.field("ud", |b| UserData::decode(d, bit(first, 6), b))
                        .map_err(at)?,
                );
            }
        }
        Ok(StatusReport {
            more_messages: !bit(first, 2),
            lp: bit(first, 3),
            srq: bit(first, 5),
            mr,
            ra,
            scts,
            dt,
            st,
            pid,
            dcs,
            ud,
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let udhi = self.ud.as_ref().is_some_and(|u| u.udh.is_some());
        out.push(
            0x02 | u8::from(!self.more_messages) << 2
                | u8::from(self.lp) << 3
                | u8::from(self.srq) << 5
                | u8::from(udhi) << 6,
        );
        out.push(self.mr);
        self.ra.encode(out);
        self.scts.encode(out);
        self.dt.encode(out);
        out.push(self.st.0);
        let pi = u8::from(self.pid.is_some())
            | u8::from(self.dcs.is_some()) << 1
            | u8::from(self.ud.is_some()) << 2;
        if pi != 0 {
            out.push(pi);
            if let Some(pid) = self.pid {
                out.push(pid);
            }
            if let Some(dcs) = self.dcs {
                out.push(dcs.0);
            }
            if let Some(ud) = &self.ud {
                ud.encode(out)?;
            }
        }
        Ok(())
    }
}
