//! Reply templates: `{name}` placeholders filled from the conversation (`{{` and `}}` for
//! literal braces), checked at load, and the SMS cost of a rendered text.

use serde::Serialize;

use crate::sms::EncodeError;
use crate::sms::segment;

/// Why a template cannot be rendered. Offsets are in bytes into the template body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{name}}} at byte {offset}")]
    Unknown { name: String, offset: usize },
    #[error("unclosed '{{' at byte {offset} (write '{{{{' for a literal brace)")]
    Unclosed { offset: usize },
    #[error("stray '}}' at byte {offset} (write '}}}}' for a literal brace)")]
    Stray { offset: usize },
}

/// A piece of a template.
enum Piece<'a> {
    Text(&'a str),
    Placeholder { name: &'a str, offset: usize },
}

/// Splits `body` into literal text and placeholders.
fn pieces(body: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let bytes = body.as_bytes();
    let (mut i, mut lit) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                out.push(Piece::Text(&body[lit..=i]));
                i += 2;
                lit = i;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                out.push(Piece::Text(&body[lit..=i]));
                i += 2;
                lit = i;
            }
            b'{' => {
                out.push(Piece::Text(&body[lit..i]));
                let close = body[i + 1..]
                    .find(['}', '{'])
                    .filter(|&n| bytes[i + 1 + n] == b'}')
                    .ok_or(TemplateError::Unclosed { offset: i })?;
                out.push(Piece::Placeholder {
                    name: &body[i + 1..i + 1 + close],
                    offset: i,
                });
                i += close + 2;
                lit = i;
            }
            b'}' => return Err(TemplateError::Stray { offset: i }),
            _ => i += 1,
        }
    }
    out.push(Piece::Text(&body[lit..]));
    Ok(out)
}

/// `body` with each `{name}` replaced by `vars(name)`; a placeholder for which `vars` has no
/// value is an error naming it and its offset.
pub fn render(body: &str, vars: &dyn Fn(&str) -> Option<String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(body.len());
    for p in pieces(body)? {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder { name, offset } => match vars(name) {
                Some(v) => out.push_str(&v),
                None => {
                    return Err(TemplateError::Unknown {
                        name: name.to_owned(),
                        offset,
                    });
                }
            },
        }
    }
    Ok(out)
}

/// Checks that `body` is well-formed and uses only `known` placeholders. A `known` entry ending
/// in `.` admits every name with that prefix (`"field."` admits `{field.city}`).
pub fn check(body: &str, known: &[&str]) -> Result<(), TemplateError> {
    for p in pieces(body)? {
        if let Piece::Placeholder { name, offset } = p {
            let ok = known.iter().any(|k| {
                if k.ends_with('.') {
                    name.len() > k.len() && name.starts_with(k)
                } else {
                    *k == name
                }
            });
            if !ok {
                return Err(TemplateError::Unknown {
                    name: name.to_owned(),
                    offset,
                });
            }
        }
    }
    Ok(())
}

/// What a text costs as an SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// Parts it is sent in (0 for an empty text).
    pub parts: usize,
    /// `gsm7` or `ucs2`.
    pub encoding: &'static str,
    /// Unicode scalar values.
    pub characters: usize,
}

/// The parts and encoding the text would be sent with (no national shift tables, as the queue
/// sends by default).
pub fn preview(text: &str) -> Preview {
    let characters = text.chars().count();
    match segment::plan(text, &segment::Options::default()) {
        Ok(plan) => Preview {
            parts: plan.parts,
            encoding: plan.alphabet.name(),
            characters,
        },
        // Only an empty text fails to plan.
        Err(_) => Preview {
            parts: 0,
            encoding: "gsm7",
            characters,
        },
    }
}

/// Why a text cannot be queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    #[error("the text is empty")]
    Empty,
    /// The codec cannot send it.
    #[error("{0}")]
    Unencodable(EncodeError),
    /// It needs more parts than the queue takes (`queue.max_parts`).
    #[error("the text needs {parts} parts in {encoding}; at most {max} are allowed")]
    TooManyParts {
        parts: usize,
        encoding: &'static str,
        max: usize,
    },
}

/// The encoding (`gsm7` or `ucs2`) and part count of `text`, or why it cannot be queued with at
/// most `max_parts` parts. Every way a text enters the queue through the API checks it here: a
/// message, a reply, each rendered campaign message.
pub fn check_cost(text: &str, max_parts: usize) -> Result<(&'static str, usize), CostError> {
    let opts = segment::Options {
        max_parts,
        ..segment::Options::default()
    };
    let plan = segment::plan(text, &opts).map_err(|e| match e {
        EncodeError::EmptyText => CostError::Empty,
        other => CostError::Unencodable(other),
    })?;
    if plan.parts > max_parts {
        return Err(CostError::TooManyParts {
            parts: plan.parts,
            encoding: plan.alphabet.name(),
            max: max_parts,
        });
    }
    Ok((plan.alphabet.name(), plan.parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "name" => Some("Aiko".into()),
            "hours" => Some("Mon–Fri 09:00–18:00 (Asia/Tokyo)".into()),
            _ => None,
        }
    }

    #[test]
    fn render_table() {
        // (name, body, result or error)
        let cases: &[(&str, &str, Result<&str, TemplateError>)] = &[
            ("plain", "Thanks!", Ok("Thanks!")),
            ("one placeholder", "Hi {name}.", Ok("Hi Aiko.")),
            (
                "two placeholders",
                "{name}: we answer {hours}",
                Ok("Aiko: we answer Mon–Fri 09:00–18:00 (Asia/Tokyo)"),
            ),
            ("escaped braces", "{{name}} is {name}", Ok("{name} is Aiko")),
            (
                "japanese around",
                "{name}様、ありがとうございます",
                Ok("Aiko様、ありがとうございます"),
            ),
            ("empty", "", Ok("")),
            (
                "unknown",
                "Hi {nmae}",
                Err(TemplateError::Unknown {
                    name: "nmae".into(),
                    offset: 3,
                }),
            ),
            (
                "empty placeholder",
                "a{}",
                Err(TemplateError::Unknown {
                    name: "".into(),
                    offset: 1,
                }),
            ),
            (
                "unclosed",
                "Hi {name",
                Err(TemplateError::Unclosed { offset: 3 }),
            ),
            (
                "nested open",
                "Hi {na{me}",
                Err(TemplateError::Unclosed { offset: 3 }),
            ),
            (
                "stray close",
                "Hi name}",
                Err(TemplateError::Stray { offset: 7 }),
            ),
            (
                "offset counts bytes",
                "様{x}",
                Err(TemplateError::Unknown {
                    name: "x".into(),
                    offset: 3,
                }),
            ),
        ];
        for (name, body, want) in cases {
            let want = want.clone().map(str::to_owned);
            assert_eq!(render(body, &vars), want, "{name}");
        }
    }

    #[test]
    fn check_table() {
        let known = ["name", "hours", "field."];
        // (name, body, ok)
        let cases = [
            ("known", "Hi {name}, {hours}", true),
            ("prefix", "Your city: {field.city}", true),
            ("bare prefix is not a name", "{field.}", false),
            ("unknown", "{price}", false),
            ("malformed", "{name", false),
        ];
        for (name, body, ok) in cases {
            assert_eq!(check(body, &known).is_ok(), ok, "{name}");
        }
    }

    #[test]
    fn preview_table() {
        // (name, text, parts, encoding, characters)
        let long = "a".repeat(161);
        let cases: Vec<(&str, &str, usize, &str, usize)> = vec![
            ("short ascii", "Thanks", 1, "gsm7", 6),
            ("japanese", "ありがとう", 1, "ucs2", 5),
            ("two gsm parts", &long, 2, "gsm7", 161),
            ("empty", "", 0, "gsm7", 0),
        ];
        for (name, text, parts, encoding, characters) in cases {
            let p = preview(text);
            assert_eq!(
                (p.parts, p.encoding, p.characters),
                (parts, encoding, characters),
                "{name}"
            );
        }
    }
}
