//! Tamil (national language identifier 11), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.3.11 Tamil National Language Locking Shift Table.
///
/// Indexed by septet; one row per column of the spec's table (0x00–0x0F, 0x10–0x1F, …).
#[rustfmt::skip]
pub(super) static LOCKING: [char; 128] = [
    /* 0x00 */ NONE,       '\u{0B82}', '\u{0B83}', '\u{0B85}', '\u{0B86}', '\u{0B87}', '\u{0B88}', '\u{0B89}', '\u{0B8A}', NONE,       '\n',       NONE,       NONE,       '\r',       '\u{0B8E}', '\u{0B8F}',
    /* 0x10 */ '\u{0B90}', NONE,       '\u{0B92}', '\u{0B93}', '\u{0B94}', '\u{0B95}', NONE,       NONE,       NONE,       '\u{0B99}', '\u{0B9A}', NONE,       NONE,       '\u{0B9C}', NONE,       '\u{0B9E}',
    // note: 0x2C is ',' per the V16.0.0 text (lib3gpp23038), AOSP, B2G; the V18.0.0-derived gsmcodecs
    // CSV has U+0027 here, taken as a transcription slip.
    /* 0x20 */ ' ',        '!',        '\u{0B9F}', NONE,       NONE,       NONE,       '\u{0BA3}', '\u{0BA4}', ')',        '(',        NONE,       NONE,       ',',        NONE,       '.',        '\u{0BA8}',
    /* 0x30 */ '0',        '1',        '2',        '3',        '4',        '5',        '6',        '7',        '8',        '9',        ':',        ';',        '\u{0BA9}', '\u{0BAA}', NONE,       '?',
    /* 0x40 */ NONE,       NONE,       '\u{0BAE}', '\u{0BAF}', '\u{0BB0}', '\u{0BB1}', '\u{0BB2}', '\u{0BB3}', '\u{0BB4}', '\u{0BB5}', '\u{0BB6}', '\u{0BB7}', '\u{0BB8}', '\u{0BB9}', NONE,       NONE,
    /* 0x50 */ '\u{0BBE}', '\u{0BBF}', '\u{0BC0}', '\u{0BC1}', '\u{0BC2}', NONE,       NONE,       NONE,       '\u{0BC6}', '\u{0BC7}', '\u{0BC8}', NONE,       '\u{0BCA}', '\u{0BCB}', '\u{0BCC}', '\u{0BCD}',
    /* 0x60 */ '\u{0BD0}', 'a',        'b',        'c',        'd',        'e',        'f',        'g',        'h',        'i',        'j',        'k',        'l',        'm',        'n',        'o',
    /* 0x70 */ 'p',        'q',        'r',        's',        't',        'u',        'v',        'w',        'x',        'y',        'z',        '\u{0BD7}', '\u{0BF0}', '\u{0BF1}', '\u{0BF2}', '\u{0BF9}',
];

/// TS 23.038 §A.2.11 Tamil National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ '@',        '\u{00A3}', '$',        '\u{00A5}', '\u{00BF}', '"',        '\u{00A4}', '%',        '&',  '\'',       '\u{000C}', '*',        '+',        NONE,       '-',        '/',
    /* 0x10 */ '<',        '=',        '>',        '\u{00A1}', '^',        '\u{00A1}', '_',        '#',        '*',  '\u{0964}', '\u{0965}', NONE,       '\u{0BE6}', '\u{0BE7}', '\u{0BE8}', '\u{0BE9}',
    // note: 0x24 is U+0BEE; V9.1.1 (per AOSP) and V16.0.0 (per lib3gpp23038) print U+0BEF, duplicating
    // 0x25; gsmcodecs (V18.0.0), AOSP and B2G give U+0BEE.
    /* 0x20 */ '\u{0BEA}', '\u{0BEB}', '\u{0BEC}', '\u{0BED}', '\u{0BEE}', '\u{0BEF}', '\u{0BF3}', '\u{0BF4}', '{',  '}',        '\u{0BF5}', '\u{0BF6}', '\u{0BF7}', '\u{0BF8}', '\u{0BFA}', '\\',
    /* 0x30 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE,       NONE,       NONE,       '[',        '~',        ']',        NONE,
    /* 0x40 */ '|',        'A',        'B',        'C',        'D',        'E',        'F',        'G',        'H',  'I',        'J',        'K',        'L',        'M',        'N',        'O',
    /* 0x50 */ 'P',        'Q',        'R',        'S',        'T',        'U',        'V',        'W',        'X',  'Y',        'Z',        NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x60 */ NONE,       NONE,       NONE,       NONE,       NONE,       '\u{20AC}', NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x70 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
];
