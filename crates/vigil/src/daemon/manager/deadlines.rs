//! The manager's deadlines: every timer of a unit (the engine's
//! timeouts, a `PIDFile=` poll, a socket's control command, a timer
//! unit's next elapse) is one entry of `Manager::timers`, ordered by when
//! it is due on the manager's monotonic clock; the event loop sleeps until
//! the first ([`Manager::next_deadline`]) and fires what is due
//! ([`Manager::fire_timers`]).
//!
//! A timer unit's calendar elapse is on the wall clock, armed here as the
//! time left when it was armed. The loop wakes at least once a minute, and
//! at most once a second those elapses are held against the wall clock
//! again, so a clock set forward (a container started before its host's
//! NTP sync) fires them then, not when the converted deadline passes; one
//! set back is caught when the deadline fires (`timer_units.rs`).

use engine::service::Event;

use super::{Manager, TimerOwner, PID_FILE_POLL_USEC};

impl Manager {
    /// When the next timer is due (monotonic usec), for the event loop.
    pub fn next_deadline(&self) -> Option<u64> {
        let unit_timers = self.timers.keys().next().map(|(at, _)| *at);
        unit_timers.into_iter().chain(self.job_timers.next_deadline()).min()
    }

    /// Fire every timer that is due.
    pub fn fire_timers(&mut self) {
        self.fire_job_timers(self.now());
        self.check_wall_timers();
        loop {
            let now = self.now();
            let Some((&key, _)) = self.timers.iter().next() else { return };
            if key.0 > now {
                return;
            }
            let Some(owner) = self.timers.remove(&key) else { return };
            match owner {
                TimerOwner::Engine(id, token) => {
                    self.engine_timers.take(&id, token.kind, Some(key));
                    self.feed(&id, now, Event::TimerFired(token))
                }
                TimerOwner::SocketControl(id, pid) => self.socket_control_timeout(&id, pid),
                TimerOwner::TimerUnit(id) => self.timer_deadline(&id),
                TimerOwner::PidFilePoll(id) => {
                    let watching = self.units.get(&id).is_some_and(|u| u.pid_file_watch);
                    if watching {
                        let ev = self.read_pid_file(&id);
                        let found = matches!(ev, Event::PidFileRead { .. });
                        if found {
                            self.feed(&id, now, ev);
                        }
                        if self.units.get(&id).is_some_and(|u| u.pid_file_watch) {
                            self.timer_seq += 1;
                            self.timers.insert((now + PID_FILE_POLL_USEC, self.timer_seq), TimerOwner::PidFilePoll(id));
                        }
                    }
                }
            }
        }
    }

    /// Calendar timers held against the wall clock, at most once a second
    /// (module docs).
    fn check_wall_timers(&mut self) {
        let now = self.now();
        if self.timer_triggers.is_empty() || now < self.wall_checked.saturating_add(1_000_000) {
            return;
        }
        self.wall_checked = now;
        let armed: Vec<String> = self.timers.values().filter_map(|o| match o {
            TimerOwner::TimerUnit(id) => Some(id.clone()),
            _ => None,
        }).collect();
        for id in armed {
            self.timer_wall_check(&id);
        }
    }
}
