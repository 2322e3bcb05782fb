//! The GSM 7-bit default alphabet and its extension table, TS 23.038 §6.2.1
//! and §6.2.1.1.

use super::national::NONE;

/// TS 23.038 §6.2.1 GSM 7 bit Default Alphabet, indexed by septet. 0x1B is the
/// escape to the extension table.
pub static ALPHABET: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', NONE, 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// TS 23.038 §6.2.1.1 GSM 7 bit default alphabet extension table, indexed by
/// the septet after 0x1B. 0x0A is the page break (form feed); 0x0D (CR2) and
/// 0x1B (a further extension) are reserved.
// Built at compile time: an index out of range fails the build, not a decode.
#[allow(clippy::indexing_slicing)]
pub static EXTENSION: [char; 128] = {
    let mut t = [NONE; 128];
    t[0x0A] = '\u{000C}';
    t[0x14] = '^';
    t[0x28] = '{';
    t[0x29] = '}';
    t[0x2F] = '\\';
    t[0x3C] = '[';
    t[0x3D] = '~';
    t[0x3E] = ']';
    t[0x40] = '|';
    t[0x65] = '€';
    t
};

/// ASCII to septet for the default alphabet and extension table together:
/// `0x80 | septet` marks an extension-table character, 0xFF one with no code.
// Built at compile time: an index out of range fails the build, not a decode.
#[allow(clippy::indexing_slicing)]
pub(super) static ASCII: [u8; 128] = {
    let mut t = [0xFFu8; 128];
    let mut i = 0;
    while i < 128 {
        let c = ALPHABET[i] as u32;
        if c < 128 && i != 0x1B {
            t[c as usize] = i as u8;
        }
        let e = EXTENSION[i] as u32;
        if e < 128 && e != 0 {
            t[e as usize] = 0x80 | i as u8;
        }
        i += 1;
    }
    t
};
