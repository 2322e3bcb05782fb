//! Spanish (national language identifier 2), TS 23.038 Annex A.

use super::NONE;

/// TS 23.038 §A.2.2 Spanish National Language Single Shift Table.
///
/// Indexed by the septet that follows 0x1B; one row per column of the spec's table.
#[rustfmt::skip]
pub(super) static SINGLE_SHIFT: [char; 128] = [
    /* 0x00 */ NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, 'ç',  '\u{000C}', NONE, NONE, NONE, NONE, NONE,
    /* 0x10 */ NONE, NONE, NONE, NONE, '^',  NONE, NONE, NONE, NONE, NONE, NONE,       NONE, NONE, NONE, NONE, NONE,
    /* 0x20 */ NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, '{',  '}',  NONE,       NONE, NONE, NONE, NONE, '\\',
    /* 0x30 */ NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE,       NONE, '[',  '~',  ']',  NONE,
    /* 0x40 */ '|',  'Á',  NONE, NONE, NONE, NONE, NONE, NONE, NONE, 'Í',  NONE,       NONE, NONE, NONE, NONE, 'Ó',
    /* 0x50 */ NONE, NONE, NONE, NONE, NONE, 'Ú',  NONE, NONE, NONE, NONE, NONE,       NONE, NONE, NONE, NONE, NONE,
    /* 0x60 */ NONE, 'á',  NONE, NONE, NONE, '€',  NONE, NONE, NONE, 'í',  NONE,       NONE, NONE, NONE, NONE, 'ó',
    /* 0x70 */ NONE, NONE, NONE, NONE, NONE, 'ú',  NONE, NONE, NONE, NONE, NONE,       NONE, NONE, NONE, NONE, NONE,
];
