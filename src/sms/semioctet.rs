//! Semi-octet (swapped BCD) digits, TS 23.040 §9.1.2.3: the first digit of
//! each octet is in its low nibble.

/// The digit a semi-octet stands for in an address value: 0-9, `*`, `#`, and
/// `a`, `b`, `c` for 1100, 1101, 1110. 1111 is the filler (None).
pub fn digit_char(nibble: u8) -> Option<char> {
    match nibble {
        0..=9 => Some(char::from(b'0' + nibble)),
        0xA => Some('*'),
        0xB => Some('#'),
        0xC => Some('a'),
        0xD => Some('b'),
        0xE => Some('c'),
        _ => None,
    }
}

/// The semi-octet for an address digit, the inverse of [`digit_char`].
pub fn char_digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '*' => Some(0xA),
        '#' => Some(0xB),
        'a' | 'A' => Some(0xC),
        'b' | 'B' => Some(0xD),
        'c' | 'C' => Some(0xE),
        _ => None,
    }
}

/// Packs digits (nibble values) two per octet, low nibble first, padding an
/// odd count with the 1111 filler.
pub fn pack(nibbles: impl IntoIterator<Item = u8>, out: &mut Vec<u8>) {
    let mut low: Option<u8> = None;
    for n in nibbles {
        match low.take() {
            None => low = Some(n & 0x0F),
            Some(l) => out.push(l | (n & 0x0F) << 4),
        }
    }
    if let Some(l) = low {
        out.push(l | 0xF0);
    }
}

/// A two-digit decimal value in swapped BCD (timestamps). Returns the bad
/// nibble on failure.
pub fn decimal(octet: u8) -> Result<u8, u8> {
    let (lo, hi) = (octet & 0x0F, octet >> 4);
    if lo > 9 {
        return Err(lo);
    }
    if hi > 9 {
        return Err(hi);
    }
    Ok(lo * 10 + hi)
}

/// Inverse of [`decimal`] for 0..=99.
pub fn to_decimal(v: u8) -> u8 {
    let v = v % 100;
    (v / 10) | (v % 10) << 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_table() {
        let cases: &[(&str, u8, Result<u8, u8>)] = &[
            ("zero", 0x00, Ok(0)),
            ("swapped", 0x21, Ok(12)),
            ("ninety-nine", 0x99, Ok(99)),
            ("bad low nibble", 0x0A, Err(0xA)),
            ("bad high nibble", 0xF1, Err(0xF)),
        ];
        for (name, octet, want) in cases {
            assert_eq!(decimal(*octet), *want, "{name}");
            if let Ok(v) = want {
                assert_eq!(to_decimal(*v), *octet, "{name} encode");
            }
        }
    }

    #[test]
    fn pack_pads_odd_counts_with_filler() {
        let mut out = Vec::new();
        pack([1, 2, 3], &mut out);
        assert_eq!(out, [0x21, 0xF3]);
        out.clear();
        pack([1, 2], &mut out);
        assert_eq!(out, [0x21]);
    }

    #[test]
    fn digits_round_trip() {
        for n in 0..=0xE {
            let c = digit_char(n).unwrap();
            assert_eq!(char_digit(c), Some(n));
        }
        assert_eq!(digit_char(0xF), None);
    }
}
