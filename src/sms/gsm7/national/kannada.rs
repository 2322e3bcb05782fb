//! Kannada (national language identifier 7), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.3.7 Kannada National Language Locking Shift Table.
///
/// Indexed by septet; one row per column of the spec's table (0x00–0x0F, 0x10–0x1F, …).
#[rustfmt::skip]
pub(super) static LOCKING: [char; 128] = [
    /* 0x00 */ NONE,       '\u{0C82}', '\u{0C83}', '\u{0C85}', '\u{0C86}', '\u{0C87}', '\u{0C88}', '\u{0C89}', '\u{0C8A}', '\u{0C8B}', '\n',       '\u{0C8C}', NONE,       '\r',       '\u{0C8E}', '\u{0C8F}',
    /* 0x10 */ '\u{0C90}', NONE,       '\u{0C92}', '\u{0C93}', '\u{0C94}', '\u{0C95}', '\u{0C96}', '\u{0C97}', '\u{0C98}', '\u{0C99}', '\u{0C9A}', NONE,       '\u{0C9B}', '\u{0C9C}', '\u{0C9D}', '\u{0C9E}',
    // unconfirmed: 0x24. The spec text (V9.1.1 per AOSP, V16.0.0 per lib3gpp23038, V18.0.0 per
    // gsmcodecs) prints U+0CAA, which duplicates 0x3D and leaves U+0CA1 KANNADA LETTER DDA
    // unencodable; AOSP (which documents it as a typo), B2G and warthog618/sms use U+0CA1, kept here
    // for interoperability.
    // note: 0x2C is ',' per the V16.0.0 text (lib3gpp23038), AOSP, B2G; the V18.0.0-derived gsmcodecs
    // CSV has U+0027 here, taken as a transcription slip.
    /* 0x20 */ ' ',        '!',        '\u{0C9F}', '\u{0CA0}', '\u{0CA1}', '\u{0CA2}', '\u{0CA3}', '\u{0CA4}', ')',        '(',        '\u{0CA5}', '\u{0CA6}', ',',        '\u{0CA7}', '.',        '\u{0CA8}',
    /* 0x30 */ '0',        '1',        '2',        '3',        '4',        '5',        '6',        '7',        '8',        '9',        ':',        ';',        NONE,       '\u{0CAA}', '\u{0CAB}', '?',
    /* 0x40 */ '\u{0CAC}', '\u{0CAD}', '\u{0CAE}', '\u{0CAF}', '\u{0CB0}', '\u{0CB1}', '\u{0CB2}', '\u{0CB3}', NONE,       '\u{0CB5}', '\u{0CB6}', '\u{0CB7}', '\u{0CB8}', '\u{0CB9}', '\u{0CBC}', '\u{0CBD}',
    /* 0x50 */ '\u{0CBE}', '\u{0CBF}', '\u{0CC0}', '\u{0CC1}', '\u{0CC2}', '\u{0CC3}', '\u{0CC4}', NONE,       '\u{0CC6}', '\u{0CC7}', '\u{0CC8}', NONE,       '\u{0CCA}', '\u{0CCB}', '\u{0CCC}', '\u{0CCD}',
    /* 0x60 */ '\u{0CD5}', 'a',        'b',        'c',        'd',        'e',        'f',        'g',        'h',        'i',        'j',        'k',        'l',        'm',        'n',        'o',
    /* 0x70 */ 'p',        'q',        'r',        's',        't',        'u',        'v',        'w',        'x',        'y',        'z',        '\u{0CD6}', '\u{0CE0}', '\u{0CE1}', '\u{0CE2}', '\u{0CE3}',
];

/// TS 23.038 §A.2.7 Kannada National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ '@',        '\u{00A3}', '$',        '\u{00A5}', '\u{00BF}', '"',        '\u{00A4}', '%',        '&',  '\'',       '\u{000C}', '*',  '+',        NONE,       '-',        '/',
    /* 0x10 */ '<',        '=',        '>',        '\u{00A1}', '^',        '\u{00A1}', '_',        '#',        '*',  '\u{0964}', '\u{0965}', NONE, '\u{0CE6}', '\u{0CE7}', '\u{0CE8}', '\u{0CE9}',
    /* 0x20 */ '\u{0CEA}', '\u{0CEB}', '\u{0CEC}', '\u{0CED}', '\u{0CEE}', '\u{0CEF}', '\u{0CDE}', '\u{0CF1}', '{',  '}',        '\u{0CF2}', NONE, NONE,       NONE,       NONE,       '\\',
    /* 0x30 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE,       NONE,       NONE, '[',        '~',        ']',        NONE,
    /* 0x40 */ '|',        'A',        'B',        'C',        'D',        'E',        'F',        'G',        'H',  'I',        'J',        'K',  'L',        'M',        'N',        'O',
    /* 0x50 */ 'P',        'Q',        'R',        'S',        'T',        'U',        'V',        'W',        'X',  'Y',        'Z',        NONE, NONE,       NONE,       NONE,       NONE,
    /* 0x60 */ NONE,       NONE,       NONE,       NONE,       NONE,       '\u{20AC}', NONE,       NONE,       NONE, NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,
    /* 0x70 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,
];
