//! Hindi (national language identifier 6), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.3.6 Hindi National Language Locking Shift Table.
///
/// Indexed by septet; one row per column of the spec's table (0x00–0x0F, 0x10–0x1F, …).
#[rustfmt::skip]
pub(super) static LOCKING: [char; 128] = [
    /* 0x00 */ '\u{0901}', '\u{0902}', '\u{0903}', '\u{0905}', '\u{0906}', '\u{0907}', '\u{0908}', '\u{0909}', '\u{090A}', '\u{090B}', '\n',       '\u{090C}', '\u{090D}', '\r',       '\u{090E}', '\u{090F}',
    /* 0x10 */ '\u{0910}', '\u{0911}', '\u{0912}', '\u{0913}', '\u{0914}', '\u{0915}', '\u{0916}', '\u{0917}', '\u{0918}', '\u{0919}', '\u{091A}', NONE,       '\u{091B}', '\u{091C}', '\u{091D}', '\u{091E}',
    // note: 0x2C is ',' per the V16.0.0 text (lib3gpp23038), AOSP, B2G; the V18.0.0-derived gsmcodecs
    // CSV has U+0027 here, taken as a transcription slip.
    /* 0x20 */ ' ',        '!',        '\u{091F}', '\u{0920}', '\u{0921}', '\u{0922}', '\u{0923}', '\u{0924}', ')',        '(',        '\u{0925}', '\u{0926}', ',',        '\u{0927}', '.',        '\u{0928}',
    /* 0x30 */ '0',        '1',        '2',        '3',        '4',        '5',        '6',        '7',        '8',        '9',        ':',        ';',        '\u{0929}', '\u{092A}', '\u{092B}', '?',
    /* 0x40 */ '\u{092C}', '\u{092D}', '\u{092E}', '\u{092F}', '\u{0930}', '\u{0931}', '\u{0932}', '\u{0933}', '\u{0934}', '\u{0935}', '\u{0936}', '\u{0937}', '\u{0938}', '\u{0939}', '\u{093C}', '\u{093D}',
    /* 0x50 */ '\u{093E}', '\u{093F}', '\u{0940}', '\u{0941}', '\u{0942}', '\u{0943}', '\u{0944}', '\u{0945}', '\u{0946}', '\u{0947}', '\u{0948}', '\u{0949}', '\u{094A}', '\u{094B}', '\u{094C}', '\u{094D}',
    /* 0x60 */ '\u{0950}', 'a',        'b',        'c',        'd',        'e',        'f',        'g',        'h',        'i',        'j',        'k',        'l',        'm',        'n',        'o',
    /* 0x70 */ 'p',        'q',        'r',        's',        't',        'u',        'v',        'w',        'x',        'y',        'z',        '\u{0972}', '\u{097B}', '\u{097C}', '\u{097E}', '\u{097F}',
];

/// TS 23.038 §A.2.6 Hindi National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ '@',        '\u{00A3}', '$',        '\u{00A5}', '\u{00BF}', '"',        '\u{00A4}', '%',        '&',        '\'',       '\u{000C}', '*',        '+',        NONE,       '-',        '/',
    /* 0x10 */ '<',        '=',        '>',        '\u{00A1}', '^',        '\u{00A1}', '_',        '#',        '*',        '\u{0964}', '\u{0965}', NONE,       '\u{0966}', '\u{0967}', '\u{0968}', '\u{0969}',
    /* 0x20 */ '\u{096A}', '\u{096B}', '\u{096C}', '\u{096D}', '\u{096E}', '\u{096F}', '\u{0951}', '\u{0952}', '{',        '}',        '\u{0953}', '\u{0954}', '\u{0958}', '\u{0959}', '\u{095A}', '\\',
    /* 0x30 */ '\u{095B}', '\u{095C}', '\u{095D}', '\u{095E}', '\u{095F}', '\u{0960}', '\u{0961}', '\u{0962}', '\u{0963}', '\u{0970}', '\u{0971}', NONE,       '[',        '~',        ']',        NONE,
    /* 0x40 */ '|',        'A',        'B',        'C',        'D',        'E',        'F',        'G',        'H',        'I',        'J',        'K',        'L',        'M',        'N',        'O',
    /* 0x50 */ 'P',        'Q',        'R',        'S',        'T',        'U',        'V',        'W',        'X',        'Y',        'Z',        NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x60 */ NONE,       NONE,       NONE,       NONE,       NONE,       '\u{20AC}', NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
    /* 0x70 */ NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,       NONE,
];
