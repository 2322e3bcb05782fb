//! Septet packing, TS 23.038 §6.1.2.1.1.
//!
//! Septets are packed least significant bit first. When a UDH precedes the
//! text, `fill_bits` zero bits pad the header to a septet boundary
//! (TS 23.040 §9.2.3.24). Packed arrays of 8n and 8n-1 septets have the same
//! length, so the septet count always travels with the data (from TP-UDL).

/// Packs `septets` after `fill_bits` zero bits, appending to `out`.
pub fn pack(septets: &[u8], fill_bits: usize, out: &mut Vec<u8>) {
    out.reserve((fill_bits + septets.len() * 7).div_ceil(8));
    let mut acc: u32 = 0;
    let mut nbits = fill_bits as u32 % 8;
    for &s in septets {
        acc |= u32::from(s & 0x7F) << nbits;
        nbits += 7;
        while nbits >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            nbits -= 8;
        }
    }
    if nbits > 0 {
        out.push(acc as u8);
    }
}

/// Octets needed for `septets` septets after `fill_bits` fill bits.
pub fn packed_len(septets: usize, fill_bits: usize) -> usize {
    (fill_bits + septets * 7).div_ceil(8)
}

/// Unpacks `count` septets from `data`, skipping `fill_bits` leading bits.
/// Returns None when `data` is too short to hold them.
pub fn unpack(data: &[u8], fill_bits: usize, count: usize, out: &mut Vec<u8>) -> Option<()> {
    if fill_bits >= 8 || packed_len(count, fill_bits) > data.len() {
        return None;
    }
    out.reserve(count);
    let mut data = data;
    let mut count = count;
    if fill_bits == 0 {
        // Fast path: every 7 octets hold exactly 8 septets.
        while count >= 8 {
            let Some((chunk, rest)) = data.split_first_chunk::<7>() else {
                break;
            };
            let mut w = [0u8; 8];
            w[..7].copy_from_slice(chunk);
            let v = u64::from_le_bytes(w);
            for k in 0..8 {
                out.push(((v >> (7 * k)) & 0x7F) as u8);
            }
            data = rest;
            count -= 8;
        }
    }
    let mut bytes = data.iter();
    let mut acc: u32 = 0;
    let mut nbits: u32 = 0;
    let mut skip = fill_bits as u32;
    for _ in 0..count {
        while nbits < 7 {
            let b = u32::from(*bytes.next()?);
            acc |= (b >> skip) << nbits;
            nbits += 8 - skip;
            skip = 0;
        }
        out.push((acc & 0x7F) as u8);
        acc >>= 7;
        nbits -= 7;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pack_table() {
        // (name, septets, fill bits, packed)
        let cases: &[(&str, &[u8], usize, &[u8])] = &[
            // "hellohello", TS 23.038 example as used by ModemManager test_pdu3.
            (
                "hellohello",
                b"hellohello",
                0,
                &[0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37],
            ),
            ("one septet", &[0x41], 0, &[0x41]),
            (
                "seven septets spill one bit into a 7th octet",
                b"1234567",
                0,
                &[0x31, 0xD9, 0x8C, 0x56, 0xB3, 0xDD, 0x00],
            ),
            (
                "eight septets, seven octets",
                b"12345678",
                0,
                &[0x31, 0xD9, 0x8C, 0x56, 0xB3, 0xDD, 0x70],
            ),
            ("one fill bit after a 6-octet UDH", &[0x41], 1, &[0x82]),
            ("six fill bits", &[0x7F, 0x7F], 6, &[0xC0, 0xFF, 0x0F]),
            ("empty", &[], 0, &[]),
        ];
        for (name, septets, fill, packed) in cases {
            let mut out = Vec::new();
            pack(septets, *fill, &mut out);
            assert_eq!(out, *packed, "pack {name}");
            let mut back = Vec::new();
            unpack(packed, *fill, septets.len(), &mut back).unwrap();
            assert_eq!(back, *septets, "unpack {name}");
        }
    }

    #[test]
    fn unpack_rejects_short_input() {
        let mut out = Vec::new();
        assert_eq!(unpack(&[0xE8, 0x32], 0, 3, &mut out), None);
        assert_eq!(unpack(&[0xE8], 7, 1, &mut out), None);
        assert_eq!(unpack(&[0xE8], 8, 0, &mut out), None);
    }

    proptest! {
        #[test]
        fn pack_unpack_round_trip(septets in proptest::collection::vec(0u8..128, 0..200), fill in 0usize..7) {
            let mut packed = Vec::new();
            pack(&septets, fill, &mut packed);
            prop_assert_eq!(packed.len(), packed_len(septets.len(), fill));
            let mut back = Vec::new();
            prop_assert!(unpack(&packed, fill, septets.len(), &mut back).is_some());
            prop_assert_eq!(back, septets);
        }

        #[test]
        fn unpack_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64), fill in 0usize..10, count in 0usize..100) {
            let mut out = Vec::new();
            let _ = unpack(&data, fill, count, &mut out);
        }
    }
}
