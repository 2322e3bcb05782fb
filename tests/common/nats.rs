//! Debian's `nats-server -js` for the fleet tests: on a free loopback port with its store in a
//! test directory; SIGKILLed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The installed server, if any (`.ci/run` installs the `nats-server` package).
pub fn nats_server() -> Option<PathBuf> {
    ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

use super::free_port;

pub struct Hub {
    child: Child,
    exe: PathBuf,
    args: Vec<String>,
    pub port: u16,
    pub url: String,
}

impl Hub {
    /// A JetStream server with its store under `dir`; None (with a note) without nats-server.
    pub async fn start(dir: &Path) -> Option<Hub> {
        let port = free_port();
        let args = vec![
            "-js".to_owned(),
            "-a".to_owned(),
            "127.0.0.1".to_owned(),
            "-p".to_owned(),
            port.to_string(),
            "-sd".to_owned(),
            dir.join("jetstream").display().to_string(),
        ];
        Hub::start_with(port, args).await
    }

    /// The server with `config` (a nats-server configuration) written to `dir`, listening on
    /// a free port.
    pub async fn start_config(dir: &Path, config: &str) -> Option<Hub> {
        let port = free_port();
        let path = dir.join("hub.conf");
        std::fs::write(
            &path,
            format!(
                "listen: 127.0.0.1:{port}\njetstream {{ store_dir: {:?} }}\n{config}",
                dir.join("jetstream").display().to_string()
            ),
        )
        .unwrap();
        Hub::start_with(port, vec!["-c".to_owned(), path.display().to_string()]).await
    }

    async fn start_with(port: u16, args: Vec<String>) -> Option<Hub> {
        let Some(exe) = nats_server() else {
            eprintln!("skipped: nats-server is not installed (apt-get install nats-server)");
            return None;
        };
        let child = spawn(&exe, &args, port).await;
        Some(Hub {
            child,
            exe,
            args,
            port,
            url: format!("nats://127.0.0.1:{port}"),
        })
    }

    /// SIGKILL (its store stays).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same port and store.
    pub async fn restart(&mut self) {
        self.child = spawn(&self.exe, &self.args, self.port).await;
    }

    pub async fn js(&self) -> async_nats::jetstream::Context {
        async_nats::jetstream::new(async_nats::connect(&self.url).await.unwrap())
    }
}

async fn spawn(exe: &Path, args: &[String], port: u16) -> Child {
    let child = Command::new(exe)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nats-server never listened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.kill();
    }
}
