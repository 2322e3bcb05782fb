//! The AT client: an actor that owns a serial stream, runs one command at a
//! time, and publishes unsolicited result codes on a channel.
//!
//! A line belongs to the command in flight when it echoes the command, carries
//! the command's prefix, follows a header that announced trailing lines (the
//! PDU after `+CMGL:`), or, for a command answered with bare text (`+CGMI`),
//! is not a URC. Everything else is a URC, even between the `> ` prompt and
//! the final result code, and goes to the URC channel whole (a `+CMT:` header
//! with its PDU line). URCs are never dropped: they queue inside the actor
//! while the channel is full, up to [`URC_BACKLOG`].
//!
//! The handle's methods are cancel-safe from the caller's side; the actor
//! itself always finishes or times out a command it has started, and on a
//! timeout after the prompt it sends ESC so the modem abandons the half-sent
//! PDU.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use super::command::{AtCommand, CTRL_Z, ESC, PROMPT_TIMEOUT};
use super::framer::{Frame, Framer, FramerQuirks};
use super::parse::ParseError;
use super::result::{CmeError, CmsError, FinalResult};
use super::urc::{self, Urc};

/// URCs held inside the actor while the channel is full; past this the
/// oldest is dropped and counted (a modem flooding URCs must not grow memory
/// without bound).
pub const URC_BACKLOG: usize = 4096;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("serial I/O: {0}")]
    Io(#[from] io::Error),
    /// No final result code in time. `payload_sent` tells whether the PDU
    /// after the prompt was written: then the outcome of a send is unknown.
    #[error("no response within {timeout:?}")]
    Timeout {
        timeout: Duration,
        payload_sent: bool,
    },
    #[error("the modem connection is closed")]
    Closed,
    /// The connection ended after the PDU was written: a send's outcome is
    /// unknown.
    #[error("the modem connection closed after the PDU was written")]
    ClosedAfterPayload,
    /// The modem announced a restart (`RDY`, a power-down URC) while the command ran: it will
    /// never answer. After the PDU was written a send's outcome is unknown.
    #[error("the modem restarted while the command ran")]
    Restarted { payload_sent: bool },
    #[error("{0}")]
    Cme(CmeError),
    #[error("{0}")]
    Cms(CmsError),
    /// Another failing final result code (`ERROR`, `NO CARRIER`, ...).
    #[error("modem answered {0}")]
    Failed(FinalResult),
    #[error("unexpected response: {0}")]
    Parse(#[from] ParseError),
}

/// Lines and final result code of one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub lines: Vec<String>,
    pub result: FinalResult,
}

/// Options for [`Client::spawn`].
#[derive(Debug, Clone)]
pub struct Options {
    pub quirks: FramerQuirks,
    /// Capacity of the URC channel.
    pub urc_capacity: usize,
    /// Caps every command's timeout (each command has its own, up to 60 s
    /// for `AT+CMGS`); for links known to be fast, and tests.
    pub timeout_cap: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            quirks: FramerQuirks::NONE,
            urc_capacity: 64,
            timeout_cap: None,
        }
    }
}

/// Handle to a running client; cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    tx: mpsc::Sender<Request>,
    timeout_cap: Option<Duration>,
}

/// How the actor attributes trailing lines: a copy of what the command
/// knows, so the actor needs no generic command type.
type TrailingFn = Box<dyn Fn(&str) -> usize + Send>;

struct Request {
    line: Vec<u8>,
    /// Lines with this prefix belong to the response even when they look
    /// like a URC (`+CREG:` answering `AT+CREG?`).
    prefix: Option<Cow<'static, str>>,
    /// Lines that are not URCs belong to the response too (commands that
    /// answer with bare text, and raw commands).
    take_other: bool,
    trailing: TrailingFn,
    timeout: Duration,
    payload: Option<Vec<u8>>,
    reply: oneshot::Sender<Result<Response, Error>>,
}

impl Client {
    /// Starts the actor on `stream`. Returns the handle, the URC receiver and
    /// the task, which ends when the stream closes or every handle is gone.
    pub fn spawn<S>(stream: S, opts: Options) -> (Client, mpsc::Receiver<Urc>, JoinHandle<()>)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(8);
        let timeout_cap = opts.timeout_cap;
        let (urc_tx, urc_rx) = mpsc::channel(opts.urc_capacity.max(1));
        let actor = Actor {
            framer: Framer::with_quirks(opts.quirks),
            requests: rx,
            urc_tx,
            backlog: VecDeque::new(),
            dropped_urcs: 0,
            urc_partial: None,
            current: None,
        };
        let task = tokio::spawn(actor.run(stream));
        (Client { tx, timeout_cap }, urc_rx, task)
    }

    /// Runs a typed command and parses its response.
    pub async fn send<C>(&self, cmd: &C) -> Result<C::Response, Error>
    where
        C: AtCommand + Clone + Send + 'static,
    {
        let mut line = Vec::new();
        cmd.write(&mut line);
        let payload = cmd.uses_prompt().then(|| {
            let mut p = Vec::new();
            cmd.write_payload(&mut p);
            p
        });
        let lines = self
            .request(Request {
                line,
                prefix: cmd.prefix().map(Cow::Borrowed),
                take_other: cmd.prefix().is_none(),
                trailing: {
                    let c = cmd.clone();
                    Box::new(move |line: &str| c.trailing_lines(line))
                },
                timeout: cmd.timeout(),
                payload,
                reply: oneshot::channel().0,
            })
            .await?;
        Ok(cmd.parse(&lines.lines)?)
    }

    /// Runs a raw command line (without the trailing CR) and returns every
    /// line that is not a URC. For `smsgate modem at`.
    pub async fn raw(&self, command: &str, timeout: Duration) -> Result<Response, Error> {
        let mut line = command.as_bytes().to_vec();
        line.push(b'\r');
        // `AT+CSQ` and `AT+CSQ=?` answer with `+CSQ:` lines.
        let prefix = command
            .get(2..)
            .filter(|rest| rest.starts_with(['+', '^', '$', '#']))
            .map(|rest| {
                let end = rest.find(['=', '?']).unwrap_or(rest.len());
                Cow::Owned(format!("{}:", &rest[..end]))
            });
        self.request(Request {
            line,
            prefix,
            take_other: true,
            trailing: Box::new(|_| 0),
            timeout,
            payload: None,
            reply: oneshot::channel().0,
        })
        .await
    }

    async fn request(&self, mut req: Request) -> Result<Response, Error> {
        let (reply, rx) = oneshot::channel();
        req.reply = reply;
        if let Some(cap) = self.timeout_cap {
            req.timeout = req.timeout.min(cap);
        }
        self.tx.send(req).await.map_err(|_| Error::Closed)?;
        let resp = rx.await.map_err(|_| Error::Closed)??;
        match &resp.result {
            r if r.is_success() => Ok(resp),
            FinalResult::CmeError(e) => Err(Error::Cme(e.clone())),
            FinalResult::CmsError(e) => Err(Error::Cms(e.clone())),
            r => Err(Error::Failed(r.clone())),
        }
    }

    /// True while the actor runs.
    pub fn is_open(&self) -> bool {
        !self.tx.is_closed()
    }
}

struct InFlight {
    req: Request,
    echo: String,
    deadline: Instant,
    /// The timeout the deadline stands for (the prompt's, then the command's).
    waiting: Duration,
    lines: Vec<String>,
    /// Lines still owed to a response header.
    trailing: usize,
    payload_sent: bool,
}

/// A URC header waiting for its trailing lines.
struct PartialUrc {
    header: String,
    needed: usize,
    lines: Vec<String>,
}

struct Actor {
    framer: Framer,
    requests: mpsc::Receiver<Request>,
    urc_tx: mpsc::Sender<Urc>,
    backlog: VecDeque<Urc>,
    dropped_urcs: u64,
    urc_partial: Option<PartialUrc>,
    current: Option<InFlight>,
}

enum Step<'a> {
    Read(io::Result<usize>),
    Request(Option<Request>),
    Timeout,
    Deliver(Option<mpsc::Permit<'a, Urc>>),
}

impl Actor {
    async fn run<S: AsyncRead + AsyncWrite + Send + 'static>(mut self, stream: S) {
        let (mut rd, mut wr) = tokio::io::split(stream);
        let mut buf = vec![0u8; 1024];
        let urc_tx = self.urc_tx.clone();
        loop {
            let deadline = self.current.as_ref().map(|c| c.deadline);
            let step = tokio::select! {
                biased;
                n = rd.read(&mut buf) => Step::Read(n),
                permit = urc_tx.reserve(), if !self.backlog.is_empty() => Step::Deliver(permit.ok()),
                _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => Step::Timeout,
                req = self.requests.recv(), if self.current.is_none() => Step::Request(req),
            };
            match step {
                Step::Read(Ok(0)) | Step::Read(Err(_)) => {
                    if let Some(c) = self.current.take() {
                        let e = if c.payload_sent {
                            Error::ClosedAfterPayload
                        } else {
                            Error::Closed
                        };
                        let _ = c.req.reply.send(Err(e));
                    }
                    self.flush_backlog().await;
                    return;
                }
                Step::Read(Ok(n)) => {
                    self.framer.push(buf.get(..n).unwrap_or(&buf));
                    while let Some(frame) = self.framer.next_frame() {
                        if let Err(e) = self.on_frame(frame, &mut wr).await {
                            tracing::warn!(error = %e, "writing to the modem failed");
                            if let Some(c) = self.current.take() {
                                let _ = c.req.reply.send(Err(Error::Io(e)));
                            }
                        }
                    }
                }
                Step::Request(None) => {
                    // Every handle is gone: hand over the URCs already read.
                    self.flush_backlog().await;
                    return;
                }
                Step::Request(Some(req)) => self.start(req, &mut wr).await,
                Step::Timeout => {
                    if let Some(c) = self.current.take() {
                        if c.req.payload.is_some() {
                            // Abandon a PDU the modem may still be waiting for.
                            let _ = wr.write_all(&[ESC]).await;
                            let _ = wr.flush().await;
                        }
                        let _ = c.req.reply.send(Err(Error::Timeout {
                            timeout: c.waiting,
                            payload_sent: c.payload_sent,
                        }));
                    }
                }
                Step::Deliver(Some(permit)) => {
                    if let Some(u) = self.backlog.pop_front() {
                        permit.send(u);
                    }
                }
                Step::Deliver(None) => self.backlog.clear(),
            }
        }
    }

    async fn start<W: AsyncWrite + Unpin>(&mut self, req: Request, wr: &mut W) {
        let echo = String::from_utf8_lossy(&req.line).trim().to_owned();
        let written = async {
            wr.write_all(&req.line).await?;
            wr.flush().await
        }
        .await;
        if let Err(e) = written {
            let _ = req.reply.send(Err(Error::Io(e)));
            return;
        }
        // A command that waits for the prompt gets the short prompt timeout
        // first; its own (long) one starts once the payload is written.
        let first = if req.payload.is_some() {
            req.timeout.min(PROMPT_TIMEOUT)
        } else {
            req.timeout
        };
        self.current = Some(InFlight {
            deadline: Instant::now() + first,
            waiting: first,
            req,
            echo,
            lines: Vec::new(),
            trailing: 0,
            payload_sent: false,
        });
    }

    async fn on_frame<W: AsyncWrite + Unpin>(
        &mut self,
        frame: Frame,
        wr: &mut W,
    ) -> io::Result<()> {
        match frame {
            Frame::Line(line) => self.on_line(line),
            Frame::Overflow => tracing::warn!("over-long line from the modem dropped"),
            Frame::Prompt => {
                if let Some(c) = self.current.as_mut()
                    && let (Some(p), false) = (&c.req.payload, c.payload_sent)
                {
                    wr.write_all(p).await?;
                    if p.last() != Some(&CTRL_Z) {
                        wr.write_all(&[CTRL_Z]).await?;
                    }
                    wr.flush().await?;
                    c.payload_sent = true;
                    // From here the command's own timeout runs (for AT+CMGS the network round
                    // trip, up to a minute), not the short prompt timeout it started with.
                    c.deadline = Instant::now() + c.req.timeout;
                    c.waiting = c.req.timeout;
                }
            }
            Frame::Final(result) => match self.current.take() {
                Some(c) => {
                    let _ = c.req.reply.send(Ok(Response {
                        lines: c.lines,
                        result,
                    }));
                }
                None => tracing::debug!(%result, "final result with no command in flight"),
            },
        }
        Ok(())
    }

    fn on_line(&mut self, line: String) {
        // A URC header collecting its PDU line takes the next line first,
        // whatever else is going on.
        if let Some(mut p) = self.urc_partial.take() {
            p.lines.push(line);
            if p.lines.len() >= p.needed {
                self.publish(&p.header, &p.lines);
            } else {
                self.urc_partial = Some(p);
            }
            return;
        }
        if let Some(c) = self.current.as_mut() {
            if c.trailing > 0 {
                c.trailing -= 1;
                c.lines.push(line);
                return;
            }
            if line == c.echo || is_payload_echo(&line, c.req.payload.as_deref()) {
                return;
            }
            let owned = c.req.prefix.as_deref().is_some_and(|p| line.starts_with(p));
            if owned || (c.req.take_other && urc::classify(&line).is_none()) {
                c.trailing = (c.req.trailing)(&line);
                c.lines.push(line);
                return;
            }
        }
        match urc::classify(&line) {
            Some(h) if h.trailing_lines > 0 => {
                self.urc_partial = Some(PartialUrc {
                    header: line,
                    needed: h.trailing_lines,
                    lines: Vec::new(),
                })
            }
            _ => self.publish(&line, &[]),
        }
    }

    fn publish(&mut self, header: &str, trailing: &[String]) {
        let urc = urc::parse(header, trailing).unwrap_or_else(|e| {
            tracing::debug!(error = %e, header, "unparsed URC");
            Urc::Other(header.to_owned())
        });
        // A restarted module has forgotten the command in flight: end it now rather than
        // at its timeout (up to a minute for a send).
        if urc.signals_reset()
            && let Some(c) = self.current.take()
        {
            let _ = c.req.reply.send(Err(Error::Restarted {
                payload_sent: c.payload_sent,
            }));
        }
        match self.urc_tx.try_send(urc) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(u)) => {
                if self.backlog.len() >= URC_BACKLOG {
                    self.backlog.pop_front();
                    self.dropped_urcs += 1;
                    tracing::error!(
                        dropped = self.dropped_urcs,
                        "URC backlog full: oldest URC dropped"
                    );
                }
                self.backlog.push_back(u);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    async fn flush_backlog(&mut self) {
        while let Some(u) = self.backlog.pop_front() {
            if self.urc_tx.send(u).await.is_err() {
                break;
            }
        }
    }
}

/// Some modems echo the PDU written after the prompt.
fn is_payload_echo(line: &str, payload: Option<&[u8]>) -> bool {
    let Some(p) = payload else { return false };
    let echoed = line.trim_matches(|c: char| c.is_control() || c == '>' || c == ' ');
    !echoed.is_empty() && p.len() >= echoed.len() && p.starts_with(echoed.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::at::command::{CMGS_TIMEOUT, Cmgl, Cmgs, Csq, MessageStat};
    use tokio::io::{DuplexStream, duplex};

    /// The far end of the duplex, driven by the test as the modem.
    struct Modem(DuplexStream);

    impl Modem {
        /// Reads until `want` has been written by the client.
        async fn expect(&mut self, want: &[u8]) {
            let mut got = Vec::new();
            let mut b = [0u8; 256];
            while !got.ends_with(want) {
                let n = self.0.read(&mut b).await.unwrap();
                assert!(
                    n > 0,
                    "client closed; got {:?}",
                    String::from_utf8_lossy(&got)
                );
                got.extend_from_slice(&b[..n]);
            }
        }

        async fn say(&mut self, s: &str) {
            self.0.write_all(s.as_bytes()).await.unwrap();
        }
    }

    fn start() -> (Client, mpsc::Receiver<Urc>, Modem) {
        let (a, b) = duplex(4096);
        let (c, urcs, _task) = Client::spawn(a, Options::default());
        (c, urcs, Modem(b))
    }

    const PDU: &str = "0001000B915121551532F400000CC8329BFD065DDF72363904";

    // Every test runs on tokio's paused clock. The "modem" is an in-memory duplex driven by the
    // test, so the clock moves only when every task waits with nothing left to do: a command's
    // timeout can then fire only where the test means it to, never because a loaded machine
    // was slow to run the test's side of the exchange.

    #[tokio::test(start_paused = true)]
    async fn info_line_and_ok_with_echo() {
        let (c, _urcs, mut m) = start();
        let q = tokio::spawn(async move { c.send(&Csq).await });
        m.expect(b"AT+CSQ\r").await;
        m.say("AT+CSQ\r\r\n+CSQ: 21,99\r\n\r\nOK\r\n").await;
        let sq = q.await.unwrap().unwrap();
        assert_eq!(sq.rssi, Some(21));
    }

    #[tokio::test(start_paused = true)]
    async fn urc_inside_a_list_goes_to_the_channel() {
        let (c, mut urcs, mut m) = start();
        let q = tokio::spawn(async move { c.send(&Cmgl(MessageStat::All)).await });
        m.expect(b"AT+CMGL=4\r").await;
        m.say(&format!(
            "\r\n+CMGL: 1,1,,25\r\n{PDU}\r\n+CMTI: \"SM\",3\r\n+CMGL: 2,1,,25\r\n{PDU}\r\n\r\nOK\r\n"
        ))
        .await;
        let list = q.await.unwrap().unwrap();
        assert_eq!(list.iter().map(|l| l.index).collect::<Vec<_>>(), vec![1, 2]);
        let u = urcs.recv().await.unwrap();
        assert!(matches!(u, Urc::Cmti { index: 3, .. }), "{u:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn urcs_between_prompt_and_final_are_not_the_response() {
        let (c, mut urcs, mut m) = start();
        let cmd = Cmgs::new(24, PDU).unwrap();
        let q = tokio::spawn(async move { c.send(&cmd).await });
        m.expect(b"AT+CMGS=24\r").await;
        m.say("\r\n> ").await;
        m.expect(format!("{PDU}\x1a").as_bytes()).await;
        m.say(&format!(
            "\r\n+CMTI: \"SM\",7\r\n+CMT: ,25\r\n{PDU}\r\n+CMGS: 42\r\n\r\nOK\r\n"
        ))
        .await;
        assert_eq!(q.await.unwrap().unwrap(), 42);
        assert!(matches!(
            urcs.recv().await.unwrap(),
            Urc::Cmti { index: 7, .. }
        ));
        match urcs.recv().await.unwrap() {
            Urc::Cmt { pdu, .. } => assert_eq!(pdu, PDU),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_restart_ends_the_command_in_flight_at_once() {
        let (c, mut urcs, mut m) = start();
        let cmd = Cmgs::new(24, PDU).unwrap();
        let c2 = c.clone();
        let q = tokio::spawn(async move { c2.send(&cmd).await });
        m.expect(b"AT+CMGS=24\r").await;
        m.say("\r\n> ").await;
        m.expect(b"\x1a").await;
        m.say("\r\nRDY\r\n").await;
        match q.await.unwrap() {
            Err(Error::Restarted { payload_sent: true }) => {}
            other => panic!("{other:?}"),
        }
        assert!(matches!(urcs.recv().await.unwrap(), Urc::Rdy));
        // The next command runs as usual.
        let q = tokio::spawn(async move { c.send(&Csq).await });
        m.expect(b"AT+CSQ\r").await;
        m.say("\r\n+CSQ: 21,99\r\n\r\nOK\r\n").await;
        assert_eq!(q.await.unwrap().unwrap().rssi, Some(21));
    }

    #[tokio::test(start_paused = true)]
    async fn cms_error_is_typed() {
        let (c, _urcs, mut m) = start();
        let cmd = Cmgs::new(24, PDU).unwrap();
        let q = tokio::spawn(async move { c.send(&cmd).await });
        m.expect(b"AT+CMGS=24\r").await;
        m.say("\r\n> ").await;
        m.expect(b"\x1a").await;
        m.say("\r\n+CMS ERROR: 500\r\n").await;
        match q.await.unwrap() {
            Err(Error::Cms(e)) => assert_eq!(e.code, Some(500)),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn silence_times_out_and_the_next_command_still_works() {
        let (c, _urcs, mut m) = start();
        let c2 = c.clone();
        let q = tokio::spawn(async move { c2.send(&Csq).await });
        m.expect(b"AT+CSQ\r").await;
        match q.await.unwrap() {
            Err(Error::Timeout { payload_sent, .. }) => assert!(!payload_sent),
            other => panic!("{other:?}"),
        }
        // A late OK for the timed-out command is not taken for the next one.
        m.say("\r\nOK\r\n").await;
        let q = tokio::spawn(async move { c.send(&Csq).await });
        m.expect(b"AT+CSQ\r").await;
        m.say("\r\n+CSQ: 10,0\r\n\r\nOK\r\n").await;
        assert_eq!(q.await.unwrap().unwrap().rssi, Some(10));
    }

    #[tokio::test(start_paused = true)]
    async fn timeout_after_the_pdu_sends_esc_and_reports_unknown_outcome() {
        let (c, _urcs, mut m) = start();
        let cmd = Cmgs::new(24, PDU).unwrap();
        let q = tokio::spawn(async move { c.send(&cmd).await });
        m.expect(b"AT+CMGS=24\r").await;
        m.say("\r\n> ").await;
        m.expect(b"\x1a").await;
        // The modem never answers; the client gives up and abandons the PDU.
        m.expect(b"\x1b").await;
        match q.await.unwrap() {
            Err(Error::Timeout {
                payload_sent,
                timeout,
            }) => {
                assert!(payload_sent);
                assert_eq!(timeout, CMGS_TIMEOUT);
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_pdu_the_network_gets_the_long_timeout_not_the_prompts() {
        let (c, _urcs, mut m) = start();
        let cmd = Cmgs::new(24, PDU).unwrap();
        let q = tokio::spawn(async move { c.send(&cmd).await });
        m.expect(b"AT+CMGS=24\r").await;
        m.say("\r\n> ").await;
        let prompted = tokio::time::Instant::now();
        m.expect(b"\x1a").await;
        // The network answers after twice the prompt timeout: still in time.
        tokio::time::sleep(PROMPT_TIMEOUT * 2).await;
        m.say("\r\n+CMGS: 7\r\n\r\nOK\r\n").await;
        assert_eq!(q.await.unwrap().unwrap(), 7);
        assert_eq!(prompted.elapsed(), PROMPT_TIMEOUT * 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_missing_prompt_times_out_after_the_prompt_timeout_with_nothing_sent() {
        let (c, _urcs, mut m) = start();
        let cmd = Cmgs::new(24, PDU).unwrap();
        let started = tokio::time::Instant::now();
        let q = tokio::spawn(async move { c.send(&cmd).await });
        m.expect(b"AT+CMGS=24\r").await;
        // No prompt ever comes: the client gives up on the prompt, not after
        // the minute AT+CMGS may take once the PDU is written.
        match q.await.unwrap() {
            Err(Error::Timeout {
                payload_sent,
                timeout,
            }) => {
                assert!(!payload_sent, "nothing was sent");
                assert_eq!(timeout, PROMPT_TIMEOUT);
            }
            other => panic!("{other:?}"),
        }
        // On the paused clock, time only moves to the next timer: the prompt's.
        assert_eq!(started.elapsed(), PROMPT_TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn urcs_without_a_command() {
        let (_c, mut urcs, mut m) = start();
        m.say("\r\nRING\r\n\r\n+CMTI: \"ME\",2\r\n+CDS: 25\r\n07914356060013F1065A098136397339F7219011700463802190117004638030\r\n").await;
        assert!(matches!(urcs.recv().await.unwrap(), Urc::Ring));
        assert!(matches!(
            urcs.recv().await.unwrap(),
            Urc::Cmti { index: 2, .. }
        ));
        assert!(matches!(urcs.recv().await.unwrap(), Urc::Cds { .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_channel_loses_no_urc() {
        let (a, b) = duplex(1 << 16);
        let (c, mut urcs, _task) = Client::spawn(
            a,
            Options {
                urc_capacity: 1,
                ..Options::default()
            },
        );
        let mut m = Modem(b);
        let mut burst = String::new();
        for i in 0..200 {
            burst.push_str(&format!("\r\n+CMTI: \"SM\",{i}\r\n"));
        }
        m.say(&burst).await;
        // A command still completes while URCs queue up behind it.
        let q = tokio::spawn(async move { c.send(&Csq).await });
        m.expect(b"AT+CSQ\r").await;
        m.say("\r\n+CSQ: 5,0\r\n\r\nOK\r\n").await;
        assert!(q.await.unwrap().is_ok());
        for i in 0..200 {
            match urcs.recv().await.unwrap() {
                Urc::Cmti { index, .. } => assert_eq!(index, i),
                other => panic!("{other:?}"),
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn eof_fails_the_command_in_flight() {
        let (c, _urcs, mut m) = start();
        let q = tokio::spawn(async move { c.send(&Csq).await });
        m.expect(b"AT+CSQ\r").await;
        drop(m);
        assert!(matches!(q.await.unwrap(), Err(Error::Closed)));
    }
}
