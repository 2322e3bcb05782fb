//! SMS-SUBMIT (TS 23.040 §9.2.2.2).

use crate::sms::address::Address;
use crate::sms::dcs::Dcs;
use crate::sms::error::{DecodeError, EncodeError, Reader};
use crate::sms::userdata::UserData;
use crate::sms::validity::ValidityPeriod;

use super::bit;

/// SMS-SUBMIT: a message from the phone to the service centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    /// TP-RD, reject duplicates of a message still held by the service centre.
    pub rd: bool,
    /// TP-SRR, a status report is requested.
    pub srr: bool,
    /// TP-RP, reply path.
    pub rp: bool,
    /// TP-MR, message reference (the modem usually assigns it).
    pub mr: u8,
    /// TP-DA, the destination address.
    pub da: Address,
    /// TP-PID, protocol identifier.
    pub pid: u8,
    /// TP-DCS, data coding scheme.
    pub dcs: Dcs,
    /// TP-VP, validity period; its format sets TP-VPF.
    pub vp: Option<ValidityPeriod>,
    /// TP-UD with its header; TP-UDHI is set when it has one.
    pub ud: UserData,
}

const FIELD: &str = "submit";

impl Submit {
    pub fn decode(bytes: &[u8]) -> Result<Submit, DecodeError> {
        let mut r = Reader::new(bytes);
        let first = r.u8(FIELD)?;
        let at = |e: DecodeError| e.within(FIELD, 0);
        let mr = r.u8("mr").map_err(at)?;
        let da = r.field("da", Address::decode).map_err(at)?;
        let pid = r.u8("pid").map_err(at)?;
        let dcs = Dcs(r.u8("dcs").map_err(at)?);
        let vp = r
            .field("vp", |d| ValidityPeriod::decode((first >> 3) & 3, d))
            .map_err(at)?;
        let ud = r
            .field("ud", |d| UserData::decode(dcs, bit(first, 6), d))
            .map_err(at)?;
        Ok(Submit {
            rd: bit(first, 2),
            srr: bit(first, 5),
            rp: bit(first, 7),
            mr,
            da,
            pid,
            dcs,
            vp,
            ud,
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let first = 0x01
            | u8::from(self.rd) << 2
            | ValidityPeriod::vpf(self.vp.as_ref()) << 3
            | u8::from(self.srr) << 5
            | u8::from(self.ud.udh.is_some()) << 6
            | u8::from(self.rp) << 7;
        out.push(first);
        out.push(self.mr);
        self.da.encode(out);
        out.push(self.pid);
        out.push(self.dcs.0);
        if let Some(vp) = &self.vp {
            vp.encode(out);
        }
        self.ud.encode(out)
    }
}
