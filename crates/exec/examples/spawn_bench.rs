//! Spawn cost, comparable with `shared/bench/spawnfloor.c`:
//!
//! - `true_seq`: spawn `/bin/true`, wait for its exit, N times in a row
//!   (spawnfloor's `true_seq`: fork + exec + waitpid);
//! - `sleep_spawn`: spawn N `/bin/sleep 1000` without waiting, then
//!   `sleep_kill+reap`: signal each through its pidfd and reap them all;
//! - `sleep_spawn_nowait`: the same N sleepers with `spawn_nowait`, all
//!   forks first and the exec reports collected afterwards;
//! - `true_seq_full`: like `true_seq` with a service-like plan (own
//!   session, limits, OOM score, umask, stdio to /dev/null, and as root a
//!   switch to `nobody` with a reduced bounding set) to show the cost of
//!   the setup steps.
//!
//! Run: `cargo run --release --example spawn_bench -p vigil-exec [N]`

use std::time::Instant;

use exec::{spawn, spawn_nowait, ExecPlan, PreparedPlan, Resource, Rlimit, Stdio};

fn wait(pid: i32) {
    let mut status = 0;
    // SAFETY: waiting for our own child; the bench owns all its children.
    unsafe { libc::waitpid(pid, &mut status, 0) };
}

fn true_seq(plan: &PreparedPlan, n: usize) -> f64 {
    let t0 = Instant::now();
    for _ in 0..n {
        match spawn(plan) {
            Ok(child) => wait(child.pid),
            Err(e) => {
                eprintln!("spawn failed: {e}");
                std::process::exit(1);
            }
        }
    }
    t0.elapsed().as_secs_f64() / n as f64 * 1e6
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);

    let mut plain = ExecPlan::new("/bin/true");
    plain.stdout = Stdio::Null;
    plain.stderr = Stdio::Null;
    let plain = plain.prepare().unwrap_or_else(|e| panic!("prepare: {e}"));

    let mut full = ExecPlan::new("/bin/true");
    full.stdout = Stdio::Null;
    full.stderr = Stdio::Null;
    full.umask = 0o027;
    full.oom_score_adjust = Some(100);
    full.rlimits = vec![Rlimit {
        resource: Resource::Nofile,
        soft: 1024,
        hard: 4096,
    }];
    full.environment = vec!["PATH=/usr/bin:/bin".into(), "LANG=C.UTF-8".into()];
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        full.user = Some("nobody".into());
        full.capability_bounding_set = Some(1 << 10);
        full.no_new_privileges = true;
    }
    let full = full.prepare().unwrap_or_else(|e| panic!("prepare: {e}"));

    // Warm up page cache and the dynamic loader.
    true_seq(&plain, 20);

    let seq = true_seq(&plain, n);
    let seq_full = true_seq(&full, n);

    let mut sleeper = ExecPlan::new("/bin/sleep").args(["1000"]);
    sleeper.stdout = Stdio::Null;
    sleeper.stderr = Stdio::Null;
    let sleeper = sleeper.prepare().unwrap_or_else(|e| panic!("prepare: {e}"));
    let t0 = Instant::now();
    let children: Vec<_> = (0..n).filter_map(|_| spawn(&sleeper).ok()).collect();
    let t1 = Instant::now();
    for c in &children {
        let _ = c.signal(libc::SIGTERM);
    }
    for c in &children {
        wait(c.pid);
    }
    let t2 = Instant::now();
    assert_eq!(children.len(), n, "some sleepers failed to spawn");

    // The non-blocking form: fork everything first, collect the exec
    // reports afterwards, so the children's setup overlaps the forking.
    let t3 = Instant::now();
    let pending: Vec<_> = (0..n).filter_map(|_| spawn_nowait(&sleeper).ok()).collect();
    let children2: Vec<_> = pending
        .into_iter()
        .filter_map(|p| p.finish().ok())
        .collect();
    let t4 = Instant::now();
    for c in &children2 {
        let _ = c.signal(libc::SIGTERM);
    }
    for c in &children2 {
        wait(c.pid);
    }
    assert_eq!(children2.len(), n, "some sleepers failed to spawn");

    let per = |d: std::time::Duration| d.as_secs_f64() / n as f64 * 1e6;
    println!(
        "vigil-exec   true_seq={seq:.1}us/proc true_seq_full={seq_full:.1}us/proc sleep_spawn={:.1}us/proc sleep_kill+reap={:.1}us/proc sleep_spawn_nowait={:.1}us/proc (n={n})",
        per(t1 - t0),
        per(t2 - t1),
        per(t4 - t3),
    );
}
