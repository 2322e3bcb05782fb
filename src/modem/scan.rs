//! Finding modems: the serial ports worth probing on a Linux board, what
//! sysfs says about each (USB vendor:product and interface number), and a
//! short, bounded `AT` probe. Behind `smsgate modem scan`.
//!
//! A port is probed once however many names point at it (`/dev/ttyUSB2`,
//! its `/dev/serial/by-id/...` link and our udev symlink); it is reported
//! under its most stable name, because that is the name a config should use
//! (ttyUSB numbers change on re-enumeration: `docs/hardware/usb-and-udev.md#udev-names`,
//! `docs/hardware/serial.md#re-enumeration`).

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::at::client;
use crate::at::command::{Cgmi, Cgmm};

use super::Session;
use super::port::{self, FlowControl};
use super::quirks;

/// The places a modem's AT port shows up on a Pi-class board: USB serial
/// (option, qcserial: ttyUSB; CDC-ACM: ttyACM), the Pi UART under both of
/// its names (`docs/hardware/serial.md#pi-uart`), systemd's stable links and ours (udev/).
pub const STANDARD: &[&str] = &[
    "/dev/ttyUSB*",
    "/dev/ttyACM*",
    "/dev/ttyAMA0",
    "/dev/serial0",
    "/dev/ttyS0",
    "/dev/serial/by-id/*",
    "/dev/serial/by-path/*",
    "/dev/smsgate/*",
    "/dev/smsgate/by-path/*",
    "/dev/smsgate/by-serial/*",
];

/// What sysfs says about the USB interface a tty hangs off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usb {
    /// `idVendor`, four hex digits.
    pub vendor: String,
    /// `idProduct`, four hex digits.
    pub product: String,
    /// `bInterfaceNumber`, two hex digits (the number udev rules match).
    pub interface: Option<String>,
}

/// One port to probe, with every name found for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The name to report and to put in a config.
    pub name: String,
    /// What the name resolves to (`/dev/ttyUSB2`), when it resolves.
    pub target: Option<PathBuf>,
    /// Other names of the same port.
    pub aliases: Vec<String>,
    pub usb: Option<Usb>,
}

/// A path to probe, and whether someone named it (then it is reported even
/// when it does not exist) or a pattern found it.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub path: String,
    pub explicit: bool,
}

/// Expands `*` and `?` in the last component of `pattern` against the
/// directory. Only character devices (after following links) are kept, so
/// `/dev/smsgate/*` skips its `by-path` directory, a simulator's control
/// socket is not probed, and `/dev/ttyAMA0` is left out where it is missing.
pub fn expand(pattern: &str) -> Vec<String> {
    let path = Path::new(pattern);
    let wild = |f: &str| f.contains(['*', '?']);
    let (Some(dir), Some(file)) = (
        path.parent(),
        path.file_name()
            .and_then(|f| f.to_str())
            .filter(|f| wild(f)),
    ) else {
        return Some(pattern.to_owned())
            .filter(|p| is_char_device(Path::new(p)))
            .into_iter()
            .collect();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|n| matches(file, n)))
        .filter(|e| is_char_device(&e.path()))
        .map(|e| e.path().display().to_string())
        .collect();
    out.sort();
    out
}

fn is_char_device(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.file_type().is_char_device())
}

/// Shell-style match of one name: `*` any run, `?` one character.
fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matcher with one backtrack point: linear in practice and
    // without recursion, whatever the pattern.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// How good a name is for a config: lower is better. A name someone typed
/// wins; then our udev names, systemd's by-id and by-path, the Pi's
/// `serial0`, and last the kernel name, which changes (`docs/hardware/serial.md#re-enumeration`).
fn rank(name: &str, explicit: bool) -> u8 {
    if explicit {
        return 0;
    }
    if let Some(rest) = name.strip_prefix("/dev/smsgate/") {
        return match rest {
            r if r.starts_with("by-serial/") => 2,
            r if r.starts_with("by-path/") => 4,
            // Ambiguous as soon as two modems are plugged in.
            "modem-at" => 6,
            _ => 1,
        };
    }
    if name.starts_with("/dev/serial/by-id/") {
        3
    } else if name.starts_with("/dev/serial/by-path/") {
        5
    } else if name == "/dev/serial0" || name == "/dev/serial1" {
        7
    } else {
        8
    }
}

/// Groups the wanted paths by the device they resolve to and picks each
/// group's name. `sysfs` is normally `/sys`.
pub fn candidates(wanted: &[Wanted], sysfs: &Path) -> Vec<Candidate> {
    // (target or the path itself, [(rank, name)])
    let mut groups: Vec<(Option<PathBuf>, Vec<(u8, String)>)> = Vec::new();
    for w in wanted {
        let target = if w.path.starts_with("tcp://") {
            None
        } else {
            std::fs::canonicalize(&w.path).ok()
        };
        let entry = (rank(&w.path, w.explicit), w.path.clone());
        let found = groups.iter_mut().find(|(t, names)| match (t, &target) {
            (Some(a), Some(b)) => a == b,
            _ => names.iter().any(|(_, n)| *n == w.path),
        });
        match found {
            Some((_, names)) => {
                if !names.iter().any(|(_, n)| *n == entry.1) {
                    names.push(entry);
                }
            }
            None => groups.push((target, vec![entry])),
        }
    }
    groups
        .into_iter()
        .map(|(target, mut names)| {
            names.sort();
            let mut names = names.into_iter().map(|(_, n)| n);
            let name = names.next().unwrap_or_default();
            let usb = target
                .as_deref()
                .and_then(|t| t.file_name())
                .and_then(|f| f.to_str())
                .and_then(|tty| usb_info(sysfs, tty));
            Candidate {
                aliases: names.collect(),
                name,
                target,
                usb,
            }
        })
        .collect()
}

/// vendor:product and interface number of a tty from sysfs: the tty's
/// `device` link points at the USB interface (ttyACM) or at a usb-serial
/// port below it (ttyUSB); the interface has `bInterfaceNumber`, the USB
/// device above it `idVendor` and `idProduct`. None for anything else
/// (platform UARTs, ptys).
pub fn usb_info(sysfs: &Path, tty: &str) -> Option<Usb> {
    let mut dir = std::fs::canonicalize(sysfs.join("class/tty").join(tty).join("device")).ok()?;
    let read = |d: &Path, f: &str| {
        std::fs::read_to_string(d.join(f))
            .ok()
            .map(|s| s.trim().to_owned())
    };
    let mut interface = None;
    // A USB tty sits at most a few levels below its device; the bound keeps
    // a strange tree from walking up to the root.
    for _ in 0..6 {
        if interface.is_none() {
            interface = read(&dir, "bInterfaceNumber");
        }
        if let (Some(vendor), Some(product)) = (read(&dir, "idVendor"), read(&dir, "idProduct")) {
            return Some(Usb {
                vendor,
                product,
                interface,
            });
        }
        if !dir.pop() {
            break;
        }
    }
    None
}

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// `AT` answered OK. Identity strings are empty when the modem did not
    /// give them; `quirks` is the entry smsgate would pick for it.
    Answered {
        manufacturer: String,
        model: String,
        quirks: &'static str,
    },
    /// The port opened but nothing answered `AT` in time.
    Silent,
    /// The port could not be opened (missing, busy, no permission).
    Unusable(String),
}

/// Opens `device`, sends ESC and `AT` (twice), and on OK asks for the
/// manufacturer and model. Every step is bounded by `timeout`, and the whole
/// probe by a small multiple of it, so a silent or wedged port costs a few
/// timeouts and never hangs the scan. Nothing is configured on the modem.
pub async fn probe(device: &str, baud: u32, timeout: Duration) -> Probe {
    // resync: ESC (≤300 ms) and two ATs; then CGMI and CGMM; plus slack.
    let budget = timeout * 5 + Duration::from_millis(300);
    match tokio::time::timeout(budget, probe_inner(device, baud, timeout)).await {
        Ok(p) => p,
        Err(_) => Probe::Silent,
    }
}

async fn probe_inner(device: &str, baud: u32, timeout: Duration) -> Probe {
    let port = match port::open(device, baud, FlowControl::None).await {
        Ok(p) => p,
        Err(e) => return Probe::Unusable(e.to_string()),
    };
    let s = Session::with_options(
        port,
        device,
        client::Options {
            timeout_cap: Some(timeout),
            ..client::Options::default()
        },
    );
    if s.resync(2).await.is_err() {
        return Probe::Silent;
    }
    let manufacturer = s.cmd(&Cgmi).await.unwrap_or_default();
    let model = s.cmd(&Cgmm).await.unwrap_or_default();
    let quirks = quirks::detect(&manufacturer, &model).name;
    Probe::Answered {
        manufacturer,
        model,
        quirks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        for (pattern, name, want) in [
            ("ttyUSB*", "ttyUSB0", true),
            ("ttyUSB*", "ttyUSB12", true),
            ("ttyUSB*", "ttyUSB", true),
            ("ttyUSB*", "ttyACM0", false),
            ("tty?", "ttyS", true),
            ("tty?", "ttyS0", false),
            ("*-if02*", "usb-Quectel_EG25-if02-port0", true),
            ("*-if02*", "usb-Quectel_EG25-if03-port0", false),
            ("*", "", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("serial0", "serial0", true),
        ] {
            assert_eq!(matches(pattern, name), want, "{pattern} {name}");
        }
    }

    #[test]
    fn names_by_stability() {
        let mut names = [
            ("/dev/ttyUSB2", false),
            (
                "/dev/serial/by-path/platform-xhci-usb-0:1.3:1.2-port0",
                false,
            ),
            ("/dev/smsgate/modem-at", false),
            ("/dev/serial/by-id/usb-Quectel_EG25-if02-port0", false),
            (
                "/dev/smsgate/by-path/ec25-at-platform-xhci-usb-0:1.3:1.2",
                false,
            ),
            ("/dev/smsgate/ec25-at", false),
            ("/dev/smsgate/by-serial/ec25-at-1234", false),
        ];
        names.sort_by_key(|(n, e)| rank(n, *e));
        let order: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            order,
            [
                "/dev/smsgate/ec25-at",
                "/dev/smsgate/by-serial/ec25-at-1234",
                "/dev/serial/by-id/usb-Quectel_EG25-if02-port0",
                "/dev/smsgate/by-path/ec25-at-platform-xhci-usb-0:1.3:1.2",
                "/dev/serial/by-path/platform-xhci-usb-0:1.3:1.2-port0",
                "/dev/smsgate/modem-at",
                "/dev/ttyUSB2",
            ]
        );
        assert!(rank("/dev/serial0", false) < rank("/dev/ttyS0", false));
        assert_eq!(rank("/tmp/anything", true), 0);
    }

    /// A sysfs tree laid out as the kernel lays out a ttyUSB (usb-serial
    /// port below the interface) and a ttyACM (directly on the interface),
    /// plus a platform UART.
    #[test]
    fn usb_identity_from_sysfs() {
        let root = std::env::temp_dir().join(format!("smsgate-scan-sysfs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let usb = root.join("devices/platform/xhci/usb1/1-1");
        let write = |dir: &Path, f: &str, v: &str| {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(f), format!("{v}\n")).unwrap();
        };
        write(&usb, "idVendor", "2c7c");
        write(&usb, "idProduct", "0125");
        let if2 = usb.join("1-1:1.2");
        write(&if2, "bInterfaceNumber", "02");
        let port = if2.join("ttyUSB2");
        std::fs::create_dir_all(&port).unwrap();
        let acm_if = usb.join("1-1:1.0");
        write(&acm_if, "bInterfaceNumber", "00");
        let uart = root.join("devices/platform/serial8250");
        std::fs::create_dir_all(&uart).unwrap();
        let class = root.join("class/tty");
        for (tty, dev) in [("ttyUSB2", &port), ("ttyACM0", &acm_if), ("ttyS0", &uart)] {
            std::fs::create_dir_all(class.join(tty)).unwrap();
            std::os::unix::fs::symlink(dev, class.join(tty).join("device")).unwrap();
        }

        let want = |interface: &str| Usb {
            vendor: "2c7c".into(),
            product: "0125".into(),
            interface: Some(interface.into()),
        };
        assert_eq!(usb_info(&root, "ttyUSB2"), Some(want("02")));
        assert_eq!(usb_info(&root, "ttyACM0"), Some(want("00")));
        assert_eq!(usb_info(&root, "ttyS0"), None);
        assert_eq!(usb_info(&root, "ttyUSB9"), None);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn one_candidate_per_device() {
        let dir = std::env::temp_dir().join(format!("smsgate-scan-dedup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink("/dev/null", dir.join("a")).unwrap();
        std::os::unix::fs::symlink("/dev/null", dir.join("b")).unwrap();
        let a = dir.join("a").display().to_string();
        let b = dir.join("b").display().to_string();
        let wanted = [
            Wanted {
                path: "/dev/null".into(),
                explicit: false,
            },
            Wanted {
                path: b.clone(),
                explicit: true,
            },
            Wanted {
                path: a.clone(),
                explicit: false,
            },
            Wanted {
                path: "/nonexistent/x".into(),
                explicit: true,
            },
        ];
        let got = candidates(&wanted, Path::new("/nonexistent-sysfs"));
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].name, b);
        assert_eq!(got[0].target.as_deref(), Some(Path::new("/dev/null")));
        assert_eq!(got[0].aliases, vec!["/dev/null".to_owned(), a.clone()]);
        assert_eq!(got[1].name, "/nonexistent/x");
        assert_eq!(got[1].target, None);
        // Patterns keep character devices only.
        std::fs::write(dir.join("c.ctl"), "").unwrap();
        let found = expand(&format!("{}/*", dir.display()));
        assert_eq!(found, [a.clone(), b.clone()]);
        assert_eq!(expand(&a), vec![a.clone()]);
        assert!(expand(&format!("{}/c.ctl", dir.display())).is_empty());
        assert!(expand("/nonexistent/ttyUSB*").is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
