//! What each command of a service did in its last start cycle: systemd's
//! `ExecStatus` per `ExecCommand` (pid, start and exit time, how it
//! ended), the data behind `systemctl status`'s `Process:` lines and
//! behind `systemctl show -p ExecStartPre` and friends.
//!
//! States of one record:
//!
//! ```text
//!   (none) --spawned--> running (pid, start time) --reaped--> exited (code, status, exit time)
//!   any ----a new start cycle (down -> starting)----> (none)
//! ```
//!
//! systemd clears the records when a start begins
//! (`exec_command_reset_status_list_array()` in `service_start()`), so a
//! `Process:` line is always about the current cycle; a stop command run
//! later in the cycle adds its own record. Here the cycle is marked over
//! when the service goes down (dead, failed, auto-restart) and the
//! records are dropped at the next spawn: the engine asks for the first
//! command of a start before it reports the state change, and a unit that
//! stays down keeps showing what its last cycle did. A command run several times in
//! one cycle (`ExecReload=` twice) keeps its latest run.
//!
//! The `show` form is systemctl's for the `a(sasbttttuii)` properties:
//! `{ path=P ; argv[]=A B ; ignore_errors=no ; start_time=[T] ;
//! stop_time=[T] ; pid=N ; code=exited ; status=0 }` (a signal as
//! `status=15/TERM`; a command that has not run as `pid=0 ;
//! code=(null) ; status=0/0`, as printf prints systemd's NULL code).

use std::num::{NonZeroU32, NonZeroU8};

use engine::service::Phase;
use unit::config::service::ServiceView;
use unit::value::ExecCommand;

use super::props::Instant2;
use super::Manager;

/// The phases in systemd's property order (`ExecCondition`…`ExecStopPost`).
pub const PHASES: [Phase; 7] =
    [Phase::Condition, Phase::StartPre, Phase::Start, Phase::StartPost, Phase::Reload, Phase::Stop, Phase::StopPost];

/// How a command ended: `(code, status)` as `waitid()` says it —
/// `CLD_EXITED` 1 with the exit status, `CLD_KILLED` 2 / `CLD_DUMPED` 3
/// with the signal. Never 0, so an `Option<Ended>` needs no tag of its
/// own ([`Run`]'s size).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    pub code: NonZeroU8,
    pub status: i32,
    pub at: Instant2,
}

/// One run of one command. Kept by every service that ran (one per
/// command of its cycle), so kept small: 56 bytes, a 64-byte heap block
/// for the common one-command cycle (a `usize` index and a tagged
/// `Option<Ended>` made it 72 and 80; 1000 services: 16 kB).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub phase: Phase,
    /// The command's place in its phase's list (`u32`: see above).
    pub index: u32,
    pub pid: u32,
    pub started: Instant2,
    pub ended: Option<Ended>,
}

/// The runs of one unit in its current cycle.
#[derive(Clone, Debug, Default)]
pub struct Runs {
    runs: Vec<Run>,
    /// The service went down: the next spawn starts a new cycle.
    over: bool,
    /// The job that took the service out of dead/failed into this cycle
    /// (a oneshot's start job is done when it is dead again: "Finished").
    /// (Job ids start at 1: no tag beside the id, 8 bytes less in every
    /// unit; see the unit's size test.)
    pub started_by: Option<NonZeroU32>,
}

impl Runs {
    /// The records of a service just loaded, with room for its first run
    /// made now: at a boot the first runs are recorded during the burst of
    /// spawns, and a block made there lay among the burst's short-lived
    /// ones (exec plans, queued journal lines), keeping their pages
    /// resident once they were freed (`bench/heap_trace.sh`,
    /// `HOLES_PROFILE=1`). Made here it lies among the unit's own blocks.
    pub fn for_service() -> Runs {
        Runs { runs: Vec::with_capacity(1), ..Runs::default() }
    }

    /// The service went down; its records stay until the next spawn.
    pub fn cycle_over(&mut self) {
        self.over = true;
    }

    pub fn started(&mut self, phase: Phase, index: usize, pid: u32) {
        if std::mem::take(&mut self.over) {
            self.runs.clear();
        }
        // More than 2^32 commands cannot be read from a unit file.
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        self.runs.retain(|r| !(r.phase == phase && r.index == index));
        // Most services run one command per cycle: room for exactly one
        // more, not the four a first push reserves (1000 services: 190 kB).
        self.runs.reserve_exact(1);
        self.runs.push(Run { phase, index, pid, started: Instant2::now(), ended: None });
    }

    pub fn exited(&mut self, pid: u32, status: exec::ExitStatus) {
        let Some(r) = self.runs.iter_mut().rev().find(|r| r.pid == pid && r.ended.is_none()) else { return };
        let (code, status) = match status {
            exec::ExitStatus::Exited(c) => (NonZeroU8::MIN, c),
            exec::ExitStatus::Killed { signal, core_dumped: false } => (NonZeroU8::MIN.saturating_add(1), signal),
            exec::ExitStatus::Killed { signal, core_dumped: true } => (NonZeroU8::MIN.saturating_add(2), signal),
        };
        r.ended = Some(Ended { code, status, at: Instant2::now() });
    }

    fn get(&self, phase: Phase, index: usize) -> Option<&Run> {
        self.runs.iter().find(|r| r.phase == phase && r.index as usize == index)
    }

    /// When the main process of the last cycle started and ended
    /// (`ExecMainStartTimestamp`, `ExecMainExitTimestamp`): its last
    /// `ExecStart=` run; never = [`Instant2::default`].
    pub fn main_times(&self) -> (Instant2, Instant2) {
        let main = self.runs.iter().rev().find(|r| r.phase == Phase::Start);
        main.map_or_else(Default::default, |r| (r.started, r.ended.map(|e| e.at).unwrap_or_default()))
    }

    /// The run of the process `pid`, if it is one of this cycle's commands.
    pub fn of_pid(&self, pid: u32) -> Option<&Run> {
        self.runs.iter().find(|r| r.pid == pid)
    }
}

/// `sigchld_code_to_string()`; systemd prints a NULL for 0 as `(null)`.
fn code_name(code: u8) -> &'static str {
    match code {
        1 => "exited",
        2 => "killed",
        3 => "dumped",
        _ => "(null)",
    }
}

fn stamp(t: u64) -> String {
    if t == 0 {
        "n/a".into()
    } else {
        crate::journalctl::time::format_timestamp(t, false)
    }
}

/// The `flags=` of an `Ex` command property (`exec_command_flags_to_strv()`).
fn flag_words(f: &unit::value::exec::ExecFlags) -> String {
    let words = [
        (f.ignore_failure, "ignore-failure"),
        (f.privileged, "privileged"),
        (f.no_setuid, "no-setuid"),
        (f.ambient, "ambient"),
        (f.no_env_expand, "no-env-expand"),
    ];
    words.iter().filter(|(on, _)| *on).map(|(_, w)| *w).collect::<Vec<_>>().join(" ")
}

/// systemctl's text for one command and its last run, if any: the plain
/// property (`ignore_errors=`) or its `Ex` twin (`flags=`).
pub fn describe(cmd: &ExecCommand, run: Option<&Run>, ex: bool) -> String {
    let (pid, started) = run.map_or((0, 0), |r| (r.pid, r.started.wall));
    let ended = run.and_then(|r| r.ended);
    let (code, status, stopped) = ended.map_or((0, 0, 0), |e| (e.code.get(), e.status, e.at.wall));
    let status = if code == 1 {
        status.to_string()
    } else if code == 0 {
        "0/0".to_string()
    } else {
        format!("{status}/{}", unit::value::signal::name_of(status).trim_start_matches("SIG"))
    };
    format!(
        "{{ path={} ; argv[]={} ; {} ; start_time=[{}] ; stop_time=[{}] ; pid={pid} ; code={} ; status={status} }}",
        cmd.path,
        cmd.argv.join(" "),
        if ex {
            format!("flags={}", flag_words(&cmd.flags))
        } else {
            format!("ignore_errors={}", if cmd.flags.ignore_failure { "yes" } else { "no" })
        },
        stamp(started),
        stamp(stopped),
        code_name(code),
    )
}

impl Manager {
    /// A command of `id` was forked.
    pub(super) fn exec_run_started(&mut self, id: &str, phase: Phase, index: usize, pid: i32) {
        if let (Some(u), Ok(pid)) = (self.units.get_mut(id), u32::try_from(pid)) {
            u.runs.started(phase, index, pid);
        }
    }

    /// A process of `id` was reaped (a command's, or not: then nothing).
    pub(super) fn exec_run_exited(&mut self, id: &str, pid: u32, status: exec::ExitStatus) {
        if let Some(u) = self.units.get_mut(id) {
            u.runs.exited(pid, status);
        }
    }

    /// The path of the command `pid` of `id` runs (as written, before
    /// any search), if it is one of its commands.
    pub(super) fn command_path(&self, id: &str, pid: u32) -> Option<String> {
        let u = self.units.get(id)?;
        let run = u.runs.of_pid(pid)?;
        ServiceView::new(&u.cfg).exec(run.phase.directive()).get(run.index as usize).map(|c| c.path.to_string())
    }

    /// `ExecStartPre=`… as `show` lists them: one entry per configured
    /// command, in order, each with its last run of this cycle; then the
    /// same commands as `ExecStartPreEx`…, with their flags in words.
    /// Only the properties `want` names.
    pub(super) fn exec_properties(&self, id: &str, want: &dyn Fn(&str) -> bool) -> Vec<super::props::Prop> {
        let Some(u) = self.units.get(id).filter(|u| u.svc.is_some()) else { return Vec::new() };
        let view = ServiceView::new(&u.cfg);
        let mut p = Vec::new();
        for phase in PHASES {
            for (name, ex) in [(phase.directive(), false), (ex_name(phase), true)] {
                if !want(name) {
                    continue;
                }
                for (i, cmd) in view.exec(phase.directive()).into_iter().enumerate() {
                    p.push((name.into(), describe(cmd, u.runs.get(phase, i), ex)));
                }
            }
        }
        p
    }
}

/// The `Ex` twin of a phase's property (`ExecStartEx`).
pub fn ex_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Condition => "ExecConditionEx",
        Phase::StartPre => "ExecStartPreEx",
        Phase::Start => "ExecStartEx",
        Phase::StartPost => "ExecStartPostEx",
        Phase::Reload => "ExecReloadEx",
        Phase::Stop => "ExecStopEx",
        Phase::StopPost => "ExecStopPostEx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(path: &str, argv: &[&str], ignore: bool) -> ExecCommand {
        let flags = unit::value::exec::ExecFlags { ignore_failure: ignore, ..Default::default() };
        ExecCommand { path: path.into(), argv: argv.iter().collect(), flags }
    }

    #[test]
    fn not_run_yet_is_printed_like_systemctl() {
        let c = cmd("/bin/true", &["/bin/true", "x y"], true);
        assert_eq!(
            describe(&c, None, false),
            "{ path=/bin/true ; argv[]=/bin/true x y ; ignore_errors=yes ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"
        );
        // The `Ex` twin names the flags (systemd 252's `ExecStartEx`).
        let mut c = c;
        c.flags.privileged = true;
        assert_eq!(
            describe(&c, None, true),
            "{ path=/bin/true ; argv[]=/bin/true x y ; flags=ignore-failure privileged ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"
        );
    }

    #[test]
    fn runs_follow_their_pids() {
        let mut r = Runs::default();
        r.started(Phase::StartPre, 0, 10);
        r.started(Phase::Start, 0, 11);
        r.exited(10, exec::ExitStatus::Exited(0));
        r.exited(11, exec::ExitStatus::Killed { signal: 15, core_dumped: false });
        r.exited(99, exec::ExitStatus::Exited(1));
        let pre = r.get(Phase::StartPre, 0).unwrap();
        assert_eq!(pre.ended.map(|e| (e.code.get(), e.status)), Some((1, 0)));
        let main = r.get(Phase::Start, 0).unwrap();
        let c = cmd("/bin/sleep", &["sleep", "9"], false);
        let text = describe(&c, Some(main), false);
        assert!(text.ends_with("; pid=11 ; code=killed ; status=15/TERM }"), "{text}");
        // A second run of the same command replaces the first.
        r.started(Phase::StartPre, 0, 12);
        assert_eq!(r.get(Phase::StartPre, 0).map(|x| x.pid), Some(12));
        r.cycle_over();
        assert!(r.get(Phase::Start, 0).is_some(), "a down unit still shows its last cycle");
        let (start, exit) = r.main_times();
        assert!(start.mono > 0 && exit.mono >= start.mono, "the main process's times outlive its cycle");
        r.started(Phase::Start, 0, 13);
        assert!(r.get(Phase::StartPre, 0).is_none(), "a new cycle starts empty");
    }
}
