//! Contacts as CSV: the pure parser of an import and the writer of an export (no I/O).
//!
//! The format, both ways: UTF-8, a header row, then one contact per row. Columns `number`
//! (required), `name`, `groups` (separated by `;` or `|`) in any order and case; every other
//! column is a custom field named by its header. An empty cell is no field. A UTF-8 byte order
//! mark at the start is skipped (spreadsheets write one); rows whose cells are all empty are
//! skipped (spreadsheets write those too). The export writes `number,name,groups`, then the
//! union of the custom field names, sorted; it reads back as the same contacts.
//!
//! Problems are reported per row as a spreadsheet numbers them: the header is line 1, and a
//! cell holding a line break does not shift the lines after it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use super::contact_input::{self, FieldError};
use crate::phone::Region;
use crate::store::{Contact, NewContact};

/// Most data rows one import may hold.
pub const MAX_ROWS: usize = 50_000;

/// One problem in a CSV file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LineError {
    /// The row as a spreadsheet shows it: the header is line 1.
    pub line: u64,
    /// The column's header, when the problem is in one cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// For people.
    pub message: String,
}

impl LineError {
    fn new(line: u64, column: Option<&str>, message: impl Into<String>) -> LineError {
        LineError {
            line,
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// Why a file cannot be imported at all (whatever the mode).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// Nothing but perhaps a byte order mark and blank lines.
    #[error("the file is empty: a header row naming at least the number column is required")]
    Empty,
    /// The header row is unusable; every problem with it.
    #[error("the header row is invalid")]
    Header(Vec<LineError>),
    /// More than [`MAX_ROWS`] data rows.
    #[error("more than {MAX_ROWS} rows; split the file")]
    TooManyRows,
}

impl CsvError {
    /// The per-line problems to report with it.
    pub fn errors(&self) -> Vec<LineError> {
        match self {
            CsvError::Empty => vec![LineError::new(1, None, self.to_string())],
            CsvError::Header(errors) => errors.clone(),
            CsvError::TooManyRows => Vec::new(),
        }
    }
}

/// A parsed file: the valid rows and a problem list for the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Valid rows in file order, each with its line.
    pub rows: Vec<(u64, NewContact)>,
    /// Every problem, in file order (a row may have several).
    pub errors: Vec<LineError>,
}

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Number,
    Name,
    Groups,
    Field(String),
}

/// The header's columns, or every problem with it.
fn columns(header: &csv::ByteRecord) -> Result<Vec<Column>, CsvError> {
    let mut cols = Vec::with_capacity(header.len());
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, raw) in header.iter().enumerate() {
        let Ok(text) = std::str::from_utf8(raw) else {
            errors.push(LineError::new(
                1,
                None,
                format!("column {} is not UTF-8 (save the file as UTF-8)", i + 1),
            ));
            continue;
        };
        let label = text.trim();
        let col = match label.to_ascii_lowercase().as_str() {
            "number" => Column::Number,
            "name" => Column::Name,
            "groups" => Column::Groups,
            _ => match contact_input::field_name(label) {
                Ok(k) => Column::Field(k),
                Err(m) => {
                    errors.push(LineError::new(
                        1,
                        Some(label),
                        format!("column {}: {m}", i + 1),
                    ));
                    continue;
                }
            },
        };
        let key = match &col {
            Column::Field(k) => k.clone(),
            _ => label.to_ascii_lowercase(),
        };
        if !seen.insert(key) {
            errors.push(LineError::new(1, Some(label), "this column appears twice"));
        }
        cols.push(col);
    }
    if errors.is_empty() && !cols.contains(&Column::Number) {
        errors.push(LineError::new(1, None, "no number column"));
    }
    if errors.is_empty() {
        Ok(cols)
    } else {
        Err(CsvError::Header(errors))
    }
}

/// The header label of each column, for naming it in a problem.
fn label(col: &Column) -> &str {
    match col {
        Column::Number => "number",
        Column::Name => "name",
        Column::Groups => "groups",
        Column::Field(k) => k,
    }
}

/// Parses an import file into its valid rows and the problems of the others.
///
/// Each row is checked like a contact written through the API ([`contact_input::contact`]),
/// plus: its cell count must match the header's, its cells must be UTF-8, and its number must
/// not be on an earlier row. Stops early only for what makes the whole file unusable
/// ([`CsvError`]). Numbers are normalised in `region` (so `090-1234-5678` and
/// `+81 90 1234 5678` on two rows are the same number, on an earlier row).
pub fn parse(input: &[u8], region: Option<&Region>) -> Result<Parsed, CsvError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    // Line breaks inside quoted cells read so far: the reader's line numbers count them, a
    // spreadsheet's rows do not.
    let mut embedded: u64 = 0;

    let header = loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Err(CsvError::Empty),
            Ok(true) => {
                spreadsheet_line(input, &record, &mut embedded);
                if !blank(&record) {
                    break columns(&record)?;
                }
            }
            Err(e) => {
                return Err(CsvError::Header(vec![LineError::new(
                    1,
                    None,
                    e.to_string(),
                )]));
            }
        }
    };

    let mut parsed = Parsed::default();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut data_rows = 0usize;
    loop {
        let line = match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => spreadsheet_line(input, &record, &mut embedded),
            Err(e) => {
                // The reader cannot go on past what it could not read.
                let line = e
                    .position()
                    .map_or(0, |p| p.line().saturating_sub(embedded));
                parsed
                    .errors
                    .push(LineError::new(line, None, e.to_string()));
                break;
            }
        };
        if blank(&record) {
            continue;
        }
        data_rows += 1;
        if data_rows > MAX_ROWS {
            return Err(CsvError::TooManyRows);
        }
        match row(&header, &record, line, region) {
            Ok(contact) => match first_line.get(&contact.number) {
                Some(first) => parsed.errors.push(LineError::new(
                    line,
                    Some("number"),
                    format!("{} is already on line {first}", contact.number),
                )),
                None => {
                    first_line.insert(contact.number.clone(), line);
                    parsed.rows.push((line, contact));
                }
            },
            Err(errors) => parsed.errors.extend(errors),
        }
    }
    Ok(parsed)
}

/// The spreadsheet row of a record just read from `input`; adds its cells' line breaks to
/// `embedded`.
fn spreadsheet_line(input: &[u8], record: &csv::ByteRecord, embedded: &mut u64) -> u64 {
    let Some(pos) = record.position() else {
        return 0;
    };
    // The reader positions a record before the blank lines it skipped to reach it.
    let skipped = input
        .get(usize::try_from(pos.byte()).unwrap_or(usize::MAX)..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|b| **b == b'\n')
        .count() as u64;
    let physical = pos.line() + skipped;
    let line = physical.saturating_sub(*embedded);
    *embedded += record
        .iter()
        .map(|cell| cell.iter().filter(|b| **b == b'\n').count() as u64)
        .sum::<u64>();
    line
}

/// Whether every cell of a row is empty or blank.
fn blank(record: &csv::ByteRecord) -> bool {
    record.iter().all(|c| c.trim_ascii().is_empty())
}

/// One data row as a contact, or its problems.
fn row(
    header: &[Column],
    record: &csv::ByteRecord,
    line: u64,
    region: Option<&Region>,
) -> Result<NewContact, Vec<LineError>> {
    if record.len() != header.len() {
        return Err(vec![LineError::new(
            line,
            None,
            format!("{} cells; the header has {}", record.len(), header.len()),
        )]);
    }
    let mut errors = Vec::new();
    let (mut number, mut name, mut groups) = ("", "", "");
    let mut fields = BTreeMap::new();
    for (col, raw) in header.iter().zip(record.iter()) {
        let Ok(cell) = std::str::from_utf8(raw) else {
            errors.push(LineError::new(
                line,
                Some(label(col)),
                "not UTF-8 (save the file as UTF-8)",
            ));
            continue;
        };
        match col {
            Column::Number => number = cell,
            Column::Name => name = cell,
            Column::Groups => groups = cell,
            Column::Field(k) => {
                fields.insert(k.clone(), cell.to_owned());
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let groups = contact_input::split_groups(groups);
    contact_input::contact(number, name, &fields, &groups, region).map_err(|errs| {
        errs.into_iter()
            .map(|FieldError { field, message }| LineError::new(line, Some(&field), message))
            .collect()
    })
}

/// Writes contacts as CSV (with a byte order mark first when `bom`: Excel needs it to read
/// UTF-8). Cells are quoted where needed (commas, quotes, line breaks).
pub fn write(contacts: &[Contact], bom: bool) -> Result<Vec<u8>, csv::Error> {
    let keys: BTreeSet<&str> = contacts
        .iter()
        .flat_map(|c| c.fields.keys().map(String::as_str))
        .collect();
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["number", "name", "groups"];
    header.extend(keys.iter().copied());
    w.write_record(&header)?;
    for c in contacts {
        let groups = c.groups.join(";");
        let mut rec: Vec<&str> = vec![&c.number, &c.name, &groups];
        rec.extend(
            keys.iter()
                .map(|k| c.fields.get(*k).map_or("", String::as_str)),
        );
        w.write_record(&rec)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(p: &Parsed) -> Vec<(u64, &str)> {
        p.rows
            .iter()
            .map(|(l, c)| (*l, c.number.as_str()))
            .collect()
    }

    #[test]
    fn lines_are_spreadsheet_rows() {
        let file = "number,note\n\
                    +811,\"two\nlines\"\n\
                    \n\
                    +81x,bad\n\
                    +813,\"a\nb\nc\"\n\
                    +814,ok\n";
        let p = parse(file.as_bytes(), None).unwrap();
        // The blank line is a row of its own in a spreadsheet; the line breaks in cells are not.
        assert_eq!(numbers(&p), [(2, "+811"), (5, "+813"), (6, "+814")]);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(
            (p.errors[0].line, p.errors[0].column.as_deref()),
            (4, Some("number"))
        );
    }

    #[test]
    fn header_problems() {
        let cases: &[(&str, &str, CsvError)] = &[
            ("empty", "", CsvError::Empty),
            ("bom and blank lines", "\u{feff}\n\n", CsvError::Empty),
            (
                "no number column",
                "name,phone\nTaro,+811\n",
                CsvError::Header(vec![LineError::new(1, None, "no number column")]),
            ),
            (
                "twice",
                "number,Number\n",
                CsvError::Header(vec![LineError::new(
                    1,
                    Some("Number"),
                    "this column appears twice",
                )]),
            ),
        ];
        for (name, file, want) in cases {
            assert_eq!(parse(file.as_bytes(), None).unwrap_err(), *want, "{name}");
        }
        let Err(CsvError::Header(errs)) = parse(b"number,,a{b\n", None) else {
            panic!("an empty and a braced column name are header errors");
        };
        assert_eq!(errs.len(), 2);
    }

    #[test]
    fn too_many_rows() {
        let mut file = String::from("number\n");
        for i in 0..=MAX_ROWS {
            file.push_str(&format!("+81{i:09}\n"));
        }
        assert_eq!(parse(file.as_bytes(), None), Err(CsvError::TooManyRows));
    }

    #[test]
    fn bad_utf8_names_its_column() {
        let p = parse(b"number,name\n+811,\xff\xfe\n", None).unwrap();
        assert!(p.rows.is_empty());
        assert_eq!(
            (p.errors[0].line, p.errors[0].column.as_deref()),
            (2, Some("name"))
        );
    }

    #[test]
    fn write_then_parse_is_the_same_contacts() {
        let ts = jiff::Timestamp::UNIX_EPOCH;
        let contact = |n: &str, name: &str, f: &[(&str, &str)], g: &[&str]| Contact {
            id: 0,
            number: n.into(),
            name: name.into(),
            fields: f.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
            groups: g.iter().map(|s| (*s).into()).collect(),
            created_at: ts,
            updated_at: ts,
        };
        let contacts = vec![
            contact(
                "+811",
                "Doe, \"JD\" John",
                &[("address", "1 Main St\nSpringfield")],
                &["a", "b"],
            ),
            contact("+812", "山田 花子", &[("会社", "株式会社テスト")], &[]),
            contact("0312345678", "", &[], &["東京"]),
        ];
        for bom in [false, true] {
            let bytes = write(&contacts, bom).unwrap();
            let p = parse(&bytes, None).unwrap();
            assert!(p.errors.is_empty(), "{:?}", p.errors);
            let back: Vec<_> = p.rows.into_iter().map(|(_, c)| c).collect();
            let want: Vec<_> = contacts
                .iter()
                .map(|c| NewContact {
                    number: c.number.clone(),
                    name: c.name.clone(),
                    fields: c.fields.clone(),
                    groups: c.groups.clone(),
                })
                .collect();
            assert_eq!(back, want, "bom {bom}");
        }
    }
}
