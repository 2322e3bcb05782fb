//! `smsgate fleet status`: the fleet link as the running service last saw it, read from its
//! database (safe beside the service, as `smsgate user` is).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::config::Config;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct FleetArgs {
    /// The TOML configuration with `[fleet]` and `[storage] path`.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: FleetCommand,
}

#[derive(Debug, Subcommand)]
enum FleetCommand {
    /// The link's state, the backlog not yet acknowledged by the hub, and the hub's sequence of
    /// the last acknowledged message.
    Status,
}

pub fn run(args: FleetArgs) -> ExitCode {
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => super::fail(e),
    }
}

fn run_inner(args: FleetArgs) -> Result<(), String> {
    let config = match &args.config {
        Some(p) => Config::load(p).map_err(|e| e.to_string())?,
        None => Config::parse("", std::path::Path::new("(defaults)")).map_err(|e| e.to_string())?,
    };
    let Some(fleet) = &config.fleet else {
        return Err("no [fleet] in the configuration: this appliance is not in a fleet".into());
    };
    let path = config.storage.path.clone();
    let rt = super::current_thread().map_err(|_| "cannot start the runtime".to_owned())?;
    let store = Store::open_beside_service(&path)
        .map_err(|e| format!("cannot open the database {}: {e}", path.display()))?;
    let FleetCommand::Status = args.command;
    let status = rt
        .block_on(store.fleet_status())
        .map_err(|e| e.to_string())?;
    println!(
        "fleet: {} site {} device {}",
        fleet.url.get_ref(),
        fleet.site.get_ref(),
        fleet.device.get_ref()
    );
    match &status.link {
        Some((state, detail, at)) => println!(
            "link: {state} since {at}{}",
            detail
                .as_ref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
        None => println!("link: never connected"),
    }
    println!("backlog: {} to publish", status.backlog);
    match &status.last {
        Some((subject, seq)) => println!("last acknowledged: {subject}, stream sequence {seq}"),
        None => println!("last acknowledged: none yet"),
    }
    println!("sends awaiting their claim: {}", status.claiming);
    let _ = rt.block_on(store.close());
    Ok(())
}
