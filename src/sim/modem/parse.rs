//! The AT command-line parser: what follows `AT` on a line, split into
//! commands.
//!
//! One command line may carry several commands (27.007 §4.1): basic ones
//! (`E0`, `V1`, `&F`, `S0=1`) follow each other with no separator, extended
//! ones (`+CMGS=…`, `^CURC?`) end at a `;` outside quotes. Each extended
//! command comes in one of four forms: execute (`+CGMI`), read (`+CPIN?`),
//! test (`+CMEE=?`) and set (`+CMEE=1`). The parser never fails: what it
//! cannot read becomes a command no table knows, which the dispatcher
//! answers with `ERROR` as a modem would.

/// The form of one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `E1`, `Z`, `&F`.
    Basic,
    /// `+CGMI`.
    Exec,
    /// `+CPIN?`.
    Read,
    /// `+CMEE=?`.
    Test,
    /// `+CMEE=1`.
    Set,
}

/// One command of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cmd {
    /// Upper case: `E`, `&F`, `S`, `+CMGS`, `^CURC`.
    pub(super) name: String,
    pub(super) kind: Kind,
    /// Arguments with quotes removed, trimmed; for basic commands the number.
    pub(super) args: Vec<String>,
}

impl Cmd {
    pub(super) fn int(&self, i: usize) -> Option<i64> {
        self.args.get(i).and_then(|a| a.parse().ok())
    }

    pub(super) fn str(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(String::as_str)
    }
}

/// Splits the first command off a command line body (after `AT`).
pub(super) fn split_command(s: &str) -> (Cmd, &str) {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return (cmd(String::new(), Kind::Basic, Vec::new()), "");
    };
    if !first.is_ascii() || (first == b'&' && b.get(1).is_some_and(|c| !c.is_ascii())) {
        // Not a command character: the rest of the line is unknown.
        return (cmd("?".into(), Kind::Basic, Vec::new()), "");
    }
    if matches!(first, b'+' | b'^' | b'$' | b'#' | b'%' | b'*') {
        let mut i = 1;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        let name = s[..i].to_ascii_uppercase();
        let rest = &s[i..];
        if let Some(r) = rest.strip_prefix("=?") {
            return (cmd(name, Kind::Test, Vec::new()), r);
        }
        if let Some(r) = rest.strip_prefix('?') {
            return (cmd(name, Kind::Read, Vec::new()), r);
        }
        if let Some(r) = rest.strip_prefix('=') {
            let (args, r) = split_args(r);
            return (cmd(name, Kind::Set, args), r);
        }
        return (cmd(name, Kind::Exec, Vec::new()), rest);
    }
    // Basic: a letter or &letter, then digits; S-registers take =n or ?.
    let mut i = if first == b'&' && b.len() > 1 { 2 } else { 1 };
    let name_end = i.min(b.len());
    let name = s[..name_end].to_ascii_uppercase();
    if name == "S" {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let reg = s[1..i].to_string();
        let rest = &s[i..];
        if let Some(r) = rest.strip_prefix('?') {
            return (cmd(name, Kind::Read, vec![reg]), r);
        }
        if let Some(r) = rest.strip_prefix('=') {
            let end = r.bytes().take_while(u8::is_ascii_digit).count();
            return (cmd(name, Kind::Set, vec![reg, r[..end].into()]), &r[end..]);
        }
        return (cmd(name, Kind::Exec, vec![reg]), rest);
    }
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let args = if i > start {
        vec![s[start..i].to_string()]
    } else {
        Vec::new()
    };
    (cmd(name, Kind::Basic, args), &s[i..])
}

fn cmd(name: String, kind: Kind, args: Vec<String>) -> Cmd {
    Cmd { name, kind, args }
}

/// Comma-separated arguments up to an unquoted `;`.
fn split_args(s: &str) -> (Vec<String>, &str) {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => args.push(std::mem::take(&mut cur).trim().to_string()),
            ';' if !quoted => {
                end = i;
                break;
            }
            _ => cur.push(c),
        }
    }
    args.push(cur.trim().to_string());
    let rest = if end < s.len() { &s[end + 1..] } else { "" };
    (args, rest)
}
