//! Kannel itself in front of smsgate: Debian's `kannel` 1.4.5, a bearerbox whose HTTP SMSC
//! (`system-type = kannel`) sends to smsgate's `sendsms`, fed through its own smsbox, exactly as
//! a site that forwards from one Kannel to another would run it. The message must reach the
//! simulated modem once, and Kannel must count it as sent (its `kannel_parse_reply` accepted
//! smsgate's answer; a reply it did not accept would be retried, a duplicate to the customer).
//! The client's `dlr-url` must then hear "sent" and "delivered": smsgate calls the `dlr-url`
//! Kannel's HTTP SMSC passed on (its own port, with `dlr-mask=%d` and `dlr-mid`), and Kannel
//! matches the report and calls the client.
//!
//! Skipped, with a note, where `bearerbox` and `smsbox` are not installed (`.ci/run` installs
//! the `kannel` package).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use smsgate::sim::Request;

mod common;
use common::service::start_with_sim;
use common::{free_port, reassemble};

const PATIENCE: Duration = Duration::from_secs(60);
const TOKEN: &str = "kannel-forward-0123456789";
const TO: &str = "+819012345678";

fn installed(exe: &str) -> bool {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .any(|d| Path::new(d).join(exe).is_file())
}

/// Kills the boxes when the test ends, however it ends.
struct Boxes(Vec<Child>);

impl Drop for Boxes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn get(url: &str) -> Option<(u16, String)> {
    let url = url.strip_prefix("http://")?;
    let (host, path) = url.split_once('/')?;
    let mut s = tokio::net::TcpStream::connect(host).await.ok()?;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(format!("GET /{path} HTTP/1.0\r\n\r\n").as_bytes())
        .await
        .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kannel_bearerbox_forwards_through_smsgate_once() {
    if !installed("bearerbox") || !installed("smsbox") {
        eprintln!("skipped: Kannel is not installed (apt-get install kannel)");
        return;
    }
    let extra = format!(
        "[[http.tokens]]\nname = \"kannel\"\ntoken = \"{TOKEN}\"\n\n[compat.kannel]\nlisten = \"127.0.0.1:0\"\n"
    );
    let (running, sim, dir) = start_with_sim("compat_kannel_real", &extra).await;
    let sendsms = running.kannel_addr.unwrap();
    let (admin, smsbox_port, smsc_port, user_port) =
        (free_port(), free_port(), free_port(), free_port());
    let conf = dir.join("kannel.conf");
    std::fs::write(
        &conf,
        format!(
            "group = core\nadmin-port = {admin}\nadmin-password = adminpass\n\
             smsbox-port = {smsbox_port}\nbox-allow-ip = 127.0.0.1\n\
             log-file = {bb_log:?}\nlog-level = 0\n\n\
             group = smsc\nsmsc = http\nsmsc-id = smsgate\nsystem-type = kannel\n\
             send-url = \"http://{sendsms}/cgi-bin/sendsms\"\n\
             smsc-username = kannel\nsmsc-password = {TOKEN}\nport = {smsc_port}\n\
             connect-allow-ip = 127.0.0.1\n\
             dlr-url = \"http://127.0.0.1:{smsc_port}/?username=kannel&password={TOKEN}\"\n\n\
             group = smsbox\nbearerbox-host = 127.0.0.1\nsendsms-port = {user_port}\n\
             global-sender = 12345\nlog-file = {sb_log:?}\nlog-level = 0\n\n\
             group = sendsms-user\nusername = tester\npassword = foobar\n",
            bb_log = dir.join("bearerbox.log").display().to_string(),
            sb_log = dir.join("smsbox.log").display().to_string(),
        ),
    )
    .unwrap();
    let spawn = |exe: &str| {
        Command::new(exe)
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut boxes = Boxes(vec![spawn("bearerbox")]);
    // smsbox gives up at once if the bearerbox is not listening yet.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::net::TcpStream::connect(("127.0.0.1", smsbox_port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bearerbox never listened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    boxes.0.push(spawn("smsbox"));

    // The client's own dlr-url, as RapidSMS writes it.
    let dlr = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dlr_port = dlr.local_addr().unwrap().port();
    let (dlr_tx, mut dlr_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut c, _)) = dlr.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&head)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned();
            let _ = c
                .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await;
            let _ = dlr_tx.send(line);
        }
    });
    let client_dlr = format!(
        "http://127.0.0.1:{dlr_port}/dlr?message_id=m1&status=%d&status_text=%A&smsc=%i&sms_id=%I&date_sent=%t&identity=%p"
    );
    let client_dlr: String = form_urlencoded::byte_serialize(client_dlr.as_bytes()).collect();

    // smsbox takes the request once it is connected to the bearerbox; until then it refuses.
    let text = "hello from kannel";
    let url = format!(
        "http://127.0.0.1:{user_port}/cgi-bin/sendsms?username=tester&password=foobar&to=%2B819012345678&text=hello+from+kannel&dlr-mask=9&dlr-url={client_dlr}"
    );
    loop {
        if let Some((202, body)) = get(&url).await {
            assert_eq!(body, "0: Accepted for delivery");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "smsbox never took the message"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The modem sends it, and Kannel counts it sent: it took smsgate's answer as a success.
    let status_url = format!("http://127.0.0.1:{admin}/status.txt?password=adminpass");
    loop {
        let sent = reassemble(&sim.request(Request::State).await["sent"]);
        let status = get(&status_url).await.map(|(_, b)| b).unwrap_or_default();
        let smsc_line = status
            .lines()
            .find(|l| l.contains("smsgate"))
            .unwrap_or("")
            .to_owned();
        if sent.get(TO).is_some_and(|t| !t.is_empty()) && smsc_line.contains("sent: sms 1 ") {
            assert_eq!(sent[TO], vec![text.to_owned()], "sent once");
            assert!(smsc_line.contains("failed 0,"), "{smsc_line}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never sent and counted: modem {sent:?}, Kannel {smsc_line:?} (logs in {})",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Kannel's DLRs come back to the client's dlr-url, with Kannel's escapes expanded by
    // Kannel: its own "sent to SMSC" (8) when smsgate accepted the message, smsgate's 8 when
    // the modem sent it, then smsgate's "delivered" (1) when the status report came.
    let mut statuses: Vec<String> = Vec::new();
    while statuses.last().map(String::as_str) != Some("1") {
        let line = tokio::time::timeout(PATIENCE, dlr_rx.recv())
            .await
            .unwrap_or_else(|_| panic!("DLRs so far {statuses:?} (logs in {})", dir.display()))
            .unwrap();
        assert!(line.starts_with("GET /dlr?message_id=m1&status="), "{line}");
        assert!(line.contains("identity=%2B819012345678"), "{line}");
        let status = line
            .split("status=")
            .nth(1)
            .and_then(|r| r.split('&').next())
            .unwrap_or("")
            .to_owned();
        statuses.push(status);
    }
    // (Deliveries are not ordered per endpoint: smsgate's 8 may reach Kannel after the 1, and
    // Kannel, having closed the report, drops it.)
    let (last, before) = statuses.split_last().unwrap();
    assert_eq!(last, "1");
    assert!(
        !before.is_empty() && before.iter().all(|s| s == "8"),
        "sent before delivered: {statuses:?}"
    );
    drop(boxes);
    running.shutdown().await;
    sim.shutdown().await;
}
