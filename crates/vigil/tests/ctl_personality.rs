//! The `systemctl` personality is reachable three ways — the binary
//! started as `systemctl` (a symlink), `vigil ctl VERB`, `vigil VERB` —
//! and all three behave the same; `--help` lists every verb.

mod ctl_support;

use std::path::Path;
use std::process::Command;

use ctl_support::*;

fn run(prog: &Path, pre: &[&str], root: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(prog);
    clean_env(&mut c);
    c.args(pre).arg(format!("--root={}", root.display())).args(args).envs(env.iter().copied());
    Run::from(c.output().expect("run"))
}

#[test]
fn symlink_named_systemctl_vigil_ctl_and_vigil_agree() {
    let s = Scratch::new("persona");
    let t = corpus_template(&s);
    let link = s.path("bin/systemctl");
    std::fs::create_dir_all(link.parent().expect("parent")).expect("mkdir");
    std::os::unix::fs::symlink(vigil(), &link).expect("symlink");
    let ways: [(&Path, &[&str]); 3] = [(&link, &[]), (Path::new(vigil()), &["ctl"]), (Path::new(vigil()), &[])];
    let roots: Vec<_> = (0..3).map(|i| s.path(&format!("r{i}"))).collect();
    for r in &roots {
        let st = Command::new("cp").arg("-a").arg(&t).arg(r).status().expect("cp");
        assert!(st.success());
    }
    let cmds: &[&[&str]] = &[
        &["is-enabled", "ssh", "sshd", "x11-common"],
        &["list-unit-files", "--type=socket", "--no-legend"],
        &["disable", "cron"],
        &["enable", "--runtime", "cron"],
        &["-q", "mask", "nginx"],
        &["get-default"],
        &["cat", "ssh"],
        &["list-unit-files", "-t", "bogus"],
        &["enable"],
        &["frobnicate"],
    ];
    for c in cmds {
        let results: Vec<Run> = ways
            .iter()
            .zip(&roots)
            .map(|((prog, pre), root)| {
                let mut r = run(prog, pre, root, c, &[]);
                r.stdout = r.stdout.replace(&root.display().to_string(), "<ROOT>");
                r.stderr = r.stderr.replace(&root.display().to_string(), "<ROOT>");
                r
            })
            .collect();
        assert_eq!(results[0], results[1], "systemctl vs vigil ctl: {c:?}");
        assert_eq!(results[0], results[2], "systemctl vs vigil: {c:?}");
    }
    let trees: Vec<_> = roots.iter().map(|r| tree(r)).collect();
    assert_eq!(trees[0], trees[1]);
    assert_eq!(trees[0], trees[2]);
    // And the symlink's answers are the real systemctl's.
    let (a, b) = pair(&s, &t, "cmp");
    let mut d = Diffs::default();
    for c in cmds.iter().filter(|c| c.first() != Some(&"cat")) {
        d.check(&a, &b, c);
    }
    d.assert_none();
}

#[test]
fn help_lists_every_verb() {
    const VERBS: &[&str] = &[
        "enable",
        "disable",
        "reenable",
        "preset",
        "preset-all",
        "is-enabled",
        "mask",
        "unmask",
        "link",
        "revert",
        "add-wants",
        "add-requires",
        "get-default",
        "set-default",
        "list-unit-files",
        "cat",
        "exit",
        "is-system-running",
    ];
    let o = Command::new(vigil()).args(["ctl", "--help"]).output().expect("run");
    assert_eq!(o.status.code(), Some(0));
    let help = String::from_utf8_lossy(&o.stdout);
    for v in VERBS {
        assert!(help.lines().any(|l| l.trim_start().starts_with(&format!("{v} "))), "{v} missing:\n{help}");
    }
    assert!(help.contains("--root"), "{help}");
    let o = Command::new(vigil()).arg("--help").output().expect("run");
    let top = String::from_utf8_lossy(&o.stdout);
    for v in VERBS {
        assert!(top.split_whitespace().any(|w| w == *v), "vigil --help does not mention {v}:\n{top}");
    }
}

#[test]
fn colours_only_when_asked_for() {
    let s = Scratch::new("colour");
    let r = s.path("root");
    write_in(&[&r], "usr/lib/systemd/system/a.service", "[Service]\nExecStart=/bin/a\n");
    symlink_in(&[&r], "etc/systemd/system/m.service", "/dev/null");
    let plain = ours(Some(&r), &["cat", "a", "m"], &[]);
    assert_eq!(plain.stdout, "# /usr/lib/systemd/system/a.service\n[Service]\nExecStart=/bin/a\n# Unit m.service is masked.\n");
    let coloured = ours(Some(&r), &["cat", "a", "m"], &[("SYSTEMD_COLORS", "1")]);
    assert_eq!(
        coloured.stdout,
        "\x1b[0;1;34m# /usr/lib/systemd/system/a.service\x1b[0m\n[Service]\nExecStart=/bin/a\n\
         \x1b[0;1;35m# Unit m.service is masked\x1b[0m.\n"
    );
}
