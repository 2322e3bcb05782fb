//! Hex as modems print PDUs (TS 27.005 §3.1: PDU mode writes each octet as two upper-case
//! hex digits). Below every other codec layer: anything that shows octets as text uses it.

use super::error::{DecodeError, DecodeErrorKind};

/// Hex digit values; 0xFF for bytes that are not hex digits.
// Built at compile time: an index out of range fails the build, not a decode.
#[allow(clippy::indexing_slicing)]
static HEX: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Hex to octets; upper or lower case, no separators. Bounded by the input.
pub fn from_hex(s: &str) -> Result<Vec<u8>, DecodeError> {
    let b = s.as_bytes();
    let bad = |i: usize| DecodeError::new("hex", i / 2, DecodeErrorKind::InvalidHex);
    if !b.len().is_multiple_of(2) {
        return Err(bad(b.len()));
    }
    let mut out = Vec::with_capacity(b.len() / 2);
    for (i, pair) in b.chunks_exact(2).enumerate() {
        let &[a, b] = pair else {
            return Err(bad(2 * i));
        };
        let (hi, lo) = (value(a), value(b));
        if (hi | lo) & 0xF0 != 0 {
            return Err(bad(if hi == 0xFF { 2 * i } else { 2 * i + 1 }));
        }
        out.push(hi << 4 | lo);
    }
    Ok(out)
}

/// The value of one hex digit, 0xFF for anything else.
fn value(b: u8) -> u8 {
    HEX.get(usize::from(b)).copied().unwrap_or(0xFF)
}

/// Octets to upper-case hex, as modems print it.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let digit = |n: u8| char::from(DIGITS.get(usize::from(n & 0x0F)).copied().unwrap_or(b'0'));
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(digit(b >> 4));
        s.push(digit(b));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_table() {
        let cases: &[(&str, &str, Result<&[u8], &str>)] = &[
            ("upper", "0A1B", Ok(&[0x0A, 0x1B])),
            ("lower", "0a1b", Ok(&[0x0A, 0x1B])),
            ("empty", "", Ok(&[])),
            ("odd length", "0A1", Err("hex at octet 1: not a hex string")),
            ("not hex", "0A=9", Err("hex at octet 1: not a hex string")),
        ];
        for (name, s, want) in cases {
            match (from_hex(s), want) {
                (Ok(b), Ok(w)) => {
                    assert_eq!(b, *w, "{name}");
                    assert_eq!(to_hex(&b), s.to_uppercase(), "{name} back");
                }
                (Err(e), Err(w)) => assert_eq!(e.to_string(), *w, "{name}"),
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
    }
}
