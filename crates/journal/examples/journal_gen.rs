//! Generates a large journal for the `journalctl -u X -n 100` benchmark
//! (bench/journal.py, issue 5): ENTRIES service-log entries over UNITS
//! units, written through [`JournalWriter`] directly (no daemon), in
//! `THREADS` files written in parallel (each rotated at the default
//! 128 MiB, archived files kept), into DIR.
//!
//! ```text
//! cargo run --release -p vigil-journal --example journal_gen -- DIR [ENTRIES] [UNITS] [THREADS]
//! ```
//!
//! The shape is a system journal's: each entry has the fields journald
//! gives a line of service output (`_SYSTEMD_UNIT=`, `_PID`, `_COMM`,
//! `_SYSTEMD_CGROUP`, `_SYSTEMD_INVOCATION_ID`, `_TRANSPORT=stdout`, …)
//! and a unique `MESSAGE`. Units are picked by a fixed pseudo-random
//! sequence with a skew (unit k about twice as often as unit 2k), so
//! one unit's entries are spread over the whole time range, as they are
//! in a real journal — a per-unit query that scans instead of using the
//! per-value entry lists is slow here. Also: `rare.service` with 100
//! entries spread over the range, and one PID 1 "Started …" message
//! (`UNIT=`, `_PID=1`) per 1000 entries. Entries of the files interleave
//! in time (file t holds entries t, t + THREADS, …) over the last 7 days.
//!
//! Entries are appended in batches of 256 (`JournalWriter::begin_batch`),
//! as the journal daemon appends the lines it has ready;
//! `JOURNAL_GEN_BATCH=1` appends one at a time (for A/B measurements).
//!
//! Prints one line: entries, files, bytes, seconds.

use std::path::PathBuf;
use std::time::Instant;

use journal::{EntryFields, Error, Id128, JournalWriter, WriterOptions};

const SPAN_USEC: u64 = 7 * 24 * 3600 * 1_000_000;

/// A small fixed PRNG (xorshift64*), so every run generates the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

struct Plan {
    dir: PathBuf,
    entries: u64,
    units: u64,
    threads: u64,
    machine: Id128,
    boot: Id128,
    start_realtime: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: journal_gen DIR [ENTRIES] [UNITS] [THREADS]");
        std::process::exit(2);
    };
    let num = |a: Option<String>, d: u64| a.and_then(|a| a.parse().ok()).unwrap_or(d);
    let entries = num(args.next(), 10_000_000);
    let units = num(args.next(), 1000).max(1);
    let threads = num(args.next(), 2).max(1);
    std::fs::create_dir_all(&dir)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    let plan = Plan {
        dir,
        entries,
        units,
        threads,
        machine: Id128::random()?,
        boot: Id128::random()?,
        start_realtime: now - SPAN_USEC,
    };
    let started = Instant::now();
    let results: Vec<Result<(u64, u64), Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let plan = &plan;
                s.spawn(move || write_file(plan, t))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer thread panicked"))
            .collect()
    });
    let (mut files, mut bytes) = (0, 0);
    for r in results {
        let (f, b) = r?;
        files += f;
        bytes += b;
    }
    println!(
        "{entries} entries, {units} units, {files} files, {:.1} MB, {:.1} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Writes the entries `t, t + threads, …` into `gen-t.journal` and its
/// rotated predecessors. Returns (files, bytes).
fn write_file(plan: &Plan, t: u64) -> Result<(u64, u64), Error> {
    let path = plan.dir.join(format!("gen-{t}.journal"));
    let mut w = JournalWriter::create(&path, plan.machine, plan.boot, Id128::random()?, &WriterOptions::default())?;
    let (boot_hex, machine_hex) = (plan.boot.to_hex(), plan.machine.to_hex());
    let invocations: Vec<String> = (0..plan.units)
        .map(|_| Id128::random().map(|i| i.to_hex()))
        .collect::<Result<_, _>>()?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t + 1));
    let (mut files, mut bytes) = (1, 0);
    let step = (SPAN_USEC / plan.entries.max(1)).max(1);
    let rare_every = (plan.entries / 100).max(1);
    let batch = std::env::var("JOURNAL_GEN_BATCH")
        .ok()
        .and_then(|b| b.parse::<u64>().ok())
        .unwrap_or(256)
        .max(1);
    let mut i = t;
    while i < plan.entries {
        if batch > 1 && w.batched() == 0 {
            w.begin_batch();
        }
        let realtime = plan.start_realtime + i * step;
        let monotonic = 5_000_000 + i * step;
        let r = rng.next();
        // Skewed pick: a geometric-ish choice of range, then uniform in it.
        let span = plan.units >> (r % 4);
        let unit = (r >> 8) % span.max(1);
        let (name, pid, comm, ident);
        let message;
        let mut fields: Vec<(&str, &[u8])> = Vec::with_capacity(20);
        let prio = ((r >> 40) % 3 + 4).to_string();
        let manager_msg = i % 1000 == 999;
        if i % rare_every == rare_every / 2 {
            name = "rare.service".to_string();
            comm = "rare".to_string();
            pid = "4242".to_string();
            ident = comm.clone();
            message = format!("rare event {i}");
        } else {
            name = format!("svc{unit}.service");
            comm = format!("svc{unit}");
            pid = (10_000 + unit).to_string();
            ident = comm.clone();
            message = if manager_msg {
                format!("Started svc{unit}.service - Service {unit}.")
            } else {
                format!("svc{unit}: request {i} served in {} ms, status {}", (r >> 20) % 997, 200 + (r >> 30) % 5)
            };
        }
        let exe = format!("/usr/bin/{comm}");
        let cgroup = format!("/system.slice/{name}");
        fields.push(("MESSAGE", message.as_bytes()));
        fields.push(("PRIORITY", prio.as_bytes()));
        fields.push(("SYSLOG_FACILITY", b"3"));
        if manager_msg {
            fields.push(("SYSLOG_IDENTIFIER", b"systemd"));
            fields.push(("UNIT", name.as_bytes()));
            fields.push(("_PID", b"1"));
            fields.push(("_UID", b"0"));
            fields.push(("_GID", b"0"));
            fields.push(("_COMM", b"systemd"));
            fields.push(("_EXE", b"/usr/lib/systemd/systemd"));
            fields.push(("_SYSTEMD_CGROUP", b"/init.scope"));
            fields.push(("_SYSTEMD_UNIT", b"init.scope"));
            fields.push(("_SYSTEMD_SLICE", b"-.slice"));
            fields.push(("_TRANSPORT", b"journal"));
        } else {
            let inv = invocations
                .get(unit as usize)
                .map_or(&b""[..], |s| s.as_bytes());
            fields.push(("SYSLOG_IDENTIFIER", ident.as_bytes()));
            fields.push(("_PID", pid.as_bytes()));
            fields.push(("_UID", b"0"));
            fields.push(("_GID", b"0"));
            fields.push(("_COMM", comm.as_bytes()));
            fields.push(("_EXE", exe.as_bytes()));
            fields.push(("_CMDLINE", exe.as_bytes()));
            fields.push(("_SYSTEMD_CGROUP", cgroup.as_bytes()));
            fields.push(("_SYSTEMD_UNIT", name.as_bytes()));
            fields.push(("_SYSTEMD_SLICE", b"system.slice"));
            fields.push(("_SYSTEMD_INVOCATION_ID", inv));
            fields.push(("_TRANSPORT", b"stdout"));
        }
        fields.push(("_BOOT_ID", boot_hex.as_bytes()));
        fields.push(("_MACHINE_ID", machine_hex.as_bytes()));
        fields.push(("_HOSTNAME", b"benchhost"));
        let entry = EntryFields {
            realtime_usec: realtime,
            monotonic_usec: monotonic,
            boot_id: plan.boot,
            fields: &fields,
        };
        // `Full`: the entry did not fit and goes into the next file;
        // `rotate_suggested`: it is in, but the hash tables are crowded.
        let (rotate, pending) = match w.append(&entry) {
            Ok(_) => (w.rotate_suggested(), false),
            Err(Error::Full { .. }) => (true, true),
            Err(e) => return Err(e),
        };
        if rotate {
            bytes += w.size();
            w = w.rotate()?.0;
            files += 1;
            if pending {
                w.append(&entry)?;
            }
        }
        if w.batched() >= batch {
            w.commit()?;
        }
        i += plan.threads;
    }
    bytes += w.size();
    w.close()?;
    Ok((files, bytes))
}
