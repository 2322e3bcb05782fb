//! The pure, incremental AT framer: bytes from the port in, [`Frame`]s out.
//!
//! The framer only splits and classifies; it never decides what a line means to the command in
//! flight. An echoed command, an information response, a URC and the PDU line after a `+CMT:` or
//! `+CMGL:` header are all [`Frame::Line`]; the client matches them against the command's prefix
//! and [`crate::at::urc::classify`] (`docs/architecture.md`, "Layers").
//!
//! What it tolerates, each seen on a real device
//! (`docs/hardware/wire-format.md#framing-and-result-codes`):
//! - echo on or off (`AT+CGMM\r\r\n`, GAMMU `tests/at-model/06.dump`); the echo is a line;
//! - `\r\r\n` (Huawei E1752 `AT+CLAC`, Huawei `^MODE`, FactbirdHQ/atat#191), bare `\r`, bare
//!   `\n` (GAMMU accepts `OK\r` and `OK\n`) and empty lines, which are skipped;
//! - leading spaces (Wavecom ` MULTIBAND  900E  1800 `) and other control bytes such as an
//!   echoed ESC or Ctrl-Z, which are dropped; NUL bytes anywhere (MM "Skip NUL bytes");
//! - garbage and non-UTF-8 bytes, decoded lossily, never a panic;
//! - the SMS prompt as `\r\n> ` (Telit LE910 manual), a bare `>\r\n` (SIMCom SIM7670G,
//!   gammu/gammu PR #1177) or a `>` that is the last byte received (warthog618/modem
//!   `at/at.go:800`): a `>` at the start of a line is always the prompt;
//! - any chunking, down to one byte at a time: the frames are the same (tested on every vector).
//!
//! Memory is bounded: the buffer never holds more than [`MAX_LINE`] bytes. A line that reaches
//! that length without a line end is dropped and reported once as [`Frame::Overflow`].

use std::collections::VecDeque;

use nom::branch::alt;
use nom::bytes::{complete, streaming};
use nom::combinator::value;
use nom::sequence::terminated;
use nom::{IResult, Parser};

use crate::at::result::FinalResult;

/// The longest line the framer keeps, in bytes. The longest legitimate line is a `+CMGL`/`+CMGR`
/// PDU line: at most 176 octets (a 164-octet TPDU plus a 12-octet SMSC address), 352 hex
/// digits. 4 KiB leaves room for long `+COPS=?` or `+CLAC`-style answers.
pub const MAX_LINE: usize = 4096;

/// One unit of modem output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A non-empty line that is not a final result code: an information response, a URC, the
    /// echo of a command, or a PDU. Trimmed, control bytes removed, decoded lossily.
    Line(String),
    /// The SMS prompt (`> `) that asks for the PDU after `AT+CMGS=<n>` (27.005 §3.5.1).
    Prompt,
    /// A final result code ending the current command.
    Final(FinalResult),
    /// A line longer than [`MAX_LINE`] was dropped.
    Overflow,
}

/// Per-model framing quirks: extra strings that end a command. These come from the modem's
/// quirks table (`modem::quirks`, quirks as data); the framer knows no model names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FramerQuirks {
    /// Lines that end a command successfully, compared after trimming.
    pub extra_success: &'static [&'static str],
    /// Lines that end a command with an error, compared after trimming.
    pub extra_error: &'static [&'static str],
}

impl FramerQuirks {
    /// No quirks: the standard result codes only.
    pub const NONE: FramerQuirks = FramerQuirks {
        extra_success: &[],
        extra_error: &[],
    };

    /// Samsung Z810: replies `NA` ("not available") as an error (MM `mm-serial-parsers.c`).
    pub const SAMSUNG_Z810: FramerQuirks = FramerQuirks {
        extra_success: &[],
        extra_error: &["NA"],
    };

    fn classify(&self, line: &str) -> Option<FinalResult> {
        let custom = |success: bool| FinalResult::Custom {
            text: line.to_owned(),
            success,
        };
        if self.extra_success.contains(&line) {
            Some(custom(true))
        } else if self.extra_error.contains(&line) {
            Some(custom(false))
        } else {
            None
        }
    }
}

/// The incremental framer. Feed it with [`Framer::push`], take frames with
/// [`Framer::next_frame`] (or iterate with [`Framer::frames`]).
#[derive(Debug, Clone, Default)]
pub struct Framer {
    /// Bytes of the line being received (NULs already removed); never more than [`MAX_LINE`].
    buf: Vec<u8>,
    /// Set after [`Frame::Overflow`]: drop bytes until the next line end.
    discarding: bool,
    /// Frames recognised but not yet taken.
    ready: VecDeque<Frame>,
    quirks: FramerQuirks,
}

/// A token at the start of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    /// Line ends, spaces and tabs before a line: skipped. This is how `\r\r\n`, bare `\r`/`\n`,
    /// empty lines and leading spaces are all handled.
    Blank,
    /// `>` at the start of a line.
    Prompt,
    /// A complete line without its terminator.
    Line(&'a [u8]),
}

fn is_eol(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

fn is_blank(b: u8) -> bool {
    is_eol(b) || b == b' ' || b == b'\t'
}

/// The next token. Streaming: a line without its terminator is `Incomplete`, and so is an empty
/// input; blanks are taken greedily (more blanks arriving later are simply another token).
fn token(input: &[u8]) -> IResult<&[u8], Token<'_>> {
    alt((
        value(Token::Blank, complete::take_while1(is_blank)),
        value(Token::Prompt, streaming::tag(&b">"[..])),
        // One terminator byte is enough: the rest of `\r\n` or `\r\r\n` is a Blank.
        terminated(streaming::take_till1(is_eol), streaming::take(1usize)).map(Token::Line),
    ))
    .parse(input)
}

/// Turn a raw line into text: control bytes (echoed ESC or Ctrl-Z, stray C0 codes) removed,
/// invalid UTF-8 replaced, whitespace trimmed.
fn clean(raw: &[u8]) -> String {
    let kept: Vec<u8> = raw
        .iter()
        .copied()
        .filter(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
        .collect();
    String::from_utf8_lossy(&kept).trim().to_owned()
}

impl Framer {
    /// A framer with no quirks.
    pub fn new() -> Framer {
        Framer::default()
    }

    /// A framer that also recognises the model's extra final result strings.
    pub fn with_quirks(quirks: FramerQuirks) -> Framer {
        Framer {
            quirks,
            ..Framer::default()
        }
    }

    /// Append bytes read from the port. Complete frames become available from
    /// [`Framer::next_frame`]; an incomplete line stays buffered (at most [`MAX_LINE`] bytes).
    pub fn push(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            // `buf.len() < MAX_LINE` holds after every `pump`, so there is always room, and
            // appending at most `room` bytes keeps `buf.len() <= MAX_LINE`.
            let room = MAX_LINE.saturating_sub(self.buf.len()).max(1);
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.buf.extend(now.iter().copied().filter(|&b| b != 0));
            self.pump();
            rest = later;
        }
    }

    /// The next complete frame, if any.
    pub fn next_frame(&mut self) -> Option<Frame> {
        self.ready.pop_front()
    }

    /// Drain the complete frames.
    pub fn frames(&mut self) -> impl Iterator<Item = Frame> + '_ {
        std::iter::from_fn(move || self.next_frame())
    }

    /// Bytes buffered for an incomplete line (never more than [`MAX_LINE`]).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Forget any partial line, e.g. after the port was reopened or after writing ESC to leave a
    /// half-finished prompt (`docs/hardware/at-commands.md#init-sequence`). Frames already
    /// recognised are kept.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.discarding = false;
    }

    /// Move every complete frame from `buf` to `ready`.
    fn pump(&mut self) {
        let mut consumed = 0;
        loop {
            let input = self.buf.get(consumed..).unwrap_or_default();
            if input.is_empty() {
                break;
            }
            if self.discarding {
                match input.iter().position(|&b| is_eol(b)) {
                    Some(end) => {
                        consumed += end + 1;
                        self.discarding = false;
                        continue;
                    }
                    None => {
                        consumed = self.buf.len();
                        break;
                    }
                }
            }
            match token(input) {
                Ok((remaining, tok)) => {
                    let used = input.len().saturating_sub(remaining.len());
                    let frame = match tok {
                        Token::Blank => None,
                        Token::Prompt => Some(Frame::Prompt),
                        Token::Line(raw) => self.line(raw),
                    };
                    self.ready.extend(frame);
                    // Every token consumes at least one byte, so the loop terminates.
                    consumed += used.max(1);
                }
                Err(nom::Err::Incomplete(_)) => {
                    // A line start with no line end yet. Only a line that fills the whole
                    // buffer is too long; otherwise wait for more bytes.
                    if input.len() >= MAX_LINE {
                        self.ready.push_back(Frame::Overflow);
                        self.discarding = true;
                        consumed = self.buf.len();
                    }
                    break;
                }
                // Unreachable with the parsers above (the last alternative accepts any byte that
                // is not a line end, and line ends are Blank), but skipping a byte is a safe way
                // to make progress if it ever happened.
                Err(_) => consumed += 1,
            }
        }
        self.buf.drain(..consumed.min(self.buf.len()));
    }

    fn line(&self, raw: &[u8]) -> Option<Frame> {
        let text = clean(raw);
        if text.is_empty() {
            return None;
        }
        let result = FinalResult::parse(&text).or_else(|| self.quirks.classify(&text));
        Some(match result {
            Some(result) => Frame::Final(result),
            None => Frame::Line(text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::at::result::{CmeError, CmsError};
    use proptest::prelude::*;

    fn line(s: &str) -> Frame {
        Frame::Line(s.to_owned())
    }

    fn ok() -> Frame {
        Frame::Final(FinalResult::Ok)
    }

    fn cme(code: Option<u16>, text: Option<&str>) -> Frame {
        Frame::Final(FinalResult::CmeError(CmeError {
            code,
            text: text.map(str::to_owned),
        }))
    }

    fn cms(code: Option<u16>, text: Option<&str>) -> Frame {
        Frame::Final(FinalResult::CmsError(CmsError {
            code,
            text: text.map(str::to_owned),
        }))
    }

    fn run(quirks: FramerQuirks, chunks: impl Iterator<Item = Vec<u8>>) -> Vec<Frame> {
        let mut framer = Framer::with_quirks(quirks);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(&chunk);
            assert!(framer.buffered() <= MAX_LINE);
            out.extend(framer.frames());
        }
        out
    }

    /// Feed `input` whole, one byte at a time, and in a few other chunkings; every way must
    /// give `want`.
    fn check(name: &str, quirks: FramerQuirks, input: &[u8], want: &[Frame]) {
        let whole = run(quirks, std::iter::once(input.to_vec()));
        assert_eq!(whole, want, "{name}: whole");
        let bytewise = run(quirks, input.iter().map(|&b| vec![b]));
        assert_eq!(bytewise, want, "{name}: byte at a time");
        for size in [2, 3, 7] {
            let chunked = run(quirks, input.chunks(size).map(<[u8]>::to_vec));
            assert_eq!(chunked, want, "{name}: chunks of {size}");
        }
    }

    #[test]
    fn vectors() {
        let cmgl_pdu =
            "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07";
        let cmgl_generic = format!(
            "\r\n+CMGL: 0,1,,147\r\n{cmgl_pdu}\r\n+CMGL: 1,1,,147\r\n{cmgl_pdu}\r\n\r\nOK\r\n"
        )
        .into_bytes();
        let cmgl_pantech =
            format!("\r\n+CMGL: 17,3,35\r\n{cmgl_pdu}\r\n\r\n+CREG: 5\r\n\r\nOK\r\n").into_bytes();
        let cmgr_telit =
            format!("\r\n+CMGR: 0,\"\",50\r\n\r\n{cmgl_pdu}\r\n\r\nOK\r\n").into_bytes();
        let cases: Vec<(&str, &[u8], Vec<Frame>)> = vec![
            ("Quectel EC25 echo off: OK", b"\r\nOK\r\n", vec![ok()]),
            (
                "SIMCom SIM800 echo on: AT echoed",
                b"AT\r\r\nOK\r\n",
                vec![line("AT"), ok()],
            ),
            (
                "GAMMU at-model/06 echo with doubled CR",
                b"AT+CGMM\r\r\nE173\r\n\r\nOK\r\n",
                vec![line("AT+CGMM"), line("E173"), ok()],
            ),
            (
                "Wavecom +CGMM with surrounding spaces",
                b"\r\n MULTIBAND  900E  1800 \r\n\r\nOK\r\n",
                vec![line("MULTIBAND  900E  1800"), ok()],
            ),
            (
                "Huawei E1752 AT+CLAC with \\r\\r\\n",
                b"\r\nAT+CGMI\r\r\nAT+CGMM\r\r\n\r\nOK\r\n",
                vec![line("AT+CGMI"), line("AT+CGMM"), ok()],
            ),
            (
                "Huawei ^MODE with \\r\\r\\n",
                b"\r\r\n^MODE:3,3\r\r\n",
                vec![line("^MODE:3,3")],
            ),
            (
                "atat#191 RING with \\r\\r\\n",
                b"\r\r\nRING\r\r\n",
                vec![line("RING")],
            ),
            (
                "GAMMU bare CR line ends",
                b"\rOK\r",
                vec![ok()],
            ),
            (
                "GAMMU bare LF line ends",
                b"\n+CSQ: 20,99\n\nOK\n",
                vec![line("+CSQ: 20,99"), ok()],
            ),
            (
                "MM garbage before CRLF",
                b"\xff\xfe\x80\r\nOK\r\n",
                vec![line("\u{fffd}\u{fffd}\u{fffd}"), ok()],
            ),
            (
                "MM NUL bytes leading the response",
                b"\0\0\0\r\nOK\r\n",
                vec![ok()],
            ),
            (
                "NUL bytes inside a line",
                b"\r\nO\0K\r\n\0",
                vec![ok()],
            ),
            (
                "GAMMU leading ESC ignored",
                b"\x1b\r\nOK\r\n",
                vec![ok()],
            ),
            (
                "Telit LE910 prompt CR LF > space",
                b"\r\n> ",
                vec![Frame::Prompt],
            ),
            (
                "SIMCom SIM7670G bare > then CRLF (gammu PR #1177)",
                b"\r\n>\r\n",
                vec![Frame::Prompt],
            ),
            (
                "warthog618 prompt with no CR as the last byte",
                b"\r\n>",
                vec![Frame::Prompt],
            ),
            (
                "warthog618 prompt followed by several spaces",
                b"\r\n>   ",
                vec![Frame::Prompt],
            ),
            (
                "GAMMU gammu#438 CMGS echo then prompt",
                b"AT+CMGS=18\r\r\n> ",
                vec![line("AT+CMGS=18"), Frame::Prompt],
            ),
            (
                "morgverd buffer.rs OK glued to prompt",
                b"OK\r\n> ",
                vec![ok(), Frame::Prompt],
            ),
            (
                "Quectel EC25 full CMGS exchange, echo off",
                b"\r\n> \r\n+CMGS: 23\r\n\r\nOK\r\n",
                vec![Frame::Prompt, line("+CMGS: 23"), ok()],
            ),
            (
                "SIMCom SIM7600 CMGS with URC between prompt and final",
                b"\r\n> \r\n+CMTI: \"SM\",3\r\n\r\n+CMGS: 24\r\n\r\nOK\r\n",
                vec![
                    Frame::Prompt,
                    line("+CMTI: \"SM\",3"),
                    line("+CMGS: 24"),
                    ok(),
                ],
            ),
            (
                "Quectel EC25 PDU echoed after the prompt, Ctrl-Z dropped",
                b"\r\n> 0011000B911326\x1a\r\n+CMGS: 5\r\n\r\nOK\r\n",
                vec![Frame::Prompt, line("0011000B911326"), line("+CMGS: 5"), ok()],
            ),
            (
                "Telit LE910 prompt refused with CMS error",
                b"\r\n+CMS ERROR: 304\r\n",
                vec![cms(Some(304), None)],
            ),
            (
                "Quectel EC25 OK followed by a URC in the same read",
                b"\r\nOK\r\n\r\n+CMTI: \"SM\",1\r\n",
                vec![ok(), line("+CMTI: \"SM\",1")],
            ),
            (
                "SIMCom SIM7600 OK before the data (atat#221, +CMQTTSTART)",
                b"\r\nOK\r\n\r\n+CMQTTSTART: 0\r\n",
                vec![ok(), line("+CMQTTSTART: 0")],
            ),
            (
                "Huawei E173 URC interleaved mid-response",
                b"\r\n+CSQ: 17,99\r\n\r\n^RSSI:17\r\n\r\nOK\r\n",
                vec![line("+CSQ: 17,99"), line("^RSSI:17"), ok()],
            ),
            (
                "GAMMU smsd-incoming-cmt two-line +CMT",
                b"\r\n+CMT: ,23\r\n0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB5DE3771B\r\n",
                vec![
                    line("+CMT: ,23"),
                    line("0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB5DE3771B"),
                ],
            ),
            (
                "GAMMU smsd-incoming-cds +CDS without space, CR only",
                b"\r\n+CDS:25\r07914356060013F1\r\n",
                vec![line("+CDS:25"), line("07914356060013F1")],
            ),
            (
                "MM generic +CMGL with PDU lines",
                &cmgl_generic,
                vec![
                    line("+CMGL: 0,1,,147"),
                    line(cmgl_pdu),
                    line("+CMGL: 1,1,,147"),
                    line(cmgl_pdu),
                    ok(),
                ],
            ),
            (
                "MM Pantech +CMGL with no alpha and a URC in between",
                &cmgl_pantech,
                vec![line("+CMGL: 17,3,35"), line(cmgl_pdu), line("+CREG: 5"), ok()],
            ),
            (
                "MM Telit HE910 +CMGR with empty alpha and CRLF before the PDU",
                &cmgr_telit,
                vec![line("+CMGR: 0,\"\",50"), line(cmgl_pdu), ok()],
            ),
            (
                "MM two registration URCs back to back",
                b"\r\n+CREG: 5\r\n\r\n+CGREG: 0\r\n",
                vec![line("+CREG: 5"), line("+CGREG: 0")],
            ),
            (
                "Quectel EC25 boot URCs",
                b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QIND: SMS DONE\r\n",
                vec![line("RDY"), line("+CFUN: 1"), line("+CPIN: READY"), line("+QIND: SMS DONE")],
            ),
            (
                "Wavecom +CPIN without OK",
                b"\r\n+CPIN: READY\r\n",
                vec![line("+CPIN: READY")],
            ),
            (
                "Quectel EC25 CME numeric",
                b"\r\n+CME ERROR: 10\r\n",
                vec![cme(Some(10), None)],
            ),
            (
                "SIMCom SIM7600 CME verbose",
                b"\r\n+CME ERROR: SIM PIN required\r\n",
                vec![cme(Some(11), Some("SIM PIN required"))],
            ),
            (
                "ZTE MF626 CMS verbose SIM busy",
                b"\r\n+CMS ERROR: SIM busy\r\n",
                vec![cms(Some(314), Some("SIM busy"))],
            ),
            (
                "Huawei E173 empty CME",
                b"\r\n+CME ERROR:\r\n",
                vec![cme(None, None)],
            ),
            (
                "Wavecom unknown vendor CMS code",
                b"\r\n+CMS ERROR: 533\r\n",
                vec![cms(Some(533), None)],
            ),
            (
                "Huawei E1752 COMMAND NOT SUPPORT",
                b"\r\nCOMMAND NOT SUPPORT\r\n",
                vec![Frame::Final(FinalResult::CommandNotSupport)],
            ),
            (
                "Motorola EZX MODEM ERROR",
                b"\r\nMODEM ERROR: 3\r\n",
                vec![Frame::Final(FinalResult::ModemError(Some(3)))],
            ),
            (
                "Samsung Z810 NA without the quirk is a line",
                b"\r\nNA\r\n",
                vec![line("NA")],
            ),
            (
                "u-blox TOBY-L4 +AT: READY",
                b"\r\n+AT: READY\r\n",
                vec![line("+AT: READY")],
            ),
            (
                "SIMCom SIM800 NO CARRIER after a call",
                b"\r\nNO CARRIER\r\n",
                vec![Frame::Final(FinalResult::NoCarrier)],
            ),
            (
                "line with a > inside is not a prompt",
                b"\r\n+CUSD: 0,\"a > b\",15\r\n",
                vec![line("+CUSD: 0,\"a > b\",15")],
            ),
        ];
        for (name, input, want) in cases {
            check(name, FramerQuirks::NONE, input, &want);
        }
    }

    #[test]
    fn quirk_vectors() {
        check(
            "Samsung Z810 NA with the quirk is an error",
            FramerQuirks::SAMSUNG_Z810,
            b"\r\nNA\r\n",
            &[Frame::Final(FinalResult::Custom {
                text: "NA".into(),
                success: false,
            })],
        );
        const DONE: FramerQuirks = FramerQuirks {
            extra_success: &["DONE"],
            extra_error: &[],
        };
        check(
            "custom success string",
            DONE,
            b"\r\nDONE\r\nOK\r\n",
            &[
                Frame::Final(FinalResult::Custom {
                    text: "DONE".into(),
                    success: true,
                }),
                ok(),
            ],
        );
    }

    #[test]
    fn over_long_lines() {
        let mut input = vec![b'A'; MAX_LINE + 500];
        input.extend_from_slice(b"\r\nOK\r\n");
        check(
            "garbage run longer than MAX_LINE",
            FramerQuirks::NONE,
            &input,
            &[Frame::Overflow, ok()],
        );

        let mut exact = vec![b'B'; MAX_LINE - 1];
        exact.extend_from_slice(b"\r\n");
        let want = vec![line(&"B".repeat(MAX_LINE - 1))];
        check(
            "line of MAX_LINE - 1 bytes is kept",
            FramerQuirks::NONE,
            &exact,
            &want,
        );

        let mut full = vec![b'C'; MAX_LINE];
        full.extend_from_slice(b"\r\n+CMTI: \"SM\",2\r\n");
        check(
            "line of MAX_LINE bytes overflows; the next line survives",
            FramerQuirks::NONE,
            &full,
            &[Frame::Overflow, line("+CMTI: \"SM\",2")],
        );

        let mut two = vec![b'D'; MAX_LINE * 3];
        two.extend_from_slice(b"\n");
        two.extend(vec![b'E'; MAX_LINE * 2]);
        check(
            "two over-long lines, the second unterminated",
            FramerQuirks::NONE,
            &two,
            &[Frame::Overflow, Frame::Overflow],
        );
    }

    #[test]
    fn partial_line_waits() {
        let mut framer = Framer::new();
        framer.push(b"\r\n+CSQ: 2");
        assert_eq!(framer.next_frame(), None);
        framer.push(b"0,99\r\nOK");
        assert_eq!(framer.next_frame(), Some(line("+CSQ: 20,99")));
        assert_eq!(framer.next_frame(), None);
        framer.push(b"\r");
        assert_eq!(framer.next_frame(), Some(ok()));
        framer.reset();
        assert_eq!(framer.buffered(), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Arbitrary bytes in arbitrary chunks never panic, never grow the buffer past
        /// MAX_LINE, and give the same frames as the whole input at once.
        #[test]
        fn any_bytes_any_chunking(
            segments in proptest::collection::vec(
                prop_oneof![
                    // Short runs of arbitrary bytes, rich in line ends, prompts and NULs.
                    4 => proptest::collection::vec(
                        prop_oneof![
                            4 => any::<u8>(),
                            2 => Just(b'\r'),
                            2 => Just(b'\n'),
                            1 => Just(b'>'),
                            1 => Just(0u8),
                        ],
                        0..64,
                    ),
                    // Long runs without a line end, to reach the overflow path.
                    1 => (0..(2 * MAX_LINE)).prop_map(|n| vec![b'A'; n]),
                ],
                0..24,
            ),
            cuts in proptest::collection::vec(1usize..600, 1..40),
        ) {
            let input: Vec<u8> = segments.concat();
            let whole = run(FramerQuirks::NONE, std::iter::once(input.clone()));
            let mut chunks = Vec::new();
            let mut rest = input.as_slice();
            let mut i = 0;
            while !rest.is_empty() {
                let n = cuts.get(i % cuts.len()).copied().unwrap_or(1).min(rest.len());
                let (a, b) = rest.split_at(n);
                chunks.push(a.to_vec());
                rest = b;
                i += 1;
            }
            let chunked = run(FramerQuirks::NONE, chunks.into_iter());
            prop_assert_eq!(whole, chunked);
        }
    }
}
