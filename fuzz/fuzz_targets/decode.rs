//! Any octets, as a PDU with or without an SMSC prefix and in every
//! direction, decode to a value or an error: never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::sms::pdumode;
use smsgate::sms::tpdu::Direction;

fuzz_target!(|data: &[u8]| {
    for with_smsc in [true, false] {
        for dir in [None, Some(Direction::MobileTerminated), Some(Direction::MobileOriginated)] {
            if let Ok((_, tpdu)) = pdumode::decode(data, with_smsc, dir) {
                let _ = format!("{tpdu:?}");
            }
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = pdumode::decode_hex(s, true);
    }
});
