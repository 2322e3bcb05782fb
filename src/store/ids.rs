//! Public ids: a prefix, the creation time in milliseconds (12 hex digits, so ids sort by time)
//! and 64 random bits ([`crate::random`]).

/// A new id such as `msg_0192f3a4b5c6d7e8f9a0b1c2d3e4`.
pub(crate) fn new_id(prefix: &str, now_ms: i64) -> String {
    let random = crate::random::u64();
    let time = (now_ms.max(0) as u64) & 0xffff_ffff_ffff;
    format!("{prefix}{time:012x}{random:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_prefixed() {
        let a = new_id("msg_", 1_700_000_000_000);
        let b = new_id("msg_", 1_700_000_000_000);
        assert_ne!(a, b);
        assert!(a.starts_with("msg_"));
        assert_eq!(a.len(), 4 + 12 + 16);
    }
}
