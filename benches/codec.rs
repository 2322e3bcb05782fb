//! Codec throughput: decode and segment+encode of realistic messages.
//! `cargo bench --bench codec`; figures in docs/benchmarks.md.

// A bench unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smsgate::sms::address::Address;
use smsgate::sms::compose::{Compose, compose};
use smsgate::sms::pdumode::{self, Pdu};
use smsgate::sms::segment::Options;
use smsgate::sms::timestamp::Timestamp;

/// Segments `text` and encodes every part as a PDU-mode hex string, as the
/// gateway does before `AT+CMGS`.
fn encode(text: &str, c: &Compose) -> Vec<String> {
    compose(text, c).unwrap().iter().map(Pdu::to_hex).collect()
}

fn message() -> Compose {
    Compose {
        status_report: true,
        segment: Options {
            reference: 42,
            ..Options::default()
        },
        ..Compose::to(Address::parse_number("+819012345678").unwrap())
    }
}

fn texts() -> [(&'static str, String); 3] {
    let gsm160: String = "Your appointment at Sakura Dental is confirmed for Tue 14:30. Reply C to cancel, R to reschedule. Questions? Call 03-1234-5678. Thank you!!!!!!!!!!!!!!!!!!!!!"
        .chars()
        .cycle()
        .take(160)
        .collect();
    let jp70: String = "お問い合わせありがとうございます。担当者が確認のうえ、営業時間内に折り返しご連絡いたします。今しばらくお待ちください。よろしくお願いします"
        .chars()
        .cycle()
        .take(70)
        .collect();
    let mixed: String =
        "Order #4711 shipped 📦 — 配送状況はこちら: https://example.jp/t/4711 ありがとう😀! "
            .chars()
            .cycle()
            .take(1000)
            .collect();
    assert_eq!(gsm160.chars().count(), 160);
    assert_eq!(jp70.chars().count(), 70);
    [
        ("gsm_160", gsm160),
        ("japanese_70", jp70),
        ("mixed_emoji_1000", mixed),
    ]
}

fn bench_encode(c: &mut Criterion) {
    let c_ = message();
    let mut g = c.benchmark_group("segment_encode");
    g.throughput(Throughput::Elements(1));
    for (name, text) in texts() {
        g.bench_function(name, |b| b.iter(|| encode(black_box(&text), &c_)));
    }
    g.finish();
}

fn bench_decode(c: &mut Criterion) {
    let msg = message();
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(1));
    for (name, text) in texts() {
        // A received message: the first part as an SMS-DELIVER in hex, as
        // `+CMGR` prints it.
        let submit_hex = encode(&text, &msg).remove(0);
        let (_, t) = pdumode::decode_hex(&submit_hex, true).unwrap();
        let smsgate::sms::Tpdu::Submit(s) = t else {
            unreachable!()
        };
        let deliver = smsgate::sms::Deliver {
            more_messages: false,
            lp: false,
            sri: false,
            rp: false,
            oa: s.da,
            pid: 0,
            dcs: s.dcs,
            scts: Timestamp {
                year: 2026,
                month: 11,
                day: 23,
                hour: 9,
                minute: 15,
                second: 0,
                tz_quarters: 36,
            },
            ud: s.ud,
        };
        let mut tpdu = Vec::new();
        deliver.encode(&mut tpdu).unwrap();
        let hex = Pdu {
            smsc: Some(Address::parse_number("+8190000000").unwrap()),
            tpdu,
        }
        .to_hex();
        g.bench_function(name, |b| {
            b.iter(|| {
                let (_, t) = pdumode::decode_hex(black_box(&hex), true).unwrap();
                match t {
                    smsgate::sms::Tpdu::Deliver(d) => d.ud.text(),
                    _ => None,
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_decode, bench_encode);
criterion_main!(benches);
