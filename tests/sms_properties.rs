//! Property tests of the codec: packing, segmentation, reassembly and
//! decoding of arbitrary input.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use smsgate::sms::Alphabet;
use smsgate::sms::address::Address;
use smsgate::sms::compose::{Compose, compose};
use smsgate::sms::gsm7::Charset;
use smsgate::sms::pdumode;
use smsgate::sms::reassembly::join;
use smsgate::sms::segment::{self, Options};
use smsgate::sms::tpdu::{Direction, Tpdu};
use smsgate::sms::udh::Udh;
use smsgate::sms::userdata::{Body, MAX_OCTETS, MAX_SEPTETS};

/// Text drawn from the alphabets support desks see: ASCII, the GSM
/// extension characters, Latin accents, kana, kanji, full-width forms and
/// emoji, and now and then anything at all.
fn text() -> impl Strategy<Value = String> {
    let gsm = prop::sample::select(
        "abcXYZ 0123456789.,!?@£$¥èéΔΩ€[]{}|^~\\\n"
            .chars()
            .collect::<Vec<_>>(),
    );
    let wide = prop::sample::select(
        "あいうアイウ漢字ＳＴＯＰ１２ç😀👍🏽🇯🇵"
            .chars()
            .collect::<Vec<_>>(),
    );
    let ch = prop_oneof![8 => gsm, 2 => wide, 1 => any::<char>()];
    prop::collection::vec(ch, 1..700).prop_map(|v| v.into_iter().collect())
}

fn gsm_text() -> impl Strategy<Value = String> {
    let gsm = prop::sample::select("ab Z09.,@£ΔΩ€[]{}|^~\\".chars().collect::<Vec<_>>());
    prop::collection::vec(gsm, 1..700).prop_map(|v| v.into_iter().collect())
}

/// Every part through the wire: SUBMIT, PDU-mode hex, decode, reassemble.
fn round_trip(text: &str, opts: &Options) -> String {
    let c = Compose {
        status_report: true,
        segment: opts.clone(),
        ..Compose::to(Address::parse_number("+819012345678").unwrap())
    };
    let pdus = compose(text, &c).expect("compose");
    let mut parts = Vec::new();
    // Decoded in reverse, as parts may arrive out of order; joined in sequence order.
    for pdu in pdus.iter().rev() {
        let hex = pdu.to_hex();
        let (_, decoded) = pdumode::decode_hex(&hex, true).expect("decode");
        let Tpdu::Submit(s) = decoded else {
            panic!("not a submit")
        };
        let seq =
            s.ud.udh
                .as_ref()
                .and_then(Udh::concat)
                .map_or(1, |c| c.sequence);
        parts.push((seq, s.ud.body));
    }
    parts.sort_by_key(|(seq, _)| *seq);
    let seqs: Vec<u8> = parts.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (1..=parts.len() as u8).collect::<Vec<_>>(),
        "every part once"
    );
    let bodies: Vec<&Body> = parts.iter().map(|(_, b)| b).collect();
    join(&bodies).0.expect("text")
}

fn part_units(body: &Body) -> usize {
    match body {
        Body::Gsm7 { septets, .. } => septets.len(),
        Body::Ucs2(b) | Body::Data(b) => b.len() / 2,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn segment_then_reassemble_gives_the_text_back(t in text(), ref16 in any::<bool>(), reference in any::<u16>()) {
        let opts = Options { reference, ref16, ..Options::default() };
        prop_assert_eq!(round_trip(&t, &opts), t);
    }

    /// Greedy filling is optimal for in-order packing exactly when no part
    /// could also have taken the next part's first character; together with
    /// the alphabet rule that makes the part count the minimum.
    #[test]
    fn part_count_is_optimal(t in prop_oneof![text(), gsm_text()], ref16 in any::<bool>()) {
        let opts = Options { ref16, ..Options::default() };
        let parts = segment::split(&t, &opts).unwrap();
        let gsm_ok = t.chars().all(|c| Charset::DEFAULT.encode_char(c).is_some());
        let multi = parts.len() > 1;
        let header = if multi { 6 + usize::from(ref16) } else { 0 };
        for ud in &parts {
            match &ud.body {
                Body::Gsm7 { .. } => prop_assert!(gsm_ok),
                Body::Ucs2(_) => prop_assert!(!gsm_ok, "UCS-2 used for a GSM text"),
                Body::Data(_) => prop_assert!(false, "data part"),
            }
            let mut wire = Vec::new();
            ud.encode(&mut wire).unwrap();
            prop_assert!(wire.len() - 1 <= MAX_OCTETS);
        }
        let (cap, cost): (usize, fn(char) -> usize) = if gsm_ok {
            (MAX_SEPTETS - (header * 8).div_ceil(7), |c| Charset::DEFAULT.septets(c).unwrap())
        } else {
            ((MAX_OCTETS - header) / 2, char::len_utf16)
        };
        if !multi {
            return Ok(());
        }
        let total: usize = t.chars().map(cost).sum();
        let single = if gsm_ok { MAX_SEPTETS } else { MAX_OCTETS / 2 };
        prop_assert!(total > single, "split a text that fits one part");
        for pair in parts.windows(2) {
            let next_first = pair[1].text().unwrap().chars().next().unwrap();
            prop_assert!(part_units(&pair[0].body) + cost(next_first) > cap, "a part had room for the next character");
        }
    }

    /// The composer's counter and the gateway agree: `count` gives the part
    /// count and alphabet `split` sends, its units are the parts' units, and
    /// the last part's free room is what `split` left in it.
    #[test]
    fn count_agrees_with_split(t in prop_oneof![text(), gsm_text()], ref16 in any::<bool>()) {
        let opts = Options { ref16, ..Options::default() };
        let n = segment::count(&t, &opts);
        let parts = segment::split(&t, &opts).unwrap();
        prop_assert_eq!(n.parts, parts.len());
        prop_assert_eq!(n.alphabet, segment::plan(&t, &opts).unwrap().alphabet);
        let units: Vec<usize> = parts.iter().map(|p| part_units(&p.body)).collect();
        prop_assert_eq!(n.units, units.iter().sum::<usize>());
        prop_assert_eq!(n.remaining, n.per_part - units.last().copied().unwrap());
        for (i, ud) in parts.iter().enumerate() {
            let ok = match &ud.body {
                Body::Gsm7 { .. } => n.alphabet == Alphabet::Gsm7,
                Body::Ucs2(_) => n.alphabet == Alphabet::Ucs2,
                Body::Data(_) => false,
            };
            prop_assert!(ok, "part {} has another alphabet than {:?}", i, n.alphabet);
            prop_assert!(part_units(&ud.body) <= n.per_part);
        }
        let first_bad = t.chars().enumerate().find(|&(_, c)| Charset::DEFAULT.encode_char(c).is_none());
        prop_assert_eq!(n.forced_by, first_bad);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200), smsc in any::<bool>()) {
        let _ = pdumode::decode(&bytes, smsc, None);
        let _ = pdumode::decode(&bytes, smsc, Some(Direction::MobileTerminated));
        let _ = pdumode::decode(&bytes, smsc, Some(Direction::MobileOriginated));
    }

    #[test]
    fn decoding_mutated_pdus_never_panics(flip in prop::collection::vec((0usize..60, any::<u8>()), 1..6), cut in 0usize..60) {
        // Mutations of a real multipart SUBMIT and a status report.
        for base in [
            "0045000B915121551532F40000A0050003000301986F79B90D4AC3E7F53688FC66BFE5A0799A0E0AB7CB",
            "07914356060013F1065A098136397339F7219011700463802190117004638030",
        ] {
            let mut b = pdumode::from_hex(base).unwrap();
            for (i, v) in &flip {
                if let Some(x) = b.get_mut(*i) { *x ^= v; }
            }
            b.truncate(cut.max(1));
            let _ = pdumode::decode(&b, true, None);
        }
    }

    #[test]
    fn hex_parser_never_panics(s in "\\PC{0,80}") {
        let _ = pdumode::decode_hex(&s, true);
    }
}
