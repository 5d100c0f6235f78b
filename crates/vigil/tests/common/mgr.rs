//! A manager in the foreground for one test root, driven over the control
//! protocol: the shared harness of `manager_services.rs` (tests written as
//! Rust functions) and `manager_scenarios.rs` (tests written as folders).
//! Include it next to `common` with `#[path = "common/mgr.rs"] mod mgr;`.
//!
//! The manager's stderr goes to `console.log` in the root. Dropping a
//! `Mgr` tells the manager to exit and fails the test if it does not
//! (after asking it for a state dump with SIGUSR2).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use crate::common::*;
use proto::client::Client;
use proto::msg::{JobMode, JobVerb, KillWhom, ShutdownKind};
use proto::{Request, Response};

pub struct Mgr {
    pub root: TestRoot,
    pub child: Option<Child>,
}

impl Mgr {
    /// `units` go to etc/systemd/system; `scripts` (shell scripts, made
    /// executable) to the root itself, so unit files need no shell quoting.
    /// `@ROOT@` in either is replaced by the root's path.
    pub fn with_scripts(name: &str, units: &[(&str, &str)], scripts: &[(&str, &str)]) -> Mgr {
        Self::with_env(name, units, scripts, &[])
    }

    pub fn with_env(name: &str, units: &[(&str, &str)], scripts: &[(&str, &str)], env: &[(&str, &str)]) -> Mgr {
        let root = TestRoot::new(name);
        let r = root.path.display().to_string();
        for (n, text) in scripts {
            let p = root.path.join(n);
            std::fs::write(&p, format!("#!/bin/sh\n{}", text.replace("@ROOT@", &r))).unwrap();
            Command::new("chmod").arg("755").arg(&p).status().unwrap();
        }
        Self::start(root, units, env)
    }

    pub fn new(name: &str, units: &[(&str, &str)]) -> Mgr {
        Self::with_scripts(name, units, &[])
    }

    /// Write `units` into the root and start `vigil daemon` on it with
    /// `env` added to its environment; returns once it answers.
    pub fn start(root: TestRoot, units: &[(&str, &str)], env: &[(&str, &str)]) -> Mgr {
        let dir = root.path.join("etc/systemd/system");
        std::fs::create_dir_all(&dir).unwrap();
        for (n, text) in units {
            std::fs::write(dir.join(n), text.replace("@ROOT@", &root.path.display().to_string())).unwrap();
        }
        let child = Command::new(vigil())
            .args(["daemon", &root.root_arg()])
            .envs(env.iter().copied())
            .stderr(std::fs::File::create(root.path.join("console.log")).unwrap())
            .spawn()
            .unwrap();
        // The socket file appears at bind(), before listen(): wait until
        // a connection succeeds.
        assert!(
            wait_until(Duration::from_secs(5), || Client::connect(&root.control(), "test").is_ok()),
            "manager did not start"
        );
        Mgr { root, child: Some(child) }
    }

    pub fn client(&self) -> Client {
        Client::connect(&self.root.control(), "test").unwrap()
    }

    /// Run a job and wait for its result word (`done`, `failed`…, or
    /// `error: MESSAGE` when the request is refused).
    pub fn job(&self, verb: JobVerb, unit: &str) -> String {
        let mut c = self.client();
        let mut r = c.call(&Request::Job { verb, units: vec![unit.into()], mode: JobMode::Replace, wait: true }).unwrap();
        loop {
            match r {
                Response::JobDone { result, .. } => return result,
                Response::Error { message, .. } => return format!("error: {message}"),
                Response::End => return "end".into(),
                _ => r = c.next_response().unwrap(),
            }
        }
    }

    /// Queue a job without waiting for its result; `Err` carries the
    /// manager's refusal.
    pub fn job_nowait(&self, verb: JobVerb, unit: &str) -> Result<(), String> {
        let mut c = self.client();
        match c.call(&Request::Job { verb, units: vec![unit.into()], mode: JobMode::Replace, wait: false }) {
            Ok(Response::Error { message, .. }) => Err(message),
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// `systemctl kill --kill-whom=WHOM --signal=SIGNAL UNIT`.
    pub fn kill(&self, unit: &str, whom: KillWhom, signal: i32) -> Result<(), String> {
        let mut c = self.client();
        match c.call(&Request::Kill { units: vec![unit.into()], whom, signal }) {
            Ok(Response::Error { message, .. }) => Err(message),
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// `systemctl set-environment`: the assignments reach every service
    /// started afterwards.
    pub fn set_environment(&self, assignments: &[String]) {
        let mut c = self.client();
        if let Response::Error { message, .. } = c.call(&Request::SetEnvironment { assignments: assignments.to_vec() }).unwrap() {
            panic!("set-environment: {message}");
        }
    }

    pub fn prop(&self, unit: &str, name: &str) -> String {
        let mut c = self.client();
        match c.call(&Request::Show { units: vec![unit.into()], properties: vec![name.into()], all: false, brief: false }).unwrap() {
            Response::Properties { properties, .. } => properties.into_iter().next().map(|(_, v)| v).unwrap_or_default(),
            other => panic!("unexpected {other:?}"),
        }
    }

    pub fn wait_prop(&self, unit: &str, name: &str, want: &str) -> bool {
        wait_until(Duration::from_secs(10), || self.prop(unit, name) == want)
    }

    pub fn console(&self) -> String {
        std::fs::read_to_string(self.root.path.join("console.log")).unwrap_or_default()
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.root.path.join(p)
    }

    /// Tell the manager to exit and wait for it; `Err` (with the console
    /// and a state dump) when it is still running after 20 s.
    pub fn exit(&mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        if let Ok(mut c) = Client::connect(&self.root.control(), "test") {
            let _ = c.call(&Request::Shutdown { kind: ShutdownKind::Exit, code: 0 });
        }
        let pid = child.id() as i32;
        if wait_until(Duration::from_secs(20), || matches!(child.try_wait(), Ok(Some(_)))) {
            return Ok(());
        }
        // SAFETY: signal the manager to dump its state.
        unsafe { libc::kill(pid, libc::SIGUSR2) };
        let _ = wait_until(Duration::from_secs(1), || self.console().contains("state dump"));
        let _ = child.kill();
        let _ = child.wait();
        Err(format!("manager {pid} did not exit; console:\n{}", self.console()))
    }
}

impl Drop for Mgr {
    fn drop(&mut self) {
        if let Err(e) = self.exit() {
            if !std::thread::panicking() {
                panic!("{e}");
            }
        }
    }
}

pub fn read_pid(p: &Path) -> Option<i32> {
    std::fs::read_to_string(p).ok()?.trim().parse().ok()
}

/// No process anywhere whose environment carries `NAME=VALUE` (an
/// invocation id, or a mark set with [`Mgr::set_environment`]).
pub fn no_process_with_env(assignment: &str) -> bool {
    processes_with_env(assignment).is_empty()
}

/// The pids (and command lines) of the processes whose environment
/// carries `NAME=VALUE`.
pub fn processes_with_env(assignment: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()) && n != me))
        .filter(|e| {
            let env = std::fs::read(e.path().join("environ")).unwrap_or_default();
            env.split(|b| *b == 0).any(|v| v == assignment.as_bytes())
        })
        .map(|e| {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmd: Vec<String> = cmd.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            format!("{} {}", e.file_name().to_string_lossy(), cmd.join(" ").trim())
        })
        .collect()
}
