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
        let req = Request::Show { units: vec![unit.into()], properties: vec!["ActiveState".into()], all: false };
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
        units.push(oneshot(&format!("s{i:03}.service"), &section, "0.05"));
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
    // In parallel: each script sleeps 50ms between its two lines; count
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
    assert!(most >= 8, "at most {most} units were starting at once: not parallel");
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
