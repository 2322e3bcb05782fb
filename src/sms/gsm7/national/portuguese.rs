//! Portuguese (national language identifier 3), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.3.3 Portuguese National Language Locking Shift Table.
///
/// Indexed by septet; one row per column of the spec's table (0x00–0x0F, 0x10–0x1F, …).
#[rustfmt::skip]
pub(super) static LOCKING: [char; 128] = [
    /* 0x00 */ '@', '£', '$', '¥', 'ê', 'é', 'ú', 'í',  'ó', 'ç', '\n', 'Ô',  'ô', '\r', 'Á', 'á',
    /* 0x10 */ 'Δ', '_', 'ª', 'Ç', 'À', '∞', '^', '\\', '€', 'Ó', '|',  NONE, 'Â', 'â',  'Ê', 'É',
    /* 0x20 */ ' ', '!', '"', '#', 'º', '%', '&', '\'', '(', ')', '*',  '+',  ',', '-',  '.', '/',
    /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7',  '8', '9', ':',  ';',  '<', '=',  '>', '?',
    /* 0x40 */ 'Í', 'A', 'B', 'C', 'D', 'E', 'F', 'G',  'H', 'I', 'J',  'K',  'L', 'M',  'N', 'O',
    /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W',  'X', 'Y', 'Z',  'Ã',  'Õ', 'Ú',  'Ü', '§',
    /* 0x60 */ '~', 'a', 'b', 'c', 'd', 'e', 'f', 'g',  'h', 'i', 'j',  'k',  'l', 'm',  'n', 'o',
    /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w',  'x', 'y', 'z',  'ã',  'õ', '`',  'ü', 'à',
];

/// TS 23.038 §A.2.3 Portuguese National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ NONE, NONE, NONE, NONE, NONE, 'ê',  NONE, NONE, NONE, 'ç',  '\u{000C}', 'Ô',  'ô',  NONE, 'Á',  'á',
    /* 0x10 */ NONE, NONE, 'Φ',  'Γ',  '^',  'Ω',  'Π',  'Ψ',  'Σ',  'Θ',  NONE,       NONE, NONE, NONE, NONE, 'Ê',
    /* 0x20 */ NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, '{',  '}',  NONE,       NONE, NONE, NONE, NONE, '\\',
    /* 0x30 */ NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE,       NONE, '[',  '~',  ']',  NONE,
    /* 0x40 */ '|',  'À',  NONE, NONE, NONE, NONE, NONE, NONE, NONE, 'Í',  NONE,       NONE, NONE, NONE, NONE, 'Ó',
    /* 0x50 */ NONE, NONE, NONE, NONE, NONE, 'Ú',  NONE, NONE, NONE, NONE, NONE,       'Ã',  'Õ',  NONE, NONE, NONE,
    /* 0x60 */ NONE, 'Â',  NONE, NONE, NONE, '€',  NONE, NONE, NONE, 'í',  NONE,       NONE, NONE, NONE, NONE, 'ó',
    /* 0x70 */ NONE, NONE, NONE, NONE, NONE, 'ú',  NONE, NONE, NONE, NONE, NONE,       'ã',  'õ',  NONE, NONE, 'â',
];
