//! National language locking-shift and single-shift tables (TS 23.038 §6.2.1.2, Annex A).
//!
//! Each language has a single shift table (Annex A.2, selected by UDH IE 0x24) and, except
//! Spanish, a locking shift table (Annex A.3, selected by UDH IE 0x25). Every table has 128
//! entries indexed by septet. Conventions shared by all tables:
//!
//! - [`NONE`] marks a position the spec leaves empty, and index 0x1B (the escape to the single
//!   shift table) in every table.
//! - Locking shift tables map 0x0A to LF (`'\n'`) and 0x0D to CR (`'\r'`), as the spec does.
//! - Single shift tables map 0x0A to the page break, U+000C FORM FEED. At 0x0D every single shift
//!   table has only a reserved control code (as the default extension table does), so it is
//!   [`NONE`].
//!
//! Sources: the tables follow Mozilla B2G's `ril_consts.js` and were compared position by
//! position with the gsmcodecs CSVs transcribed from TS 23.038 V18.0.0; every disagreement was
//! settled against lib3gpp23038's tables (V16.0.0 text), AOSP's `GsmAlphabet` and, for some
//! tables, warthog618/sms. A row comment marked `note:` records an evident typo or transcription
//! slip in one source; one marked `unconfirmed:` records a value kept against the spec's printed
//! text.

mod bengali;
mod gujarati;
mod hindi;
mod kannada;
mod malayalam;
mod oriya;
mod portuguese;
mod punjabi;
mod spanish;
mod tamil;
mod telugu;
mod turkish;
mod urdu;

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
    /// Every language, in identifier order.
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

    /// The language with this identifier, or `None` for 0 (the default alphabet) and for
    /// identifiers the spec reserves.
    pub fn from_code(code: u8) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The national language identifier carried in UDH IEs 0x24 / 0x25.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The lowercase English name, e.g. `"turkish"`.
    pub fn name(self) -> &'static str {
        match self {
            Language::Turkish => "turkish",
            Language::Spanish => "spanish",
            Language::Portuguese => "portuguese",
            Language::Bengali => "bengali",
            Language::Gujarati => "gujarati",
            Language::Hindi => "hindi",
            Language::Kannada => "kannada",
            Language::Malayalam => "malayalam",
            Language::Oriya => "oriya",
            Language::Punjabi => "punjabi",
            Language::Tamil => "tamil",
            Language::Telugu => "telugu",
            Language::Urdu => "urdu",
        }
    }

    /// The locking-shift table (128 entries indexed by septet), or None where the spec defines none (Spanish).
    pub fn locking_shift(self) -> Option<&'static [char; 128]> {
        match self {
            Language::Turkish => Some(&turkish::LOCKING),
            Language::Spanish => None,
            Language::Portuguese => Some(&portuguese::LOCKING),
            Language::Bengali => Some(&bengali::LOCKING),
            Language::Gujarati => Some(&gujarati::LOCKING),
            Language::Hindi => Some(&hindi::LOCKING),
            Language::Kannada => Some(&kannada::LOCKING),
            Language::Malayalam => Some(&malayalam::LOCKING),
            Language::Oriya => Some(&oriya::LOCKING),
            Language::Punjabi => Some(&punjabi::LOCKING),
            Language::Tamil => Some(&tamil::LOCKING),
            Language::Telugu => Some(&telugu::LOCKING),
            Language::Urdu => Some(&urdu::LOCKING),
        }
    }

    /// The single-shift table (128 entries indexed by the septet that follows 0x1B).
    pub fn single_shift(self) -> &'static [char; 128] {
        match self {
            Language::Turkish => &turkish::SINGLE_SHIFT,
            Language::Spanish => &spanish::SINGLE_SHIFT,
            Language::Portuguese => &portuguese::SINGLE_SHIFT,
            Language::Bengali => &bengali::SINGLE_SHIFT,
            Language::Gujarati => &gujarati::SINGLE_SHIFT,
            Language::Hindi => &hindi::SINGLE_SHIFT,
            Language::Kannada => &kannada::SINGLE_SHIFT,
            Language::Malayalam => &malayalam::SINGLE_SHIFT,
            Language::Oriya => &oriya::SINGLE_SHIFT,
            Language::Punjabi => &punjabi::SINGLE_SHIFT,
            Language::Tamil => &tamil::SINGLE_SHIFT,
            Language::Telugu => &telugu::SINGLE_SHIFT,
            Language::Urdu => &urdu::SINGLE_SHIFT,
        }
    }
}
