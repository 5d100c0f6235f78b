//! Shared harness of the `ctl_*` tests: corpus roots, the real
//! `systemctl --root=DIR` beside our binary, and the comparison of what
//! both printed, how they exited and what they left under `etc/` and
//! `run/`.
//!
//! Every comparison runs one command line on two copies of a root — A
//! with the real systemctl, B with `vigil` — and requires equal stdout,
//! stderr (each copy's root path replaced by `<ROOT>`), exit status, and
//! equal trees (every symlink with its target, every file with its size,
//! every directory). A missing systemctl fails the test.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn vigil() -> &'static str {
    env!("CARGO_BIN_EXE_vigil")
}

/// A scratch directory under /tmp, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = PathBuf::from(format!("/tmp/vigil-ctl-{}-{n}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).expect("create scratch dir");
        Scratch(p)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Debian corpus materialised as a root: `scratch/template`.
pub fn corpus_template(s: &Scratch) -> PathBuf {
    let t = s.0.join("template");
    let st = Command::new(workspace().join("scripts/corpus-root"))
        .arg(&t)
        .status()
        .expect("run scripts/corpus-root");
    assert!(st.success(), "scripts/corpus-root failed");
    t
}

/// Two fresh `cp -a` copies of `template`: (A for systemctl, B for vigil).
pub fn pair(s: &Scratch, template: &Path, tag: &str) -> (PathBuf, PathBuf) {
    let a = s.0.join(format!("{tag}-a"));
    let b = s.0.join(format!("{tag}-b"));
    for d in [&a, &b] {
        let _ = fs::remove_dir_all(d);
        let st = Command::new("cp").arg("-a").arg(template).arg(d).status().expect("run cp");
        assert!(st.success(), "cp -a failed");
    }
    (a, b)
}

/// What a command printed and how it exited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    pub fn from(o: Output) -> Run {
        Run {
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            code: o.status.code().unwrap_or(-1),
        }
    }
}

/// The environment both tools run in: a UTF-8 locale, no pager, no
/// debug logging, nothing that changes what they print.
pub fn clean_env(c: &mut Command) -> &mut Command {
    c.env_remove("SYSTEMD_LOG_LEVEL")
        .env_remove("SYSTEMD_UTF8")
        .env_remove("SYSTEMCTL_SKIP_SYSV")
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE")
        .env_remove("NO_COLOR")
        .env("LANG", "C.UTF-8")
        .env("SYSTEMD_PAGER", "cat")
}

/// Add `env` to a command; an empty value removes the variable instead.
fn set_env(c: &mut Command, env: &[(&str, &str)]) {
    for (k, v) in env {
        if v.is_empty() {
            c.env_remove(k);
        } else {
            c.env(k, v);
        }
    }
}

/// `systemctl --root=ROOT ARGS…` (or `systemctl ARGS…` for `None`), with
/// extra environment ([`set_env`]).
pub fn systemctl(root: Option<&Path>, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new("systemctl");
    clean_env(&mut c);
    if let Some(r) = root {
        c.arg(format!("--root={}", r.display()));
    }
    c.args(args);
    set_env(&mut c, env);
    Run::from(c.output().expect("systemctl must be installed for the differential tests"))
}

/// `vigil --root=ROOT ARGS…` (or `vigil ARGS…` for `None`), with extra
/// environment ([`set_env`]).
pub fn ours(root: Option<&Path>, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(vigil());
    clean_env(&mut c);
    if let Some(r) = root {
        c.arg(format!("--root={}", r.display()));
    }
    c.args(args);
    set_env(&mut c, env);
    Run::from(c.output().expect("run vigil"))
}

/// Every entry under `etc/` and `run/` of a root, symlinks with targets.
pub fn tree(root: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            let ft = e.file_type().expect("file type");
            if ft.is_symlink() {
                let t = fs::read_link(&p).expect("readlink");
                out.insert(format!("L {rel} -> {}", t.display()));
            } else if ft.is_dir() {
                out.insert(format!("D {rel}"));
                walk(root, &p, out);
            } else {
                out.insert(format!("F {rel} ({} bytes)", fs::metadata(&p).map(|m| m.len()).unwrap_or(0)));
            }
        }
    }
    let mut out = BTreeSet::new();
    for top in ["etc", "run"] {
        walk(root, &root.join(top), &mut out);
    }
    out
}

fn normalize(s: &str, root: &Path) -> String {
    s.replace(&root.display().to_string(), "<ROOT>")
}

/// Collects differences so one test reports all of them.
#[derive(Default)]
pub struct Diffs {
    pub found: Vec<String>,
    pub compared: usize,
}

impl Diffs {
    /// Run `args` with systemctl on `a` and vigil on `b` (extra
    /// environment for both); record any difference. Returns systemctl's
    /// normalised result.
    pub fn check_env(&mut self, a: &Path, b: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.compared += 1;
        let want = systemctl(Some(a), args, env);
        let got = ours(Some(b), args, env);
        let cmd = format!("systemctl {}", args.join(" "));
        let (ws, gs) = (normalize(&want.stdout, a), normalize(&got.stdout, b));
        let (we, ge) = (normalize(&want.stderr, a), normalize(&got.stderr, b));
        if gs != ws {
            self.found.push(format!("stdout differs for `{cmd}`\n--- systemctl:\n{ws}--- vigil:\n{gs}"));
        } else if ge != we {
            self.found.push(format!("stderr differs for `{cmd}`\n--- systemctl:\n{we}--- vigil:\n{ge}"));
        } else if got.code != want.code {
            self.found.push(format!(
                "exit status differs for `{cmd}`: systemctl {} vigil {}\n{we}",
                want.code, got.code
            ));
        }
        let (ta, tb) = (tree(a), tree(b));
        if ta != tb {
            let only_a: Vec<_> = ta.difference(&tb).collect();
            let only_b: Vec<_> = tb.difference(&ta).collect();
            self.found.push(format!(
                "trees differ after `{cmd}`\nonly with systemctl: {only_a:#?}\nonly with vigil: {only_b:#?}"
            ));
        }
        // CTL_SHOW=1 prints what systemctl answered, to see what a test covers.
        if std::env::var_os("CTL_SHOW").is_some() {
            eprintln!("$ {cmd}  [{}]\n{ws}{we}", want.code);
        }
        Run { stdout: ws, stderr: we, code: want.code }
    }

    pub fn check(&mut self, a: &Path, b: &Path, args: &[&str]) -> Run {
        self.check_env(a, b, args, &[])
    }

    pub fn assert_none(&self) {
        assert!(self.compared > 0, "nothing was compared");
        if !self.found.is_empty() {
            panic!(
                "{} of {} command(s) differ from systemctl:\n\n{}",
                self.found.len(),
                self.compared,
                self.found.join("\n\n")
            );
        }
    }
}

/// Write a file (creating directories) inside each root.
pub fn write_in(roots: &[&Path], rel: &str, content: &str) {
    for r in roots {
        let p = r.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, content).expect("write");
    }
}

/// Make a symlink inside each root.
pub fn symlink_in(roots: &[&Path], rel: &str, target: &str) {
    for r in roots {
        let p = r.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        let _ = fs::remove_file(&p);
        std::os::unix::fs::symlink(target, &p).expect("symlink");
    }
}

/// Run every command line in order on both roots of a fresh corpus copy
/// (state accumulates, as on a real machine) after `setup`, and report
/// all differences at once.
pub fn sequence(tag: &str, setup: impl Fn(&[&Path]), cmds: &[&[&str]]) {
    let s = Scratch::new(tag);
    let t = corpus_template(&s);
    let (a, b) = pair(&s, &t, "r");
    setup(&[&a, &b]);
    let mut d = Diffs::default();
    for c in cmds {
        d.check(&a, &b, c);
    }
    d.assert_none();
}
