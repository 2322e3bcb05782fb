//! Cheap read-only counts for metrics and health.

use super::{Error, Store};

impl Store {
    /// Outbound recipients waiting in the queue (state `queued`, due or not).
    pub async fn queue_depth(&self) -> Result<u64, Error> {
        self.read(|tx| {
            let n: i64 = tx
                .conn
                .prepare_cached("SELECT COUNT(*) FROM outbound_recipients WHERE state = 'queued'")?
                .query_row([], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}
