//! Punjabi (national language identifier 10), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.3.10 Punjabi National Language Locking Shift Table.
///
/// Indexed by septet; one row per column of the spec's table (0x00–0x0F, 0x10–0x1F, …).
#[rustfmt::skip]
pub(super) static LOCKING: [char; 128] = [
    /* 0x00 */ '\u{0A01}', '\u{0A02}', '\u{0A03}', '\u{0A05}', '\u{0A06}', '\u{0A07}', '\u{0A08}', '\u{0A09}', '\u{0A0A}', NONE,       '\n',       NONE,       NONE,       '\r',       NONE,       '\u{0A0F}',
    /* 0x10 */ '\u{0A10}', NONE,       NONE,       '\u{0A13}', '\u{0A14}', '\u{0A15}', '\u{0A16}', '\u{0A17}', '\u{0A18}', '\u{0A19}', '\u{0A1A}', NONE,       '\u{0A1B}', '\u{0A1C}', '\u{0A1D}', '\u{0A1E}',
    // note: 0x2C is ',' per the V16.0.0 text (lib3gpp23038), AOSP, B2G; the V18.0.0-derived gsmcodecs
    // CSV has U+0027 here, taken as a transcription slip.
    /* 0x20 */ ' ',        '!',        '\u{0A1F}', '\u{0A20}', '\u{0A21}', '\u{0A22}', '\u{0A23}', '\u{0A24}', ')',        '(',        '\u{0A25}', '\u{0A26}', ',',        '\u{0A27}', '.',        '\u{0A28}',
    /* 0x30 */ '0',        '1',        '2',        '3',        '4',        '5',        '6',        '7',        '8',        '9',        ':',        ';',        NONE,       '\u{0A2A}', '\u{0A2B}', '?',
    /* 0x40 */ '\u{0A2C}', '\u{0A2D}', '\u{0A2E}', '\u{0A2F}', '\u{0A30}', NONE,       '\u{0A32}', '\u{0A33}', NONE,       '\u{0A35}', '\u{0A36}', NONE,       '\u{0A38}', '\u{0A39}', '\u{0A3C}', NONE,
    /* 0x50 */ '\u{0A3E}', '\u{0A3F}', '\u{0A40}', '\u{0A41}', '\u{0A42}', NONE,       NONE,       NONE,       NONE,       '\u{0A47}', '\u{0A48}', NONE,       NONE,       '\u{0A4B}', '\u{0A4C}', '\u{0A4D}',
    /* 0x60 */ '\u{0A51}', 'a',        'b',        'c',        'd',        'e',        'f',        'g',        'h',        'i',        'j',        'k',        'l',        'm',        'n',        'o',
    /* 0x70 */ 'p',        'q',        'r',        's',        't',        'u',        'v',        'w',        'x',        'y',        'z',        '\u{0A70}', '\u{0A71}', '\u{0A72}', '\u{0A73}', '\u{0A74}',
];

/// TS 23.038 §A.2.10 Punjabi National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ '@',        '\u{00A3}', '$',        '\u{00A5}', '\u{00BF}', '"',        '\u{00A4}', '%',        '&',  '\'',       '\u{000C}', '*',        '+',        NONE,       '-',        '/',
    /* 0x10 */ '<',        '=',        '>',        '\u{00A1}', '^',        '\u{00A1}', '_',        '#',        '*',  '\u{0964}', '\u{0965}', NONE,       '\u{0A66}', '\u{0A67}', '\u{0A68}', '\u{0A69}',
    // note: lib3gpp23038 (V16.0.0 text) has U+004F at 0x23; gsmcodecs (V18.0.0), AOSP, B2G give
    // U+0A6D.
    /* 0x20 */ '\u{0A6A}', '\u{0A6B}', '\u{0A6C}', '\u{0A6D}', '\u{0A6E}', '\u{0A6F}', '\u{0A59}', '\u{0A5A}', '{',  '}',        '\u{0A5B}', '\u{0A5C}', '\u{0A5E}', '\u{0A75}', NONE,       '\\',
    /* 0x30 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE,       NONE,       NONE,       '[',        '~',        ']',        NONE,
    /* 0x40 */ '|',        'A',        'B',        'C',        'D',        'E',        'F',        'G',        'H',  'I',        'J',        'K',        'L',        'M',        'N',        'O',
    /* 0x50 */ 'P',        'Q',        'R',        'S',        'T',        'U',        'V',        'W',        'X',  'Y',        'Z',        NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x60 */ NONE,       NONE,       NONE,       NONE,       NONE,       '\u{20AC}', NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x70 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
];
