//! Per-model quirks as data (`docs/hardware/quirks.md`). A model is recognised from
//! `AT+CGMI` / `AT+CGMM`, or named in the config; nothing else in the driver
//! tests the model.

use std::time::Duration;

use super::cms::CmsClass;
use crate::at::command::CcidForm;
use crate::at::framer::FramerQuirks;
use CmsClass::{Permanent as P, Temporary as T};

/// What differs between modem families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quirks {
    /// Name used in config files and logs.
    pub name: &'static str,
    /// Lower-case substrings of `manufacturer model` that select this entry.
    pub matches: &'static [&'static str],
    /// Commands sent after the basic set-up, errors ignored.
    pub extra_init: &'static [&'static str],
    /// Preferred storages for `AT+CPMS`, in order of preference.
    pub storage: &'static [&'static str],
    /// `AT+CNMI` settings to try in order: (mode, mt, bm, ds, bfr). `mt=1`
    /// stores messages and signals `+CMTI`, so nothing is lost while the host
    /// is down (`docs/hardware/at-commands.md#cnmi-and-status-reports`).
    pub cnmi: &'static [(u8, u8, u8, u8, Option<u8>)],
    /// How this family reads the ICCID.
    pub ccid: &'static [CcidForm],
    /// Vendor `+CMS ERROR` codes (512 and above).
    pub cms_vendor: &'static [(u16, CmsClass)],
    /// Extra final result strings.
    pub framer: FramerQuirks,
    /// Time from a reset until the module answers.
    pub boot_time: Duration,
    /// `+CMS ERROR` codes that mean "still starting, ask again in a moment" while the module
    /// boots: the SIM or the SMS service is not initialised yet. Retried on a short schedule, not
    /// the recovery backoff.
    pub busy_cms: &'static [u16],
    /// The same for `+CME ERROR` codes.
    pub busy_cme: &'static [u16],
}

/// 27.005 §3.2.5 314 "SIM busy"; 27.007 §9.2 CME 14 "SIM busy". CME 515 "device busy" is
/// what ModemManager's and python-gsmmodem's test modems answer while starting.
const BUSY_CMS: &[u16] = &[314];
const BUSY_CME: &[u16] = &[14, 515];

/// MM's order, then PGM's: `ds=2` (+CDSI) where accepted, else `ds=1`
/// (+CDS), else no reports.
const CNMI_DEFAULT: &[(u8, u8, u8, u8, Option<u8>)] = &[
    (2, 1, 0, 2, Some(0)),
    (2, 1, 0, 1, Some(0)),
    (2, 1, 0, 2, None),
    (2, 1, 0, 0, Some(0)),
    (1, 1, 0, 0, Some(0)),
];

const CCID_ALL: &[CcidForm] = &[
    CcidForm::Ccid,
    CcidForm::Qccid,
    CcidForm::Ciccid,
    CcidForm::HuaweiIccid,
];

pub static GENERIC: Quirks = Quirks {
    name: "generic",
    matches: &[],
    extra_init: &[],
    storage: &["SM", "ME", "MT"],
    cnmi: CNMI_DEFAULT,
    ccid: CCID_ALL,
    cms_vendor: &[],
    framer: FramerQuirks::NONE,
    boot_time: Duration::from_secs(15),
    busy_cms: BUSY_CMS,
    busy_cme: BUSY_CME,
};

/// Quectel EC25/EG25/EC21/BG96/EG915: URCs must be routed to the port in
/// use (`AT+QURCCFG`); `RDY` arrives about 12 s after power-on.
pub static QUECTEL: Quirks = Quirks {
    name: "quectel",
    matches: &["quectel"],
    extra_init: &["AT+QURCCFG=\"urcport\",\"usbat\""],
    storage: &["SM", "ME"],
    cnmi: CNMI_DEFAULT,
    ccid: &[CcidForm::Qccid, CcidForm::Ccid],
    cms_vendor: QUECTEL_CMS_CLASSES,
    framer: FramerQuirks::NONE,
    boot_time: Duration::from_secs(13),
    // 512: "SIM not ready" until `+QIND: SMS DONE` (Quectel EC2x AT manual, CMS codes).
    busy_cms: &[314, 512],
    busy_cme: BUSY_CME,
};

/// SIMCom SIM800/SIM868 and SIM7x00: boot URCs (`SMS Ready`, `SMS DONE`),
/// vendor CMS codes.
pub static SIMCOM: Quirks = Quirks {
    name: "simcom",
    matches: &[
        "simcom", "sim800", "sim868", "sim7600", "sim7080", "sim7000", "a7600",
    ],
    extra_init: &[],
    storage: &["SM", "ME"],
    cnmi: CNMI_DEFAULT,
    ccid: &[CcidForm::Ciccid, CcidForm::Ccid],
    cms_vendor: SIMCOM_CMS_CLASSES,
    framer: FramerQuirks::NONE,
    boot_time: Duration::from_secs(15),
    // 515: "please wait, init in progress" until `SMS DONE` / `SMS Ready`.
    busy_cms: &[314, 515],
    busy_cme: BUSY_CME,
};

/// Huawei sticks in modem mode: periodic `^` URCs turned off with
/// `AT^CURC=0`; unknown commands answer `COMMAND NOT SUPPORT`.
pub static HUAWEI: Quirks = Quirks {
    name: "huawei",
    matches: &["huawei"],
    extra_init: &["AT^CURC=0"],
    storage: &["SM", "ME"],
    cnmi: CNMI_DEFAULT,
    ccid: &[CcidForm::HuaweiIccid, CcidForm::Ccid],
    cms_vendor: &[],
    framer: FramerQuirks::NONE,
    boot_time: Duration::from_secs(20),
    busy_cms: BUSY_CMS,
    busy_cme: BUSY_CME,
};

/// Quectel vendor codes (ATMAN `cms-errors.md`; `docs/hardware/cms-errors.md#vendor-codes`): 512
/// SIM not ready, 513 message length exceeds, 514 invalid request parameters, 529 MO SMS not
/// allowed, 530 GPRS suspended. (515, 517 and 531 have no class of their own and fall back to the
/// default.)
pub const QUECTEL_CMS_CLASSES: &[(u16, CmsClass)] =
    &[(512, T), (513, P), (514, P), (529, P), (530, T)];

/// SIMCom/Wavecom-style vendor codes (SMST, KANNEL `at2_error_string`;
/// `docs/hardware/cms-errors.md#vendor-codes`): 512 MM establishment failure, 513 lower-layer
/// failure, 514 network congestion, 515 init in progress.
pub const SIMCOM_CMS_CLASSES: &[(u16, CmsClass)] = &[(512, T), (513, T), (514, T), (515, T)];

pub static ALL: [&Quirks; 4] = [&QUECTEL, &SIMCOM, &HUAWEI, &GENERIC];

/// The entry for a manufacturer and model as the modem reports them.
pub fn detect(manufacturer: &str, model: &str) -> &'static Quirks {
    let id = format!("{manufacturer} {model}").to_ascii_lowercase();
    ALL.iter()
        .copied()
        .find(|q| q.matches.iter().any(|m| id.contains(m)))
        .unwrap_or(&GENERIC)
}

/// The entry named in a config file.
pub fn by_name(name: &str) -> Option<&'static Quirks> {
    ALL.iter()
        .copied()
        .find(|q| q.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_table() {
        let cases = [
            ("Quectel EC25", "Quectel", "EC25", "quectel"),
            (
                "SIMCom SIM7600",
                "SIMCOM INCORPORATED",
                "SIMCOM_SIM7600E-H",
                "simcom",
            ),
            ("SIMCom SIM800 bare model", "", "SIM800 R14.18", "simcom"),
            ("Huawei E3372", "huawei", "E3372", "huawei"),
            ("unknown", "Acme", "X1", "generic"),
        ];
        for (name, manufacturer, model, want) in cases {
            assert_eq!(detect(manufacturer, model).name, want, "{name}");
        }
        assert_eq!(by_name("Quectel").map(|q| q.name), Some("quectel"));
        assert!(by_name("nokia").is_none());
    }
}
