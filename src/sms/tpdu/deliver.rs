//! SMS-DELIVER (TS 23.040 §9.2.2.1).

use crate::sms::address::Address;
use crate::sms::dcs::Dcs;
use crate::sms::error::{DecodeError, EncodeError, Reader};
use crate::sms::timestamp::Timestamp;
use crate::sms::userdata::UserData;

use super::bit;

/// SMS-DELIVER: a message from the service centre to the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver {
    /// TP-MMS inverted: more messages are waiting at the service centre.
    pub more_messages: bool,
    /// TP-LP, loop prevention.
    pub lp: bool,
    /// TP-SRI, a status report will be returned to the sender.
    pub sri: bool,
    /// TP-RP, reply path.
    pub rp: bool,
    /// TP-OA, the originating address.
    pub oa: Address,
    /// TP-PID, protocol identifier.
    pub pid: u8,
    /// TP-DCS, data coding scheme.
    pub dcs: Dcs,
    /// TP-SCTS, the service centre time stamp.
    pub scts: Timestamp,
    /// TP-UD with its header; TP-UDHI is set when it has one.
    pub ud: UserData,
}

const FIELD: &str = "deliver";

impl Deliver {
    pub fn decode(bytes: &[u8]) -> Result<Deliver, DecodeError> {
        let mut r = Reader::new(bytes);
        let first = r.u8(FIELD)?;
        let oa = r
            .field("oa", Address::decode)
            .map_err(|e| e.within(FIELD, 0))?;
        let pid = r.u8("pid").map_err(|e| e.within(FIELD, 0))?;
        let dcs = Dcs(r.u8("dcs").map_err(|e| e.within(FIELD, 0))?);
        let scts = r
            .field("scts", Timestamp::decode)
            .map_err(|e| e.within(FIELD, 0))?;
        let ud = r
            .field("ud", |d| UserData::decode(dcs, bit(first, 6), d))
            .map_err(|e| e.within(FIELD, 0))?;
        Ok(Deliver {
            more_messages: !bit(first, 2),
            lp: bit(first, 3),
            sri: bit(first, 5),
            rp: bit(first, 7),
            oa,
            pid,
            dcs,
            scts,
            ud,
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let first = u8::from(!self.more_messages) << 2
            | u8::from(self.lp) << 3
            | u8::from(self.sri) << 5
            | u8::from(self.ud.udh.is_some()) << 6
            | u8::from(self.rp) << 7;
        out.push(first);
        self.oa.encode(out);
        out.push(self.pid);
        out.push(self.dcs.0);
        self.scts.encode(out);
        self.ud.encode(out)
    }
}
