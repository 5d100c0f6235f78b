//! `JobTimeoutSec=` (`systemd.unit(5)`): a job still queued or running
//! when its timeout elapses is finished with result `timeout` ("Job
//! x.service/start timed out."); the unit itself is left alone. The table
//! keeps one deadline per job on the caller's monotonic clock and answers
//! which jobs are due, so the daemon sleeps exactly until the next one.
//! `JobRunningTimeoutSec=` arms when the job starts running and can only
//! bring the deadline closer (systemd's job_start_timer() never lets it
//! exceed the `JobTimeoutSec=` one).

use std::collections::{BTreeSet, HashMap};

#[derive(Default, Debug)]
pub struct JobTimers {
    by_deadline: BTreeSet<(u64, u32)>,
    by_job: HashMap<u32, u64>,
}

impl JobTimers {
    pub fn new() -> JobTimers {
        JobTimers::default()
    }

    /// Arm (or re-arm) job `job` to time out `timeout_usec` after `now`.
    pub fn arm(&mut self, job: u32, now: u64, timeout_usec: u64) {
        self.cancel(job);
        let at = now.saturating_add(timeout_usec);
        self.by_deadline.insert((at, job));
        self.by_job.insert(job, at);
    }

    /// Job `job` started running: it may run `timeout_usec` from `now`,
    /// or until its queued deadline if that comes first.
    pub fn arm_running(&mut self, job: u32, now: u64, timeout_usec: u64) {
        let at = now.saturating_add(timeout_usec);
        match self.by_job.get(&job) {
            Some(&old) if old <= at => {}
            _ => {
                self.cancel(job);
                self.by_deadline.insert((at, job));
                self.by_job.insert(job, at);
            }
        }
    }

    /// The job finished (or was canceled): forget its deadline.
    pub fn cancel(&mut self, job: u32) {
        if let Some(at) = self.by_job.remove(&job) {
            self.by_deadline.remove(&(at, job));
        }
    }

    pub fn next_deadline(&self) -> Option<u64> {
        self.by_deadline.first().map(|(at, _)| *at)
    }

    /// The jobs whose deadline is at or before `now`, earliest first;
    /// they are disarmed.
    pub fn expired(&mut self, now: u64) -> Vec<u32> {
        let mut due = Vec::new();
        while let Some(&(at, job)) = self.by_deadline.first() {
            if at > now {
                break;
            }
            self.by_deadline.remove(&(at, job));
            self.by_job.remove(&job);
            due.push(job);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_on_the_fake_clock_in_order() {
        let mut t = JobTimers::new();
        t.arm(1, 0, 5_000_000);
        t.arm(2, 1_000_000, 1_000_000);
        assert_eq!(t.next_deadline(), Some(2_000_000));
        assert!(t.expired(1_999_999).is_empty());
        assert_eq!(t.expired(2_000_000), vec![2]);
        assert_eq!(t.next_deadline(), Some(5_000_000));
        assert_eq!(t.expired(u64::MAX), vec![1]);
        assert_eq!(t.next_deadline(), None);
    }

    #[test]
    fn running_timeout_only_brings_the_deadline_closer() {
        let mut t = JobTimers::new();
        // Queued with JobTimeoutSec=10s, runs from 2s with a 3s running
        // timeout: due at 5s.
        t.arm(1, 0, 10_000_000);
        t.arm_running(1, 2_000_000, 3_000_000);
        assert_eq!(t.next_deadline(), Some(5_000_000));
        // A running timeout past the queued deadline changes nothing.
        t.arm(2, 0, 1_000_000);
        t.arm_running(2, 500_000, 5_000_000);
        assert_eq!(t.expired(1_000_000), vec![2]);
        // Without JobTimeoutSec=, the running timeout alone.
        t.arm_running(3, 7_000, 1_000);
        assert_eq!(t.expired(7_999), Vec::<u32>::new());
        assert_eq!(t.expired(8_000), vec![3]);
        assert_eq!(t.expired(u64::MAX), vec![1]);
    }

    #[test]
    fn cancel_and_rearm() {
        let mut t = JobTimers::new();
        t.arm(7, 0, 10);
        t.cancel(7);
        assert!(t.expired(100).is_empty());
        t.arm(8, 0, 10);
        t.arm(8, 50, 10);
        assert!(t.expired(30).is_empty());
        assert_eq!(t.expired(60), vec![8]);
    }
}
