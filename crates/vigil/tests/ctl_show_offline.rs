//! `vigil show --offline UNIT`: the fully parsed unit, by systemd's
//! property names, without a manager — checked on Debian's redis unit.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

#[test]
fn show_offline_prints_the_parsed_unit_with_systemd_names() {
    let r = TestRoot::new("show-offline");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/corpus-root");
    assert!(Command::new(script).arg(&r.path).status().unwrap().success());
    let o = r.vigil(&["show", "--offline", "redis-server"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for line in [
        "Id=redis-server.service",
        "Names=redis-server.service redis.service",
        "Type=notify",
        "Restart=always",
        "User=redis",
        "Group=redis",
        // TimeoutStopSec=0 in the file means "no timeout".
        "TimeoutStopUSec=infinity",
        "TimeoutStartUSec=1min 30s",
        "UMask=0007",
        "PIDFile=/run/redis/redis-server.pid",
        "RuntimeDirectory=redis",
        "Requires=sysinit.target system.slice",
        "Wants=tmp.mount",
    ] {
        assert!(out.lines().any(|l| l == line), "missing {line:?} in:\n{out}");
    }
    assert!(
        out.lines().any(|l| l.starts_with("ExecStart={ path=/usr/bin/redis-server ; argv[]=/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd --daemonize no ;")),
        "{out}"
    );
    // No manager was needed or started.
    assert!(!r.control().exists());
    let o = r.vigil(&["show", "--offline", "-p", "Type", "--value", "ssh.service"]);
    assert_eq!(stdout(&o), "notify\n");
}
