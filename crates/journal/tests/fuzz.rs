//! Hostile input: arbitrary bytes, and valid files with bytes overwritten,
//! must never make the reader panic or hang. Errors are fine.

mod common;

use std::path::Path;

use common::*;
use journal::{Cursor, Journal, WriterOptions};
use proptest::prelude::*;

/// Drives every reader entry point over a file, bounding the work.
fn exercise(path: &Path) {
    let Ok(mut j) = Journal::open_file(path) else {
        return;
    };
    let mut budget = 2_000;
    let mut last = None;
    while budget > 0 {
        budget -= 1;
        match j.next() {
            Ok(Some(e)) => last = Some(e),
            Ok(None) => break,
            Err(_) => {}
        }
    }
    j.seek_tail();
    for _ in 0..50 {
        if !matches!(j.previous(), Ok(Some(_))) {
            break;
        }
    }
    if let Some(e) = &last {
        j.seek_cursor(&e.cursor());
        let _ = j.next();
        let _ = journal::export::entry_to_vec(e);
    }
    j.seek_realtime(1_700_000_000_500_000);
    let _ = j.next();
    let _ = j.previous();
    j.seek_cursor(&Cursor {
        boot_id: Some(id(BOOT)),
        monotonic: Some(5_020_000),
        ..Cursor::default()
    });
    let _ = j.next();
    for m in [
        "_SYSTEMD_UNIT=u3.service",
        "PRIORITY=2",
        "_HOSTNAME=testhost",
    ] {
        let _ = j.add_match(m.as_bytes());
    }
    j.seek_head();
    for _ in 0..200 {
        if !matches!(j.next(), Ok(Some(_))) {
            break;
        }
    }
    let _ = j.unique_values("_SYSTEMD_UNIT");
    if let Ok(mut f) = journal::JournalFile::open(path) {
        if let Ok(offsets) = f.entry_offsets() {
            for off in offsets.into_iter().take(100) {
                let _ = f.entry_at(off);
            }
        }
    }
}

/// A small valid file: 40 entries in a 128 KiB file.
fn small_valid_file() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.journal");
    let mut w = create(
        &path,
        &WriterOptions {
            max_file_size: 128 * 1024,
            ..WriterOptions::default()
        },
    );
    for i in 0..40 {
        service_entry(i).append_to(&mut w).unwrap();
    }
    w.close().unwrap();
    std::fs::read(&path).unwrap()
}

fn valid() -> &'static [u8] {
    static VALID: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    VALID.get_or_init(small_valid_file)
}

/// Offsets of every object in the valid file (walked via object sizes).
fn object_offsets() -> &'static [u64] {
    static OFFSETS: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    OFFSETS.get_or_init(|| {
        let bytes = valid();
        let le = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        let tail = le(136);
        let mut out = Vec::new();
        let mut p = le(88);
        while p <= tail {
            out.push(p);
            p += (le(p as usize + 8) + 7) & !7;
        }
        out
    })
}

/// Cases per property: 300 by default, more for a long local campaign
/// (`VIGIL_JOURNAL_FUZZ_CASES=20000 cargo test -p vigil-journal --test fuzz`).
fn fuzz_cases() -> u32 {
    std::env::var("VIGIL_JOURNAL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn run_on(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.journal");
    std::fs::write(&path, bytes).unwrap();
    exercise(&path);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        run_on(&bytes);
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_signature_never_panic(
        header in proptest::collection::vec(any::<u8>(), 0..600),
        tail in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut bytes = b"LPKSHHRH".to_vec();
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(&tail);
        run_on(&bytes);
    }

    #[test]
    fn corrupted_valid_files_never_panic(
        edits in proptest::collection::vec((any::<usize>(), any::<u64>(), 0u8..3), 1..12),
    ) {
        let mut bytes = valid().to_vec();
        // Mostly overwrite aligned 64-bit fields (offsets, sizes, counters),
        // where damage matters most; sometimes single bytes.
        let used = bytes.len().min(96 * 1024);
        for (pos, value, kind) in edits {
            let at = pos % used;
            match kind {
                0 => {
                    let at = at & !7;
                    if at + 8 <= bytes.len() {
                        bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
                    }
                }
                1 => bytes[at] = value as u8,
                _ => {
                    // Small plausible numbers: offsets and counts nearby.
                    let at = at & !7;
                    if at + 8 <= bytes.len() {
                        bytes[at..at + 8].copy_from_slice(&(value % 70_000).to_le_bytes());
                    }
                }
            }
        }
        run_on(&bytes);
    }

    /// Links rewired to point at other objects (of any type), or to
    /// nearby slots: loops, unsorted lists, wrong types, cross-links.
    #[test]
    fn rewired_links_never_panic(
        edits in proptest::collection::vec((any::<usize>(), 0usize..16, any::<usize>(), -16i64..16), 1..8),
    ) {
        let mut bytes = valid().to_vec();
        let objects = object_offsets();
        for (which, field, target, delta) in edits {
            let at = objects[which % objects.len()] as usize + 16 + 8 * field;
            let value = (objects[target % objects.len()] as i64 + delta * 8).max(0) as u64;
            if at + 8 <= bytes.len() {
                bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
            }
        }
        run_on(&bytes);
    }

    #[test]
    fn truncated_valid_files_never_panic(len in 0usize..100_000) {
        let bytes = valid();
        run_on(&bytes[..len.min(bytes.len())]);
    }
}

#[test]
fn the_valid_base_file_really_is_valid() {
    // The corruption tests start from this; make sure it reads fully.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("base.journal");
    std::fs::write(&path, valid()).unwrap();
    let mut j = Journal::open_file(&path).unwrap();
    assert_eq!(std::iter::from_fn(|| j.next().unwrap()).count(), 40);
}
