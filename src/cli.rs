//! The command line (clap). `main.rs` only calls [`main`].

mod client;
mod fleet;
mod modem;
mod pdu;
mod serve;
mod sim;
pub(crate) mod user;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "smsgate", version, about = "SMS appliance for GSM/LTE modems")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service: modems, queue, HTTP API, webhooks.
    Serve(serve::ServeArgs),
    /// Decode and encode SMS PDUs (TS 23.040) as modems print and take them.
    #[command(subcommand)]
    Pdu(pdu::PduCommand),
    /// Field tools: talk to one modem directly (info, send, read, at).
    #[command(subcommand)]
    Modem(modem::ModemCommand),
    /// Run the modem simulator on a pseudo-terminal, or control a running one.
    Sim(sim::SimArgs),
    // ---- the local HTTP API (src/cli/client.rs) ----
    /// Queue a message through the running gateway's HTTP API.
    Send(client::SendArgs),
    /// A message's state, or without an id the gateway's health and modems.
    Status(client::StatusArgs),
    /// The desk's staff accounts: add, list, passwd, remove.
    User(user::UserArgs),
    /// This appliance in its fleet: `status`.
    Fleet(fleet::FleetArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Pdu(_)) {
        die_quietly_on_a_closed_pipe();
    }
    match cli.command {
        Command::Serve(args) => {
            init_tracing("smsgate=info");
            serve::run(args)
        }
        Command::Pdu(cmd) => pdu::run(cmd),
        Command::Modem(cmd) => modem::run(cmd),
        Command::Sim(args) => sim::run(args),
        Command::Send(args) => client::run_send(args),
        Command::Status(args) => client::run_status(args),
        Command::User(args) => user::run(args),
        Command::Fleet(args) => fleet::run(args),
    }
}

/// `smsgate pdu`'s output may go to `head` or another reader that stops early. Rust ignores
/// SIGPIPE, so `println!` would panic on the closed pipe; the default action ends the process
/// quietly, as `cat` or `grep` end. Only for the commands that touch no socket: in the service,
/// the simulator and the HTTP or `tcp://` clients a peer that hangs up must be an error to
/// handle, never a silent death.
fn die_quietly_on_a_closed_pipe() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: SIG_DFL installs no handler of ours, and this runs before any thread is started.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

/// Logs to stderr, filtered by `RUST_LOG` or `default`. The one-shot tools
/// keep stderr for their one-line error and log only when asked.
fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// How every subcommand fails: one line on stderr, exit status 1.
fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

/// A single-threaded runtime for the one-shot commands.
fn current_thread() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(format_args!("cannot start the runtime: {e}")))
}
