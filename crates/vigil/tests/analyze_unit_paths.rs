//! `vigil analyze unit-paths` prints exactly what `systemd-analyze
//! unit-paths` prints, for the system, user and global managers.

use std::process::Command;

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .env("XDG_RUNTIME_DIR", "/run/user/4242")
        .env("HOME", "/home/someone")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_DIRS")
        .env_remove("XDG_DATA_DIRS")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd} (scripts/test-deps installs it): {e}"));
    assert!(out.status.success(), "{cmd} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn unit_paths_match_systemd_analyze() {
    let vigil = env!("CARGO_BIN_EXE_vigil");
    for scope in [&[][..], &["--user"][..], &["--global"][..]] {
        let mut ours = vec!["analyze"];
        ours.extend_from_slice(scope);
        ours.push("unit-paths");
        let mut theirs = scope.to_vec();
        theirs.push("unit-paths");
        assert_eq!(run(vigil, &ours), run("systemd-analyze", &theirs), "scope {scope:?}");
    }
}
