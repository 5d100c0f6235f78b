//! Per-unit queries go through the index: the work (objects and entry-array
//! slots read, counted by the reader) is proportional to the matching
//! entries, not to the file.

mod common;

use common::*;
use journal::{Journal, WriterOptions};

const N: u64 = 20_000;

fn file() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.journal");
    let mut w = create(&path, &WriterOptions::default());
    for i in 0..N {
        service_entry(i).append_to(&mut w).unwrap();
    }
    w.close().unwrap();
    (dir, path)
}

/// Iterates all matches; returns (count, objects visited doing so).
fn visits_for(j: &mut Journal, forward: bool) -> (u64, u64) {
    let before = j.objects_visited();
    let mut n = 0;
    loop {
        let e = if forward { j.next() } else { j.previous() };
        if e.unwrap().is_none() {
            break;
        }
        n += 1;
    }
    (n, j.objects_visited() - before)
}

#[test]
fn unit_query_visits_o_of_matches() {
    let (_dir, path) = file();
    // Reading one whole entry costs its ENTRY object and its 9 DATA objects.
    let per_entry = 1 + 9;

    let mut j = Journal::open_file(&path).unwrap();
    j.add_match(b"_SYSTEMD_UNIT=u7.service").unwrap();
    let (n, visits) = visits_for(&mut j, true);
    assert_eq!(n, N / 50);
    // Per match: the entry (header + full read), its data, a couple of
    // entry-list slots; plus the lookup and the list's arrays once.
    assert!(
        visits <= n * (per_entry + 4) + 100,
        "{visits} visits for {n} matches"
    );
    assert!(visits < N, "a scan would visit at least {N}");

    j.seek_tail();
    let (n_back, visits) = visits_for(&mut j, false);
    assert_eq!(n_back, n);
    assert!(
        visits <= n * (per_entry + 4) + 100,
        "backwards: {visits} visits for {n} matches"
    );

    // A rare value: a handful of visits, independent of the file size.
    let mut j = Journal::open_file(&path).unwrap();
    j.add_match(b"MESSAGE=unit 7 says hello number 10007")
        .unwrap();
    let (n, visits) = visits_for(&mut j, true);
    assert_eq!(n, 1);
    assert!(visits <= 40, "{visits} visits for one match");
}

#[test]
fn conjunction_visits_o_of_the_smaller_list() {
    let (_dir, path) = file();
    let mut j = Journal::open_file(&path).unwrap();
    // u7 has 400 entries, PRIORITY=2 has thousands: the leapfrog walks the
    // short list and seeks in the long one.
    j.add_match(b"_SYSTEMD_UNIT=u7.service").unwrap();
    j.add_match(b"PRIORITY=2").unwrap();
    let (n, visits) = visits_for(&mut j, true);
    assert!(n > 0 && n < 400);
    let priority_2 = (0..N).filter(|i| (i * 7 + i % 50) % 8 == 2).count() as u64;
    assert!(priority_2 > 2000);
    assert!(
        visits <= 400 * 30 + n * 12,
        "{visits} visits for {n} matches"
    );
    assert!(
        visits < priority_2,
        "{visits} visits: no better than walking PRIORITY=2"
    );
}

#[test]
fn seeks_visit_o_of_log_n() {
    let (_dir, path) = file();
    let mut j = Journal::open_file(&path).unwrap();
    let before = j.objects_visited();
    j.seek_realtime(1_700_000_000_000_000 + 12_345 * 1_000);
    assert_eq!(j.next().unwrap().unwrap().seqnum, 12_346);
    let visits = j.objects_visited() - before;
    // Building the global list reads its arrays once; bisection then costs
    // two reads per step.
    assert!(visits < 200, "{visits} visits for a time seek");

    let before = j.objects_visited();
    j.seek_tail();
    for _ in 0..5 {
        j.previous().unwrap().unwrap();
    }
    assert!(j.objects_visited() - before < 100);
}
