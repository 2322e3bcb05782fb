//! Keyword folding: the form in which an inbound word and a configured keyword are compared, so
//! that `ＳＴＯＰ`, `Stop!` and `stop` are one keyword, and so are `ｽﾄｯﾌﾟ`, `ストップ` and
//! `すとっぷ`.

use unicode_normalization::UnicodeNormalization;

/// `s` in the form keywords are compared in:
///
/// 1. Unicode NFKC, which maps full-width ASCII to ASCII (`ＳＴＯＰ` → `STOP`), half-width
///    katakana to full-width (`ｽﾄｯﾌﾟ` → `ストップ`, the voiced mark composed) and the ideographic
///    space to a space;
/// 2. hiragana to katakana (`ていし` → `テイシ`), because people type either for the same word;
/// 3. lowercase.
///
/// Idempotent: `fold(&fold(s)) == fold(s)` (a property test checks it).
pub fn fold(s: &str) -> String {
    let once: String = s
        .nfkc()
        .map(hiragana_to_katakana)
        .flat_map(char::to_lowercase)
        .collect();
    // Lowercasing can, for a few characters, produce a sequence NFKC would write differently
    // (a capital with a compatibility decomposition); a second NFKC pass makes the result a
    // fixed point. Both steps are cheap on the one word that is folded per message.
    if unicode_normalization::is_nfkc_quick(once.chars())
        == unicode_normalization::IsNormalized::Yes
    {
        once
    } else {
        once.nfkc().collect()
    }
}

/// The katakana letter of a hiragana one; any other character unchanged.
///
/// Hiragana U+3041..=U+3096 and the iteration marks U+309D..=U+309E sit exactly 0x60 below their
/// katakana counterparts.
fn hiragana_to_katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' | '\u{309D}'..='\u{309E}' => {
            char::from_u32(c as u32 + 0x60).unwrap_or(c)
        }
        _ => c,
    }
}

/// Whether `c` ends a word: any Unicode whitespace (the ideographic space U+3000 included) or
/// common sentence punctuation, ASCII, full-width and half-width.
pub fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '!' | '！'
                | '?'
                | '？'
                | '.'
                | '．'
                | '。'
                | '｡'
                | ','
                | '，'
                | '、'
                | '､'
                | ';'
                | '；'
                | ':'
                | '：'
        )
}

/// The first word of `text`: leading separators skipped, up to the next separator (see
/// [`is_separator`]). Empty when `text` has no word.
pub fn first_word(text: &str) -> &str {
    let start = text.trim_start_matches(is_separator);
    match start.find(is_separator) {
        Some(end) => &start[..end],
        None => start,
    }
}

/// The folded first word of `text`, as keyword rules compare it.
///
/// Only the first word is folded (a long message costs no more than a short one); folding can
/// itself produce a separator (e.g. `﹗` → `!`), so the word is cut again after folding.
pub fn folded_first_word(text: &str) -> String {
    let folded = fold(first_word(text));
    let word = first_word(&folded);
    if word.len() == folded.len() {
        folded
    } else {
        word.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_table() {
        // (name, input, folded)
        let cases: &[(&str, &str, &str)] = &[
            ("ascii lowercase", "stop", "stop"),
            ("ascii capitals", "STOP", "stop"),
            ("full-width capitals", "ＳＴＯＰ", "stop"),
            ("mixed width and case", "Ｓtoｐ", "stop"),
            ("kanji unchanged", "停止", "停止"),
            ("kanji compound unchanged", "配信停止", "配信停止"),
            ("half-width katakana", "ｽﾄｯﾌﾟ", "ストップ"),
            ("full-width katakana", "ストップ", "ストップ"),
            ("hiragana", "すとっぷ", "ストップ"),
            ("hiragana teishi", "ていし", "テイシ"),
            ("emoji unchanged", "🙅", "🙅"),
            ("empty", "", ""),
            ("full-width digits", "１２３", "123"),
            ("ideographic space", "a\u{3000}b", "a b"),
        ];
        for (name, input, want) in cases {
            assert_eq!(fold(input), *want, "{name}");
        }
    }

    #[test]
    fn first_word_table() {
        // (name, text, first word)
        let cases: &[(&str, &str, &str)] = &[
            ("bare", "STOP", "STOP"),
            ("exclamation", "Stop!", "Stop"),
            ("full-width exclamation", "ＳＴＯＰ！", "ＳＴＯＰ"),
            ("with more words", "stop please", "stop"),
            ("leading spaces", "  stop", "stop"),
            ("ideographic space", "停止\u{3000}お願いします", "停止"),
            ("japanese full stop", "配信停止。", "配信停止"),
            ("comma", "help,me", "help"),
            ("newline", "start\nnow", "start"),
            ("only punctuation", "!?。", ""),
            ("empty", "", ""),
            ("emoji", "🙅 stop", "🙅"),
        ];
        for (name, text, want) in cases {
            assert_eq!(first_word(text), *want, "{name}");
        }
    }

    #[test]
    fn folded_first_word_table() {
        // (name, text, folded first word)
        let cases: &[(&str, &str, &str)] = &[
            ("full-width stop", "ＳＴＯＰ", "stop"),
            ("stop with exclamation", "Stop!", "stop"),
            ("stop please", "stop please", "stop"),
            ("kanji", "停止", "停止"),
            ("kanji compound", "配信停止", "配信停止"),
            ("half-width katakana", "ｽﾄｯﾌﾟ", "ストップ"),
            ("hiragana", "すとっぷ です", "ストップ"),
            (
                "small exclamation folds to a separator",
                "stop\u{FE57}x",
                "stop",
            ),
            ("emoji", "🙅", "🙅"),
            ("empty", "", ""),
        ];
        for (name, text, want) in cases {
            assert_eq!(folded_first_word(text), *want, "{name}");
        }
    }
}
