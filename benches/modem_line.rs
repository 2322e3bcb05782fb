//! Serial-line benchmark for the modem layer: the simulator behind a model
//! of a 115200-baud line, the modem actor on the host side.
//!
//! `cargo bench --bench modem_line` prints:
//! - line utilisation while sending back to back: bytes on the wire (both
//!   directions; AT is half duplex: command, answer, command) per second
//!   divided by 11,520 (115200 baud, 10 bits a byte);
//! - receive latency: from the last byte of a `+CMTI` URC leaving the line
//!   to the part reaching the receiver (the driver's `AT+CMGR` round trip
//!   included), for a short and a full-length message.
//!
//! The line model sits between the two as a TCP relay (the actor opens it
//! as `tcp://`): each direction carries at most 11,520 bytes a second, timed
//! on a virtual clock so scheduler jitter does not pile up.

// A bench unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use smsgate::modem::actor::{self, ModemConfig, ModemEvent, ModemState};
use smsgate::sim::{Request, SimConfig, Simulator};
use smsgate::sms::Address;
use smsgate::sms::compose::{Compose, compose};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Mutex, mpsc};
use tokio_serial::SerialPortBuilderExt;
use tokio_util::sync::CancellationToken;

const BYTES_PER_SEC: f64 = 11_520.0;

/// `--unpaced` removes the line model, leaving the driver's and the
/// simulator's own time per exchange.
fn unpaced() -> bool {
    std::env::args().any(|a| a == "--unpaced")
}

#[derive(Default)]
struct Line {
    to_modem: AtomicU64,
    to_host: AtomicU64,
    /// When the last byte of the latest `+CMTI` line left the line.
    cmti_at: Mutex<Option<Instant>>,
}

/// Copies `from` to `to` no faster than the line allows; returns when
/// either side closes.
async fn pace<R, W>(mut from: R, mut to: W, counter: &AtomicU64, watch: Option<&Line>)
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    // Small reads keep the model close to byte timing: a chunk is handed on
    // when its last byte would have arrived.
    let mut buf = [0u8; 16];
    let mut free_at = tokio::time::Instant::now();
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // Bytes already waiting when the previous chunk was handed on
        // continue from the line's clock (the timer's millisecond rounding
        // must not add up); after an idle line the clock restarts now.
        let arrived = tokio::time::Instant::now();
        let start = if arrived.saturating_duration_since(free_at) < Duration::from_millis(2) {
            free_at
        } else {
            arrived
        };
        free_at = start + Duration::from_secs_f64(n as f64 / BYTES_PER_SEC);
        if !unpaced() {
            wait_until(free_at).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
        counter.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(line) = watch {
            for &b in &buf[..n] {
                tail.push(b);
                if b == b'\n' {
                    if tail.windows(6).any(|w| w == b"+CMTI:") {
                        *line.cmti_at.lock().await = Some(Instant::now());
                    }
                    tail.clear();
                }
            }
        }
    }
}

/// The timer has millisecond resolution; the last stretch is spun so the
/// model keeps byte timing (a benchmark may burn a little CPU).
async fn wait_until(t: tokio::time::Instant) {
    let coarse = t.checked_sub(Duration::from_micros(1500));
    if let Some(c) = coarse.filter(|c| *c > tokio::time::Instant::now()) {
        tokio::time::sleep_until(c).await;
    }
    while tokio::time::Instant::now() < t {
        tokio::task::yield_now().await;
    }
}

async fn relay(device: String, line: Arc<Line>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tcp.set_nodelay(true).unwrap();
            let Ok(port) = tokio_serial::new(&device, 115_200).open_native_async() else {
                continue;
            };
            let (tr, tw) = tcp.into_split();
            let (pr, pw) = tokio::io::split(port);
            let l1 = line.clone();
            let l2 = line.clone();
            tokio::join!(
                async move { pace(tr, pw, &l1.to_modem, None).await },
                async move { pace(pr, tw, &l2.to_host, Some(&l2)).await },
            );
        }
    });
    addr
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let dir = std::env::temp_dir().join(format!("smsgate-bench-line-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sim = Simulator::spawn(SimConfig {
        echo: false,
        ..SimConfig::new(dir.join("modem"))
    })
    .await
    .unwrap();
    let line = Arc::new(Line::default());
    let addr = relay(sim.link().display().to_string(), line.clone()).await;
    let mut mc = ModemConfig::new("bench", &format!("tcp://{addr}"));
    // Polls would add traffic that is not sending.
    mc.poll_interval = Duration::from_secs(3600);
    let (tx, mut events) = mpsc::channel(64);
    let cancel = CancellationToken::new();
    let (modem, _task) = actor::spawn(mc, tx, None, cancel.clone());
    let mut h = modem.clone();
    while h.status().state != ModemState::Ready {
        let _ = h.changed().await;
    }

    // Sending: full single-part messages back to back.
    let text: String = "Your appointment at Sakura Dental is confirmed for Tue 14:30. Reply C to cancel, R to reschedule. Questions? Call 03-1234-5678. Thank you! "
        .chars()
        .cycle()
        .take(160)
        .collect();
    let pdu = compose(
        &text,
        &Compose::to(Address::parse_number("+819012345678").unwrap()),
    )
    .unwrap()
    .remove(0);
    let n = if quick { 20 } else { 200 };
    let (m0, h0) = (
        line.to_modem.load(Ordering::Relaxed),
        line.to_host.load(Ordering::Relaxed),
    );
    let t0 = Instant::now();
    for _ in 0..n {
        modem.send_part(pdu.tpdu_len(), pdu.to_hex()).await.unwrap();
    }
    let secs = t0.elapsed().as_secs_f64();
    let to_modem = line.to_modem.load(Ordering::Relaxed) - m0;
    let to_host = line.to_host.load(Ordering::Relaxed) - h0;
    let util = (to_modem + to_host) as f64 / secs / BYTES_PER_SEC;
    println!(
        "send: {n} parts of {} TPDU octets in {secs:.2} s ({:.1} parts/s); wire {to_modem} B to the modem + {to_host} B back = {:.0} B/s; utilisation {:.1}% of 11,520 B/s",
        pdu.tpdu_len(),
        n as f64 / secs,
        (to_modem + to_host) as f64 / secs,
        util * 100.0
    );

    // Receiving: time from the last byte of +CMTI to the hand-over.
    for (label, body) in [
        ("short (\"STOP\")", "STOP".to_owned()),
        ("full 160 GSM characters", text.clone()),
    ] {
        let mut lat = Vec::new();
        for _ in 0..if quick { 5 } else { 30 } {
            *line.cmti_at.lock().await = None;
            sim.request(Request::Deliver {
                from: "+818011112222".into(),
                text: body.clone(),
                encoding: None,
                class: None,
            })
            .await;
            loop {
                match events.recv().await.unwrap() {
                    ModemEvent::Received { ack, .. } => {
                        let got = Instant::now();
                        let _ = ack.send(());
                        if let Some(at) = *line.cmti_at.lock().await {
                            lat.push(got.saturating_duration_since(at));
                        }
                        break;
                    }
                    ModemEvent::Status(_) => {}
                }
            }
            // Let the delete go out before the next one.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        lat.sort();
        println!(
            "receive {label}: last byte of +CMTI to receiver p50 {:.1} ms, p99 {:.1} ms (n={})",
            percentile(&lat, 0.5).as_secs_f64() * 1e3,
            percentile(&lat, 0.99).as_secs_f64() * 1e3,
            lat.len()
        );
    }
    cancel.cancel();
    sim.shutdown().await;
}
