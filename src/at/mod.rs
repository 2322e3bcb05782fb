//! The AT protocol (3GPP TS 27.007 / 27.005): a pure incremental framer, typed
//! result codes, URCs and commands, and (later) the client actor that owns a port.
