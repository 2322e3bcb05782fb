//! Integration tests for `smsgate pdu decode` and `smsgate pdu encode`, run
//! against the real binary.
//!
//! The decode vectors live in `tests/fixtures/pdu/corpus.json`; its format,
//! the provenance of every vector and the conventions behind the expected
//! values are described in `tests/fixtures/README.md`.
//!
//! Behaviour pinned down here beyond the bare contract (also in the README):
//! - stdin mode (`-` or no HEX argument) prints exactly one JSON object per
//!   input line, in input order; a line that fails to decode gives an object
//!   with a non-empty string `error` and the remaining lines are still
//!   decoded. The exit status is 0 when every line decoded and non-zero when
//!   at least one line produced an `error` object, so scripts can notice
//!   partial failure without parsing the output.
//! - `pdu encode` uses 8-bit concatenation references unless `--ref16` is
//!   given, and a single-part message carries no concatenation IE.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Output, Stdio};

use serde_json::{Map, Value};

const BIN: &str = env!("CARGO_BIN_EXE_smsgate");

// ---------------------------------------------------------------------------
// Fixture loading

#[derive(Debug, Clone)]
struct Vector {
    name: String,
    source: String,
    pdu: String,
    no_smsc: bool,
    expect: Option<Map<String, Value>>,
    error_kind: Option<String>,
}

impl Vector {
    fn describe(&self) -> String {
        format!(
            "{}\n    source: {}\n    pdu: {}{}",
            self.name,
            self.source,
            self.pdu,
            if self.no_smsc { " (--no-smsc)" } else { "" }
        )
    }
}

fn corpus_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pdu/corpus.json")
}

fn corpus() -> Vec<Vector> {
    let path = corpus_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let items: Vec<Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a JSON array: {e}", path.display()));
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let obj = item
                .as_object()
                .unwrap_or_else(|| panic!("corpus entry #{i} is not an object"));
            let string = |key: &str| -> String {
                obj.get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("corpus entry #{i} has no string `{key}`"))
                    .to_owned()
            };
            Vector {
                name: string("name"),
                source: string("source"),
                pdu: string("pdu"),
                no_smsc: obj
                    .get("no_smsc")
                    .map(|v| {
                        v.as_bool()
                            .unwrap_or_else(|| panic!("corpus entry #{i}: `no_smsc` not a bool"))
                    })
                    .unwrap_or(false),
                expect: obj.get("expect").map(|v| {
                    v.as_object()
                        .unwrap_or_else(|| panic!("corpus entry #{i}: `expect` not an object"))
                        .clone()
                }),
                error_kind: obj.get("error_kind").map(|v| {
                    v.as_str()
                        .unwrap_or_else(|| panic!("corpus entry #{i}: `error_kind` not a string"))
                        .to_owned()
                }),
            }
        })
        .collect()
}

fn valid_vectors() -> Vec<Vector> {
    corpus()
        .into_iter()
        .filter(|v| v.expect.is_some())
        .collect()
}

fn invalid_vectors() -> Vec<Vector> {
    corpus()
        .into_iter()
        .filter(|v| v.error_kind.is_some())
        .collect()
}

// ---------------------------------------------------------------------------
// Running the binary

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = common::smsgate();
    cmd.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {BIN} {args:?}: {e}"));
    // Feed stdin from a thread so a child that writes while it reads cannot
    // deadlock against us on full pipes.
    let writer = stdin.map(|input| {
        let mut pipe = child.stdin.take().expect("stdin was piped");
        let input = input.to_owned();
        std::thread::spawn(move || {
            // The child may legitimately stop reading early; ignore EPIPE.
            let _ = pipe.write_all(input.as_bytes());
        })
    });
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for {BIN} {args:?}: {e}"));
    if let Some(w) = writer {
        w.join().expect("stdin writer thread panicked");
    }
    out
}

fn decode_args(pdu: &str, no_smsc: bool) -> Vec<&str> {
    let mut args = vec!["pdu", "decode", pdu];
    if no_smsc {
        args.push("--no-smsc");
    }
    args
}

fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Output lines without the line terminators (accepts `\n` and `\r\n`).
fn output_lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

fn parse_object(line: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(format!("output line is JSON but not an object: {other}")),
        Err(e) => Err(format!("output line is not JSON ({e}): {line:?}")),
    }
}

/// A successful single-PDU decode: exit 0 and exactly one JSON object on stdout.
fn decoded_object(out: &Output) -> Result<Map<String, Value>, String> {
    if !out.status.success() {
        return Err(format!(
            "exited with {}; stderr: {:?}",
            out.status,
            stderr_of(out).trim_end()
        ));
    }
    let stdout = stdout_of(out);
    let lines = output_lines(&stdout);
    if lines.len() != 1 {
        return Err(format!(
            "expected exactly one JSON line on stdout, got {}: {stdout:?}",
            lines.len()
        ));
    }
    parse_object(lines[0])
}

fn decode_one(pdu: &str, no_smsc: bool) -> Result<Map<String, Value>, String> {
    decoded_object(&run(&decode_args(pdu, no_smsc), None))
}

/// Compares every field of `expect` with `actual`; `data_hex` ignores case.
fn mismatches(expect: &Map<String, Value>, actual: &Map<String, Value>) -> Vec<String> {
    let mut diffs = Vec::new();
    for (key, want) in expect {
        match actual.get(key) {
            None => diffs.push(format!("field `{key}` missing (expected {want})")),
            Some(got) => {
                let equal = match (key.as_str(), want, got) {
                    ("data_hex", Value::String(w), Value::String(g)) => w.eq_ignore_ascii_case(g),
                    _ => want == got,
                };
                if !equal {
                    diffs.push(format!("field `{key}`: expected {want}, got {got}"));
                }
            }
        }
    }
    diffs
}

fn check_against_expect(
    expect: &Map<String, Value>,
    actual: Result<Map<String, Value>, String>,
) -> Result<(), String> {
    let actual = actual?;
    let diffs = mismatches(expect, &actual);
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n    full output: {}",
            diffs.join("\n    "),
            Value::Object(actual)
        ))
    }
}

/// A rejected input: non-zero exit and exactly one non-empty line on stderr.
fn check_rejected(out: &Output) -> Result<(), String> {
    if out.status.success() {
        return Err(format!(
            "exited 0 (expected a failure); stdout: {:?}",
            stdout_of(out)
        ));
    }
    let stderr = stderr_of(out);
    let lines = output_lines(&stderr);
    match lines.as_slice() {
        [line] if !line.trim().is_empty() => Ok(()),
        [] | [_] => Err("stderr is empty (expected a one-line error)".to_owned()),
        _ => Err(format!(
            "stderr has {} lines (expected one): {stderr:?}",
            lines.len()
        )),
    }
}

fn report(what: &str, total: usize, failures: &[String]) {
    assert!(total > 0, "{what}: no cases were run");
    assert!(
        failures.is_empty(),
        "{what}: {} failure(s) over {total} case(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn hex_bytes(hex: &str) -> Result<Vec<u8>, String> {
    if !hex.len().is_multiple_of(2) {
        return Err(format!("odd-length hex {hex:?}"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("not hex: {hex:?}"))
        })
        .collect()
}

/// Length in octets of the SMSC prefix of a PDU-mode hex string.
fn smsc_prefix_len(pdu: &str) -> usize {
    1 + usize::from(hex_bytes(&pdu[..2]).expect("hex")[0])
}

// ---------------------------------------------------------------------------
// The fixture file itself

#[test]
fn corpus_is_well_formed() {
    let vectors = corpus();
    let mut names = BTreeSet::new();
    let mut problems = Vec::new();
    for v in &vectors {
        if !names.insert(v.name.clone()) {
            problems.push(format!("{}: duplicate name", v.name));
        }
        if v.source.trim().is_empty() {
            problems.push(format!("{}: empty source", v.name));
        }
        match (&v.expect, &v.error_kind) {
            (Some(expect), None) => {
                let ty = expect.get("type").and_then(Value::as_str);
                let address = match ty {
                    Some("deliver") => "from",
                    Some("submit") | Some("status_report") => "to",
                    other => {
                        problems.push(format!("{}: bad expect.type {other:?}", v.name));
                        continue;
                    }
                };
                for key in ["smsc", address] {
                    if !expect.contains_key(key) {
                        problems.push(format!("{}: expect lacks `{key}`", v.name));
                    }
                }
                if let Err(e) = hex_bytes(&v.pdu) {
                    problems.push(format!("{}: valid vector with bad hex: {e}", v.name));
                }
            }
            (None, Some(_)) => {}
            _ => problems.push(format!(
                "{}: needs exactly one of `expect` and `error_kind`",
                v.name
            )),
        }
    }
    assert!(
        vectors.len() >= 100,
        "corpus unexpectedly small: {}",
        vectors.len()
    );
    assert!(
        problems.is_empty(),
        "corpus problems:\n{}",
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------
// decode: one PDU as an argument

#[test]
fn decode_every_valid_vector_gives_the_expected_fields() {
    let vectors = valid_vectors();
    let mut failures = Vec::new();
    for v in &vectors {
        let expect = v.expect.as_ref().expect("valid vector");
        if let Err(e) = check_against_expect(expect, decode_one(&v.pdu, v.no_smsc)) {
            failures.push(format!("{}\n    {e}", v.describe()));
        }
    }
    report("decode valid vectors", vectors.len(), &failures);
}

#[test]
fn decode_every_invalid_vector_fails_with_a_one_line_error() {
    let vectors = invalid_vectors();
    let mut failures = Vec::new();
    for v in &vectors {
        let out = run(&decode_args(&v.pdu, v.no_smsc), None);
        if let Err(e) = check_rejected(&out) {
            failures.push(format!(
                "{} [{}]\n    {e}",
                v.describe(),
                v.error_kind.as_deref().unwrap_or("")
            ));
        }
    }
    report("decode invalid vectors", vectors.len(), &failures);
}

#[test]
fn decode_accepts_uppercase_and_lowercase_hex() {
    let vectors = valid_vectors();
    let mut failures = Vec::new();
    for v in &vectors {
        let expect = v.expect.as_ref().expect("valid vector");
        for (case, hex) in [
            ("uppercase", v.pdu.to_ascii_uppercase()),
            ("lowercase", v.pdu.to_ascii_lowercase()),
        ] {
            if let Err(e) = check_against_expect(expect, decode_one(&hex, v.no_smsc)) {
                failures.push(format!("{} ({case} hex)\n    {e}", v.describe()));
            }
        }
    }
    report("decode upper/lowercase hex", vectors.len() * 2, &failures);
}

#[test]
fn decode_no_smsc_reads_the_same_tpdu_without_its_prefix() {
    // Every vector that carries an SMSC prefix, with the prefix cut off and
    // `--no-smsc` given, must decode to the same fields except `smsc: null`.
    let vectors: Vec<Vector> = valid_vectors().into_iter().filter(|v| !v.no_smsc).collect();
    let mut failures = Vec::new();
    for v in &vectors {
        let mut expect = v.expect.clone().expect("valid vector");
        expect.insert("smsc".to_owned(), Value::Null);
        let tpdu = &v.pdu[2 * smsc_prefix_len(&v.pdu)..];
        if let Err(e) = check_against_expect(&expect, decode_one(tpdu, true)) {
            failures.push(format!(
                "{} (SMSC prefix removed: {tpdu})\n    {e}",
                v.describe()
            ));
        }
    }
    report("decode --no-smsc", vectors.len(), &failures);
}

// ---------------------------------------------------------------------------
// decode: stdin mode

/// Decodes `pdus` as stdin lines and checks one object per line against the
/// vectors; returns the process output for further checks.
fn check_stdin_batch(
    args: &[&str],
    vectors: &[&Vector],
    pdus: &[String],
    failures: &mut Vec<String>,
) -> Output {
    let input: String = pdus.iter().map(|p| format!("{p}\n")).collect();
    let out = run(args, Some(&input));
    let stdout = stdout_of(&out);
    let lines = output_lines(&stdout);
    if lines.len() != pdus.len() {
        failures.push(format!(
            "{args:?}: {} input lines but {} output lines; stderr: {:?}",
            pdus.len(),
            lines.len(),
            stderr_of(&out).trim_end()
        ));
    }
    for ((v, pdu), line) in vectors.iter().zip(pdus).zip(&lines) {
        let result = parse_object(line).and_then(|obj| match (&v.expect, &v.error_kind) {
            (Some(expect), _) => check_against_expect(expect, Ok(obj)),
            (None, _) => match obj.get("error") {
                Some(Value::String(msg)) if !msg.trim().is_empty() => Ok(()),
                _ => Err(format!(
                    "expected an object with a non-empty string `error`, got {}",
                    Value::Object(obj)
                )),
            },
        });
        if let Err(e) = result {
            failures.push(format!(
                "{} (stdin line {pdu}, args {args:?})\n    {e}",
                v.name
            ));
        }
    }
    out
}

#[test]
fn decode_stdin_mode_gives_one_object_per_line_for_the_whole_corpus() {
    let vectors = corpus();
    let mut failures = Vec::new();
    for no_smsc in [false, true] {
        let batch: Vec<&Vector> = vectors.iter().filter(|v| v.no_smsc == no_smsc).collect();
        let pdus: Vec<String> = batch.iter().map(|v| v.pdu.clone()).collect();
        let mut args = vec!["pdu", "decode", "-"];
        if no_smsc {
            args.push("--no-smsc");
        }
        let out = check_stdin_batch(&args, &batch, &pdus, &mut failures);
        let any_invalid = batch.iter().any(|v| v.error_kind.is_some());
        if any_invalid && out.status.success() {
            failures.push(format!(
                "{args:?}: the batch has bad lines but the exit status is 0"
            ));
        }
    }
    report("decode stdin over the corpus", vectors.len(), &failures);
}

#[test]
fn decode_stdin_reports_bad_lines_inline_and_goes_on() {
    let all = corpus();
    let by_name = |name: &str| -> Vector {
        all.iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("fixture {name} not found"))
            .clone()
    };
    let lines: Vec<(Vector, String)> = vec![
        (by_name("mm-pdu3"), by_name("mm-pdu3").pdu),
        (by_name("warthog-pdumode-nothex"), "nothex".to_owned()),
        // Lowercase in the middle of a batch.
        (
            by_name("gsmmodem-deliver-easy"),
            by_name("gsmmodem-deliver-easy").pdu.to_ascii_lowercase(),
        ),
        (
            by_name("mm-pdu-insufficient-data"),
            by_name("mm-pdu-insufficient-data").pdu,
        ),
        (
            by_name("gammu-at-sms-failing-39"),
            by_name("gammu-at-sms-failing-39").pdu,
        ),
        (
            by_name("chan-dongle-issue8-emoji"),
            by_name("chan-dongle-issue8-emoji").pdu,
        ),
    ];
    let vectors: Vec<&Vector> = lines.iter().map(|(v, _)| v).collect();
    let pdus: Vec<String> = lines.iter().map(|(_, p)| p.clone()).collect();
    let mut failures = Vec::new();
    for args in [vec!["pdu", "decode"], vec!["pdu", "decode", "-"]] {
        let out = check_stdin_batch(&args, &vectors, &pdus, &mut failures);
        if out.status.success() {
            failures.push(format!(
                "{args:?}: exit status 0 although 3 of 6 lines failed (expected non-zero)"
            ));
        }
    }
    report("decode stdin with bad lines", 2, &failures);
}

#[test]
fn decode_stdin_with_only_good_lines_exits_zero() {
    let all = valid_vectors();
    let batch: Vec<&Vector> = all.iter().filter(|v| !v.no_smsc).take(10).collect();
    let pdus: Vec<String> = batch.iter().map(|v| v.pdu.clone()).collect();
    let mut failures = Vec::new();
    for args in [vec!["pdu", "decode"], vec!["pdu", "decode", "-"]] {
        let out = check_stdin_batch(&args, &batch, &pdus, &mut failures);
        if !out.status.success() {
            failures.push(format!(
                "{args:?}: exited with {} although every line decoded; stderr: {:?}",
                out.status,
                stderr_of(&out).trim_end()
            ));
        }
    }
    report("decode stdin, all good", 2, &failures);
}

// ---------------------------------------------------------------------------
// encode

#[derive(Debug, Clone)]
struct EncodeCase {
    name: &'static str,
    to: &'static str,
    smsc: Option<&'static str>,
    status_report: bool,
    class: Option<u8>,
    ref16: bool,
    text: String,
    /// Exact number of parts, when the case pins it down.
    parts: Option<usize>,
    encoding: &'static str,
}

impl EncodeCase {
    fn new(name: &'static str, text: impl Into<String>, encoding: &'static str) -> Self {
        EncodeCase {
            name,
            to: "+491701234567",
            smsc: None,
            status_report: false,
            class: None,
            ref16: false,
            text: text.into(),
            parts: None,
            encoding,
        }
    }
    fn parts(mut self, n: usize) -> Self {
        self.parts = Some(n);
        self
    }
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "pdu".to_owned(),
            "encode".to_owned(),
            "--to".to_owned(),
            self.to.to_owned(),
        ];
        if let Some(smsc) = self.smsc {
            args.extend(["--smsc".to_owned(), smsc.to_owned()]);
        }
        if self.status_report {
            args.push("--status-report".to_owned());
        }
        if let Some(class) = self.class {
            args.extend(["--class".to_owned(), class.to_string()]);
        }
        if self.ref16 {
            args.push("--ref16".to_owned());
        }
        args.push(self.text.clone());
        args
    }
}

fn repeat_to(pattern: &str, chars: usize) -> String {
    pattern.chars().cycle().take(chars).collect()
}

fn encode_cases() -> Vec<EncodeCase> {
    let long_gsm = repeat_to("The quick brown fox jumps over the lazy dog. ", 200);
    vec![
        EncodeCase::new("gsm7-short", "Hello from smsgate", "gsm7").parts(1),
        EncodeCase {
            smsc: Some("+491710760000"),
            ..EncodeCase::new("gsm7-with-smsc", "Hello via an explicit SMSC", "gsm7").parts(1)
        },
        EncodeCase {
            status_report: true,
            ..EncodeCase::new("status-report-requested", "Please confirm", "gsm7").parts(1)
        },
        EncodeCase {
            class: Some(0),
            ..EncodeCase::new("class-0-flash", "Flash message", "gsm7").parts(1)
        },
        EncodeCase {
            class: Some(1),
            ..EncodeCase::new("class-1", "Class one", "gsm7").parts(1)
        },
        EncodeCase {
            class: Some(2),
            ..EncodeCase::new("class-2", "Class two", "gsm7").parts(1)
        },
        EncodeCase {
            class: Some(3),
            ..EncodeCase::new("class-3", "Class three", "gsm7").parts(1)
        },
        EncodeCase {
            to: "01701234567",
            ..EncodeCase::new("national-number", "To a national number", "gsm7").parts(1)
        },
        EncodeCase::new(
            "gsm7-extension-chars",
            "Price: 5€ [a|b] {x} ~^\\ and £¥§ÄÖÑÜ",
            "gsm7",
        )
        .parts(1),
        EncodeCase::new("gsm7-160-chars", repeat_to("0123456789abcdef", 160), "gsm7").parts(1),
        EncodeCase::new("gsm7-161-chars", repeat_to("0123456789abcdef", 161), "gsm7").parts(2),
        // 152 septets then a two-septet escape sequence: the euro sign must
        // not be split between part 1 and part 2.
        EncodeCase::new(
            "gsm7-escape-at-part-boundary",
            format!("{}€{}", "a".repeat(152), "b".repeat(10)),
            "gsm7",
        ),
        EncodeCase::new("ucs2-cyrillic", "Привет, мир! Как дела?", "ucs2").parts(1),
        EncodeCase::new(
            "japanese-70-chars",
            repeat_to("日本語のテキストです。", 70),
            "ucs2",
        )
        .parts(1),
        EncodeCase::new(
            "japanese-71-chars",
            repeat_to("日本語のテキストです。", 71),
            "ucs2",
        )
        .parts(2),
        EncodeCase::new("emoji-short", "Hi 👋🏽 see you at 🕗", "ucs2").parts(1),
        // 40 emoji = 80 UTF-16 code units: more than one part, and a naive
        // split at 67 code units would cut a surrogate pair in half.
        EncodeCase::new("emoji-never-split", "😀".repeat(40), "ucs2"),
        EncodeCase::new(
            "emoji-mixed-never-split",
            format!("{}{}", "x".repeat(66), "🎉🎉🎉🎉🎉"),
            "ucs2",
        ),
        EncodeCase::new("gsm7-long-8bit-ref", long_gsm.clone(), "gsm7"),
        EncodeCase {
            ref16: true,
            ..EncodeCase::new("gsm7-long-16bit-ref", long_gsm.clone(), "gsm7")
        },
        EncodeCase {
            ref16: true,
            ..EncodeCase::new(
                "ucs2-long-16bit-ref",
                repeat_to("Привет, мир! ", 150),
                "ucs2",
            )
        },
        EncodeCase {
            smsc: Some("+491710760000"),
            status_report: true,
            class: Some(1),
            ..EncodeCase::new("long-with-all-options", long_gsm, "gsm7")
        },
    ]
}

/// The user-data header IEs of an SMS-SUBMIT TPDU, and its UD after the UDH.
struct SubmitUd {
    ies: Vec<(u8, Vec<u8>)>,
    payload: Vec<u8>,
}

/// Minimal SMS-SUBMIT walker for checks on the encoder's raw output.
fn submit_user_data(tpdu: &[u8]) -> Result<SubmitUd, String> {
    let get = |i: usize| {
        tpdu.get(i)
            .copied()
            .ok_or_else(|| format!("TPDU too short at octet {i}"))
    };
    let fo = get(0)?;
    if fo & 0x03 != 0x01 {
        return Err(format!("first octet {fo:02X} is not SMS-SUBMIT"));
    }
    let da_digits = usize::from(get(2)?);
    let mut i = 4 + da_digits.div_ceil(2); // FO, MR, DA length, TOA, digits
    i += 2; // PID, DCS
    i += match (fo >> 3) & 0x03 {
        0 => 0,
        2 => 1,
        _ => 7,
    };
    let _udl = get(i)?;
    let ud = tpdu.get(i + 1..).unwrap_or_default();
    let mut ies = Vec::new();
    let mut payload = ud.to_vec();
    if fo & 0x40 != 0 {
        let udhl = usize::from(*ud.first().ok_or("UDHI set but no UD")?);
        let udh = ud
            .get(1..1 + udhl)
            .ok_or_else(|| format!("UDHL {udhl} runs past the UD"))?;
        let mut j = 0;
        while j < udh.len() {
            let iei = udh[j];
            let len = usize::from(*udh.get(j + 1).ok_or("truncated IE")?);
            let data = udh
                .get(j + 2..j + 2 + len)
                .ok_or("IE runs past the UDH")?
                .to_vec();
            ies.push((iei, data));
            j += 2 + len;
        }
        payload = ud[1 + udhl..].to_vec();
    }
    Ok(SubmitUd { ies, payload })
}

fn check_encode_case(case: &EncodeCase) -> Result<(), String> {
    let args = case.args();
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&arg_refs, None);
    if !out.status.success() {
        return Err(format!(
            "encode exited with {}; stderr: {:?}",
            out.status,
            stderr_of(&out).trim_end()
        ));
    }
    let stdout = stdout_of(&out);
    let lines = output_lines(&stdout);
    if lines.is_empty() {
        return Err("encode printed nothing".to_owned());
    }
    if let Some(n) = case.parts
        && lines.len() != n
    {
        return Err(format!(
            "expected {n} part(s), got {}: {stdout}",
            lines.len()
        ));
    }
    let multipart = lines.len() > 1;
    let mut parts = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        let obj = parse_object(line).map_err(|e| format!("part {}: {e}", k + 1))?;
        let pdu = obj
            .get("pdu")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("part {}: no string `pdu` in {line}", k + 1))?
            .to_owned();
        let length = obj
            .get("length")
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("part {}: no integer `length` in {line}", k + 1))?;
        let octets = hex_bytes(&pdu).map_err(|e| format!("part {}: {e}", k + 1))?;
        let prefix = 1 + usize::from(octets[0]);
        if case.smsc.is_none() && octets[0] != 0 {
            return Err(format!(
                "part {}: no --smsc given but the PDU starts with {pdu:.2}",
                k + 1
            ));
        }
        if length as usize != octets.len() - prefix {
            return Err(format!(
                "part {}: length {length} but the PDU has {} octets of which {prefix} are the SMSC prefix",
                k + 1,
                octets.len()
            ));
        }
        let ud = submit_user_data(&octets[prefix..]).map_err(|e| format!("part {}: {e}", k + 1))?;
        let concat_ies: Vec<u8> = ud
            .ies
            .iter()
            .filter(|(iei, _)| *iei == 0x00 || *iei == 0x08)
            .map(|(iei, _)| *iei)
            .collect();
        let want_iei: &[u8] = match (multipart, case.ref16) {
            (false, _) => &[],
            (true, false) => &[0x00],
            (true, true) => &[0x08],
        };
        if concat_ies != want_iei {
            return Err(format!(
                "part {}: concatenation IEs {concat_ies:02X?}, expected {want_iei:02X?} (--ref16: {})",
                k + 1,
                case.ref16
            ));
        }
        if case.encoding == "ucs2" {
            let units: Vec<u16> = ud
                .payload
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            if let Some(first) = units.first()
                && (0xDC00..=0xDFFF).contains(first)
            {
                return Err(format!(
                    "part {} starts with a low surrogate {first:04X}",
                    k + 1
                ));
            }
            if let Some(last) = units.last()
                && (0xD800..=0xDBFF).contains(last)
            {
                return Err(format!(
                    "part {} ends with a high surrogate {last:04X}",
                    k + 1
                ));
            }
        }
        let decoded = decode_one(&pdu, false)
            .map_err(|e| format!("part {} ({pdu}) does not decode: {e}", k + 1))?;
        parts.push((k + 1, pdu, decoded));
    }

    let class = case.class.map(Value::from).unwrap_or(Value::Null);
    let smsc = case.smsc.map(Value::from).unwrap_or(Value::Null);
    let mut concat_refs = BTreeSet::new();
    let mut sequenced = Vec::new();
    for (k, pdu, obj) in &parts {
        let mut expect = Map::new();
        expect.insert("type".into(), "submit".into());
        expect.insert("to".into(), case.to.into());
        expect.insert("smsc".into(), smsc.clone());
        expect.insert("status_report_requested".into(), case.status_report.into());
        expect.insert("class".into(), class.clone());
        expect.insert("encoding".into(), case.encoding.into());
        if !multipart {
            expect.insert("concat".into(), Value::Null);
        }
        let diffs = mismatches(&expect, obj);
        if !diffs.is_empty() {
            return Err(format!(
                "part {k} ({pdu}) decodes wrongly: {}",
                diffs.join("; ")
            ));
        }
        let text = obj
            .get("text")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("part {k}: decoded `text` is not a string"))?
            .to_owned();
        if text.contains('\u{FFFD}') {
            return Err(format!(
                "part {k} decodes with a replacement character: {text:?}"
            ));
        }
        if multipart {
            let concat = obj
                .get("concat")
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    format!(
                        "part {k}: multipart message but `concat` is {:?}",
                        obj.get("concat")
                    )
                })?;
            let field = |name: &str| {
                concat
                    .get(name)
                    .and_then(Value::as_u64)
                    .ok_or_else(|| format!("part {k}: concat.{name} missing"))
            };
            concat_refs.insert(field("reference")?);
            let total = field("total")?;
            if total != parts.len() as u64 {
                return Err(format!(
                    "part {k}: concat.total {total} but {} parts",
                    parts.len()
                ));
            }
            sequenced.push((field("sequence")?, text));
        } else {
            sequenced.push((1, text));
        }
    }
    if concat_refs.len() > 1 {
        return Err(format!(
            "parts disagree on the concat reference: {concat_refs:?}"
        ));
    }
    sequenced.sort_by_key(|(seq, _)| *seq);
    let seqs: Vec<u64> = sequenced.iter().map(|(s, _)| *s).collect();
    let want_seqs: Vec<u64> = (1..=parts.len() as u64).collect();
    if seqs != want_seqs {
        return Err(format!("concat sequences {seqs:?}, expected {want_seqs:?}"));
    }
    let reassembled: String = sequenced.into_iter().map(|(_, t)| t).collect();
    if reassembled != case.text {
        return Err(format!(
            "reassembled text differs\n    sent:     {:?}\n    got back: {reassembled:?}",
            case.text
        ));
    }
    if case.name.starts_with("emoji") && !multipart && case.parts.is_none() {
        return Err("expected this text to need more than one part".to_owned());
    }
    Ok(())
}

#[test]
fn encode_output_decodes_back_to_what_was_sent() {
    let cases = encode_cases();
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = check_encode_case(case) {
            failures.push(format!(
                "encode case `{}` ({:?})\n    {e}",
                case.name,
                case.args()
            ));
        }
    }
    report("encode round trip", cases.len(), &failures);
}

#[test]
fn encode_rejects_empty_text() {
    let mut failures = Vec::new();
    let cases: [(&str, Vec<&str>); 2] = [
        (
            "empty text",
            vec!["pdu", "encode", "--to", "+491701234567", ""],
        ),
        (
            "empty text with --smsc",
            vec![
                "pdu",
                "encode",
                "--to",
                "+491701234567",
                "--smsc",
                "+491710760000",
                "",
            ],
        ),
    ];
    for (name, args) in &cases {
        if let Err(e) = check_rejected(&run(args, None)) {
            failures.push(format!("encode case `{name}` ({args:?})\n    {e}"));
        }
    }
    report("encode empty text", cases.len(), &failures);
}

/// Output to a reader that is already gone (`smsgate pdu decode ... | head -c0`): the command
/// ends quietly, as Unix tools do, instead of panicking on the closed pipe.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let vector = valid_vectors().into_iter().next().expect("a valid vector");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut args = vec!["pdu", "decode"];
    if vector.no_smsc {
        args.push("--no-smsc");
    }
    args.push(&vector.pdu);
    let out = common::smsgate()
        .args(&args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(
        out.status.code(),
        Some(101),
        "a panic's exit status: {stderr}"
    );
}
