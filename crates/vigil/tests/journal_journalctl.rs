//! Our `journalctl` on its own: files with several boots written directly
//! with the journal crate (boot separators, `-b`, `--list-boots`, the
//! short format's fallbacks), cursors, and `-f` following a live daemon
//! across a rotation until its reader goes away.

mod journal_support;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use journal::{EntryFields, Id128, JournalWriter, WriterOptions};
use journal_support::*;

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A journal file with two boots and entries that exercise the short
/// format's corners.
fn two_boots() -> TempDir {
    let dir = PathBuf::from(format!("/tmp/vj-boots-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let machine = Id128::parse(MACHINE_ID).unwrap();
    let boots = [
        Id128::parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap(),
        Id128::parse("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").unwrap(),
    ];
    let mut w = JournalWriter::create(
        &dir.join("system.journal"),
        machine,
        boots[0],
        Id128::parse("cccccccccccccccccccccccccccccccc").unwrap(),
        &WriterOptions::default(),
    )
    .unwrap();
    let base = 1_700_000_000_000_000u64;
    let mut n = 0u64;
    let mut add = |boot: Id128, fields: &[(&str, &[u8])]| {
        n += 1;
        let boot_hex = boot.to_hex();
        let mut all: Vec<(&str, &[u8])> = fields.to_vec();
        all.push(("_BOOT_ID", boot_hex.as_bytes()));
        all.push(("_MACHINE_ID", MACHINE_ID.as_bytes()));
        w.append(&EntryFields {
            realtime_usec: base + n * 1_500_000,
            monotonic_usec: 1_000_000 * n,
            boot_id: boot,
            fields: &all,
        })
        .unwrap();
    };
    add(
        boots[0],
        &[
            ("MESSAGE", b"first boot hello"),
            ("SYSLOG_IDENTIFIER", b"app"),
            ("_PID", b"12"),
            ("_HOSTNAME", b"h1"),
            ("PRIORITY", b"6"),
        ],
    );
    add(
        boots[0],
        &[("MESSAGE", b"no identifier at all"), ("_HOSTNAME", b"h1")],
    );
    add(
        boots[0],
        &[
            ("MESSAGE", b"only comm"),
            ("_COMM", b"daemon"),
            ("SYSLOG_PID", b"99"),
            ("PRIORITY", b"3"),
        ],
    );
    add(
        boots[0],
        &[
            ("MESSAGE", b"multi\nline\n\n  message"),
            ("SYSLOG_IDENTIFIER", b"ml"),
            ("_PID", b"5"),
        ],
    );
    add(
        boots[1],
        &[
            ("MESSAGE", b"second boot\tcolour \x1b[1;31mred\x1b[0m"),
            ("SYSLOG_IDENTIFIER", b"app"),
            ("_PID", b"13"),
            ("_HOSTNAME", b"h2"),
        ],
    );
    add(
        boots[1],
        &[
            ("MESSAGE", b"\x01 control"),
            ("SYSLOG_IDENTIFIER", b"bin"),
            ("_SOURCE_REALTIME_TIMESTAMP", b"1600000000123456"),
        ],
    );
    add(boots[1], &[("FOO", b"no message field")]);
    add(
        boots[1],
        &[
            ("MESSAGE", "unicodé ☃".as_bytes()),
            ("SYSLOG_IDENTIFIER", "idént".as_bytes()),
            ("_PID", b"1"),
            ("UNIT", b"app.service"),
        ],
    );
    w.close().unwrap();
    TempDir(dir)
}

#[test]
fn journal_boots_and_short_format_corners_match_real_journalctl() {
    let t = two_boots();
    let d = t.0.to_str().unwrap();
    for args in [
        vec![],
        vec!["-o", "short-precise"],
        vec!["-o", "short-monotonic"],
        vec!["-o", "short-delta"],
        vec!["-o", "short-full"],
        vec!["-o", "short-unix"],
        vec!["-o", "verbose"],
        vec!["-o", "export"],
        vec!["-o", "cat"],
        vec!["-q"],
        vec!["-m"],
        vec!["-r"],
        vec!["-a"],
        vec!["--utc"],
        vec!["-b"],
        vec!["-b", "0"],
        vec!["-b", "-1"],
        vec!["-b", "1"],
        vec!["-b", "2"],
        vec!["-b", "-2"],
        vec!["-b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
        vec!["-b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+1"],
        vec!["--list-boots"],
        vec!["-q", "--list-boots"],
        vec!["-u", "app"],
        vec!["-p", "err"],
        vec!["-n", "2"],
        vec!["-n", "+2"],
        vec!["--since", "@1700000004", "--until", "@1700000009"],
        vec!["-F", "SYSLOG_IDENTIFIER"],
        vec!["FOO=no message field", "-o", "verbose"],
        vec!["-g", "boot"],
        vec!["-g", "\\d"],
        vec!["--case-sensitive=no", "-g", "FIRST"],
    ] {
        let mut a = vec!["-D", d];
        a.extend(args);
        same(&a);
    }
    let mut a = vec!["--file", d];
    let f = format!("{d}/*.journal");
    a[1] = &f;
    same(&a);
    let (rj, oj) = (
        real(&["-D", d, "-o", "json"]),
        ours(&["-D", d, "-o", "json"]),
    );
    assert_eq!(json_entries(&rj.stdout), json_entries(&oj.stdout));
}

#[test]
fn journal_cursors_match_real_journalctl() {
    let t = two_boots();
    let d = t.0.to_str().unwrap();
    let out = real(&["-D", d, "-o", "export"]);
    let cursors: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("__CURSOR=").map(str::to_string))
        .collect();
    assert_eq!(cursors.len(), 8);
    for c in [&cursors[0], &cursors[3], &cursors[7]] {
        same(&["-D", d, "--cursor", c, "-o", "cat"]);
        same(&["-D", d, "--after-cursor", c, "-o", "cat"]);
        same(&["-D", d, "--after-cursor", c, "--show-cursor", "-n", "2"]);
        same(&["-D", d, "--cursor", c, "-r", "-o", "cat"]);
    }
}

#[test]
fn journal_follow_prints_new_entries_across_rotation_until_stdout_closes() {
    let mut r = JournalRoot::new("follow", None);
    r.start();
    for i in 0..15 {
        r.native(format!("MESSAGE=old {i}\n").as_bytes());
    }
    r.wait_stored(15, Duration::from_secs(30));
    let mut child = Command::new(vigil())
        .args([
            "logs",
            "-D",
            r.journal_dir().to_str().unwrap(),
            "-f",
            "-o",
            "cat",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let mut read_line = || {
        let mut s = String::new();
        lines.read_line(&mut s).unwrap();
        s
    };
    // Like journalctl -f: the last ten first.
    let first: Vec<String> = (0..10).map(|_| read_line()).collect();
    assert_eq!(first[0], "old 5\n");
    assert_eq!(first[9], "old 14\n");
    r.native(b"MESSAGE=new one\n");
    assert_eq!(read_line(), "new one\n");
    // A rotation puts later entries into a new file.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(r.pid(), libc::SIGUSR2) };
    let ok = wait_until(Duration::from_secs(10), || {
        journal_files(&r.journal_dir()).len() == 2
    });
    assert!(ok, "no rotation");
    r.native(b"MESSAGE=after rotation\n");
    assert_eq!(read_line(), "after rotation\n");
    // Closing the pipe ends it.
    drop(lines);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "journalctl -f did not notice that stdout closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(r.stop().success());
}

#[test]
fn journal_usage_errors_match_real_journalctl() {
    let t = two_boots();
    let d = t.0.to_str().unwrap();
    for args in [
        vec!["--bogus"],
        vec!["-p", "loud"],
        vec!["--since", "not a time"],
        vec!["--since", "2024-01-02", "--until", "2024-01-01"],
        vec!["-o", "fancy"],
        vec!["-u", "nothing*"],
        vec!["-b", "-5"],
        vec!["lowercase=x"],
    ] {
        let mut a = vec!["-D", d];
        a.extend(args);
        same(&a);
    }
    same(&["-D", d, "--file", "/tmp/nothing-here*"]);
    same(&["--file", "/tmp/nothing-here*"]);
    let empty = format!("{d}/empty");
    std::fs::create_dir_all(&empty).unwrap();
    same(&["-D", &empty]);
    same(&["-D", &empty, "-q"]);
    same(&["-D", &format!("{d}/missing")]);
    let _ = std::io::stdout().flush();
}
