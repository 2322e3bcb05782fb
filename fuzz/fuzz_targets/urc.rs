//! Any bytes as URC lines: `urc::classify` and `urc::parse` never panic and agree with each
//! other, and so do the value parsers shared with solicited replies.
//!
//! The input is decoded lossily and split at line ends: the first line is a header, the rest
//! its trailing lines. Every line is also tried on its own, and the raw bytes go through the
//! framer first, as the client reads them, with each URC header given the lines after it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::at::framer::{Frame, Framer};
use smsgate::at::urc::{
    self, PinState, RegKind, Registration, SignalQuality, Urc, UrcKind, any_registered,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split(['\r', '\n']).collect();
    let (header, trailing) = lines.split_first().map_or(("", &[][..]), |(h, t)| (*h, t));
    check(header, trailing);
    for line in &lines {
        check::<&str>(line, &[]);
        for kind in [RegKind::Creg, RegKind::Cgreg, RegKind::Cereg] {
            if let Ok(r) = Registration::parse(kind, line) {
                let _ = any_registered([&r]);
                let _ = format!("{r:?}");
            }
        }
        let _ = PinState::parse(line);
        if let Ok(q) = SignalQuality::parse(line) {
            let _ = q.rssi_dbm();
        }
    }

    // As the client sees them: framed lines, a header followed by the lines it asks for.
    let mut framer = Framer::new();
    framer.push(data);
    let framed: Vec<String> = framer
        .frames()
        .filter_map(|f| match f {
            Frame::Line(l) => Some(l),
            _ => None,
        })
        .collect();
    for (i, line) in framed.iter().enumerate() {
        let needed = urc::classify(line).map_or(0, |h| h.trailing_lines);
        let rest = &framed[i + 1..];
        check(line, &rest[..needed.min(rest.len())]);
    }
});

/// Parses `header` with `trailing` and checks the result against `classify`.
fn check<S: AsRef<str>>(header: &str, trailing: &[S]) {
    let class = urc::classify(header);
    if let Some(h) = class {
        assert!(
            h.trailing_lines <= 1,
            "{header:?} wants {} lines",
            h.trailing_lines
        );
    }
    match urc::parse(header, trailing) {
        Ok(Urc::Other(s)) => {
            assert!(
                class.is_none(),
                "{header:?} is {class:?} but parsed as Other"
            );
            assert_eq!(s, header.trim());
        }
        Ok(u) => {
            let h = class.unwrap_or_else(|| panic!("{header:?} not a URC but parsed as {u:?}"));
            assert!(trailing.len() >= h.trailing_lines);
            let _ = (u.signals_sms_ready(), u.signals_reset(), format!("{u:?}"));
            // A URC with a PDU line carries that line, trimmed, as its PDU.
            let pdu = match &u {
                Urc::Cmt { pdu, .. } | Urc::Cds { pdu, .. } | Urc::Cbm { pdu, .. } => Some(pdu),
                _ => None,
            };
            if let Some(pdu) = pdu {
                assert!(matches!(h.kind, UrcKind::Cmt | UrcKind::Cds | UrcKind::Cbm));
                assert_eq!(
                    Some(pdu.as_str()),
                    trailing.first().map(|l| l.as_ref().trim())
                );
                assert!(!pdu.is_empty() && pdu.bytes().all(|b| b.is_ascii_hexdigit()));
            }
        }
        Err(e) => {
            assert!(class.is_some(), "{header:?} is not a URC but failed: {e}");
            let _ = e.to_string();
        }
    }
}
