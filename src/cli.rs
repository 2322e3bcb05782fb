//! The command line (clap). `main.rs` only calls [`main`].

mod client;
mod modem;
mod pdu;
mod sim;

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
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Pdu(cmd) => pdu::run(cmd),
        Command::Modem(cmd) => modem::run(cmd),
        Command::Sim(args) => sim::run(args),
        Command::Send(args) => client::run_send(args),
        Command::Status(args) => client::run_status(args),
    }
}
