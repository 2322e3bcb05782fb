//! Bengali (national language identifier 4), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.3.4 Bengali National Language Locking Shift Table.
///
/// Indexed by septet; one row per column of the spec's table (0x00–0x0F, 0x10–0x1F, …).
#[rustfmt::skip]
pub(super) static LOCKING: [char; 128] = [
    /* 0x00 */ '\u{0981}', '\u{0982}', '\u{0983}', '\u{0985}', '\u{0986}', '\u{0987}', '\u{0988}', '\u{0989}', '\u{098A}', '\u{098B}', '\n',       '\u{098C}', NONE,       '\r',       NONE,       '\u{098F}',
    /* 0x10 */ '\u{0990}', NONE,       NONE,       '\u{0993}', '\u{0994}', '\u{0995}', '\u{0996}', '\u{0997}', '\u{0998}', '\u{0999}', '\u{099A}', NONE,       '\u{099B}', '\u{099C}', '\u{099D}', '\u{099E}',
    // note: 0x2C is ',' per the V16.0.0 text (lib3gpp23038), AOSP, B2G; the V18.0.0-derived gsmcodecs
    // CSV has U+0027 here, taken as a transcription slip.
    /* 0x20 */ ' ',        '!',        '\u{099F}', '\u{09A0}', '\u{09A1}', '\u{09A2}', '\u{09A3}', '\u{09A4}', ')',        '(',        '\u{09A5}', '\u{09A6}', ',',        '\u{09A7}', '.',        '\u{09A8}',
    /* 0x30 */ '0',        '1',        '2',        '3',        '4',        '5',        '6',        '7',        '8',        '9',        ':',        ';',        NONE,       '\u{09AA}', '\u{09AB}', '?',
    /* 0x40 */ '\u{09AC}', '\u{09AD}', '\u{09AE}', '\u{09AF}', '\u{09B0}', NONE,       '\u{09B2}', NONE,       NONE,       NONE,       '\u{09B6}', '\u{09B7}', '\u{09B8}', '\u{09B9}', '\u{09BC}', '\u{09BD}',
    /* 0x50 */ '\u{09BE}', '\u{09BF}', '\u{09C0}', '\u{09C1}', '\u{09C2}', '\u{09C3}', '\u{09C4}', NONE,       NONE,       '\u{09C7}', '\u{09C8}', NONE,       NONE,       '\u{09CB}', '\u{09CC}', '\u{09CD}',
    /* 0x60 */ '\u{09CE}', 'a',        'b',        'c',        'd',        'e',        'f',        'g',        'h',        'i',        'j',        'k',        'l',        'm',        'n',        'o',
    /* 0x70 */ 'p',        'q',        'r',        's',        't',        'u',        'v',        'w',        'x',        'y',        'z',        '\u{09D7}', '\u{09DC}', '\u{09DD}', '\u{09F0}', '\u{09F1}',
];

/// TS 23.038 §A.2.4 Bengali National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ '@',        '\u{00A3}', '$',        '\u{00A5}', '\u{00BF}', '"',        '\u{00A4}', '%',        '&',  '\'',       '\u{000C}', '*',        '+',        NONE,       '-',        '/',
    /* 0x10 */ '<',        '=',        '>',        '\u{00A1}', '^',        '\u{00A1}', '_',        '#',        '*',  '\u{09E6}', '\u{09E7}', NONE,       '\u{09E8}', '\u{09E9}', '\u{09EA}', '\u{09EB}',
    /* 0x20 */ '\u{09EC}', '\u{09ED}', '\u{09EE}', '\u{09EF}', '\u{09DF}', '\u{09E0}', '\u{09E1}', '\u{09E2}', '{',  '}',        '\u{09E3}', '\u{09F2}', '\u{09F3}', '\u{09F4}', '\u{09F5}', '\\',
    /* 0x30 */ '\u{09F6}', '\u{09F7}', '\u{09F8}', '\u{09F9}', '\u{09FA}', NONE,       NONE,       NONE,       NONE, NONE,       NONE,       NONE,       '[',        '~',        ']',        NONE,
    /* 0x40 */ '|',        'A',        'B',        'C',        'D',        'E',        'F',        'G',        'H',  'I',        'J',        'K',        'L',        'M',        'N',        'O',
    /* 0x50 */ 'P',        'Q',        'R',        'S',        'T',        'U',        'V',        'W',        'X',  'Y',        'Z',        NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x60 */ NONE,       NONE,       NONE,       NONE,       NONE,       '\u{20AC}', NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x70 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
];
