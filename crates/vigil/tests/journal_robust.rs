//! The journal daemon under abuse: `kill -9` in the middle of a burst
//! (files stay readable, the next start continues in a new file), hostile
//! datagrams and stream headers (never fatal), rotation and vacuuming by
//! size (archived files named like journald's, all readable).

mod journal_support;

use std::io::Write;
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::time::Duration;

use journal_support::*;

#[test]
fn journal_kill9_mid_burst_leaves_readable_files_and_restart_continues() {
    let mut r = JournalRoot::new("kill9", Some("[Journal]\nRateLimitBurst=0\n"));
    r.start();
    let mut data = header("burst", "", "6", false);
    for n in 0..200_000 {
        data.extend_from_slice(format!("burst line {n}\n").as_bytes());
    }
    let writer = fork_stream_writer(&r.sock("stdout"), data);
    r.wait_stored(2_000, Duration::from_secs(60));
    r.kill9();
    // The writer sees the connection drop; either way it ends.
    let _ = wait_child(writer);
    let before = r.stored();
    assert!(before >= 2_000);

    let d = r.journal_dir();
    let d = d.to_str().unwrap();
    let live = real(&["-D", d, "-o", "export"]);
    assert!(
        live.status.success(),
        "real journalctl: {}",
        String::from_utf8_lossy(&live.stderr)
    );
    assert!(
        live.stderr.is_empty(),
        "real journalctl: {}",
        String::from_utf8_lossy(&live.stderr)
    );
    let ours_out = ours(&["-D", d, "-o", "export"]);
    assert!(ours_out.status.success());
    assert_eq!(live.stdout, ours_out.stdout);
    same(&["-D", d, "-n", "5"]);

    // Restart: the dirty file is set aside (still readable), a new one
    // continues the sequence numbers.
    r.start();
    r.native(b"MESSAGE=after the crash\n");
    r.wait_stored(before + 1, Duration::from_secs(30));
    assert!(r.stop().success());
    let files = journal_files(&r.journal_dir());
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().ends_with(".journal~")),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.file_name().unwrap() == "system.journal"),
        "{files:?}"
    );
    let all = entries(&r.journal_dir(), &[]);
    assert_eq!(all.len() as u64, before + 1);
    assert_eq!(
        field(all.last().unwrap(), "MESSAGE"),
        Some("after the crash")
    );
    same(&["-D", d, "-o", "export"]);
    same(&["-D", d, "-r", "-n", "3", "-o", "short-precise"]);
}

/// Datagrams still queued when SIGTERM arrives are all stored, however
/// deep the queue: systemd as PID 1 raises `net.unix.max_dgram_qlen` to
/// 512, and a journal that read one batch of 64 at exit lost the rest
/// (the manager's last ~70 stop lines after a stop-all on a host where
/// the bench kit's systemd had booted). The journal is stopped while the
/// datagrams queue up, then sees SIGTERM and the queue in one wake-up.
#[test]
fn journal_at_sigterm_stores_a_datagram_queue_deeper_than_one_batch() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root (a network namespace of its own for max_dgram_qlen)");
        return;
    }
    const SENDERS: usize = 5;
    const EACH: usize = 60;
    let mut r = JournalRoot::new("qlen", Some("[Journal]\nRateLimitBurst=0\n"));
    r.start_with_qlen(512);
    let pid = r.pid();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    // Several senders: each one's send buffer holds only so many.
    let senders: Vec<UnixDatagram> = (0..SENDERS)
        .map(|_| {
            let s = UnixDatagram::unbound().unwrap();
            s.connect(r.sock("socket")).unwrap();
            s.set_nonblocking(true).unwrap();
            s
        })
        .collect();
    for i in 0..SENDERS * EACH {
        let msg = format!("MESSAGE=queued {i}\nSYSLOG_IDENTIFIER=qlen\n");
        senders[i % SENDERS]
            .send(msg.as_bytes())
            .unwrap_or_else(|e| panic!("datagram {i} not queued: {e}"));
    }
    // SAFETY: as above.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
        libc::kill(pid, libc::SIGCONT);
    }
    let status = r.daemon.take().unwrap().wait().unwrap();
    assert!(status.success(), "{status:?}; stderr:\n{}", r.stderr());
    let stored: Vec<String> = entries(&r.journal_dir(), &["SYSLOG_IDENTIFIER=qlen"])
        .iter()
        .filter_map(|e| field(e, "MESSAGE").map(str::to_string))
        .collect();
    let want: Vec<String> = (0..SENDERS * EACH).map(|i| format!("queued {i}")).collect();
    let mut sorted = stored.clone();
    sorted.sort_by_key(|m| m[7..].parse::<usize>().unwrap_or(usize::MAX));
    assert_eq!(sorted, want, "{} of {} stored", stored.len(), want.len());
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = (self.next() % max as u64) as usize;
        let alphabet = b"\n\0=<>[]: _ABCZ019az\xff\xc3\x28";
        (0..n)
            .map(|_| {
                if self.next().is_multiple_of(3) {
                    alphabet[(self.next() % alphabet.len() as u64) as usize]
                } else {
                    self.next() as u8
                }
            })
            .collect()
    }
}

#[test]
fn journal_random_input_never_kills_the_daemon() {
    let mut r = JournalRoot::new("fuzz", Some("[Journal]\nRateLimitBurst=0\n"));
    r.start();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let dg = UnixDatagram::unbound().unwrap();
    for round in 0..400 {
        let mut payload = rng.bytes(600);
        match round % 4 {
            // Native-looking: fields with wrong lengths.
            0 => {
                payload.splice(0..0, b"MESSAGE=x\nBIN\n".iter().copied());
            }
            1 => payload.splice(0..0, b"<".iter().copied()).for_each(drop),
            _ => {}
        }
        let _ = dg.send_to(&payload, r.sock("socket"));
        let _ = dg.send_to(&payload, r.sock("dev-log"));
        if round % 8 == 0 {
            if let Ok(mut s) = UnixStream::connect(r.sock("stdout")) {
                let mut h = if round % 16 == 0 {
                    header("f", "x.service", "6", true)
                } else {
                    Vec::new()
                };
                h.extend(rng.bytes(2000));
                let _ = s.write_all(&h);
            }
        }
    }
    // Descriptors passed to the native socket that are not files.
    {
        use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags, UnixAddr};
        let (a, _b) = UnixStream::pair().unwrap();
        let addr = UnixAddr::new(&r.sock("socket")).unwrap();
        let fds = [std::os::fd::AsRawFd::as_raw_fd(&a)];
        let _ = sendmsg(
            std::os::fd::AsRawFd::as_raw_fd(&dg),
            &[],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::empty(),
            Some(&addr),
        );
    }
    r.native(b"MESSAGE=the end of the fuzz\nSYSLOG_IDENTIFIER=fuzz-end\n");
    let ok = wait_until(Duration::from_secs(60), || {
        let o = ours(&[
            "-D",
            r.journal_dir().to_str().unwrap(),
            "-t",
            "fuzz-end",
            "-o",
            "cat",
        ]);
        o.stdout == b"the end of the fuzz\n"
    });
    assert!(
        ok,
        "the last message never arrived; stderr:\n{}",
        r.stderr()
    );
    assert!(r.alive(), "journald died: {}", r.stderr());
    assert!(r.stop().success());
    let d = r.journal_dir();
    let d = d.to_str().unwrap();
    let v = real(&["--verify", "-D", d]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    same(&["-D", d, "-o", "export"]);
    same(&["-D", d, "-o", "short"]);
    same(&["-D", d, "-o", "verbose"]);
}

#[test]
fn journal_rotation_and_vacuum_keep_files_readable() {
    // Storage=auto with ROOT/var/log/journal present: persistent, so the
    // System* limits apply (Runtime* ones only to /run).
    let mut r = JournalRoot::new(
        "rotate",
        Some("[Journal]\nRateLimitBurst=0\nSystemMaxFileSize=1M\nSystemMaxUse=3M\nRuntimeMaxFileSize=64M\n"),
    );
    std::fs::create_dir_all(r.path.join("var/log/journal")).unwrap();
    r.start();
    let mut s = r.stream("rot", "", "6", false);
    for n in 0..12_000 {
        s.write_all(format!("rotation line {n} {}\n", "p".repeat(60)).as_bytes())
            .unwrap();
    }
    drop(s);
    // Wait until the last line is stored (in whatever file it went).
    let ok = wait_until(Duration::from_secs(120), || {
        let o = ours(&[
            "-D",
            r.journal_dir().to_str().unwrap(),
            "-n",
            "1",
            "-o",
            "cat",
        ]);
        o.stdout.starts_with(b"rotation line 11999 ")
    });
    assert!(ok, "stderr: {}", r.stderr());
    assert!(r.stop().success());
    assert!(!r.path.join("run/log/journal").exists(), "persistent storage must not use /run");
    let files = journal_files(&r.machine_dir());
    let archived: Vec<_> = files
        .iter()
        .filter(|f| {
            let n = f.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("system@") && n.ends_with(".journal")
        })
        .collect();
    assert!(!archived.is_empty(), "no rotation happened: {files:?}");
    // journald's archive name: system@SEQNUMID-HEADSEQ-HEADREALTIME.journal
    let name = archived[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let parts: Vec<&str> = name["system@".len()..name.len() - ".journal".len()]
        .split('-')
        .collect();
    assert_eq!(parts.len(), 3, "{name}");
    assert_eq!(
        (parts[0].len(), parts[1].len(), parts[2].len()),
        (32, 16, 16),
        "{name}"
    );
    // Vacuumed to fit RuntimeMaxUse: the oldest lines are gone.
    let use_bytes: u64 = files
        .iter()
        .map(|f| std::os::unix::fs::MetadataExt::blocks(&std::fs::metadata(f).unwrap()) * 512)
        .sum();
    assert!(
        use_bytes <= 3 * 1024 * 1024 + 1024 * 1024,
        "journal uses {use_bytes} bytes"
    );
    let d = r.journal_dir();
    let d = d.to_str().unwrap();
    let v = real(&["--verify", "-D", d]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    same(&["-D", d, "-o", "export"]);
    same(&["-D", d, "-n", "20"]);
    same(&["-D", d, "--disk-usage"]);

    // journalctl's own vacuuming, on copies: same report, same files left.
    let vacuum = |arg: &str| -> Vec<String> {
        let a = format!("{}-a", r.path.display());
        let b = format!("{}-b", r.path.display());
        for c in [&a, &b] {
            let _ = std::fs::remove_dir_all(c);
            assert!(std::process::Command::new("cp")
                .args(["-a", d, c])
                .status()
                .unwrap()
                .success());
        }
        let ra = real(&["-D", &a, arg]);
        let ob = ours(&["-D", &b, arg]);
        // journalctl visits the directories in hash order: compare the
        // lines as a set.
        let norm = |s: &[u8], p: &str| {
            let mut v: Vec<String> = String::from_utf8_lossy(s)
                .replace(p, "DIR")
                .lines()
                .map(str::to_string)
                .collect();
            v.sort();
            v
        };
        assert_eq!(norm(&ra.stderr, &a), norm(&ob.stderr, &b), "{arg}");
        assert_eq!(ra.status.code(), ob.status.code(), "{arg}");
        let names = |p: &str| {
            let mut v: Vec<String> = journal_files(std::path::Path::new(p))
                .iter()
                .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names(&a), names(&b), "{arg}");
        let left = names(&a);
        let _ = std::fs::remove_dir_all(&a);
        let _ = std::fs::remove_dir_all(&b);
        left
    };
    let archived = files.len() - 1;
    assert!(archived >= 2, "{files:?}");
    // The count includes the active file, as journald's vacuum counts it.
    assert_eq!(vacuum("--vacuum-files=1"), vec!["system.journal".to_string()]);
    assert_eq!(vacuum("--vacuum-files=2").len(), 2);
    assert_eq!(vacuum("--vacuum-files=100").len(), files.len());
    // Nothing is an hour old; everything archived is older than 1 µs.
    assert_eq!(vacuum("--vacuum-time=1h").len(), files.len());
    assert_eq!(vacuum("--vacuum-time=1us"), vec!["system.journal".to_string()]);
    assert_eq!(vacuum("--vacuum-size=1"), vec!["system.journal".to_string()]);
}
