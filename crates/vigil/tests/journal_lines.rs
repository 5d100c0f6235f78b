//! How the stdout stream protocol cuts lines: at 48 KiB (`LineMax=`),
//! at NUL, at the end of the stream; `<N>` level prefixes; empty lines.

mod journal_support;

use std::io::Write;
use std::time::Duration;

use journal_support::*;

#[test]
fn journal_long_lines_prefixes_and_partial_final_line() {
    let mut r = JournalRoot::new("lines", None);
    r.start();
    let mut s = r.stream("liner", "", "30", true);
    let long = "L".repeat(48 * 1024 * 2 + 100);
    s.write_all(long.as_bytes()).unwrap();
    s.write_all(
        b"\n<4>a warning\n<03>zero-padded error\n<9>not a level\n\n   \nbefore nul\0after nul\n",
    )
    .unwrap();
    s.write_all(b"no newline at the end").unwrap();
    drop(s);
    r.wait_stored(10, Duration::from_secs(30));
    // Without the level prefix, `<3>` is text.
    let mut s = r.stream("plain", "", "6", false);
    s.write_all(b"<3>literal\n").unwrap();
    drop(s);
    r.wait_stored(11, Duration::from_secs(30));
    assert!(r.stop().success());

    let all = entries(&r.journal_dir(), &[]);
    let msgs: Vec<(String, Option<&str>, Option<&str>)> = all
        .iter()
        .map(|e| {
            let m = field(e, "MESSAGE").unwrap_or("<binary>").to_string();
            (m, field(e, "_LINE_BREAK"), field(e, "PRIORITY"))
        })
        .collect();
    let lmax = 48 * 1024;
    assert_eq!(msgs[0], ("L".repeat(lmax), Some("line-max"), Some("6")));
    assert_eq!(msgs[1], ("L".repeat(lmax), Some("line-max"), Some("6")));
    assert_eq!(msgs[2], ("L".repeat(100), None, Some("6")));
    assert_eq!(msgs[3], ("a warning".into(), None, Some("4")));
    assert_eq!(msgs[4], ("zero-padded error".into(), None, Some("3")));
    assert_eq!(msgs[5], ("<9>not a level".into(), None, Some("6")));
    // The empty line is dropped; a line of blanks is kept.
    assert_eq!(msgs[6], ("   ".into(), None, Some("6")));
    assert_eq!(msgs[7], ("before nul".into(), Some("nul"), Some("6")));
    assert_eq!(msgs[8], ("after nul".into(), None, Some("6")));
    assert_eq!(
        msgs[9],
        ("no newline at the end".into(), Some("eof"), Some("6"))
    );
    assert_eq!(msgs[10], ("<3>literal".into(), None, Some("6")));
    assert_eq!(all.len(), 11);
    // Facility from the header stays with a prefixed level.
    assert!(all[..10]
        .iter()
        .all(|e| field(e, "SYSLOG_FACILITY") == Some("3")));
    assert_eq!(field(&all[10], "SYSLOG_FACILITY"), None);

    let d = r.journal_dir();
    let d = d.to_str().unwrap();
    same(&["-D", d, "-o", "export"]);
    same(&["-D", d]);
    same(&["-D", d, "-o", "verbose"]);
    same(&["-D", d, "-p", "warning"]);
}

#[test]
fn journal_bad_headers_end_only_their_stream() {
    let mut r = JournalRoot::new("badhdr", None);
    r.start();
    for bad in [
        &b"id\nunit\nnot-a-number\n0\n0\n0\n0\nlost\n"[..],
        b"id\n\n6\nmaybe\n0\n0\n0\nlost\n",
        b"id\0x\n",
    ] {
        let mut s = std::os::unix::net::UnixStream::connect(r.sock("stdout")).unwrap();
        let _ = s.write_all(bad);
    }
    let mut s = r.stream("good", "", "6", false);
    s.write_all(b"still here\n").unwrap();
    drop(s);
    r.wait_stored(1, Duration::from_secs(30));
    assert!(r.alive());
    assert!(r.stop().success());
    let all = entries(&r.journal_dir(), &[]);
    assert_eq!(all.len(), 1);
    assert_eq!(field(&all[0], "MESSAGE"), Some("still here"));
    let err = r.stderr();
    assert!(
        err.contains("priority")
            && err.contains("level prefix")
            && err.contains("not properly terminated"),
        "{err}"
    );
}

#[test]
fn journal_max_level_store_drops_lower_priorities() {
    let mut r = JournalRoot::new("maxlevel", Some("[Journal]\nMaxLevelStore=warning\n"));
    r.start();
    let mut s = r.stream("lvl", "", "6", true);
    s.write_all(b"<7>debug\n<6>info\n<4>warning kept\n<2>crit kept\nplain info\n").unwrap();
    drop(s);
    r.native(b"MESSAGE=native err kept\nPRIORITY=3\n");
    r.native(b"MESSAGE=native notice\nPRIORITY=5\n");
    r.wait_stored(3, Duration::from_secs(30));
    assert!(r.stop().success());
    let all = entries(&r.journal_dir(), &[]);
    let msgs: Vec<&str> = all.iter().filter_map(|e| field(e, "MESSAGE")).collect();
    let mut sorted = msgs.clone();
    sorted.sort();
    assert_eq!(sorted, ["crit kept", "native err kept", "warning kept"]);
}
