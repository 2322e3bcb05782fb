//! Oriya (national language identifier 9), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.3.9 Oriya National Language Locking Shift Table.
///
/// Indexed by septet; one row per column of the spec's table (0x00–0x0F, 0x10–0x1F, …).
#[rustfmt::skip]
pub(super) static LOCKING: [char; 128] = [
    /* 0x00 */ '\u{0B01}', '\u{0B02}', '\u{0B03}', '\u{0B05}', '\u{0B06}', '\u{0B07}', '\u{0B08}', '\u{0B09}', '\u{0B0A}', '\u{0B0B}', '\n',       '\u{0B0C}', NONE,       '\r',       NONE,       '\u{0B0F}',
    /* 0x10 */ '\u{0B10}', NONE,       NONE,       '\u{0B13}', '\u{0B14}', '\u{0B15}', '\u{0B16}', '\u{0B17}', '\u{0B18}', '\u{0B19}', '\u{0B1A}', NONE,       '\u{0B1B}', '\u{0B1C}', '\u{0B1D}', '\u{0B1E}',
    // note: 0x2C is ',' per the V16.0.0 text (lib3gpp23038), AOSP, B2G; the V18.0.0-derived gsmcodecs
    // CSV has U+0027 here, taken as a transcription slip.
    /* 0x20 */ ' ',        '!',        '\u{0B1F}', '\u{0B20}', '\u{0B21}', '\u{0B22}', '\u{0B23}', '\u{0B24}', ')',        '(',        '\u{0B25}', '\u{0B26}', ',',        '\u{0B27}', '.',        '\u{0B28}',
    /* 0x30 */ '0',        '1',        '2',        '3',        '4',        '5',        '6',        '7',        '8',        '9',        ':',        ';',        NONE,       '\u{0B2A}', '\u{0B2B}', '?',
    // note: lib3gpp23038 (V16.0.0 text) has U+0B3C at 0x47 (duplicating 0x4E); gsmcodecs (V18.0.0),
    // AOSP, B2G give U+0B33.
    /* 0x40 */ '\u{0B2C}', '\u{0B2D}', '\u{0B2E}', '\u{0B2F}', '\u{0B30}', NONE,       '\u{0B32}', '\u{0B33}', NONE,       '\u{0B35}', '\u{0B36}', '\u{0B37}', '\u{0B38}', '\u{0B39}', '\u{0B3C}', '\u{0B3D}',
    /* 0x50 */ '\u{0B3E}', '\u{0B3F}', '\u{0B40}', '\u{0B41}', '\u{0B42}', '\u{0B43}', '\u{0B44}', NONE,       NONE,       '\u{0B47}', '\u{0B48}', NONE,       NONE,       '\u{0B4B}', '\u{0B4C}', '\u{0B4D}',
    /* 0x60 */ '\u{0B56}', 'a',        'b',        'c',        'd',        'e',        'f',        'g',        'h',        'i',        'j',        'k',        'l',        'm',        'n',        'o',
    /* 0x70 */ 'p',        'q',        'r',        's',        't',        'u',        'v',        'w',        'x',        'y',        'z',        '\u{0B57}', '\u{0B60}', '\u{0B61}', '\u{0B62}', '\u{0B63}',
];

/// TS 23.038 §A.2.9 Oriya National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ '@',        '\u{00A3}', '$',        '\u{00A5}', '\u{00BF}', '"',        '\u{00A4}', '%',        '&',  '\'',       '\u{000C}', '*',        '+',        NONE,       '-',        '/',
    /* 0x10 */ '<',        '=',        '>',        '\u{00A1}', '^',        '\u{00A1}', '_',        '#',        '*',  '\u{0964}', '\u{0965}', NONE,       '\u{0B66}', '\u{0B67}', '\u{0B68}', '\u{0B69}',
    /* 0x20 */ '\u{0B6A}', '\u{0B6B}', '\u{0B6C}', '\u{0B6D}', '\u{0B6E}', '\u{0B6F}', '\u{0B5C}', '\u{0B5D}', '{',  '}',        '\u{0B5F}', '\u{0B70}', '\u{0B71}', NONE,       NONE,       '\\',
    /* 0x30 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE,       NONE,       NONE,       '[',        '~',        ']',        NONE,
    /* 0x40 */ '|',        'A',        'B',        'C',        'D',        'E',        'F',        'G',        'H',  'I',        'J',        'K',        'L',        'M',        'N',        'O',
    /* 0x50 */ 'P',        'Q',        'R',        'S',        'T',        'U',        'V',        'W',        'X',  'Y',        'Z',        NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x60 */ NONE,       NONE,       NONE,       NONE,       NONE,       '\u{20AC}', NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x70 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
];
