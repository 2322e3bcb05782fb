//! What a contact may hold: the checks shared by the JSON API (`PUT /api/v1/contacts/{number}`)
//! and the CSV import, so a contact the one accepts the other accepts too. Each check returns
//! the cleaned value or a message for people; the caller names the field or column.

use std::collections::BTreeMap;

use crate::phone::{self, Region};
use crate::store::NewContact;

/// Longest name, in characters.
pub const MAX_NAME: usize = 200;
/// Most custom fields on one contact.
pub const MAX_FIELDS: usize = 50;
/// Longest custom field name, in characters.
pub const MAX_FIELD_NAME: usize = 64;
/// Longest custom field value, in characters.
pub const MAX_FIELD_VALUE: usize = 1000;
/// Most groups one contact belongs to.
pub const MAX_GROUPS: usize = 50;
/// Longest group name, in characters.
pub const MAX_GROUP: usize = 64;
/// Column names with a meaning of their own; no custom field may take them.
pub const RESERVED: [&str; 3] = ["number", "name", "groups"];

/// One problem, naming the field (`number`, `name`, `groups`, or the custom field's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A contact's number as messages carry it ([`phone::recipient`]): E.164 with a `region`,
/// else `+` and digits or digits alone; or a short code. Spaces, dashes, dots, parentheses and
/// full-width digits (`+81 90-1234-5678`, `(03) 1234.5678`, `０９０−１２３４−５６７８`) are
/// accepted, since spreadsheets and people write numbers that way.
pub fn number(raw: &str, region: Option<&Region>) -> Result<String, String> {
    phone::recipient(raw, region).map_err(|e| e.to_string())
}

/// Rejects control characters (`allow_newlines`: except tab, CR and LF) and text over `max`
/// characters.
fn text(value: &str, max: usize, allow_newlines: bool) -> Result<(), String> {
    let n = value.chars().count();
    if n > max {
        return Err(format!("{n} characters; at most {max} are allowed"));
    }
    let bad = value
        .chars()
        .find(|c| c.is_control() && !(allow_newlines && matches!(c, '\t' | '\r' | '\n')));
    match bad {
        Some(c) => Err(format!("contains the control character {c:?}")),
        None => Ok(()),
    }
}

/// A name: trimmed, at most [`MAX_NAME`] characters, one line.
pub fn name(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    text(v, MAX_NAME, false)?;
    Ok(v.to_owned())
}

/// A custom field's name: trimmed, 1 to [`MAX_FIELD_NAME`] characters, one line, no braces (it
/// is a template placeholder: `{company}`) and none of [`RESERVED`].
pub fn field_name(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err("a custom field needs a name".to_owned());
    }
    text(v, MAX_FIELD_NAME, false)?;
    if v.contains(['{', '}']) {
        return Err("a field name cannot contain '{' or '}'".to_owned());
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(v)) {
        return Err(format!("{v:?} is a column of its own, not a custom field"));
    }
    Ok(v.to_owned())
}

/// A custom field's value: at most [`MAX_FIELD_VALUE`] characters; line breaks allowed (an
/// address). Not trimmed: the value is what was given.
pub fn field_value(raw: &str) -> Result<String, String> {
    text(raw, MAX_FIELD_VALUE, true)?;
    Ok(raw.to_owned())
}

/// A group name: trimmed, 1 to [`MAX_GROUP`] characters, one line, without `;` or `|` (they
/// separate groups in a CSV cell).
pub fn group(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err("a group name cannot be empty".to_owned());
    }
    text(v, MAX_GROUP, false)?;
    if v.contains([';', '|']) {
        return Err(format!("{v:?}: a group name cannot contain ';' or '|'"));
    }
    Ok(v.to_owned())
}

/// The groups of a CSV cell: separated by `;` or `|`, blanks dropped.
pub fn split_groups(cell: &str) -> Vec<&str> {
    cell.split([';', '|'])
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .collect()
}

/// Checks every part of a contact; returns it cleaned, or every problem found. An empty field
/// value is no field (so a CSV's empty cell and an absent key mean the same). The number is
/// normalised in `region` ([`number`]).
pub fn contact(
    raw_number: &str,
    raw_name: &str,
    raw_fields: &BTreeMap<String, String>,
    raw_groups: &[&str],
    region: Option<&Region>,
) -> Result<NewContact, Vec<FieldError>> {
    let mut errors = Vec::new();
    let number = number(raw_number, region).unwrap_or_else(|m| {
        errors.push(FieldError::new("number", m));
        String::new()
    });
    let name = name(raw_name).unwrap_or_else(|m| {
        errors.push(FieldError::new("name", m));
        String::new()
    });
    let mut fields = BTreeMap::new();
    for (k, v) in raw_fields {
        match (field_name(k), field_value(v)) {
            (Ok(k), Ok(v)) => {
                if !v.is_empty() {
                    fields.insert(k, v);
                }
            }
            (Err(m), _) | (_, Err(m)) => errors.push(FieldError::new(k.clone(), m)),
        }
    }
    if fields.len() > MAX_FIELDS {
        errors.push(FieldError::new(
            "fields",
            format!(
                "{} custom fields; at most {MAX_FIELDS} are allowed",
                fields.len()
            ),
        ));
    }
    let mut groups = Vec::new();
    for g in raw_groups {
        match group(g) {
            Ok(g) if !groups.contains(&g) => groups.push(g),
            Ok(_) => {}
            Err(m) => errors.push(FieldError::new("groups", m)),
        }
    }
    if groups.len() > MAX_GROUPS {
        errors.push(FieldError::new(
            "groups",
            format!("{} groups; at most {MAX_GROUPS} are allowed", groups.len()),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    groups.sort();
    Ok(NewContact {
        number,
        name,
        fields,
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_table() {
        let cases: &[(&str, &str, Result<&str, ()>)] = &[
            ("international", "+819012345678", Ok("+819012345678")),
            (
                "separators dropped",
                " +81 90-1234-5678 ",
                Ok("+819012345678"),
            ),
            ("parentheses and dots", "(03) 1234.5678", Ok("0312345678")),
            ("short code", "110", Ok("110")),
            ("empty", "  ", Err(())),
            ("letters", "+81abc", Err(())),
            ("plus alone", "+", Err(())),
            ("too long", "+123456789012345678901", Err(())),
        ];
        for (name, input, want) in cases {
            assert_eq!(
                number(input, None).map_err(|_| ()),
                want.map(str::to_owned),
                "{name}"
            );
        }
    }

    #[test]
    fn field_and_group_names() {
        assert_eq!(field_name(" company ").as_deref(), Ok("company"));
        assert_eq!(field_name("会社").as_deref(), Ok("会社"));
        for bad in ["", "Name", "GROUPS", "a{b", "x\ny", &"k".repeat(65)] {
            assert!(field_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(group(" 東京 ").as_deref(), Ok("東京"));
        for bad in ["", " ", "a;b", "a|b", "tab\there", &"g".repeat(65)] {
            assert!(group(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            split_groups(" vip; tokyo|| |osaka "),
            ["vip", "tokyo", "osaka"]
        );
    }

    #[test]
    fn contact_reports_every_problem_and_cleans_the_rest() {
        let fields = BTreeMap::from([
            ("address".to_owned(), "1-2-3 Chiyoda\nTokyo".to_owned()),
            ("empty".to_owned(), String::new()),
        ]);
        let c = contact(
            "+81 90 1234 5678",
            " 田中 ",
            &fields,
            &["b", "a", "b"],
            None,
        )
        .unwrap();
        assert_eq!(c.number, "+819012345678");
        assert_eq!(c.name, "田中");
        assert_eq!(c.fields.len(), 1, "an empty value is no field");
        assert_eq!(c.groups, ["a", "b"]);

        let fields = BTreeMap::from([("name".to_owned(), "x".to_owned())]);
        let errs = contact("", &"n".repeat(201), &fields, &["a;b"], None).unwrap_err();
        let named: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["number", "name", "name", "groups"]);
    }
}
