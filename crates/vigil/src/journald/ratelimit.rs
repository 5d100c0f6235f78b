//! Per-source rate limiting, journald's rule (`journald.conf(5)`,
//! `RateLimitIntervalSec=`, `RateLimitBurst=`).
//!
//! A source is a unit (or, for senders without one, the sending process).
//! Each source has five pools by priority — emerg/alert/crit, err,
//! warning, notice/info, debug — so a flood of debug output cannot
//! suppress a unit's errors. A pool opens a window at its first message;
//! within the window it passes `burst` messages and counts the rest as
//! suppressed. The burst is scaled with the free space of the journal's
//! file system the way journald scales it (×1 up to 1 MiB free, then one
//! step more per 16× more space: 16 MiB ×2, 256 MiB ×3, 4 GiB ×4, …).
//!
//! Where we go beyond journald: journald reports "Suppressed N messages
//! from UNIT" only when the source logs again after the window; a source
//! that falls silent never has its losses counted. Here the window's end is
//! a deadline ([`RateLimiter::next_deadline`]) and [`RateLimiter::expire`]
//! reports every window that ended with suppressed messages, so every
//! dropped message is accounted for in the journal.
//!
//! Memory is bounded: at most [`GROUPS_MAX`] sources; when full, sources
//! whose windows have all ended are removed first (their counts reported),
//! then the least recently used.

use std::collections::HashMap;

/// journald's `GROUPS_MAX`.
pub const GROUPS_MAX: usize = 2047;

const POOLS: usize = 5;

fn pool_of(level: i32) -> usize {
    match level & 7 {
        0..=2 => 0,
        3 => 1,
        4 => 2,
        5 | 6 => 3,
        _ => 4,
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Pool {
    /// Window start (µs, monotonic); 0 = no window open.
    begin: u64,
    num: u64,
    suppressed: u64,
}

#[derive(Debug)]
struct Group {
    pools: [Pool; POOLS],
    last_used: u64,
}

/// The verdict for one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Store it; `reported` messages were suppressed in the window that
    /// just ended (write the "Suppressed" note first).
    Pass { reported: u64 },
    /// Drop it (counted).
    Suppress,
}

/// A window that ended with suppressed messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub source: String,
    pub suppressed: u64,
}

pub struct RateLimiter {
    interval: u64,
    burst: u64,
    groups: HashMap<String, Group>,
}

/// journald's `burst_modulate()`.
pub fn modulate(burst: u64, available: u64) -> u64 {
    let k = 63 - u64::from(available.max(1).leading_zeros());
    if k <= 20 {
        burst
    } else {
        burst * (k - 16) / 4
    }
}

impl RateLimiter {
    pub fn new(interval_usec: u64, burst: u32) -> RateLimiter {
        RateLimiter {
            interval: interval_usec,
            burst: u64::from(burst),
            groups: HashMap::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.interval > 0 && self.burst > 0
    }

    /// Decides about one message of `source` at monotonic time `now` (µs),
    /// with `available` bytes free for the journal. Reports of sources
    /// evicted to make room are appended to `evicted`.
    pub fn test(
        &mut self,
        source: &str,
        level: i32,
        now: u64,
        available: u64,
        evicted: &mut Vec<Report>,
    ) -> Verdict {
        if !self.enabled() {
            return Verdict::Pass { reported: 0 };
        }
        let burst = modulate(self.burst, available);
        if !self.groups.contains_key(source) && self.groups.len() >= GROUPS_MAX {
            self.make_room(now, evicted);
        }
        // The name is copied only for a source seen for the first time
        // (`entry` would take an owned key for every message).
        if !self.groups.contains_key(source) {
            self.groups.insert(
                source.to_string(),
                Group {
                    pools: [Pool::default(); POOLS],
                    last_used: now,
                },
            );
        }
        let Some(g) = self.groups.get_mut(source) else {
            return Verdict::Pass { reported: 0 };
        };
        g.last_used = now;
        let p = &mut g.pools[pool_of(level)];
        if p.begin == 0 {
            *p = Pool {
                begin: now.max(1),
                num: 1,
                suppressed: 0,
            };
            return Verdict::Pass { reported: 0 };
        }
        if p.begin.saturating_add(self.interval) < now {
            let reported = p.suppressed;
            *p = Pool {
                begin: now.max(1),
                num: 1,
                suppressed: 0,
            };
            return Verdict::Pass { reported };
        }
        if p.num < burst {
            p.num += 1;
            return Verdict::Pass { reported: 0 };
        }
        p.suppressed += 1;
        Verdict::Suppress
    }

    /// When the earliest window with suppressed messages ends, if any.
    pub fn next_deadline(&self) -> Option<u64> {
        self.groups
            .values()
            .flat_map(|g| g.pools.iter())
            .filter(|p| p.suppressed > 0)
            .map(|p| p.begin.saturating_add(self.interval).saturating_add(1))
            .min()
    }

    /// Reports (and closes) every window that ended by `now` with
    /// suppressed messages.
    pub fn expire(&mut self, now: u64) -> Vec<Report> {
        let mut out = Vec::new();
        for (source, g) in &mut self.groups {
            let mut total = 0;
            for p in &mut g.pools {
                if p.suppressed > 0 && p.begin.saturating_add(self.interval) < now {
                    total += p.suppressed;
                    *p = Pool::default();
                }
            }
            if total > 0 {
                out.push(Report {
                    source: source.clone(),
                    suppressed: total,
                });
            }
        }
        out.sort_by(|a, b| a.source.cmp(&b.source));
        out
    }

    /// Reports everything still counted (at shutdown).
    pub fn drain(&mut self) -> Vec<Report> {
        let mut out: Vec<Report> = self
            .groups
            .iter()
            .map(|(s, g)| Report {
                source: s.clone(),
                suppressed: g.pools.iter().map(|p| p.suppressed).sum(),
            })
            .filter(|r| r.suppressed > 0)
            .collect();
        self.groups.clear();
        out.sort_by(|a, b| a.source.cmp(&b.source));
        out
    }

    fn make_room(&mut self, now: u64, evicted: &mut Vec<Report>) {
        let interval = self.interval;
        let ended: Vec<String> = self
            .groups
            .iter()
            .filter(|(_, g)| {
                g.pools
                    .iter()
                    .all(|p| p.begin == 0 || p.begin.saturating_add(interval) < now)
            })
            .map(|(s, _)| s.clone())
            .collect();
        for s in ended {
            self.remove(&s, evicted);
        }
        if self.groups.len() >= GROUPS_MAX {
            if let Some(oldest) = self
                .groups
                .iter()
                .min_by_key(|(_, g)| g.last_used)
                .map(|(s, _)| s.clone())
            {
                self.remove(&oldest, evicted);
            }
        }
    }

    fn remove(&mut self, source: &str, evicted: &mut Vec<Report>) {
        if let Some(g) = self.groups.remove(source) {
            let suppressed: u64 = g.pools.iter().map(|p| p.suppressed).sum();
            if suppressed > 0 {
                evicted.push(Report {
                    source: source.to_string(),
                    suppressed,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_suppress_then_report() {
        let mut r = RateLimiter::new(1_000_000, 3);
        let mut ev = Vec::new();
        let v: Vec<Verdict> = (0..5)
            .map(|i| r.test("a.service", 6, 10 + i, 0, &mut ev))
            .collect();
        assert_eq!(v[..3], [Verdict::Pass { reported: 0 }; 3]);
        assert_eq!(v[3..], [Verdict::Suppress; 2]);
        // Errors have their own pool.
        assert_eq!(
            r.test("a.service", 3, 20, 0, &mut ev),
            Verdict::Pass { reported: 0 }
        );
        assert_eq!(r.next_deadline(), Some(10 + 1_000_000 + 1));
        assert!(r.expire(500_000).is_empty());
        assert_eq!(
            r.expire(1_000_011),
            vec![Report {
                source: "a.service".into(),
                suppressed: 2
            }]
        );
        assert_eq!(r.next_deadline(), None);
        // Reported once only: the next window starts afresh.
        assert_eq!(
            r.test("a.service", 6, 2_000_000, 0, &mut ev),
            Verdict::Pass { reported: 0 }
        );
    }

    #[test]
    fn journald_reports_on_the_next_message() {
        let mut r = RateLimiter::new(100, 1);
        let mut ev = Vec::new();
        r.test("x", 6, 1, 0, &mut ev);
        assert_eq!(r.test("x", 6, 2, 0, &mut ev), Verdict::Suppress);
        assert_eq!(
            r.test("x", 6, 500, 0, &mut ev),
            Verdict::Pass { reported: 1 }
        );
    }

    #[test]
    fn burst_grows_with_free_space() {
        assert_eq!(modulate(100, 1 << 20), 100);
        assert_eq!(modulate(100, 16 << 20), 200);
        assert_eq!(modulate(100, 256 << 20), 300);
        assert_eq!(modulate(100, 4 << 30), 400);
    }

    #[test]
    fn groups_are_bounded_and_evictions_counted() {
        let mut r = RateLimiter::new(1_000_000_000, 1);
        let mut ev = Vec::new();
        for i in 0..GROUPS_MAX as u64 {
            r.test(&format!("s{i}"), 6, 1 + i, 0, &mut ev);
            r.test(&format!("s{i}"), 6, 1 + i, 0, &mut ev);
        }
        assert!(ev.is_empty());
        r.test("new", 6, 10_000, 0, &mut ev);
        assert_eq!(
            ev,
            vec![Report {
                source: "s0".into(),
                suppressed: 1
            }]
        );
        assert!(r.groups.len() <= GROUPS_MAX);
        let total: u64 = r.drain().iter().map(|x| x.suppressed).sum();
        assert_eq!(total, GROUPS_MAX as u64 - 1);
    }
}
