//! Timer units in the manager: the glue between the job engine, the
//! manager's deadlines and [`engine::timer`]'s machine.
//!
//! - loading a `.timer` builds its [`TimerUnit`]: the `On…=` values in
//!   file order (calendar events parsed in the manager's zone), the unit
//!   it triggers (`Unit=`, else the service of the same name), the
//!   `Persistent=` stamp's path (`/var/lib/systemd/timers/stamp-NAME`, for
//!   a user manager `$XDG_DATA_HOME/systemd/timers/`), and the
//!   `FixedRandomDelay=` hash;
//! - a start job runs the machine's `Start` (reading the stamp's mtime,
//!   creating the file when missing, as systemd does) and a stop job its
//!   `Stop`; both complete at once, "Started …"/"Stopped …" as for any
//!   unit;
//! - the machine's elapse is armed as one deadline of the manager
//!   ([`super::TimerOwner::TimerUnit`]) on the manager's monotonic clock; a
//!   realtime (calendar) elapse is converted when armed, and checked again
//!   against the wall clock when it fires: a clock set back re-arms
//!   instead of firing early. (systemd arms `CLOCK_REALTIME` timers; a
//!   clock set *forward* fires here only when the converted deadline
//!   passes, or at the next check against the wall clock, `deadlines.rs`.)
//! - a set of the wall clock or a change of the time zone
//!   (`clock_watch.rs`) is told to every timer: `OnClockChange=` and
//!   `OnTimezoneChange=` elapse then, the others compute again;
//! - an elapse queues a start job of the triggered unit, `replace` mode as
//!   systemd's `timer_enter_running()`, touches the stamp, and the timer
//!   is `running` until that unit is inactive again;
//! - every state change of a triggered unit is reported back
//!   ([`Manager::timer_trigger_changed`], systemd's
//!   `timer_trigger_notify()`), through an index from the triggered unit
//!   to its timers.

use std::path::PathBuf;

use engine::timer::{Base, Context, Dual, Outcome, Timer, TimerEvent, TimerParams, TimerValue};
use unit::directive::SectionKind as S;
use unit::load::LoadState;
use unit::value::Value;

use super::props::Instant2;
use super::{Manager, TimerOwner};

/// `AccuracySec=`'s default (`systemd.timer(5)`).
pub const DEFAULT_ACCURACY_USEC: u64 = 60_000_000;

const MONOTONIC_BASES: [(&str, Base); 5] = [
    ("OnActiveSec", Base::Active),
    ("OnBootSec", Base::Boot),
    ("OnStartupSec", Base::Startup),
    ("OnUnitActiveSec", Base::UnitActive),
    ("OnUnitInactiveSec", Base::UnitInactive),
];

/// A loaded timer unit's run-time part.
#[derive(Debug)]
pub struct TimerUnit {
    pub machine: Timer,
    /// The unit it starts, as named (`Unit=` or NAME.service).
    pub trigger: String,
    pub stamp: Option<PathBuf>,
    pub accuracy: u64,
    pub persistent: bool,
    pub wake_system: bool,
    pub fixed_random_delay: bool,
}

impl TimerUnit {
    fn new(cfg: &unit::config::UnitConfig, stamp_dir: Option<PathBuf>, machine_id: &str, user: bool) -> TimerUnit {
        let mut values = Vec::new();
        let on = |d: &unit::directive::Directive| {
            d.section == S::Timer && (d.name == "OnCalendar" || MONOTONIC_BASES.iter().any(|(n, _)| *n == d.name))
        };
        for (d, a) in cfg.settings.in_order(on) {
            match (&a.value, d.name) {
                // One that does not parse was reported with the unit's
                // other diagnostics and is skipped, as systemd ignores it.
                (Value::String(text), "OnCalendar") => {
                    if let Ok(spec) = unit::calendar::CalendarSpec::parse(text) {
                        values.push(TimerValue::new(Base::Calendar(Box::new(spec)), 0));
                    }
                }
                (Value::Timespan(u), name) => {
                    if let Some((_, base)) = MONOTONIC_BASES.iter().find(|(n, _)| *n == name) {
                        values.push(TimerValue::new(base.clone(), u.0));
                    }
                }
                _ => {}
            }
        }
        let span = |name: &str, default: u64| match cfg.value(S::Timer, name) {
            Some(Value::Timespan(u)) => u.0,
            _ => default,
        };
        let id = cfg.id.as_str();
        let fixed = cfg.bool_or(S::Timer, "FixedRandomDelay", false);
        let persistent = cfg.bool_or(S::Timer, "Persistent", false);
        TimerUnit {
            machine: Timer::new(TimerParams {
                values,
                randomized_delay: span("RandomizedDelaySec", 0),
                fixed_delay_hash: fixed.then(|| fixed_delay_hash(machine_id, user, id)),
                remain_after_elapse: cfg.bool_or(S::Timer, "RemainAfterElapse", true),
                on_clock_change: cfg.bool_or(S::Timer, "OnClockChange", false),
                on_timezone_change: cfg.bool_or(S::Timer, "OnTimezoneChange", false),
            }),
            trigger: unit::config::deps::triggered_unit(cfg).unwrap_or_else(|| format!("{}.service", cfg.id.stem())),
            stamp: persistent.then(|| stamp_dir.map(|d| d.join(format!("stamp-{id}")))).flatten(),
            accuracy: span("AccuracySec", DEFAULT_ACCURACY_USEC),
            persistent,
            wake_system: cfg.bool_or(S::Timer, "WakeSystem", false),
            fixed_random_delay: fixed,
        }
    }
}

/// `FixedRandomDelay=`'s stable share: a hash of the machine, the manager's
/// scope and user, and the unit, the same at every boot. (systemd keys a
/// SipHash with a constant of its own; this is FNV-1a over the same
/// inputs, so the delay is as stable but not the same number.)
fn fixed_delay_hash(machine_id: &str, user: bool, unit: &str) -> u64 {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let (scope, uid) = ([u8::from(!user)], uid.to_le_bytes());
    for b in machine_id.trim().as_bytes().iter().chain(&scope).chain(&uid).chain(unit.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A fresh random number (`RandomizedDelaySec=`).
fn random_u64() -> u64 {
    let mut v = 0u64;
    // SAFETY: getrandom writes at most 8 bytes into `v`.
    let n = unsafe { libc::getrandom((&mut v as *mut u64).cast(), 8, 0) };
    if n != 8 {
        v = Instant2::now().mono.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    v
}

fn in_container(root: &std::path::Path, scope: unit::Scope) -> bool {
    static FOUND: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FOUND.get_or_init(|| unit::condition::virt::detect_container(&unit::condition::CheckEnv::current(root, scope)).is_some())
}

/// The stamp's modification time, µs since the epoch.
fn mtime_usec(path: &std::path::Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.mtime().max(0) as u64) * 1_000_000 + (m.mtime_nsec().max(0) as u64) / 1000)
}

/// Create the stamp (and its directory), or set its times to `at`.
fn touch(path: &std::path::Path, at: Option<u64>) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(f) = std::fs::OpenOptions::new().create(true).append(true).open(path) else { return };
    if let Some(at) = at {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_micros(at);
        let _ = f.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t));
    }
}

impl Manager {
    /// The run-time state of a freshly loaded unit, if it is a timer.
    pub(super) fn timer_runtime(&mut self, cfg: &unit::config::UnitConfig) -> Option<TimerUnit> {
        if cfg.id.unit_type() != unit::UnitType::Timer || cfg.load_state != LoadState::Loaded {
            return None;
        }
        let lookup = &self.loader.lookup;
        let user = lookup.scope == unit::Scope::User;
        let stamp_dir = if user {
            std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
                .map(|d| d.join("systemd/timers"))
        } else {
            Some(lookup.root.join("var/lib/systemd/timers"))
        };
        let machine_id = std::fs::read_to_string(lookup.root.join("etc/machine-id")).unwrap_or_default();
        let t = TimerUnit::new(cfg, stamp_dir, &machine_id, user);
        self.timer_triggers.entry(t.trigger.clone()).or_default().push(cfg.id.as_str().to_string());
        Some(t)
    }

    /// Feed one event to a timer's machine and carry out its outcome.
    fn timer_event(&mut self, id: &str, event: TimerEvent) {
        let now = Instant2::now();
        let userspace = self.boot.userspace.mono;
        let container = in_container(&self.loader.lookup.root, self.loader.lookup.scope);
        let Some(u) = self.units.get(id) else { return };
        let Some(t) = u.timer() else { return };
        let trigger = self.known_id(&t.trigger).and_then(|tid| self.units.get(tid));
        let (exit, enter) = trigger.map_or((0, 0), |tu| (tu.stamps.inactive_exit().mono, tu.stamps.inactive_enter().mono));
        let own = u.stamps.inactive_exit();
        // Read from /etc/localtime once, not at every event (put back below).
        let local = self.local_zone.take().unwrap_or_else(unit::calendar::tz::TimeZone::local);
        let mut random = random_u64;
        let mut ctx = Context {
            now: Dual { realtime: now.wall, monotonic: now.mono },
            own_inactive_exit: Dual { realtime: own.wall, monotonic: own.mono },
            trigger_inactive_exit: exit,
            trigger_inactive_enter: enter,
            userspace,
            in_container: container,
            local: &local,
            random: &mut random,
        };
        let Some(t) = self.units.get_mut(id).and_then(|u| u.timer_mut()) else { return };
        let before = t.machine.state().active_state();
        let outcome = t.machine.handle(event, &mut ctx);
        let after = t.machine.state().active_state();
        self.local_zone = Some(local);
        if let Some(u) = self.units.get_mut(id) {
            if before != after {
                u.stamps.record(before, after);
            }
        }
        match outcome {
            Outcome::Nothing => {}
            Outcome::Disarm => self.timer_disarm(id),
            Outcome::Arm { monotonic, realtime } => self.timer_arm(id, now, monotonic, realtime),
            Outcome::StampInFuture { monotonic, realtime } => {
                self.log(id, engine::service::LogLevel::Warning, "Not using persistent file timestamp as it is in the future.");
                self.timer_arm(id, now, monotonic, realtime);
            }
            Outcome::StartTrigger => self.timer_fire(id),
        }
        if before != after {
            self.gc.queue(id);
        }
    }

    fn timer_disarm(&mut self, id: &str) {
        self.timers.retain(|_, o| !matches!(o, TimerOwner::TimerUnit(u) if u == id));
    }

    /// One deadline for the sooner of the two elapses, on the manager's
    /// clock (µs since its start).
    fn timer_arm(&mut self, id: &str, now: Instant2, monotonic: Option<u64>, realtime: Option<u64>) {
        self.timer_disarm(id);
        let in_mono = monotonic.map(|m| m.saturating_sub(now.mono));
        let in_real = realtime.map(|r| r.saturating_sub(now.wall));
        let Some(after) = in_mono.into_iter().chain(in_real).min() else { return };
        self.timer_seq += 1;
        let at = self.now().saturating_add(after);
        self.timers.insert((at, self.timer_seq), TimerOwner::TimerUnit(id.to_string()));
    }

    /// The manager's deadline for a timer passed (`fire_timers`): elapse,
    /// unless the wall clock says a calendar elapse is not due yet.
    pub(super) fn timer_deadline(&mut self, id: &str) {
        let now = Instant2::now();
        let Some(t) = self.units.get(id).and_then(|u| u.timer()) else { return };
        let mono_due = t.machine.next_monotonic().is_some_and(|m| m <= now.mono);
        // A millisecond of slack: the two clocks were read apart.
        let real_due = t.machine.next_realtime().is_some_and(|r| r <= now.wall + 1000);
        if mono_due || real_due {
            self.timer_event(id, TimerEvent::Elapse);
        } else {
            let (m, r) = (t.machine.next_monotonic(), t.machine.next_realtime());
            self.timer_arm(id, now, m, r);
        }
    }

    /// A calendar elapse the wall clock says is due fires now, whatever
    /// its converted deadline (`deadlines.rs`).
    pub(super) fn timer_wall_check(&mut self, id: &str) {
        let wall = Instant2::now().wall;
        let due = self.units.get(id).and_then(|u| u.timer()).and_then(|t| t.machine.next_realtime()).is_some_and(|r| r <= wall);
        if due {
            self.timer_disarm(id);
            self.timer_event(id, TimerEvent::Elapse);
        }
    }

    /// The timer elapsed: queue its unit's start job (not while the timer
    /// itself is being stopped), then tell the machine how that went.
    fn timer_fire(&mut self, id: &str) {
        if self.jobs.get(id).is_some_and(|j| j.verb == proto::msg::JobVerb::Stop) {
            return;
        }
        let Some(t) = self.units.get(id).and_then(|u| u.timer()) else { return };
        let trigger = t.trigger.clone();
        let stamp = t.stamp.clone();
        match self.job(&trigger, proto::msg::JobVerb::Start) {
            Ok(_) => {
                self.timer_event(id, TimerEvent::Queued);
                if let (Some(p), Some(t)) = (stamp, self.units.get(id).and_then(|u| u.timer())) {
                    touch(&p, Some(t.machine.last_trigger().realtime));
                }
            }
            Err((_, e)) => {
                self.log(id, engine::service::LogLevel::Warning, &format!("Failed to queue unit startup job: {e}"));
                self.timer_event(id, TimerEvent::QueueFailed);
            }
        }
    }

    /// Run a timer's job; it completes at once. A restart starts the
    /// machine afresh (its `Start` is taken only from dead), as systemd's
    /// restart job stops, then starts.
    pub(super) fn run_timer_job(&mut self, id: &str, ty: engine::transaction::JobType) {
        use engine::transaction::JobType;
        let start = ty != JobType::Stop;
        if ty == JobType::Restart && self.units.get(id).is_some_and(|u| u.active_state() == "active") {
            self.timer_event(id, TimerEvent::Stop);
            let desc = self.units.get(id).map(|u| super::messages::status_ident(&u.cfg)).unwrap_or_default();
            // A restart job says it is stopping, then "Started" (systemd
            // 252 in the oracle; no "Stopped" line).
            self.say_at(id, 6, &format!("Stopping {desc}..."), Some(super::messages::UNIT_STOPPING));
        }
        let was = self.units.get(id).map_or("inactive", |u| u.active_state());
        if start && was != "active" {
            // unit_test_trigger_loaded(): no start without the unit to start.
            let trigger = self.units.get(id).and_then(|u| u.timer()).map(|t| t.trigger.clone()).unwrap_or_default();
            let loaded = self.unit_id(&trigger).ok().and_then(|t| self.units.get(&t)).is_some_and(|t| t.cfg.load_state == LoadState::Loaded);
            if !loaded {
                self.log(id, engine::service::LogLevel::Warning, &format!("Refusing to start, unit {trigger} to trigger not loaded."));
                let desc = self.units.get(id).map(|u| super::messages::status_ident(&u.cfg)).unwrap_or_default();
                self.say_at(id, 3, &format!("Failed to start {desc}."), Some(super::messages::UNIT_FAILED));
                return self.complete(id, "failed");
            }
        }
        if start {
            let stamp = self.units.get(id).and_then(|u| u.timer()).and_then(|t| t.stamp.clone());
            let mtime = stamp.as_deref().and_then(|p| {
                let m = mtime_usec(p);
                if m.is_none() {
                    // Never ran: the stamp now exists, as systemd makes it.
                    touch(p, None);
                }
                m
            });
            if let Some(u) = self.units.get_mut(id) {
                if u.invocation_id.is_empty() {
                    u.invocation_id = super::invocation_id();
                }
            }
            self.timer_event(id, TimerEvent::Start { stamp: mtime });
        } else {
            self.timer_event(id, TimerEvent::Stop);
        }
        let Some(u) = self.units.get(id) else { return };
        let desc = super::messages::status_ident(&u.cfg);
        let now = u.active_state();
        if start && was != "active" && now == "active" {
            self.say_at(id, 6, &format!("Started {desc}."), Some(super::messages::UNIT_STARTED));
        } else if !start && was == "active" {
            self.say_at(id, 6, &format!("Stopped {desc}."), Some(super::messages::UNIT_STOPPED));
        }
        self.complete(id, "done");
        if !start && was == "active" {
            self.unit_went_down(id, false);
        }
    }

    /// A unit changed state: tell the timers that trigger it.
    pub(super) fn timer_trigger_changed(&mut self, id: &str) {
        if self.timer_triggers.is_empty() {
            return;
        }
        // By every name of the unit: a timer's `Unit=` may name an alias.
        let timers = match self.units.get(id) {
            Some(u) => self.timers_for(u.cfg.names().map(|n| n.as_str())),
            None => self.timer_triggers.get(id).cloned().unwrap_or_default(),
        };
        if timers.is_empty() {
            return;
        }
        let inactive = self.units.get(id).is_none_or(|u| matches!(u.active_state(), "inactive" | "failed"));
        for t in timers {
            self.timer_event(&t, TimerEvent::TriggerChanged { trigger_inactive: inactive });
        }
    }

    /// The wall clock was set, or the time zone changed (`clock_watch.rs`):
    /// every timer is told (systemd's `timer_time_change()`,
    /// `timer_timezone_change()`).
    pub fn timers_time_change(&mut self, zone: bool) {
        if zone {
            // Read again at the next timer event.
            self.local_zone = None;
        }
        if self.timer_triggers.is_empty() {
            return;
        }
        let timers: Vec<String> = self.timer_triggers.values().flatten().cloned().collect();
        let event = if zone { TimerEvent::TimezoneChanged } else { TimerEvent::ClockChanged };
        for t in timers {
            self.timer_event(&t, event.clone());
        }
    }

    /// `daemon-reload` of a timer that is kept (not idle): its new
    /// settings take effect now, its state and last trigger kept, as
    /// systemd re-reads a timer and computes its next elapse again.
    pub(super) fn timer_reloaded(&mut self, id: &str) {
        let Some(old) = self.units.get(id).and_then(|u| u.timer()).map(|t| t.trigger.clone()) else { return };
        let Some(cfg) = self.units.get(id).map(|u| u.cfg.clone()) else { return };
        self.timer_unindex(id, &old);
        let Some(fresh) = self.timer_runtime(&cfg) else { return };
        if let Some(t) = self.units.get_mut(id).and_then(|u| u.timer_mut()) {
            let TimerUnit { machine, trigger, stamp, accuracy, persistent, wake_system, fixed_random_delay } = fresh;
            t.machine.set_params(machine.params);
            (t.trigger, t.stamp, t.accuracy, t.persistent, t.wake_system, t.fixed_random_delay) =
                (trigger, stamp, accuracy, persistent, wake_system, fixed_random_delay);
        }
        self.timer_event(id, TimerEvent::Reloaded);
    }

    /// `reset-failed` of a timer.
    pub(super) fn timer_reset_failed(&mut self, id: &str) {
        if self.units.get(id).is_some_and(|u| u.timer().is_some()) {
            self.timer_event(id, TimerEvent::ResetFailed);
        }
    }

    /// A timer unit is unloaded: forget its index entry.
    pub(super) fn timer_unindex(&mut self, id: &str, trigger: &str) {
        if let Some(v) = self.timer_triggers.get_mut(trigger) {
            v.retain(|t| t != id);
            if v.is_empty() {
                self.timer_triggers.remove(trigger);
            }
        }
        self.timer_disarm(id);
    }
}

/// A timer's `Result` where systemd lists it, after
/// `LastTriggerUSecMonotonic`: the general order puts the name with a
/// service's `Result`, at the top.
pub(super) fn place_result(p: &mut Vec<super::props::Prop>) {
    let (Some(r), Some(_)) = (p.iter().position(|(k, _)| k == "Result"), p.iter().position(|(k, _)| k == "LastTriggerUSecMonotonic")) else {
        return;
    };
    let result = p.remove(r);
    let after = p.iter().position(|(k, _)| k == "LastTriggerUSecMonotonic").map_or(p.len(), |i| i + 1);
    p.insert(after, result);
}

/// A timespan as `systemctl show` prints a `…USec` property (µs precision).
fn span(usec: u64) -> String {
    if usec == 0 {
        return "0".into();
    }
    unit::value::time::format_timespan(usec, 1)
}

/// A timestamp as `systemctl show` prints it; empty (omitted) when unset.
fn stamp(usec: u64) -> String {
    if usec == 0 {
        return String::new();
    }
    crate::journalctl::time::format_timestamp(usec, false)
}

fn yes_no(b: bool) -> String {
    (if b { "yes" } else { "no" }).into()
}

impl Manager {
    /// A timer's own properties, in systemd 252's order (`show` of a
    /// timer); for `status` (`brief`) only the next elapse on both clocks
    /// and `Triggers`, from which it prints `Trigger:` and `Triggers:`.
    pub(super) fn timer_properties(&self, u: &super::Unit, want: &dyn Fn(&str) -> bool, brief: bool, p: &mut Vec<super::props::Prop>) {
        let Some(t) = u.timer() else { return };
        let m = &t.machine;
        if brief {
            p.push(("NextElapseUSecRealtime".into(), stamp(m.next_realtime().unwrap_or(0))));
            p.push(("NextElapseUSecMonotonic".into(), span(m.next_monotonic().unwrap_or(0))));
            p.push(("Triggers".into(), t.trigger.clone()));
            return;
        }
        let mut push = |name: &'static str, value: String| {
            if want(name) {
                p.push((name.into(), value));
            }
        };
        push("Unit", t.trigger.clone());
        // systemd keeps the values in a list it prepends to: the last
        // assigned comes first.
        for v in m.params.values.iter().rev() {
            match &v.base {
                Base::Calendar(_) => {}
                b => {
                    let name = b.directive().replace("Sec", "USec");
                    push("TimersMonotonic", format!("{{ {name}={} ; next_elapse={} }}", span(v.usec), span(v.next)));
                }
            }
        }
        for v in m.params.values.iter().rev() {
            if let Base::Calendar(spec) = &v.base {
                let next = if v.next == 0 { "n/a".to_string() } else { stamp(v.next) };
                push("TimersCalendar", format!("{{ OnCalendar={spec} ; next_elapse={next} }}"));
            }
        }
        push("OnClockChange", yes_no(m.params.on_clock_change));
        push("OnTimezoneChange", yes_no(m.params.on_timezone_change));
        push("NextElapseUSecRealtime", stamp(m.next_realtime().unwrap_or(0)));
        push("NextElapseUSecMonotonic", span(m.next_monotonic().unwrap_or(0)));
        push("LastTriggerUSec", stamp(m.last_trigger().realtime));
        push("LastTriggerUSecMonotonic", span(m.last_trigger().monotonic));
        push("Result", m.result().as_str().into());
        push("AccuracyUSec", span(t.accuracy));
        push("RandomizedDelayUSec", span(m.params.randomized_delay));
        push("FixedRandomDelay", yes_no(t.fixed_random_delay));
        push("Persistent", yes_no(t.persistent));
        push("WakeSystem", yes_no(t.wake_system));
        push("RemainAfterElapse", yes_no(m.params.remain_after_elapse));
    }

    /// The timers that start `names` (a unit's names), for `TriggeredBy`.
    pub(super) fn timers_for<'a>(&'a self, names: impl Iterator<Item = &'a str>) -> Vec<String> {
        if self.timer_triggers.is_empty() {
            return Vec::new();
        }
        names.filter_map(|n| self.timer_triggers.get(n)).flatten().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_delay_hash_is_stable_and_depends_on_each_input() {
        let a = fixed_delay_hash("0123456789abcdef0123456789abcdef\n", false, "x.timer");
        assert_eq!(a, fixed_delay_hash("0123456789abcdef0123456789abcdef", false, "x.timer"));
        assert_ne!(a, fixed_delay_hash("0123456789abcdef0123456789abcdee", false, "x.timer"));
        assert_ne!(a, fixed_delay_hash("0123456789abcdef0123456789abcdef", true, "x.timer"));
        assert_ne!(a, fixed_delay_hash("0123456789abcdef0123456789abcdef", false, "y.timer"));
    }
}
