//! Composing a text into the PDUs `AT+CMGS` takes: segmentation, one
//! SMS-SUBMIT per part, the PDU-mode SMSC prefix.

use super::address::Address;
use super::dcs::Dcs;
use super::error::EncodeError;
use super::pdumode::Pdu;
use super::segment::{self, Options};
use super::tpdu::Submit;
use super::validity::ValidityPeriod;

/// Everything about an outgoing message but its text.
#[derive(Debug, Clone)]
pub struct Compose {
    /// TP-DA.
    pub to: Address,
    /// SMSC for the prefix; None uses the modem's (`00`).
    pub smsc: Option<Address>,
    /// TP-SRR.
    pub status_report: bool,
    /// Message class 0..=3.
    pub class: Option<u8>,
    pub validity: Option<ValidityPeriod>,
    pub segment: Options,
}

impl Compose {
    pub fn to(to: Address) -> Compose {
        Compose {
            to,
            smsc: None,
            status_report: false,
            class: None,
            validity: None,
            segment: Options::default(),
        }
    }
}

/// The PDUs for `text`, one per part, in order.
pub fn compose(text: &str, c: &Compose) -> Result<Vec<Pdu>, EncodeError> {
    if let Some(class) = c.class.filter(|&k| k > 3) {
        return Err(EncodeError::InvalidClass(class));
    }
    segment::split(text, &c.segment)?
        .into_iter()
        .map(|ud| {
            let submit = Submit {
                rd: false,
                srr: c.status_report,
                rp: false,
                mr: 0,
                da: c.to.clone(),
                pid: 0,
                dcs: Dcs::new(ud.body.alphabet(), c.class),
                vp: c.validity,
                ud,
            };
            let mut tpdu = Vec::with_capacity(160);
            submit.encode(&mut tpdu)?;
            Ok(Pdu {
                smsc: c.smsc.clone(),
                tpdu,
            })
        })
        .collect()
}
