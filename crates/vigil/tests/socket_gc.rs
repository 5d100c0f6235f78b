//! Unit garbage collection (`systemd.unit(5)`, `CollectMode=`): units that
//! are inactive, have no job, no process and no loaded unit needing them
//! are unloaded — above all the `Accept=yes` instances, one per
//! connection. Observed through the control protocol (`list-units --all`,
//! `show`), waiting by polling.

mod socket_support;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use socket_support::*;

/// The rows of `list-units --all`: unit name and active state.
fn loaded(s: &Sock) -> Vec<(String, String)> {
    let o = s.vigil(&["list-units", "--all", "--no-legend", "--plain"]);
    assert!(o.status.success(), "list-units: {}", stderr(&o));
    stdout(&o)
        .lines()
        .filter_map(|l| {
            // A failed unit's row starts with a "●".
            let mut w = l.split_whitespace().skip_while(|t| *t == "\u{25cf}");
            let name = w.next()?.to_string();
            let _load = w.next()?;
            Some((name, w.next()?.to_string()))
        })
        .collect()
}

fn wait_loaded(s: &Sock, what: &str, mut f: impl FnMut(&[(String, String)]) -> bool) -> Vec<(String, String)> {
    let mut last = Vec::new();
    let ok = wait_until(Duration::from_secs(20), || {
        last = loaded(s);
        f(&last)
    });
    assert!(ok, "{what}; last list-units: {last:#?}\nconsole:\n{}", s.console());
    last
}

/// One client: send a line, read the answer to EOF.
fn hello(port: u16) -> String {
    let mut c = TcpStream::connect(loopback(port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    c.write_all(b"hi\n").unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    read_all(&mut c)
}

#[test]
fn accept_instances_are_unloaded_and_the_unit_count_returns_to_baseline() {
    let port = free_port();
    let units = vec![
        ("echo.socket", format!("[Socket]\nListenStream=127.0.0.1:{port}\nAccept=yes\nTriggerLimitIntervalSec=0\n")),
        ("echo@.service", "[Service]\nExecStart=/bin/cat\nStandardInput=socket\n".to_string()),
    ];
    let s = Sock::with_manager("gc-accept", &units, &[]);
    s.start("echo.socket");
    // A first connection loads what every instance pulls in (its slice…).
    assert_eq!(hello(port), "hi\n");
    let is_instance = |n: &str| n.starts_with("echo@") && n != "echo@.service";
    let baseline = wait_loaded(&s, "the first instance is not unloaded", |l| !l.iter().any(|(n, _)| is_instance(n)));
    for i in 0..40 {
        assert_eq!(hello(port), "hi\n", "client {i}");
    }
    let after = wait_loaded(&s, "instances linger", |l| !l.iter().any(|(n, _)| is_instance(n)) && l.len() == baseline.len());
    assert_eq!(after, baseline);
    s.wait_prop("echo.socket", "NConnections", "0");
    assert_eq!(s.prop("echo.socket", "NAccepted"), "41");
    assert_eq!(s.prop("echo.socket", "ActiveState"), "active");
}

#[test]
fn live_connections_keep_their_instances_loaded() {
    let port = free_port();
    let units = vec![
        ("echo.socket", format!("[Socket]\nListenStream=127.0.0.1:{port}\nAccept=yes\n")),
        ("echo@.service", "[Service]\nExecStart=/bin/cat\nStandardInput=socket\nStandardOutput=socket\n".to_string()),
    ];
    let s = Sock::with_manager("gc-live", &units, &[]);
    s.start("echo.socket");
    let mut clients: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(loopback(port)).unwrap()).collect();
    s.wait_prop("echo.socket", "NConnections", "3");
    // Several turns of the event loop: the running instances stay.
    for _ in 0..3 {
        let l = loaded(&s);
        let running = l.iter().filter(|(n, a)| n.starts_with("echo@") && a == "active").count();
        assert_eq!(running, 3, "{l:#?}");
    }
    for c in &mut clients {
        c.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(read_all(c), "");
    }
    wait_loaded(&s, "instances linger after their connections closed", |l| !l.iter().any(|(n, _)| n.starts_with("echo@")));
}

#[test]
fn stopped_units_go_failed_ones_stay_unless_collect_mode_says_so() {
    let units = vec![
        ("ok.service", "[Service]\nType=oneshot\nExecStart=/bin/true\n".to_string()),
        ("bad.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n".to_string()),
        ("bad-gc.service", "[Unit]\nCollectMode=inactive-or-failed\n[Service]\nType=oneshot\nExecStart=/bin/false\n".to_string()),
        ("held.service", "[Service]\nExecStart=/bin/sleep 300\n".to_string()),
        ("needed.service", "[Service]\nType=oneshot\nExecStart=/bin/true\n".to_string()),
        ("holder.service", "[Unit]\nWants=needed.service\n[Service]\nExecStart=/bin/sleep 300\n".to_string()),
    ];
    let s = Sock::with_manager("gc-collect", &units, &[]);
    s.start("ok.service");
    assert!(!s.vigil(&["start", "bad.service"]).status.success());
    assert!(!s.vigil(&["start", "bad-gc.service"]).status.success());
    s.start("held.service");
    s.start("holder.service");
    let names = |l: &[(String, String)]| l.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    // needed.service (a oneshot the holder's start pulled in) may still be
    // running when the holder's start returns: wait for it to finish too —
    // if it were collected once inactive, it would never be seen so.
    let l = wait_loaded(&s, "ok.service and bad-gc.service are not unloaded, or needed.service is not kept inactive", |l| {
        let n = names(l);
        !n.contains(&"ok.service".to_string())
            && !n.contains(&"bad-gc.service".to_string())
            && l.iter().any(|(x, a)| x == "needed.service" && a == "inactive")
    });
    let has = |n: &str| l.iter().find(|(x, _)| x == n).map(|(_, a)| a.clone());
    assert_eq!(has("bad.service").as_deref(), Some("failed"), "a failed unit is kept (CollectMode=inactive)");
    assert_eq!(has("held.service").as_deref(), Some("active"));
    // needed.service ran and is inactive, but an active unit wants it.
    assert_eq!(has("needed.service").as_deref(), Some("inactive"), "{l:#?}");
    // Looking at an unloaded unit loads it afresh, inactive.
    assert_eq!(s.prop("ok.service", "ActiveState"), "inactive");
    // Stopping the holder lets both go; the failed one still stays.
    assert!(s.vigil(&["stop", "holder.service", "held.service"]).status.success());
    let l = wait_loaded(&s, "stopped units linger", |l| {
        let n = names(l);
        ["holder.service", "needed.service", "held.service", "ok.service"].iter().all(|u| !n.contains(&u.to_string()))
    });
    assert!(l.iter().any(|(n, a)| n == "bad.service" && a == "failed"), "{l:#?}");
}
