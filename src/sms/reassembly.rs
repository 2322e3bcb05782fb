//! Reassembly: the bodies of concatenated parts to one text (TS 23.040 §9.2.3.24.1).
//!
//! Which parts belong together is decided where they are kept: the service's store keys parts
//! by (modem, sender, reference, total) and completes a message in SQL, so it survives a
//! restart; `smsgate modem read` groups what a modem's memory holds. Both then need the same
//! thing from the codec: the parts' bodies, in sequence order, decoded as one text. The text is
//! decoded from the joined code units, so an escape or surrogate pair that a broken sender split
//! across parts is rejoined.

use super::gsm7::Charset;
use super::ucs2;
use super::userdata::Body;

/// Joins part bodies (in sequence order) and decodes them. Bodies of one
/// alphabet and table set are joined in code units first.
pub fn join(bodies: &[&Body]) -> (Option<String>, Option<Vec<u8>>) {
    match bodies.first() {
        Some(Body::Gsm7 { charset, .. }) if same_gsm7(bodies, *charset) => {
            let mut septets = Vec::new();
            for b in bodies {
                if let Body::Gsm7 { septets: s, .. } = b {
                    septets.extend_from_slice(s);
                }
            }
            let mut text = String::new();
            charset.decode(&septets, &mut text);
            (Some(text), None)
        }
        Some(Body::Ucs2(_)) if bodies.iter().all(|b| matches!(b, Body::Ucs2(_))) => {
            let mut octets = Vec::new();
            for b in bodies {
                if let Body::Ucs2(o) = b {
                    octets.extend_from_slice(o);
                }
            }
            let mut text = String::new();
            ucs2::decode(&octets, &mut text);
            (Some(text), None)
        }
        Some(Body::Data(_)) if bodies.iter().all(|b| matches!(b, Body::Data(_))) => {
            let mut data = Vec::new();
            for b in bodies {
                if let Body::Data(d) = b {
                    data.extend_from_slice(d);
                }
            }
            (None, Some(data))
        }
        // Mixed alphabets: decode each on its own.
        _ => (Some(bodies.iter().filter_map(|b| b.text()).collect()), None),
    }
}

fn same_gsm7(bodies: &[&Body], cs: Charset) -> bool {
    bodies
        .iter()
        .all(|b| matches!(b, Body::Gsm7 { charset, .. } if *charset == cs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::segment::{Options, split};

    #[test]
    fn join_table() {
        let long_gsm = "The quick brown fox jumps over the lazy dog. [€] ".repeat(8);
        let long_jp =
            "お問い合わせありがとうございます。担当者より折り返しご連絡いたします😀".repeat(4);
        for (name, text) in [
            ("gsm with escapes", long_gsm),
            ("japanese with emoji", long_jp),
        ] {
            let parts = split(&text, &Options::default()).unwrap();
            assert!(parts.len() > 1, "{name}: several parts");
            let bodies: Vec<&Body> = parts.iter().map(|p| &p.body).collect();
            assert_eq!(join(&bodies), (Some(text.clone()), None), "{name}");
        }
        let data = [Body::Data(vec![1, 2]), Body::Data(vec![3])];
        assert_eq!(
            join(&data.iter().collect::<Vec<_>>()),
            (None, Some(vec![1, 2, 3]))
        );
        assert_eq!(join(&[]), (Some(String::new()), None));
    }

    #[test]
    fn split_surrogate_pair_is_rejoined() {
        // A broken sender cut 😀 (D83D DE00) between two parts.
        let p1 = Body::Ucs2(vec![0x30, 0x42, 0xD8, 0x3D]);
        let p2 = Body::Ucs2(vec![0xDE, 0x00]);
        assert_eq!(join(&[&p1, &p2]).0.as_deref(), Some("あ😀"));
    }
}
