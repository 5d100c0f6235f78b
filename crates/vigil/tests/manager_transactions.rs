//! Transactions end to end: a real manager boots a 200-unit graph in
//! parallel and in order and stops it in reverse, and `Conflicts=`,
//! isolate, ordering-cycle breaking, `OnFailure=` and `--job-mode=` behave
//! as in systemd. Order is proven from the order of lines the services
//! append to one log file (appends are atomic and sequenced, so line order
//! is time order); waiting is polling with deadlines.

mod common;

use std::process::{Child, Command};
use std::time::Duration;

use common::*;
use proto::client::Client;
use proto::msg::{JobMode, JobVerb, ShutdownKind};
use proto::{Request, Response};

/// A manager in the foreground on a fresh root, stopped when dropped.
struct Daemon {
    root: TestRoot,
    child: Option<Child>,
}

/// A helper script every test unit runs: `step.sh WORD NAME [SLEEP]`
/// appends "WORD NAME" to the shared log; with SLEEP, sleeps and then
/// appends "end NAME".
const STEP: &str = "#!/bin/sh\nlog=\"$(dirname \"$0\")/order.log\"\necho \"$1 $2\" >> \"$log\"\n\
if [ -n \"$3\" ]; then sleep \"$3\"; echo \"end $2\" >> \"$log\"; fi\nexit 0\n";

impl Daemon {
    fn new(name: &str, units: &[(String, String)], boot: Option<&str>) -> Daemon {
        let root = TestRoot::new(name);
        let dir = root.path.join("etc/systemd/system");
        std::fs::create_dir_all(&dir).unwrap();
        let step = root.path.join("step.sh");
        std::fs::write(&step, STEP).unwrap();
        Command::new("chmod").arg("755").arg(&step).status().unwrap();
        for (n, text) in units {
            std::fs::write(dir.join(n), text.replace("@STEP@", &step.display().to_string())).unwrap();
        }
        let mut cmd = Command::new(vigil());
        cmd.args(["daemon", &root.root_arg()]);
        if let Some(unit) = boot {
            cmd.args(["--boot", &format!("--unit={unit}")]);
        }
        let child = cmd.stderr(std::fs::File::create(root.path.join("console.log")).unwrap()).spawn().unwrap();
        assert!(
            wait_until(Duration::from_secs(10), || Client::connect(&root.control(), "test").is_ok()),
            "manager did not start"
        );
        Daemon { root, child: Some(child) }
    }

    /// Run a job in `mode` and wait for the anchor's result word (or the
    /// error message).
    fn job(&self, verb: JobVerb, unit: &str, mode: JobMode) -> String {
        let mut c = Client::connect(&self.root.control(), "test").unwrap();
        let mut r = c.call(&Request::Job { verb, units: vec![unit.into()], mode, wait: true }).unwrap();
        let mut anchor = None;
        loop {
            match r {
                Response::JobQueued { id, .. } if anchor.is_none() => anchor = Some(id),
                Response::JobDone { id, result, .. } if Some(id) == anchor => return result,
                Response::Error { message, .. } => return format!("error: {message}"),
                Response::End => return "end".into(),
                _ => {}
            }
            r = c.next_response().unwrap();
        }
    }

    fn start(&self, unit: &str) -> String {
        self.job(JobVerb::Start, unit, JobMode::Replace)
    }

    fn state(&self, unit: &str) -> String {
        let mut c = Client::connect(&self.root.control(), "test").unwrap();
        let req = Request::Show { units: vec![unit.into()], properties: vec!["ActiveState".into()], all: false, brief: false };
        match c.call(&req).unwrap() {
            Response::Properties { properties, .. } => properties.into_iter().next().map(|(_, v)| v).unwrap_or_default(),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn wait_state(&self, unit: &str, want: &str) -> bool {
        wait_until(Duration::from_secs(20), || self.state(unit) == want)
    }

    fn console(&self) -> String {
        std::fs::read_to_string(self.root.path.join("console.log")).unwrap_or_default()
    }

    /// Manager messages in the journal (`vigil logs -o cat`).
    fn journal(&self) -> String {
        stdout(&self.root.vigil(&["logs", "--no-pager", "-o", "cat"]))
    }

    fn order(&self) -> Vec<String> {
        std::fs::read_to_string(self.root.path.join("order.log")).unwrap_or_default().lines().map(str::to_string).collect()
    }

    /// Ask the manager to exit (stopping everything) and wait for it.
    fn exit(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        if let Ok(mut c) = Client::connect(&self.root.control(), "test") {
            let _ = c.call(&Request::Shutdown { kind: ShutdownKind::Exit, code: 0 });
        }
        let exited = wait_until(Duration::from_secs(60), || matches!(child.try_wait(), Ok(Some(_))));
        if !exited {
            let _ = child.kill();
            let _ = child.wait();
            if !std::thread::panicking() {
                panic!("manager did not exit; console:\n{}", self.console());
            }
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.exit();
    }
}

fn oneshot(name: &str, unit_section: &str, sleep: &str) -> (String, String) {
    (
        name.to_string(),
        format!(
            "[Unit]\n{unit_section}[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=@STEP@ start {name} {sleep}\nExecStop=@STEP@ stop {name}\n"
        ),
    )
}

fn position(lines: &[String], line: &str) -> usize {
    lines.iter().position(|l| l == line).unwrap_or_else(|| panic!("{line:?} missing from the log: {lines:?}"))
}

/// A small deterministic generator (xorshift), so the graph is the same
/// on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn a_200_unit_graph_boots_in_parallel_and_in_order_and_stops_in_reverse() {
    const N: usize = 200;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Unit i depends on up to three earlier units: Requires+After,
    // Wants+After, After alone, or Wants alone (pulled in, unordered).
    let mut after: Vec<(usize, usize)> = Vec::new();
    let mut units = Vec::new();
    let mut wants_all = String::new();
    for i in 0..N {
        let mut section = String::new();
        if i >= 8 {
            for _ in 0..1 + rng.next(3) {
                let j = rng.next(i as u64) as usize;
                let kind = rng.next(4);
                let dep = format!("s{j:03}.service");
                match kind {
                    0 => section.push_str(&format!("Requires={dep}\nAfter={dep}\n")),
                    1 => section.push_str(&format!("Wants={dep}\nAfter={dep}\n")),
                    2 => section.push_str(&format!("After={dep}\n")),
                    _ => section.push_str(&format!("Wants={dep}\n")),
                }
                if kind < 3 {
                    after.push((i, j));
                }
            }
        }
        units.push(oneshot(&format!("s{i:03}.service"), &section, "0.3"));
        wants_all.push_str(&format!("Wants=s{i:03}.service\n"));
    }
    units.push(("big.target".into(), format!("[Unit]\nDescription=Big\n{wants_all}")));
    let mut d = Daemon::new("txbig", &units, Some("big.target"));
    assert!(d.wait_state("big.target", "active"), "boot did not finish; console:\n{}", d.console());
    for i in 0..N {
        assert_eq!(d.state(&format!("s{i:03}.service")), "active", "s{i:03}");
    }
    let log = d.order();
    assert_eq!(log.len(), 2 * N, "a start and an end line per unit: {log:?}");
    // Every unit started after every unit it is ordered after had finished
    // starting.
    let started = |i: usize| position(&log, &format!("start s{i:03}.service"));
    let ended = |i: usize| position(&log, &format!("end s{i:03}.service"));
    for &(i, j) in &after {
        assert!(ended(j) < started(i), "s{i:03} is After= s{j:03} but started before it was up");
    }
    // In parallel: each script sleeps 300ms between its two lines; count
    // how many were between them at once.
    let (mut running, mut most) = (0usize, 0usize);
    for l in &log {
        if l.starts_with("start ") {
            running += 1;
            most = most.max(running);
        } else {
            running -= 1;
        }
    }
    assert!(most >= 4, "at most {most} units were starting at once: not parallel");
    // Shutdown: stops run in reverse order.
    let before_stop = log.len();
    d.exit();
    let log = d.order();
    assert_eq!(log.len(), before_stop + N, "one stop line per unit: {log:?}");
    let stopped = |i: usize| position(&log, &format!("stop s{i:03}.service"));
    for &(i, j) in &after {
        assert!(stopped(i) < stopped(j), "s{i:03} is After= s{j:03} but stopped after it");
    }
}

fn unit(name: &str, text: &str) -> (String, String) {
    (name.to_string(), text.to_string())
}

const LONG: &str = "[Service]\nExecStart=/bin/sleep 300\n";

#[test]
fn conflicts_stops_the_other_unit_both_ways() {
    let d = Daemon::new(
        "txconf",
        &[unit("p.service", &format!("[Unit]\nConflicts=q.service\n{LONG}")), unit("q.service", LONG)],
        None,
    );
    assert_eq!(d.start("q"), "done");
    assert_eq!(d.start("p"), "done");
    assert!(d.wait_state("q.service", "inactive"), "q must stop when p starts");
    assert_eq!(d.state("p.service"), "active");
    // And the other way round (ConflictedBy=).
    assert_eq!(d.start("q"), "done");
    assert!(d.wait_state("p.service", "inactive"), "p must stop when q starts");
}

#[test]
fn isolate_stops_what_the_target_does_not_pull_in() {
    let d = Daemon::new(
        "txiso",
        &[
            unit("rescue.target", "[Unit]\nAllowIsolate=yes\nWants=kept.service\n"),
            unit("plain.target", "[Unit]\nWants=other.service\n"),
            unit("kept.service", LONG),
            unit("other.service", LONG),
            unit("survivor.service", &format!("[Unit]\nIgnoreOnIsolate=yes\n{LONG}")),
        ],
        None,
    );
    for u in ["kept", "other", "survivor"] {
        assert_eq!(d.start(u), "done");
    }
    let refused = d.job(JobVerb::Isolate, "plain.target", JobMode::Replace);
    assert_eq!(refused, "error: Operation refused, unit may not be isolated.");
    assert_eq!(d.job(JobVerb::Isolate, "rescue.target", JobMode::Replace), "done");
    assert!(d.wait_state("other.service", "inactive"));
    assert_eq!(d.state("kept.service"), "active");
    assert_eq!(d.state("survivor.service"), "active");
    assert_eq!(d.state("rescue.target"), "active");
    // The same through --job-mode=isolate on a start.
    assert_eq!(d.start("other"), "done");
    assert_eq!(d.job(JobVerb::Start, "rescue.target", JobMode::Isolate), "done");
    assert!(d.wait_state("other.service", "inactive"));
}

#[test]
fn an_ordering_cycle_is_broken_and_named_in_the_journal() {
    let d = Daemon::new(
        "txcyc",
        &[
            unit("a.service", &format!("[Unit]\nWants=b.service\nAfter=b.service\n{LONG}")),
            unit("b.service", &format!("[Unit]\nAfter=a.service\n{LONG}")),
            unit("c.service", &format!("[Unit]\nRequires=e.service\nAfter=e.service\n{LONG}")),
            unit("e.service", &format!("[Unit]\nAfter=c.service\n{LONG}")),
        ],
        None,
    );
    assert_eq!(d.start("a"), "done");
    assert_eq!(d.state("a.service"), "active");
    assert_eq!(d.state("b.service"), "inactive");
    let want = [
        "a.service: Found ordering cycle on b.service/start",
        "a.service: Found dependency on a.service/start",
        "a.service: Job b.service/start deleted to break ordering cycle starting with a.service/start",
    ];
    let found = || {
        let j = d.journal();
        want.iter().all(|w| j.contains(w))
    };
    assert!(wait_until(Duration::from_secs(10), found), "journal:\n{}", d.journal());
    // Required both ways: the request fails and the error names the cycle.
    let e = d.start("c");
    assert!(e.starts_with("error: Transaction order is cyclic. See system logs for details."), "{e}");
    assert!(e.contains("c.service: Found ordering cycle on e.service/start"), "{e}");
    assert_eq!(d.state("c.service"), "inactive");
    assert!(wait_until(Duration::from_secs(10), || d
        .journal()
        .contains("c.service: Unable to break cycle starting with c.service/start")));
}

#[test]
fn on_failure_starts_the_handler() {
    let d = Daemon::new(
        "txfail",
        &[
            unit("broken.service", "[Unit]\nOnFailure=handler.service\n[Service]\nType=oneshot\nExecStart=/bin/false\n"),
            oneshot("handler.service", "", ""),
            unit("fine.service", "[Unit]\nOnSuccess=handler2.service\n[Service]\nType=oneshot\nExecStart=/bin/true\n"),
            oneshot("handler2.service", "", ""),
        ],
        None,
    );
    assert_eq!(d.start("broken"), "failed");
    assert!(d.wait_state("handler.service", "active"), "console:\n{}", d.console());
    assert!(d.order().contains(&"start handler.service".to_string()));
    assert_eq!(d.start("fine"), "done");
    assert!(d.wait_state("handler2.service", "active"), "console:\n{}", d.console());
}

#[test]
fn job_mode_fail_refuses_to_replace_a_queued_job() {
    // slow.service takes a while to start; its start job is queued while
    // a stop --job-mode=fail would contradict it.
    let d = Daemon::new(
        "txmode",
        &[
            unit("slow.service", "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sleep 2\n"),
            unit("user.service", &format!("[Unit]\nRequires=dep.service\nAfter=dep.service\n{LONG}")),
            unit("dep.service", LONG),
        ],
        None,
    );
    let mut c = Client::connect(&d.root.control(), "test").unwrap();
    c.call(&Request::Job { verb: JobVerb::Start, units: vec!["slow".into()], mode: JobMode::Replace, wait: false }).unwrap();
    let e = d.job(JobVerb::Stop, "slow", JobMode::Fail);
    assert_eq!(
        e,
        "error: Transaction for slow.service/stop is destructive (slow.service has 'start' job queued, but 'stop' is included in transaction)."
    );
    // replace (the default) cancels it.
    assert_eq!(d.job(JobVerb::Stop, "slow", JobMode::Replace), "done");
    // ignore-requirements starts the unit alone.
    assert_eq!(d.job(JobVerb::Start, "user", JobMode::IgnoreRequirements), "done");
    assert_eq!(d.state("dep.service"), "inactive");
}

/// `StopWhenUnneeded=` (systemd.unit(5)): a unit pulled in only by another
/// stops once that one is down; a unit without the setting stays.
#[test]
fn stop_when_unneeded_stops_the_helper_with_its_last_user() {
    let d = Daemon::new(
        "txunneeded",
        &[
            unit("user.service", &format!("[Unit]\nWants=helper.service keep.service\n{LONG}")),
            unit("helper.service", &format!("[Unit]\nStopWhenUnneeded=yes\n{LONG}")),
            unit("keep.service", LONG),
        ],
        None,
    );
    assert_eq!(d.start("user"), "done");
    assert!(d.wait_state("helper.service", "active"));
    assert!(d.wait_state("keep.service", "active"));
    assert_eq!(d.job(JobVerb::Stop, "user.service", JobMode::Replace), "done");
    assert!(d.wait_state("helper.service", "inactive"), "helper must stop with its last user; console:\n{}", d.console());
    assert_eq!(d.state("keep.service"), "active");
}
