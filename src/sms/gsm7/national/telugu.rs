//! Telugu (national language identifier 12), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.3.12 Telugu National Language Locking Shift Table.
///
/// Indexed by septet; one row per column of the spec's table (0x00–0x0F, 0x10–0x1F, …).
#[rustfmt::skip]
pub(super) static LOCKING: [char; 128] = [
    /* 0x00 */ '\u{0C01}', '\u{0C02}', '\u{0C03}', '\u{0C05}', '\u{0C06}', '\u{0C07}', '\u{0C08}', '\u{0C09}', '\u{0C0A}', '\u{0C0B}', '\n',       '\u{0C0C}', NONE,       '\r',       '\u{0C0E}', '\u{0C0F}',
    /* 0x10 */ '\u{0C10}', NONE,       '\u{0C12}', '\u{0C13}', '\u{0C14}', '\u{0C15}', '\u{0C16}', '\u{0C17}', '\u{0C18}', '\u{0C19}', '\u{0C1A}', NONE,       '\u{0C1B}', '\u{0C1C}', '\u{0C1D}', '\u{0C1E}',
    // note: 0x2C is ',' per the V16.0.0 text (lib3gpp23038), AOSP, B2G; the V18.0.0-derived gsmcodecs
    // CSV has U+0027 here, taken as a transcription slip.
    /* 0x20 */ ' ',        '!',        '\u{0C1F}', '\u{0C20}', '\u{0C21}', '\u{0C22}', '\u{0C23}', '\u{0C24}', ')',        '(',        '\u{0C25}', '\u{0C26}', ',',        '\u{0C27}', '.',        '\u{0C28}',
    /* 0x30 */ '0',        '1',        '2',        '3',        '4',        '5',        '6',        '7',        '8',        '9',        ':',        ';',        NONE,       '\u{0C2A}', '\u{0C2B}', '?',
    /* 0x40 */ '\u{0C2C}', '\u{0C2D}', '\u{0C2E}', '\u{0C2F}', '\u{0C30}', '\u{0C31}', '\u{0C32}', '\u{0C33}', NONE,       '\u{0C35}', '\u{0C36}', '\u{0C37}', '\u{0C38}', '\u{0C39}', NONE,       '\u{0C3D}',
    /* 0x50 */ '\u{0C3E}', '\u{0C3F}', '\u{0C40}', '\u{0C41}', '\u{0C42}', '\u{0C43}', '\u{0C44}', NONE,       '\u{0C46}', '\u{0C47}', '\u{0C48}', NONE,       '\u{0C4A}', '\u{0C4B}', '\u{0C4C}', '\u{0C4D}',
    /* 0x60 */ '\u{0C55}', 'a',        'b',        'c',        'd',        'e',        'f',        'g',        'h',        'i',        'j',        'k',        'l',        'm',        'n',        'o',
    /* 0x70 */ 'p',        'q',        'r',        's',        't',        'u',        'v',        'w',        'x',        'y',        'z',        '\u{0C56}', '\u{0C60}', '\u{0C61}', '\u{0C62}', '\u{0C63}',
];

/// TS 23.038 §A.2.12 Telugu National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ '@',        '\u{00A3}', '$',        '\u{00A5}', '\u{00BF}', '"',        '\u{00A4}', '%',        '&',  '\'', '\u{000C}', '*',        '+',        NONE,       '-',        '/',
    /* 0x10 */ '<',        '=',        '>',        '\u{00A1}', '^',        '\u{00A1}', '_',        '#',        '*',  NONE, NONE,       NONE,       '\u{0C66}', '\u{0C67}', '\u{0C68}', '\u{0C69}',
    // note: 0x22/0x23 are U+0C6C/U+0C6D; V9.1.1 (per AOSP) and V16.0.0 (per lib3gpp23038) print the
    // Arabic U+06CC/U+06CD; gsmcodecs (V18.0.0), AOSP and B2G give the Telugu digits.
    /* 0x20 */ '\u{0C6A}', '\u{0C6B}', '\u{0C6C}', '\u{0C6D}', '\u{0C6E}', '\u{0C6F}', '\u{0C58}', '\u{0C59}', '{',  '}',  '\u{0C78}', '\u{0C79}', '\u{0C7A}', '\u{0C7B}', '\u{0C7C}', '\\',
    /* 0x30 */ '\u{0C7D}', '\u{0C7E}', '\u{0C7F}', NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE, NONE,       NONE,       '[',        '~',        ']',        NONE,
    /* 0x40 */ '|',        'A',        'B',        'C',        'D',        'E',        'F',        'G',        'H',  'I',  'J',        'K',        'L',        'M',        'N',        'O',
    /* 0x50 */ 'P',        'Q',        'R',        'S',        'T',        'U',        'V',        'W',        'X',  'Y',  'Z',        NONE,       NONE,       NONE,       NONE,       NONE,
    // unconfirmed: 0x65. The spec text (V16.0.0 per lib3gpp23038, V18.0.0 per gsmcodecs) leaves it
    // empty, unlike every other single shift table; AOSP, B2G and warthog618/sms map it to U+20AC '€',
    // kept here.
    /* 0x60 */ NONE,       NONE,       NONE,       NONE,       NONE,       '\u{20AC}', NONE,       NONE,       NONE, NONE, NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x70 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE, NONE, NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
];
