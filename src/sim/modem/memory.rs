//! The simulated modem's SMS memories and their `AT+CPMS` selection, with no
//! I/O.
//!
//! A real module keeps messages in separate memories: `"SM"` on the SIM,
//! `"ME"` in the module and, on Quectel and SIMCom, `"SR"` for status
//! reports. `AT+CPMS=<mem1>,<mem2>,<mem3>` (27.005 §3.2.2) chooses which one
//! each kind of command uses: `<mem1>` is read, listed and deleted
//! (`AT+CMGR`, `AT+CMGL`, `AT+CMGD`), `<mem2>` is written (`AT+CMGW`) and
//! received messages go to `<mem3>` (`+CMTI`). The memories exist so that a
//! host that reads the wrong one (a `+CDSI: "SR",1` followed by `AT+CMGR=1`
//! with `<mem1>` still `"SM"`) sees what it would see on hardware: nothing.
//!
//! Which memories a profile has, which `AT+CPMS` accepts in each position
//! and where status reports go is data in [`Profile`]; this module holds the
//! slots, the selection and the `AT+CPMS` answers.

use crate::sim::profile::Profile;

/// One SMS memory of 27.005.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mem {
    /// The SIM's memory.
    Sm,
    /// The module's own memory.
    Me,
    /// Status reports (Quectel, SIMCom).
    Sr,
}

impl Mem {
    /// Every memory the simulator knows, in the order it lists them.
    pub const ALL: [Mem; 3] = [Mem::Sm, Mem::Me, Mem::Sr];

    /// The name in AT commands and URCs.
    pub fn name(self) -> &'static str {
        match self {
            Mem::Sm => "SM",
            Mem::Me => "ME",
            Mem::Sr => "SR",
        }
    }

    /// The memory called `s` (quotes already removed), case-insensitive.
    pub fn parse(s: &str) -> Option<Mem> {
        Mem::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s.trim()))
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT.
    pub stat: u8,
    /// PDU-mode octets (SMSC prefix then TPDU).
    pub pdu: Vec<u8>,
    pub tpdu_len: usize,
}

/// One memory's slots; slot `i` holds message index `i + 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memory {
    slots: Vec<Option<Stored>>,
}

impl Memory {
    fn new(capacity: usize) -> Memory {
        Memory {
            slots: vec![None; capacity],
        }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    pub fn used(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    pub fn is_full(&self) -> bool {
        self.slots.iter().all(Option::is_some)
    }

    /// Puts `m` in the first free slot and returns its index (from 1), or
    /// None when the memory is full.
    pub fn store(&mut self, m: Stored) -> Option<usize> {
        let i = self.slots.iter().position(Option::is_none)?;
        self.slots[i] = Some(m);
        Some(i + 1)
    }

    /// The slot behind an `AT+CMGR`/`AT+CMGD` index; `+CMS ERROR: 321`
    /// (invalid memory index) outside `1..=capacity`.
    pub fn slot(&mut self, index: Option<i64>) -> Result<&mut Option<Stored>, u16> {
        let cap = self.slots.len();
        match index.and_then(|i| usize::try_from(i).ok()) {
            Some(i) if (1..=cap).contains(&i) => Ok(&mut self.slots[i - 1]),
            _ => Err(321),
        }
    }

    /// The stored messages with their indices, lowest first.
    pub fn messages(&self) -> impl Iterator<Item = (usize, &Stored)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|m| (i + 1, m)))
    }

    /// As [`Memory::messages`], to mark messages read.
    pub fn messages_mut(&mut self) -> impl Iterator<Item = (usize, &mut Stored)> {
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(i, s)| s.as_mut().map(|m| (i + 1, m)))
    }

    /// `AT+CMGD=<i>,<flag>` with flag 1 (read), 2 (read and sent),
    /// 3 (read, sent and unsent) or 4 (all); the index is ignored.
    pub fn delete_by_flag(&mut self, flag: u8) {
        for slot in &mut self.slots {
            let del = slot.as_ref().is_some_and(|m| match flag {
                1 => m.stat == 1,
                2 => matches!(m.stat, 1 | 3),
                3 => matches!(m.stat, 1..=3),
                _ => true,
            });
            if del {
                *slot = None;
            }
        }
    }
}

/// What happens to a message whose memory is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// The network keeps it and tries again once a slot is free.
    Hold,
    /// The module throws it away: what a Quectel or SIMCom module does with
    /// a status report when "SR" is full, because the network considers a
    /// report delivered once the module has acknowledged it.
    Drop,
}

/// The memories a profile has and the current `AT+CPMS` selection.
#[derive(Debug, Clone)]
pub struct Memories {
    profile: &'static Profile,
    /// Indexed by [`Mem`]; a memory the profile lacks has no slots and is
    /// never selected or shown.
    all: [Memory; 3],
    present: [bool; 3],
    /// `<mem1>`, `<mem2>`, `<mem3>`.
    cpms: [Mem; 3],
}

impl Memories {
    /// The profile's memories: "SM" with `sm` slots, "ME" and "SR" with the
    /// given counts or the profile's defaults.
    pub fn new(
        profile: &'static Profile,
        sm: usize,
        me: Option<usize>,
        sr: Option<usize>,
    ) -> Memories {
        let mut present = [false; 3];
        for mem in profile.cpms_lists.iter().flat_map(|l| l.iter()) {
            present[mem.slot()] = true;
        }
        for mem in profile.cpms_default.iter().chain(&profile.report_memory) {
            present[mem.slot()] = true;
        }
        let cap = |mem: Mem, n: usize| if present[mem.slot()] { n } else { 0 };
        Memories {
            profile,
            all: [
                Memory::new(cap(Mem::Sm, sm)),
                Memory::new(cap(Mem::Me, me.unwrap_or(profile.me_capacity))),
                Memory::new(cap(Mem::Sr, sr.unwrap_or(profile.sr_capacity))),
            ],
            present,
            cpms: profile.cpms_default,
        }
    }

    /// The memories this profile has, in [`Mem::ALL`] order.
    pub fn names(&self) -> impl Iterator<Item = Mem> + '_ {
        Mem::ALL.into_iter().filter(|m| self.present[m.slot()])
    }

    /// The memory called `name`, if the profile has it.
    pub fn find(&self, name: &str) -> Option<Mem> {
        Mem::parse(name).filter(|m| self.present[m.slot()])
    }

    pub fn get(&self, mem: Mem) -> &Memory {
        &self.all[mem.slot()]
    }

    pub fn get_mut(&mut self, mem: Mem) -> &mut Memory {
        &mut self.all[mem.slot()]
    }

    /// `<mem1>`, `<mem2>`, `<mem3>` as selected now.
    pub fn selection(&self) -> [Mem; 3] {
        self.cpms
    }

    /// Back to the profile's selection (power-on, `ATZ`, reboot); the
    /// contents stay.
    pub fn reset_selection(&mut self) {
        self.cpms = self.profile.cpms_default;
    }

    /// `<mem1>`: what `AT+CMGR`, `AT+CMGL` and `AT+CMGD` act on.
    pub fn read(&mut self) -> &mut Memory {
        let m = self.cpms[0];
        self.get_mut(m)
    }

    /// `<mem2>`: where `AT+CMGW` writes.
    pub fn write(&mut self) -> &mut Memory {
        let m = self.cpms[1];
        self.get_mut(m)
    }

    /// Where an incoming message that is stored goes (an SMS-DELIVER with
    /// CNMI mt 0, 1 or 3; a status report with ds 2), and what happens when
    /// that memory is full. Received messages go to `<mem3>`; status
    /// reports to the profile's report memory ("SR") when it has one,
    /// else to `<mem3>` as well.
    pub fn destination(&self, status_report: bool) -> (Mem, WhenFull) {
        match self.profile.report_memory {
            Some(m) if status_report => (m, WhenFull::Drop),
            _ => (self.cpms[2], WhenFull::Hold),
        }
    }

    /// `AT+CPMS=<mem1>[,<mem2>[,<mem3>]]`: each position takes only the
    /// memories the profile lists for it; the positions left out keep
    /// their memory. Anything else is `+CMS ERROR: 302` and changes
    /// nothing. The answer is `+CPMS: <used1>,<total1>,<used2>,<total2>,
    /// <used3>,<total3>`: 27.005 and the module manuals give all three
    /// pairs however many memories were named.
    pub fn cpms_set(&mut self, args: &[String]) -> Result<String, u16> {
        if args.is_empty() || args.len() > 3 {
            return Err(302);
        }
        let mut next = self.cpms;
        for (i, arg) in args.iter().enumerate() {
            next[i] = Mem::parse(arg)
                .filter(|m| self.profile.cpms_lists[i].contains(m))
                .ok_or(302u16)?;
        }
        self.cpms = next;
        let pairs: Vec<String> = self
            .cpms
            .iter()
            .map(|&m| format!("{},{}", self.get(m).used(), self.get(m).capacity()))
            .collect();
        Ok(format!("+CPMS: {}", pairs.join(",")))
    }

    /// `AT+CPMS?`: `+CPMS: "<mem1>",<used1>,<total1>,"<mem2>",...`.
    pub fn cpms_read(&self) -> String {
        let parts: Vec<String> = self
            .cpms
            .iter()
            .map(|&m| {
                let mm = self.get(m);
                format!("\"{}\",{},{}", m.name(), mm.used(), mm.capacity())
            })
            .collect();
        format!("+CPMS: {}", parts.join(","))
    }

    /// `AT+CPMS=?`: the profile's list for each position, e.g.
    /// `+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")`.
    pub fn cpms_test(&self) -> String {
        let lists: Vec<String> = self
            .profile
            .cpms_lists
            .iter()
            .map(|l| {
                let names: Vec<String> = l.iter().map(|m| format!("\"{}\"", m.name())).collect();
                format!("({})", names.join(","))
            })
            .collect();
        format!("+CPMS: {}", lists.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::profile::{GENERIC, HUAWEI, QUECTEL, SIMCOM};

    fn stored(stat: u8) -> Stored {
        Stored {
            stat,
            pdu: vec![0],
            tpdu_len: 0,
        }
    }

    #[test]
    fn memories_and_destinations_per_profile() {
        // (profile, memories, received message goes to, status report goes to)
        let cases: &[(&Profile, &[Mem], (Mem, WhenFull), (Mem, WhenFull))] = &[
            (
                &GENERIC,
                &[Mem::Sm],
                (Mem::Sm, WhenFull::Hold),
                (Mem::Sm, WhenFull::Hold),
            ),
            (
                &HUAWEI,
                &[Mem::Sm],
                (Mem::Sm, WhenFull::Hold),
                (Mem::Sm, WhenFull::Hold),
            ),
            (
                &QUECTEL,
                &[Mem::Sm, Mem::Me, Mem::Sr],
                (Mem::Sm, WhenFull::Hold),
                (Mem::Sr, WhenFull::Drop),
            ),
            (
                &SIMCOM,
                &[Mem::Sm, Mem::Me, Mem::Sr],
                (Mem::Sm, WhenFull::Hold),
                (Mem::Sr, WhenFull::Drop),
            ),
        ];
        for (p, mems, deliver, report) in cases {
            let m = Memories::new(p, 30, None, None);
            assert_eq!(m.names().collect::<Vec<_>>(), *mems, "{}", p.name);
            assert_eq!(m.destination(false), *deliver, "{}", p.name);
            assert_eq!(m.destination(true), *report, "{}", p.name);
            assert_eq!(m.get(Mem::Sm).capacity(), 30, "{}", p.name);
            for absent in Mem::ALL.iter().filter(|x| !mems.contains(x)) {
                assert_eq!(m.get(*absent).capacity(), 0, "{}", p.name);
                assert_eq!(m.find(absent.name()), None, "{}", p.name);
            }
        }
    }

    #[test]
    fn capacities_come_from_the_profile_unless_given() {
        let m = Memories::new(&QUECTEL, 5, None, None);
        let caps: Vec<usize> = Mem::ALL.iter().map(|&x| m.get(x).capacity()).collect();
        assert_eq!(caps, [5, QUECTEL.me_capacity, QUECTEL.sr_capacity]);
        let m = Memories::new(&QUECTEL, 5, Some(7), Some(2));
        let caps: Vec<usize> = Mem::ALL.iter().map(|&x| m.get(x).capacity()).collect();
        assert_eq!(caps, [5, 7, 2]);
        // A profile without "ME" ignores an ME capacity.
        let m = Memories::new(&GENERIC, 5, Some(7), Some(2));
        assert_eq!(m.get(Mem::Me).capacity(), 0);
    }

    #[test]
    fn cpms_set_keeps_the_positions_left_out_and_refuses_atomically() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut m = Memories::new(&QUECTEL, 30, None, None);
        assert!(m.cpms_set(&args(&["ME", "ME", "ME"])).is_ok());
        assert!(m.cpms_set(&args(&["sr"])).is_ok());
        assert_eq!(m.selection(), [Mem::Sr, Mem::Me, Mem::Me]);
        // "SR" is not allowed as <mem2>: nothing changes, not even <mem1>.
        assert_eq!(m.cpms_set(&args(&["SM", "SR"])), Err(302));
        assert_eq!(m.selection(), [Mem::Sr, Mem::Me, Mem::Me]);
        m.reset_selection();
        assert_eq!(m.selection(), [Mem::Sm; 3]);
    }

    #[test]
    fn slots_indices_and_delete_flags() {
        let mut m = Memory::new(4);
        for stat in [0, 1, 2, 3] {
            assert!(m.store(stored(stat)).is_some());
        }
        assert!(m.is_full());
        assert_eq!(m.store(stored(0)), None);
        assert_eq!(m.slot(Some(0)).err(), Some(321));
        assert_eq!(m.slot(Some(5)).err(), Some(321));
        assert_eq!(m.slot(None).err(), Some(321));
        assert!(m.slot(Some(4)).is_ok());
        // (flag, stats left)
        let cases: &[(u8, &[u8])] = &[(1, &[0, 2, 3]), (2, &[0, 2]), (3, &[0]), (4, &[])];
        for (flag, left) in cases {
            m.delete_by_flag(*flag);
            let stats: Vec<u8> = m.messages().map(|(_, s)| s.stat).collect();
            assert_eq!(stats, *left, "flag {flag}");
        }
    }
}
