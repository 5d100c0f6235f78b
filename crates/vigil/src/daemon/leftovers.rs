//! What a manager that died without stopping its units left running, and
//! the clean-up at the next start.
//!
//! A manager killed with SIGKILL (or by the OOM killer, or a crash) cannot
//! stop its services: they go on running, reparented to init, supervised
//! by nobody. vigil does not re-adopt them — their units' state (main pid,
//! timers, jobs, notify state) died with the manager — so the next manager
//! of the same root and scope **cleans them up** before it starts
//! anything, and says so on its console and in the journal:
//! "Cleaned up N processes left by a previous manager (pid X)."
//!
//! # The record
//!
//! Each manager keeps `supervised` in its state directory (next to `lock`,
//! so it belongs to exactly one root and scope), written at start and
//! removed at a clean exit; finding one at start therefore means the last
//! manager did not exit cleanly. It holds:
//!
//! - `manager PID` — the dead manager, for the message;
//! - `cgroup DIR` — its cgroup base (`vigil-PID/`) when it had one: every
//!   process of every unit is below it, double-forked daemons included;
//! - without cgroups, one `process PID STARTTIME INVOCATION_ID` line per
//!   spawned process: the PID with its start time (field 22 of
//!   `/proc/PID/stat`, so a recycled PID is never taken for it) and its
//!   unit's invocation id, which every descendant inherits in its
//!   environment — the same process-tree tracking the manager itself uses
//!   without cgroups. The lines are appended as processes start and
//!   compacted to those still relevant once they outnumber them.
//!
//! # The clean-up, in order
//!
//! 1. collect the processes: those in the recorded cgroup (`cgroup.procs`
//!    of every group below the base), or the recorded PIDs whose start
//!    time still matches plus every process whose environment carries a
//!    recorded `INVOCATION_ID=`;
//! 2. SIGTERM (and SIGCONT, for stopped ones) to each, as a stop would;
//! 3. wait for them to go, polling, up to [`TERM_GRACE`];
//! 4. collect again (catching what they forked meanwhile), SIGKILL what
//!    is left and wait up to [`KILL_GRACE`];
//! 5. remove the emptied groups and the record.
//!
//! The manager blocks while it does this: it runs before the control
//! socket answers and before any unit starts, so a service is never
//! started while its previous instance still holds its port or files.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long leftovers get to exit after SIGTERM (services' own
/// `TimeoutStopSec=` is unknown here: their units are not loaded yet).
const TERM_GRACE: Duration = Duration::from_secs(5);
/// How long the kernel gets to finish SIGKILLed processes.
const KILL_GRACE: Duration = Duration::from_secs(5);

/// The file, in the manager's state directory.
pub fn record_path(state_dir: &Path) -> PathBuf {
    state_dir.join("supervised")
}

/// What a dead manager's record says.
#[derive(Debug, Default, PartialEq, Eq)]
struct Record {
    manager: Option<u32>,
    cgroup: Option<PathBuf>,
    /// (pid, start time, invocation id)
    processes: Vec<(i32, u64, String)>,
}

fn parse(text: &str) -> Record {
    let mut r = Record::default();
    for line in text.lines() {
        let mut w = line.splitn(2, ' ');
        match (w.next(), w.next()) {
            (Some("manager"), Some(pid)) => r.manager = pid.trim().parse().ok(),
            (Some("cgroup"), Some(dir)) if !dir.is_empty() => r.cgroup = Some(PathBuf::from(dir)),
            (Some("process"), Some(rest)) => {
                let f: Vec<&str> = rest.split(' ').collect();
                if let [pid, start, inv] = f.as_slice() {
                    if let (Ok(pid), Ok(start)) = (pid.parse(), start.parse()) {
                        r.processes.push((pid, start, inv.to_string()));
                    }
                }
            }
            // A line cut short by the crash, or garbage: skipped.
            _ => {}
        }
    }
    r
}

/// Start time of `pid` in clock ticks after boot (`/proc/PID/stat` field
/// 22), `None` when it is gone or a zombie (a zombie is dead: its parent,
/// init by now, reaps it).
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces and ')': split after the last.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace();
    // Field 3 (state) is the first after the name; 22 is the 20th.
    let state = fields.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

/// Processes carrying `INVOCATION_ID=inv` for any of `invs`, but us
/// (also the manager's own process-tree tracking without cgroups).
pub(crate) fn with_invocation(invs: &BTreeSet<&str>) -> Vec<i32> {
    if invs.is_empty() {
        return Vec::new();
    }
    let me = std::process::id() as i32;
    let Ok(rd) = std::fs::read_dir("/proc") else { return Vec::new() };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter(|p| *p != me)
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/environ")).is_ok_and(|env| {
                env.split(|b| *b == 0)
                    .filter_map(|v| v.strip_prefix(b"INVOCATION_ID="))
                    .any(|v| std::str::from_utf8(v).is_ok_and(|v| invs.contains(v)))
            })
        })
        .collect()
}

/// Every group at or below `dir`, deepest first (the order to remove them).
fn groups_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(groups_below(&e.path()));
            }
        }
    }
    out.push(dir.to_path_buf());
    out
}

fn cgroup_pids(groups: &[PathBuf]) -> Vec<i32> {
    let mut pids: Vec<i32> = groups
        .iter()
        .filter_map(|g| std::fs::read_to_string(g.join("cgroup.procs")).ok())
        .flat_map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect::<Vec<i32>>())
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// The processes the record points at that are still alive, each with
/// its start time so that a recycled pid is never signalled later.
fn survivors(r: &Record, groups: &[PathBuf]) -> Vec<(i32, u64)> {
    let mut found: Vec<i32> = cgroup_pids(groups);
    found.extend(r.processes.iter().filter(|(pid, start, _)| start_time(*pid) == Some(*start)).map(|(pid, _, _)| *pid));
    let invs: BTreeSet<&str> = r.processes.iter().map(|(_, _, inv)| inv.as_str()).filter(|i| !i.is_empty()).collect();
    found.extend(with_invocation(&invs));
    found.sort_unstable();
    found.dedup();
    let me = std::process::id() as i32;
    found.into_iter().filter(|p| *p > 1 && *p != me).filter_map(|p| start_time(p).map(|s| (p, s))).collect()
}

/// Signal each process that is still the one we found.
fn signal_all(procs: &[(i32, u64)], signal: i32) {
    for &(pid, start) in procs {
        if start_time(pid) == Some(start) {
            // SAFETY: kill(2) with plain integers.
            unsafe {
                libc::kill(pid, signal);
                libc::kill(pid, libc::SIGCONT);
            }
        }
    }
}

/// Poll until none of `procs` is alive (or the deadline passes); true
/// when all are gone.
fn wait_gone(procs: &[(i32, u64)], grace: Duration) -> bool {
    let end = Instant::now() + grace;
    let mut pause = Duration::from_millis(1);
    loop {
        if procs.iter().all(|&(pid, start)| start_time(pid) != Some(start)) {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// What the clean-up found and did, for the console and the journal.
#[derive(Debug)]
pub struct CleanedUp {
    pub manager: Option<u32>,
    pub processes: usize,
    /// Processes that survived even SIGKILL (stuck in the kernel).
    pub stuck: usize,
}

impl CleanedUp {
    pub fn message(&self) -> String {
        let who = match self.manager {
            Some(pid) => format!("a previous manager (pid {pid})"),
            None => "a previous manager".to_string(),
        };
        let mut m = if self.processes == 0 {
            format!("Found the record of {who} that did not exit cleanly; none of its processes was left.")
        } else {
            format!(
                "Cleaned up {} process{} left by {who}.",
                self.processes,
                if self.processes == 1 { "" } else { "es" }
            )
        };
        if self.stuck > 0 {
            m.push_str(&format!(" {} did not die on SIGKILL.", self.stuck));
        }
        m
    }
}

/// At start, with the manager lock held: if the last manager of this
/// state directory died without cleaning up, stop what it left running.
pub fn clean_up(state_dir: &Path) -> Option<CleanedUp> {
    let path = record_path(state_dir);
    let text = std::fs::read_to_string(&path).ok()?;
    let r = parse(&text);
    // The dead manager's pid may since belong to another root's manager,
    // whose base has the same name: that one is not ours to clean.
    let reused = r.manager.is_some_and(|pid| {
        pid != std::process::id()
            && start_time(pid as i32).is_some()
            && std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.starts_with("vigil"))
    });
    let groups = r.cgroup.as_deref().filter(|d| !reused && d.is_dir()).map(groups_below).unwrap_or_default();
    let mut found = survivors(&r, &groups);
    let mut stuck = 0;
    if !found.is_empty() {
        signal_all(&found, libc::SIGTERM);
        if !wait_gone(&found, TERM_GRACE) {
            // Looked up again: what the SIGTERMed processes forked since
            // is in their cgroup or carries their invocation id. Pid by
            // pid, not through `cgroup.kill` (see `Cgroups::kill`).
            let left = survivors(&r, &groups);
            signal_all(&left, libc::SIGKILL);
            if !wait_gone(&left, KILL_GRACE) {
                stuck = left.iter().filter(|&&(pid, start)| start_time(pid) == Some(start)).count();
            }
            found.extend(left);
            found.sort_unstable();
            found.dedup();
        }
    }
    for g in &groups {
        let _ = std::fs::remove_dir(g);
    }
    let _ = std::fs::remove_file(&path);
    Some(CleanedUp { manager: r.manager, processes: found.len(), stuck })
}

/// This manager's record, kept while it runs.
pub struct Recorder {
    path: PathBuf,
    /// Without cgroups: the processes are appended here.
    file: Option<std::fs::File>,
    lines: usize,
}

impl Recorder {
    /// Write the record for this manager: its pid and cgroup base, or,
    /// without a base, an empty list of processes to append to.
    pub fn start(state_dir: &Path, cgroup: Option<&Path>) -> std::io::Result<Recorder> {
        let path = record_path(state_dir);
        let mut head = format!("manager {}\n", std::process::id());
        if let Some(c) = cgroup {
            head.push_str(&format!("cgroup {}\n", c.display()));
        }
        std::fs::write(&path, head)?;
        let file = match cgroup {
            Some(_) => None,
            None => Some(std::fs::OpenOptions::new().append(true).open(&path)?),
        };
        Ok(Recorder { path, file, lines: 0 })
    }

    /// Whether spawned processes must be recorded (no cgroup).
    pub fn wants_processes(&self) -> bool {
        self.file.is_some()
    }

    /// A process of the invocation `inv` was started. `live` lists the
    /// (pid, invocation) pairs still worth keeping (pid 0: the invocation
    /// alone), asked for only when the file is compacted.
    pub fn process(&mut self, pid: i32, inv: &str, live: impl FnOnce() -> Vec<(i32, String)>) {
        let Some(file) = &mut self.file else { return };
        // A process that is already gone (a forking service's parent can
        // exit before this line is written) still leaves its invocation
        // id: what it forked carries it (a `pid 0` line, as `compact`
        // writes for a unit that is up).
        let _ = match start_time(pid) {
            Some(start) => writeln!(file, "process {pid} {start} {inv}"),
            None => writeln!(file, "process 0 0 {inv}"),
        };
        self.lines += 1;
        if self.lines >= 256 {
            let live = live();
            if self.lines >= 2 * live.len() + 256 {
                self.compact(live);
            }
        }
    }

    /// Rewrite the record with the processes that still matter.
    fn compact(&mut self, live: Vec<(i32, String)>) {
        let mut text = format!("manager {}\n", std::process::id());
        let mut n = 0;
        for (pid, inv) in live {
            // pid 0: a unit that is up, whose processes are found by
            // their invocation id alone.
            let start = if pid == 0 { Some(0) } else { start_time(pid) };
            if let Some(start) = start {
                text.push_str(&format!("process {pid} {start} {inv}\n"));
                n += 1;
            }
        }
        // Atomically: a crash mid-write must not lose the old record.
        let tmp = self.path.with_extension("new");
        if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, &self.path).is_ok() {
            if let Ok(f) = std::fs::OpenOptions::new().append(true).open(&self.path) {
                self.file = Some(f);
                self.lines = n;
            }
        }
    }

    /// A clean exit: nothing is left to clean up.
    pub fn finish(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_parses_and_skips_torn_lines() {
        let r = parse("manager 42\ncgroup /sys/fs/cgroup/x/vigil-42\nprocess 7 1234 abc\nprocess 8 12\nprocess 9 x abc\n");
        assert_eq!(r.manager, Some(42));
        assert_eq!(r.cgroup.as_deref(), Some(Path::new("/sys/fs/cgroup/x/vigil-42")));
        assert_eq!(r.processes, vec![(7, 1234, "abc".to_string())]);
    }

    #[test]
    fn start_time_of_ourselves_and_of_nobody() {
        let me = std::process::id() as i32;
        assert!(start_time(me).is_some());
        assert_eq!(start_time(me), start_time(me));
        assert_eq!(start_time(i32::MAX), None);
    }

    #[test]
    fn a_process_gone_before_it_is_recorded_leaves_its_invocation() {
        let dir = std::env::temp_dir().join(format!("vigil-leftovers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut rec = Recorder::start(&dir, None).unwrap();
        let me = std::process::id() as i32;
        rec.process(me, "inv-alive", Vec::new);
        // A pid no process has: the forking parent that exited already.
        rec.process(i32::MAX, "inv-forked", Vec::new);
        let r = parse(&std::fs::read_to_string(record_path(&dir)).unwrap());
        assert_eq!(
            r.processes,
            vec![(me, start_time(me).unwrap(), "inv-alive".to_string()), (0, 0, "inv-forked".to_string())]
        );
        rec.finish();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn message_says_what_was_done() {
        let c = CleanedUp { manager: Some(12), processes: 3, stuck: 0 };
        assert_eq!(c.message(), "Cleaned up 3 processes left by a previous manager (pid 12).");
        let c = CleanedUp { manager: Some(12), processes: 1, stuck: 0 };
        assert_eq!(c.message(), "Cleaned up 1 process left by a previous manager (pid 12).");
    }
}
