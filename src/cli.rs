//! The command line (clap). `main.rs` only calls [`main`].
use std::process::ExitCode;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "smsgate", version, about = "SMS appliance for GSM/LTE modems")]
pub struct Cli {}

pub fn main() -> ExitCode {
    let _cli = Cli::parse();
    ExitCode::SUCCESS
}
