//! The service on one simulated modem, as the end-to-end tests start it.

use std::path::PathBuf;

use smsgate::app::{self, Options, Running};
use smsgate::config::Config;
use smsgate::sim::{SimConfig, SimHandle, Simulator};

/// Starts a simulator and `app::start` with a config of the basics (the API on a free loopback
/// port, the database in a fresh directory for `name`, modem `m0` on the simulator) followed by
/// `extra` (more sections). Returns the service, its simulator and the directory.
pub async fn start_with_sim(name: &str, extra: &str) -> (Running, SimHandle, PathBuf) {
    let dir = super::temp_dir(name);
    let sim = Simulator::spawn(SimConfig::new(dir.join("modem0")))
        .await
        .unwrap();
    let text = format!(
        "[http]\nlisten = \"127.0.0.1:0\"\n\n[storage]\npath = {:?}\n\n\
         [[modems]]\nname = \"m0\"\ndevice = {:?}\npoll_interval_secs = 30\n\n{extra}",
        dir.join("smsgate.db").display().to_string(),
        sim.link().display().to_string(),
    );
    let config = Config::parse(&text, &dir.join("smsgate.toml")).unwrap();
    let running = app::start(Options {
        config,
        simulate: 0,
    })
    .await
    .unwrap();
    (running, sim, dir)
}
