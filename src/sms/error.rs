//! Codec errors. A decode error names the field (a dotted path such as
//! `deliver.ud.udh`) and the octet offset in the input where it went wrong.

use std::fmt;

/// Why a field could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The input ended inside the field.
    Truncated,
    /// A semi-octet that is not a digit where one is required.
    InvalidDigit(u8),
    /// A character that is not a hex digit, or an odd number of them.
    InvalidHex,
    /// A value the spec reserves or this codec does not handle.
    Unsupported(&'static str),
    /// A value out of its range (for example month 13).
    OutOfRange(&'static str),
    /// Octets left over after the last field.
    TrailingData(usize),
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeErrorKind::Truncated => f.write_str("truncated"),
            DecodeErrorKind::InvalidDigit(d) => write!(f, "invalid semi-octet 0x{d:X}"),
            DecodeErrorKind::InvalidHex => f.write_str("not a hex string"),
            DecodeErrorKind::Unsupported(what) => write!(f, "unsupported {what}"),
            DecodeErrorKind::OutOfRange(what) => write!(f, "{what} out of range"),
            DecodeErrorKind::TrailingData(n) => write!(f, "{n} octets of trailing data"),
        }
    }
}

/// A decode failure: which field, at which octet, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} at octet {offset}: {kind}")]
pub struct DecodeError {
    /// Dotted path of the field, outermost first (`deliver.ud.udh`).
    pub field: String,
    /// Offset of the failing octet from the start of the decoded input.
    pub offset: usize,
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    pub fn new(field: &str, offset: usize, kind: DecodeErrorKind) -> Self {
        DecodeError {
            field: field.to_owned(),
            offset,
            kind,
        }
    }

    pub(crate) fn truncated(field: &str, offset: usize) -> Self {
        Self::new(field, offset, DecodeErrorKind::Truncated)
    }

    /// Places an error from an inner decoder inside `outer`, whose first octet
    /// is at `base` in the outer input.
    pub fn within(mut self, outer: &str, base: usize) -> Self {
        self.field = if self.field.is_empty() {
            outer.to_owned()
        } else {
            format!("{outer}.{}", self.field)
        };
        self.offset += base;
        self
    }
}

/// Why a message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("empty text")]
    EmptyText,
    #[error("invalid address {0:?}: {1}")]
    InvalidAddress(String, &'static str),
    #[error("character {0:?} is not in the GSM 7-bit alphabet")]
    NotGsm7(char),
    #[error("user data is {len} octets; at most {max} fit")]
    UserDataTooLong { len: usize, max: usize },
    #[error("message needs {needed} parts; at most {max} allowed")]
    TooManyParts { needed: usize, max: usize },
    #[error("message class {0} is not 0..=3")]
    InvalidClass(u8),
}

/// A bounds-checked cursor over a decoder's input that produces
/// [`DecodeError`]s with offsets relative to the start of that input.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    pub(crate) fn u8(&mut self, field: &str) -> Result<u8, DecodeError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| DecodeError::truncated(field, self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    /// Runs an inner decoder over the rest of the input and advances past what
    /// it consumed; its errors are placed under `field` at the current offset.
    pub(crate) fn field<T>(
        &mut self,
        field: &str,
        f: impl FnOnce(&'a [u8]) -> Result<(T, usize), DecodeError>,
    ) -> Result<T, DecodeError> {
        let base = self.pos;
        let (v, used) = f(self.remaining()).map_err(|e| e.within(field, base))?;
        self.pos += used;
        Ok(v)
    }
}
