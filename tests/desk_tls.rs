//! The desk and the API over TLS (`[http] tls_cert`, `tls_key`; cargo feature `tls`): a real
//! rustls client on loopback logs in through the service and gets a `Secure` session cookie;
//! a plain-HTTP request to the TLS port gets no answer. Run by `.ci/run` with
//! `cargo test --features tls --test desk_tls`.

#![cfg(feature = "tls")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use smsgate::app::{self, Options};
use smsgate::config::Config;
use smsgate::desk::auth::hash_password;
use smsgate::store::Role;

mod common;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

/// One HTTP/1.1 request over `io`; the whole response as text.
async fn exchange<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    io: &mut S,
    request: &str,
) -> String {
    io.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = io.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn login_over_tls_sets_a_secure_cookie() {
    let dir = common::temp_dir("desk_tls");
    let text = format!(
        "[http]\nlisten = \"127.0.0.1:0\"\ntls_cert = {:?}\ntls_key = {:?}\n\n[storage]\npath = {:?}\n",
        format!("{FIXTURES}/cert.pem"),
        format!("{FIXTURES}/key.pem"),
        dir.join("smsgate.db").display().to_string(),
    );
    let config = Config::parse(&text, &dir.join("smsgate.toml")).unwrap();
    let running = app::start(Options {
        config,
        simulate: 0,
    })
    .await
    .unwrap();
    let hash = hash_password("tls-pass-123").unwrap();
    running
        .store
        .atomically(move |tx| {
            tx.add_user("aiko", Role::Admin, &hash, jiff::Timestamp::now())?;
            Ok(())
        })
        .await
        .unwrap();

    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(format!("{FIXTURES}/cert.pem")).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    #[allow(deprecated)]
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(client));
    let tcp = TcpStream::connect(running.addr).await.unwrap();
    let name = ServerName::IpAddress(running.addr.ip().into());
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let body = "username=aiko&password=tls-pass-123";
    let resp = exchange(
        &mut tls,
        &format!(
            "POST /login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            running.addr,
            body.len()
        ),
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 303"), "{resp}");
    let cookie = resp
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_default();
    assert!(cookie.contains("smsgate_session="), "{resp}");
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // Plain HTTP to the TLS port: the handshake fails and no HTTP answer comes back.
    let mut plain = TcpStream::connect(running.addr).await.unwrap();
    let resp = exchange(
        &mut plain,
        "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(!resp.starts_with("HTTP/1.1 200"), "{resp}");

    running.shutdown().await;
}
