//! Malayalam (national language identifier 8), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.3.8 Malayalam National Language Locking Shift Table.
///
/// Indexed by septet; one row per column of the spec's table (0x00–0x0F, 0x10–0x1F, …).
#[rustfmt::skip]
pub(super) static LOCKING: [char; 128] = [
    /* 0x00 */ NONE,       '\u{0D02}', '\u{0D03}', '\u{0D05}', '\u{0D06}', '\u{0D07}', '\u{0D08}', '\u{0D09}', '\u{0D0A}', '\u{0D0B}', '\n',       '\u{0D0C}', NONE,       '\r',       '\u{0D0E}', '\u{0D0F}',
    /* 0x10 */ '\u{0D10}', NONE,       '\u{0D12}', '\u{0D13}', '\u{0D14}', '\u{0D15}', '\u{0D16}', '\u{0D17}', '\u{0D18}', '\u{0D19}', '\u{0D1A}', NONE,       '\u{0D1B}', '\u{0D1C}', '\u{0D1D}', '\u{0D1E}',
    // note: 0x2C is ',' per the V16.0.0 text (lib3gpp23038), AOSP, B2G; the V18.0.0-derived gsmcodecs
    // CSV has U+0027 here, taken as a transcription slip.
    /* 0x20 */ ' ',        '!',        '\u{0D1F}', '\u{0D20}', '\u{0D21}', '\u{0D22}', '\u{0D23}', '\u{0D24}', ')',        '(',        '\u{0D25}', '\u{0D26}', ',',        '\u{0D27}', '.',        '\u{0D28}',
    /* 0x30 */ '0',        '1',        '2',        '3',        '4',        '5',        '6',        '7',        '8',        '9',        ':',        ';',        NONE,       '\u{0D2A}', '\u{0D2B}', '?',
    /* 0x40 */ '\u{0D2C}', '\u{0D2D}', '\u{0D2E}', '\u{0D2F}', '\u{0D30}', '\u{0D31}', '\u{0D32}', '\u{0D33}', '\u{0D34}', '\u{0D35}', '\u{0D36}', '\u{0D37}', '\u{0D38}', '\u{0D39}', NONE,       '\u{0D3D}',
    /* 0x50 */ '\u{0D3E}', '\u{0D3F}', '\u{0D40}', '\u{0D41}', '\u{0D42}', '\u{0D43}', '\u{0D44}', NONE,       '\u{0D46}', '\u{0D47}', '\u{0D48}', NONE,       '\u{0D4A}', '\u{0D4B}', '\u{0D4C}', '\u{0D4D}',
    /* 0x60 */ '\u{0D57}', 'a',        'b',        'c',        'd',        'e',        'f',        'g',        'h',        'i',        'j',        'k',        'l',        'm',        'n',        'o',
    /* 0x70 */ 'p',        'q',        'r',        's',        't',        'u',        'v',        'w',        'x',        'y',        'z',        '\u{0D60}', '\u{0D61}', '\u{0D62}', '\u{0D63}', '\u{0D79}',
];

/// TS 23.038 §A.2.8 Malayalam National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ '@',        '\u{00A3}', '$',        '\u{00A5}', '\u{00BF}', '"',        '\u{00A4}', '%',        '&',  '\'',       '\u{000C}', '*',        '+',        NONE,       '-',        '/',
    /* 0x10 */ '<',        '=',        '>',        '\u{00A1}', '^',        '\u{00A1}', '_',        '#',        '*',  '\u{0964}', '\u{0965}', NONE,       '\u{0D66}', '\u{0D67}', '\u{0D68}', '\u{0D69}',
    /* 0x20 */ '\u{0D6A}', '\u{0D6B}', '\u{0D6C}', '\u{0D6D}', '\u{0D6E}', '\u{0D6F}', '\u{0D70}', '\u{0D71}', '{',  '}',        '\u{0D72}', '\u{0D73}', '\u{0D74}', '\u{0D75}', '\u{0D7A}', '\\',
    /* 0x30 */ '\u{0D7B}', '\u{0D7C}', '\u{0D7D}', '\u{0D7E}', '\u{0D7F}', NONE,       NONE,       NONE,       NONE, NONE,       NONE,       NONE,       '[',        '~',        ']',        NONE,
    /* 0x40 */ '|',        'A',        'B',        'C',        'D',        'E',        'F',        'G',        'H',  'I',        'J',        'K',        'L',        'M',        'N',        'O',
    /* 0x50 */ 'P',        'Q',        'R',        'S',        'T',        'U',        'V',        'W',        'X',  'Y',        'Z',        NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x60 */ NONE,       NONE,       NONE,       NONE,       NONE,       '\u{20AC}', NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x70 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
];
