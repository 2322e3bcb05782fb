//! A real Chromium for the desk's tests: Debian's `chromium` driven through `chromedriver`
//! (WebDriver over loopback, with `fantoccini`). No driver download: both come from the
//! system's packages (`.ci/run` installs `chromium`, `chromium-driver`, `fonts-noto-cjk`).

use super::free_port;
use std::process::{Child, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// The browser and its driver; both stop when this is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

/// Why the browser tests cannot run here, if they cannot: no chromium or chromedriver, or
/// the suite runs under an emulator (the browser is the host's either way, and the service
/// under qemu would only test qemu's speed).
pub fn unavailable() -> Option<String> {
    if std::env::var_os("SMSGATE_TEST_RUNNER").is_some() {
        return Some("the suite runs under an emulator (SMSGATE_TEST_RUNNER)".into());
    }
    for exe in ["chromedriver", "chromium"] {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(exe).is_file()))
            .unwrap_or(false);
        if !found {
            return Some(format!(
                "{exe} is not installed (apt-get install chromium chromium-driver)"
            ));
        }
    }
    None
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with `lang` as its UI and Accept-Language.
    pub async fn start(lang: &str) -> Browser {
        let port = free_port();
        let driver = std::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let caps = json!({
            "goog:chromeOptions": {
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,900", format!("--lang={lang}"),
                ],
                "prefs": { "intl.accept_languages": lang },
            }
        });
        let caps = caps.as_object().cloned().unwrap_or_default();
        let url = format!("http://127.0.0.1:{port}");
        // The driver takes a moment to listen; retry the session until it does.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) => {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "chromedriver never took a session: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        Browser { client, driver }
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
