//! Crash safety: a writer killed at any instant leaves a file that our
//! reader and the real journalctl read up to the last complete entry.
//!
//! Two angles: (1) snapshot the file after *every* write system call of an
//! append sequence — every state a `kill -9` can leave, since a killed
//! process loses no completed write — and read each snapshot; (2) actually
//! `kill -9` a child process that appends in a loop.

mod common;

use std::cell::RefCell;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use common::*;
use journal::{Entry, Journal, JournalFile, WriterOptions};

/// Reads everything with our reader, checking each entry against the
/// deterministic data set; returns the entries.
fn read_and_check(path: &Path) -> Vec<Entry> {
    let mut j = Journal::open_file(path).expect("snapshot opens");
    let mut out = Vec::new();
    while let Some(e) = j.next().expect("snapshot reads") {
        let i = out.len() as u64;
        assert_eq!(e.seqnum, i + 1);
        let expected = service_entry(i);
        assert_eq!(e.realtime, expected.realtime);
        assert_eq!(e.field("MESSAGE"), Some(&expected.fields[0].1[..]));
        assert_eq!(e.data.len(), expected.fields.len());
        out.push(e);
    }
    out
}

fn journalctl_export(path: &Path, extra: &[&str]) -> Vec<u8> {
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
        "journalctl failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

struct Observed {
    snapshot: PathBuf,
    /// Entries visible before the append (or batch) being written.
    committed: u64,
    /// Entries that append or batch adds: visible all at once or not at all.
    pending: u64,
    writes: u64,
    checked_with_journalctl: u64,
    verified: u64,
}

/// Appends 120 entries in groups of `sizes[k % len]` entries (size 1
/// without a batch: a plain append; larger sizes in one batch each) and
/// reads the file after every write system call.
fn every_write_boundary(sizes: &[u64], check_every: u64) -> Observed {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.journal");
    let options = WriterOptions {
        max_file_size: 1024 * 1024,
        ..WriterOptions::default()
    };
    let mut w = create(&path, &options);
    let state = Rc::new(RefCell::new(Observed {
        snapshot: dir.path().join("snapshot.journal"),
        committed: 0,
        pending: 0,
        writes: 0,
        checked_with_journalctl: 0,
        verified: 0,
    }));
    let observer_state = state.clone();
    w.set_write_observer(Box::new(move |file| {
        let mut st = observer_state.borrow_mut();
        st.writes += 1;
        let len = file.metadata().unwrap().len();
        let mut bytes = vec![0u8; len as usize];
        file.read_exact_at(&mut bytes, 0).unwrap();
        std::fs::write(&st.snapshot, &bytes).unwrap();

        let entries = read_and_check(&st.snapshot);
        let n = entries.len() as u64;
        assert!(
            n == st.committed || n == st.committed + st.pending,
            "after write {}: {n} entries visible, {} committed, {} pending",
            st.writes,
            st.committed,
            st.pending
        );
        // The header is the last write of an append or a batch: once the
        // new entries are visible the file must pass journalctl --verify,
        // even ONLINE.
        if n > st.committed && (st.committed.is_multiple_of(10) || st.pending > 1) {
            let verify = journalctl(&["--file", st.snapshot.to_str().unwrap(), "--verify"]);
            assert!(
                verify.status.success(),
                "{}",
                String::from_utf8_lossy(&verify.stderr)
            );
            st.verified += 1;
        }
        // Every `check_every`th state, and all states of the first appends
        // (the ones that create per-data entry arrays and a second global
        // array), also go through the real journalctl.
        if st.writes.is_multiple_of(check_every) || st.committed < 6 {
            let ours = export_entries(&entries);
            let theirs = journalctl_export(&st.snapshot, &[]);
            assert!(
                ours == theirs,
                "write {}: {}",
                st.writes,
                first_difference(&ours, &theirs)
            );
            // A field match may also surface complete entries being
            // appended through updated back-links; both readers follow
            // the same links, so they must still agree.
            let unit = format!("_SYSTEMD_UNIT=u{}.service", st.committed % 50);
            let mut j = Journal::open_file(&st.snapshot).unwrap();
            j.add_match(unit.as_bytes()).unwrap();
            let ours = export_forward(&mut j);
            let theirs = journalctl_export(&st.snapshot, &[&unit]);
            assert!(
                ours == theirs,
                "write {} match: {}",
                st.writes,
                first_difference(&ours, &theirs)
            );
            st.checked_with_journalctl += 1;
        }
    }));

    let mut i = 0u64;
    let mut k = 0usize;
    while i < 120 {
        let size = sizes[k % sizes.len()].min(120 - i);
        k += 1;
        state.borrow_mut().pending = size;
        if size > 1 {
            w.begin_batch();
        }
        for j in i..i + size {
            service_entry(j).append_to(&mut w).unwrap();
        }
        // Nothing of a batch reaches the file before its commit.
        if size > 1 {
            assert_eq!(w.batched(), size);
            assert_eq!(read_and_check(&path).len() as u64, i);
            w.commit().unwrap();
        }
        i += size;
        let mut st = state.borrow_mut();
        st.committed = i;
        st.pending = 0;
    }
    w.flush().unwrap();
    drop(w);
    assert_eq!(read_and_check(&path).len(), 120);
    Rc::try_unwrap(state).ok().unwrap().into_inner()
}

#[test]
fn every_write_boundary_leaves_a_readable_file() {
    let st = every_write_boundary(&[1], 7);
    assert!(st.writes > 120 * 10, "only {} writes observed", st.writes);
    assert!(st.checked_with_journalctl > 150);
    eprintln!(
        "{} crash points checked, {} with journalctl",
        st.writes, st.checked_with_journalctl
    );
}

#[test]
fn every_write_boundary_of_a_batch_leaves_a_readable_file() {
    // Batches of several sizes, so that batches create DATA objects, fill
    // and chain entry arrays created in the same batch and in earlier ones.
    let st = every_write_boundary(&[2, 3, 1, 7, 16, 4, 33], 2);
    assert!(st.writes > 20, "only {} writes observed", st.writes);
    assert!(st.verified >= 12, "only {} verified", st.verified);
    eprintln!(
        "{} crash points checked, {} with journalctl",
        st.writes, st.checked_with_journalctl
    );
}

#[test]
fn garbage_after_the_tail_object_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.journal");
    let mut w = create(&path, &WriterOptions::default());
    for i in 0..50 {
        service_entry(i).append_to(&mut w).unwrap();
    }
    let used = w.size();
    drop(w);
    // A half-written object where the next append would have gone, and the
    // state left ONLINE, as after a crash mid-append.
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.write_all_at(&[0xa5; 3000], used).unwrap();
    f.write_all_at(&[journal::format::FileState::Online as u8], 16)
        .unwrap();
    drop(f);
    assert_eq!(read_and_check(&path).len(), 50);
    let theirs = journalctl_export(&path, &[]);
    let mut j = Journal::open_file(&path).unwrap();
    assert_eq!(export_forward(&mut j), theirs);
}

const CHILD_ENV: &str = "VIGIL_JOURNAL_CRASH_CHILD";

#[test]
fn kill_dash_nine_mid_write() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        // Child mode: append until killed.
        // A file named `killed-batch-*` is appended in batches of 1..=13.
        let batched = path.contains("killed-batch-");
        let mut w = create(Path::new(&path), &WriterOptions::default());
        let mut i = 0;
        loop {
            let size = if batched { 1 + i % 13 } else { 1 };
            if batched {
                w.begin_batch();
            }
            for j in i..i + size {
                service_entry(j).append_to(&mut w).unwrap();
            }
            w.commit().unwrap();
            i += size;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    for round in 0..8u64 {
        // Odd rounds append in batches.
        let name = if round % 2 == 1 {
            format!("killed-batch-{round}.journal")
        } else {
            format!("killed-{round}.journal")
        };
        let path = dir.path().join(name);
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "kill_dash_nine_mid_write",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until it has written something, then a round-dependent
        // extra delay so the kill lands at different points.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let n = JournalFile::open(&path)
                .map(|f| f.header().n_entries)
                .unwrap_or(0);
            if n >= 10 || std::time::Instant::now() > deadline {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        std::thread::sleep(std::time::Duration::from_millis(3 + round * 7));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let file = JournalFile::open(&path).unwrap();
        assert_eq!(
            file.header().state,
            journal::format::FileState::Online as u8
        );
        let entries = read_and_check(&path);
        assert!(
            entries.len() >= 10,
            "round {round}: only {} entries",
            entries.len()
        );
        assert_eq!(entries.len() as u64, file.header().n_entries);
        let theirs = journalctl_export(&path, &[]);
        let ours = export_entries(&entries);
        assert!(
            ours == theirs,
            "round {round}: {}",
            first_difference(&ours, &theirs)
        );
        let mut j = Journal::open_file(&path).unwrap();
        j.add_match(b"_SYSTEMD_UNIT=u3.service").unwrap();
        let ours = export_forward(&mut j);
        assert_eq!(
            ours,
            journalctl_export(&path, &["_SYSTEMD_UNIT=u3.service"]),
            "round {round}"
        );
    }
}
