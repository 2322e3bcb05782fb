//! Kannel's `%` escapes in a `dlr-url`, `get-url` or `post-url` (Kannel 1.4 user guide,
//! "sms-service configurations", table "Parameters (escape codes)", as its smsbox fills them in
//! `urltrans_fill_escape_codes`). Pure: the values come in an [`Escapes`], the URL comes out
//! with each escape replaced by its URL-encoded value (a space becomes `+`). As in Kannel, `%t`
//! is `YYYY-MM-DD+HH:MM:SS` (UTC, the `+` a space once decoded) and `%S` is not encoded.
//!
//! The result is bounded: [`expand`] gives up past [`MAX_EXPANDED`] bytes, so that a long
//! text repeated by many escapes cannot make a huge URL.

use jiff::Timestamp;

/// The values a URL's escapes are expanded from. What a message lacks stays empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Escapes {
    /// `%p`: the sender (for a DLR, the message's receiver, as Kannel does).
    pub from: String,
    /// `%P`: the receiver (for a DLR, the message's `from`).
    pub to: String,
    /// `%b` and `%A`: the text as it is (for a DLR, the report's text); `%a`, `%k`, `%s`,
    /// `%S`, `%r` take its words.
    pub text: String,
    /// `%t` (as `YYYY-MM-DD HH:MM`, UTC) and `%T` (Unix seconds).
    pub time: Option<Timestamp>,
    /// `%i`: the smsc-id: the modem.
    pub smsc: String,
    /// `%I`: smsgate's message id.
    pub id: String,
    /// `%F`: the foreign (SMSC) id: the TP-MR of the first part.
    pub foreign_id: String,
    /// `%d`: the DLR value (1, 2, 4, 8, 16).
    pub dlr: Option<u8>,
    /// `%R`: the DLR's URL.
    pub dlr_url: String,
    /// `%c`: 0 (GSM 7-bit), 1 (8-bit) or 2 (UCS-2).
    pub coding: u8,
    /// `%C`: the charset.
    pub charset: String,
    /// `%u`: the UDH, hex.
    pub udh: String,
    /// `%n`: the sendsms user or service name.
    pub service: String,
}

fn encode(out: &mut String, value: &str) {
    out.extend(form_urlencoded::byte_serialize(value.as_bytes()));
}

/// A leading `00` replaced by `+` (`%q`, `%Q`).
fn plus(number: &str) -> String {
    match number.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => number.to_owned(),
    }
}

/// Longest URL [`expand`] makes.
pub const MAX_EXPANDED: usize = 16 * 1024;

/// `template` with every escape replaced. `%%` is a `%`; an unknown escape, or a `%` at the
/// end, is kept as it is. `None` when the result would pass [`MAX_EXPANDED`] bytes.
pub fn expand(template: &str, e: &Escapes) -> Option<String> {
    let words: Vec<&str> = e.text.split_whitespace().collect();
    // `%s` takes the words after the keyword one by one; `%r` the rest.
    let mut next_word = 1;
    let mut out = String::with_capacity(template.len() + e.text.len());
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if out.len() > MAX_EXPANDED {
            return None;
        }
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(code) = chars.next() else {
            out.push('%');
            break;
        };
        match code {
            '%' => out.push('%'),
            'p' => encode(&mut out, &e.from),
            'P' => encode(&mut out, &e.to),
            'q' => encode(&mut out, &plus(&e.from)),
            'Q' => encode(&mut out, &plus(&e.to)),
            'b' | 'A' => encode(&mut out, &e.text),
            'a' => encode(&mut out, &words.join(" ")),
            'k' => encode(&mut out, words.first().copied().unwrap_or("")),
            's' | 'S' => {
                let word = words.get(next_word).copied().unwrap_or("");
                next_word += 1;
                if code == 'S' {
                    out.push_str(&word.replace('*', "~"));
                } else {
                    encode(&mut out, word);
                }
            }
            'r' => {
                let rest = words.get(next_word..).unwrap_or_default().join(" ");
                next_word = words.len();
                encode(&mut out, &rest);
            }
            't' => {
                if let Some(t) = e.time {
                    out.push_str(&t.strftime("%Y-%m-%d+%H:%M:%S").to_string());
                }
            }
            'T' => {
                if let Some(t) = e.time {
                    out.push_str(&t.as_second().to_string());
                }
            }
            'i' => encode(&mut out, &e.smsc),
            'I' => encode(&mut out, &e.id),
            'F' => encode(&mut out, &e.foreign_id),
            'd' => {
                if let Some(d) = e.dlr {
                    out.push_str(&d.to_string());
                }
            }
            'R' => encode(&mut out, &e.dlr_url),
            'c' => out.push_str(&e.coding.to_string()),
            'C' => encode(&mut out, &e.charset),
            'u' => encode(&mut out, &e.udh),
            'n' => encode(&mut out, &e.service),
            // Billing, account, DCS, class, MWI, meta-data, originating SMSC: smsgate has none.
            'B' | 'o' | 'O' | 'm' | 'M' | 'D' | 'f' => {}
            other => {
                out.push('%');
                out.push(other);
            }
        }
    }
    (out.len() <= MAX_EXPANDED).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Escapes {
        Escapes {
            from: "0081901234567".into(),
            to: "+819011112222".into(),
            text: "  join  news *now*  please ".into(),
            time: Some(Timestamp::from_second(1_700_000_000).unwrap()),
            smsc: "m1".into(),
            id: "msg_1".into(),
            foreign_id: "42".into(),
            dlr: Some(8),
            dlr_url: "http://a/?x=%d".into(),
            coding: 2,
            charset: "UTF-8".into(),
            udh: "050003cc0201".into(),
            service: "app".into(),
        }
    }

    #[test]
    fn expand_table() {
        let e = sample();
        let cases: &[(&str, &str, &str)] = &[
            ("plain", "http://h/x?a=1", "http://h/x?a=1"),
            (
                "numbers",
                "?f=%p&t=%P",
                "?f=0081901234567&t=%2B819011112222",
            ),
            (
                "numbers with 00 as +",
                "%q|%Q",
                "%2B81901234567|%2B819011112222",
            ),
            ("body as sent", "%b", "++join++news+*now*++please+"),
            ("all words squeezed", "%a", "join+news+*now*+please"),
            ("keyword", "%k", "join"),
            (
                "words in turn, then the rest",
                "%s,%S,%r",
                "news,~now~,please",
            ),
            ("rest with no word taken", "%r", "news+*now*+please"),
            ("words run out", "%s%s%s%s|", "news*now*please|"),
            ("time", "%t|%T", "2023-11-14+22:13:20|1700000000"),
            ("ids", "%i/%I/%F", "m1/msg_1/42"),
            ("dlr", "%d:%R", "8:http%3A%2F%2Fa%2F%3Fx%3D%25d"),
            ("message data", "%A", "++join++news+*now*++please+"),
            ("coding", "%c %C %u %n", "2 UTF-8 050003cc0201 app"),
            ("percent and unknown", "100%% %z %", "100% %z %"),
            ("unsupported are empty", "[%B%o%O%m%M%D%f]", "[]"),
            (
                "rapidsms",
                "/dlr?status=%d&smsc=%i&sms_id=%I&date_sent=%t&identity=%p",
                "/dlr?status=8&smsc=m1&sms_id=msg_1&date_sent=2023-11-14+22:13:20&identity=0081901234567",
            ),
        ];
        for (name, template, want) in cases {
            assert_eq!(expand(template, &e).as_deref(), Some(*want), "{name}");
        }
    }

    #[test]
    fn missing_values_are_empty() {
        let e = Escapes::default();
        assert_eq!(
            expand("a=%p&t=%t&T=%T&d=%d&k=%k&s=%s&r=%r", &e).as_deref(),
            Some("a=&t=&T=&d=&k=&s=&r=")
        );
    }

    #[test]
    fn japanese_text_is_utf8_encoded() {
        let e = Escapes {
            text: "停止 です".into(),
            ..Escapes::default()
        };
        assert_eq!(expand("%k", &e).as_deref(), Some("%E5%81%9C%E6%AD%A2"));
    }

    #[test]
    fn a_long_text_repeated_is_refused_not_expanded() {
        let e = Escapes {
            text: "あ".repeat(670),
            ..Escapes::default()
        };
        assert!(expand(&"%b".repeat(2), &e).is_some());
        assert_eq!(expand(&"%b".repeat(1000), &e), None);
    }
}
