//! Segmentation: text to the fewest SMS-SUBMIT user data parts (TS 23.040
//! §9.2.3.24.1 concatenation, TS 23.038 §6.2.1.2 national shifts).
//!
//! GSM 7-bit is used when every character is in the default alphabet or its
//! extension table, UCS-2 otherwise. One part holds 160 septets or 70 UTF-16
//! units; with a concatenation header 153 / 67 (8-bit reference) or 152 / 66
//! (16-bit). A character's code units always stay in one part, so an escape
//! pair or a surrogate pair never straddles two. Filling parts greedily in
//! order gives the fewest parts for a given encoding.

use super::dcs::Alphabet;
use super::error::EncodeError;
use super::gsm7::{Charset, Code, ESC, Language};
use super::udh::{Concat, Ie, Udh};
use super::userdata::{Body, MAX_OCTETS, MAX_SEPTETS, UserData, fill_bits};

/// How to split a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Concatenation reference, chosen by the caller (per recipient, so
    /// parts of different messages are never mixed up).
    pub reference: u16,
    /// Use the 16-bit reference element (IEI 0x08).
    pub ref16: bool,
    /// National languages whose shift tables may be used when that gives
    /// fewer parts than the default alphabet or UCS-2. Empty: never.
    pub national: Vec<Language>,
    /// Most parts allowed (a concatenated message has at most 255).
    pub max_parts: usize,
    /// UCS-2 even when every character has a GSM 7-bit code (a sender that asked for it, as
    /// Kannel's `coding=2`). [`split`] and [`plan`] honour it; [`count`] does not.
    pub ucs2: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            reference: 0,
            ref16: false,
            national: Vec::new(),
            max_parts: 255,
            ucs2: false,
        }
    }
}

/// The encoding chosen for a text and how many parts it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub alphabet: Alphabet,
    pub charset: Charset,
    pub parts: usize,
}

/// Splits `text` into the user data of each part, headers included.
pub fn split(text: &str, opts: &Options) -> Result<Vec<UserData>, EncodeError> {
    if text.is_empty() {
        return Err(EncodeError::EmptyText);
    }
    // The common case: one part in the default alphabet, with no per-character
    // bookkeeping.
    let mut septets = Vec::new();
    let default_ok = !opts.ucs2 && Charset::DEFAULT.encode(text, &mut septets).is_ok();
    if default_ok && septets.len() <= MAX_SEPTETS {
        return Ok(vec![UserData {
            udh: None,
            body: Body::Gsm7 {
                septets,
                charset: Charset::DEFAULT,
            },
        }]);
    }
    let plan = plan_with(text, opts, default_ok);
    if plan.parts > opts.max_parts.min(255) {
        return Err(EncodeError::TooManyParts {
            needed: plan.parts,
            max: opts.max_parts.min(255),
        });
    }
    let shifts = shift_ies(plan.charset);
    let chunks = match plan.alphabet {
        Alphabet::Ucs2 => ucs2_chunks(text, unit_capacity(plan.parts, opts.ref16)),
        _ => gsm7_chunks(
            text,
            plan.charset,
            septet_capacity(plan.parts, opts.ref16, &shifts),
        )
        .ok_or(EncodeError::NotGsm7(first_unencodable(text, plan.charset)))?,
    };
    let total = chunks.len();
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let mut ies = Vec::with_capacity(3);
            if total > 1 {
                ies.push(Ie::Concat(Concat {
                    reference: if opts.ref16 {
                        opts.reference
                    } else {
                        opts.reference & 0xFF
                    },
                    total: total as u8,
                    sequence: i as u8 + 1,
                    wide: opts.ref16,
                }));
            }
            ies.extend(shifts.iter().cloned());
            UserData {
                udh: (!ies.is_empty()).then_some(Udh { ies }),
                body,
            }
        })
        .collect())
}

/// The encoding and part count [`split`] would use, without building parts.
pub fn plan(text: &str, opts: &Options) -> Result<Plan, EncodeError> {
    if text.is_empty() {
        return Err(EncodeError::EmptyText);
    }
    let default_ok = !opts.ucs2
        && text
            .chars()
            .all(|c| Charset::DEFAULT.encode_char(c).is_some());
    Ok(plan_with(text, opts, default_ok))
}

/// What a composer shows while a text is typed: the encoding [`split`] would
/// choose and how full its parts are. Every field follows the same rules as
/// [`split`] (TS 23.038 §6.2.1 for the alphabet, TS 23.040 §9.2.3.24.1 for the
/// concatenation header), so `parts` is the number of parts `split(text, opts)`
/// returns whenever it accepts the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// [`Alphabet::Gsm7`] or [`Alphabet::Ucs2`]; [`Alphabet::name`] gives
    /// `"gsm7"` / `"ucs2"`.
    pub alphabet: Alphabet,
    /// The 7-bit tables used: the default ones unless `opts.national` allows
    /// a shift table and it saves parts (TS 23.038 §6.2.1.2).
    pub charset: Charset,
    /// Septets for GSM 7-bit (an extension-table character such as `€` is
    /// an escape and a septet: 2), UTF-16 code units for UCS-2 (a character
    /// outside the Basic Multilingual Plane is a surrogate pair: 2).
    pub units: usize,
    /// Parts the text takes; 0 for an empty text.
    pub parts: usize,
    /// Units one part holds: 160 / 70 for a single part, 153 / 67 once the
    /// 8-bit concatenation header is needed (152 / 66 with the 16-bit one).
    pub per_part: usize,
    /// Units still free in the last part. An escape pair or a surrogate pair
    /// never straddles two parts, so the last part's free room is not always
    /// `parts * per_part - units`.
    pub remaining: usize,
    /// For a UCS-2 text, the first character (index in chars, and the char)
    /// that is in neither the default alphabet nor its extension table: the
    /// one that forced UCS-2. None for a 7-bit text.
    pub forced_by: Option<(usize, char)>,
}

/// The longest start of `text` that [`split`] sends in at most `opts.max_parts` parts (as a
/// gateway cuts an over-long answer, Kannel's `max-messages`).
pub fn fit(text: &str, opts: &Options) -> String {
    let fits = |n: usize| {
        let s: String = text.chars().take(n).collect();
        plan(&s, opts).is_ok_and(|p| p.parts <= opts.max_parts)
    };
    let total = text.chars().count();
    if fits(total) {
        return text.to_owned();
    }
    // More characters never take fewer parts: search for the longest prefix that fits.
    let (mut lo, mut hi) = (0, total);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    text.chars().take(lo).collect()
}

/// Counts `text` as [`split`] would send it with `opts`, without building
/// parts and without failing: a text over `opts.max_parts` is still counted,
/// and an empty text is 0 parts of 0 units. TS 23.038 §6.2.1, TS 23.040
/// §9.2.3.24.1.
pub fn count(text: &str, opts: &Options) -> Count {
    let forced_by = text
        .chars()
        .enumerate()
        .find(|&(_, c)| Charset::DEFAULT.encode_char(c).is_none());
    if text.is_empty() {
        return Count {
            alphabet: Alphabet::Gsm7,
            charset: Charset::DEFAULT,
            units: 0,
            parts: 0,
            per_part: MAX_SEPTETS,
            remaining: MAX_SEPTETS,
            forced_by: None,
        };
    }
    let plan = plan_with(text, opts, forced_by.is_none());
    // A 7-bit plan means every character has a code in its tables; were it
    // otherwise, `split` would refuse the 7-bit parts, so UCS-2 is the honest
    // fallback rather than a count of zero.
    let gsm7 = match plan.alphabet {
        Alphabet::Ucs2 => None,
        _ => gsm7_costs(text, plan.charset),
    };
    let (alphabet, charset, costs, single, multi) = match gsm7 {
        Some(costs) => {
            let shifts = shift_ies(plan.charset);
            (
                Alphabet::Gsm7,
                plan.charset,
                costs,
                septet_capacity(1, opts.ref16, &shifts),
                septet_capacity(2, opts.ref16, &shifts),
            )
        }
        None => (
            Alphabet::Ucs2,
            Charset::DEFAULT,
            ucs2_costs(text),
            unit_capacity(1, opts.ref16),
            unit_capacity(2, opts.ref16),
        ),
    };
    let (parts, last) = greedy(&costs, single, multi);
    let per_part = if parts > 1 { multi } else { single };
    Count {
        alphabet,
        charset,
        units: costs.iter().sum(),
        parts,
        per_part,
        remaining: per_part.saturating_sub(last),
        forced_by: forced_by.filter(|_| alphabet == Alphabet::Ucs2),
    }
}

fn plan_with(text: &str, opts: &Options, default_ok: bool) -> Plan {
    let base = if default_ok {
        Plan {
            alphabet: Alphabet::Gsm7,
            charset: Charset::DEFAULT,
            parts: gsm7_parts(text, Charset::DEFAULT, opts.ref16).unwrap_or(usize::MAX),
        }
    } else {
        Plan {
            alphabet: Alphabet::Ucs2,
            charset: Charset::DEFAULT,
            parts: ucs2_parts(text, opts.ref16),
        }
    };
    let mut best = base;
    let national: &[Language] = if opts.ucs2 { &[] } else { &opts.national };
    for &lang in national {
        for charset in candidates(lang) {
            if let Some(parts) = gsm7_parts(text, charset, opts.ref16) {
                // Only a strictly lower count justifies a shift table.
                if parts < best.parts {
                    best = Plan {
                        alphabet: Alphabet::Gsm7,
                        charset,
                        parts,
                    };
                }
            }
        }
    }
    best
}

/// The table combinations worth trying for a language.
fn candidates(lang: Language) -> Vec<Charset> {
    let mut v = vec![Charset {
        locking: None,
        single: Some(lang),
    }];
    if lang.locking_shift().is_some() {
        v.push(Charset {
            locking: Some(lang),
            single: Some(lang),
        });
        v.push(Charset {
            locking: Some(lang),
            single: None,
        });
    }
    v
}

fn shift_ies(cs: Charset) -> Vec<Ie> {
    let mut v = Vec::new();
    if let Some(l) = cs.single {
        v.push(Ie::SingleShift(l.code()));
    }
    if let Some(l) = cs.locking {
        v.push(Ie::LockingShift(l.code()));
    }
    v
}

fn header_octets(concat: bool, ref16: bool, shifts: usize) -> usize {
    let ies = if concat { 5 + usize::from(ref16) } else { 0 } + 3 * shifts;
    if ies == 0 { 0 } else { 1 + ies }
}

/// Septets of text a part holds.
fn septet_capacity(parts: usize, ref16: bool, shifts: &[Ie]) -> usize {
    let h = header_octets(parts > 1, ref16, shifts.len());
    MAX_SEPTETS - (h * 8 + fill_bits(h)) / 7
}

/// UTF-16 units of text a part holds.
fn unit_capacity(parts: usize, ref16: bool) -> usize {
    (MAX_OCTETS - header_octets(parts > 1, ref16, 0)) / 2
}

/// Septets per character (1, or 2 for an escape pair), or None when a
/// character has no code in `cs`.
fn gsm7_costs(text: &str, cs: Charset) -> Option<Vec<usize>> {
    text.chars().map(|c| cs.septets(c)).collect()
}

/// UTF-16 units per character (2 for a surrogate pair).
fn ucs2_costs(text: &str) -> Vec<usize> {
    text.chars().map(char::len_utf16).collect()
}

/// Parts for a 7-bit text, or None when a character has no code.
fn gsm7_parts(text: &str, cs: Charset, ref16: bool) -> Option<usize> {
    let shifts = shift_ies(cs);
    let costs = gsm7_costs(text, cs)?;
    Some(
        greedy(
            &costs,
            septet_capacity(1, ref16, &shifts),
            septet_capacity(2, ref16, &shifts),
        )
        .0,
    )
}

fn ucs2_parts(text: &str, ref16: bool) -> usize {
    greedy(
        &ucs2_costs(text),
        unit_capacity(1, ref16),
        unit_capacity(2, ref16),
    )
    .0
}

/// Parts needed for items of the given sizes, and the units used in the
/// last: one part if all fit in `single`, else greedy parts of `multi`, the
/// same filling as [`gsm7_chunks`] and [`ucs2_chunks`].
fn greedy(costs: &[usize], single: usize, multi: usize) -> (usize, usize) {
    let total: usize = costs.iter().sum();
    if total <= single {
        return (1, total);
    }
    let mut parts = 1;
    let mut used = 0;
    for &c in costs {
        if used + c > multi {
            parts += 1;
            used = 0;
        }
        used += c;
    }
    (parts, used)
}

fn gsm7_chunks(text: &str, cs: Charset, cap: usize) -> Option<Vec<Body>> {
    let mut chunks = Vec::new();
    let mut cur: Vec<u8> = Vec::with_capacity(cap);
    for c in text.chars() {
        let code = cs.encode_char(c)?;
        if cur.len() + code.len() > cap {
            chunks.push(std::mem::replace(&mut cur, Vec::with_capacity(cap)));
        }
        match code {
            Code::Single(s) => cur.push(s),
            Code::Escaped(s) => cur.extend_from_slice(&[ESC, s]),
        }
    }
    chunks.push(cur);
    Some(
        chunks
            .into_iter()
            .map(|septets| Body::Gsm7 {
                septets,
                charset: cs,
            })
            .collect(),
    )
}

fn ucs2_chunks(text: &str, cap_units: usize) -> Vec<Body> {
    let mut chunks = Vec::new();
    let mut cur: Vec<u8> = Vec::with_capacity(cap_units * 2);
    let mut buf = [0u16; 2];
    for c in text.chars() {
        let units = c.encode_utf16(&mut buf);
        if cur.len() / 2 + units.len() > cap_units {
            chunks.push(std::mem::replace(
                &mut cur,
                Vec::with_capacity(cap_units * 2),
            ));
        }
        for u in units.iter() {
            cur.extend_from_slice(&u.to_be_bytes());
        }
    }
    chunks.push(cur);
    chunks.into_iter().map(Body::Ucs2).collect()
}

fn first_unencodable(text: &str, cs: Charset) -> char {
    text.chars()
        .find(|&c| cs.encode_char(c).is_none())
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(parts: &[UserData]) -> String {
        parts.iter().filter_map(UserData::text).collect()
    }

    #[test]
    fn ucs2_when_asked_even_for_gsm_text() {
        let opts = Options {
            ucs2: true,
            national: vec![Language::Turkish],
            ..Options::default()
        };
        // (name, text, parts)
        let cases = [
            ("short", "hello".to_owned(), 1),
            ("71 chars", "a".repeat(71), 2),
        ];
        for (name, text, parts) in cases {
            let got = split(&text, &opts).unwrap();
            assert_eq!(got.len(), parts, "{name}");
            assert!(
                got.iter().all(|u| matches!(u.body, Body::Ucs2(_))),
                "{name}"
            );
            assert_eq!(texts(&got), text, "{name}");
            let p = plan(&text, &opts).unwrap();
            assert_eq!((p.alphabet, p.parts), (Alphabet::Ucs2, parts), "{name}");
        }
    }

    #[test]
    fn part_count_table() {
        let a = |n| "a".repeat(n);
        let kana = |n| "あ".repeat(n);
        // (name, text, ref16, alphabet, parts)
        let cases: Vec<(&str, String, bool, Alphabet, usize)> = vec![
            ("160 gsm fits one", a(160), false, Alphabet::Gsm7, 1),
            ("161 gsm needs two", a(161), false, Alphabet::Gsm7, 2),
            (
                "306 gsm is two parts of 153",
                a(306),
                false,
                Alphabet::Gsm7,
                2,
            ),
            ("307 gsm needs three", a(307), false, Alphabet::Gsm7, 3),
            (
                "304 gsm fits two 16-bit parts of 152",
                a(304),
                true,
                Alphabet::Gsm7,
                2,
            ),
            (
                "305 gsm needs three 16-bit parts",
                a(305),
                true,
                Alphabet::Gsm7,
                3,
            ),
            (
                "80 euros fit one (160 septets)",
                "€".repeat(80),
                false,
                Alphabet::Gsm7,
                1,
            ),
            (
                "81 euros need two",
                "€".repeat(81),
                false,
                Alphabet::Gsm7,
                2,
            ),
            ("70 kana fit one", kana(70), false, Alphabet::Ucs2, 1),
            ("71 kana need two", kana(71), false, Alphabet::Ucs2, 2),
            (
                "134 kana are two parts of 67",
                kana(134),
                false,
                Alphabet::Ucs2,
                2,
            ),
            ("135 kana need three", kana(135), false, Alphabet::Ucs2, 3),
            (
                "132 kana fit two 16-bit parts of 66",
                kana(132),
                true,
                Alphabet::Ucs2,
                2,
            ),
            (
                "35 emoji fit one (70 units)",
                "😀".repeat(35),
                false,
                Alphabet::Ucs2,
                1,
            ),
            (
                "one cedilla forces ucs2",
                format!("{}ç", a(69)),
                false,
                Alphabet::Ucs2,
                1,
            ),
        ];
        for (name, text, ref16, alphabet, parts) in cases {
            let opts = Options {
                ref16,
                ..Options::default()
            };
            let got = split(&text, &opts).unwrap();
            assert_eq!(got.len(), parts, "{name}");
            let p = plan(&text, &opts).unwrap();
            assert_eq!((p.alphabet, p.parts), (alphabet, parts), "{name} plan");
            let n = count(&text, &opts);
            assert_eq!((n.alphabet, n.parts), (alphabet, parts), "{name} count");
            assert_eq!(texts(&got), text, "{name} text");
            for ud in &got {
                let mut enc = Vec::new();
                ud.encode(&mut enc)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
    }

    #[test]
    fn escape_pair_never_straddles() {
        // 152 'a' then '€': the escape pair would start at septet 153 of
        // part one, so it moves whole to part two.
        let text = format!("{}€{}", "a".repeat(152), "b".repeat(10));
        let parts = split(&text, &Options::default()).unwrap();
        assert_eq!(parts.len(), 2);
        let first = parts[0].text().unwrap();
        assert_eq!(first, "a".repeat(152));
        assert_eq!(parts[1].text().unwrap(), format!("€{}", "b".repeat(10)));
    }

    #[test]
    fn surrogate_pair_never_straddles() {
        // 66 units then a pair: 68 > 67, so the pair opens part two.
        let text = format!("{}😀{}", "あ".repeat(66), "い".repeat(10));
        let parts = split(&text, &Options::default()).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].text().unwrap(), "あ".repeat(66));
        assert_eq!(parts[1].text().unwrap(), format!("😀{}", "い".repeat(10)));
    }

    #[test]
    fn concat_headers_number_the_parts() {
        let opts = Options {
            reference: 0x1234,
            ..Options::default()
        };
        let parts = split(&"x".repeat(400), &opts).unwrap();
        let seq: Vec<_> = parts
            .iter()
            .map(|p| p.udh.as_ref().and_then(Udh::concat).unwrap())
            .map(|c| (c.reference, c.total, c.sequence, c.wide))
            .collect();
        assert_eq!(
            seq,
            vec![
                (0x34, 3, 1, false),
                (0x34, 3, 2, false),
                (0x34, 3, 3, false)
            ]
        );
    }

    #[test]
    fn national_shift_only_when_asked_and_only_when_fewer_parts() {
        let turkish = "Ağaç ışığı şöyle düşünür: Gülşen İstanbul'da. ".repeat(4);
        let plain = split(&turkish, &Options::default()).unwrap();
        assert!(
            matches!(plain[0].body, Body::Ucs2(_)),
            "no shift unless asked"
        );
        let opts = Options {
            national: vec![Language::Turkish],
            ..Options::default()
        };
        let shifted = split(&turkish, &opts).unwrap();
        assert!(
            shifted.len() < plain.len(),
            "{} < {}",
            shifted.len(),
            plain.len()
        );
        let cs = match &shifted[0].body {
            Body::Gsm7 { charset, .. } => *charset,
            other => panic!("{other:?}"),
        };
        assert!(!cs.is_default());
        let udh = shifted[0].udh.as_ref().unwrap();
        assert_eq!(udh.charset(), cs, "the header names the tables used");
        let back: String = shifted.iter().filter_map(UserData::text).collect();
        assert_eq!(back, turkish);

        // A text the default alphabet holds never takes a shift table.
        let english = "Plain text costs nothing extra. ".repeat(8);
        let parts = split(&english, &opts).unwrap();
        assert!(
            parts
                .iter()
                .all(|p| p.udh.as_ref().is_none_or(|u| u.charset().is_default()))
        );
    }

    #[test]
    fn errors() {
        assert_eq!(split("", &Options::default()), Err(EncodeError::EmptyText));
        let opts = Options {
            max_parts: 2,
            ..Options::default()
        };
        assert_eq!(
            split(&"a".repeat(307), &opts),
            Err(EncodeError::TooManyParts { needed: 3, max: 2 })
        );
    }
}
