//! `smsgate serve`: the service.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::app::{self, Options};
use crate::config::Config;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The TOML configuration (see smsgate.example.toml). Without it the
    /// defaults apply: 127.0.0.1:8080, smsgate.db in the working directory.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Start N built-in simulated modems (no hardware needed).
    #[arg(long, num_args = 0..=1, default_missing_value = "1", value_name = "N")]
    simulate: Option<usize>,
}

pub fn run(args: ServeArgs) -> ExitCode {
    let config = match &args.config {
        Some(p) => match Config::load(p) {
            Ok(c) => c,
            Err(e) => return super::fail(e),
        },
        None => match Config::parse("", std::path::Path::new("(defaults)")) {
            Ok(c) => c,
            Err(e) => return super::fail(e),
        },
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return super::fail(e),
    };
    let opts = Options {
        config,
        simulate: args.simulate.unwrap_or(0),
    };
    match rt.block_on(app::run(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => super::fail(e),
    }
}
