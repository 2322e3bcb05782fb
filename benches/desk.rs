//! The desk's server time with 10,000 conversations and 200,000 messages (10 in and 10 out
//! each, Japanese and English texts): the inbox's first page, one thread, and a search, each
//! through the whole router (session check included) with `oneshot`, no socket.
//! `cargo bench --bench desk`; figures in docs/benchmarks.md (goals: inbox and thread p50 at
//! most 20 ms, search at most 50 ms).

// A bench unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use rusqlite::params;
use tokio::sync::Notify;
use tower::ServiceExt;

use smsgate::config::Config;
use smsgate::desk::auth::token_hash;
use smsgate::http::{AppState, router};
use smsgate::metrics::Metrics;
use smsgate::modem::ModemStatus;
use smsgate::rules::Live;
use smsgate::store::Store;

const CONVERSATIONS: i64 = 10_000;
const PER_SIDE: i64 = 10;
const TOKEN: &str = "bench-session-token";

const PHRASES: &[&str] = &[
    "予約を変更したいのですが、明日の15時は空いていますか？",
    "配送状況を教えてください。注文番号は",
    "ありがとうございます。担当者より折り返しご連絡します。",
    "Is the shop open on Sunday?",
    "領収書の再発行をお願いします",
    "キャンセル料はかかりますか",
    "Thank you, see you tomorrow",
    "駐車場はありますか？",
];

/// Seeds the database with plain SQL in one transaction (the store's own path would take
/// minutes for 200,000 messages and measures nothing here).
fn seed(path: &Path) {
    Store::open(path).unwrap();
    let mut conn = rusqlite::Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    let t0: i64 = 1_790_000_000_000;
    for c in 0..CONVERSATIONS {
        let number = format!("+8190{:08}", c);
        let conv = format!("conv_{c:028}");
        let base = t0 + c * 60_000;
        for i in 0..PER_SIDE {
            let at = base + i * 2_000;
            let text = format!(
                "{} {}",
                PHRASES[((c + i) % PHRASES.len() as i64) as usize],
                c * 100 + i
            );
            tx.execute(
                "INSERT INTO inbound_messages (id, modem, sender, reference, total, parts, complete, \
                 text, first_received_at, completed_at, processed_at) \
                 VALUES (?1, 'm0', ?2, 0, 1, 1, 1, ?3, ?4, ?4, ?4)",
                params![format!("in_{c:012}{i:04}"), number, text, at],
            )
            .unwrap();
            let id = format!("msg_{c:012}{i:04}");
            tx.execute(
                "INSERT INTO outbound_messages (id, fingerprint, body, send_at, max_attempts, \
                 created_by, state, created_at, updated_at, origin) \
                 VALUES (?1, '', ?2, ?3, 3, 'desk:aiko', 'delivered', ?3, ?3, 'reply')",
                params![id, format!("Re: {text}"), at + 1_000],
            )
            .unwrap();
            tx.execute(
                "INSERT INTO outbound_recipients (message_id, idx, number, state, next_attempt_at, \
                 modem, created_at, updated_at, sent_at, delivered_at) \
                 VALUES (?1, 0, ?2, 'delivered', ?3, 'm0', ?3, ?3, ?3, ?3)",
                params![id, number, at + 1_000],
            )
            .unwrap();
        }
        let last = base + PER_SIDE * 2_000;
        tx.execute(
            "INSERT INTO conversations (id, number, state, unread, episode, last_inbound_at, \
             last_outbound_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?6)",
            params![
                conv,
                number,
                if c % 3 == 0 { "open" } else { "waiting" },
                c % 2,
                c + 1,
                last,
                base
            ],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO episodes (id, conversation, opened_at) VALUES (?1, ?2, ?3)",
            params![c + 1, conv, base],
        )
        .unwrap();
    }
    tx.execute(
        "INSERT INTO users (name, role, password, created_at, updated_at) \
         VALUES ('aiko', 'admin', 'x', 0, 0)",
        [],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO sessions (token_hash, user, csrf, created_at, expires_at) \
         VALUES (?1, 'aiko', 'c', 0, 9999999999999)",
        [token_hash(TOKEN)],
    )
    .unwrap();
    tx.commit().unwrap();
}

fn state(store: Store) -> AppState {
    let config = Config::parse(
        "[support]\ntimezone = \"Asia/Tokyo\"\n",
        Path::new("bench.toml"),
    )
    .unwrap();
    let rules = Arc::new(Live::new(&config.support, config.rules.clone(), Vec::new()).unwrap());
    AppState {
        store,
        rules,
        config: Arc::new(config),
        modems: Arc::new(Vec::<ModemStatus>::new()),
        dispatch: Arc::new(Notify::new()),
        release: Arc::new(Notify::new()),
        metrics: Arc::new(Metrics::new()),
        desk: Arc::new(smsgate::desk::Desk::default()),
    }
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("smsgate-bench-desk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("desk.db");
    seed(&db);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(async { router(state(Store::open(&db).unwrap())) });
    let get = |path: &str| {
        let app = app.clone();
        let req = Request::get(path)
            .header("cookie", format!("smsgate_session={TOKEN}"))
            .body(Body::empty())
            .unwrap();
        rt.block_on(async move {
            let resp = app.oneshot(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap()
                .len()
        })
    };
    let mut g = c.benchmark_group("desk");
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("inbox first page", |b| b.iter(|| get("/inbox")));
    g.bench_function("thread", |b| {
        b.iter(|| get("/c/conv_0000000000000000000000004321"))
    });
    g.bench_function("search 3+ chars (trigram)", |b| {
        b.iter(|| get("/inbox/list?q=%E9%A0%98%E5%8F%8E%E6%9B%B8"))
    });
    g.bench_function("search 2 chars (scan)", |b| {
        b.iter(|| get("/inbox/list?q=%E9%A7%90%E8%BB%8A"))
    });
    g.bench_function("search number", |b| {
        b.iter(|| get("/inbox/list?q=090-0000-43"))
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
