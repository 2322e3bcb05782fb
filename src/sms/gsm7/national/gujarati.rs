//! Gujarati (national language identifier 5), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.3.5 Gujarati National Language Locking Shift Table.
///
/// Indexed by septet; one row per column of the spec's table (0x00–0x0F, 0x10–0x1F, …).
#[rustfmt::skip]
pub(super) static LOCKING: [char; 128] = [
    /* 0x00 */ '\u{0A81}', '\u{0A82}', '\u{0A83}', '\u{0A85}', '\u{0A86}', '\u{0A87}', '\u{0A88}', '\u{0A89}', '\u{0A8A}', '\u{0A8B}', '\n',       '\u{0A8C}', '\u{0A8D}', '\r',       NONE,       '\u{0A8F}',
    /* 0x10 */ '\u{0A90}', '\u{0A91}', NONE,       '\u{0A93}', '\u{0A94}', '\u{0A95}', '\u{0A96}', '\u{0A97}', '\u{0A98}', '\u{0A99}', '\u{0A9A}', NONE,       '\u{0A9B}', '\u{0A9C}', '\u{0A9D}', '\u{0A9E}',
    // note: 0x2C is ',' per the V16.0.0 text (lib3gpp23038), AOSP, B2G; the V18.0.0-derived gsmcodecs
    // CSV has U+0027 here, taken as a transcription slip.
    /* 0x20 */ ' ',        '!',        '\u{0A9F}', '\u{0AA0}', '\u{0AA1}', '\u{0AA2}', '\u{0AA3}', '\u{0AA4}', ')',        '(',        '\u{0AA5}', '\u{0AA6}', ',',        '\u{0AA7}', '.',        '\u{0AA8}',
    /* 0x30 */ '0',        '1',        '2',        '3',        '4',        '5',        '6',        '7',        '8',        '9',        ':',        ';',        NONE,       '\u{0AAA}', '\u{0AAB}', '?',
    /* 0x40 */ '\u{0AAC}', '\u{0AAD}', '\u{0AAE}', '\u{0AAF}', '\u{0AB0}', NONE,       '\u{0AB2}', '\u{0AB3}', NONE,       '\u{0AB5}', '\u{0AB6}', '\u{0AB7}', '\u{0AB8}', '\u{0AB9}', '\u{0ABC}', '\u{0ABD}',
    /* 0x50 */ '\u{0ABE}', '\u{0ABF}', '\u{0AC0}', '\u{0AC1}', '\u{0AC2}', '\u{0AC3}', '\u{0AC4}', '\u{0AC5}', NONE,       '\u{0AC7}', '\u{0AC8}', '\u{0AC9}', NONE,       '\u{0ACB}', '\u{0ACC}', '\u{0ACD}',
    /* 0x60 */ '\u{0AD0}', 'a',        'b',        'c',        'd',        'e',        'f',        'g',        'h',        'i',        'j',        'k',        'l',        'm',        'n',        'o',
    /* 0x70 */ 'p',        'q',        'r',        's',        't',        'u',        'v',        'w',        'x',        'y',        'z',        '\u{0AE0}', '\u{0AE1}', '\u{0AE2}', '\u{0AE3}', '\u{0AF1}',
];

/// TS 23.038 §A.2.5 Gujarati National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ '@',        '\u{00A3}', '$',        '\u{00A5}', '\u{00BF}', '"',        '\u{00A4}', '%',  '&',  '\'',       '\u{000C}', '*',  '+',        NONE,       '-',        '/',
    /* 0x10 */ '<',        '=',        '>',        '\u{00A1}', '^',        '\u{00A1}', '_',        '#',  '*',  '\u{0964}', '\u{0965}', NONE, '\u{0AE6}', '\u{0AE7}', '\u{0AE8}', '\u{0AE9}',
    /* 0x20 */ '\u{0AEA}', '\u{0AEB}', '\u{0AEC}', '\u{0AED}', '\u{0AEE}', '\u{0AEF}', NONE,       NONE, '{',  '}',        NONE,       NONE, NONE,       NONE,       NONE,       '\\',
    /* 0x30 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE, NONE,       NONE,       NONE, '[',        '~',        ']',        NONE,
    /* 0x40 */ '|',        'A',        'B',        'C',        'D',        'E',        'F',        'G',  'H',  'I',        'J',        'K',  'L',        'M',        'N',        'O',
    /* 0x50 */ 'P',        'Q',        'R',        'S',        'T',        'U',        'V',        'W',  'X',  'Y',        'Z',        NONE, NONE,       NONE,       NONE,       NONE,
    /* 0x60 */ NONE,       NONE,       NONE,       NONE,       NONE,       '\u{20AC}', NONE,       NONE, NONE, NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,
    /* 0x70 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE, NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,
];
