//! A stream decorator that logs every byte read and written at trace level
//! (`r:` and `w:` lines, control bytes escaped), for field diagnosis with
//! `RUST_LOG=smsgate::at::trace=trace`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Wraps a stream; `name` identifies the modem in the log.
pub struct Traced<S> {
    inner: S,
    name: String,
}

impl<S> Traced<S> {
    pub fn new(inner: S, name: impl Into<String>) -> Self {
        Traced {
            inner,
            name: name.into(),
        }
    }
}

/// Bytes as printable text: CR, LF, Ctrl-Z and ESC by name, other control
/// bytes in hex.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x1A => s.push_str("<ctrl-z>"),
            0x1B => s.push_str("<esc>"),
            0x20..=0x7E => s.push(char::from(b)),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s
}

impl<S: AsyncRead + Unpin> AsyncRead for Traced<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            let got = buf.filled().get(before..).unwrap_or_default();
            if tracing::enabled!(tracing::Level::TRACE) {
                tracing::trace!(modem = %self.name, "r: {}", escape(got));
            }
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Traced<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r
            && tracing::enabled!(tracing::Level::TRACE)
        {
            tracing::trace!(modem = %self.name, "w: {}", escape(buf.get(..n).unwrap_or(buf)));
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_table() {
        let cases: &[(&str, &[u8], &str)] = &[
            ("command", b"AT+CSQ\r", "AT+CSQ\\r"),
            ("pdu end", b"0011\x1a", "0011<ctrl-z>"),
            ("abandon", b"\x1b", "<esc>"),
            ("binary", &[0x00, 0xFF], "\\x00\\xff"),
        ];
        for (name, bytes, want) in cases {
            assert_eq!(escape(bytes), *want, "{name}");
        }
    }
}
