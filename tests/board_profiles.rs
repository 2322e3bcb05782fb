//! Board profiles: every shipped profile loads and keeps the PWRKEY
//! invariant (the on-pulse is below the module's off threshold, the
//! off-pulse reaches it); crafted bad profiles fail with the key named.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use smsgate::board::{self, BoardProfile, Error};

fn load_file(name: &str) -> BoardProfile {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("boards")
        .join(format!("{name}.toml"));
    BoardProfile::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_shipped_profile_is_built_in_and_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("boards");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "toml").then(|| p.file_stem().unwrap().to_string_lossy().into())
        })
        .collect();
    files.sort();
    let mut names: Vec<&str> = board::builtin_names().collect();
    names.sort();
    assert_eq!(files, names, "boards/*.toml and the built-in list differ");
    for name in names {
        let p = board::builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p.name, name, "name key of {name}.toml");
        assert_eq!(p, load_file(name));
    }
}

#[test]
fn the_required_boards_are_there() {
    for name in [
        "generic-usb",
        "waveshare-sim7600x",
        "waveshare-sim800c",
        "waveshare-sim868",
        "sixfab-base-hat-ec25",
        "sixfab-cellular-iot-bg96",
    ] {
        board::builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert!(matches!(
        board::builtin("nope"),
        Err(Error::UnknownBoard(n)) if n == "nope"
    ));
}

#[test]
fn on_pulse_never_reaches_the_off_threshold() {
    for name in board::builtin_names() {
        let p = board::builtin(name).unwrap();
        if let Some(key) = p.power_key {
            let threshold = p.off_threshold_ms.expect("threshold with power_key");
            assert!(key.on_pulse_ms > 0, "{name}");
            assert!(
                key.on_pulse_ms < threshold,
                "{name}: on-pulse would switch off"
            );
            assert!(key.off_pulse_ms >= threshold, "{name}: off-pulse too short");
        }
    }
}

#[test]
fn shipped_facts_match_the_reference() {
    // docs/hardware/boards.md#hat-wiring, spot-checked.
    let w = board::builtin("waveshare-sim7600x").unwrap();
    assert_eq!(w.power_key.map(|k| k.line), Some(6));
    assert_eq!(
        w.flight_mode.map(|f| (f.line, f.active_high)),
        Some((4, true))
    );
    let s = board::builtin("sixfab-base-hat-ec25").unwrap();
    let e = s.power_enable.unwrap();
    assert_eq!((e.line, e.active_high, e.off_ms), (26, false, 2000));
    assert!(s.power_key.is_none() && s.status.is_none());
    let b = board::builtin("sixfab-cellular-iot-bg96").unwrap();
    assert_eq!(
        b.power_key.map(|k| (k.line, k.active_high)),
        Some((24, true))
    );
    assert_eq!(
        b.power_enable.map(|k| (k.line, k.active_high)),
        Some((17, false))
    );
    assert_eq!(b.status.map(|k| k.line), Some(23));
    let g = board::builtin("generic-usb").unwrap();
    assert!(!g.has_power_control() && g.gpiochip.is_none());
    // The SIM800C HAT's PWRKEY pin is an assumption (docs/hardware/README.md#open-points).
    let c = board::builtin("waveshare-sim800c").unwrap();
    assert!(c.unconfirmed.iter().any(|k| k == "power_key.line"));
}

const GOOD: &str = r#"
name = "test"
description = "test board"
model = "quectel"
boot_ms = 10000
off_threshold_ms = 650
shutdown_ms = 2000
gpiochip = "/dev/gpiochip0"
unconfirmed = ["status.poll_ms"]
[serial]
path = "/dev/serial0"
baud = 115200
[power_key]
line = 24
active_high = true
on_pulse_ms = 500
off_pulse_ms = 750
[status]
line = 23
on_level_high = false
timeout_ms = 10000
poll_ms = 100
"#;

fn invalid_key(text: &str) -> String {
    match BoardProfile::from_str(text) {
        Err(Error::Invalid { key, .. }) => key,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_crafted_good_profile_loads() {
    let p = BoardProfile::from_str(GOOD).unwrap();
    assert_eq!(p.serial.baud, 115200);
    assert!(!p.serial.rtscts);
    assert_eq!(GOOD.parse::<BoardProfile>().unwrap(), p);
}

#[test]
fn an_on_pulse_at_or_above_the_off_threshold_is_rejected() {
    let bad = GOOD.replace("on_pulse_ms = 500", "on_pulse_ms = 650");
    assert_eq!(invalid_key(&bad), "power_key.on_pulse_ms");
    let bad = GOOD.replace("on_pulse_ms = 500", "on_pulse_ms = 2000");
    let err = BoardProfile::from_str(&bad).unwrap_err().to_string();
    assert!(err.contains("power_key.on_pulse_ms"), "{err}");
    assert!(err.contains("off_threshold_ms"), "{err}");
}

#[test]
fn bad_values_name_their_key() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "off_pulse_ms = 750",
            "off_pulse_ms = 600",
            "power_key.off_pulse_ms",
        ),
        (
            "on_pulse_ms = 500",
            "on_pulse_ms = 0",
            "power_key.on_pulse_ms",
        ),
        ("off_threshold_ms = 650\n", "", "off_threshold_ms"),
        ("shutdown_ms = 2000\n", "", "shutdown_ms"),
        ("model = \"quectel\"", "model = \"nokia\"", "model"),
        ("boot_ms = 10000", "boot_ms = 0", "boot_ms"),
        ("baud = 115200", "baud = 0", "serial.baud"),
        ("path = \"/dev/serial0\"", "path = \"\"", "serial.path"),
        ("gpiochip = \"/dev/gpiochip0\"\n", "", "gpiochip"),
        ("line = 23", "line = 24", "status.line"),
        ("poll_ms = 100", "poll_ms = 0", "status.poll_ms"),
        ("poll_ms = 100", "poll_ms = 20000", "status.poll_ms"),
        ("[\"status.poll_ms\"]", "[\"status.nope\"]", "unconfirmed"),
        ("name = \"test\"", "name = \" \"", "name"),
    ];
    for (from, to, key) in cases {
        let text = GOOD.replacen(from, to, 1);
        assert_ne!(text, GOOD, "{from:?} not found");
        assert_eq!(invalid_key(&text), *key, "{from:?} -> {to:?}");
    }
}

#[test]
fn unknown_keys_and_wrong_types_are_parse_errors_naming_the_key() {
    let cases: &[(&str, &str, &str)] = &[
        ("poll_ms = 100", "poll_ms = 100\npol_ms = 1", "pol_ms"),
        ("boot_ms = 10000", "boot_ms = -1", "boot_ms"),
        ("boot_ms = 10000", "boot_ms = \"10s\"", "boot_ms"),
        (
            "on_pulse_ms = 500",
            "on_pulse_ms = 99999999999",
            "on_pulse_ms",
        ),
        ("active_high = true", "active_high = 1", "active_high"),
        (
            "[serial]\npath = \"/dev/serial0\"\nbaud = 115200\n",
            "",
            "serial",
        ),
    ];
    for (from, to, key) in cases {
        let text = GOOD.replacen(from, to, 1);
        assert_ne!(text, GOOD, "{from:?} not found");
        match BoardProfile::from_str(&text) {
            Err(Error::Parse(msg)) => assert!(msg.contains(key), "{key}: {msg}"),
            other => panic!("{from:?} -> {to:?}: expected Parse, got {other:?}"),
        }
    }
    assert!(matches!(
        BoardProfile::from_str("name = "),
        Err(Error::Parse(_))
    ));
}

#[test]
fn load_names_the_file() {
    let dir = std::env::temp_dir().join(format!("smsgate-board-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        GOOD.replace("on_pulse_ms = 500", "on_pulse_ms = 700"),
    )
    .unwrap();
    let err = BoardProfile::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("bad.toml") && err.contains("power_key.on_pulse_ms"),
        "{err}"
    );
    let missing = BoardProfile::load(&dir.join("missing.toml")).unwrap_err();
    assert!(matches!(missing, Error::Read { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}
