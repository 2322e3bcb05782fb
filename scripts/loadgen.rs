//! `smsgate-loadgen`: the load generator for smsgate's HTTP API (loopback only).
//!
//! Build it beside the release binary it measures, then run it:
//!
//! ```sh
//! cargo build --release --bin smsgate
//! cargo build --release --features loadgen --bin smsgate-loadgen
//! target/release/smsgate-loadgen ingest --clients 32 --requests 60000
//! target/release/smsgate-loadgen ingest --clients 32 --requests 60000 --simulate 1
//! target/release/smsgate-loadgen cmgs --count 200
//! target/release/smsgate-loadgen recovery --fault unplug --runs 5
//! target/release/smsgate-loadgen fleet --sends 240
//! target/release/smsgate-loadgen queue
//! ```
//!
//! - `ingest` starts `smsgate serve` as a child process with a fresh database in a temporary
//!   directory (no modems, or `--simulate N` built-in simulated modems), then runs N concurrent
//!   keep-alive HTTP/1.1 clients, each on its own connection, posting one-recipient messages to
//!   `POST /api/v1/messages` until the request count is reached. It prints the accepted
//!   messages per second, p50/p99/max latency, errors, and the server's resident memory
//!   (VmRSS idle before the load, the highest sample during it, after it, and VmHWM).
//! - `cmgs` starts `smsgate sim` as a separate process with `RUST_LOG=smsgate=trace` (the
//!   simulator logs every chunk it reads from the pty with a wall-clock timestamp), and
//!   `smsgate serve` with that simulator as its only modem. It posts messages one at a time
//!   (each on an idle gateway) and matches each request to the first byte of the next
//!   `AT+CMGS` in the simulator's trace, on the same machine clock.
//! - `recovery` starts `smsgate sim` (a profile of choice) and `smsgate serve` on it, queues 15
//!   messages, and after the 5th is sent injects a fault: `unplug` (the tty disappears for
//!   `--seconds`, as a USB modem re-enumerating) or `reboot` (a module reset). It watches the
//!   simulator's control socket and prints, per run, when the device was back and when the next
//!   `AT+CMGS` was accepted, then checks that all 15 went out, none twice.
//! - `fleet` starts `nats-server -js` and two appliances (`smsgate serve` with `[fleet]`), each
//!   with `--modems` simulators whose network takes `--network-ms` per part, publishes `--sends`
//!   sends to `sms.out.any` at once and times them until every simulator has sent its share:
//!   parts per second against the modems' bound. Then, on an idle fleet of one appliance with
//!   a traced simulator, it publishes sends one at a time and matches each publish (its PubAck)
//!   to the first byte of the next `AT+CMGS`.
//! - `queue` starts `smsgate serve --simulate 1` (the built-in simulated modem answers at once,
//!   so the queue itself is what is timed) and posts a campaign of `--small` recipients, then,
//!   once it is sent, one of `--large`. For each it prints the parts sent per second over
//!   `--window` seconds right after the `202` and the server's CPU time per part. While the
//!   large campaign is created and released into the send queue, one client posts
//!   `POST /api/v1/messages` one after another and the latencies are printed; while it waits, `--replies` priority-10 messages are posted one
//!   at a time, each timed from its `202` to the `sent_at` the server records at its `+CMGS`.
//!   Then, on a second server without a modem, it stores `--stored` messages (campaigns to a
//!   pool of a quarter as many numbers) and times `--lookups` first pages of
//!   `GET /api/v1/messages?to=N`, and as many with `since` too.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpStream;

#[derive(Parser)]
#[command(about = "Load generator for smsgate's HTTP API (loopback only)")]
struct Cli {
    /// The smsgate binary to measure (default: `smsgate` next to this binary).
    #[arg(long, global = true)]
    bin: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Concurrent keep-alive clients posting messages; throughput, latency, memory.
    Ingest {
        /// Concurrent clients, one keep-alive connection each.
        #[arg(long, default_value_t = 32)]
        clients: usize,
        /// Measured requests (after the warm-up).
        #[arg(long, default_value_t = 60_000)]
        requests: usize,
        /// Requests sent first and left out of the figures.
        #[arg(long, default_value_t = 2_000)]
        warmup: usize,
        /// Built-in simulated modems for the server (`serve --simulate N`); 0: no modem.
        #[arg(long, default_value_t = 0)]
        simulate: usize,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 120)]
        timeout_secs: u64,
    },
    /// Bulk sends: time from `POST /api/v1/bulk` to its `202` (every message
    /// committed), to a contact group of `recipients` imported by CSV, rendered per recipient.
    Bulk {
        /// Members of the group, and so messages per campaign.
        #[arg(long, default_value_t = 10_000)]
        recipients: usize,
        /// Campaigns posted one after another (each a new measurement).
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Sequential messages; time from the request to the first byte of `AT+CMGS`.
    Cmgs {
        /// Messages, one at a time.
        #[arg(long, default_value_t = 200)]
        count: usize,
    },
    /// Fleet sends through two appliances on a NATS JetStream hub: throughput against the
    /// modems' bound, and publish -> AT+CMGS latency.
    Fleet {
        /// Sends published to `sms.out.any` for the throughput run.
        #[arg(long, default_value_t = 240)]
        sends: usize,
        /// Simulated modems per appliance.
        #[arg(long, default_value_t = 4)]
        modems: usize,
        /// Network time per part at each simulator, in milliseconds.
        #[arg(long, default_value_t = 1000)]
        network_ms: u64,
        /// Sequential sends for the latency run.
        #[arg(long, default_value_t = 100)]
        latency: usize,
    },
    /// The send queue at campaign scale: send rate with a small and a large campaign queued,
    /// latency of other writes while a campaign is created and of priority replies while it
    /// waits, and filtered listings over a large store.
    Queue {
        /// Recipients of the first campaign.
        #[arg(long, default_value_t = 3_000)]
        small: usize,
        /// Recipients of the second campaign (at most 50,000, a campaign's limit).
        #[arg(long, default_value_t = 50_000)]
        large: usize,
        /// Seconds each send rate is measured over, from the campaign's `202`.
        #[arg(long, default_value_t = 5.0)]
        window: f64,
        /// Priority-10 messages posted, one at a time, while the large campaign waits.
        #[arg(long, default_value_t = 20)]
        replies: usize,
        /// Messages stored for the listing figures.
        #[arg(long, default_value_t = 200_000)]
        stored: usize,
        /// Listing requests timed, of each kind.
        #[arg(long, default_value_t = 200)]
        lookups: usize,
    },
    /// Time to send again after a fault injected after 5 of 15 sends.
    Recovery {
        /// `unplug` (the tty is gone for `--seconds`) or `reboot` (module reset).
        #[arg(long, default_value = "unplug")]
        fault: String,
        /// How long the device stays away (unplug).
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
        /// The simulator's profile.
        #[arg(long, default_value = "quectel")]
        profile: String,
        /// Runs, each with a fresh simulator, server and database.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// After the module is back, how long its SMS service answers `+CMS ERROR: 314`
        /// (the simulator's `--sms-init-ms`).
        #[arg(long, default_value_t = 2000)]
        sms_init_ms: u64,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let bin = match cli.bin {
        Some(b) => b,
        None => std::env::current_exe()?
            .parent()
            .context("no parent directory")?
            .join("smsgate"),
    };
    if !bin.is_file() {
        bail!(
            "{} does not exist: build it with cargo build --release --bin smsgate",
            bin.display()
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.cmd {
        Cmd::Ingest {
            clients,
            requests,
            warmup,
            simulate,
            timeout_secs,
        } => rt.block_on(ingest(
            &bin,
            clients,
            requests,
            warmup,
            simulate,
            Duration::from_secs(timeout_secs),
        )),
        Cmd::Bulk { recipients, runs } => rt.block_on(bulk(&bin, recipients, runs)),
        Cmd::Cmgs { count } => rt.block_on(cmgs(&bin, count)),
        Cmd::Queue {
            small,
            large,
            window,
            replies,
            stored,
            lookups,
        } => rt.block_on(queue(
            &bin,
            QueueRun {
                small,
                large,
                window: Duration::from_secs_f64(window),
                replies,
                stored,
                lookups,
            },
        )),
        Cmd::Fleet {
            sends,
            modems,
            network_ms,
            latency,
        } => rt.block_on(fleet(&bin, sends, modems, network_ms, latency)),
        Cmd::Recovery {
            fault,
            seconds,
            profile,
            runs,
            sms_init_ms,
        } => rt.block_on(recovery(&bin, &fault, seconds, &profile, runs, sms_init_ms)),
    }
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Result<Self> {
        let p = std::env::temp_dir().join(format!("smsgate-loadgen-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // `LOADGEN_KEEP=1` keeps the databases and the servers' logs to look at.
        if std::env::var_os("LOADGEN_KEEP").is_some() {
            eprintln!("kept {}", self.0.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process stopped with SIGTERM (then killed) on drop.
struct Proc(Child);

impl Proc {
    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Starts `smsgate serve` with a fresh database and waits until it answers HTTP.
async fn start_server(
    bin: &Path,
    dir: &Path,
    modems_toml: &str,
    simulate: usize,
) -> Result<(Proc, SocketAddr)> {
    let port = free_port()?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let cfg = dir.join("smsgate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[http]\nlisten = \"{addr}\"\n\n[storage]\npath = \"{}\"\n{modems_toml}",
            dir.join("smsgate.db").display()
        ),
    )?;
    let mut cmd = Command::new(bin);
    cmd.arg("serve").arg("--config").arg(&cfg);
    if simulate > 0 {
        cmd.arg("--simulate").arg(simulate.to_string());
    }
    let log = std::fs::File::create(dir.join("serve.log"))?;
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .env("NO_COLOR", "1")
        .env("TMPDIR", dir);
    let proc = Proc(cmd.spawn().context("starting smsgate serve")?);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut c) = Conn::connect(addr).await
            && c.request(Method::GET, "/health", None).await.is_ok()
        {
            return Ok((proc, addr));
        }
        if Instant::now() > deadline {
            bail!(
                "smsgate serve did not answer within 30 s; see {}",
                dir.join("serve.log").display()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    tx: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Conn {
    async fn connect(addr: SocketAddr) -> Result<Self> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        let (tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { tx })
    }

    async fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, Bytes)> {
        self.request_as(method, path, body, "application/json")
            .await
    }

    async fn request_as(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        content_type: &str,
    ) -> Result<(StatusCode, Bytes)> {
        self.tx.ready().await?;
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1");
        if body.is_some() {
            b = b.header("content-type", content_type);
        }
        let req = b.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        let resp = self.tx.send_request(req).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

fn message_body(n: u64) -> Vec<u8> {
    json!({
        "to": format!("+8190{:08}", n % 100_000_000),
        "text": format!("Load test message {n}: your appointment is confirmed for tomorrow."),
    })
    .to_string()
    .into_bytes()
}

/// Imports a group of `n` contacts by CSV, then posts `runs` campaigns to it, one at a time,
/// and reports how long each took to be committed (its `202`). No modem: the queue only grows,
/// so each campaign lands on a fuller queue than the last.
async fn bulk(bin: &Path, n: usize, runs: usize) -> Result<()> {
    let dir = TempDir::new("bulk")?;
    let (server, addr) = start_server(bin, &dir.0, "", 0).await?;
    let mut c = Conn::connect(addr).await?;
    let mut csv = String::from("number,name,groups,appointment\n");
    for i in 0..n {
        csv.push_str(&format!(
            "+8190{i:08},Customer {i},members,12/{:02} 10:00\n",
            i % 28 + 1
        ));
    }
    let started = Instant::now();
    let (status, body) = c
        .request_as(
            Method::POST,
            "/api/v1/contacts/import",
            Some(csv.into_bytes()),
            "text/csv",
        )
        .await?;
    if status != StatusCode::OK {
        bail!(
            "import answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    println!("imported {n} contacts in {:.0} ms", ms(started.elapsed()));
    let request = json!({
        "group": "members",
        "text": "{name} 様: ご予約は {field.appointment} です。変更は このSMSに返信してください。",
    })
    .to_string()
    .into_bytes();
    let mut times = Vec::with_capacity(runs);
    for run in 1..=runs {
        let started = Instant::now();
        let (status, body) = c
            .request(Method::POST, "/api/v1/bulk", Some(request.clone()))
            .await?;
        let took = started.elapsed();
        if status != StatusCode::ACCEPTED {
            bail!("bulk answered {status}: {}", String::from_utf8_lossy(&body));
        }
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        if v["recipients"].as_u64() != Some(n as u64) {
            bail!("the campaign queued {} of {n}", v["recipients"]);
        }
        println!("run {run}: {n} recipients queued in {:.0} ms", ms(took));
        times.push(took);
    }
    times.sort();
    println!(
        "bulk to {n}: min {:.0} ms, median {:.0} ms, max {:.0} ms over {runs} runs; load {}",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        loadavg()
    );
    if let Some((rss, hwm)) = memory(server.pid()) {
        println!("server RSS {:.1} MB, peak {:.1} MB", mb(rss), mb(hwm));
    }
    Ok(())
}

/// What `queue` measures.
struct QueueRun {
    small: usize,
    large: usize,
    window: Duration,
    replies: usize,
    stored: usize,
    lookups: usize,
}

/// The numbers `from..from + n`, as `to` of a bulk request.
fn campaign_request(from: usize, n: usize) -> Vec<u8> {
    let to: Vec<String> = (from..from + n).map(|i| format!("+8190{i:08}")).collect();
    json!({
        "to": to,
        "text": "明日10:00のご予約の確認です。変更はこのSMSに返信してください。",
    })
    .to_string()
    .into_bytes()
}

/// Posts a campaign; its id and how long its `202` took.
async fn post_campaign(c: &mut Conn, from: usize, n: usize) -> Result<(String, Duration)> {
    let started = Instant::now();
    let (status, body) = c
        .request(
            Method::POST,
            "/api/v1/bulk",
            Some(campaign_request(from, n)),
        )
        .await?;
    let took = started.elapsed();
    if status != StatusCode::ACCEPTED {
        bail!("bulk answered {status}: {}", String::from_utf8_lossy(&body));
    }
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    if v["recipients"].as_u64() != Some(n as u64) {
        bail!("the campaign queued {} of {n}", v["recipients"]);
    }
    let id = v["id"].as_str().context("no campaign id")?.to_owned();
    Ok((id, took))
}

/// `smsgate_parts_sent_total` of `/metrics`.
async fn parts_sent(c: &mut Conn) -> Result<u64> {
    let (status, body) = c.request(Method::GET, "/metrics", None).await?;
    if status != StatusCode::OK {
        bail!("/metrics answered {status}");
    }
    let text = String::from_utf8_lossy(&body);
    text.lines()
        .find_map(|l| l.strip_prefix("smsgate_parts_sent_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as u64)
        .context("no smsgate_parts_sent_total in /metrics")
}

/// Parts sent per second over `window`, and the server's CPU time per part (ms).
async fn send_rate(c: &mut Conn, pid: u32, window: Duration) -> Result<(f64, f64, u64)> {
    let (s0, (cpu0, _), t0) = (parts_sent(c).await?, sched(pid), Instant::now());
    tokio::time::sleep(window).await;
    let (s1, (cpu1, _)) = (parts_sent(c).await?, sched(pid));
    let parts = s1.saturating_sub(s0);
    let rate = parts as f64 / t0.elapsed().as_secs_f64();
    let cpu_per_part = (cpu1.saturating_sub(cpu0)) as f64 / 1e6 / parts.max(1) as f64;
    Ok((rate, cpu_per_part, parts))
}

/// Waits until `/metrics` counts `target` parts sent.
async fn wait_sent(c: &mut Conn, target: u64, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while parts_sent(c).await? < target {
        if Instant::now() > deadline {
            bail!("fewer than {target} parts sent within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

async fn queue(bin: &Path, run: QueueRun) -> Result<()> {
    let dir = TempDir::new("queue")?;
    let (server, addr) = start_server(bin, &dir.0, "", 1).await?;
    let pid = server.pid();
    let mut c = Conn::connect(addr).await?;
    let mut watch = Conn::connect(addr).await?;
    // Until the simulated modem is ready, nothing is sent.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = c.request(Method::GET, "/api/v1/modems", None).await?;
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        if v.as_array().is_some_and(|m| {
            m.iter()
                .any(|m| m["state"] == "ready" && m["registered"] == true)
        }) {
            break;
        }
        if Instant::now() > deadline {
            bail!("the simulated modem was not ready within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("load average {} at the start", loadavg());

    // The small campaign: its rate, then it drains.
    let before = parts_sent(&mut watch).await?;
    let (_, took) = post_campaign(&mut c, 0, run.small).await?;
    let (small_rate, small_cpu, n) = send_rate(&mut watch, pid, run.window).await?;
    println!(
        "{} queued (202 in {:.0} ms): {small_rate:.1} parts/s over {:.1} s ({n} parts), \
         {small_cpu:.2} ms server CPU per part",
        run.small,
        ms(took),
        run.window.as_secs_f64()
    );
    wait_sent(
        &mut watch,
        before + run.small as u64,
        Duration::from_secs(600),
    )
    .await?;

    // The large campaign, with one client posting messages while it is created.
    let stop = Arc::new(AtomicBool::new(false));
    let poster = {
        let stop = stop.clone();
        let mut conn = Conn::connect(addr).await?;
        tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                let body = json!({"to": format!("+8170{n:08}"), "text": "お問い合わせありがとうございます。"})
                    .to_string()
                    .into_bytes();
                n += 1;
                match conn
                    .request(Method::POST, "/api/v1/messages", Some(body))
                    .await
                {
                    Ok((StatusCode::ACCEPTED, _)) => lat.push(t0.elapsed()),
                    Ok((status, body)) => {
                        return Err(anyhow!("{status}: {}", String::from_utf8_lossy(&body)));
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(lat)
        })
    };
    let (id, took) = post_campaign(&mut c, 100_000, run.large).await?;
    // The campaign's messages enter the send queue after its 202: keep posting until they have.
    let released = Instant::now();
    loop {
        let (_, body) = c
            .request(Method::GET, &format!("/api/v1/bulk/{id}"), None)
            .await?;
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        if !matches!(v["state"].as_str(), Some("creating" | "releasing")) {
            break;
        }
        if released.elapsed() > Duration::from_secs(120) {
            bail!("campaign {id} not released within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let released = released.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut lat = poster.await??;
    lat.sort();
    println!(
        "{} queued (202 in {:.0} ms, in the send queue {:.0} ms later); meanwhile {} POST \
         /api/v1/messages: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        run.large,
        ms(took),
        ms(released),
        lat.len(),
        ms(percentile(&lat, 50.0)),
        ms(percentile(&lat, 99.0)),
        ms(lat.last().copied().unwrap_or_default())
    );
    // Two windows: the first follows the creation (its WAL still being checkpointed), the
    // second is the queue alone.
    for window in ["first", "second"] {
        let (large_rate, large_cpu, n) = send_rate(&mut watch, pid, run.window).await?;
        println!(
            "{} queued, {window} {:.1} s: {large_rate:.1} parts/s ({n} parts), {large_cpu:.2} ms \
             server CPU per part; {:.2}x the rate with {} queued",
            run.large,
            run.window.as_secs_f64(),
            large_rate / small_rate,
            run.small
        );
    }

    // Priority replies while the campaign waits: 202 to the server's sent_at.
    let mut waits = Vec::with_capacity(run.replies);
    for i in 0..run.replies {
        let body = json!({"to": format!("+8180{i:08}"), "text": "担当者より折り返しご連絡します。", "priority": 10})
            .to_string()
            .into_bytes();
        let (status, body) = c
            .request(Method::POST, "/api/v1/messages", Some(body))
            .await?;
        let accepted = jiff::Timestamp::now();
        if status != StatusCode::ACCEPTED {
            bail!(
                "reply answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        let id = v["id"].as_str().context("no message id")?.to_owned();
        let deadline = Instant::now() + Duration::from_secs(60);
        let sent_at = loop {
            let (_, body) = c
                .request(Method::GET, &format!("/api/v1/messages/{id}"), None)
                .await?;
            let v: serde_json::Value = serde_json::from_slice(&body)?;
            if let Some(at) = v["recipients"][0]["sent_at"].as_str() {
                break at.parse::<jiff::Timestamp>()?;
            }
            if Instant::now() > deadline {
                bail!("reply {id} was not sent within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        let wait = sent_at.duration_since(accepted);
        waits.push(Duration::from_secs_f64(wait.as_secs_f64().max(0.0)));
    }
    waits.sort();
    let queued_now = {
        let (_, body) = c.request(Method::GET, "/metrics", None).await?;
        String::from_utf8_lossy(&body)
            .lines()
            .find_map(|l| {
                l.strip_prefix("smsgate_queue_depth ")
                    .map(|v| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    println!(
        "{} priority-10 replies, 202 -> sent_at: p50 {:.1} ms, max {:.1} ms ({queued_now} still \
         queued after them)",
        run.replies,
        ms(percentile(&waits, 50.0)),
        ms(waits.last().copied().unwrap_or_default())
    );
    drop(server);
    if run.stored == 0 {
        return Ok(());
    }

    // Listings over a large store, on a server without a modem.
    let dir = TempDir::new("queue-list")?;
    let (server, addr) = start_server(bin, &dir.0, "", 0).await?;
    let mut c = Conn::connect(addr).await?;
    let pool = (run.stored / 4).clamp(1, 50_000);
    let started = Instant::now();
    let mut stored = 0;
    while stored < run.stored {
        let n = pool.min(run.stored - stored);
        post_campaign(&mut c, 0, n).await?;
        stored += n;
    }
    println!(
        "stored {stored} messages to {pool} numbers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let since = jiff::Timestamp::now().checked_sub(jiff::SignedDuration::from_secs_f64(
        started.elapsed().as_secs_f64() / 2.0,
    ))?;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for (kind, with_since) in [("to", false), ("to and since", true)] {
        let mut times = Vec::with_capacity(run.lookups);
        let mut found = 0;
        for _ in 0..run.lookups {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let number = format!("%2B8190{:08}", seed as usize % pool);
            let mut path = format!("/api/v1/messages?to={number}&limit=50");
            if with_since {
                path.push_str(&format!("&since={}", since.to_string().replace('+', "%2B")));
            }
            let t0 = Instant::now();
            let (status, body) = c.request(Method::GET, &path, None).await?;
            times.push(t0.elapsed());
            if status != StatusCode::OK {
                bail!(
                    "{path} answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            let v: serde_json::Value = serde_json::from_slice(&body)?;
            found += v["items"].as_array().map_or(0, Vec::len);
        }
        times.sort();
        println!(
            "GET /api/v1/messages filtered by {kind} over {stored}: p50 {:.1} ms, p99 {:.1} ms, \
             max {:.1} ms ({:.1} messages a page)",
            ms(percentile(&times, 50.0)),
            ms(percentile(&times, 99.0)),
            ms(times.last().copied().unwrap_or_default()),
            found as f64 / run.lookups as f64
        );
    }
    if let Some((rss, hwm)) = memory(server.pid()) {
        println!(
            "listing server RSS {:.1} MB, peak {:.1} MB",
            mb(rss),
            mb(hwm)
        );
    }
    Ok(())
}

/// VmRSS and VmHWM of a process, in kB.
fn memory(pid: u32) -> Option<(u64, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// User plus system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// The `some` stall total (µs) of a pressure file (`cpu` or `io`).
fn pressure(kind: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/pressure/{kind}")).ok()?;
    s.lines()
        .find(|l| l.starts_with("some"))?
        .split_whitespace()
        .find_map(|f| f.strip_prefix("total="))?
        .parse()
        .ok()
}

/// Over all threads of a process: time on a CPU and time runnable but waiting for one (ns).
fn sched(pid: u32) -> (u64, u64) {
    let mut run = 0;
    let mut wait = 0;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) {
                let mut f = s.split_whitespace().map(|v| v.parse::<u64>().unwrap_or(0));
                run += f.next().unwrap_or(0);
                wait += f.next().unwrap_or(0);
            }
        }
    }
    (run, wait)
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Runs `total` requests over `clients` connections; returns (latencies, errors, elapsed).
async fn run_load(
    addr: SocketAddr,
    clients: usize,
    total: usize,
    seq: Arc<AtomicU64>,
    deadline: Instant,
) -> Result<(Vec<Duration>, usize, Duration)> {
    let issued = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let issued = issued.clone();
        let seq = seq.clone();
        let mut conn = Conn::connect(addr).await?;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(total / clients + 1);
            let mut errors = 0usize;
            let mut first_error = None;
            while issued.fetch_add(1, Ordering::Relaxed) < total && Instant::now() < deadline {
                let body = message_body(seq.fetch_add(1, Ordering::Relaxed));
                let t0 = Instant::now();
                match conn
                    .request(Method::POST, "/api/v1/messages", Some(body))
                    .await
                {
                    Ok((StatusCode::ACCEPTED, _)) => lat.push(t0.elapsed()),
                    Ok((status, body)) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| {
                            format!("{status}: {}", String::from_utf8_lossy(&body))
                        });
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| e.to_string());
                        match Conn::connect(addr).await {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
            }
            (lat, errors, first_error)
        }));
    }
    let mut all = Vec::with_capacity(total);
    let mut errors = 0;
    for t in tasks {
        let (lat, e, first) = t.await?;
        all.extend(lat);
        errors += e;
        if let Some(f) = first {
            eprintln!("first error of a client: {f}");
        }
    }
    Ok((all, errors, start.elapsed()))
}

async fn ingest(
    bin: &Path,
    clients: usize,
    requests: usize,
    warmup: usize,
    simulate: usize,
    timeout: Duration,
) -> Result<()> {
    let dir = TempDir::new("ingest")?;
    let (server, addr) = start_server(bin, &dir.0, "", simulate).await?;
    let pid = server.pid();
    // Idle: after start-up has settled, before any message.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (idle_rss, idle_hwm) = memory(pid).context("reading the server's memory")?;
    println!(
        "server pid {pid} on {addr}; simulate {simulate}; idle VmRSS {:.1} MB (VmHWM {:.1} MB); load average {}",
        mb(idle_rss),
        mb(idle_hwm),
        loadavg()
    );

    let seq = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + timeout;
    if warmup > 0 {
        let (_, errors, _) = run_load(addr, clients, warmup, seq.clone(), deadline).await?;
        if errors > 0 {
            bail!("{errors} errors during the warm-up");
        }
    }

    // Memory sampler during the measured load.
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut max_rss = 0;
            while !stop.load(Ordering::Relaxed) {
                if let Some((rss, _)) = memory(pid) {
                    max_rss = max_rss.max(rss);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            max_rss
        })
    };
    let cpu0 = cpu_ticks(pid).unwrap_or(0);
    let self0 = cpu_ticks(std::process::id()).unwrap_or(0);
    let (psi_cpu0, psi_io0) = (pressure("cpu"), pressure("io"));
    let sched0 = sched(pid);
    let (mut lat, errors, elapsed) = run_load(addr, clients, requests, seq, deadline).await?;
    let cpu1 = cpu_ticks(pid).unwrap_or(0);
    let self1 = cpu_ticks(std::process::id()).unwrap_or(0);
    let (psi_cpu1, psi_io1) = (pressure("cpu"), pressure("io"));
    let sched1 = sched(pid);
    stop.store(true, Ordering::Relaxed);
    let max_rss = sampler.await?;
    let during_load = loadavg();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (after_rss, hwm) = memory(pid).context("reading the server's memory")?;

    lat.sort_unstable();
    let accepted = lat.len();
    let secs = elapsed.as_secs_f64();
    // /proc/<pid>/stat counts in USER_HZ, 100 on Linux.
    let hz = 100.0;
    println!(
        "clients {clients}, requests {requests} (+{warmup} warm-up): accepted {accepted} in {secs:.2} s = {:.0}/s; errors {errors}",
        accepted as f64 / secs
    );
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        ms(percentile(&lat, 50.0)),
        ms(percentile(&lat, 90.0)),
        ms(percentile(&lat, 99.0)),
        ms(percentile(&lat, 99.9)),
        ms(lat.last().copied().unwrap_or_default())
    );
    println!(
        "server memory MB: idle {:.1}, during load max {:.1}, after {:.1}, VmHWM {:.1}",
        mb(idle_rss),
        mb(max_rss),
        mb(after_rss),
        mb(hwm)
    );
    println!(
        "CPU during the measured load: server {:.0}% of one core, load generator {:.0}%; load average at the end {during_load}",
        (cpu1 - cpu0) as f64 / hz / secs * 100.0,
        (self1 - self0) as f64 / hz / secs * 100.0,
    );
    let psi = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.0}%", (b - a) as f64 / 1e6 / secs * 100.0),
        _ => "n/a".to_owned(),
    };
    println!(
        "server threads: on a CPU {:.2} s, runnable but waiting for a CPU {:.2} s; pressure (some) cpu {} io {}",
        (sched1.0 - sched0.0) as f64 / 1e9,
        (sched1.1 - sched0.1) as f64 / 1e9,
        psi(psi_cpu0, psi_cpu1),
        psi(psi_io0, psi_io1),
    );
    println!(
        "{}",
        json!({
            "clients": clients, "requests": requests, "warmup": warmup, "simulate": simulate,
            "accepted": accepted, "errors": errors, "seconds": secs,
            "per_second": accepted as f64 / secs,
            "p50_ms": ms(percentile(&lat, 50.0)), "p99_ms": ms(percentile(&lat, 99.0)),
            "max_ms": ms(lat.last().copied().unwrap_or_default()),
            "rss_idle_kb": idle_rss, "rss_load_max_kb": max_rss, "rss_after_kb": after_rss,
            "hwm_kb": hwm,
        })
    );
    drop(server);
    Ok(())
}

/// Undoes Rust's `{:?}` escaping of a string.
fn unescape_debug(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some('u') => {
                let hex: String = it.by_ref().skip(1).take_while(|c| *c != '}').collect();
                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            Some(o) => out.push(o),
            None => {}
        }
    }
    out
}

/// The simulator's trace: the wall-clock time of each chunk it read, and the chunk.
fn sim_input(log: &str) -> Vec<(jiff::Timestamp, String)> {
    let mut out = Vec::new();
    for line in log.lines() {
        if !line.contains("sim: <-") {
            continue;
        }
        let Some(ts) = line
            .split_whitespace()
            .next()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        else {
            continue;
        };
        let Some(start) = line.find("input=\"") else {
            continue;
        };
        let rest = &line[start + 7..];
        let Some(end) = rest.rfind('"') else {
            continue;
        };
        out.push((ts, unescape_debug(&rest[..end])));
    }
    out
}

/// The time of the first byte of every `AT+CMGS` the simulator read.
fn cmgs_times(log: &str) -> Vec<jiff::Timestamp> {
    let chunks = sim_input(log);
    let mut stream = String::new();
    let mut starts = Vec::new();
    for (ts, c) in &chunks {
        starts.push((stream.len(), *ts));
        stream.push_str(c);
    }
    let time_at = |pos: usize| {
        let i = starts.partition_point(|(s, _)| *s <= pos);
        starts[i - 1].1
    };
    stream
        .match_indices("AT+CMGS=")
        .map(|(pos, _)| time_at(pos))
        .collect()
}

fn to_ts(t: SystemTime) -> jiff::Timestamp {
    jiff::Timestamp::try_from(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// Starts `smsgate sim ARGS --link <dir>/modem` (its log in `log`), waits for its control
/// socket, then `smsgate serve` with that simulator as its only modem.
async fn start_sim_and_server(
    bin: &Path,
    dir: &Path,
    sim_args: &[&str],
    trace: bool,
    log: &Path,
) -> Result<(Proc, Proc, SocketAddr)> {
    let link = dir.join("modem");
    let ctl = dir.join("modem.ctl");
    let mut cmd = Command::new(bin);
    cmd.arg("sim").args(sim_args).arg("--link").arg(&link);
    if trace {
        cmd.env("RUST_LOG", "smsgate=trace");
    }
    let sim = Proc(
        cmd.env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .context("starting smsgate sim")?,
    );
    wait_for_control(&ctl).await?;
    let modems = format!(
        "\n[[modems]]\nname = \"sim\"\ndevice = \"{}\"\n",
        link.display()
    );
    let (server, addr) = start_server(bin, dir, &modems, 0).await?;
    Ok((sim, server, addr))
}

/// Until a simulator started as a child has made its control socket `ctl` (10 s at most).
async fn wait_for_control(ctl: &Path) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ctl.exists() {
        if Instant::now() > deadline {
            bail!("the simulator did not create {}", ctl.display());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

async fn cmgs(bin: &Path, count: usize) -> Result<()> {
    let dir = TempDir::new("cmgs")?;
    let sim_log = dir.0.join("sim.log");
    let (sim, server, addr) = start_sim_and_server(bin, &dir.0, &[], true, &sim_log).await?;
    let mut conn = Conn::connect(addr).await?;
    // Wait until the modem is ready.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _) = conn.request(Method::GET, "/health", None).await?;
        if status == StatusCode::OK {
            break;
        }
        if Instant::now() > deadline {
            bail!("the modem did not become ready within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "server pid {} on {addr}, simulator pid {}; load average {}",
        server.pid(),
        sim.pid(),
        loadavg()
    );

    let text = std::fs::read_to_string(&sim_log)?;
    let before = cmgs_times(&text).len();
    let answered_before = text.matches("+CMGS: ").count();
    let mut sent_at = Vec::with_capacity(count);
    let mut acked_at = Vec::with_capacity(count);
    let mut http = Vec::with_capacity(count);
    for n in 0..count {
        let body = message_body(n as u64);
        let wall = SystemTime::now();
        let t0 = Instant::now();
        let (status, resp) = conn
            .request(Method::POST, "/api/v1/messages", Some(body))
            .await?;
        let rtt = t0.elapsed();
        let ack = wall + rtt;
        if status != StatusCode::ACCEPTED {
            bail!("{status}: {}", String::from_utf8_lossy(&resp));
        }
        sent_at.push(to_ts(wall));
        acked_at.push(to_ts(ack));
        http.push(rtt);
        // Wait until the simulator has read this message's AT+CMGS and the PDU's answer went
        // out, then let the gateway settle, so the next message finds it idle.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&sim_log)?;
            let seen = cmgs_times(&text).len();
            let answered = text.matches("+CMGS: ").count();
            if seen > before + n && answered > answered_before + n {
                break;
            }
            if Instant::now() > deadline {
                bail!("message {n}: no AT+CMGS within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let end_load = loadavg();
    drop(server);
    drop(sim);

    let times = cmgs_times(&std::fs::read_to_string(&sim_log)?);
    let times = &times[before..];
    if times.len() < count {
        return Err(anyhow!(
            "{} AT+CMGS in the trace for {count} messages",
            times.len()
        ));
    }
    let span = |a: jiff::Timestamp, b: jiff::Timestamp| {
        let d = b.as_microsecond() - a.as_microsecond();
        d as f64 / 1000.0
    };
    let mut from_post: Vec<f64> = (0..count).map(|i| span(sent_at[i], times[i])).collect();
    let mut from_202: Vec<f64> = (0..count).map(|i| span(acked_at[i], times[i])).collect();
    let mut rtts: Vec<f64> = http.iter().map(|d| ms(*d)).collect();
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let p = |q: f64| {
            let i = ((q / 100.0) * v.len() as f64).ceil() as usize;
            v[i.clamp(1, v.len()) - 1]
        };
        format!(
            "min {:.2}  p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
            v[0],
            p(50.0),
            p(90.0),
            p(99.0),
            v[v.len() - 1]
        )
    };
    println!("{count} sequential messages, one AT+CMGS each");
    println!(
        "POST sent -> first byte of AT+CMGS, ms: {}",
        stats(&mut from_post)
    );
    println!(
        "202 received -> first byte of AT+CMGS, ms: {}",
        stats(&mut from_202)
    );
    println!("POST -> 202 (HTTP round trip), ms: {}", stats(&mut rtts));
    println!("load average at the end: {end_load}");
    Ok(())
}

/// One request on the simulator's control socket; its JSON answer.
async fn sim_ctl(ctl: &Path, req: serde_json::Value) -> Result<serde_json::Value> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut s = tokio::net::UnixStream::connect(ctl).await?;
    s.write_all(format!("{req}\n").as_bytes()).await?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).await?;
    Ok(serde_json::from_str(&line)?)
}

/// Texts the simulator accepted, in order.
fn sim_sent(state: &serde_json::Value) -> Vec<String> {
    state["sent"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| s["text"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn recovery(
    bin: &Path,
    fault: &str,
    seconds: f64,
    profile: &str,
    runs: usize,
    sms_init_ms: u64,
) -> Result<()> {
    const TOTAL: usize = 15;
    const BEFORE: usize = 5;
    let fault_req = match fault {
        "unplug" => json!({"cmd": "unplug", "seconds": seconds}),
        "reboot" => json!({"cmd": "reboot"}),
        other => bail!("unknown fault {other:?}: unplug or reboot"),
    };
    println!(
        "fault {fault} ({seconds} s away for unplug), profile {profile}, SMS busy for {sms_init_ms} ms after the SIM is ready, {TOTAL} messages, fault after {BEFORE}; load average {}",
        loadavg()
    );
    let mut back_to_send = Vec::new();
    for run in 1..=runs {
        let dir = TempDir::new(&format!("recovery{run}"))?;
        let ctl = dir.0.join("modem.ctl");
        let sms_init = sms_init_ms.to_string();
        // A network delay per send, so the fault lands while the queue is busy.
        let sim_args = [
            "--profile",
            profile,
            "--delay-ms",
            "100",
            "--sms-init-ms",
            &sms_init,
        ];
        let (_sim, _server, addr) =
            start_sim_and_server(bin, &dir.0, &sim_args, false, &dir.0.join("sim.log")).await?;
        let mut conn = Conn::connect(addr).await?;
        for n in 0..TOTAL {
            let body = json!({"to": ["+819012340000"], "text": format!("recovery {n}")});
            let (status, resp) = conn
                .request(
                    Method::POST,
                    "/api/v1/messages",
                    Some(body.to_string().into_bytes()),
                )
                .await?;
            if status != StatusCode::ACCEPTED {
                bail!("{status}: {}", String::from_utf8_lossy(&resp));
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while sim_sent(&sim_ctl(&ctl, json!({"cmd": "state"})).await?).len() < BEFORE {
            if Instant::now() > deadline {
                bail!("run {run}: {BEFORE} sends did not happen within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let t0 = Instant::now();
        sim_ctl(&ctl, fault_req.clone()).await?;
        let count_at_fault = sim_sent(&sim_ctl(&ctl, json!({"cmd": "state"})).await?).len();
        // Back: the device node is there again after it was seen gone (unplug), or the
        // module is booting (reboot); sending again: a send the simulator accepted after that.
        let mut gone = fault != "unplug";
        let mut back = None;
        let mut count_at_back = count_at_fault;
        let sent_again;
        loop {
            let st = match sim_ctl(&ctl, json!({"cmd": "state"})).await {
                Ok(st) => st,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
            };
            let plugged = st["plugged"] == json!(true);
            gone |= !plugged;
            if back.is_none() && gone && plugged {
                back = Some(t0.elapsed());
                count_at_back = sim_sent(&st).len();
            }
            if back.is_some() && sim_sent(&st).len() > count_at_back {
                sent_again = t0.elapsed();
                break;
            }
            if t0.elapsed() > Duration::from_secs(120) {
                bail!("run {run}: nothing sent within 120 s of the fault");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let back = back.unwrap_or(sent_again);
        let deadline = Instant::now() + Duration::from_secs(120);
        let sent = loop {
            let sent = sim_sent(&sim_ctl(&ctl, json!({"cmd": "state"})).await?);
            if sent.len() >= TOTAL || Instant::now() > deadline {
                break sent;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let mut unique = sent.clone();
        unique.sort();
        unique.dedup();
        println!(
            "run {run}: back after {:.2} s, sending again {:.2} s after the fault = {:.2} s after the device was back; {} sent, {} distinct",
            back.as_secs_f64(),
            sent_again.as_secs_f64(),
            (sent_again - back).as_secs_f64(),
            sent.len(),
            unique.len()
        );
        if unique.len() != sent.len() {
            bail!("run {run}: a message went out twice: {sent:?}");
        }
        if let Ok(keep) = std::env::var("LOADGEN_KEEP_LOGS") {
            let _ = std::fs::copy(dir.0.join("serve.log"), format!("{keep}/serve-{run}.log"));
            let _ = std::fs::copy(dir.0.join("sim.log"), format!("{keep}/sim-{run}.log"));
        }
        back_to_send.push(sent_again - back);
    }
    back_to_send.sort();
    println!(
        "device back -> sending again, s: min {:.2}  median {:.2}  max {:.2}; load average {}",
        back_to_send[0].as_secs_f64(),
        back_to_send[back_to_send.len() / 2].as_secs_f64(),
        back_to_send[back_to_send.len() - 1].as_secs_f64(),
        loadavg()
    );
    Ok(())
}

/// `nats-server -js` on a free loopback port with its store in `dir`; its URL.
async fn start_hub(dir: &Path) -> Result<(Proc, String)> {
    let exe = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .context("nats-server is not installed (apt-get install nats-server)")?;
    let port = free_port()?;
    let hub = Proc(
        Command::new(exe)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(dir.join("jetstream"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nats-server")?,
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if Instant::now() > deadline {
            bail!("nats-server did not listen");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((hub, format!("nats://127.0.0.1:{port}")))
}

/// One appliance: `modems` simulators (traced when `trace`) and `smsgate serve` with `[fleet]`
/// on them; waits until every modem is ready and the link is up.
async fn start_appliance(
    bin: &Path,
    dir: &Path,
    hub: &str,
    device: &str,
    modems: usize,
    sim_args: &[&str],
    trace: bool,
) -> Result<(Vec<Proc>, Proc, SocketAddr)> {
    std::fs::create_dir_all(dir)?;
    let mut sims = Vec::new();
    let mut toml = String::new();
    for i in 0..modems {
        let link = dir.join(format!("modem{i}"));
        let ctl = dir.join(format!("modem{i}.ctl"));
        let mut cmd = Command::new(bin);
        cmd.arg("sim").args(sim_args).arg("--link").arg(&link);
        if trace {
            cmd.env("RUST_LOG", "smsgate=trace");
        }
        sims.push(Proc(
            cmd.env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(dir.join(format!("sim{i}.log")))?)
                .spawn()
                .context("starting smsgate sim")?,
        ));
        wait_for_control(&ctl).await?;
        toml.push_str(&format!(
            "\n[[modems]]\nname = \"m{i}\"\ndevice = \"{}\"\n",
            link.display()
        ));
    }
    toml.push_str(&format!(
        "\n[fleet]\nurl = \"{hub}\"\nsite = \"bench\"\ndevice = \"{device}\"\n"
    ));
    let (server, addr) = start_server(bin, dir, &toml, 0).await?;
    let mut conn = Conn::connect(addr).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = conn.request(Method::GET, "/health", None).await?;
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let ready = v["modems_ready"] == modems;
        let linked = std::process::Command::new(bin)
            .args(["fleet", "status", "--config"])
            .arg(dir.join("smsgate.toml"))
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("link: connected"));
        if ready && linked {
            break;
        }
        if Instant::now() > deadline {
            bail!("appliance {device} not ready and linked within 30 s: {v}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((sims, server, addr))
}

async fn publish_send(js: &async_nats::jetstream::Context, id: &str, n: usize) -> Result<()> {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(async_nats::header::NATS_MESSAGE_ID, id);
    let body =
        json!({"to": [format!("+8190{:08}", n % 100_000_000)], "text": format!("fleet {id}")});
    js.publish_with_headers("sms.out.any", headers, body.to_string().into())
        .await?
        .await?;
    Ok(())
}

async fn sent_count(dir: &Path, modems: usize) -> Result<usize> {
    let mut n = 0;
    for i in 0..modems {
        n += sim_sent(&sim_ctl(&dir.join(format!("modem{i}.ctl")), json!({"cmd": "state"})).await?)
            .len();
    }
    Ok(n)
}

async fn fleet(
    bin: &Path,
    sends: usize,
    modems: usize,
    network_ms: u64,
    latency: usize,
) -> Result<()> {
    let dir = TempDir::new("fleet")?;
    let (hub, url) = start_hub(&dir.0).await?;
    let js = async_nats::jetstream::new(async_nats::connect(url.as_str()).await?);

    // Throughput: two appliances, `modems` each, `network_ms` per part.
    let delay = network_ms.to_string();
    let a_dir = dir.0.join("a");
    let b_dir = dir.0.join("b");
    let a = start_appliance(
        bin,
        &a_dir,
        &url,
        "a",
        modems,
        &["--delay-ms", &delay],
        false,
    )
    .await?;
    let b = start_appliance(
        bin,
        &b_dir,
        &url,
        "b",
        modems,
        &["--delay-ms", &delay],
        false,
    )
    .await?;
    println!(
        "two appliances, {modems} simulated modems each at {network_ms} ms per part; load average {}",
        loadavg()
    );
    let start = Instant::now();
    for n in 0..sends {
        publish_send(&js, &format!("t{n}"), n).await?;
    }
    let published = start.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    let (mut sa, mut sb);
    loop {
        sa = sent_count(&a_dir, modems).await?;
        sb = sent_count(&b_dir, modems).await?;
        if sa + sb >= sends {
            break;
        }
        if Instant::now() > deadline {
            bail!("only {} of {sends} sent", sa + sb);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took = start.elapsed().as_secs_f64();
    let bound = (2 * modems) as f64 * 1000.0 / network_ms as f64;
    let rate = sends as f64 / took;
    println!(
        "{sends} sends published in {:.2} s, all sent in {took:.2} s (appliance a {sa}, b {sb}): \
         {rate:.2} parts/s against the {bound:.2} parts/s of {} modems = {:.3}",
        published.as_secs_f64(),
        2 * modems,
        rate / bound
    );
    drop(a);
    drop(b);

    // Latency: one appliance, one traced simulator without network time, sends one at a time.
    let l_dir = dir.0.join("latency");
    let (sims, server, _) = start_appliance(bin, &l_dir, &url, "lat", 1, &[], true).await?;
    let log = l_dir.join("sim0.log");
    let before = cmgs_times(&std::fs::read_to_string(&log)?).len();
    let mut acked = Vec::with_capacity(latency);
    for n in 0..latency {
        let t0 = SystemTime::now();
        publish_send(&js, &format!("l{n}"), n).await?;
        acked.push(to_ts(t0));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&log)?;
            if cmgs_times(&text).len() > before + n && text.matches("+CMGS: ").count() > before + n
            {
                break;
            }
            if Instant::now() > deadline {
                bail!("send {n}: no AT+CMGS within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(server);
    drop(sims);
    let times = cmgs_times(&std::fs::read_to_string(&log)?);
    let times = &times[before..];
    let mut ms: Vec<f64> = (0..latency)
        .map(|i| (times[i].as_microsecond() - acked[i].as_microsecond()) as f64 / 1000.0)
        .collect();
    ms.sort_by(f64::total_cmp);
    let p = |q: f64| ms[(((q / 100.0) * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    println!(
        "{latency} sends one at a time, publish -> first byte of AT+CMGS, ms: min {:.2}  p50 {:.2}  p90 {:.2}  max {:.2}",
        ms[0],
        p(50.0),
        p(90.0),
        ms[ms.len() - 1]
    );
    drop(hub);
    Ok(())
}
