//! Scenario folders: end-to-end tests of the manager written as data.
//!
//! Each folder under `tests/scenarios/` is one scenario: unit files, the
//! helper scripts they run, and a `steps` file in the small line language
//! documented in `tests/scenarios/README.md` (start a job and check its
//! result, kill a process, expect or wait for unit properties, files and
//! journal lines). The runner copies the folder into a fresh root, starts
//! the real `vigil daemon --root=DIR` on it, marks every process the
//! manager starts with `VIGIL_SCENARIO=DIR` (through `set-environment`),
//! runs the steps in order and, whatever the steps were, ends by telling
//! the manager to exit and checking that it does and that no marked
//! process is left.
//!
//! One `#[test]` per folder (the `scenarios!` list below, checked against
//! the directory by `every_scenario_folder_is_listed`), so nextest runs them
//! in parallel and a failure names the scenario; a failing step names the
//! folder, the line and the step, and shows the manager's console.
//!
//! Waiting is polling with a deadline, never a fixed sleep: `wait` polls
//! until a condition holds, and negative facts are checked at a state that
//! proves them (a unit that would restart is `activating/auto-restart`,
//! never `failed`).

mod common;
#[path = "common/mgr.rs"]
mod mgr;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use mgr::*;
use proto::msg::{JobVerb, KillWhom};

/// How long `wait` and the polling `expect`s wait.
const DEADLINE: Duration = Duration::from_secs(10);

/// `folder`, one test per folder; `test = folder [NAME=VALUE…]` after the
/// `;` runs a folder again with more environment for the manager.
macro_rules! scenarios {
    ($($name:ident),* $(,)? ; $($variant:ident = $folder:ident [$($k:ident = $v:literal),*]),* $(,)?) => {
        const SCENARIOS: &[&str] = &[$(stringify!($name)),*];
        $(#[test] fn $name() { run(stringify!($name), stringify!($name), &[]); })*
        $(#[test] fn $variant() {
            run(stringify!($variant), stringify!($folder), &[$((stringify!($k), $v)),*]);
        })*
    };
}

scenarios!(
    type_simple,
    type_exec,
    type_forking_pidfile,
    type_forking_guess,
    type_oneshot,
    type_notify,
    type_notify_access,
    type_notify_watchdog,
    type_idle,
    type_dbus,
    restart_exit_0,
    restart_exit_1,
    restart_sigkill,
    restart_sigabrt,
    restart_timeout,
    restart_watchdog,
    restart_exit_status,
    success_exit_status,
    start_limit,
    stop_timeout,
    stop_signals,
    kill_mode,
    runtime_max,
    exec_condition,
    exec_prefixes,
    exec_stop_post_env,
    mainpid_in_reload_stop,
    restart_core_dump;
    // The process-tree fallback (no cgroups) must reach the same processes.
    kill_mode_process_tree = kill_mode [VIGIL_CGROUPS = "off"],
    stop_timeout_process_tree = stop_timeout [VIGIL_CGROUPS = "off"],
    type_forking_pidfile_process_tree = type_forking_pidfile [VIGIL_CGROUPS = "off"],
    type_forking_guess_process_tree = type_forking_guess [VIGIL_CGROUPS = "off"],
    type_notify_process_tree = type_notify [VIGIL_CGROUPS = "off"],
);

#[test]
fn every_scenario_folder_is_listed() {
    let mut found: Vec<String> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir() && e.file_name() != "lib")
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut listed: Vec<String> = SCENARIOS.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed, "tests/scenarios/ and the scenarios! list differ");
}

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

/// One line of a `steps` file, split into words (`"…"` keeps spaces).
struct Step {
    line: usize,
    text: String,
    words: Vec<String>,
}

fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut any) = (false, false);
    for c in line.chars() {
        match c {
            '"' => (quoted, any) = (!quoted, true),
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => (cur, any) = (cur + &c.to_string(), true),
        }
    }
    if any {
        out.push(cur);
    }
    out
}

fn parse(text: &str) -> Vec<Step> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| Step { line: i + 1, text: l.trim().to_string(), words: words(l) })
        .collect()
}

/// Unit files and drop-in folders go to etc/systemd/system, the rest
/// (helper scripts) to the root, executable; `@ROOT@` is replaced in all.
/// The shared helpers of `scenarios/lib` come first.
fn install(dir: &Path, root: &Path) {
    if dir.file_name().is_some_and(|n| n != "lib") {
        install(&scenarios_dir().join("lib"), root);
    }
    const UNIT: &[&str] = &["service", "socket", "target", "timer", "path", "slice"];
    let units = root.join("etc/systemd/system");
    std::fs::create_dir_all(&units).unwrap();
    let r = root.display().to_string();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == "steps" || name == "README.md" {
            continue;
        }
        let ext = name.rsplit('.').next().unwrap_or("");
        if e.path().is_dir() {
            std::fs::create_dir_all(units.join(&name)).unwrap();
            for f in std::fs::read_dir(e.path()).unwrap().flatten() {
                let t = std::fs::read_to_string(f.path()).unwrap().replace("@ROOT@", &r);
                std::fs::write(units.join(&name).join(f.file_name()), t).unwrap();
            }
        } else if UNIT.contains(&ext) {
            let t = std::fs::read_to_string(e.path()).unwrap().replace("@ROOT@", &r);
            std::fs::write(units.join(&name), t).unwrap();
        } else {
            use std::os::unix::fs::PermissionsExt;
            let t = std::fs::read_to_string(e.path()).unwrap().replace("@ROOT@", &r);
            std::fs::write(root.join(&name), t).unwrap();
            std::fs::set_permissions(root.join(&name), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

/// Run scenario folder `folder` as test `name`, with `extra_env` for the
/// manager besides the folder's own `manager-env` lines.
fn run(name: &str, folder: &str, extra_env: &[(&str, &str)]) {
    let dir = scenarios_dir().join(folder);
    let text = std::fs::read_to_string(dir.join("steps")).unwrap_or_else(|e| panic!("scenarios/{name}/steps: {e}"));
    let steps = parse(&text);
    let fail = |step: &Step, m: Option<&Mgr>, why: String| -> ! {
        let console = m.map(|m| m.console()).unwrap_or_default();
        let tail: Vec<&str> = console.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "scenarios/{folder}/steps:{}: `{}`: {why}\n--- manager console (last lines) ---\n{}",
            step.line,
            step.text,
            tail.join("\n")
        )
    };
    // `require` and `manager-env` lines come first: they decide
    // whether and how the manager starts.
    let env_lines = steps.iter().take_while(|s| ["manager-env", "require"].contains(&s.words[0].as_str())).count();
    let mut env = Vec::new();
    for s in &steps[..env_lines] {
        match (s.words.as_slice(), s.words.get(1).and_then(|a| a.split_once('='))) {
            ([w, what], _) if w == "require" => match requirement(what) {
                Some(Ok(())) => {}
                Some(Err(why)) => {
                    eprintln!("scenarios/{folder}: skipped: {why} (steps:{})", s.line);
                    return;
                }
                None => fail(s, None, format!("unknown requirement {what}")),
            },
            (_, Some((k, v))) if s.words.len() == 2 => env.push((k.to_string(), v.to_string())),
            _ => fail(s, None, "expected `manager-env NAME=VALUE` or `require WHAT`".into()),
        }
    }
    env.extend(extra_env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let root = TestRoot::new(&format!("s-{name}"));
    install(&dir, &root.path);
    let mark = format!("VIGIL_SCENARIO={}", root.path.display());
    let _sweeper = Sweeper(mark.clone());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut m = Mgr::start(root, &[], &env);
    m.set_environment(std::slice::from_ref(&mark));
    let t0 = std::time::Instant::now();
    for s in &steps[env_lines..] {
        // Shown with a failure (the harness captures it): which step took how long.
        eprintln!("[{:>7.3}s] steps:{}: {}", t0.elapsed().as_secs_f64(), s.line, s.text);
        if let Err(why) = step(&m, s, &mark) {
            fail(s, Some(&m), why);
        }
    }
    // Every scenario ends with the manager exiting and nothing left.
    let last = Step { line: text.lines().count() + 1, text: "(end: manager exits, no process left)".into(), words: vec![] };
    if let Err(why) = m.exit() {
        fail(&last, None, why);
    }
    if !wait_until(Duration::from_secs(5), || no_process_with_env(&mark)) {
        fail(&last, Some(&m), format!("left behind: {:?}", processes_with_env(&mark)));
    }
    if extra_env.contains(&("VIGIL_CGROUPS", "off")) && !m.console().contains("tracked through the process tree") {
        fail(&last, Some(&m), "VIGIL_CGROUPS=off, but the manager did not use the process tree".into());
    }
}

/// `require WHAT`: `root`, or `core-in-cwd` (the kernel writes core dumps
/// into the crashing process's working directory: core_pattern is a plain
/// file name).
fn requirement(what: &str) -> Option<Result<(), String>> {
    Some(match what {
        "root" => is_root().then_some(()).ok_or_else(|| "needs root; CI runs it as root".to_string()),
        "core-in-cwd" => {
            let p = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
            let p = p.trim();
            (!p.is_empty() && !p.contains('/') && !p.starts_with('|'))
                .then_some(())
                .ok_or_else(|| format!("core_pattern {p:?} does not write into the working directory"))
        }
        _ => return None,
    })
}

/// Kills what a failed scenario left behind (a KillMode=none survivor…),
/// so that one failure does not leave processes running; declared before
/// the manager so that it runs after the manager's own drop.
struct Sweeper(String);

impl Drop for Sweeper {
    fn drop(&mut self) {
        for p in processes_with_env(&self.0) {
            if let Some(pid) = p.split(' ').next().and_then(|p| p.parse::<i32>().ok()) {
                // SAFETY: kill(2) of a process carrying this scenario's mark.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

fn signal(name: &str) -> Result<i32, String> {
    if let Ok(n) = name.parse() {
        return Ok(n);
    }
    let n = name.strip_prefix("SIG").unwrap_or(name);
    Ok(match n {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "ABRT" => libc::SIGABRT,
        "KILL" => libc::SIGKILL,
        "USR1" => libc::SIGUSR1,
        "USR2" => libc::SIGUSR2,
        "SEGV" => libc::SIGSEGV,
        "PIPE" => libc::SIGPIPE,
        "TERM" => libc::SIGTERM,
        "CONT" => libc::SIGCONT,
        "STOP" => libc::SIGSTOP,
        _ => return Err(format!("unknown signal {name}")),
    })
}

/// `Prop=Value` words, each checked against the unit's property.
fn mismatches(m: &Mgr, unit: &str, pairs: &[String]) -> Result<Vec<String>, String> {
    let mut bad = Vec::new();
    for p in pairs {
        let (k, want) = p.split_once('=').ok_or_else(|| format!("`{p}` is not Prop=Value"))?;
        // `<FILE>`: what a script wrote into FILE (a pid, usually).
        let want = match want.strip_prefix('<').and_then(|w| w.strip_suffix('>')) {
            Some(f) => std::fs::read_to_string(m.path(f)).map_err(|e| format!("{f}: {e}"))?.trim().to_string(),
            None => want.to_string(),
        };
        let got = m.prop(unit, k);
        if got != want {
            bad.push(format!("{k}={got:?} (want {want:?})"));
        }
    }
    Ok(bad)
}

fn job_verb(w: &str) -> Option<JobVerb> {
    Some(match w {
        "start" => JobVerb::Start,
        "stop" => JobVerb::Stop,
        "restart" => JobVerb::Restart,
        "try-restart" => JobVerb::TryRestart,
        "reload" => JobVerb::Reload,
        "reload-or-restart" => JobVerb::ReloadOrRestart,
        _ => return None,
    })
}

fn poll(cond: impl FnMut() -> bool) -> bool {
    wait_until(DEADLINE, cond)
}

fn journal(m: &Mgr, unit: &str) -> String {
    stdout(&m.root.vigil(&["logs", "-u", unit, "-o", "cat", "--no-pager"]))
}

fn step(m: &Mgr, s: &Step, mark: &str) -> Result<(), String> {
    let w: Vec<&str> = s.words.iter().map(String::as_str).collect();
    let file = |f: &str| m.path(f);
    let read = |f: &str| std::fs::read_to_string(file(f)).unwrap_or_default();
    let pid_of = |f: &str| read_pid(&file(f)).ok_or_else(|| format!("no pid in {f} ({:?})", read(f)));
    match w.as_slice() {
        [verb, unit, rest @ ..] if job_verb(verb).is_some() && rest.len() <= 1 => {
            let want = rest.first().copied().unwrap_or("done");
            let got = m.job(job_verb(verb).unwrap(), unit);
            (got == want).then_some(()).ok_or_else(|| format!("job result {got:?}, want {want:?}"))
        }
        ["start-nowait", unit] => m.job_nowait(JobVerb::Start, unit),
        ["mkdir", d] => std::fs::create_dir_all(file(d)).map_err(|e| e.to_string()),
        ["reset-failed", unit] => {
            let o = m.root.vigil(&["--no-autostart", "reset-failed", unit]);
            o.status.success().then_some(()).ok_or_else(|| format!("reset-failed: {}", stderr(&o)))
        }
        ["touch", f] => std::fs::write(file(f), "").map_err(|e| e.to_string()),
        ["kill", unit, whom, sig] => {
            let whom = match *whom {
                "main" => KillWhom::Main,
                "control" => KillWhom::Control,
                "all" => KillWhom::All,
                _ => return Err("kill-whom is main, control or all".into()),
            };
            m.kill(unit, whom, signal(sig)?)
        }
        ["signal", f, sig] => {
            let pid = pid_of(f)?;
            // SAFETY: kill(2) of a pid a scenario's script wrote.
            match unsafe { libc::kill(pid, signal(sig)?) } {
                0 => Ok(()),
                _ => Err(format!("kill {pid}: {}", std::io::Error::last_os_error())),
            }
        }
        ["expect", "file", f, "contains", t] => {
            poll(|| read(f).contains(t)).then_some(()).ok_or_else(|| format!("{f} is {:?}", read(f)))
        }
        ["expect", "file", f, "is", t] => {
            poll(|| read(f).trim_end() == *t).then_some(()).ok_or_else(|| format!("{f} is {:?}", read(f)))
        }
        ["expect", "file", f, "lines", n] => {
            let got = read(f).lines().count().to_string();
            (got == *n).then_some(()).ok_or_else(|| format!("{f} has {got} lines: {:?}", read(f)))
        }
        ["expect", "no-file", f] => (!file(f).exists()).then_some(()).ok_or_else(|| format!("{f} exists: {:?}", read(f))),
        ["wait-file", f] => poll(|| file(f).exists()).then_some(()).ok_or_else(|| format!("no {f} after {DEADLINE:?}")),
        ["expect", "alive", f] => {
            let pid = pid_of(f)?;
            pid_alive(pid).then_some(()).ok_or_else(|| format!("{f}: process {pid} is not alive"))
        }
        ["expect", "dead", f] => {
            let pid = pid_of(f)?;
            poll(|| !pid_alive(pid)).then_some(()).ok_or_else(|| format!("{f}: process {pid} still alive"))
        }
        ["expect", "console", "contains", t] => {
            poll(|| m.console().contains(t)).then_some(()).ok_or_else(|| format!("not in the console: {t:?}"))
        }
        ["expect", "console", "lacks", t] => {
            (!m.console().contains(t)).then_some(()).ok_or_else(|| format!("in the console: {t:?}"))
        }
        ["expect", "journal", unit, "contains", t] => {
            poll(|| journal(m, unit).contains(t)).then_some(()).ok_or_else(|| format!("journal -u {unit}:\n{}", journal(m, unit)))
        }
        ["expect", "no-process"] => poll(|| no_process_with_env(mark))
            .then_some(())
            .ok_or_else(|| format!("left: {:?}", processes_with_env(mark))),
        ["expect", unit, pairs @ ..] if !pairs.is_empty() => {
            let bad = mismatches(m, unit, &s.words[2..])?;
            bad.is_empty().then_some(()).ok_or_else(|| bad.join(", "))
        }
        ["wait", unit, pairs @ ..] if !pairs.is_empty() => {
            let mut bad = Vec::new();
            let ok = poll(|| match mismatches(m, unit, &s.words[2..]) {
                Ok(b) => {
                    bad = b;
                    bad.is_empty()
                }
                Err(e) => {
                    bad = vec![e];
                    false
                }
            });
            ok.then_some(()).ok_or_else(|| format!("after {DEADLINE:?}: {}", bad.join(", ")))
        }
        _ => Err("unknown step (see tests/scenarios/README.md)".into()),
    }
}
