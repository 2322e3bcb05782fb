//! What README.md shows must be what the program prints: every `console`
//! block's `$ smsgate ...` line is run and its output compared.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

/// Splits a command line on spaces, honouring double quotes.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[test]
fn readme_console_examples_match_the_program() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut checked = 0;
    let mut in_console = false;
    let mut lines = readme.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("```console") {
            in_console = true;
            continue;
        }
        if line.trim_start().starts_with("```") {
            in_console = false;
            continue;
        }
        let Some(cmd) = line
            .trim_start()
            .strip_prefix("$ smsgate ")
            .filter(|_| in_console)
        else {
            continue;
        };
        let mut expected = Vec::new();
        while let Some(next) = lines.peek() {
            if next.trim_start().starts_with("$ ") || next.trim_start().starts_with("```") {
                break;
            }
            expected.push(next.trim_start().to_owned());
            lines.next();
        }
        let out = common::smsgate().args(words(cmd)).output().unwrap();
        let mut printed = String::from_utf8_lossy(&out.stdout).into_owned();
        printed.push_str(&String::from_utf8_lossy(&out.stderr));
        let printed: Vec<&str> = printed.lines().collect();
        assert_eq!(printed, expected, "README example `smsgate {cmd}`");
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} README examples found");
}
