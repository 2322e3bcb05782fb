//! Modem profiles: identity strings, boot URCs and vendor behaviour as data.
//!
//! Each profile is one `static` [`Profile`]; the state machine in
//! [`super::modem`] reads fields from it and never matches on the name.

use std::time::Duration;

use super::modem::memory::Mem;

/// How a modem family behaves, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The name given to `--profile`.
    pub name: &'static str,
    /// `AT+CGMI` answer.
    pub manufacturer: &'static str,
    /// `AT+CGMM` answer.
    pub model: &'static str,
    /// `AT+CGMR` answer.
    pub revision: &'static str,
    /// `AT+CGSN` answer.
    pub imei: &'static str,
    /// `AT+CIMI` answer.
    pub imsi: &'static str,
    /// `AT+CCID` / `AT+QCCID` / `AT+ICCID` answer.
    pub iccid: &'static str,
    /// The operator name in `AT+COPS?`.
    pub operator: &'static str,
    /// The stored service centre (`AT+CSCA?`).
    pub smsc: &'static str,
    /// URCs printed when the module has booted, before the SIM is read.
    pub boot_urcs: &'static [&'static str],
    /// URCs printed once the SIM is ready: at boot without a PIN, else
    /// after `AT+CPIN=<pin>`. `+CPIN: READY` here is printed as
    /// `+CPIN: SIM PIN` at boot when a PIN is required.
    pub sim_ready_urcs: &'static [&'static str],
    /// URCs that say SMS works, printed after the SIM-ready ones: at once, or
    /// after [`crate::sim::ModemConfig::sms_init`] during which SMS commands
    /// answer `+CMS ERROR: 314` (SIM busy).
    pub sms_ready_urcs: &'static [&'static str],
    /// URCs repeated every [`Profile::periodic_every`] until `AT^CURC=0`.
    /// `{rssi}` is replaced by the current signal.
    pub periodic_urcs: &'static [&'static str],
    /// Interval of the periodic URCs.
    pub periodic_every: Duration,
    /// URC printed when an incoming message finds `<mem3>` full.
    pub memory_full_urc: Option<&'static str>,
    /// `+CMS ERROR` code for a send without network service.
    pub cms_no_network: u16,
    /// Vendor `+CMS ERROR` texts (for `AT+CMEE=2`), on top of the standard ones.
    pub cms_vendor_texts: &'static [(u16, &'static str)],
    /// Time from a reset (`AT+CFUN=1,1`, reboot, re-plug) to the boot URCs.
    pub boot_time: Duration,
    /// Access technology reported in `+CEREG`/`+COPS` (7 = E-UTRAN, 0 = GSM).
    pub act: u8,
    /// Vendor set commands that are accepted with a plain `OK` (and have no
    /// simulated effect), e.g. `AT^PORTSEL=1`, which gammu sends to Huawei
    /// sticks, or `AT+QURCCFG=...` on Quectel.
    pub vendor_ok: &'static [&'static str],
    /// The memories `AT+CPMS` accepts as `<mem1>`, `<mem2>` and `<mem3>`,
    /// each in the order `AT+CPMS=?` lists them. Together with
    /// [`Profile::report_memory`] they are the memories the module has.
    pub cpms_lists: [&'static [Mem]; 3],
    /// The `AT+CPMS` selection at power-on, after `ATZ` and after a reboot.
    pub cpms_default: [Mem; 3],
    /// Where status reports stored with `AT+CNMI` ds=2 go, whatever
    /// `<mem3>` is; when that memory is full they are dropped. None: they go
    /// to `<mem3>` like received messages and wait when it is full.
    pub report_memory: Option<Mem>,
    /// Slots in "ME" unless configured ("SM" follows the SIM: `--capacity`).
    pub me_capacity: usize,
    /// Slots in "SR" unless configured.
    pub sr_capacity: usize,
}

/// One memory for everything: the SIM's.
const SM_ONLY: [&[Mem]; 3] = [&[Mem::Sm], &[Mem::Sm], &[Mem::Sm]];

/// Quectel EC25 and SIMCom SIM7600: "SR" can be read, listed and deleted
/// (`<mem1>`) but not written to or received into.
const SM_ME_SR: [&[Mem]; 3] = [
    &[Mem::Sm, Mem::Me, Mem::Sr],
    &[Mem::Sm, Mem::Me],
    &[Mem::Sm, Mem::Me],
];

/// A plain 27.007 modem with no vendor URCs.
pub static GENERIC: Profile = Profile {
    name: "generic",
    manufacturer: "smsgate",
    model: "SIM-1",
    revision: "smsgate-sim 1.0",
    imei: "490154203237518",
    imsi: "001010123456789",
    iccid: "89860000000000000001",
    operator: "Test Network",
    smsc: "+15550000000",
    boot_urcs: &[],
    sim_ready_urcs: &[],
    sms_ready_urcs: &[],
    periodic_urcs: &[],
    periodic_every: Duration::from_secs(10),
    memory_full_urc: None,
    cms_no_network: 331,
    cms_vendor_texts: &[],
    boot_time: Duration::from_millis(300),
    act: 7,
    vendor_ok: &[],
    cpms_lists: SM_ONLY,
    cpms_default: [Mem::Sm; 3],
    report_memory: None,
    me_capacity: 0,
    sr_capacity: 0,
};

/// SIMCom SIM7600-like: `RDY`, `+CFUN: 1`, `+CPIN: READY`, `SMS DONE`, `PB DONE`
/// (SIM800-family `SMS Ready` too), SIMCom-style vendor CMS codes; memories
/// "SM", "ME" and "SR", status reports stored in "SR".
pub static SIMCOM: Profile = Profile {
    name: "simcom",
    manufacturer: "SIMCOM INCORPORATED",
    model: "SIMCOM_SIM7600E-H",
    revision: "Revision:SIM7600M22_V2.0",
    imei: "862636050000017",
    imsi: "001010000000017",
    iccid: "89860000000000000017",
    operator: "Test Network",
    smsc: "+15550000000",
    boot_urcs: &["RDY", "+CFUN: 1"],
    sim_ready_urcs: &["+CPIN: READY"],
    sms_ready_urcs: &["SMS Ready", "SMS DONE", "PB DONE"],
    periodic_urcs: &[],
    periodic_every: Duration::from_secs(10),
    memory_full_urc: Some("+CIEV: \"MESSAGE\",1"),
    cms_no_network: 331,
    cms_vendor_texts: &[
        (512, "MM establishment failure"),
        (513, "Lower layer failure"),
        (514, "CP error"),
        (515, "Please wait, init or command processing in progress"),
    ],
    boot_time: Duration::from_millis(500),
    act: 7,
    vendor_ok: &["+CSCLK", "+AUTOCSQ", "+CNMP"],
    cpms_lists: SM_ME_SR,
    cpms_default: [Mem::Sm; 3],
    report_memory: Some(Mem::Sr),
    // Plausible sizes, not taken from a vendor manual: the real ones vary
    // with the firmware (and "SM" with the SIM).
    me_capacity: 50,
    sr_capacity: 10,
};

/// Quectel EC25-like: `RDY`, `+CFUN: 1`, `+CPIN: READY`, `+QIND: SMS DONE`;
/// memories "SM", "ME" and "SR", status reports stored in "SR".
pub static QUECTEL: Profile = Profile {
    name: "quectel",
    manufacturer: "Quectel",
    model: "EC25",
    revision: "EC25EFAR06A06M4G",
    imei: "866758040000025",
    imsi: "001010000000025",
    iccid: "89860000000000000025",
    operator: "Test Network",
    smsc: "+15550000000",
    boot_urcs: &["RDY", "+CFUN: 1"],
    sim_ready_urcs: &["+CPIN: READY"],
    sms_ready_urcs: &["+QIND: SMS DONE", "+QIND: PB DONE"],
    periodic_urcs: &[],
    periodic_every: Duration::from_secs(10),
    memory_full_urc: None,
    cms_no_network: 331,
    cms_vendor_texts: &[
        (512, "SIM not ready"),
        (513, "Message length exceeds"),
        (514, "Invalid request parameters"),
        (515, "ME storage failure"),
        (531, "ME storage full"),
    ],
    boot_time: Duration::from_millis(500),
    act: 7,
    vendor_ok: &["+QURCCFG", "+QCFG", "+QINDCFG"],
    cpms_lists: SM_ME_SR,
    cpms_default: [Mem::Sm; 3],
    report_memory: Some(Mem::Sr),
    // Plausible sizes, not taken from a vendor manual: the real ones vary
    // with the firmware (and "SM" with the SIM).
    me_capacity: 50,
    sr_capacity: 10,
};

/// Huawei E3372-like stick: `^BOOT:`/`^RSSI:` periodically until `AT^CURC=0`.
pub static HUAWEI: Profile = Profile {
    name: "huawei",
    manufacturer: "huawei",
    model: "E3372",
    revision: "22.200.15.00.00",
    imei: "867223020000033",
    imsi: "001010000000033",
    iccid: "89860000000000000033",
    operator: "Test Network",
    smsc: "+15550000000",
    boot_urcs: &["^BOOT:27710117,0,0,0,75"],
    sim_ready_urcs: &["^SIMST:1"],
    sms_ready_urcs: &[],
    periodic_urcs: &["^RSSI:{rssi}", "^BOOT:27710117,0,0,0,75"],
    periodic_every: Duration::from_secs(5),
    memory_full_urc: Some("^SMMEMFULL: \"SM\""),
    cms_no_network: 331,
    cms_vendor_texts: &[],
    boot_time: Duration::from_millis(300),
    act: 7,
    vendor_ok: &["^PORTSEL", "^USSDMODE", "^SYSCFG"],
    cpms_lists: SM_ONLY,
    cpms_default: [Mem::Sm; 3],
    report_memory: None,
    me_capacity: 0,
    sr_capacity: 0,
};

/// Every profile, for `--profile` and its help.
pub static ALL: [&Profile; 4] = [&GENERIC, &SIMCOM, &QUECTEL, &HUAWEI];

impl Profile {
    /// The profile called `name` (case-insensitive).
    pub fn by_name(name: &str) -> Option<&'static Profile> {
        ALL.iter()
            .copied()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The names of all profiles, for messages.
    pub fn names() -> Vec<&'static str> {
        ALL.iter().map(|p| p.name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_name_finds_every_profile() {
        for p in ALL {
            assert_eq!(Profile::by_name(p.name), Some(p));
        }
        assert_eq!(Profile::by_name("SIMCOM").map(|p| p.name), Some("simcom"));
        assert!(Profile::by_name("nokia").is_none());
    }
}
