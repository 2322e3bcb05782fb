//! Turkish (national language identifier 1), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.3.1 Turkish National Language Locking Shift Table.
///
/// Indexed by septet; one row per column of the spec's table (0x00–0x0F, 0x10–0x1F, …).
#[rustfmt::skip]
pub(super) static LOCKING: [char; 128] = [
    /* 0x00 */ '@',        '£', '$', '¥', '€', 'é', 'ù', '\u{0131}', 'ò', 'Ç', '\n', 'Ğ',  'ğ', '\r', 'Å', 'å',
    // note: lib3gpp23038 (V16.0.0 text) has U+0020 at 0x1F; gsmcodecs (V18.0.0), AOSP, B2G give U+00C9
    // 'É'.
    /* 0x10 */ 'Δ',        '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ',        'Σ', 'Θ', 'Ξ',  NONE, 'Ş', 'ş',  'ß', 'É',
    /* 0x20 */ ' ',        '!', '"', '#', '¤', '%', '&', '\'',       '(', ')', '*',  '+',  ',', '-',  '.', '/',
    /* 0x30 */ '0',        '1', '2', '3', '4', '5', '6', '7',        '8', '9', ':',  ';',  '<', '=',  '>', '?',
    /* 0x40 */ '\u{0130}', 'A', 'B', 'C', 'D', 'E', 'F', 'G',        'H', 'I', 'J',  'K',  'L', 'M',  'N', 'O',
    /* 0x50 */ 'P',        'Q', 'R', 'S', 'T', 'U', 'V', 'W',        'X', 'Y', 'Z',  'Ä',  'Ö', 'Ñ',  'Ü', '§',
    /* 0x60 */ 'ç',        'a', 'b', 'c', 'd', 'e', 'f', 'g',        'h', 'i', 'j',  'k',  'l', 'm',  'n', 'o',
    /* 0x70 */ 'p',        'q', 'r', 's', 't', 'u', 'v', 'w',        'x', 'y', 'z',  'ä',  'ö', 'ñ',  'ü', 'à',
];

/// TS 23.038 §A.2.1 Turkish National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE,       '\u{000C}', NONE, NONE, NONE, NONE, NONE,
    /* 0x10 */ NONE, NONE, NONE, NONE, '^',  NONE, NONE, NONE, NONE, NONE,       NONE,       NONE, NONE, NONE, NONE, NONE,
    /* 0x20 */ NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, '{',  '}',        NONE,       NONE, NONE, NONE, NONE, '\\',
    /* 0x30 */ NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE,       NONE,       NONE, '[',  '~',  ']',  NONE,
    /* 0x40 */ '|',  NONE, NONE, NONE, NONE, NONE, NONE, 'Ğ',  NONE, '\u{0130}', NONE,       NONE, NONE, NONE, NONE, NONE,
    /* 0x50 */ NONE, NONE, NONE, 'Ş',  NONE, NONE, NONE, NONE, NONE, NONE,       NONE,       NONE, NONE, NONE, NONE, NONE,
    /* 0x60 */ NONE, NONE, NONE, 'ç',  NONE, '€',  NONE, 'ğ',  NONE, '\u{0131}', NONE,       NONE, NONE, NONE, NONE, NONE,
    /* 0x70 */ NONE, NONE, NONE, 'ş',  NONE, NONE, NONE, NONE, NONE, NONE,       NONE,       NONE, NONE, NONE, NONE, NONE,
];
