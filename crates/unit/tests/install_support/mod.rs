//! Shared harness of the differential `[Install]` tests: fresh corpus roots,
//! the real `systemctl --root=DIR`, the same command done by our library,
//! and comparison of what both printed and left on disk.
//!
//! Every comparison runs one command line on two identical copies of a
//! root — copy A with the real systemctl, copy B with `unit::install` and
//! its `output` renderer — then requires equal stdout, stderr (with each
//! copy's root path replaced by `<ROOT>`), exit status, and equal trees
//! under `etc/` and `run/` (every symlink with its target, every file and
//! directory).

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use unit::install::output::{self, Printed, Style};
use unit::install::{args, Dependency, Flags, Installer, PresetMode, UnitFileState};
use unit::paths::LookupPaths;
use unit::UnitType;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("vigil-install-{}-{}-{}", std::process::id(), n, tag));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).expect("create scratch dir");
        Scratch(p)
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

/// The corpus materialised once per test: `scratch/template`.
pub fn corpus_template(s: &Scratch) -> PathBuf {
    let t = s.0.join("template");
    let st = Command::new(workspace().join("scripts/corpus-root"))
        .arg(&t)
        .status()
        .expect("run scripts/corpus-root");
    assert!(st.success(), "scripts/corpus-root failed");
    t
}

/// Copy a root (`cp -a`, so both copies list directories alike).
pub fn copy_root(from: &Path, to: &Path) {
    let st = Command::new("cp").arg("-a").arg(from).arg(to).status().expect("run cp");
    assert!(st.success(), "cp -a failed");
}

/// Two fresh copies of `template`: (A for systemctl, B for us).
pub fn pair(s: &Scratch, template: &Path, tag: &str) -> (PathBuf, PathBuf) {
    let a = s.0.join(format!("{tag}-a"));
    let b = s.0.join(format!("{tag}-b"));
    let _ = fs::remove_dir_all(&a);
    let _ = fs::remove_dir_all(&b);
    copy_root(template, &a);
    copy_root(template, &b);
    (a, b)
}

/// Run the real systemctl on `root`. A missing systemctl fails the test.
pub fn systemctl(root: &Path, args: &[&str]) -> Printed {
    let out = Command::new("systemctl")
        .arg(format!("--root={}", root.display()))
        .args(args)
        .env_remove("SYSTEMD_LOG_LEVEL")
        .env_remove("SYSTEMD_UTF8")
        .env("LANG", "C.UTF-8")
        .env("SYSTEMD_PAGER", "cat")
        .output()
        .expect("systemctl must be installed for the differential tests");
    Printed {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        exit_code: out.status.code().unwrap_or(-1),
    }
}

/// `systemctl --user` for a user whose home is `home` (and runtime
/// directory `home/rt`), without a running manager: client-side, on this
/// machine's own unit directories.
pub fn systemctl_user(home: &Path, args: &[&str]) -> Printed {
    let out = Command::new("systemctl")
        .arg("--user")
        .args(args)
        .env_remove("SYSTEMD_LOG_LEVEL")
        .env_remove("SYSTEMD_UTF8")
        .env("XDG_RUNTIME_DIR", home.join("rt"))
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_DIRS")
        .env_remove("XDG_DATA_DIRS")
        .env_remove("SYSTEMD_UNIT_PATH")
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .env("SYSTEMD_PAGER", "cat")
        .output()
        .expect("systemctl must be installed for the differential tests");
    Printed {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        exit_code: out.status.code().unwrap_or(-1),
    }
}

/// Our side of [`systemctl_user`].
pub fn ours_user(home: &Path, args: &[&str]) -> Printed {
    let env = unit::paths::UserEnv {
        home: home.to_path_buf(),
        runtime_dir: Some(home.join("rt")),
        ..unit::paths::UserEnv::default()
    };
    ours_with(LookupPaths::user("/", &env), args)
}

/// Compare `systemctl --user` with HOME=`ha` and ours with HOME=`hb`, and
/// the two homes afterwards.
pub fn compare_user(ha: &Path, hb: &Path, args: &[&str]) -> Result<Printed, String> {
    let want = systemctl_user(ha, args);
    let got = ours_user(hb, args);
    let norm = |s: &str, h: &Path| s.replace(&h.display().to_string(), "<HOME>");
    let (ws, gs) = (norm(&want.stdout, ha), norm(&got.stdout, hb));
    let (we, ge) = (norm(&want.stderr, ha), norm(&got.stderr, hb));
    let cmd = format!("systemctl --user {}", args.join(" "));
    if gs != ws {
        return Err(format!("stdout differs for `{cmd}`\n--- systemctl:\n{ws}--- ours:\n{gs}"));
    }
    if ge != we {
        return Err(format!("stderr differs for `{cmd}`\n--- systemctl:\n{we}--- ours:\n{ge}"));
    }
    if got.exit_code != want.exit_code {
        return Err(format!("exit status differs for `{cmd}`: systemctl {} ours {}\n{we}", want.exit_code, got.exit_code));
    }
    let (ta, tb) = (home_tree(ha), home_tree(hb));
    if ta != tb {
        let only_a: Vec<_> = ta.difference(&tb).collect();
        let only_b: Vec<_> = tb.difference(&ta).collect();
        return Err(format!("homes differ after `{cmd}`\nonly with systemctl: {only_a:#?}\nonly with ours: {only_b:#?}"));
    }
    Ok(Printed { stdout: ws, stderr: we, exit_code: want.exit_code })
}

fn home_tree(home: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            let ft = e.file_type().expect("file type");
            if ft.is_symlink() {
                let t = fs::read_link(&p).expect("readlink").display().to_string();
                out.insert(format!("L {rel} -> {}", t.replace(&root.display().to_string(), "<HOME>")));
            } else if ft.is_dir() {
                out.insert(format!("D {rel}"));
                walk(root, &p, out);
            } else {
                out.insert(format!("F {rel}"));
            }
        }
    }
    walk(home, home, &mut out);
    out
}

/// The same command line done with our library: a minimal systemctl.
pub fn ours(root: &Path, args: &[&str]) -> Printed {
    let global = args.contains(&"--global");
    let paths = if global { LookupPaths::global(root) } else { LookupPaths::system(root) };
    ours_with(paths, args)
}

/// [`ours`] for explicit search paths.
pub fn ours_with(paths: LookupPaths, args: &[&str]) -> Printed {
    let root = paths.root.clone();
    let root = root.as_path();
    let mut flags = Flags::default();
    let mut style = Style::default();
    let mut mode = PresetMode::Full;
    let mut types: Vec<UnitType> = Vec::new();
    let mut states: Vec<UnitFileState> = Vec::new();
    let mut rest: Vec<&str> = Vec::new();
    for a in args {
        match *a {
            "--runtime" => flags.runtime = true,
            "--force" | "-f" => flags.force = true,
            "--global" => {}
            "--quiet" | "-q" => style.quiet = true,
            "--no-legend" => style.legend = false,
            a if a.starts_with("--preset-mode=") => {
                mode = PresetMode::parse(&a["--preset-mode=".len()..]).expect("preset mode")
            }
            a if a.starts_with("--type=") => {
                types.extend(a["--type=".len()..].split(',').map(|t| UnitType::from_word(t).expect("type")))
            }
            a if a.starts_with("--state=") => {
                states.extend(a["--state=".len()..].split(',').map(|t| UnitFileState::parse(t).expect("state")))
            }
            a => rest.push(a),
        }
    }
    let inst = Installer::new(&paths);
    let system = paths.scope == unit::paths::Scope::System;
    let (verb, words) = rest.split_first().expect("a verb");
    // systemctl mangles the words of these verbs before anything else.
    let mut pre = Printed::default();
    let operation = match *verb {
        "is-enabled" => Some("to check".to_string()),
        "enable" | "disable" | "reenable" | "link" | "mask" | "unmask" | "revert" | "preset" => {
            Some(format!("to {verb}"))
        }
        _ => None,
    };
    let mangled: Vec<String> = match &operation {
        Some(op) => match args::mangle_names(op, words, Path::new("/")) {
            Ok((names, notices)) => {
                if !style.quiet {
                    for n in notices {
                        pre.stderr.push_str(&n);
                        pre.stderr.push('\n');
                    }
                }
                names
            }
            Err(msg) => {
                pre.stderr.push_str(&msg);
                pre.stderr.push('\n');
                pre.exit_code = 1;
                return pre;
            }
        },
        None => words.iter().map(|w| w.to_string()).collect(),
    };
    // The SysV step of enable/disable/is-enabled, running the real helper
    // for scripts it finds.
    let mut mangled = mangled;
    let mut sysv_enabled = false;
    if system && matches!(*verb, "enable" | "disable" | "is-enabled") {
        let o = inst.sysv_check(verb, &mangled);
        let p = output::sysv_check(&o);
        pre.stderr.push_str(&p.stderr);
        if p.exit_code != 0 {
            pre.exit_code = p.exit_code;
            return pre;
        }
        for script in o.result.expect("checked above") {
            let shown_root = (root != Path::new("/")).then(|| root.display().to_string());
            let (p, argv) = output::sysv_redirect(&script, verb, shown_root.as_deref(), style);
            pre.stderr.push_str(&p.stderr);
            let st = Command::new(&argv[0]).args(&argv[1..]).output().expect("run systemd-sysv-install");
            pre.stdout.push_str(&String::from_utf8_lossy(&st.stdout));
            pre.stderr.push_str(&String::from_utf8_lossy(&st.stderr));
            if *verb == "is-enabled" {
                let ok = st.status.success();
                sysv_enabled |= ok;
                if !style.quiet {
                    pre.stdout.push_str(if ok { "enabled\n" } else { "disabled\n" });
                }
            } else if !st.status.success() {
                pre.exit_code = 1;
                return pre;
            }
            if !script.native {
                mangled.retain(|n| *n != script.unit);
            }
        }
    }
    if *verb == "disable" {
        let (n, warning) = args::disable_names(&mangled);
        mangled = n;
        if let Some(w) = warning {
            pre.stderr.push_str(&w);
            pre.stderr.push('\n');
        }
    }
    if *verb == "link" {
        match args::link_paths(&mangled, root != Path::new("/"), Path::new("/")) {
            Ok(p) => mangled = p,
            Err(msg) => {
                pre.stderr.push_str(&msg);
                pre.stderr.push('\n');
                pre.exit_code = 1;
                return pre;
            }
        }
    }
    let names: Vec<&str> = mangled.iter().map(String::as_str).collect();
    let names = names.as_slice();
    let mut p = if names.is_empty() && operation.is_some() {
        // Everything was handled by the SysV helper.
        Printed { exit_code: if *verb == "is-enabled" && !sysv_enabled { 1 } else { 0 }, ..Printed::default() }
    } else {
        dispatch(&inst, verb, names, flags, mode, &types, &states, style)
    };
    if *verb == "is-enabled" && sysv_enabled {
        p.exit_code = 0;
    }
    p.stdout.insert_str(0, &pre.stdout);
    p.stderr.insert_str(0, &pre.stderr);
    p
}

#[allow(clippy::too_many_arguments)]
fn dispatch(
    inst: &Installer,
    verb: &str,
    names: &[&str],
    flags: Flags,
    mode: PresetMode,
    types: &[UnitType],
    states: &[UnitFileState],
    style: Style,
) -> Printed {
    match verb {
        "enable" => output::install_verb("enable", &inst.enable(names, flags), style),
        "disable" => output::install_verb("disable", &inst.disable(names, flags), style),
        "reenable" => output::install_verb("reenable", &inst.reenable(names, flags), style),
        "link" => output::install_verb("link", &inst.link(names, flags), style),
        "mask" => output::install_verb("mask", &inst.mask(names, flags), style),
        "unmask" => output::install_verb("unmask", &inst.unmask(names, flags), style),
        "revert" => output::install_verb("revert", &inst.revert(names), style),
        "preset" => output::install_verb("preset", &inst.preset(names, mode, flags), style),
        "preset-all" => output::install_verb("preset", &inst.preset_all(mode, flags), style),
        "add-wants" | "add-requires" => {
            let dep = if verb == "add-wants" { Dependency::Wants } else { Dependency::Requires };
            let (target, units) = names.split_first().expect("target");
            output::install_verb("add dependency on", &inst.add_dependency(target, units, dep, flags), style)
        }
        "is-enabled" => {
            let results: Vec<_> = names.iter().map(|n| (n.to_string(), inst.state(n))).collect();
            output::is_enabled(&results, style)
        }
        "get-default" => output::get_default(&inst.get_default()),
        "set-default" => {
            let word = names.first().expect("a target");
            let m = match args::mangle(word, "set-default", ".target", false) {
                Ok(m) => m,
                Err(e) => {
                    return Printed { stderr: format!("Failed to mangle unit name: {e}\n"), exit_code: 1, ..Printed::default() }
                }
            };
            let o = inst.set_default(&m.name);
            let mut p = output::set_default(&m.name, &o, &inst.get_default(), style);
            if !style.quiet {
                p.stderr.insert_str(0, &m.notices.iter().map(|n| format!("{n}\n")).collect::<String>());
            }
            p
        }
        "list-unit-files" => output::list_unit_files(&inst.list_unit_files(names, states, types), style),
        v => panic!("verb {v} not supported by the test CLI"),
    }
}

/// Every entry under `etc/` and `run/` of a root, with symlink targets.
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

/// Run `args` on both roots; describe any difference in output, exit
/// status or resulting trees.
pub fn compare(a: &Path, b: &Path, args: &[&str]) -> Result<Printed, String> {
    let want = systemctl(a, args);
    let got = ours(b, args);
    let (ws, gs) = (normalize(&want.stdout, a), normalize(&got.stdout, b));
    let (we, ge) = (normalize(&want.stderr, a), normalize(&got.stderr, b));
    let cmd = format!("systemctl {}", args.join(" "));
    if gs != ws {
        return Err(format!("stdout differs for `{cmd}`\n--- systemctl:\n{ws}--- ours:\n{gs}"));
    }
    if ge != we {
        return Err(format!("stderr differs for `{cmd}`\n--- systemctl:\n{we}--- ours:\n{ge}"));
    }
    if got.exit_code != want.exit_code {
        return Err(format!("exit status differs for `{cmd}`: systemctl {} ours {}\n{we}", want.exit_code, got.exit_code));
    }
    let (ta, tb) = (tree(a), tree(b));
    if ta != tb {
        let only_a: Vec<_> = ta.difference(&tb).collect();
        let only_b: Vec<_> = tb.difference(&ta).collect();
        return Err(format!("trees differ after `{cmd}`\nonly with systemctl: {only_a:#?}\nonly with ours: {only_b:#?}"));
    }
    Ok(Printed { stdout: ws, stderr: we, exit_code: want.exit_code })
}

/// [`compare`], failing the test on any difference.
pub fn same(a: &Path, b: &Path, args: &[&str]) -> Printed {
    compare(a, b, args).unwrap_or_else(|e| panic!("{e}"))
}

/// Collects differences so one run reports all of them.
#[derive(Default)]
pub struct Failures(pub Vec<String>);

impl Failures {
    pub fn check(&mut self, a: &Path, b: &Path, args: &[&str]) -> Option<Printed> {
        match compare(a, b, args) {
            Ok(p) => Some(p),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn assert_none(&self) {
        if !self.0.is_empty() {
            panic!("{} difference(s) from systemctl:\n\n{}", self.0.len(), self.0.join("\n\n"));
        }
    }
}

/// Write a file (creating directories) inside both roots.
pub fn write_both(a: &Path, b: &Path, rel: &str, content: &str) {
    for r in [a, b] {
        let p = r.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, content).expect("write");
    }
}

/// Make a symlink inside both roots.
pub fn symlink_both(a: &Path, b: &Path, rel: &str, target: &str) {
    for r in [a, b] {
        let p = r.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        let _ = fs::remove_file(&p);
        std::os::unix::fs::symlink(target, &p).expect("symlink");
    }
}

/// Remove a path inside both roots.
pub fn remove_both(a: &Path, b: &Path, rel: &str) {
    for r in [a, b] {
        let p = r.join(rel);
        if p.is_dir() && !p.is_symlink() {
            fs::remove_dir_all(&p).expect("rm -r");
        } else {
            fs::remove_file(&p).expect("rm");
        }
    }
}

/// Unit files (names) of a directory inside a root, sorted.
pub fn unit_names(root: &Path, rel: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(root.join(rel))
        .map(|rd| {
            rd.flatten()
                .filter(|e| !e.file_type().map(|t| t.is_dir()).unwrap_or(true))
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| {
                    n.rsplit_once('.').is_some_and(|(_, s)| UnitType::from_word(s).is_some())
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Names of the unit files in the vendor directory that have an
/// `[Install]` section (following symlinks, as grep does).
pub fn units_with_install(root: &Path) -> Vec<String> {
    unit_names(root, "usr/lib/systemd/system")
        .into_iter()
        .filter(|n| {
            fs::read_to_string(root.join("usr/lib/systemd/system").join(n))
                .map(|s| s.lines().any(|l| l.trim() == "[Install]"))
                .unwrap_or(false)
        })
        .collect()
}
