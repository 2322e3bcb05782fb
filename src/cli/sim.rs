//! `smsgate sim`: run the modem simulator, or send it control requests.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::fail;
use clap::{Args, Subcommand};
use serde_json::json;

use crate::sim::{SimConfig, control, profile::Profile};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SimArgs {
    #[command(subcommand)]
    command: Option<SimCommand>,
    #[command(flatten)]
    run: RunArgs,
}

/// Run the simulator (the default when no subcommand is given).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Where to put the symlink to the pseudo-terminal.
    #[arg(long)]
    link: Option<PathBuf>,
    /// Modem profile: generic, simcom, quectel, huawei.
    #[arg(long, default_value = "generic")]
    profile: String,
    /// Control socket (default: <link>.ctl).
    #[arg(long)]
    control: Option<PathBuf>,
    /// SIM PIN; the SIM then starts locked.
    #[arg(long)]
    pin: Option<String>,
    /// "SM" (SIM) memory slots (0..=1000).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u16).range(0..=1000))]
    capacity: u16,
    /// "ME" (module) memory slots where the profile has that memory
    /// (quectel, simcom; default 50).
    #[arg(long, value_parser = clap::value_parser!(u16).range(0..=1000))]
    me_capacity: Option<u16>,
    /// "SR" (status report) memory slots where the profile has that memory
    /// (quectel, simcom; default 10). A status report that finds it full is
    /// dropped.
    #[arg(long, value_parser = clap::value_parser!(u16).range(0..=1000))]
    sr_capacity: Option<u16>,
    /// Network delay per send, in milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Delay from +CMGS to the status report, in milliseconds.
    #[arg(long, default_value_t = 100)]
    report_delay_ms: u64,
    /// After a reboot or re-plug, milliseconds from SIM ready to SMS ready:
    /// SMS commands meanwhile answer +CMS ERROR: 314 (SIM busy), and the
    /// SMS-ready URCs (`+QIND: SMS DONE`, `SMS DONE`) come at its end.
    #[arg(long, default_value_t = 0)]
    sms_init_ms: u64,
    /// Pace output at this baud rate (baud/10 bytes per second).
    #[arg(long)]
    baud: Option<u32>,
    /// Start with echo off (ATE0).
    #[arg(long)]
    no_echo: bool,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Send one JSON request to a running simulator and print the response.
    Ctl {
        #[command(flatten)]
        target: Target,
        /// The request, e.g. '{"cmd":"state"}'.
        json: String,
    },
    /// Deliver an incoming message.
    Deliver {
        #[command(flatten)]
        target: Target,
        /// Sender: a number or an alphanumeric name.
        #[arg(long)]
        from: String,
        /// Force UCS-2.
        #[arg(long)]
        ucs2: bool,
        text: String,
    },
    /// Print the simulator's state.
    State {
        #[command(flatten)]
        target: Target,
    },
}

/// Which simulator to talk to: its control socket, or its link (the socket
/// is then `<link>.ctl`).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// The control socket.
    #[arg(long)]
    control: Option<PathBuf>,
    /// The simulator's link; the socket is `<link>.ctl`.
    #[arg(long)]
    link: Option<PathBuf>,
}

impl Target {
    fn path(self) -> PathBuf {
        match (self.control, self.link) {
            (Some(c), _) => c,
            (None, Some(l)) => control::default_path(&l),
            (None, None) => PathBuf::from("smsgate-sim.ctl"),
        }
    }
}

pub fn run(args: SimArgs) -> ExitCode {
    let rt = match super::current_thread() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match args.command {
        Some(cmd) => {
            let (path, line) = match cmd {
                SimCommand::Ctl { target, json } => (target.path(), json),
                SimCommand::Deliver {
                    target,
                    from,
                    ucs2,
                    text,
                } => {
                    let mut v = json!({"cmd": "deliver", "from": from, "text": text});
                    if ucs2 {
                        v["encoding"] = "ucs2".into();
                    }
                    (target.path(), v.to_string())
                }
                SimCommand::State { target } => {
                    (target.path(), json!({"cmd": "state"}).to_string())
                }
            };
            match rt.block_on(control::request(&path, &line)) {
                Ok(resp) => {
                    println!("{resp}");
                    let ok = serde_json::from_str::<serde_json::Value>(&resp)
                        .is_ok_and(|v| v.get("error").is_none());
                    if ok {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => fail(format!("{}: {e}", path.display())),
            }
        }
        None => {
            // RUST_LOG=smsgate=trace shows every byte in and out.
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_writer(std::io::stderr)
                .try_init();
            let a = args.run;
            let Some(link) = a.link else {
                return fail("--link is required");
            };
            let Some(profile) = Profile::by_name(&a.profile) else {
                return fail(format!(
                    "unknown profile {:?} (one of {})",
                    a.profile,
                    Profile::names().join(", ")
                ));
            };
            let mut cfg = SimConfig::new(link);
            cfg.control = a.control;
            cfg.profile = profile;
            cfg.pin = a.pin;
            cfg.capacity = usize::from(a.capacity);
            cfg.me_capacity = a.me_capacity.map(usize::from);
            cfg.sr_capacity = a.sr_capacity.map(usize::from);
            cfg.send_delay = Duration::from_millis(a.delay_ms);
            cfg.report_delay = Duration::from_millis(a.report_delay_ms);
            cfg.sms_init = Duration::from_millis(a.sms_init_ms);
            cfg.baud = a.baud.filter(|b| *b > 0);
            cfg.echo = !a.no_echo;
            match rt.block_on(crate::sim::run_until_signal(cfg)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e.to_string()),
            }
        }
    }
}
