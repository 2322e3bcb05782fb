//! Any byte stream, fed to the AT framer in any chunking the fuzzer picks: never a panic, and
//! what `src/at/framer.rs` promises holds:
//! - the buffer never holds more than `MAX_LINE` bytes;
//! - the frames are the same whatever the chunking (compared with the whole stream at once;
//!   a chunk size byte of 0 is one byte at a time);
//! - a `Line` is non-empty, trimmed, free of control bytes and not a final result code;
//! - the output is bounded by the input: every frame, every character of a line and every
//!   `MAX_LINE` bytes of an `Overflow` take at least one byte of input.
//!
//! Input layout: `[flags] [n] [n chunk sizes] [stream ...]`. Flags bit 0 picks the Samsung
//! quirks, bit 1 scales the chunk sizes up (chunks longer than `MAX_LINE`), bit 2 calls
//! `reset` after every chunk whose size byte is odd (then only the bounds are checked, since a
//! reset drops a partial line on purpose).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::at::framer::{Frame, Framer, FramerQuirks, MAX_LINE};
use smsgate::at::result::FinalResult;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some((&n, rest)) = rest.split_first() else {
        return;
    };
    let n = usize::from(n % 16).min(rest.len());
    let (sizes, stream) = rest.split_at(n);
    let quirks = if flags & 1 != 0 {
        FramerQuirks::SAMSUNG_Z810
    } else {
        FramerQuirks::NONE
    };
    let scale = if flags & 2 != 0 { 37 } else { 1 };
    let resets = flags & 4 != 0;

    let chunked = feed(quirks, stream, sizes, scale, resets);
    if !resets {
        let whole = feed(quirks, stream, &[], scale, false);
        assert_eq!(chunked, whole, "the chunking changed the frames");
    }
});

/// Feeds `stream` in chunks of `1 + size * scale` bytes, cycling through `sizes` (the whole
/// stream at once when `sizes` is empty); checks every frame and the bounds; returns the frames.
fn feed(
    quirks: FramerQuirks,
    stream: &[u8],
    sizes: &[u8],
    scale: usize,
    resets: bool,
) -> Vec<Frame> {
    let mut framer = Framer::with_quirks(quirks);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < stream.len() {
        let (len, reset) = match sizes.get(i % sizes.len().max(1)) {
            Some(&s) => (1 + usize::from(s) * scale, resets && s % 2 == 1),
            None => (stream.len(), false),
        };
        i += 1;
        let end = pos.saturating_add(len).min(stream.len());
        framer.push(&stream[pos..end]);
        assert!(
            framer.buffered() <= MAX_LINE,
            "{} bytes buffered",
            framer.buffered()
        );
        for frame in framer.frames() {
            check(&frame);
            out.push(frame);
        }
        if reset {
            framer.reset();
            assert_eq!(framer.buffered(), 0);
        }
        pos = end;
    }
    assert!(
        out.len() <= stream.len(),
        "{} frames from {} bytes",
        out.len(),
        stream.len()
    );
    let chars: usize = out
        .iter()
        .map(|f| match f {
            Frame::Line(s) => s.chars().count(),
            _ => 0,
        })
        .sum();
    assert!(
        chars <= stream.len(),
        "{chars} characters from {} bytes",
        stream.len()
    );
    let overflows = out.iter().filter(|f| **f == Frame::Overflow).count();
    assert!(overflows.saturating_mul(MAX_LINE) <= stream.len());
    out
}

fn check(frame: &Frame) {
    if let Frame::Line(s) = frame {
        assert!(!s.is_empty(), "empty line");
        assert_eq!(s.as_str(), s.trim(), "untrimmed line");
        assert!(
            !s.chars().any(|c| c != '\t' && (c < ' ' || c == '\u{7f}')),
            "control byte in {s:?}"
        );
        assert!(
            s.chars().count() <= MAX_LINE,
            "line of {} characters",
            s.chars().count()
        );
        assert!(
            FinalResult::parse(s).is_none(),
            "final result code {s:?} as a line"
        );
    }
}
