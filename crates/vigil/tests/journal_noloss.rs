//! Nothing is lost: 20 processes write 20 000 lines each as fast as they
//! can. Without rate limiting every line is stored; with a low burst, the
//! lines stored plus the "Suppressed N messages" counts add up exactly to
//! what was written — counted by the real journalctl as well as from the
//! files' headers.

mod journal_support;

use std::time::Duration;

use journal::Journal;
use journal_support::*;

const WRITERS: usize = 20;
const LINES: usize = 20_000;

fn flood(r: &JournalRoot) -> Vec<i32> {
    let mut pids = Vec::new();
    for w in 0..WRITERS {
        let mut data = header(&format!("writer{w}"), "", "6", false);
        for n in 0..LINES {
            data.extend_from_slice(format!("w{w} line {n}\n").as_bytes());
        }
        pids.push(fork_stream_writer(&r.sock("stdout"), data));
    }
    for &p in &pids {
        assert_eq!(wait_child(p), 0, "writer {p} failed");
    }
    pids
}

/// Entries in the journal as the real journalctl counts them: one line per
/// entry with `-o cat` (every message here is one line).
fn counted_by_journalctl(r: &JournalRoot) -> u64 {
    let dir = r.journal_dir();
    let out = real(&["-D", dir.to_str().unwrap(), "-o", "cat", "-q"]);
    assert!(
        out.status.success(),
        "journalctl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout.iter().filter(|&&b| b == b'\n').count() as u64
}

/// `(number of "Suppressed" notes, sum of their N_DROPPED)`.
fn suppressed(r: &JournalRoot) -> (u64, u64) {
    let Ok(mut j) = Journal::open_directory(&r.journal_dir()) else {
        return (0, 0);
    };
    if j.add_match(b"MESSAGE_ID=a596d6fe7bfa4994828e72309e95d61e")
        .is_err()
    {
        return (0, 0);
    }
    let (mut n, mut dropped) = (0, 0);
    while let Ok(Some(e)) = j.next() {
        n += 1;
        let msg = String::from_utf8_lossy(e.field("MESSAGE").unwrap_or_default()).into_owned();
        let d: u64 = std::str::from_utf8(e.field("N_DROPPED").unwrap_or_default())
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            msg,
            format!(
                "Suppressed {d} messages from pid {}",
                String::from_utf8_lossy(e.field("OBJECT_PID").unwrap())
            )
        );
        dropped += d;
    }
    (n, dropped)
}

#[test]
fn journal_no_loss_without_rate_limit() {
    let mut r = JournalRoot::new("noloss", Some("[Journal]\nRateLimitBurst=100000000\n"));
    r.start();
    flood(&r);
    let total = (WRITERS * LINES) as u64;
    r.wait_stored(total, Duration::from_secs(600));
    assert!(r.stop().success());
    assert_eq!(r.stored(), total);
    assert_eq!(counted_by_journalctl(&r), total);
    assert_eq!(suppressed(&r), (0, 0));
    // Every writer's last line made it, and only once.
    let mut j = Journal::open_directory(&r.journal_dir()).unwrap();
    for w in 0..WRITERS {
        j.flush_matches();
        j.add_match(format!("MESSAGE=w{w} line {}", LINES - 1).as_bytes())
            .unwrap();
        j.seek_head();
        assert!(
            j.next().unwrap().is_some(),
            "writer {w}'s last line is missing"
        );
        assert!(
            j.next().unwrap().is_none(),
            "writer {w}'s last line stored twice"
        );
    }
}

#[test]
fn journal_suppressed_counts_add_up() {
    let mut r = JournalRoot::new(
        "ratelimit",
        Some("[Journal]\nRateLimitIntervalSec=2s\nRateLimitBurst=100\n"),
    );
    r.start();
    flood(&r);
    let written = (WRITERS * LINES) as u64;
    // Notes come when each window ends, without any further message.
    let ok = wait_until(Duration::from_secs(120), || {
        let (notes, dropped) = suppressed(&r);
        r.stored() - notes + dropped == written
    });
    let (notes, dropped) = suppressed(&r);
    assert!(
        ok,
        "stored {} (notes {notes}) + dropped {dropped} != written {written}",
        r.stored()
    );
    assert!(
        dropped > 0 && notes > 0,
        "a low burst must suppress something"
    );
    assert!(r.stop().success());
    let stored = counted_by_journalctl(&r);
    assert_eq!(stored, r.stored(), "journalctl and the headers disagree");
    let (notes2, dropped2) = suppressed(&r);
    assert_eq!(
        (notes2, dropped2),
        (notes, dropped),
        "nothing more to report at exit"
    );
    assert_eq!(stored - notes2 + dropped2, written);
}
