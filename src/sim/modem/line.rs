//! The line discipline: how bytes from the host become command lines and
//! PDUs, and how answers and URCs go out.
//!
//! Input. With echo on (`ATE1`, the power-on default) every byte is echoed
//! as it arrives, the `\r` that ends a line included, because that is what
//! hosts read back from real modems. A line runs at its `\r`; backspace
//! edits it, ESC and Ctrl-Z outside a prompt abandon it, and a line longer
//! than [`MAX_LINE`] is answered with `ERROR` rather than cut and run. Only
//! what follows the first `AT` is a command (27.007 §4.1); a line without
//! one is noise and, as on modems, gets no answer. `AT+CMGS=<n>` and
//! `AT+CMGW=<n>` open the prompt `\r\n> ` for a PDU in hex (for `AT+CMGS`,
//! 27.005 §3.5.1, §4.3), sent or stored at Ctrl-Z, abandoned with ESC. Input that arrives
//! while a send is with the network waits and is answered after the send's
//! result.
//!
//! Output. Framing is verbose (`V1`): information text `\r\n<line>\r\n`, the
//! final result `\r\n<code>\r\n`, URCs `\r\n<urc>\r\n`. URCs never split a
//! response: they are held while a command line runs, while the prompt is
//! open and while a send is with the network, and follow the final result.
//! While the modem is quiet (hung or booting) nothing goes out and input is
//! lost.

use super::commands::Outcome;
use super::errors::Fail;
use super::parse::split_command;
use super::{Effect, Modem};

/// Longest command line accepted; longer lines are answered with `ERROR`.
pub(super) const MAX_LINE: usize = 4096;
/// Longest PDU (hex characters) accepted after the prompt.
const MAX_PDU_HEX: usize = 2 * 200;

/// What input means now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Mode {
    /// Bytes make a command line.
    Command,
    /// After the `> ` prompt: bytes are the PDU's hex, `len` the TPDU
    /// length the command announced; `write` is `AT+CMGW`'s `<stat>`, None
    /// for `AT+CMGS`.
    Prompt {
        write: Option<u8>,
        len: usize,
        hex: Vec<u8>,
    },
    /// A send is with the network; input waits.
    Busy,
}

impl Modem {
    /// Hung or booting: the modem says nothing and input is lost.
    pub(super) fn quiet(&self) -> bool {
        self.hung || self.booting
    }

    /// Answer bytes, held while the modem is quiet.
    pub(super) fn write(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.quiet() {
            self.held.extend_from_slice(bytes);
        } else {
            self.fx.push(Effect::Write(bytes.to_vec()));
        }
    }

    /// An unsolicited result code, held while a command line runs, the
    /// prompt is open, a send is with the network or the modem is quiet.
    pub(super) fn urc(&mut self, text: &str) {
        let framed = format!("\r\n{text}\r\n");
        if self.quiet() || self.executing || self.mode != Mode::Command {
            self.held_urcs.extend_from_slice(framed.as_bytes());
        } else {
            self.fx.push(Effect::Write(framed.into_bytes()));
        }
    }

    /// Writes what was held, answers before URCs, once the modem speaks
    /// again and nothing is in progress.
    pub(super) fn flush(&mut self) {
        if self.quiet() || self.mode != Mode::Command {
            return;
        }
        let held = std::mem::take(&mut self.held);
        self.write(&held);
        let urcs = std::mem::take(&mut self.held_urcs);
        self.write(&urcs);
    }
    /// Works through the input that has arrived, until it is used up, the
    /// modem goes quiet or a send waits for the network.
    pub(super) fn process_input(&mut self) {
        while !self.quiet() && self.mode != Mode::Busy {
            let Some(b) = self.typeahead.pop_front() else {
                break;
            };
            if matches!(self.mode, Mode::Prompt { .. }) {
                self.prompt_byte(b);
            } else {
                self.command_byte(b);
            }
        }
    }

    /// One byte of a command line.
    fn command_byte(&mut self, b: u8) {
        match b {
            b'\r' => {
                if self.set.echo {
                    self.write(b"\r");
                }
                let line = std::mem::take(&mut self.line);
                let overflow = std::mem::replace(&mut self.line_overflow, false);
                if overflow {
                    self.finish(Vec::new(), Err(Fail::Plain));
                } else {
                    self.execute_line(&line);
                }
            }
            b'\n' => {
                if self.set.echo {
                    self.write(b"\n");
                }
            }
            0x08 | 0x7F => {
                if self.line.pop().is_some() && self.set.echo {
                    self.write(&[b]);
                }
            }
            // ESC and Ctrl-Z outside a prompt abandon the line.
            0x1A | 0x1B => self.line.clear(),
            0x00 => {}
            _ => {
                if self.set.echo {
                    self.write(&[b]);
                }
                if self.line.len() < MAX_LINE {
                    self.line.push(b);
                } else {
                    self.line_overflow = true;
                }
            }
        }
    }

    /// One byte after the prompt.
    fn prompt_byte(&mut self, b: u8) {
        let Mode::Prompt { write, len, hex } = &mut self.mode else {
            return;
        };
        match b {
            0x1A => {
                let (write, len, hex) = (*write, *len, std::mem::take(hex));
                self.mode = Mode::Command;
                self.submit(write, len, &hex);
            }
            0x1B => {
                self.mode = Mode::Command;
                self.write(b"\r\nOK\r\n");
                self.flush();
            }
            _ => {
                if hex.len() < MAX_PDU_HEX + 16 {
                    hex.push(b);
                }
                if self.set.echo && b != b'\r' && b != b'\n' {
                    self.write(&[b]);
                }
            }
        }
    }

    /// Runs the commands of one line in order. The first error ends the
    /// line; a prompt ends it with no final result (that follows the PDU); a
    /// reboot follows the line's `OK`.
    fn execute_line(&mut self, line: &[u8]) {
        let Some(start) = line.windows(2).position(|w| w.eq_ignore_ascii_case(b"AT")) else {
            // Not a command (noise, or a bare CR): real modems say nothing.
            return;
        };
        let Ok(body) = std::str::from_utf8(&line[start + 2..]) else {
            self.counters.commands += 1;
            self.finish(Vec::new(), Err(Fail::Plain));
            return;
        };
        self.counters.commands += 1;
        self.executing = true;
        let body = body.trim_end().to_string();
        let mut blocks = Vec::new();
        let mut rest = body.as_str();
        loop {
            rest = rest.trim_start_matches([' ', ';']);
            if rest.is_empty() {
                break;
            }
            let (cmd, tail) = split_command(rest);
            rest = tail;
            match self.command(&cmd) {
                Ok(Outcome::Lines(lines)) => {
                    if !lines.is_empty() {
                        blocks.push(lines);
                    }
                }
                Ok(Outcome::Prompt { write, len }) => {
                    self.mode = Mode::Prompt {
                        write,
                        len,
                        hex: Vec::new(),
                    };
                    self.write(b"\r\n> ");
                    self.executing = false;
                    return;
                }
                Ok(Outcome::Reboot) => {
                    self.finish(blocks, Ok(()));
                    self.reboot();
                    return;
                }
                Err(f) => {
                    self.finish(blocks, Err(f));
                    return;
                }
            }
        }
        self.finish(blocks, Ok(()));
    }

    /// Prints information blocks and the final result code.
    pub(super) fn finish(&mut self, blocks: Vec<Vec<String>>, result: Result<(), Fail>) {
        let mut s = String::new();
        for b in blocks {
            s.push_str("\r\n");
            s.push_str(&b.join("\r\n"));
            s.push_str("\r\n");
        }
        s.push_str("\r\n");
        s.push_str(&match result {
            Ok(()) => "OK".to_string(),
            Err(f) => self.fail_text(f),
        });
        s.push_str("\r\n");
        self.write(s.as_bytes());
        self.executing = false;
        self.flush();
    }
}
