//! udev/90-smsgate.rules, read as text: every rule line well formed, every
//! covered modem's vid:pid (docs/hardware/usb-and-udev.md#usb-ids) present
//! with its AT interface, ModemManager kept off wherever a name is made, and
//! never `%n`.
//! With `udevadm verify` (systemd >= 253) the file is also checked by udev.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

const RULES: &str = include_str!("../udev/90-smsgate.rules");
const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/udev/90-smsgate.rules");

/// One `KEY{attr} op "value"` of a rule line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    key: String,
    attr: Option<String>,
    op: String,
    value: String,
}

/// Splits a rule line into tokens; errors say what is malformed.
fn tokens(line: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let key_len = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(rest.len());
        if key_len == 0 {
            return Err(format!("expected a key at {rest:?}"));
        }
        let key = rest[..key_len].to_owned();
        rest = &rest[key_len..];
        let mut attr = None;
        if let Some(r) = rest.strip_prefix('{') {
            let end = r
                .find('}')
                .ok_or_else(|| format!("unclosed {{ after {key}"))?;
            attr = Some(r[..end].to_owned());
            rest = &r[end + 1..];
        }
        let op = ["==", "!=", "+=", "-=", ":=", "="]
            .into_iter()
            .find(|op| rest.starts_with(op))
            .ok_or_else(|| format!("no operator after {key}"))?;
        rest = &rest[op.len()..];
        let r = rest
            .strip_prefix('"')
            .ok_or_else(|| format!("{key}: value is not quoted"))?;
        let end = r
            .find('"')
            .ok_or_else(|| format!("{key}: unbalanced quote"))?;
        let value = r[..end].to_owned();
        rest = r[end + 1..].trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r.trim_start();
            if rest.is_empty() {
                return Err("trailing comma".into());
            }
        } else if !rest.is_empty() {
            return Err(format!("expected ',' before {rest:?}"));
        }
        out.push(Token {
            key,
            attr,
            op: op.to_owned(),
            value,
        });
    }
    Ok(out)
}

/// The rule lines (comments and blank lines dropped), with line numbers.
fn rules() -> Vec<(usize, Vec<Token>)> {
    RULES
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| {
            assert!(!l.ends_with('\\'), "line {}: no continuation lines", i + 1);
            (
                i + 1,
                tokens(l).unwrap_or_else(|e| panic!("line {}: {e}: {l}", i + 1)),
            )
        })
        .collect()
}

fn has(tokens: &[Token], key: &str, attr: Option<&str>, op: &str, value: &str) -> bool {
    tokens
        .iter()
        .any(|t| t.key == key && t.attr.as_deref() == attr && t.op == op && t.value == value)
}

fn sets_mm_ignore(t: &[Token]) -> bool {
    has(t, "ENV", Some("ID_MM_DEVICE_IGNORE"), "=", "1")
}

#[test]
fn every_line_is_well_formed_with_known_keys() {
    let matches = [
        "ACTION",
        "SUBSYSTEM",
        "SUBSYSTEMS",
        "KERNEL",
        "ATTR",
        "ATTRS",
        "ENV",
    ];
    let assigns = ["ENV", "SYMLINK", "GROUP", "MODE", "GOTO", "LABEL", "TAG"];
    let mut gotos = HashSet::new();
    let mut labels = HashSet::new();
    for (n, line) in rules() {
        assert!(!line.is_empty(), "line {n}: empty rule");
        for t in &line {
            let is_match = t.op == "==" || t.op == "!=";
            if is_match {
                assert!(
                    matches.contains(&t.key.as_str()),
                    "line {n}: cannot match {}",
                    t.key
                );
            } else {
                assert!(
                    assigns.contains(&t.key.as_str()),
                    "line {n}: cannot assign {}",
                    t.key
                );
            }
            let needs_attr = ["ATTR", "ATTRS", "ENV"].contains(&t.key.as_str());
            assert_eq!(t.attr.is_some(), needs_attr, "line {n}: {}{{}}", t.key);
            match t.key.as_str() {
                "GOTO" => {
                    gotos.insert(t.value.clone());
                }
                "LABEL" => {
                    labels.insert(t.value.clone());
                }
                "MODE" => assert_eq!(t.value, "0660", "line {n}"),
                "GROUP" => assert_eq!(t.value, "dialout", "line {n}"),
                _ => {}
            }
        }
    }
    assert!(!gotos.is_empty());
    assert_eq!(
        gotos, labels,
        "every GOTO has its LABEL and every LABEL is used"
    );
}

#[test]
fn tokenizer_rejects_malformed_lines() {
    assert!(tokens(r#"ATTRS{idVendor}=="2c7c", SYMLINK+="x"#).is_err());
    assert!(tokens(r#"ATTRS{idVendor}=="2c7c" SYMLINK+="x""#).is_err());
    assert!(tokens(r#"ATTRS{idVendor=="2c7c""#).is_err());
    assert!(tokens(r#"ATTRS{idVendor}=2c7c"#).is_err());
    assert!(tokens(r#"ATTRS{idVendor}=="2c7c","#).is_err());
    assert_eq!(tokens(r#"GOTO="a", LABEL="b""#).map(|t| t.len()), Ok(2));
}

#[test]
fn names_never_use_the_kernel_number() {
    for (i, line) in RULES.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        // %n and $number are the ttyUSB number: not stable
        // (docs/hardware/usb-and-udev.md#udev-names).
        assert!(!line.contains("%n"), "line {}: %n", i + 1);
        assert!(!line.contains("$number"), "line {}: $number", i + 1);
        assert!(!line.contains("ttyUSB"), "line {}: ttyUSB", i + 1);
    }
    for (n, line) in rules() {
        for t in line.iter().filter(|t| t.key == "SYMLINK") {
            assert_eq!(t.op, "+=", "line {n}: SYMLINK must add, not replace");
            assert!(t.value.starts_with("smsgate/"), "line {n}: {}", t.value);
        }
    }
}

/// Covered modems from docs/hardware/usb-and-udev.md#usb-ids (and
/// docs/hardware/quirks.md for the rows the table summarises): vid, pid, AT
/// interface (`None`: found by class, Huawei).
const COVERED: &[(&str, &str, &str, Option<&str>)] = &[
    ("Quectel EC25 / EG25-G", "2c7c", "0125", Some("02")),
    ("Quectel EC21", "2c7c", "0121", Some("02")),
    ("Quectel BG96", "2c7c", "0296", Some("02")),
    ("Quectel EG91", "2c7c", "0191", Some("02")),
    ("Quectel EG95", "2c7c", "0195", Some("02")),
    ("Quectel EG915U (02 unverified)", "2c7c", "0901", Some("02")),
    ("SIMCom SIM7100/7500/7600 QMI", "1e0e", "9001", Some("02")),
    ("SIMCom SIM7600 RNDIS / A7600", "1e0e", "9011", Some("04")),
    ("SIMCom SIM7070/7080/7090", "1e0e", "9205", Some("02")),
    ("SIMCom SIM7070/7080/7090 alt.", "1e0e", "9206", Some("02")),
    ("Huawei E173", "12d1", "140c", None),
    ("Huawei E173s6", "12d1", "1c07", None),
    ("Huawei E3372 stick", "12d1", "1506", None),
    ("Huawei E3372 after modeswitch", "12d1", "1001", None),
    ("Huawei E3372 after modeswitch", "12d1", "155e", None),
    ("Telit LE910C1-EUX", "1bc7", "1031", Some("01")),
    ("Telit LE922 / LM9x0", "1bc7", "1040", Some("04")),
    ("Telit FN980", "1bc7", "1050", Some("04")),
    ("Telit LN920", "1bc7", "1060", Some("04")),
    ("u-blox LARA-R2", "1546", "110a", Some("00")),
    ("u-blox SARA-U2 / LISA-U2", "1546", "1102", Some("00")),
    ("u-blox SARA-U2 / LISA-U2", "1546", "1104", Some("00")),
    ("u-blox TOBY-L4", "1546", "1010", Some("06")),
    ("u-blox LARA-R6001", "05c6", "908b", Some("01")),
];

fn is_device(t: &[Token], vid: &str, pid: &str) -> bool {
    has(t, "ATTRS", Some("idVendor"), "==", vid) && has(t, "ATTRS", Some("idProduct"), "==", pid)
}

#[test]
fn every_covered_modem_is_ignored_by_modemmanager_and_named() {
    let rules = rules();
    for &(model, vid, pid, at_if) in COVERED {
        assert!(
            rules
                .iter()
                .any(|(_, t)| is_device(t, vid, pid) && sets_mm_ignore(t) && t.len() == 3),
            "{model} {vid}:{pid}: no device-level ID_MM_DEVICE_IGNORE"
        );
        let named = rules.iter().any(|(_, t)| {
            let names = t
                .iter()
                .any(|x| x.attr.as_deref() == Some(".SMSGATE_NAME") && x.op == "=");
            match at_if {
                Some(nn) => {
                    names && is_device(t, vid, pid) && has(t, "ENV", Some(".SMSGATE_IF"), "==", nn)
                }
                None => {
                    names
                        && has(t, "ATTRS", Some("idVendor"), "==", vid)
                        && t.iter().any(|x| {
                            x.attr.as_deref() == Some(".SMSGATE_IFTYPE")
                                && x.op == "=="
                                && x.value.split('|').all(|v| v.ends_with("/02"))
                        })
                }
            }
        });
        assert!(
            named,
            "{model} {vid}:{pid}: no AT port name (interface {at_if:?})"
        );
    }
}

#[test]
fn huawei_is_matched_by_interface_class_not_number() {
    let line = rules()
        .into_iter()
        .find(|(_, t)| has(t, "ENV", Some(".SMSGATE_NAME"), "=", "huawei"))
        .expect("a Huawei rule");
    let t = &line.1;
    assert!(!t.iter().any(|x| x.attr.as_deref() == Some(".SMSGATE_IF")));
    assert!(has(
        t,
        "ENV",
        Some(".SMSGATE_IFTYPE"),
        "==",
        "ff/01/02|ff/02/02"
    ));
}

#[test]
fn qdl_mode_is_ignored_and_never_named() {
    let rules = rules();
    let (qdl_line, t) = rules
        .iter()
        .find(|(_, t)| is_device(t, "05c6", "9008"))
        .expect("a QDL rule");
    assert!(sets_mm_ignore(t));
    assert!(has(t, "GOTO", None, "=", "smsgate_end"));
    assert!(
        rules
            .iter()
            .filter(|(n, _)| n != qdl_line)
            .all(|(_, t)| !has(t, "ATTRS", Some("idProduct"), "==", "9008")),
        "05c6:9008 appears again"
    );
}

#[test]
fn every_name_comes_with_the_modemmanager_tag_and_access() {
    let rules = rules();
    let mut symlinks = 0;
    let mut access = false;
    for (n, t) in &rules {
        if t.iter().any(|x| x.key == "SYMLINK") {
            symlinks += 1;
            assert!(
                sets_mm_ignore(t),
                "line {n}: a name without ID_MM_DEVICE_IGNORE"
            );
        }
        access |= has(t, "GROUP", None, "=", "dialout") && has(t, "MODE", None, "=", "0660");
    }
    assert!(symlinks >= 3, "per-model, by-path and by-serial names");
    assert!(access, "GROUP=dialout, MODE=0660");
    // Names from the USB path and serial number, not only the model.
    assert!(RULES.contains("$env{ID_PATH}"));
    assert!(RULES.contains("$env{ID_SERIAL_SHORT}"));
    // Names are only made for ttys of covered modems.
    let tty = rules
        .iter()
        .position(|(_, t)| has(t, "SUBSYSTEM", None, "!=", "tty"))
        .expect("SUBSYSTEM!=tty guard");
    let not_ours = rules
        .iter()
        .position(|(_, t)| has(t, "ENV", Some(".SMSGATE_NAME"), "!=", "?*"))
        .expect("guard for ports that are not ours");
    let first_link = rules
        .iter()
        .position(|(_, t)| t.iter().any(|x| x.key == "SYMLINK"))
        .expect("a SYMLINK");
    assert!(tty < not_ours && not_ours < first_link);
}

/// The profiles' USB AT paths are names these rules make.
#[test]
fn board_profiles_use_names_the_rules_make() {
    for name in smsgate::board::builtin_names() {
        let p = smsgate::board::builtin(name).unwrap();
        let Some(link) = p.serial.path.strip_prefix("/dev/smsgate/") else {
            assert!(
                p.serial.path.starts_with("/dev/serial"),
                "{name}: {}",
                p.serial.path
            );
            continue;
        };
        let made = link == "modem-at"
            || link
                .strip_suffix("-at")
                .is_some_and(|m| RULES.contains(&format!("ENV{{.SMSGATE_NAME}}=\"{m}\"")));
        assert!(made, "{name}: no rule makes /dev/smsgate/{link}");
    }
}

#[test]
fn udevadm_verify_accepts_the_file() {
    let probe = std::process::Command::new("udevadm")
        .args(["verify", "--help"])
        .output();
    match probe {
        Ok(out) if out.status.success() => {
            let out = std::process::Command::new("udevadm")
                .args(["verify", "--resolve-names=never", PATH])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "udevadm verify:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        _ => eprintln!(
            "note: `udevadm verify` is not available (needs systemd/udev >= 253); \
             skipped the udev check of {PATH}"
        ),
    }
}
