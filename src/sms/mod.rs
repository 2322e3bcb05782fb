//! The SMS codec: 3GPP TS 23.040 (TPDUs) and TS 23.038 (alphabets). Pure: no I/O, no tokio.

pub mod gsm7;
