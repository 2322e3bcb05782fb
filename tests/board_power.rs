//! PowerControl against embedded-hal-mock: for every shipped profile, the
//! exact pin transactions and delays of power on (module off, and already
//! on), power off, reset and power cycle.
//!
//! Each pin is an `eh1::digital::Mock` and the delay an
//! `eh1::delay::CheckedDelay`, so each checks its own sequence and the
//! exact durations; a thin recorder around them also checks the order
//! across pins (PWRKEY released before the delay that follows, and so on).

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType, InputPin, OutputPin};
use embedded_hal_mock::eh1::MockError;
use embedded_hal_mock::eh1::delay::{CheckedDelay, Transaction as DelayTx};
use embedded_hal_mock::eh1::digital::{Mock, State, Transaction as PinTx};
use smsgate::board::{self, BoardProfile, Error, Outcome, Pins, PowerControl, SharedPower};
use smsgate::modem::actor::PowerCycle;

/// One observable step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    /// A line driven high (`true`) or low.
    Set(&'static str, bool),
    /// A line read, and the level it returned.
    Get(&'static str, bool),
    /// A delay, in ms.
    Ms(u32),
}
use Ev::*;

const KEY: &str = "power_key";
const EN: &str = "power_enable";
const RST: &str = "reset";
const ST: &str = "status";
const FL: &str = "flight_mode";

type Log = Arc<Mutex<Vec<Ev>>>;

/// Records every call into the shared log, then lets the mock check it.
struct Rec<M> {
    name: &'static str,
    inner: M,
    log: Log,
}

impl ErrorType for Rec<Mock> {
    type Error = MockError;
}

impl OutputPin for Rec<Mock> {
    fn set_low(&mut self) -> Result<(), MockError> {
        self.log.lock().unwrap().push(Set(self.name, false));
        self.inner.set_low()
    }
    fn set_high(&mut self) -> Result<(), MockError> {
        self.log.lock().unwrap().push(Set(self.name, true));
        self.inner.set_high()
    }
}

impl InputPin for Rec<Mock> {
    fn is_high(&mut self) -> Result<bool, MockError> {
        let level = self.inner.is_high()?;
        self.log.lock().unwrap().push(Get(self.name, level));
        Ok(level)
    }
    fn is_low(&mut self) -> Result<bool, MockError> {
        self.is_high().map(|h| !h)
    }
}

impl DelayNs for Rec<CheckedDelay> {
    fn delay_ns(&mut self, ns: u32) {
        self.log.lock().unwrap().push(Ms(ns / 1_000_000));
        self.inner.delay_ns(ns)
    }
    fn delay_ms(&mut self, ms: u32) {
        self.log.lock().unwrap().push(Ms(ms));
        self.inner.delay_ms(ms)
    }
}

type Control = PowerControl<Rec<Mock>, Rec<Mock>, Rec<CheckedDelay>>;

/// A control and the mocks behind it, to check after the run.
struct Rig {
    control: Control,
    checks: Checks,
}

struct Checks {
    pins: Vec<Mock>,
    delay: CheckedDelay,
    log: Log,
}

fn level(high: bool) -> State {
    if high { State::High } else { State::Low }
}

/// A control for `profile` whose mocks expect exactly `expected`.
fn rig(profile: &BoardProfile, expected: &[Ev]) -> Rig {
    let log: Log = Arc::default();
    let mut mocks = Vec::new();
    let mut pin = |name: &'static str, present: bool| {
        present.then(|| {
            let txs: Vec<PinTx> = expected
                .iter()
                .filter_map(|e| match *e {
                    Set(n, high) if n == name => Some(PinTx::set(level(high))),
                    Get(n, high) if n == name => Some(PinTx::get(level(high))),
                    _ => None,
                })
                .collect();
            let mock = Mock::new(&txs);
            mocks.push(mock.clone());
            Rec {
                name,
                inner: mock,
                log: log.clone(),
            }
        })
    };
    let pins = Pins {
        power_key: pin(KEY, profile.power_key.is_some()),
        power_enable: pin(EN, profile.power_enable.is_some()),
        reset: pin(RST, profile.reset.is_some()),
        status: pin(ST, profile.status.is_some()),
        flight_mode: pin(FL, profile.flight_mode.is_some()),
    };
    let delays: Vec<DelayTx> = expected
        .iter()
        .filter_map(|e| match *e {
            Ms(ms) => Some(DelayTx::delay_ms(ms)),
            _ => None,
        })
        .collect();
    let delay = CheckedDelay::new(&delays);
    let control = PowerControl::new(
        profile,
        pins,
        Rec {
            name: "delay",
            inner: delay.clone(),
            log: log.clone(),
        },
    )
    .unwrap();
    Rig {
        control,
        checks: Checks {
            pins: mocks,
            delay,
            log,
        },
    }
}

impl Rig {
    fn finish(self, what: &str, expected: &[Ev]) {
        self.checks.finish(what, expected);
    }
}

impl Checks {
    /// Checks the order across pins and that every mock was used up.
    fn finish(mut self, what: &str, expected: &[Ev]) {
        assert_eq!(*self.log.lock().unwrap(), expected, "{what}");
        for p in &mut self.pins {
            p.done();
        }
        self.delay.done();
    }
}

/// Runs `act` on a fresh control and checks the sequence and the outcome.
fn check(
    profile: &str,
    what: &str,
    expected: &[Ev],
    act: fn(&mut Control) -> Result<Outcome, Error>,
    outcome: Outcome,
) {
    let p = board::builtin(profile).unwrap();
    let mut r = rig(&p, expected);
    let got = act(&mut r.control);
    assert_eq!(got.ok(), Some(outcome), "{profile} {what}");
    r.finish(&format!("{profile} {what}"), expected);
}

fn on(c: &mut Control) -> Result<Outcome, Error> {
    c.power_on()
}
fn off(c: &mut Control) -> Result<Outcome, Error> {
    c.power_off()
}
fn reset(c: &mut Control) -> Result<Outcome, Error> {
    c.reset()
}
fn cycle(c: &mut Control) -> Result<Outcome, Error> {
    c.power_cycle()
}

/// PWRKEY-only HATs (no STATUS): every action is a blind pulse sequence.
#[test]
fn pwrkey_only_hats() {
    // (profile, on-pulse, off-pulse, shutdown): docs/hardware/boards.md#board-profile-values.
    let rows: &[(&str, u32, u32, u32)] = &[
        ("waveshare-sim7600x", 2000, 3000, 7000),
        ("waveshare-sim868", 1100, 2000, 5000),
        ("waveshare-sim800c", 1100, 2000, 5000),
    ];
    for &(name, on_ms, off_ms, shutdown) in rows {
        let press_on = [Set(KEY, true), Ms(on_ms), Set(KEY, false)];
        let press_off = [Set(KEY, true), Ms(off_ms), Set(KEY, false), Ms(shutdown)];
        check(name, "power_on", &press_on, on, Outcome::Unverified);
        check(name, "power_off", &press_off, off, Outcome::Unverified);
        let off_then_on = [&press_off[..], &press_on[..]].concat();
        check(name, "reset", &off_then_on, reset, Outcome::Unverified);
        check(
            name,
            "power_cycle",
            &off_then_on,
            cycle,
            Outcome::Unverified,
        );
    }
}

#[test]
fn sixfab_base_hat_switches_the_supply_only() {
    let name = "sixfab-base-hat-ec25";
    // BCM26: LOW = on, HIGH = off; hard reset HIGH 2 s then LOW
    // (docs/hardware/boards.md#hat-wiring).
    check(name, "power_on", &[Set(EN, false)], on, Outcome::Unverified);
    check(
        name,
        "power_off",
        &[Set(EN, true)],
        off,
        Outcome::Unverified,
    );
    let cut = [Set(EN, true), Ms(2000), Set(EN, false)];
    check(name, "reset", &cut, reset, Outcome::Unverified);
    check(name, "power_cycle", &cut, cycle, Outcome::Unverified);
}

/// Sixfab Cellular IoT HAT: ENABLE BCM17 (0 = on), POWERKEY BCM24 (HIGH =
/// press), STATUS BCM23 (low = on). `true` below is the line level.
#[test]
fn sixfab_cellular_iot_bg96() {
    let name = "sixfab-cellular-iot-bg96";
    let (st_on, st_off) = (Get(ST, false), Get(ST, true));
    let power_on_from_off = [
        st_off,
        Set(EN, false),
        Ms(100),
        Set(KEY, true),
        Ms(500),
        Set(KEY, false),
        st_off,
        Ms(100),
        st_on,
    ];
    check(name, "power_on", &power_on_from_off, on, Outcome::Confirmed);
    check(
        name,
        "power_on (already on)",
        &[st_on],
        on,
        Outcome::AlreadyThere,
    );
    let power_off_from_on = [
        st_on,
        Set(KEY, true),
        Ms(750),
        Set(KEY, false),
        Ms(3000),
        Set(EN, true),
        st_off,
    ];
    check(
        name,
        "power_off",
        &power_off_from_on,
        off,
        Outcome::Confirmed,
    );
    check(
        name,
        "power_off (already off)",
        &[st_off],
        off,
        Outcome::AlreadyThere,
    );
    let reset_seq = [
        Set(EN, true),
        Ms(2000),
        st_off,
        Set(EN, false),
        Ms(100),
        Set(KEY, true),
        Ms(500),
        Set(KEY, false),
        st_on,
    ];
    check(name, "reset", &reset_seq, reset, Outcome::Confirmed);
    let cycle_seq = [&power_off_from_on[..], &[Ms(2000)], &power_on_from_off[..]].concat();
    check(name, "power_cycle", &cycle_seq, cycle, Outcome::Confirmed);
}

#[test]
fn status_that_never_follows_is_a_timeout() {
    let name = "sixfab-cellular-iot-bg96";
    let p = board::builtin(name).unwrap();
    // 10 000 ms timeout read every 100 ms: 101 reads, 100 waits.
    let mut expected = vec![
        Get(ST, true),
        Set(EN, false),
        Ms(100),
        Set(KEY, true),
        Ms(500),
        Set(KEY, false),
        Get(ST, true),
    ];
    for _ in 0..100 {
        expected.extend([Ms(100), Get(ST, true)]);
    }
    let mut r = rig(&p, &expected);
    match r.control.power_on() {
        Err(Error::StatusTimeout {
            want_on: true,
            timeout_ms: 10000,
        }) => {}
        other => panic!("{other:?}"),
    }
    r.finish("timeout", &expected);
}

#[test]
fn generic_usb_has_no_power_control() {
    let p = board::builtin("generic-usb").unwrap();
    let mut r = rig(&p, &[]);
    assert_eq!(r.control.is_on().unwrap(), None);
    for result in [
        r.control.power_on(),
        r.control.power_off(),
        r.control.reset(),
        r.control.power_cycle(),
    ] {
        assert!(matches!(result, Err(Error::NotWired { .. })), "{result:?}");
    }
    assert!(r.control.set_flight_mode(true).is_err());
    r.finish("generic", &[]);
}

#[test]
fn flight_mode_lines() {
    for (name, high_is_flight) in [("waveshare-sim7600x", true), ("sixfab-base-hat-ec25", true)] {
        let p = board::builtin(name).unwrap();
        let expected = [Set(FL, high_is_flight), Set(FL, !high_is_flight)];
        let mut r = rig(&p, &expected);
        r.control.set_flight_mode(true).unwrap();
        r.control.set_flight_mode(false).unwrap();
        r.finish(name, &expected);
    }
}

#[test]
fn is_on_follows_the_status_level() {
    let p = board::builtin("sixfab-cellular-iot-bg96").unwrap();
    let expected = [Get(ST, false), Get(ST, true)];
    let mut r = rig(&p, &expected);
    assert_eq!(r.control.is_on().unwrap(), Some(true));
    assert_eq!(r.control.is_on().unwrap(), Some(false));
    r.finish("is_on", &expected);
}

const WITH_RESET: &str = r#"
name = "reset-test"
description = "a board with a RESET line"
model = "quectel"
boot_ms = 10000
off_threshold_ms = 650
shutdown_ms = 2000
gpiochip = "/dev/gpiochip0"
[serial]
path = "/dev/serial0"
baud = 115200
[power_key]
line = 24
active_high = false
on_pulse_ms = 500
off_pulse_ms = 750
[reset]
line = 5
active_high = true
pulse_ms = 300
"#;

#[test]
fn a_reset_line_is_used_before_anything_else() {
    let p = BoardProfile::from_str(WITH_RESET).unwrap();
    let expected = [Set(RST, true), Ms(300), Set(RST, false)];
    let mut r = rig(&p, &expected);
    assert_eq!(r.control.reset().unwrap(), Outcome::Unverified);
    r.finish("reset line", &expected);
    // An active-low PWRKEY is pressed by driving it low.
    let expected = [Set(KEY, false), Ms(500), Set(KEY, true)];
    let mut r = rig(&p, &expected);
    assert_eq!(r.control.power_on().unwrap(), Outcome::Unverified);
    r.finish("active-low key", &expected);
}

#[test]
fn pins_must_match_the_profile() {
    let p = board::builtin("waveshare-sim7600x").unwrap();
    let pins: Pins<Mock, Mock> = Pins::default();
    let mut delay = CheckedDelay::new(&[]);
    match PowerControl::new(&p, pins, delay.clone()) {
        Err(Error::Invalid { key, .. }) => assert_eq!(key, "power_key"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("accepted missing pins"),
    }
    let g = board::builtin("generic-usb").unwrap();
    let mut extra = Mock::new(&[]);
    let pins: Pins<Mock, Mock> = Pins {
        reset: Some(extra.clone()),
        ..Pins::default()
    };
    match PowerControl::new(&g, pins, delay.clone()) {
        Err(Error::Invalid { key, .. }) => assert_eq!(key, "reset"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("accepted an extra pin"),
    }
    extra.done();
    delay.done();
}

#[test]
fn a_failing_line_is_named() {
    let p = board::builtin("waveshare-sim7600x").unwrap();
    let mut key =
        Mock::new(&[PinTx::set(State::High).with_error(MockError::Io(std::io::ErrorKind::Other))]);
    let mut flight = Mock::new(&[]);
    let mut delay = CheckedDelay::new(&[]);
    let pins: Pins<Mock, Mock> = Pins {
        power_key: Some(key.clone()),
        flight_mode: Some(flight.clone()),
        ..Pins::default()
    };
    let mut c = PowerControl::new(&p, pins, delay.clone()).unwrap();
    match c.power_on() {
        Err(Error::Pin { line, .. }) => assert_eq!(line, "power_key.line"),
        other => panic!("{other:?}"),
    }
    key.done();
    flight.done();
    delay.done();
}

#[test]
fn shared_power_is_the_actors_power_cycle_hook() {
    let p = board::builtin("sixfab-base-hat-ec25").unwrap();
    let expected = [Set(EN, true), Ms(2000), Set(EN, false)];
    let Rig { control, checks } = rig(&p, &expected);
    let shared: Arc<dyn PowerCycle> = Arc::new(SharedPower::new("sixfab-base-hat-ec25", control));
    shared.power_cycle().unwrap();
    checks.finish("shared", &expected);

    let g = board::builtin("generic-usb").unwrap();
    let Rig { control, checks } = rig(&g, &[]);
    let shared = SharedPower::new("generic-usb", control);
    let err = PowerCycle::power_cycle(&shared).unwrap_err();
    assert!(err.contains("generic-usb"), "{err}");
    checks.finish("shared generic", &[]);
}
