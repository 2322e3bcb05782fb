//! The GSM 7-bit default alphabet and its shift tables (TS 23.038 §6.2.1), and septet packing.

pub mod national;
