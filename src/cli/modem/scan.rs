//! `smsgate modem scan`: probe the candidate serial ports and print a
//! `[[modems]]` block for each one that answered `AT`, ready to paste into
//! the config. Everything else is a TOML comment, so the whole output is a
//! valid config fragment.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::super::fail;
use crate::modem::scan::{self, Candidate, Probe, Wanted};

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// More ports or patterns to probe (`*` and `?` in the last component),
    /// besides the standard ones.
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
    /// One more port or pattern (repeatable); the same as a positional PATH.
    #[arg(long = "port", value_name = "PATH")]
    ports: Vec<String>,
    /// Probe only the given ports, not the standard candidates
    /// (/dev/ttyUSB*, /dev/ttyACM*, /dev/ttyAMA0, /dev/serial0, /dev/ttyS0,
    /// /dev/serial/by-id/*, /dev/serial/by-path/*, /dev/smsgate/...).
    #[arg(long)]
    only: bool,
    #[arg(long, default_value_t = 115_200)]
    baud: u32,
    /// How long each AT command may take, in milliseconds.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    timeout_ms: u64,
}

pub async fn run(args: ScanArgs) -> ExitCode {
    let mut wanted = Vec::new();
    if !args.only {
        for pattern in scan::STANDARD {
            wanted.extend(scan::expand(pattern).into_iter().map(|path| Wanted {
                path,
                explicit: false,
            }));
        }
    }
    for given in args.paths.iter().chain(&args.ports) {
        // A pattern keeps what it matched; a plain path is always reported,
        // so a typo shows up as "cannot open" instead of vanishing.
        let explicit = !given.contains(['*', '?']);
        let found = if explicit {
            vec![given.clone()]
        } else {
            scan::expand(given)
        };
        wanted.extend(found.into_iter().map(|path| Wanted { path, explicit }));
    }
    let found = scan::candidates(&wanted, Path::new("/sys"));
    let timeout = Duration::from_millis(args.timeout_ms);

    // All ports at once: a scan costs one probe's time, not one per port.
    let mut probes = tokio::task::JoinSet::new();
    for (i, c) in found.iter().enumerate() {
        let (name, baud) = (c.name.clone(), args.baud);
        probes.spawn(async move { (i, scan::probe(&name, baud, timeout).await) });
    }
    let mut results = vec![Probe::Silent; found.len()];
    while let Some(done) = probes.join_next().await {
        match done {
            Ok((i, p)) => results[i] = p,
            Err(e) => return fail(format_args!("a probe failed: {e}")),
        }
    }

    let answered = results
        .iter()
        .filter(|p| matches!(p, Probe::Answered { .. }))
        .count();
    print!("{}", report(&found, &results, args.baud, timeout));
    if answered == 0 {
        return fail("no modem answered");
    }
    ExitCode::SUCCESS
}

/// The printed report: a summary line, one block per answering port, then
/// one comment per port that did not answer.
fn report(found: &[Candidate], results: &[Probe], baud: u32, timeout: Duration) -> String {
    let answered = results
        .iter()
        .filter(|p| matches!(p, Probe::Answered { .. }))
        .count();
    let mut out = String::new();
    let ports = if found.len() == 1 { "port" } else { "ports" };
    let _ = match answered {
        0 => writeln!(
            out,
            "# smsgate modem scan: {} {ports} probed, none answered.",
            found.len()
        ),
        n => writeln!(
            out,
            "# smsgate modem scan: {} {ports} probed, {n} answered.",
            found.len()
        ),
    };
    let mut n = 0;
    for (c, p) in found.iter().zip(results) {
        let Probe::Answered {
            manufacturer,
            model,
            quirks,
        } = p
        else {
            continue;
        };
        n += 1;
        let what = format!("{manufacturer} {model}");
        let what = what.trim();
        let _ = writeln!(
            out,
            "\n# {}: answered AT{}",
            describe(c),
            if what.is_empty() {
                String::new()
            } else {
                format!(": {what}")
            }
        );
        let _ = writeln!(out, "[[modems]]");
        let _ = writeln!(out, "name = {}", toml_str(&format!("modem{n}")));
        let _ = writeln!(out, "device = {}", toml_str(&c.name));
        if baud != 115_200 {
            let _ = writeln!(out, "baud = {baud}");
        }
        let _ = writeln!(out, "model = {}", toml_str(quirks));
    }
    let mut first = true;
    for (c, p) in found.iter().zip(results) {
        let why = match p {
            Probe::Answered { .. } => continue,
            Probe::Silent => format!("not answering (no OK to AT within {timeout:?})"),
            Probe::Unusable(e) => format!("not usable ({e})"),
        };
        if std::mem::take(&mut first) {
            out.push('\n');
        }
        let _ = writeln!(out, "# {}: {why}", describe(c));
    }
    out
}

/// The port's name, what it resolves to, its other names and its USB
/// identity, on one comment line (control characters in a name would end
/// the comment, so they are shown as `?`).
fn describe(c: &Candidate) -> String {
    describe_raw(c).replace(char::is_control, "?")
}

fn describe_raw(c: &Candidate) -> String {
    let mut facts = Vec::new();
    if let Some(t) = &c.target
        && t.as_os_str() != c.name.as_str()
    {
        facts.push(format!("-> {}", t.display()));
    }
    if let Some(u) = &c.usb {
        facts.push(match &u.interface {
            Some(i) => format!("usb {}:{} interface {i}", u.vendor, u.product),
            None => format!("usb {}:{}", u.vendor, u.product),
        });
    }
    if !c.aliases.is_empty() {
        facts.push(format!("also {}", c.aliases.join(", ")));
    }
    if facts.is_empty() {
        c.name.clone()
    } else {
        format!("{} ({})", c.name, facts.join("; "))
    }
}

/// A TOML basic string (quotes and escapes as the toml crate writes them).
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}
