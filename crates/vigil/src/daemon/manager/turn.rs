//! One turn of the event loop: what the manager puts off until the
//! events of the turn are handled, so that a burst of stops sends its
//! signals back to back.
//!
//! A turn begins when the event loop wakes ([`Manager::begin_turn`]) and
//! ends before it answers clients or sleeps again ([`Manager::end_turn`]).
//! In between, two things wait:
//!
//! - **The manager's messages** ("Stopping X...", "Stopped X."): held by
//!   the journal link and sent in order when the turn ends — after the
//!   turn's forks (`journal_link.rs`, "Held messages").
//! - **The emptiness check after a group kill.** A unit whose group was
//!   signalled may already be empty (its processes died before the
//!   signal), and then nothing else would tell its machine so before the
//!   stop timeout: the manager reads `cgroup.events` once the signals are
//!   out and feeds [`Event::AllProcessesGone`]. Done at once, that read
//!   (open, read, close of a cgroup file) stands between one unit's
//!   `SIGTERM` and the next unit's; in a turn it is queued and done once
//!   every job the turn runs has sent its signals — and always before the
//!   first child of the turn is reaped, so the machine still hears that
//!   its group is empty before it hears that its main process exited (the
//!   engine's contract, `engine::service`, "What the daemon owes the
//!   machine"), as when the check was made at once.
//!
//! Why putting the check off is safe: it is the same read, made later in
//! the same turn, before any timer of the turn fires and before the loop
//! sleeps; what it finds is as true then as it would have been earlier —
//! a group that was empty after the signal stays empty unless the machine
//! itself spawned into it since, and then `populated 1` is the truth. A
//! group that empties after the read is reported by its `cgroup.events`
//! watch, as before. Checks are made in the order the kills were sent;
//! the stops they complete may wake further jobs, whose checks wait for
//! the same settling loop.
//!
//! Outside a turn (boot, before the loop runs) nothing is held or put
//! off: [`Manager::group_killed`] checks at once, as it always did.

use engine::service::Event;

use super::Manager;

/// The checks a turn put off; `None` outside a turn.
pub(super) type EmptyChecks = Option<Vec<String>>;

impl Manager {
    /// The event loop woke: hold messages and put off emptiness checks
    /// until [`Manager::end_turn`].
    pub fn begin_turn(&mut self) {
        self.journal.hold();
        self.empty_checks.get_or_insert_with(Vec::new);
    }

    /// The events of the turn are handled: make the checks put off
    /// (and those the stops they complete cause), then send the held
    /// messages.
    pub fn end_turn(&mut self) {
        self.settle_empty_checks();
        self.empty_checks = None;
        self.journal.release();
    }

    /// After `KillTarget::Group` was signalled: the event telling the
    /// machine its group is empty, at once outside a turn; in a turn the
    /// check is queued and `None` returned (module docs).
    pub(super) fn group_killed(&mut self, id: &str) -> Option<Event> {
        match &mut self.empty_checks {
            Some(list) => {
                // SIGTERM and SIGHUP (SendSIGHUP=) to the same group: one check.
                if list.last().map(String::as_str) != Some(id) {
                    list.push(id.to_string());
                }
                None
            }
            None => self.unit_is_empty(id).then_some(Event::AllProcessesGone),
        }
    }

    /// Make the checks put off so far, and those that the stops they
    /// complete queue in turn, until none is left.
    pub fn settle_empty_checks(&mut self) {
        loop {
            let list = match self.empty_checks.as_mut() {
                Some(list) if !list.is_empty() => std::mem::take(list),
                _ => return,
            };
            let now = self.now();
            for id in list {
                if self.unit_is_empty(&id) {
                    self.feed(&id, now, Event::AllProcessesGone);
                }
            }
        }
    }
}
