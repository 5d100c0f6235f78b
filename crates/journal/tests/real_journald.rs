//! Files written by the real systemd 252 journald (see fixtures/make-fixtures.sh):
//! our reader must agree with `journalctl` on them, byte for byte.

mod common;

use std::path::PathBuf;

use common::*;
use journal::{export, Error, Journal, JournalFile};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Splits an export stream into per-entry chunks (each starts with __CURSOR=).
fn chunks(export: &[u8]) -> Vec<Vec<u8>> {
    let text = export;
    let mut starts: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(b"__CURSOR=") && (i == 0 || text[i - 1] == b'\n') {
            starts.push(i);
        }
        i += 1;
    }
    starts.push(text.len());
    starts
        .windows(2)
        .map(|w| text[w[0]..w[1]].to_vec())
        .collect()
}

#[test]
fn classic_jenkins_file_reads_exactly_like_journalctl() {
    let path = fixture("real252-classic.journal");
    let expected = std::fs::read(fixture("real252-classic.export")).unwrap();
    let live = journalctl(&["--file", path.to_str().unwrap(), "-o", "export"]);
    assert!(live.status.success());
    assert_eq!(live.stdout, expected, "fixture export is stale");

    let file = JournalFile::open(&path).unwrap();
    assert!(!file.header().keyed_hash());
    assert!(!file.header().compact());

    let mut j = Journal::open_file(&path).unwrap();
    let ours = export_forward(&mut j);
    assert_eq!(ours, expected, "{}", first_difference(&ours, &expected));

    // A match goes through the Jenkins-hashed data hash table.
    let live = journalctl(&[
        "--file",
        path.to_str().unwrap(),
        "-o",
        "export",
        "SYSLOG_IDENTIFIER=fixture",
    ]);
    let mut j = Journal::open_file(&path).unwrap();
    j.add_match(b"SYSLOG_IDENTIFIER=fixture").unwrap();
    let ours = export_forward(&mut j);
    assert_eq!(ours, live.stdout);
    assert_eq!(chunks(&ours).len(), 4);
}

#[test]
fn compact_zstd_file_reads_with_clear_error_for_compressed_data() {
    let path = fixture("real252-compact-zstd.journal");
    let expected = std::fs::read(fixture("real252-compact-zstd.export")).unwrap();
    let live = journalctl(&["--file", path.to_str().unwrap(), "-o", "export"]);
    assert_eq!(live.stdout, expected, "fixture export is stale");
    let expected = chunks(&expected);

    let file = JournalFile::open(&path).unwrap();
    assert!(file.header().keyed_hash() && file.header().compact());

    let mut j = Journal::open_file(&path).unwrap();
    let mut index = 0;
    let mut compressed = 0;
    loop {
        match j.next() {
            Ok(Some(entry)) => {
                let ours = export::entry_to_vec(&entry);
                assert_eq!(
                    ours,
                    expected[index],
                    "{}",
                    first_difference(&ours, &expected[index])
                );
            }
            Ok(None) => break,
            Err(Error::Compressed {
                algorithm, offset, ..
            }) => {
                assert_eq!(algorithm, "ZSTD");
                assert!(offset > 0);
                assert!(String::from_utf8_lossy(&expected[index]).contains("long message xxx"));
                compressed += 1;
            }
            Err(e) => panic!("unexpected error {e}"),
        }
        index += 1;
    }
    assert_eq!(index, expected.len());
    assert_eq!(compressed, 1);

    // Keyed-hash lookups on a file we did not write; the compressed entry is
    // among the matches and is still reported, not skipped silently.
    let live = journalctl(&[
        "--file",
        path.to_str().unwrap(),
        "-o",
        "export",
        "-r",
        "SYSLOG_IDENTIFIER=fixture",
    ]);
    let live = chunks(&live.stdout);
    assert_eq!(live.len(), 4);
    let mut j = Journal::open_file(&path).unwrap();
    j.add_match(b"SYSLOG_IDENTIFIER=fixture").unwrap();
    j.seek_tail();
    let mut got = Vec::new();
    loop {
        match j.previous() {
            Ok(Some(e)) => got.push(export::entry_to_vec(&e)),
            Ok(None) => break,
            Err(Error::Compressed { .. }) => got.push(b"compressed".to_vec()),
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!(got.len(), 4);
    for (ours, theirs) in got.iter().zip(&live) {
        if ours != b"compressed" {
            assert_eq!(ours, theirs);
        }
    }
}

#[test]
fn cursor_xor_hash_matches_journald_for_every_entry() {
    // x= in a cursor is the XOR of the Jenkins hashes of all fields; the
    // classic file stores the same value in its entries, computed by journald.
    let path = fixture("real252-classic.journal");
    let mut j = Journal::open_file(&path).unwrap();
    let mut n = 0;
    while let Some(e) = j.next().unwrap() {
        let recomputed = e
            .data
            .iter()
            .fold(0, |x, d| x ^ journal::hash::jenkins_hash64(d));
        assert_eq!(recomputed, e.xor_hash);
        n += 1;
    }
    assert_eq!(n, 10);
}
