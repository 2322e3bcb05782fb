//! Random numbers for ids, concatenation references and backoff jitter. No
//! crate needed: `RandomState`'s per-process keys mixed with a counter, so
//! two calls in the same instant still differ. Not for secrets.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 64 random bits.
pub fn u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish()
}

/// A fraction in `[0, 1)`, for jitter.
pub fn fraction() -> f64 {
    (u64() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    #[test]
    fn calls_differ_and_fractions_stay_in_range() {
        let a: Vec<u64> = (0..100).map(|_| super::u64()).collect();
        let mut b = a.clone();
        b.sort();
        b.dedup();
        assert_eq!(b.len(), a.len());
        assert!(
            (0..1000)
                .map(|_| super::fraction())
                .all(|f| (0.0..1.0).contains(&f))
        );
    }
}
