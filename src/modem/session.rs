//! A session with one modem over an open port: resync, init, identity,
//! health, send, list, read and delete. The field tools use it directly; the
//! modem actor runs one and replaces it on recovery.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::at::client::{self, Client};
use crate::at::command::{
    At, AtCommand, Ate0, Atz, Ccid, CeregRead, CfunSet, Cgmi, Cgmm, Cgmr, CgregRead, Cgsn, Cimi,
    Cmee, Cmgd, Cmgf, Cmgl, Cmgr, Cmgs, Cnma, Cnmi, CopsRead, CpinRead, CpinSet, CpmsRead, CpmsSet,
    CpmsTest, CregRead, CscaRead, CscaSet, Csq, ListedMessage, MemoryUsage, MessageStat,
    StoredMessage,
};
use crate::at::urc::Urc;
use crate::at::values::{PinState, Registration, any_registered};
use crate::modem::cms::CmsClass;

use super::Error;
use super::port::Port;
use super::quirks::{self, Quirks};

/// What the modem says it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    pub manufacturer: String,
    pub model: String,
    pub revision: String,
    pub imei: String,
    pub imsi: Option<String>,
    pub iccid: Option<String>,
}

/// Network state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Health {
    /// `+CSQ` rssi 0..=31; None when unknown (99).
    pub rssi: Option<u8>,
    /// dBm from rssi.
    pub signal_dbm: Option<i16>,
    pub registered: bool,
    pub operator: Option<String>,
}

/// Settings init applies.
#[derive(Debug, Clone, Default)]
pub struct InitConfig {
    pub pin: Option<String>,
    /// SMSC to set (`AT+CSCA`), overriding the SIM's.
    pub smsc: Option<String>,
    /// Force a quirks entry by name instead of detecting it.
    pub model: Option<String>,
}

/// What init found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    pub identity: Identity,
    /// The memory selected for all three `AT+CPMS` parameters: where received messages go.
    pub storage: String,
    /// Other memories `AT+CPMS=?` offers for reading (`<mem1>`) that can hold what the modem
    /// received: `"SR"` (status reports with `ds=2` on Quectel and SIMCom) and `"ME"`.
    pub extra_storage: Vec<String>,
    /// `<ds>` of the `AT+CNMI` the modem accepted: 0 none, 1 `+CDS`, 2 `+CDSI`.
    pub ds: u8,
    pub smsc: Option<String>,
}

/// How a failed send should be treated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct SendError {
    pub class: CmsClass,
    /// `+CMS ERROR` code, if the modem gave one.
    pub code: Option<u16>,
    pub detail: String,
}

pub struct Session {
    pub client: Client,
    pub urcs: mpsc::Receiver<Urc>,
    pub quirks: &'static Quirks,
    /// The memory init selected for all three `AT+CPMS` parameters.
    storage: Option<String>,
    /// The `<mem1>` (read, list, delete) selected now, when known.
    mem1: Option<String>,
    /// See [`Setup::extra_storage`].
    extra: Vec<String>,
    task: JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Retries for a command the SIM may answer "busy" while it starts.
const SIM_BUSY_RETRIES: u32 = 10;
/// How long a module may keep answering "busy" (see [`Quirks::busy_cms`]) after it answers AT:
/// Quectel reports `+QIND: SMS DONE` some seconds after `RDY`, SIMCom `SMS DONE` likewise.
const BOOT_GRACE: Duration = Duration::from_secs(30);
/// The short schedule those commands are retried on.
const BOOT_RETRY: Duration = Duration::from_millis(200);
/// Memories that may hold received messages besides the configured one, in sweep order.
const EXTRA_STORAGE: &[&str] = &["SR", "ME"];

impl Session {
    pub fn new(port: Port, name: &str) -> Session {
        Self::with_options(port, name, client::Options::default())
    }

    pub fn with_options(port: Port, name: &str, opts: client::Options) -> Session {
        let traced = crate::at::trace::Traced::new(port, name);
        let (client, urcs, task) = Client::spawn(traced, opts);
        Session {
            client,
            urcs,
            quirks: &quirks::GENERIC,
            storage: None,
            mem1: None,
            extra: Vec::new(),
            task,
        }
    }

    pub async fn cmd<C>(&self, c: &C) -> Result<C::Response, client::Error>
    where
        C: AtCommand + Clone + Send + 'static,
    {
        self.client.send(c).await
    }

    /// Leaves a half-typed PDU (ESC) and waits until `AT` answers OK.
    pub async fn resync(&self, tries: u32) -> Result<(), Error> {
        let _ = self.client.raw("\x1b", Duration::from_millis(300)).await;
        let mut last = None;
        for _ in 0..tries.max(1) {
            match self.cmd(&At).await {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(Error::NoAnswer(
            last.map_or_else(String::new, |e| e.to_string()),
        ))
    }

    /// The whole set-up (`docs/hardware/at-commands.md#init-sequence`): echo off, numeric errors,
    /// SIM PIN, PDU mode, storage, new-message indications, SMSC, identity.
    pub async fn init(&mut self, cfg: &InitConfig) -> Result<Setup, Error> {
        self.resync(5).await?;
        // ATZ restores the stored profile, which may turn echo and CMEE back
        // on: both are set after it.
        let _ = self.cmd(&Atz).await;
        self.cmd(&Ate0).await.map_err(Error::at("ATE0"))?;
        let _ = self.cmd(&Cmee(1)).await;
        let manufacturer = self.cmd(&Cgmi).await.unwrap_or_default();
        let model = self.cmd(&Cgmm).await.unwrap_or_default();
        self.quirks = cfg
            .model
            .as_deref()
            .and_then(quirks::by_name)
            .unwrap_or_else(|| quirks::detect(&manufacturer, &model));
        self.unlock(cfg.pin.as_deref()).await?;
        for line in self.quirks.extra_init {
            let _ = self.client.raw(line, Duration::from_secs(5)).await;
        }
        self.booting(&Cmgf::PDU)
            .await
            .map_err(Error::at("AT+CMGF=0"))?;
        let (storage, extra_storage) = self.select_storage().await?;
        let ds = self.select_cnmi().await?;
        let smsc = match &cfg.smsc {
            Some(s) => {
                let set = CscaSet::new(s, None).map_err(|e| Error::Config(e.to_string()))?;
                self.cmd(&set).await.map_err(Error::at("AT+CSCA"))?;
                Some(s.clone())
            }
            None => self.cmd(&CscaRead).await.ok().flatten().map(|s| s.address),
        };
        let identity = Identity {
            manufacturer,
            model,
            revision: self.cmd(&Cgmr).await.unwrap_or_default(),
            imei: self.cmd(&Cgsn).await.unwrap_or_default(),
            imsi: self.cmd(&Cimi).await.ok(),
            iccid: self.iccid().await,
        };
        Ok(Setup {
            identity,
            storage,
            extra_storage,
            ds,
            smsc,
        })
    }

    /// Runs a command, asking again on a short schedule while the module answers that it is
    /// still starting ([`Quirks::busy_cms`], [`Quirks::busy_cme`]), for at most [`BOOT_GRACE`].
    /// After a re-plug or a reset the SIM and SMS service come up seconds after `AT` answers; the
    /// recovery backoff would add many more.
    async fn booting<C>(&self, c: &C) -> Result<C::Response, client::Error>
    where
        C: AtCommand + Clone + Send + 'static,
    {
        let deadline = tokio::time::Instant::now() + BOOT_GRACE;
        loop {
            match self.cmd(c).await {
                Err(e) if self.is_busy(&e) && tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(BOOT_RETRY).await;
                }
                r => return r,
            }
        }
    }

    fn is_busy(&self, e: &client::Error) -> bool {
        match e {
            client::Error::Cms(c) => c.code.is_some_and(|n| self.quirks.busy_cms.contains(&n)),
            client::Error::Cme(c) => c.code.is_some_and(|n| self.quirks.busy_cme.contains(&n)),
            _ => false,
        }
    }

    /// The SIM state, retried while the SIM is busy starting.
    pub async fn pin_state(&self) -> Result<PinState, Error> {
        let mut last = String::new();
        for _ in 0..SIM_BUSY_RETRIES {
            match self.cmd(&CpinRead).await {
                Ok(s) => return Ok(s),
                Err(client::Error::Cme(e)) if matches!(e.code, Some(14) | Some(515)) => {
                    last = e.to_string();
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(client::Error::Cme(e)) if matches!(e.code, Some(10) | Some(13)) => {
                    return Err(Error::Sim(e.to_string()));
                }
                Err(e) => return Err(Error::at("AT+CPIN?")(e)),
            }
        }
        Err(Error::Sim(last))
    }

    async fn unlock(&self, pin: Option<&str>) -> Result<(), Error> {
        match self.pin_state().await? {
            PinState::Ready => Ok(()),
            PinState::SimPin => {
                let pin = pin.ok_or(Error::PinRequired)?;
                let set = CpinSet::new(pin).map_err(|e| Error::Config(e.to_string()))?;
                // A rejected PIN is never retried: a few tries lock the SIM.
                self.cmd(&set)
                    .await
                    .map_err(|e| Error::PinRejected(e.to_string()))?;
                for _ in 0..SIM_BUSY_RETRIES {
                    if self.pin_state().await? == PinState::Ready {
                        return Ok(());
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(Error::Sim("SIM not ready after the PIN".into()))
            }
            other => Err(Error::Sim(format!("SIM wants {other:?}"))),
        }
    }

    /// Selects the first usable memory of the model's list for all three `AT+CPMS` parameters,
    /// and finds the other memories received messages may sit in (`AT+CPMS=?`, `<mem1>` list).
    async fn select_storage(&mut self) -> Result<(String, Vec<String>), Error> {
        let mut last = String::new();
        for mem in self.quirks.storage {
            let set = CpmsSet::new(mem, Some(mem), Some(mem))
                .map_err(|e| Error::Config(e.to_string()))?;
            match self.booting(&set).await {
                Ok(_) => {
                    let readable = self
                        .cmd(&CpmsTest)
                        .await
                        .ok()
                        .and_then(|lists| lists.into_iter().next())
                        .unwrap_or_default();
                    let extra: Vec<String> = EXTRA_STORAGE
                        .iter()
                        .filter(|m| **m != *mem && readable.iter().any(|r| r == *m))
                        .map(|m| (*m).to_owned())
                        .collect();
                    self.extra = extra.clone();
                    self.storage = Some((*mem).to_owned());
                    self.mem1 = Some((*mem).to_owned());
                    return Ok(((*mem).to_owned(), extra));
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(Error::Unsupported(format!(
            "use any SMS storage of {:?} (last answer: {last})",
            self.quirks.storage
        )))
    }

    async fn select_cnmi(&self) -> Result<u8, Error> {
        let mut last = String::new();
        for &(mode, mt, bm, ds, bfr) in self.quirks.cnmi {
            match self
                .booting(&Cnmi {
                    mode,
                    mt,
                    bm,
                    ds,
                    bfr,
                })
                .await
            {
                Ok(()) => return Ok(ds),
                Err(e) => last = e.to_string(),
            }
        }
        Err(Error::Unsupported(format!(
            "take any AT+CNMI setting (last answer: {last})"
        )))
    }

    async fn iccid(&self) -> Option<String> {
        for form in self.quirks.ccid {
            if let Ok(id) = self.cmd(&Ccid(*form)).await {
                return Some(id);
            }
        }
        None
    }

    /// Signal, registration (any of CREG, CGREG, CEREG counts) and operator.
    pub async fn health(&self) -> Result<Health, Error> {
        let sq = self.cmd(&Csq).await.map_err(Error::at("AT+CSQ"))?;
        let mut regs: Vec<Registration> = Vec::new();
        if let Ok(r) = self.cmd(&CregRead).await {
            regs.push(r);
        }
        if let Ok(r) = self.cmd(&CgregRead).await {
            regs.push(r);
        }
        if let Ok(r) = self.cmd(&CeregRead).await {
            regs.push(r);
        }
        let operator = self.cmd(&CopsRead).await.ok().and_then(|o| o.oper);
        Ok(Health {
            rssi: sq.rssi,
            signal_dbm: sq.rssi_dbm(),
            // A modem that answers none of the three queries is not held
            // back for it.
            registered: regs.is_empty() || any_registered(&regs),
            operator,
        })
    }

    /// Sends one part: `AT+CMGS`, the prompt, the PDU. Returns TP-MR.
    pub async fn send_pdu(&self, tpdu_len: usize, pdu_hex: &str) -> Result<u8, SendError> {
        let cmd = Cmgs::new(tpdu_len as u16, pdu_hex).map_err(|e| SendError {
            class: CmsClass::Permanent,
            code: None,
            detail: e.to_string(),
        })?;
        self.cmd(&cmd).await.map_err(|e| self.classify(e))
    }

    fn classify(&self, e: client::Error) -> SendError {
        let (class, code) = match &e {
            client::Error::Cms(c) => (super::cms::classify(c, self.quirks.cms_vendor), c.code),
            // The PDU went out and no answer came: it may have been sent.
            client::Error::Timeout {
                payload_sent: true, ..
            }
            | client::Error::ClosedAfterPayload
            | client::Error::Restarted { payload_sent: true } => (CmsClass::OutcomeUnknown, None),
            // Nothing was sent: safe to try again, on this modem or another.
            client::Error::Timeout { .. }
            | client::Error::Closed
            | client::Error::Io(_)
            | client::Error::Restarted { .. } => (CmsClass::DeviceState, None),
            _ => (CmsClass::Temporary, None),
        };
        SendError {
            class,
            code,
            detail: e.to_string(),
        }
    }

    /// Whether new-message indications are still on (`+CNMI` `<mt>` 1 or
    /// 2): a restarted module forgets them. Unknown counts as on.
    pub async fn indications_on(&self) -> bool {
        let Ok(r) = self.client.raw("AT+CNMI?", Duration::from_secs(5)).await else {
            return true;
        };
        let mt = r.lines.iter().find_map(|l| {
            let args = l.strip_prefix("+CNMI:")?;
            args.split(',').nth(1)?.trim().parse::<u8>().ok()
        });
        !matches!(mt, Some(0))
    }

    /// Messages held in the read storage (`AT+CPMS?`); 0 when unknown.
    pub async fn stored_count(&self) -> u32 {
        self.cmd(&CpmsRead)
            .await
            .ok()
            .and_then(|v| v.first().map(|s| s.usage.used))
            .unwrap_or(0)
    }

    /// Lists every message in `<mem1>` as selected now.
    pub async fn list(&self) -> Result<Vec<ListedMessage>, Error> {
        self.cmd(&Cmgl(MessageStat::All))
            .await
            .map_err(Error::at("AT+CMGL=4"))
    }

    /// Reads `index` of `<mem1>` as selected now.
    pub async fn read(&self, index: u32) -> Result<Option<StoredMessage>, Error> {
        self.cmd(&Cmgr(index)).await.map_err(Error::at("AT+CMGR"))
    }

    /// Deletes `index` of `<mem1>` as selected now.
    pub async fn delete(&self, index: u32) -> Result<(), Error> {
        self.cmd(&Cmgd {
            index,
            delflag: None,
        })
        .await
        .map_err(Error::at("AT+CMGD"))
    }

    /// Makes `mem` the memory that read, list and delete use (`AT+CPMS=<mem>,<storage>,<storage>`,
    /// so where messages are received and written stays as init chose). `AT+CMGR=<index>` reads
    /// `<mem1>` whatever memory a `+CMTI`/`+CDSI` named (27.005 §3.2.2, §3.4.1), so a read of
    /// another memory's index must select it first. Returns its usage.
    pub async fn select_read(&mut self, mem: &str) -> Result<Option<MemoryUsage>, Error> {
        let keep = self.storage.clone().unwrap_or_else(|| mem.to_owned());
        let set = CpmsSet::new(mem, Some(&keep), Some(&keep))
            .map_err(|e| Error::Unsupported(format!("read memory {mem:?}: {e}")))?;
        // Unknown until the answer says otherwise: a timeout may or may not have switched.
        self.mem1 = None;
        let usage = self.cmd(&set).await.map_err(Error::at("AT+CPMS"))?;
        self.mem1 = Some(mem.to_owned());
        Ok(usage.into_iter().next())
    }

    /// Selects the configured memory again for reading, after [`Session::select_read`] chose
    /// another. Nothing is sent when it is selected already.
    pub async fn restore_read(&mut self) -> Result<(), Error> {
        let Some(storage) = self.storage.clone() else {
            return Ok(());
        };
        if self.mem1.as_deref() == Some(storage.as_str()) {
            return Ok(());
        }
        self.select_read(&storage).await.map(|_| ())
    }

    /// The memories besides the configured one that may hold received messages.
    pub fn extra_storage(&self) -> &[String] {
        &self.extra
    }

    /// Whether `mem` is the memory read and delete use now.
    pub fn reads_from(&self, mem: &str) -> bool {
        self.mem1
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case(mem))
    }

    /// Acknowledges a directly routed `+CMT` / `+CDS` (needed with
    /// `AT+CSMS=1`; harmless `+CMS ERROR: 340` otherwise).
    pub async fn ack(&self) {
        let _ = self.cmd(&Cnma).await;
    }

    /// Radio off and on (`AT+CFUN=0`, `AT+CFUN=1`).
    pub async fn radio_cycle(&self) -> Result<(), Error> {
        let _ = self.cmd(&CfunSet { fun: 0, rst: None }).await;
        self.cmd(&CfunSet { fun: 1, rst: None })
            .await
            .map_err(Error::at("AT+CFUN=1"))
    }

    /// Module reset (`AT+CFUN=1,1`). USB modems re-enumerate after it.
    pub async fn reset(&self) -> Result<(), Error> {
        self.cmd(&CfunSet {
            fun: 1,
            rst: Some(1),
        })
        .await
        .map_err(Error::at("AT+CFUN=1,1"))
    }
}
