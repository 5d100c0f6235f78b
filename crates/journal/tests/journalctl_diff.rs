//! Differential tests against the real `journalctl` (systemd 252): files we
//! write must export, verify, match and page exactly as it sees them.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use journal::{export, Cursor, Entry, Journal, JournalFile, WriterOptions};

const N: u64 = 20_000;

/// Values that probe the export format's printable/binary decision.
fn odd_values() -> Vec<Vec<u8>> {
    vec![
        b"tab\tseparated".to_vec(),
        b"del\x7fchar".to_vec(),
        "c1 control \u{85} here".as_bytes().to_vec(),
        b"invalid utf8 \xff\xfe".to_vec(),
        b"double lead \xc3\xc3".to_vec(),
        b"overlong \xc0\x80".to_vec(),
        b"surrogate \xed\xa0\x80".to_vec(),
        "noncharacter \u{fffe}".as_bytes().to_vec(),
        "reserved \u{fdd0}".as_bytes().to_vec(),
        "emoji 😀 and 中文".as_bytes().to_vec(),
        b"five byte \xf8\x88\x80\x80\x80".to_vec(),
        b"carriage\rreturn".to_vec(),
        b"ends with newline\n".to_vec(),
        Vec::new(),
        vec![b'x'; 5000],
        (0u8..=255).collect(),
    ]
}

fn write_file(dir: &Path, n: u64) -> PathBuf {
    let path = dir.join("diff.journal");
    let mut w = create(&path, &WriterOptions::default());
    let odd = odd_values();
    for i in 0..n {
        let mut e = service_entry(i);
        if i % 500 == 1 {
            let v = odd[(i / 500) as usize % odd.len()].clone();
            e.fields.push(("ODD_VALUE".into(), v));
        }
        e.append_to(&mut w).unwrap();
    }
    w.close().unwrap();
    path
}

fn run(path: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args = vec![
        "--file",
        path.to_str().unwrap(),
        "-o",
        "export",
        "--no-pager",
    ];
    args.extend_from_slice(extra);
    let out = journalctl(&args);
    assert!(
        out.status.success(),
        "journalctl {extra:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn assert_same(ours: &[u8], theirs: &[u8], what: &str) {
    assert!(ours == theirs, "{what}: {}", first_difference(ours, theirs));
}

#[test]
fn twenty_thousand_entries_agree_with_journalctl() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let path = write_file(dir.path(), N);
    eprintln!("wrote {N} entries in {:?}", started.elapsed());

    let verify = journalctl(&["--file", path.to_str().unwrap(), "--verify"]);
    assert!(
        verify.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // Everything, forwards and backwards.
    let mut j = Journal::open_file(&path).unwrap();
    let all: Vec<Entry> = std::iter::from_fn(|| j.next().unwrap()).collect();
    assert_eq!(all.len() as u64, N);
    let theirs = run(&path, &[]);
    assert_same(&export_entries(&all), &theirs, "full export");
    let mut reversed = all.clone();
    reversed.reverse();
    assert_same(
        &export_entries(&reversed),
        &run(&path, &["-r"]),
        "reverse export",
    );

    // One unit, through the index.
    let mut j = Journal::open_file(&path).unwrap();
    j.add_match(b"_SYSTEMD_UNIT=u7.service").unwrap();
    let ours = export_forward(&mut j);
    assert_same(
        &ours,
        &run(&path, &["_SYSTEMD_UNIT=u7.service"]),
        "unit match",
    );
    assert_eq!(
        ours.split(|&c| c == b'\n')
            .filter(|l| l.starts_with(b"__CURSOR="))
            .count(),
        400
    );

    // Two units OR'ed, AND'ed with a priority; and a disjunction.
    let mut j = Journal::open_file(&path).unwrap();
    for m in [
        "_SYSTEMD_UNIT=u7.service",
        "_SYSTEMD_UNIT=u8.service",
        "PRIORITY=2",
    ] {
        j.add_match(m.as_bytes()).unwrap();
    }
    let ours = export_forward(&mut j);
    let theirs = run(
        &path,
        &[
            "_SYSTEMD_UNIT=u7.service",
            "_SYSTEMD_UNIT=u8.service",
            "PRIORITY=2",
        ],
    );
    assert!(!ours.is_empty());
    assert_same(&ours, &theirs, "OR+AND match");
    let mut j = Journal::open_file(&path).unwrap();
    j.add_match(b"_SYSTEMD_UNIT=u3.service").unwrap();
    j.add_match(b"PRIORITY=2").unwrap();
    j.add_disjunction();
    j.add_match(b"SYSLOG_IDENTIFIER=u4").unwrap();
    let ours = export_forward(&mut j);
    let theirs = run(
        &path,
        &[
            "_SYSTEMD_UNIT=u3.service",
            "PRIORITY=2",
            "+",
            "SYSLOG_IDENTIFIER=u4",
        ],
    );
    assert_same(&ours, &theirs, "disjunction");

    // The last five, newest first (-n 5 -r) and oldest first (-n 5).
    let mut j = Journal::open_file(&path).unwrap();
    j.seek_tail();
    let last5: Vec<Entry> = (0..5).map(|_| j.previous().unwrap().unwrap()).collect();
    assert_same(
        &export_entries(&last5),
        &run(&path, &["-n", "5", "-r"]),
        "-n 5 -r",
    );
    let mut in_order = last5.clone();
    in_order.reverse();
    assert_same(
        &export_entries(&in_order),
        &run(&path, &["-n", "5"]),
        "-n 5",
    );

    // -n 3 with a match, newest first.
    let mut j = Journal::open_file(&path).unwrap();
    j.add_match(b"_SYSTEMD_UNIT=u49.service").unwrap();
    j.seek_tail();
    let last3: Vec<Entry> = (0..3).map(|_| j.previous().unwrap().unwrap()).collect();
    assert_same(
        &export_entries(&last3),
        &run(&path, &["-n", "3", "-r", "_SYSTEMD_UNIT=u49.service"]),
        "-n 3 -r with match",
    );

    // A time window (--since/--until take wall-clock seconds with '@').
    let since = 1_700_000_005u64;
    let until = 1_700_000_007u64;
    let mut j = Journal::open_file(&path).unwrap();
    j.seek_realtime(since * 1_000_000);
    let mut window = Vec::new();
    while let Some(e) = j.next().unwrap() {
        if e.realtime > until * 1_000_000 {
            break;
        }
        window.push(e);
    }
    assert_eq!(window.len(), 2001);
    let theirs = run(
        &path,
        &[&format!("--since=@{since}"), &format!("--until=@{until}")],
    );
    assert_same(&export_entries(&window), &theirs, "time window");

    // --after-cursor: seek to the cursor, skip the entry itself.
    let cursor = all[12_345].cursor().to_string();
    let mut j = Journal::open_file(&path).unwrap();
    j.seek_cursor(&Cursor::parse(&cursor).unwrap());
    assert_eq!(j.next().unwrap().unwrap(), all[12_345]);
    let after: Vec<Entry> = (0..10).map(|_| j.next().unwrap().unwrap()).collect();
    // With a cursor, -n limits the entries after it (it does not jump to
    // the tail).
    let theirs = run(&path, &[&format!("--after-cursor={cursor}"), "-n", "10"]);
    assert_same(&export_entries(&after), &theirs, "--after-cursor -n 10");

    // -F lists each value once.
    let out = journalctl(&["--file", path.to_str().unwrap(), "-F", "_SYSTEMD_UNIT"]);
    let mut theirs: Vec<&[u8]> = out
        .stdout
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    theirs.sort();
    let mut f = JournalFile::open(&path).unwrap();
    let ours_values = f.unique_values("_SYSTEMD_UNIT").unwrap();
    let mut ours: Vec<&[u8]> = ours_values.iter().map(|v| v.as_slice()).collect();
    ours.sort();
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), 50);
}

#[test]
fn odd_values_export_like_journalctl() {
    // Every odd value in its own entry, including as the only field.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.journal");
    let mut w = create(&path, &WriterOptions::default());
    for (i, v) in odd_values().into_iter().enumerate() {
        let e = OwnedEntry {
            realtime: 1_700_000_000_000_000 + i as u64,
            monotonic: 1 + i as u64,
            boot_id: id(BOOT),
            fields: vec![("ODD".into(), v.clone()), ("MESSAGE".into(), v)],
        };
        e.append_to(&mut w).unwrap();
    }
    w.close().unwrap();
    let mut j = Journal::open_file(&path).unwrap();
    let ours = export_forward(&mut j);
    assert_same(&ours, &run(&path, &[]), "odd values");
    let verify = journalctl(&["--file", path.to_str().unwrap(), "--verify"]);
    assert!(verify.status.success());
}

#[test]
fn rotation_continues_seqnums_and_directory_reads_like_journalctl_d() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let machine_dir = root.join(MACHINE);
    std::fs::create_dir(&machine_dir).unwrap();
    let system = machine_dir.join("system.journal");
    // Small files force several rotations.
    let options = WriterOptions {
        max_file_size: 1024 * 1024,
        ..WriterOptions::default()
    };
    let mut w = create(&system, &options);
    let mut archived = Vec::new();
    let mut i = 0u64;
    while archived.len() < 3 {
        let e = service_entry(i);
        match e.append_to(&mut w) {
            Ok(seqnum) => assert_eq!(seqnum, i + 1),
            Err(journal::Error::Full { .. }) => {
                let (next, old) = w.rotate().unwrap();
                w = next;
                archived.push(old);
                continue;
            }
            Err(e) => panic!("{e}"),
        }
        i += 1;
    }
    // A second writer with its own seqnum id (like a user journal),
    // interleaved in time, and a damaged file that must be skipped.
    let user = machine_dir.join("user-1000.journal");
    let mut u = JournalWriter::create(
        &user,
        id(MACHINE),
        id(BOOT),
        id("00112233445566778899aabbccddeeff"),
        &WriterOptions::default(),
    )
    .unwrap();
    for k in 0..500u64 {
        let mut e = service_entry(k * 7);
        e.fields.push(("_UID".into(), b"1000".to_vec()));
        e.realtime += 500;
        e.monotonic += 500;
        e.append_to(&mut u).unwrap();
    }
    u.close().unwrap();
    w.close().unwrap();
    std::fs::write(machine_dir.join("broken.journal"), b"LPKSHHRH not really").unwrap();
    // The same entries twice (a copy of an archived file) appear once.
    std::fs::copy(&archived[0], root.join("copy.journal~")).unwrap();

    for name in archived
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
    {
        assert!(name.starts_with(&format!("system@{SEQNUM_ID}-")), "{name}");
        assert!(name.ends_with(".journal"));
    }
    let first = JournalFile::open(&archived[1]).unwrap();
    assert_eq!(
        first.header().state,
        journal::format::FileState::Archived as u8
    );

    let d = root.to_str().unwrap();
    let mut j = Journal::open_directory(root).unwrap();
    assert_eq!(j.paths().len(), 6);
    assert_eq!(j.skipped().len(), 1);
    let ours = export_forward(&mut j);
    let theirs = journalctl(&["-D", d, "-o", "export", "--no-pager"]);
    assert_same(&ours, &theirs.stdout, "-D export");

    let mut j = Journal::open_directory(root).unwrap();
    j.seek_tail();
    let mut back = Vec::new();
    while let Some(e) = j.previous().unwrap() {
        back.push(e);
    }
    let theirs = journalctl(&["-D", d, "-o", "export", "--no-pager", "-r"]);
    assert_same(&export_entries(&back), &theirs.stdout, "-D -r export");

    let mut j = Journal::open_directory(root).unwrap();
    j.add_match(b"_SYSTEMD_UNIT=u14.service").unwrap();
    let ours = export_forward(&mut j);
    let theirs = journalctl(&[
        "-D",
        d,
        "-o",
        "export",
        "--no-pager",
        "_SYSTEMD_UNIT=u14.service",
    ]);
    assert_same(&ours, &theirs.stdout, "-D with match");

    for p in &archived {
        let v = journalctl(&["--file", p.to_str().unwrap(), "--verify"]);
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    }
    let _ = export::entry_to_vec;
}

use journal::JournalWriter;

/// About 16 s in a debug build on two shared cores, under the 30 s bar for
/// being ignored.
#[test]
fn hundred_thousand_entries_agree_with_journalctl() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), 100_000);
    let verify = journalctl(&["--file", path.to_str().unwrap(), "--verify"]);
    assert!(verify.status.success());
    let mut j = Journal::open_file(&path).unwrap();
    assert_same(&export_forward(&mut j), &run(&path, &[]), "100k export");
    let mut j = Journal::open_file(&path).unwrap();
    j.add_match(b"_SYSTEMD_UNIT=u7.service").unwrap();
    assert_same(
        &export_forward(&mut j),
        &run(&path, &["_SYSTEMD_UNIT=u7.service"]),
        "100k match",
    );
}

#[test]
fn restart_moves_old_files_aside_like_journald() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("system.journal");
    // A clean previous run.
    let (mut w, moved) = JournalWriter::create_replacing(
        &path,
        id(MACHINE),
        id(BOOT),
        id(SEQNUM_ID),
        &WriterOptions::default(),
    )
    .unwrap();
    assert!(moved.is_none());
    for i in 0..10 {
        service_entry(i).append_to(&mut w).unwrap();
    }
    w.close().unwrap();
    // A second run: the clean file is archived, seqnums continue.
    let (mut w, moved) = JournalWriter::create_replacing(
        &path,
        id(MACHINE),
        id(BOOT),
        id(SEQNUM_ID),
        &WriterOptions::default(),
    )
    .unwrap();
    let archived = moved.unwrap();
    assert!(archived
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with(&format!("system@{SEQNUM_ID}-0000000000000001-")));
    assert_eq!(
        JournalFile::open(&archived).unwrap().header().state,
        journal::format::FileState::Archived as u8
    );
    for i in 10..20 {
        assert_eq!(service_entry(i).append_to(&mut w).unwrap(), i + 1);
    }
    // This run dies without closing: the file stays ONLINE.
    std::mem::forget(w);
    let (mut w, moved) = JournalWriter::create_replacing(
        &path,
        id(MACHINE),
        id(BOOT),
        id(SEQNUM_ID),
        &WriterOptions::default(),
    )
    .unwrap();
    let disposed = moved.unwrap();
    assert!(disposed.to_string_lossy().ends_with(".journal~"));
    for i in 20..30 {
        assert_eq!(service_entry(i).append_to(&mut w).unwrap(), i + 1);
    }
    w.close().unwrap();
    let d = dir.path().to_str().unwrap();
    let mut j = Journal::open_directory(dir.path()).unwrap();
    let ours = export_forward(&mut j);
    let theirs = journalctl(&["-D", d, "-o", "export", "--no-pager"]);
    assert_same(&ours, &theirs.stdout, "after restarts");
    assert_eq!(
        ours.split(|&c| c == b'\n')
            .filter(|l| l.starts_with(b"__CURSOR="))
            .count(),
        30
    );
}
