//! Urdu (national language identifier 13), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.3.13 Urdu National Language Locking Shift Table.
///
/// Indexed by septet; one row per column of the spec's table (0x00–0x0F, 0x10–0x1F, …).
#[rustfmt::skip]
pub(super) static LOCKING: [char; 128] = [
    /* 0x00 */ '\u{0627}', '\u{0622}', '\u{0628}', '\u{067B}', '\u{0680}', '\u{067E}', '\u{06A6}', '\u{062A}', '\u{06C2}', '\u{067F}', '\n',       '\u{0679}', '\u{067D}', '\r',       '\u{067A}', '\u{067C}',
    /* 0x10 */ '\u{062B}', '\u{062C}', '\u{0681}', '\u{0684}', '\u{0683}', '\u{0685}', '\u{0686}', '\u{0687}', '\u{062D}', '\u{062E}', '\u{062F}', NONE,       '\u{068C}', '\u{0688}', '\u{0689}', '\u{068A}',
    // note: 0x2C is ',' per the V16.0.0 text (lib3gpp23038), AOSP, B2G; the V18.0.0-derived gsmcodecs
    // CSV has U+0027 here, taken as a transcription slip.
    /* 0x20 */ ' ',        '!',        '\u{068F}', '\u{068D}', '\u{0630}', '\u{0631}', '\u{0691}', '\u{0693}', ')',        '(',        '\u{0699}', '\u{0632}', ',',        '\u{0696}', '.',        '\u{0698}',
    /* 0x30 */ '0',        '1',        '2',        '3',        '4',        '5',        '6',        '7',        '8',        '9',        ':',        ';',        '\u{069A}', '\u{0633}', '\u{0634}', '?',
    /* 0x40 */ '\u{0635}', '\u{0636}', '\u{0637}', '\u{0638}', '\u{0639}', '\u{0641}', '\u{0642}', '\u{06A9}', '\u{06AA}', '\u{06AB}', '\u{06AF}', '\u{06B3}', '\u{06B1}', '\u{0644}', '\u{0645}', '\u{0646}',
    /* 0x50 */ '\u{06BA}', '\u{06BB}', '\u{06BC}', '\u{0648}', '\u{06C4}', '\u{06D5}', '\u{06C1}', '\u{06BE}', '\u{0621}', '\u{06CC}', '\u{06D0}', '\u{06D2}', '\u{064D}', '\u{0650}', '\u{064F}', '\u{0657}',
    /* 0x60 */ '\u{0654}', 'a',        'b',        'c',        'd',        'e',        'f',        'g',        'h',        'i',        'j',        'k',        'l',        'm',        'n',        'o',
    /* 0x70 */ 'p',        'q',        'r',        's',        't',        'u',        'v',        'w',        'x',        'y',        'z',        '\u{0655}', '\u{0651}', '\u{0653}', '\u{0656}', '\u{0670}',
];

/// TS 23.038 §A.2.13 Urdu National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ '@',        '\u{00A3}', '$',        '\u{00A5}', '\u{00BF}', '"',        '\u{00A4}', '%',        '&',        '\'',       '\u{000C}', '*',        '+',        NONE,       '-',        '/',
    /* 0x10 */ '<',        '=',        '>',        '\u{00A1}', '^',        '\u{00A1}', '_',        '#',        '*',        '\u{0600}', '\u{0601}', NONE,       '\u{06F0}', '\u{06F1}', '\u{06F2}', '\u{06F3}',
    /* 0x20 */ '\u{06F4}', '\u{06F5}', '\u{06F6}', '\u{06F7}', '\u{06F8}', '\u{06F9}', '\u{060C}', '\u{060D}', '{',        '}',        '\u{060E}', '\u{060F}', '\u{0610}', '\u{0611}', '\u{0612}', '\\',
    /* 0x30 */ '\u{0613}', '\u{0614}', '\u{061B}', '\u{061F}', '\u{0640}', '\u{0652}', '\u{0658}', '\u{066B}', '\u{066C}', '\u{0672}', '\u{0673}', '\u{06CD}', '[',        '~',        ']',        '\u{06D4}',
    /* 0x40 */ '|',        'A',        'B',        'C',        'D',        'E',        'F',        'G',        'H',        'I',        'J',        'K',        'L',        'M',        'N',        'O',
    /* 0x50 */ 'P',        'Q',        'R',        'S',        'T',        'U',        'V',        'W',        'X',        'Y',        'Z',        NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x60 */ NONE,       NONE,       NONE,       NONE,       NONE,       '\u{20AC}', NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x70 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
];
