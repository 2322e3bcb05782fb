//! National language locking-shift and single-shift tables (TS 23.038 §6.2.1.2, Annex A).

/// Marks a position the table leaves undefined (and the 0x1B escape position).
pub const NONE: char = '\0';

/// A national language identifier, TS 23.038 §6.2.1.2.4 (the value in UDH IEs 0x24 / 0x25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    Turkish = 1,
    Spanish = 2,
    Portuguese = 3,
    Bengali = 4,
    Gujarati = 5,
    Hindi = 6,
    Kannada = 7,
    Malayalam = 8,
    Oriya = 9,
    Punjabi = 10,
    Tamil = 11,
    Telugu = 12,
    Urdu = 13,
}

impl Language {
    pub const ALL: [Language; 13] = [
        Language::Turkish,
        Language::Spanish,
        Language::Portuguese,
        Language::Bengali,
        Language::Gujarati,
        Language::Hindi,
        Language::Kannada,
        Language::Malayalam,
        Language::Oriya,
        Language::Punjabi,
        Language::Tamil,
        Language::Telugu,
        Language::Urdu,
    ];
    pub fn name(self) -> &'static str {
        "stub"
    }
    pub fn from_code(code: u8) -> Option<Language> {
        let _ = code;
        None
    }
    pub fn code(self) -> u8 {
        self as u8
    }
    pub fn locking_shift(self) -> Option<&'static [char; 128]> {
        None
    }
    pub fn single_shift(self) -> &'static [char; 128] {
        &super::default::EXTENSION
    }
}
