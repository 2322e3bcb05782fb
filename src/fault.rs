//! Crash points for the kill tests: the process aborts at a named point when `SMSGATE_FAULT`
//! names it, exactly as a `kill -9` at that instant would end it, so a test can stop the service
//! between two commits it could never hit by timing. Unset in service.
//!
//! Points: `fleet-after-commit`, `fleet-after-claim`, `fleet-after-ack` (`src/fleet`);
//! `campaign-after-chunk` (after a campaign's first chunk of messages is stored, before the
//! rest), `campaign-after-release` (after its first chunk entered the send queue)
//! (`src/gateway/campaign.rs`).

/// Aborts the process if `SMSGATE_FAULT` names `point`.
pub fn fault(point: &str) {
    static FAULT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let set = FAULT.get_or_init(|| std::env::var("SMSGATE_FAULT").ok());
    if set.as_deref() == Some(point) {
        tracing::error!(point, "SMSGATE_FAULT: aborting");
        std::process::abort();
    }
}
