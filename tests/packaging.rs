//! The .deb package as files: the default config it installs loads, the
//! assets Cargo.toml lists exist, the maintainer scripts are valid shell with
//! the `#DEBHELPER#` token cargo-deb fills in, and the unit agrees with the
//! config's paths. Building and installing the packages is in
//! scripts/build-debs.sh and README ("On a board").

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn deb_metadata() -> toml::Table {
    let manifest: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    manifest["package"]["metadata"]["deb"]
        .as_table()
        .expect("[package.metadata.deb]")
        .clone()
}

#[test]
fn default_config_loads_and_uses_the_state_directory() {
    let cfg = smsgate::config::Config::load(&root().join("debian/smsgate.toml")).unwrap();
    assert_eq!(
        cfg.storage.path,
        Path::new("/var/lib/smsgate/smsgate.db"),
        "the unit's StateDirectory"
    );
    assert!(cfg.http.listen.get_ref().ip().is_loopback());
    assert!(cfg.modems.is_empty());
    let unit = read("systemd/smsgate.service");
    assert!(unit.contains("\nStateDirectory=smsgate\n"));
    assert!(unit.contains("--config /etc/smsgate/smsgate.toml"));
}

#[test]
fn every_asset_exists_and_the_config_is_a_conffile() {
    let deb = deb_metadata();
    let mut dests = Vec::new();
    for asset in deb["assets"].as_array().expect("assets") {
        let a = asset.as_array().expect("[source, dest, mode]");
        let (src, dest) = (a[0].as_str().unwrap(), a[1].as_str().unwrap());
        dests.push(dest.to_owned());
        if src.starts_with("target/") {
            continue; // built by cargo deb
        }
        match src.strip_suffix("*.toml") {
            Some(dir) => {
                let n = std::fs::read_dir(root().join(dir))
                    .unwrap()
                    .filter(|e| {
                        e.as_ref()
                            .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "toml"))
                    })
                    .count();
                assert!(n > 0, "{src} matches nothing");
            }
            None => assert!(root().join(src).is_file(), "{src} is missing"),
        }
    }
    assert!(dests.iter().any(|d| d == "etc/smsgate/smsgate.toml"));
    assert!(dests.iter().any(|d| d == "usr/lib/udev/rules.d/"));
    let conf: Vec<&str> = deb["conf-files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(conf, ["/etc/smsgate/smsgate.toml"]);
    let units = deb["systemd-units"].as_table().expect("systemd-units");
    let dir = units["unit-scripts"].as_str().unwrap();
    assert!(root().join(dir).join("smsgate.service").is_file());
}

#[test]
fn maintainer_scripts_are_shell_with_the_debhelper_token() {
    let dir = deb_metadata()["maintainer-scripts"]
        .as_str()
        .unwrap()
        .to_owned();
    for name in ["postinst", "prerm", "postrm"] {
        let path = root().join(&dir).join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("#!/bin/sh\n"), "{name}");
        // cargo-deb replaces every occurrence, comments included: exactly
        // one, on a line of its own.
        assert_eq!(text.matches("#DEBHELPER#").count(), 1, "{name}");
        assert!(text.contains("\n#DEBHELPER#\n"), "{name}");
        let syntax = Command::new("sh").arg("-n").arg(&path).status().unwrap();
        assert!(syntax.success(), "{name}: sh -n failed");
        let mode = std::os::unix::fs::PermissionsExt::mode(&path.metadata().unwrap().permissions());
        assert!(mode & 0o111 != 0, "{name} is not executable");
    }
    let postinst = read(&format!("{dir}/postinst"));
    for needed in [
        "adduser --system",
        "smsgate dialout",
        "smsgate gpio",
        "udevadm control --reload",
    ] {
        assert!(postinst.contains(needed), "postinst lacks {needed}");
    }
    let postrm = read(&format!("{dir}/postrm"));
    for needed in [
        "\"$1\" = purge",
        "deluser",
        "rm -rf /var/lib/smsgate",
        "udevadm control --reload",
    ] {
        assert!(postrm.contains(needed), "postrm lacks {needed}");
    }
}
