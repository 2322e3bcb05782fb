//! The GSM 7-bit default alphabet, its extension table and the national
//! language shift tables (TS 23.038 §6.2.1), and septet packing (§6.1.2.1).

pub mod default;
pub mod national;
pub mod pack;

pub use national::Language;

use national::NONE;

/// The escape septet: the next septet is read from the single-shift table.
pub const ESC: u8 = 0x1B;

/// The pair of tables a 7-bit text is read with: the locking-shift table (the
/// default alphabet unless a national locking shift is in force) and the
/// single-shift table reached through [`ESC`] (the default extension table
/// unless a national single shift is in force). TS 23.040 §9.2.3.24.15/16.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Charset {
    pub locking: Option<Language>,
    pub single: Option<Language>,
}

impl Charset {
    pub const DEFAULT: Charset = Charset {
        locking: None,
        single: None,
    };

    pub fn is_default(&self) -> bool {
        self.locking.is_none() && self.single.is_none()
    }

    fn locking_table(&self) -> &'static [char; 128] {
        self.locking
            .and_then(Language::locking_shift)
            .unwrap_or(&default::ALPHABET)
    }

    fn single_table(&self) -> &'static [char; 128] {
        self.single
            .map(Language::single_shift)
            .unwrap_or(&default::EXTENSION)
    }

    /// The septets for `c`: one, or [`ESC`] and one. None when `c` has no code.
    pub fn encode_char(&self, c: char) -> Option<Code> {
        if self.is_default() && c.is_ascii() {
            return match default::ASCII.get(c as usize).copied().unwrap_or(0xFF) {
                0xFF => None,
                s if s & 0x80 != 0 => Some(Code::Escaped(s & 0x7F)),
                s => Some(Code::Single(s)),
            };
        }
        if c == NONE {
            return None;
        }
        if let Some(i) = self.locking_table().iter().position(|&t| t == c) {
            return Some(Code::Single(i as u8));
        }
        self.single_table()
            .iter()
            .position(|&t| t == c)
            .map(|i| Code::Escaped(i as u8))
    }

    /// Septets `c` takes (1 or 2), or None when it has no code.
    pub fn septets(&self, c: char) -> Option<usize> {
        self.encode_char(c).map(|code| code.len())
    }

    /// Encodes `text` to septets (unpacked), appending to `out`.
    pub fn encode(&self, text: &str, out: &mut Vec<u8>) -> Result<(), char> {
        out.reserve(text.len());
        for c in text.chars() {
            match self.encode_char(c).ok_or(c)? {
                Code::Single(s) => out.push(s),
                Code::Escaped(s) => out.extend_from_slice(&[ESC, s]),
            }
        }
        Ok(())
    }

    /// Decodes unpacked septets, appending to `out`. Never fails: an escape
    /// to an undefined single-shift position reads as the locking-shift
    /// character (TS 23.038 §6.2.1.1 note 1), and a dangling escape at the end
    /// is dropped.
    pub fn decode(&self, septets: &[u8], out: &mut String) {
        let locking = self.locking_table();
        let single = self.single_table();
        out.reserve(septets.len());
        let mut escaped = false;
        // Septets are 7-bit: every masked value is a position in the 128-entry tables.
        let at = |table: &[char; 128], s: usize| table.get(s).copied().unwrap_or(NONE);
        for &s in septets {
            let s = usize::from(s & 0x7F);
            if escaped {
                escaped = false;
                let c = at(single, s);
                if c != NONE {
                    out.push(c);
                } else if s == usize::from(ESC) {
                    // 0x1B 0x1B is reserved for a further extension table:
                    // shown as a space.
                    out.push(' ');
                } else if at(locking, s) != NONE {
                    out.push(at(locking, s));
                }
            } else if s == usize::from(ESC) {
                escaped = true;
            } else if at(locking, s) != NONE {
                out.push(at(locking, s));
            }
        }
    }
}

/// The code of one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// A septet of the locking-shift table.
    Single(u8),
    /// A septet of the single-shift table, preceded by [`ESC`].
    Escaped(u8),
}

impl Code {
    pub fn len(self) -> usize {
        match self {
            Code::Single(_) => 1,
            Code::Escaped(_) => 2,
        }
    }

    pub fn is_empty(self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_charset_table() {
        // (name, text, septets)
        let cases: &[(&str, &str, &[u8])] = &[
            ("at sign is zero", "@", &[0x00]),
            ("ascii", "Hi!", &[0x48, 0x69, 0x21]),
            ("greek", "ΔΩΠΨ", &[0x10, 0x15, 0x16, 0x17]),
            ("euro escaped", "€", &[0x1B, 0x65]),
            (
                "brackets escaped",
                "[{}]",
                &[0x1B, 0x3C, 0x1B, 0x28, 0x1B, 0x29, 0x1B, 0x3E],
            ),
            ("section and inverted question", "§¿", &[0x5F, 0x60]),
            ("page break", "\u{000C}", &[0x1B, 0x0A]),
            ("newline and cr", "\n\r", &[0x0A, 0x0D]),
        ];
        for (name, text, septets) in cases {
            let mut out = Vec::new();
            Charset::DEFAULT.encode(text, &mut out).unwrap();
            assert_eq!(out, *septets, "encode {name}");
            let mut back = String::new();
            Charset::DEFAULT.decode(septets, &mut back);
            assert_eq!(back, *text, "decode {name}");
        }
    }

    #[test]
    fn not_in_alphabet() {
        let cases: &[(&str, &str, char)] = &[
            ("lowercase c cedilla", "ç", 'ç'),
            ("kana", "あ", 'あ'),
            ("emoji", "ok😀", '😀'),
            ("backtick", "`", '`'),
        ];
        for (name, text, bad) in cases {
            let mut out = Vec::new();
            assert_eq!(Charset::DEFAULT.encode(text, &mut out), Err(*bad), "{name}");
        }
    }

    #[test]
    fn decode_oddities() {
        let cases: &[(&str, &[u8], &str)] = &[
            (
                "undefined escape reads as the base character",
                &[0x1B, 0x41],
                "A",
            ),
            ("double escape is a space", &[0x1B, 0x1B, 0x41], " A"),
            ("dangling escape dropped", &[0x41, 0x1B], "A"),
            ("high bit ignored", &[0xC1], "A"),
        ];
        for (name, septets, text) in cases {
            let mut out = String::new();
            Charset::DEFAULT.decode(septets, &mut out);
            assert_eq!(out, *text, "{name}");
        }
    }

    #[test]
    fn every_default_character_round_trips() {
        for (i, &c) in default::ALPHABET.iter().enumerate() {
            if i == usize::from(ESC) {
                continue;
            }
            assert_eq!(
                Charset::DEFAULT.encode_char(c),
                Some(Code::Single(i as u8)),
                "{c:?}"
            );
        }
        for (i, &c) in default::EXTENSION.iter().enumerate() {
            if c != NONE {
                assert_eq!(
                    Charset::DEFAULT.encode_char(c),
                    Some(Code::Escaped(i as u8)),
                    "{c:?}"
                );
            }
        }
    }
}
