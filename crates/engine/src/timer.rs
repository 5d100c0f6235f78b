//! One `.timer` unit's machine, as systemd 252 runs it (`systemd.timer(5)`).
//!
//! # States
//!
//! | state     | ActiveState | meaning                                             |
//! |-----------|-------------|-----------------------------------------------------|
//! | `dead`    | inactive    | not started, or stopped                             |
//! | `waiting` | active      | armed: a next elapse is known on one or both clocks |
//! | `running` | active      | elapsed; the triggered unit's start job is queued   |
//! | `elapsed` | active      | nothing left to wait for (every trigger was one-shot and has fired), kept around (`RemainAfterElapse=yes`, or a trigger relative to the unit's own state) |
//! | `failed`  | failed      | the trigger could not be queued (`Result=resources`) |
//!
//! # Events
//!
//! - `Start` (a start job runs): forget the last trigger, take the
//!   persistent stamp's time when `Persistent=yes` (the manager reads the
//!   file), re-enable the `OnActiveSec=` triggers, compute the next elapse.
//! - `Stop`: `dead`.
//! - `Elapse` (the manager's deadline for the armed elapse passed): only in
//!   `waiting`, asks the manager to queue a start job for the unit to
//!   trigger ([`Outcome::StartTrigger`]), which answers with `Queued` (the
//!   last trigger is now; `running`) or `QueueFailed` (`failed`).
//! - `TriggerChanged` (the triggered unit changed state, systemd's
//!   `timer_trigger_notify()`): re-enable the `OnUnitActiveSec=` /
//!   `OnUnitInactiveSec=` triggers and compute again — from `waiting` or
//!   `elapsed` at once, from `running` once the unit is inactive again.
//! - `ClockChanged` (the wall clock was set) and `TimezoneChanged`, only
//!   in `waiting`: a last trigger that now lies in the future is moved
//!   back to now (after a clock set back, the elapses since count again,
//!   as with `Persistent=`); then the timer elapses at once with
//!   `OnClockChange=yes` / `OnTimezoneChange=yes`, else computes again.
//! - `Reloaded` (`daemon-reload` gave the timer new settings, put in place
//!   by [`Timer::set_params`]): from `waiting` or `elapsed` the next elapse
//!   is computed with them at once, from `running` when the unit is done.
//! - `ResetFailed`: `failed` → `dead`.
//!
//! # The next elapse
//!
//! Each `On…=` value has a base: `OnActiveSec=` the timer's own start,
//! `OnBootSec=` the kernel's boot (monotonic 0; in a container the
//! manager's start, as systemd counts there), `OnStartupSec=` the manager's
//! start, `OnUnitActiveSec=` / `OnUnitInactiveSec=` the triggered unit's
//! last activation / deactivation or the last trigger, whichever is later
//! (skipped while neither happened), `OnCalendar=` the next calendar hit
//! after the last trigger (or the timer's start, or now). A calendar hit
//! earlier than the manager's own start is moved to it, so a
//! `Persistent=yes` timer whose stamp says it missed a run fires right
//! after start-up. A monotonic one-shot (`OnActiveSec=`, `OnBootSec=`,
//! `OnStartupSec=`) whose time has passed since the last trigger is
//! disabled. The soonest value of each clock is the elapse on that clock,
//! each plus `RandomizedDelaySec=`'s random share (a hash of the machine
//! and the unit with `FixedRandomDelay=yes`). With nothing left, the timer
//! is `elapsed` or, with `RemainAfterElapse=no` and no unit-relative
//! trigger, `dead`.
//!
//! Times are microseconds: realtime since the epoch, monotonic since boot
//! (`CLOCK_MONOTONIC`), both taken by the caller.

use unit::calendar::tz::TimeZone;
use unit::calendar::CalendarSpec;

/// Both clocks at one instant (systemd's `dual_timestamp`); zero = never.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dual {
    pub realtime: u64,
    pub monotonic: u64,
}

impl Dual {
    pub fn is_set(&self) -> bool {
        self.realtime > 0 || self.monotonic > 0
    }
}

/// What a trigger value counts from.
#[derive(Clone, Debug, PartialEq)]
pub enum Base {
    Active,
    Boot,
    Startup,
    UnitActive,
    UnitInactive,
    Calendar(Box<CalendarSpec>),
}

impl Base {
    /// The directive that sets it (`TimersMonotonic=` lists these names).
    pub fn directive(&self) -> &'static str {
        match self {
            Base::Active => "OnActiveSec",
            Base::Boot => "OnBootSec",
            Base::Startup => "OnStartupSec",
            Base::UnitActive => "OnUnitActiveSec",
            Base::UnitInactive => "OnUnitInactiveSec",
            Base::Calendar(_) => "OnCalendar",
        }
    }
}

/// One `On…=` value: a base and, for the monotonic ones, the span after it.
#[derive(Clone, Debug, PartialEq)]
pub struct TimerValue {
    pub base: Base,
    pub usec: u64,
    /// A one-shot trigger that has fired (or whose time passed since the
    /// last trigger); skipped until the timer is started again.
    disabled: bool,
    /// The value's own next elapse, as last computed (`show`'s
    /// `TimersCalendar=` prints it).
    pub next: u64,
}

impl TimerValue {
    pub fn new(base: Base, usec: u64) -> TimerValue {
        TimerValue { base, usec, disabled: false, next: 0 }
    }
}

/// The settings of a `[Timer]` section the machine acts on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimerParams {
    pub values: Vec<TimerValue>,
    /// `RandomizedDelaySec=`: the random share is below this.
    pub randomized_delay: u64,
    /// `FixedRandomDelay=yes`: the stable hash used instead of a random
    /// number (the manager computes it from the machine and the unit).
    pub fixed_delay_hash: Option<u64>,
    pub remain_after_elapse: bool,
    /// `OnClockChange=` / `OnTimezoneChange=`: elapse when the wall clock
    /// or the time zone changes (and never count as elapsed for good).
    pub on_clock_change: bool,
    pub on_timezone_change: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerState {
    Dead,
    Waiting,
    Running,
    Elapsed,
    Failed,
}

impl TimerState {
    pub fn as_str(self) -> &'static str {
        match self {
            TimerState::Dead => "dead",
            TimerState::Waiting => "waiting",
            TimerState::Running => "running",
            TimerState::Elapsed => "elapsed",
            TimerState::Failed => "failed",
        }
    }

    pub fn active_state(self) -> &'static str {
        match self {
            TimerState::Dead => "inactive",
            TimerState::Waiting | TimerState::Running | TimerState::Elapsed => "active",
            TimerState::Failed => "failed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerResult {
    Success,
    Resources,
}

impl TimerResult {
    pub fn as_str(self) -> &'static str {
        match self {
            TimerResult::Success => "success",
            TimerResult::Resources => "resources",
        }
    }
}

/// What the manager knows when the machine decides.
pub struct Context<'a> {
    pub now: Dual,
    /// When the timer itself last left inactive (its start).
    pub own_inactive_exit: Dual,
    /// The triggered unit's last inactive → active and active → inactive
    /// changes, monotonic; 0 = never.
    pub trigger_inactive_exit: u64,
    pub trigger_inactive_enter: u64,
    /// The manager's start, monotonic (`OnStartupSec=`, and `OnBootSec=`
    /// in a container).
    pub userspace: u64,
    pub in_container: bool,
    /// The zone calendar events without one of their own are read in.
    pub local: &'a TimeZone,
    /// A fresh random number per call (`RandomizedDelaySec=`).
    pub random: &'a mut dyn FnMut() -> u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimerEvent {
    /// A start job runs; `stamp` is the mtime of the `Persistent=` stamp
    /// file when there is one.
    Start { stamp: Option<u64> },
    Stop,
    Elapse,
    Queued,
    QueueFailed,
    TriggerChanged { trigger_inactive: bool },
    ClockChanged,
    TimezoneChanged,
    Reloaded,
    ResetFailed,
}

/// What the manager is to do after an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Nothing,
    /// Arm the deadlines (monotonic and realtime, absolute; either may be
    /// absent) in place of any armed before.
    Arm { monotonic: Option<u64>, realtime: Option<u64> },
    /// Drop any armed deadline.
    Disarm,
    /// Queue the start job of the unit to trigger and answer `Queued` or
    /// `QueueFailed`.
    StartTrigger,
    /// Start: the persistent stamp lies in the future and was not used;
    /// armed as `Arm` says.
    StampInFuture { monotonic: Option<u64>, realtime: Option<u64> },
}

#[derive(Clone, Debug)]
pub struct Timer {
    pub params: TimerParams,
    state: TimerState,
    result: TimerResult,
    last_trigger: Dual,
    next_monotonic: Option<u64>,
    next_realtime: Option<u64>,
}

impl Timer {
    pub fn new(params: TimerParams) -> Timer {
        Timer {
            params,
            state: TimerState::Dead,
            result: TimerResult::Success,
            last_trigger: Dual::default(),
            next_monotonic: None,
            next_realtime: None,
        }
    }

    /// New settings after `daemon-reload`, the state and the last trigger
    /// kept; `TimerEvent::Reloaded` then computes the next elapse.
    pub fn set_params(&mut self, params: TimerParams) {
        self.params = params;
    }

    pub fn state(&self) -> TimerState {
        self.state
    }

    pub fn result(&self) -> TimerResult {
        self.result
    }

    pub fn last_trigger(&self) -> Dual {
        self.last_trigger
    }

    /// The armed elapse on the monotonic clock, while `waiting`.
    pub fn next_monotonic(&self) -> Option<u64> {
        self.next_monotonic
    }

    /// The armed elapse on the realtime clock, while `waiting`.
    pub fn next_realtime(&self) -> Option<u64> {
        self.next_realtime
    }

    pub fn handle(&mut self, event: TimerEvent, ctx: &mut Context<'_>) -> Outcome {
        use TimerEvent as E;
        use TimerState as S;
        match (self.state, event) {
            (S::Dead | S::Failed, E::Start { stamp }) => {
                self.last_trigger = Dual::default();
                for v in &mut self.params.values {
                    if v.base == Base::Active {
                        v.disabled = false;
                    }
                }
                // Only a stamp in the past is a last trigger: one in the
                // future means a clock that was wrong when it was written.
                let future = stamp.filter(|&t| t >= ctx.now.realtime).is_some();
                if let Some(t) = stamp.filter(|&t| t < ctx.now.realtime) {
                    self.last_trigger.realtime = t;
                }
                self.result = TimerResult::Success;
                match self.enter_waiting(ctx, false) {
                    Outcome::Arm { monotonic, realtime } if future => Outcome::StampInFuture { monotonic, realtime },
                    o => o,
                }
            }
            // Started already: the job has nothing to do.
            (S::Waiting | S::Running | S::Elapsed, E::Start { .. }) => Outcome::Nothing,
            (S::Waiting | S::Running | S::Elapsed, E::Stop) => {
                self.set_state(S::Dead);
                Outcome::Disarm
            }
            (S::Dead | S::Failed, E::Stop) => Outcome::Nothing,
            (S::Waiting, E::Elapse) => Outcome::StartTrigger,
            (S::Dead | S::Running | S::Elapsed | S::Failed, E::Elapse) => Outcome::Nothing,
            (S::Waiting, E::Queued) => {
                self.last_trigger = ctx.now;
                self.set_state(S::Running);
                Outcome::Disarm
            }
            (S::Waiting, E::QueueFailed) => {
                self.enter_dead(TimerResult::Resources);
                Outcome::Disarm
            }
            (S::Dead | S::Running | S::Elapsed | S::Failed, E::Queued | E::QueueFailed) => Outcome::Nothing,
            (state, E::TriggerChanged { trigger_inactive }) => {
                for v in &mut self.params.values {
                    if matches!(v.base, Base::UnitActive | Base::UnitInactive) {
                        v.disabled = false;
                    }
                }
                match state {
                    S::Waiting | S::Elapsed => self.enter_waiting(ctx, false),
                    S::Running if trigger_inactive => self.enter_waiting(ctx, false),
                    S::Running | S::Dead | S::Failed => Outcome::Nothing,
                }
            }
            (S::Waiting, event @ (E::ClockChanged | E::TimezoneChanged)) => {
                let clock = event == E::ClockChanged;
                if clock {
                    self.last_trigger.realtime = self.last_trigger.realtime.min(ctx.now.realtime);
                }
                let elapse = if clock { self.params.on_clock_change } else { self.params.on_timezone_change };
                if elapse {
                    Outcome::StartTrigger
                } else {
                    self.enter_waiting(ctx, clock)
                }
            }
            (S::Dead | S::Running | S::Elapsed | S::Failed, E::ClockChanged | E::TimezoneChanged) => Outcome::Nothing,
            (S::Waiting | S::Elapsed, E::Reloaded) => self.enter_waiting(ctx, false),
            (S::Dead | S::Running | S::Failed, E::Reloaded) => Outcome::Nothing,
            (S::Failed, E::ResetFailed) => {
                self.result = TimerResult::Success;
                self.set_state(S::Dead);
                Outcome::Nothing
            }
            (S::Dead | S::Waiting | S::Running | S::Elapsed, E::ResetFailed) => {
                self.result = TimerResult::Success;
                Outcome::Nothing
            }
        }
    }

    fn set_state(&mut self, state: TimerState) {
        self.state = state;
        if state != TimerState::Waiting {
            self.next_monotonic = None;
            self.next_realtime = None;
        }
    }

    fn enter_dead(&mut self, result: TimerResult) {
        if self.result == TimerResult::Success {
            self.result = result;
        }
        self.set_state(if self.result == TimerResult::Success { TimerState::Dead } else { TimerState::Failed });
    }

    /// systemd's `timer_enter_waiting()` (module docs, "The next elapse");
    /// after a clock change no one-shot trigger is disabled for lying in
    /// the past.
    fn enter_waiting(&mut self, ctx: &mut Context<'_>, time_change: bool) -> Outcome {
        let active = self.state.active_state() == "active";
        let (mut mono, mut real): (Option<u64>, Option<u64>) = (None, None);
        let mut leave_around = false;
        let last = self.last_trigger;
        for v in &mut self.params.values {
            if v.disabled {
                continue;
            }
            if let Base::Calendar(spec) = &v.base {
                let from = if last.realtime > 0 {
                    last.realtime
                } else if active {
                    ctx.own_inactive_exit.realtime
                } else {
                    ctx.now.realtime
                };
                let Some(mut next) = spec.next_elapse(from, ctx.local) else { continue };
                // Not before the manager started (mapped onto the realtime
                // clock through the monotonic one, as the wall clock may
                // have been off then).
                let started = ctx.now.realtime.saturating_sub(ctx.now.monotonic.saturating_sub(ctx.userspace));
                next = next.max(started);
                v.next = next;
                real = Some(real.map_or(next, |r| r.min(next)));
                continue;
            }
            let base = match v.base {
                Base::Active if active => ctx.own_inactive_exit.monotonic,
                Base::Active => ctx.now.monotonic,
                Base::Boot if !ctx.in_container => 0,
                Base::Boot | Base::Startup => ctx.userspace,
                Base::UnitActive | Base::UnitInactive => {
                    leave_around = true;
                    let seen = if v.base == Base::UnitActive { ctx.trigger_inactive_exit } else { ctx.trigger_inactive_enter };
                    let b = seen.max(last.monotonic);
                    if b == 0 {
                        continue;
                    }
                    b
                }
                Base::Calendar(_) => unreachable!("handled above"),
            };
            let next = base.saturating_add(v.usec);
            v.next = next;
            let one_shot = matches!(v.base, Base::Active | Base::Boot | Base::Startup);
            if last.is_set() && !time_change && one_shot && next < ctx.now.monotonic {
                v.disabled = true;
                continue;
            }
            mono = Some(mono.map_or(next, |m| m.min(next)));
        }
        if mono.is_none() && real.is_none() && !self.params.on_clock_change && !self.params.on_timezone_change {
            if self.params.remain_after_elapse || leave_around {
                self.set_state(TimerState::Elapsed);
            } else {
                self.enter_dead(TimerResult::Success);
            }
            return Outcome::Disarm;
        }
        let mono = mono.map(|m| self.add_random(m, ctx));
        let real = real.map(|r| self.add_random(r, ctx));
        self.next_monotonic = mono;
        self.next_realtime = real;
        self.state = TimerState::Waiting;
        Outcome::Arm { monotonic: mono, realtime: real }
    }

    fn add_random(&self, at: u64, ctx: &mut Context<'_>) -> u64 {
        if self.params.randomized_delay == 0 {
            return at;
        }
        let r = self.params.fixed_delay_hash.unwrap_or_else(|| (ctx.random)());
        at.saturating_add(r % self.params.randomized_delay)
    }
}

#[cfg(test)]
mod tests;
