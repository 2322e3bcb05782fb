//! TP-DCS, the data coding scheme (TS 23.038 §4).

/// The alphabet of the user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// GSM 7-bit default alphabet (or a national language table).
    Gsm7,
    /// 8-bit data.
    EightBit,
    /// UCS-2, read as UTF-16.
    Ucs2,
}

impl Alphabet {
    pub fn name(self) -> &'static str {
        match self {
            Alphabet::Gsm7 => "gsm7",
            Alphabet::EightBit => "8bit",
            Alphabet::Ucs2 => "ucs2",
        }
    }
}

/// Message-waiting indication kind (TS 23.038 §4, coding groups 1100-1110).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitingKind {
    Voicemail,
    Fax,
    Email,
    Other,
}

/// A message-waiting indication carried in the DCS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageWaiting {
    /// Set the indication (true) or clear it.
    pub active: bool,
    pub kind: WaitingKind,
    /// Group 1100 asks the receiver to discard the message after updating
    /// the indication; 1101 and 1110 to store it.
    pub store: bool,
}

/// TP-DCS, kept as its octet; accessors interpret the coding group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dcs(pub u8);

impl Dcs {
    /// General data coding (group 00xx) with no class, uncompressed.
    pub fn new(alphabet: Alphabet, class: Option<u8>) -> Dcs {
        let a = match alphabet {
            Alphabet::Gsm7 => 0,
            Alphabet::EightBit => 0b0100,
            Alphabet::Ucs2 => 0b1000,
        };
        match class {
            Some(c) => Dcs(0x10 | a | (c & 3)),
            None => Dcs(a),
        }
    }

    fn group(self) -> u8 {
        self.0 >> 4
    }

    /// The alphabet. Reserved codings read as the GSM 7-bit default
    /// alphabet, as §4 requires.
    pub fn alphabet(self) -> Alphabet {
        match self.group() {
            0x0..=0x7 => match (self.0 >> 2) & 3 {
                1 => Alphabet::EightBit,
                2 => Alphabet::Ucs2,
                _ => Alphabet::Gsm7,
            },
            0xE => Alphabet::Ucs2,
            0xF if self.0 & 0x04 != 0 => Alphabet::EightBit,
            _ => Alphabet::Gsm7,
        }
    }

    /// The message class 0..=3, when the DCS gives one.
    pub fn class(self) -> Option<u8> {
        match self.group() {
            0x0..=0x7 if self.0 & 0x10 != 0 => Some(self.0 & 3),
            0xF => Some(self.0 & 3),
            _ => None,
        }
    }

    /// Compressed user data (TS 23.042), which this codec does not inflate.
    pub fn compressed(self) -> bool {
        self.group() <= 0x7 && self.0 & 0x20 != 0
    }

    /// Groups 01xx: the message is marked for automatic deletion.
    pub fn auto_delete(self) -> bool {
        (0x4..=0x7).contains(&self.group())
    }

    /// Reserved coding groups 1000-1011.
    pub fn reserved(self) -> bool {
        (0x8..=0xB).contains(&self.group())
    }

    pub fn message_waiting(self) -> Option<MessageWaiting> {
        let store = match self.group() {
            0xC => false,
            0xD | 0xE => true,
            _ => return None,
        };
        Some(MessageWaiting {
            active: self.0 & 0x08 != 0,
            kind: match self.0 & 3 {
                0 => WaitingKind::Voicemail,
                1 => WaitingKind::Fax,
                2 => WaitingKind::Email,
                _ => WaitingKind::Other,
            },
            store,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dcs_table() {
        // (name, octet, alphabet, class, compressed, waiting)
        type Row = (
            &'static str,
            u8,
            Alphabet,
            Option<u8>,
            bool,
            Option<MessageWaiting>,
        );
        let vm = |active, store| {
            Some(MessageWaiting {
                active,
                kind: WaitingKind::Voicemail,
                store,
            })
        };
        let cases: &[Row] = &[
            ("default", 0x00, Alphabet::Gsm7, None, false, None),
            ("8-bit", 0x04, Alphabet::EightBit, None, false, None),
            ("ucs2", 0x08, Alphabet::Ucs2, None, false, None),
            (
                "reserved alphabet reads as gsm7",
                0x0C,
                Alphabet::Gsm7,
                None,
                false,
                None,
            ),
            (
                "flash gsm7 class 0",
                0x10,
                Alphabet::Gsm7,
                Some(0),
                false,
                None,
            ),
            ("ucs2 class 1", 0x19, Alphabet::Ucs2, Some(1), false, None),
            ("compressed", 0x20, Alphabet::Gsm7, None, true, None),
            ("auto delete ucs2", 0x48, Alphabet::Ucs2, None, false, None),
            ("reserved group", 0x80, Alphabet::Gsm7, None, false, None),
            (
                "mwi discard, voicemail on",
                0xC8,
                Alphabet::Gsm7,
                None,
                false,
                vm(true, false),
            ),
            (
                "mwi store, voicemail off",
                0xD0,
                Alphabet::Gsm7,
                None,
                false,
                vm(false, true),
            ),
            (
                "mwi store ucs2",
                0xE8,
                Alphabet::Ucs2,
                None,
                false,
                vm(true, true),
            ),
            ("data class 1", 0xF1, Alphabet::Gsm7, Some(1), false, None),
            (
                "data 8-bit class 2",
                0xF6,
                Alphabet::EightBit,
                Some(2),
                false,
                None,
            ),
        ];
        for (name, octet, alphabet, class, compressed, waiting) in cases {
            let d = Dcs(*octet);
            assert_eq!(d.alphabet(), *alphabet, "{name} alphabet");
            assert_eq!(d.class(), *class, "{name} class");
            assert_eq!(d.compressed(), *compressed, "{name} compressed");
            assert_eq!(d.message_waiting(), *waiting, "{name} waiting");
        }
        assert_eq!(Dcs::new(Alphabet::Ucs2, Some(0)), Dcs(0x18));
        assert_eq!(Dcs::new(Alphabet::Gsm7, None), Dcs(0x00));
    }
}
