//! Write many varied entries, read them back identically with our reader:
//! forwards, backwards, by cursor/time/seqnum, and through matches checked
//! against a brute-force filter.

mod common;

use std::collections::HashSet;

use common::*;
use journal::{Cursor, Entry, Journal, JournalFile, Matches, WriterOptions};

/// Small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_value(rng: &mut Rng) -> Vec<u8> {
    match rng.below(6) {
        0 => format!("v{}", rng.below(20)).into_bytes(), // frequent duplicates
        1 => (0..rng.below(40)).map(|_| rng.below(256) as u8).collect(), // binary
        2 => b"line one\nline two\0after nul\n".to_vec(),
        3 => Vec::new(),
        4 => "ünïcödé ✓ \t tab".as_bytes().to_vec(),
        _ => format!("unique value {}", rng.next()).into_bytes(),
    }
}

fn generate(n: u64) -> Vec<OwnedEntry> {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let boots = [id(BOOT), id("0123456789abcdef0123456789abcdef")];
    (0..n)
        .map(|i| {
            let mut fields = vec![
                ("MESSAGE".to_string(), random_value(&mut rng)),
                (
                    "_SYSTEMD_UNIT".to_string(),
                    format!("unit{}.service", rng.below(200)).into_bytes(),
                ),
                (
                    "PRIORITY".to_string(),
                    rng.below(8).to_string().into_bytes(),
                ),
            ];
            for _ in 0..rng.below(18) {
                let name = format!("F{}", rng.below(30));
                fields.push((name, random_value(&mut rng)));
            }
            if i % 11 == 0 {
                // The exact same field twice: stored once.
                fields.push(fields[1].clone());
            }
            if i % 13 == 0 {
                // Same field, another value: both kept.
                fields.push(("_SYSTEMD_UNIT".into(), b"second.service".to_vec()));
            }
            let boot = boots[(i / 1000 % 2) as usize];
            // journald adds _BOOT_ID= to every entry; seeking by monotonic
            // time goes through that field's entry list.
            fields.push(("_BOOT_ID".into(), boot.to_hex().into_bytes()));
            OwnedEntry {
                realtime: 1_600_000_000_000_000 + i * 977,
                monotonic: 1_000 + (i % 1000) * 1_000,
                boot_id: boot,
                fields,
            }
        })
        .collect()
}

/// The payloads an entry must read back as: unique `NAME=value`s (order on
/// disk is by object offset, so compare sorted).
fn expected_payloads(e: &OwnedEntry) -> Vec<Vec<u8>> {
    let mut seen = HashSet::new();
    let mut v: Vec<Vec<u8>> = e
        .fields
        .iter()
        .map(|(n, val)| {
            let mut p = n.clone().into_bytes();
            p.push(b'=');
            p.extend_from_slice(val);
            p
        })
        .filter(|p| seen.insert(p.clone()))
        .collect();
    v.sort();
    v
}

fn check(entry: &Entry, expected: &OwnedEntry, seqnum: u64) {
    assert_eq!(entry.seqnum, seqnum);
    assert_eq!(entry.realtime, expected.realtime);
    assert_eq!(entry.monotonic, expected.monotonic);
    assert_eq!(entry.boot_id, expected.boot_id);
    let mut got = entry.data.clone();
    got.sort();
    assert_eq!(got, expected_payloads(expected), "entry {seqnum}");
    let xor = entry
        .data
        .iter()
        .fold(0, |x, d| x ^ journal::hash::jenkins_hash64(d));
    // Duplicates cancel in systemd's xor hash; with them removed the xor of
    // the stored items differs exactly by the duplicates' hashes.
    let dup_xor = expected
        .fields
        .iter()
        .map(|(n, v)| {
            let mut p = n.clone().into_bytes();
            p.push(b'=');
            p.extend_from_slice(v);
            journal::hash::jenkins_hash64(&p)
        })
        .fold(0, |x, h| x ^ h);
    assert_eq!(entry.xor_hash, dup_xor);
    if expected.fields.len() == expected_payloads(expected).len() {
        assert_eq!(entry.xor_hash, xor);
    }
}

const N: u64 = 3000;

fn written() -> (tempfile::TempDir, std::path::PathBuf, Vec<OwnedEntry>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rt.journal");
    let entries = generate(N);
    let mut w = create(&path, &WriterOptions::default());
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.append_to(&mut w).unwrap(), i as u64 + 1);
    }
    assert_eq!(w.n_entries(), N);
    w.close().unwrap();
    (dir, path, entries)
}

#[test]
fn forward_and_backward_read_back_identically() {
    let (_dir, path, entries) = written();
    let mut j = Journal::open_file(&path).unwrap();
    for (i, e) in entries.iter().enumerate() {
        let got = j.next().unwrap().expect("entry");
        check(&got, e, i as u64 + 1);
    }
    assert!(j.next().unwrap().is_none());
    j.seek_tail();
    for (i, e) in entries.iter().enumerate().rev() {
        let got = j.previous().unwrap().expect("entry");
        check(&got, e, i as u64 + 1);
    }
    assert!(j.previous().unwrap().is_none());

    // Changing direction mid-way steps back over the entry just returned.
    j.seek_head();
    let first = j.next().unwrap().unwrap();
    let second = j.next().unwrap().unwrap();
    assert_eq!(j.previous().unwrap().unwrap(), first);
    assert_eq!(j.next().unwrap().unwrap(), second);

    // Header bookkeeping.
    let f = JournalFile::open(&path).unwrap();
    let h = f.header();
    assert_eq!(h.n_entries, N);
    assert_eq!(h.head_entry_seqnum, 1);
    assert_eq!(h.tail_entry_seqnum, N);
    assert_eq!(h.head_entry_realtime, entries[0].realtime);
    assert_eq!(h.tail_entry_realtime, entries[N as usize - 1].realtime);
    assert_eq!(h.state, journal::format::FileState::Offline as u8);
}

#[test]
fn seeks_by_cursor_time_and_seqnum() {
    let (_dir, path, entries) = written();
    let mut j = Journal::open_file(&path).unwrap();
    let all: Vec<Entry> = std::iter::from_fn(|| j.next().unwrap()).collect();
    for &k in &[0usize, 1, 2, 17, 1500, 2998, 2999] {
        let cursor = all[k].cursor();
        let parsed = Cursor::parse(&cursor.to_string()).unwrap();
        j.seek_cursor(&parsed);
        assert_eq!(j.next().unwrap().unwrap(), all[k], "cursor seek to {k}");
        j.seek_cursor(&parsed);
        assert_eq!(j.previous().unwrap().unwrap(), all[k]);

        j.seek_realtime(entries[k].realtime);
        assert_eq!(j.next().unwrap().unwrap().seqnum, k as u64 + 1);
        j.seek_realtime(entries[k].realtime + 1);
        let before = j.previous().unwrap().unwrap();
        assert_eq!(before.seqnum, k as u64 + 1);

        j.seek_seqnum(id(SEQNUM_ID), k as u64 + 1);
        assert_eq!(j.next().unwrap().unwrap().seqnum, k as u64 + 1);
    }
    // A cursor with only boot id + monotonic time still finds the entry.
    let k = 1234;
    let partial = Cursor {
        boot_id: Some(all[k].boot_id),
        monotonic: Some(all[k].monotonic),
        ..Cursor::default()
    };
    j.seek_cursor(&partial);
    assert_eq!(j.next().unwrap().unwrap(), all[k]);
    // Past the end and before the start.
    j.seek_realtime(u64::MAX / 2);
    assert!(j.next().unwrap().is_none());
    assert_eq!(j.previous().unwrap().unwrap().seqnum, N);
    j.seek_realtime(1);
    assert!(j.previous().unwrap().is_none());
    assert_eq!(j.next().unwrap().unwrap().seqnum, 1);
}

/// Brute-force evaluation of sd-journal's match algebra for comparison.
fn brute(entries: &[OwnedEntry], levels: &[Vec<Vec<&[u8]>>]) -> Vec<u64> {
    let has = |e: &OwnedEntry, m: &[u8]| expected_payloads(e).iter().any(|p| p == m);
    let field = |m: &[u8]| m.split(|&c| c == b'=').next().unwrap().to_vec();
    entries
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            levels.iter().all(|level| {
                level.iter().any(|group| {
                    let mut fields: Vec<Vec<u8>> = group.iter().map(|m| field(m)).collect();
                    fields.dedup();
                    fields
                        .iter()
                        .all(|f| group.iter().filter(|m| field(m) == *f).any(|m| has(e, m)))
                })
            })
        })
        .map(|(i, _)| i as u64 + 1)
        .collect()
}

#[test]
fn matches_agree_with_brute_force() {
    let (_dir, path, entries) = written();
    let cases: Vec<Vec<Vec<&[u8]>>> = vec![
        vec![vec![b"_SYSTEMD_UNIT=unit7.service"]],
        vec![vec![
            b"_SYSTEMD_UNIT=unit7.service",
            b"_SYSTEMD_UNIT=unit8.service",
        ]],
        vec![vec![
            b"_SYSTEMD_UNIT=unit7.service",
            b"_SYSTEMD_UNIT=unit8.service",
            b"PRIORITY=3",
        ]],
        vec![
            vec![b"PRIORITY=3", b"F3=v5"],
            vec![b"_SYSTEMD_UNIT=second.service"],
        ],
        vec![vec![b"PRIORITY=1"]],
        vec![
            vec![b"PRIORITY=1", b"_SYSTEMD_UNIT=unit9.service"],
            vec![b"F1=v1", b"F2=v2"],
        ],
        vec![vec![b"MESSAGE=line one\nline two\0after nul\n"]],
        vec![vec![b"NOPE=absent"]],
        vec![vec![b"PRIORITY=2", b"NOPE=absent"]],
        vec![vec![b"PRIORITY=2"], vec![b"NOPE=absent"]],
    ];
    let mut j = Journal::open_file(&path).unwrap();
    for (c, groups) in cases.iter().enumerate() {
        // The case as one conjunction level, and again AND'ed with PRIORITY<4.
        let mut with_level = vec![groups.clone()];
        let plain = brute(&entries, &with_level);
        with_level.push(vec![vec![
            b"PRIORITY=0",
            b"PRIORITY=1",
            b"PRIORITY=2",
            b"PRIORITY=3",
        ]]);
        let leveled = brute(&entries, &with_level);
        for (expected, add_level) in [(plain, false), (leveled, true)] {
            let mut m = Matches::new();
            for (g, group) in groups.iter().enumerate() {
                if g > 0 {
                    m.add_disjunction();
                }
                for v in group {
                    m.add(v).unwrap();
                }
            }
            if add_level {
                m.add_conjunction();
                for p in [b"PRIORITY=0", b"PRIORITY=1", b"PRIORITY=2", b"PRIORITY=3"] {
                    m.add(p).unwrap();
                }
            }
            j.set_matches(m);
            j.seek_head();
            let fwd: Vec<u64> = std::iter::from_fn(|| j.next().unwrap())
                .map(|e| e.seqnum)
                .collect();
            assert_eq!(fwd, expected, "case {c} level {add_level}");
            j.seek_tail();
            let mut back: Vec<u64> = std::iter::from_fn(|| j.previous().unwrap())
                .map(|e| e.seqnum)
                .collect();
            back.reverse();
            assert_eq!(back, expected, "case {c} level {add_level} backwards");
        }
    }
}

#[test]
fn unique_values_and_entry_offsets() {
    let (_dir, path, entries) = written();
    let mut f = JournalFile::open(&path).unwrap();
    let mut units: Vec<Vec<u8>> = f.unique_values("_SYSTEMD_UNIT").unwrap();
    units.sort();
    let mut expected: Vec<Vec<u8>> = entries
        .iter()
        .flat_map(|e| {
            e.fields
                .iter()
                .filter(|(n, _)| n == "_SYSTEMD_UNIT")
                .map(|(_, v)| v.clone())
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    expected.sort();
    assert_eq!(units, expected);
    assert!(f.unique_values("NOT_THERE").unwrap().is_empty());
    let offsets = f.entry_offsets().unwrap();
    assert_eq!(offsets.len() as u64, N);
    assert!(offsets.windows(2).all(|w| w[0] < w[1]));
    let e = f.entry_at(offsets[42]).unwrap();
    assert_eq!(e.seqnum, 43);
}

#[test]
fn writer_rejects_bad_input_without_touching_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.journal");
    let mut w = create(&path, &WriterOptions::default());
    let ok = service_entry(1);
    ok.append_to(&mut w).unwrap();
    let before = std::fs::read(&path).unwrap();
    let mut bad = ok.clone();
    bad.fields.push(("lowercase".into(), b"x".to_vec()));
    assert!(matches!(
        bad.append_to(&mut w),
        Err(journal::Error::InvalidField { .. })
    ));
    let mut bad = ok.clone();
    bad.fields.clear();
    assert!(matches!(
        bad.append_to(&mut w),
        Err(journal::Error::EmptyEntry)
    ));
    let mut bad = ok.clone();
    bad.realtime = 0;
    assert!(matches!(
        bad.append_to(&mut w),
        Err(journal::Error::InvalidTimestamp { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // Still usable afterwards.
    assert_eq!(service_entry(2).append_to(&mut w).unwrap(), 2);
}

#[test]
fn a_reader_follows_a_live_writer_after_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.journal");
    let mut w = create(&path, &WriterOptions::default());
    for i in 0..10 {
        service_entry(i).append_to(&mut w).unwrap();
    }
    let mut j = Journal::open_file(&path).unwrap();
    j.add_match(b"_HOSTNAME=testhost").unwrap();
    let seen: Vec<u64> = std::iter::from_fn(|| j.next().unwrap())
        .map(|e| e.seqnum)
        .collect();
    assert_eq!(seen, (1..=10).collect::<Vec<_>>());
    for i in 10..25 {
        service_entry(i).append_to(&mut w).unwrap();
    }
    // Without refresh the reader keeps its snapshot of the header.
    assert!(j.next().unwrap().is_none());
    j.refresh().unwrap();
    let seen: Vec<u64> = std::iter::from_fn(|| j.next().unwrap())
        .map(|e| e.seqnum)
        .collect();
    assert_eq!(seen, (11..=25).collect::<Vec<_>>());
    // The file is ONLINE while the writer has it, OFFLINE after close.
    assert_eq!(JournalFile::open(&path).unwrap().header().state, 1);
    w.close().unwrap();
    assert_eq!(JournalFile::open(&path).unwrap().header().state, 0);
}

#[test]
fn thousands_of_distinct_field_names() {
    // More fields than the writer caches and than the field hash table is
    // sized for: chains get deep, rotation is suggested, data stays right.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fields.journal");
    let mut w = create(&path, &WriterOptions::default());
    for i in 0..5000u64 {
        let e = OwnedEntry {
            realtime: 1_700_000_000_000_000 + i,
            monotonic: 1 + i,
            boot_id: id(BOOT),
            fields: vec![
                (format!("FIELD_{i}"), b"x".to_vec()),
                ("FIELD_0".into(), i.to_string().into_bytes()),
            ],
        };
        e.append_to(&mut w).unwrap();
    }
    assert!(w.rotate_suggested());
    assert!(w.header().field_hash_chain_depth > 5);
    w.close().unwrap();
    let mut j = Journal::open_file(&path).unwrap();
    j.add_match(b"FIELD_4321=x").unwrap();
    let e = j.next().unwrap().unwrap();
    assert_eq!(e.seqnum, 4322);
    assert_eq!(e.field("FIELD_0"), Some(&b"4321"[..]));
    assert!(j.next().unwrap().is_none());
    let verify = journalctl(&["--file", path.to_str().unwrap(), "--verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let mut f = JournalFile::open(&path).unwrap();
    assert_eq!(f.unique_values("FIELD_0").unwrap().len(), 5001);
}

/// The writer's caches (DATA and FIELD metadata, the values it saw
/// before, cached blocks) and its batches change no byte: the same
/// entries, written in batches of varying size with every cache warm and
/// written one by one with every cache dropped after each append, make
/// identical files. A small file, so that hash chains get deep.
#[test]
fn caches_and_batches_change_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    let options = WriterOptions {
        max_file_size: 8 << 20,
        file_id: Some(id("5bd7cbd6d5a24e4f9a4f27bb4e0d2b1c")),
        ..WriterOptions::default()
    };
    // Varied entries interleaved with repetitive service lines.
    let entries: Vec<OwnedEntry> = generate(N)
        .into_iter()
        .zip((0..N).map(service_entry))
        .flat_map(|(a, b)| [a, b])
        .collect();
    let (warm_path, cold_path) = (dir.path().join("warm.journal"), dir.path().join("cold.journal"));
    let mut warm = create(&warm_path, &options);
    let mut cold = create(&cold_path, &options);
    let mut batch_end = 0;
    for (i, e) in entries.iter().enumerate() {
        if i == batch_end {
            warm.commit().unwrap();
            warm.begin_batch();
            batch_end += 1 + i % 41;
        }
        let seqnum = e.append_to(&mut warm).unwrap();
        assert_eq!(e.append_to(&mut cold).unwrap(), seqnum);
        cold.release_caches();
    }
    assert!(warm.header().data_hash_chain_depth > 2);
    warm.close().unwrap();
    cold.close().unwrap();
    let (warm, cold) = (std::fs::read(&warm_path).unwrap(), std::fs::read(&cold_path).unwrap());
    let differ = warm.iter().zip(&cold).position(|(a, b)| a != b);
    assert!(warm == cold, "first difference at byte {differ:?}");
}
