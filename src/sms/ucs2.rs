//! UCS-2 user data, read as UTF-16BE (TS 23.038 §6.2.3): characters outside
//! the Basic Multilingual Plane (emoji) travel as surrogate pairs.

/// Decodes UTF-16BE, appending to `out`. An unpaired surrogate becomes
/// U+FFFD and a final odd octet is dropped, so no input fails. Callers that
/// reassemble concatenated parts decode the joined octets, so a pair a broken
/// sender split across parts is rejoined.
pub fn decode(data: &[u8], out: &mut String) {
    out.reserve(data.len() / 2);
    let units = data
        .chunks_exact(2)
        .filter_map(|p| <[u8; 2]>::try_from(p).ok())
        .map(u16::from_be_bytes);
    out.extend(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)));
}

/// Encodes `text` as UTF-16BE, appending to `out`.
pub fn encode(text: &str, out: &mut Vec<u8>) {
    out.reserve(text.len() * 2);
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
}

/// UTF-16 code units `c` takes: 2 for a character outside the BMP.
pub fn units(c: char) -> usize {
    c.len_utf16()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucs2_table() {
        let cases: &[(&str, &str, &[u8])] = &[
            (
                "cyrillic",
                "тест",
                &[0x04, 0x42, 0x04, 0x35, 0x04, 0x41, 0x04, 0x42],
            ),
            ("kana", "あ", &[0x30, 0x42]),
            ("emoji surrogate pair", "😀", &[0xD8, 0x3D, 0xDE, 0x00]),
            (
                "full-width",
                "ＳＴＯＰ",
                &[0xFF, 0x33, 0xFF, 0x34, 0xFF, 0x2F, 0xFF, 0x30],
            ),
            ("empty", "", &[]),
        ];
        for (name, text, bytes) in cases {
            let mut enc = Vec::new();
            encode(text, &mut enc);
            assert_eq!(enc, *bytes, "encode {name}");
            let mut dec = String::new();
            decode(bytes, &mut dec);
            assert_eq!(dec, *text, "decode {name}");
        }
    }

    #[test]
    fn broken_input_never_fails() {
        let cases: &[(&str, &[u8], &str)] = &[
            ("lone high surrogate", &[0xD8, 0x3D], "\u{FFFD}"),
            (
                "lone low surrogate then a",
                &[0xDE, 0x00, 0x00, 0x61],
                "\u{FFFD}a",
            ),
            ("odd octet dropped", &[0x00, 0x61, 0x00], "a"),
        ];
        for (name, bytes, text) in cases {
            let mut dec = String::new();
            decode(bytes, &mut dec);
            assert_eq!(dec, *text, "{name}");
        }
    }
}
