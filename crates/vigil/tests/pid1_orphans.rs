//! Orphans under vigil as PID 1 (issue 7): 10,000 double-forked
//! grandchildren, each reparented to PID 1 while alive, are all reaped —
//! no zombie is left in the namespace, and the manager keeps working.
//!
//! The namespace is the one of `pid1_support` (the host's root under a
//! throw-away overlay). A oneshot service runs a small Perl program: for
//! each of N rounds it forks a child that forks a grandchild and exits at
//! once (in batches of 100, so the test does not crawl on a loaded
//! machine); the grandchild waits until it has been reparented, appends
//! its new parent's pid to a file, and exits. Every grandchild is then a
//! child of PID 1 that only PID 1 can reap.
//!
//! Also here, because it needs the same namespace: early boot on a bare
//! machine (a microVM: no `/run` mounted, `/proc/sys` writable).

mod common;
mod pid1_support;

use std::time::Duration;

use pid1_support::{unsupported, Namespace};

const N: usize = 10_000;

const ORPHANS_PL: &str = r#"use strict;
use POSIX ();
my ($n, $out) = @ARGV;
my $batch = 100;
for (my $done = 0; $done < $n; $done += $batch) {
    my @children;
    for (1 .. ($n - $done < $batch ? $n - $done : $batch)) {
        pipe(my $r, my $w) or die "pipe: $!";
        my $child = fork() // die "fork: $!";
        if ($child == 0) {
            my $parent = $$;
            my $grandchild = fork() // POSIX::_exit(1);
            if ($grandchild == 0) {
                # The child's exit closes the pipe; then wait for the
                # reparenting itself.
                close($w);
                sysread($r, my $buf, 1);
                select(undef, undef, undef, 0.001) while getppid() == $parent;
                open(my $fh, '>>', $out) or POSIX::_exit(1);
                syswrite($fh, getppid() . "\n");
                POSIX::_exit(0);
            }
            POSIX::_exit(0);
        }
        close($w);
        close($r);
        push @children, $child;
    }
    waitpid($_, 0) for @children;
}
"#;

fn kit() -> common::TestRoot {
    let kit = common::TestRoot::new("pid1-orphans-kit");
    let k = &kit.path;
    let write = |rel: &str, content: &str| {
        let p = k.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write kit file");
    };
    write("usr/local/lib/vigil-test/orphans.pl", ORPHANS_PL);
    write(
        "etc/systemd/system/orphans.target",
        "[Unit]\nDescription=orphans test\nDefaultDependencies=no\nWants=orphans.service\nAfter=orphans.service\n",
    );
    write(
        "etc/systemd/system/orphans.service",
        &format!(
            "[Unit]\nDescription=Make {N} orphans\nDefaultDependencies=no\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\n\
             ExecStart=/usr/bin/perl /usr/local/lib/vigil-test/orphans.pl {N} /var/tmp/orphans\n"
        ),
    );
    kit
}

/// Zombies among the namespace's processes, as `ps` would show them.
fn zombies(ns: &Namespace) -> Vec<String> {
    ns.processes()
        .into_iter()
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            let state = stat.rsplit(')').next()?.split_whitespace().next()?.to_string();
            (state == "Z").then(|| stat.trim().to_string())
        })
        .collect()
}

#[test]
fn ten_thousand_orphans_are_reaped_by_pid1() {
    if let Some(why) = unsupported() {
        eprintln!("skipping ten_thousand_orphans_are_reaped_by_pid1: {why}");
        return;
    }
    let kit = kit();
    let mut ns = Namespace::boot("orphans", "orphans.target", &kit.path);
    let done = common::wait_until(Duration::from_secs(150), || {
        ns.sh("systemctl is-active orphans.service").status.success()
            && ns.sh(&format!("test $(wc -l < /var/tmp/orphans) -ge {N}")).status.success()
    });
    let count = ns.sh("wc -l < /var/tmp/orphans");
    assert!(done, "not all {N} grandchildren reported (got {}); console:\n{}", common::stdout(&count).trim(), ns.console());
    // Every grandchild was reparented to PID 1 (vigil) before it exited.
    let parents = ns.ok("sort /var/tmp/orphans | uniq -c");
    assert_eq!(parents.split_whitespace().collect::<Vec<_>>(), [N.to_string().as_str(), "1"], "parents: {parents}");
    // ... and reaped by it.
    let mut left = Vec::new();
    let reaped = common::wait_until(Duration::from_secs(30), || {
        left = zombies(&ns);
        left.is_empty()
    });
    assert!(reaped, "{} zombies remain, e.g. {:?}", left.len(), left.first());
    // The manager is still serving.
    assert_eq!(ns.ok("systemctl is-active orphans.target"), "active");
    // /proc/sys is read-only here, as container runtimes mount it: the
    // datagram queue depth stays the namespace's, without a complaint
    // (boot.rs, step 1).
    assert!(!ns.console().contains("max_dgram_qlen"), "console:\n{}", ns.console());
    assert_eq!(ns.terminate(Duration::from_secs(30)), Some(0), "console:\n{}", ns.console());
    assert!(ns.processes().is_empty(), "processes of the namespace remain");
}

/// On a bare machine vigil mounts `/run` itself, and does so before it
/// makes its state directory and control socket there (a tmpfs mounted
/// afterwards would hide them: `systemctl` would find no manager); as
/// systemd does as PID 1, it raises the datagram queue depth of its
/// network namespace from the kernel's 10 to 512 before its first socket.
#[test]
fn a_bare_machine_gets_run_mounted_under_the_control_socket_and_deeper_datagram_queues() {
    if let Some(why) = unsupported() {
        eprintln!("skipping a_bare_machine_gets_run_mounted_under_the_control_socket_and_deeper_datagram_queues: {why}");
        return;
    }
    let kit = common::TestRoot::new("pid1-bare-kit");
    let units = kit.path.join("etc/systemd/system");
    std::fs::create_dir_all(&units).expect("mkdir");
    std::fs::write(units.join("up.target"), "[Unit]\nDescription=up\nDefaultDependencies=no\nWants=up.service\nAfter=up.service\n").expect("write");
    std::fs::write(
        units.join("up.service"),
        "[Unit]\nDefaultDependencies=no\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
    )
    .expect("write");
    // Boot::start waits for /run/vigil/control to be visible in the
    // namespace: it is not when /run is mounted over it.
    let mut ns = Namespace::boot_bare("bare", "up.target", &kit.path);
    assert_eq!(ns.ok("findmnt -n -o FSTYPE /run"), "tmpfs", "console:\n{}", ns.console());
    let up = common::wait_until(Duration::from_secs(30), || ns.sh("systemctl is-active up.target").status.success());
    assert!(up, "up.target never became active; console:\n{}", ns.console());
    assert_eq!(ns.ok("cat /proc/sys/net/unix/max_dgram_qlen"), "512", "console:\n{}", ns.console());
    assert_eq!(ns.terminate(Duration::from_secs(30)), Some(0), "console:\n{}", ns.console());
}
