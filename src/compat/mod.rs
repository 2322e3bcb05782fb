//! APIs that apps already speak, served on their own listeners over the same store and queue
//! as the native API: SMS Gateway for Android's local server ([`smsgate`]).

pub mod smsgate;
