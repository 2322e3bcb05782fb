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

#[cfg(test)]
mod tests {
    use super::*;
    use Language::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Table {
        Locking,
        Single,
    }
    use Table::*;

    fn table(lang: Language, which: Table) -> &'static [char; 128] {
        match which {
            Locking => lang
                .locking_shift()
                .expect("language has a locking shift table"),
            Single => lang.single_shift(),
        }
    }

    /// Every table that exists, with a name for failure messages.
    fn all_tables() -> Vec<(String, Language, Table, &'static [char; 128])> {
        let mut v = Vec::new();
        for lang in Language::ALL {
            if let Some(t) = lang.locking_shift() {
                v.push((format!("{} locking", lang.name()), lang, Locking, t));
            }
            v.push((
                format!("{} single shift", lang.name()),
                lang,
                Single,
                lang.single_shift(),
            ));
        }
        v
    }

    /// (case name, language, table, septet, expected character), from TS 23.038 Annex A.
    const SPOT_CHECKS: &[(&str, Language, Table, u8, char)] = &[
        ("turkish locking dotless i", Turkish, Locking, 0x07, 'ı'),
        ("turkish locking euro", Turkish, Locking, 0x04, '€'),
        ("turkish locking G breve", Turkish, Locking, 0x0B, 'Ğ'),
        ("turkish locking dotted I", Turkish, Locking, 0x40, 'İ'),
        ("turkish locking c cedilla", Turkish, Locking, 0x60, 'ç'),
        ("turkish locking S cedilla", Turkish, Locking, 0x1C, 'Ş'),
        ("turkish single G breve", Turkish, Single, 0x47, 'Ğ'),
        ("turkish single dotless i", Turkish, Single, 0x69, 'ı'),
        ("turkish single euro", Turkish, Single, 0x65, '€'),
        ("turkish single s cedilla", Turkish, Single, 0x73, 'ş'),
        ("turkish single undefined", Turkish, Single, 0x41, NONE),
        ("spanish single c cedilla", Spanish, Single, 0x09, 'ç'),
        ("spanish single A acute", Spanish, Single, 0x41, 'Á'),
        ("spanish single o acute", Spanish, Single, 0x6F, 'ó'),
        ("spanish single u acute", Spanish, Single, 0x75, 'ú'),
        ("spanish single euro", Spanish, Single, 0x65, '€'),
        ("spanish single undefined", Spanish, Single, 0x45, NONE),
        (
            "portuguese locking e circumflex",
            Portuguese,
            Locking,
            0x04,
            'ê',
        ),
        (
            "portuguese locking infinity",
            Portuguese,
            Locking,
            0x15,
            '∞',
        ),
        ("portuguese locking ordinal", Portuguese, Locking, 0x24, 'º'),
        ("portuguese locking tilde", Portuguese, Locking, 0x60, '~'),
        (
            "portuguese locking grave accent",
            Portuguese,
            Locking,
            0x7D,
            '`',
        ),
        ("portuguese single Phi", Portuguese, Single, 0x12, 'Φ'),
        ("portuguese single A grave", Portuguese, Single, 0x41, 'À'),
        (
            "portuguese single A circumflex",
            Portuguese,
            Single,
            0x61,
            'Â',
        ),
        (
            "portuguese single a circumflex",
            Portuguese,
            Single,
            0x7F,
            'â',
        ),
        (
            "bengali locking candrabindu",
            Bengali,
            Locking,
            0x00,
            '\u{0981}',
        ),
        ("bengali locking undefined", Bengali, Locking, 0x0C, NONE),
        (
            "bengali locking khanda ta",
            Bengali,
            Locking,
            0x60,
            '\u{09CE}',
        ),
        (
            "bengali single digit zero",
            Bengali,
            Single,
            0x19,
            '\u{09E6}',
        ),
        ("bengali single isshar", Bengali, Single, 0x34, '\u{09FA}'),
        ("gujarati locking om", Gujarati, Locking, 0x60, '\u{0AD0}'),
        (
            "gujarati locking rupee sign",
            Gujarati,
            Locking,
            0x7F,
            '\u{0AF1}',
        ),
        ("gujarati single danda", Gujarati, Single, 0x19, '\u{0964}'),
        (
            "gujarati single digit nine",
            Gujarati,
            Single,
            0x25,
            '\u{0AEF}',
        ),
        ("hindi locking candrabindu", Hindi, Locking, 0x00, 'ँ'),
        ("hindi locking anusvara", Hindi, Locking, 0x01, 'ं'),
        ("hindi locking nukta", Hindi, Locking, 0x4E, '\u{093C}'),
        ("hindi locking virama", Hindi, Locking, 0x5F, '\u{094D}'),
        ("hindi single udatta", Hindi, Single, 0x26, '\u{0951}'),
        (
            "hindi single abbreviation sign",
            Hindi,
            Single,
            0x39,
            '\u{0970}',
        ),
        (
            "kannada locking undefined 0x00",
            Kannada,
            Locking,
            0x00,
            NONE,
        ),
        ("kannada locking dda", Kannada, Locking, 0x24, '\u{0CA1}'),
        ("kannada locking pa", Kannada, Locking, 0x3D, '\u{0CAA}'),
        ("kannada single fa", Kannada, Single, 0x26, '\u{0CDE}'),
        (
            "malayalam locking chillu k",
            Malayalam,
            Locking,
            0x7F,
            '\u{0D79}',
        ),
        (
            "malayalam locking undefined",
            Malayalam,
            Locking,
            0x4E,
            NONE,
        ),
        (
            "malayalam single chillu nn",
            Malayalam,
            Single,
            0x2E,
            '\u{0D7A}',
        ),
        ("oriya locking lla", Oriya, Locking, 0x47, '\u{0B33}'),
        ("oriya single rra", Oriya, Single, 0x26, '\u{0B5C}'),
        ("punjabi locking undefined", Punjabi, Locking, 0x09, NONE),
        ("punjabi locking udaat", Punjabi, Locking, 0x60, '\u{0A51}'),
        (
            "punjabi single digit three",
            Punjabi,
            Single,
            0x1F,
            '\u{0A69}',
        ),
        ("punjabi single yakash", Punjabi, Single, 0x2D, '\u{0A75}'),
        ("tamil locking undefined", Tamil, Locking, 0x09, NONE),
        ("tamil locking nnna", Tamil, Locking, 0x3C, '\u{0BA9}'),
        ("tamil single digit eight", Tamil, Single, 0x24, '\u{0BEE}'),
        ("tamil single digit nine", Tamil, Single, 0x25, '\u{0BEF}'),
        (
            "telugu locking candrabindu",
            Telugu,
            Locking,
            0x00,
            '\u{0C01}',
        ),
        ("telugu single no danda", Telugu, Single, 0x19, NONE),
        ("telugu single digit two", Telugu, Single, 0x1E, '\u{0C68}'),
        ("telugu single digit six", Telugu, Single, 0x22, '\u{0C6C}'),
        ("telugu single euro", Telugu, Single, 0x65, '€'),
        ("urdu locking alef", Urdu, Locking, 0x00, '\u{0627}'),
        (
            "urdu locking superscript alef",
            Urdu,
            Locking,
            0x7F,
            '\u{0670}',
        ),
        ("urdu single number sign", Urdu, Single, 0x19, '\u{0600}'),
        ("urdu single full stop", Urdu, Single, 0x3F, '\u{06D4}'),
    ];

    #[test]
    fn spot_checks() {
        for &(name, lang, which, septet, want) in SPOT_CHECKS {
            let got = table(lang, which)[usize::from(septet)];
            assert_eq!(got, want, "{name}: {lang:?} {which:?} 0x{septet:02X}");
        }
    }

    #[test]
    fn code_round_trips() {
        for (i, lang) in Language::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(lang.code()), i + 1, "{lang:?}");
            assert_eq!(Language::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Language::from_code(0), None);
        assert_eq!(Language::from_code(14), None);
        assert_eq!(Language::from_code(u8::MAX), None);
    }

    #[test]
    fn names() {
        let names: Vec<_> = Language::ALL.into_iter().map(Language::name).collect();
        assert_eq!(
            names,
            [
                "turkish",
                "spanish",
                "portuguese",
                "bengali",
                "gujarati",
                "hindi",
                "kannada",
                "malayalam",
                "oriya",
                "punjabi",
                "tamil",
                "telugu",
                "urdu"
            ]
        );
    }

    #[test]
    fn only_spanish_lacks_a_locking_table() {
        for lang in Language::ALL {
            assert_eq!(lang.locking_shift().is_none(), lang == Spanish, "{lang:?}");
        }
    }

    #[test]
    fn escape_position_is_none_everywhere() {
        for (name, _, _, t) in all_tables() {
            assert_eq!(t[0x1B], NONE, "{name}");
        }
    }

    #[test]
    fn control_positions() {
        for (name, _, which, t) in all_tables() {
            match which {
                Locking => {
                    assert_eq!(t[0x0A], '\n', "{name}");
                    assert_eq!(t[0x0D], '\r', "{name}");
                    assert_eq!(t[0x20], ' ', "{name}");
                }
                Single => {
                    assert_eq!(t[0x0A], '\u{000C}', "{name}");
                    assert_eq!(t[0x0D], NONE, "{name}");
                }
            }
        }
    }

    /// Characters the spec itself puts at two positions of one table: every Indic and the Urdu
    /// single shift table repeat '*' (0x0B, 0x18) and '¡' (0x13, 0x15).
    fn known_duplicates(lang: Language, which: Table) -> Vec<(char, Vec<usize>)> {
        match (lang, which) {
            (Turkish | Spanish | Portuguese, _) | (_, Locking) => vec![],
            (_, Single) => vec![('*', vec![0x0B, 0x18]), ('¡', vec![0x13, 0x15])],
        }
    }

    #[test]
    fn no_character_at_two_positions_except_known() {
        for (name, lang, which, t) in all_tables() {
            let mut dups: Vec<(char, Vec<usize>)> = Vec::new();
            for (i, &c) in t.iter().enumerate() {
                if c == NONE || t[..i].contains(&c) {
                    continue;
                }
                let at: Vec<usize> = (0..128).filter(|&j| t[j] == c).collect();
                if at.len() > 1 {
                    dups.push((c, at));
                }
            }
            assert_eq!(dups, known_duplicates(lang, which), "{name}");
        }
    }

    #[test]
    fn locking_tables_keep_the_ascii_core() {
        // Every locking table keeps the default alphabet's digits and '?' at 0x30..=0x3B and 0x3F.
        for (name, _, which, t) in all_tables() {
            if which != Locking {
                continue;
            }
            for (i, c) in ('0'..='9').enumerate() {
                assert_eq!(t[0x30 + i], c, "{name}");
            }
            assert_eq!(t[0x3F], '?', "{name}");
        }
    }
}
