//! The names and formats the machine puts in its log lines, compared with
//! what the real systemd 252 tools print. These tools are required: a
//! missing one fails the test.

use std::process::Command;

use engine::service::status::{exit_status_name, format_timespan, signal_name};

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (needed as the systemd oracle): {e}"));
    assert!(out.status.success(), "{program} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn exit_status_names_match_systemd_analyze() {
    let table = run("systemd-analyze", &["exit-status", "--no-pager"]);
    let mut theirs = std::collections::BTreeMap::new();
    for line in table.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols.len(), 3, "unexpected line {line:?}");
        let code: u8 = cols[1].parse().expect("status number");
        theirs.insert(code, cols[0].to_string());
    }
    assert!(theirs.len() > 60, "suspiciously short table");
    for code in 0..=255u8 {
        assert_eq!(
            exit_status_name(code).map(str::to_string),
            theirs.get(&code).cloned(),
            "exit status {code}"
        );
    }
}

#[test]
fn signal_names_match_systemctl() {
    // `systemctl --signal=help` prints signal_to_string(n) for n = 0, 1, …
    let listing = run("systemctl", &["--signal=help", "--no-pager"]);
    let names: Vec<&str> = listing.lines().collect();
    assert!(names.len() > 60, "suspiciously short list");
    for (n, name) in names.iter().enumerate() {
        let n = i32::try_from(n).unwrap();
        assert_eq!(signal_name(n), *name, "signal {n}");
    }
}

#[test]
fn timespans_match_systemd_analyze() {
    let values: [u64; 12] = [
        1,
        999,
        1_000,
        1_500_000,
        3_000_000,
        59_999_999,
        90_000_000,
        3_600_000_001,
        86_400_000_000,
        604_800_000_000 + 1_000,
        32_767_200_000_000,
        2_629_800_000_000 * 5 + 7_000_000,
    ];
    let args: Vec<String> = values.iter().map(|v| format!("{v}us")).collect();
    let mut argv: Vec<&str> = vec!["timespan"];
    argv.extend(args.iter().map(String::as_str));
    let out = run("systemd-analyze", &argv);
    let humans: Vec<&str> = out.lines().filter_map(|l| l.trim().strip_prefix("Human: ")).collect();
    assert_eq!(humans.len(), values.len());
    for (v, human) in values.iter().zip(humans) {
        assert_eq!(format_timespan(Some(*v), 1), human, "{v}us");
    }
}
