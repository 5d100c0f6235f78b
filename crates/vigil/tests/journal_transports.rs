//! The journal daemon end to end: every transport, the trust rule, the
//! manager's registrations; then the stored files are read by the real
//! systemd 252 `journalctl` and by ours, which must print the same bytes.

mod journal_support;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::Duration;

use journal_support::*;

const INVOCATION: &str = "00112233445566778899aabbccddeeff";

type Obj = serde_json::Map<String, serde_json::Value>;

fn by_message<'a>(all: &'a [Obj], message: &str) -> &'a Obj {
    all.iter()
        .find(|e| field(e, "MESSAGE") == Some(message))
        .unwrap_or_else(|| panic!("no entry with MESSAGE={message:?}"))
}

#[test]
fn journal_transports_trust_and_both_journalctls_agree() {
    let mut r = JournalRoot::new("transports", None);
    r.start();
    let me = std::process::id().to_string();

    // 1. A stream the manager (this process) opened: the unit is believed.
    let mut s = r.stream("webd", &format!("web.service {INVOCATION}"), "30", true);
    s.write_all(b"started\n<3>failed hard\n<7>debug detail\n\xffnot utf8\n")
        .unwrap();
    drop(s);

    // 1b. The manager's usual case: it opens the stream, sends the header
    // and hands the socket to the service, which writes the lines.
    let s = r.stream("svc", &format!("svc.service {INVOCATION}"), "30", false);
    let service = fork_fd_writer(s.as_raw_fd(), b"from the service\n".to_vec());
    assert_eq!(wait_child(service), 0);
    drop(s);

    // 2. Anyone else claiming a unit in the header is not believed.
    let mut data = header("liar", "web.service", "30", false);
    data.extend_from_slice(b"i am not web\n");
    let liar = fork_stream_writer(&r.sock("stdout"), data);
    assert_eq!(wait_child(liar), 0);

    // 3. A registered pid: its syslog messages belong to the unit. The
    // child waits on a pipe until the registration has been processed
    // (a marker on the same socket is stored after it).
    let (go_rd, go_wr) = nix::unistd::pipe().unwrap();
    let worker = fork_datagram(
        &r.sock("dev-log"),
        b"<13>Nov 25 16:05:53 worker[42]: registered hello".to_vec(),
        Some((go_rd.as_raw_fd(), go_wr.as_raw_fd())),
    );
    r.native(format!("_VIGIL_REGISTER_PID={worker}\n_SYSTEMD_UNIT=worker.service\n_SYSTEMD_INVOCATION_ID={INVOCATION}\n").as_bytes());

    // 4. A registration from someone who is not the manager is ignored:
    // it claims this very process for evil.service.
    let evil = fork_datagram(
        &r.sock("socket"),
        format!("_VIGIL_REGISTER_PID={me}\n_SYSTEMD_UNIT=evil.service\n").into_bytes(),
        None,
    );
    assert_eq!(wait_child(evil), 0);
    r.native(b"MESSAGE=marker after registrations\nSYSLOG_IDENTIFIER=test\n");
    r.wait_stored(7, Duration::from_secs(30));
    drop(go_wr);
    drop(go_rd);
    assert_eq!(wait_child(worker), 0);

    // 5. Native: text and binary fields, two entries in one datagram, a
    // trusted field the client may not set, and OBJECT_PID from root.
    let mut d =
        b"MESSAGE=native one\nSYSLOG_IDENTIFIER=nat\nFOO=bar\n_PID=5\nPRIORITY=4\n".to_vec();
    d.extend(binary_field("BIN", b"a\0b"));
    d.extend_from_slice(b"\nMESSAGE=native two\nSYSLOG_IDENTIFIER=nat\nFOO=baz\n");
    r.native(&d);

    // 6. A large entry in a sealed memfd.
    let big = "m".repeat(300 * 1024);
    r.native_memfd(format!("MESSAGE={big}\nSYSLOG_IDENTIFIER=memfd\n").as_bytes());

    // 7. Syslog: RFC 3164 and RFC 5424 (which journald keeps raw).
    r.syslog(b"<29>Nov  5 01:02:03 sysl[77]: three one six four");
    r.syslog(b"<165>1 2003-10-11T22:14:15.003Z host app 77 ID47 - five four two four");

    let total = 8 + 2 + 1 + 2;
    r.wait_stored(total, Duration::from_secs(30));
    assert!(r.stop().success(), "journald stderr:\n{}", r.stderr());
    assert!(
        r.stderr().contains("not the manager"),
        "stderr: {}",
        r.stderr()
    );

    let dir = r.journal_dir();
    let all = entries(&dir, &[]);
    assert_eq!(all.len() as u64, total);

    let e = by_message(&all, "failed hard");
    assert_eq!(field(e, "PRIORITY"), Some("3"));
    assert_eq!(field(e, "SYSLOG_FACILITY"), Some("3"));
    assert_eq!(field(e, "SYSLOG_IDENTIFIER"), Some("webd"));
    assert_eq!(field(e, "_SYSTEMD_UNIT"), Some("web.service"));
    assert_eq!(field(e, "_SYSTEMD_INVOCATION_ID"), Some(INVOCATION));
    assert_eq!(field(e, "_TRANSPORT"), Some("stdout"));
    assert_eq!(field(e, "_PID"), Some(me.as_str()));
    assert_eq!(field(e, "_MACHINE_ID"), Some(MACHINE_ID));
    assert!(field(e, "_STREAM_ID").is_some_and(|s| s.len() == 32));
    assert!(
        field(e, "_COMM").is_some() && field(e, "_EXE").is_some() && field(e, "_CMDLINE").is_some()
    );
    // Invalid UTF-8 is kept, as bytes.
    assert!(all
        .iter()
        .any(|e| e.get("MESSAGE").is_some_and(|m| m.is_array())));

    let e = by_message(&all, "from the service");
    assert_eq!(field(e, "_SYSTEMD_UNIT"), Some("svc.service"));
    assert_eq!(field(e, "_SYSTEMD_INVOCATION_ID"), Some(INVOCATION));
    assert_eq!(field(e, "_PID"), Some(service.to_string().as_str()), "_PID is the writer, not the manager");
    assert_eq!(field(e, "_LINE_BREAK"), None);

    let e = by_message(&all, "i am not web");
    assert_eq!(
        field(e, "_SYSTEMD_UNIT"),
        None,
        "an untrusted header must not name the unit"
    );
    assert_eq!(field(e, "_PID"), Some(liar.to_string().as_str()));

    let e = by_message(&all, "registered hello");
    assert_eq!(field(e, "_SYSTEMD_UNIT"), Some("worker.service"));
    assert_eq!(field(e, "_SYSTEMD_INVOCATION_ID"), Some(INVOCATION));
    assert_eq!(field(e, "SYSLOG_IDENTIFIER"), Some("worker"));
    assert_eq!(field(e, "SYSLOG_PID"), Some("42"));
    assert_eq!(field(e, "_PID"), Some(worker.to_string().as_str()));

    let e = by_message(&all, "marker after registrations");
    assert_eq!(
        field(e, "_SYSTEMD_UNIT"),
        None,
        "a registration from a non-manager must be ignored"
    );
    assert!(!all
        .iter()
        .any(|e| e.keys().any(|k| k.starts_with("_VIGIL"))));

    let e = by_message(&all, "native one");
    assert_eq!(field(e, "FOO"), Some("bar"));
    assert_eq!(field(e, "PRIORITY"), Some("4"));
    assert_eq!(
        field(e, "_PID"),
        Some(me.as_str()),
        "clients cannot set trusted fields"
    );
    assert_eq!(field(e, "_TRANSPORT"), Some("journal"));
    assert_eq!(e.get("BIN"), Some(&serde_json::json!([97, 0, 98])));
    assert_eq!(field(by_message(&all, "native two"), "FOO"), Some("baz"));
    assert_eq!(
        field(by_message(&all, &big), "SYSLOG_IDENTIFIER"),
        Some("memfd")
    );

    let e = by_message(&all, "three one six four");
    assert_eq!(field(e, "PRIORITY"), Some("5"));
    assert_eq!(field(e, "SYSLOG_FACILITY"), Some("3"));
    assert_eq!(field(e, "SYSLOG_TIMESTAMP"), Some("Nov  5 01:02:03 "));
    assert_eq!(field(e, "_TRANSPORT"), Some("syslog"));
    let e = by_message(
        &all,
        "1 2003-10-11T22:14:15.003Z host app 77 ID47 - five four two four",
    );
    assert_eq!(field(e, "SYSLOG_FACILITY"), Some("20"));
    assert!(field(e, "SYSLOG_RAW").is_some_and(|r| r.starts_with("<165>1 ")));

    // The real journalctl verifies the files and reads them exactly as ours does.
    let d = dir.to_str().unwrap();
    let v = real(&["--verify", "-D", d]);
    assert!(
        v.status.success(),
        "journalctl --verify: {}",
        String::from_utf8_lossy(&v.stderr)
    );
    let export = same(&["-D", d, "-o", "export"]);
    assert!(!export.is_empty());

    let first = all
        .iter()
        .filter_map(|e| field(e, "__REALTIME_TIMESTAMP"))
        .min()
        .unwrap()
        .to_string();
    let since = format!("@{}", first.parse::<u64>().unwrap() / 1_000_000);
    let until = format!("@{}", first.parse::<u64>().unwrap() / 1_000_000 + 3600);
    for args in [
        vec!["-o", "short"],
        vec!["-o", "cat"],
        vec!["-o", "verbose"],
        vec!["-o", "short-precise"],
        vec!["-o", "short-iso"],
        vec!["-o", "short-monotonic"],
        vec!["-o", "with-unit"],
        vec!["-u", "web.service"],
        vec!["-u", "web"],
        vec!["-u", "w*", "-o", "cat"],
        vec!["-u", "nothing.service"],
        vec!["-u", "nothing*"],
        vec!["-t", "nat", "-o", "verbose"],
        vec!["-t", "nat", "-t", "sysl"],
        vec!["-p", "err"],
        vec!["-p", "warning..notice", "-o", "cat"],
        vec!["-p", "0..7", "-n", "3"],
        vec!["-n", "3"],
        vec!["-n", "0"],
        vec!["-r"],
        vec!["-r", "-n", "2", "-o", "cat"],
        vec!["--since", &since, "-n", "2"],
        vec!["--until", &until, "-r", "-n", "2"],
        vec!["--since", "2099-01-01"],
        vec!["--since", "today", "-n", "2"],
        vec!["--since", "yesterday", "--until", "now", "-o", "cat"],
        vec!["--since", "-10y", "--until", "+1d", "-n", "1"],
        vec!["--until", "tomorrow", "-n", "1"],
        vec!["--since", "1 hour ago", "-n", "1"],
        vec!["--until", "2001-01-01 00:00:00"],
        vec!["_TRANSPORT=syslog", "+", "FOO=baz", "-o", "cat"],
        vec!["-g", "native", "-o", "cat"],
        vec!["-g", "NOTHING"],
        vec!["-n", "1", "--show-cursor"],
        vec!["--list-boots"],
        vec!["--disk-usage"],
        vec!["-o", "export", "--output-fields=MESSAGE,FOO"],
    ] {
        let mut a = vec!["-D", d];
        a.extend(args);
        same(&a);
    }
    // JSON members come in hash order in the real journalctl: compare as data.
    for extra in [
        vec![],
        vec!["-u", "web.service"],
        vec!["--output-fields=MESSAGE,_PID"],
    ] {
        let mut a = vec!["-D", d, "-o", "json"];
        a.extend(extra);
        let (rj, oj) = (real(&a), ours(&a));
        assert_eq!(
            json_entries(&rj.stdout),
            json_entries(&oj.stdout),
            "json differs for {a:?}"
        );
    }
    // --root finds the same files.
    let root = format!("--root={}", r.path.display());
    let o = ours(&[&root, "-o", "export"]);
    assert_eq!(o.stdout, export);
}

#[test]
fn journal_user_daemon_writes_user_files_that_journalctl_user_reads() {
    let mut r = JournalRoot::new("userjd", None);
    r.start_with(&["--user"]);
    let uid = nix::unistd::getuid().as_raw();
    let sock = r.path.join(format!("run/vigil/user-{uid}/journal/socket"));
    let s = std::os::unix::net::UnixDatagram::unbound().unwrap();
    s.send_to(b"MESSAGE=hello from the user journal\n", &sock).unwrap();
    let file = r.path.join(format!("run/log/journal/{MACHINE_ID}/user-{uid}.journal"));
    let ok = wait_until(Duration::from_secs(30), || {
        journal::JournalFile::open(&file).is_ok_and(|f| f.header().n_entries == 1)
    });
    assert!(ok, "no user journal at {}: {}", file.display(), r.stderr());
    assert!(r.stop().success());
    let root = format!("--root={}", r.path.display());
    let o = ours(&[&root, "--user", "-o", "cat"]);
    assert_eq!(o.stdout, b"hello from the user journal\n");
    let e = entries(&r.journal_dir(), &[]);
    assert_eq!(field(&e[0], "_RUNTIME_SCOPE"), Some("user"));
}
