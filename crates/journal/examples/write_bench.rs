//! Write throughput: appends service-log-like entries (9 fields, 50 units,
//! mostly repeated values, a unique MESSAGE each) and reports entries/s.
//!
//! ```text
//! cargo run --release -p vigil-journal --example write_bench -- [ENTRIES] [DIR]
//! ```

use std::time::Instant;

use journal::{EntryFields, Error, Id128, JournalWriter, WriterOptions};

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let dir = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!("write-bench-{}.journal", std::process::id()));
    let machine = Id128::random()?;
    let boot = Id128::random()?;
    let (boot_hex, machine_hex) = (boot.to_hex(), machine.to_hex());
    let mut w = JournalWriter::create(
        &path,
        machine,
        boot,
        Id128::random()?,
        &WriterOptions::default(),
    )?;
    let mut rotations = 0;
    let mut bytes = 0u64;
    let start = Instant::now();
    for i in 0..n {
        let unit = i % 50;
        let message = format!("unit {unit} handled request {i} in {} ms", i % 997);
        let unit_name = format!("u{unit}.service");
        let ident = format!("u{unit}");
        let pid = (1000 + unit).to_string();
        let priority = (i % 8).to_string();
        let fields: [(&str, &[u8]); 9] = [
            ("MESSAGE", message.as_bytes()),
            ("PRIORITY", priority.as_bytes()),
            ("_SYSTEMD_UNIT", unit_name.as_bytes()),
            ("SYSLOG_IDENTIFIER", ident.as_bytes()),
            ("_PID", pid.as_bytes()),
            ("_BOOT_ID", boot_hex.as_bytes()),
            ("_MACHINE_ID", machine_hex.as_bytes()),
            ("_HOSTNAME", b"benchhost"),
            ("_TRANSPORT", b"stdout"),
        ];
        let entry = EntryFields {
            realtime_usec: 1_700_000_000_000_000 + i,
            monotonic_usec: 1_000_000 + i,
            boot_id: boot,
            fields: &fields,
        };
        match w.append(&entry) {
            Ok(_) => {}
            Err(Error::Full { .. }) => {
                bytes += w.size();
                let (next, archived) = w.rotate()?;
                std::fs::remove_file(archived).ok();
                w = next;
                rotations += 1;
                w.append(&entry)?;
            }
            Err(e) => return Err(e),
        }
    }
    bytes += w.size();
    w.close()?;
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{n} entries in {elapsed:.2} s: {:.0} entries/s, {:.1} MB written, {rotations} rotations",
        n as f64 / elapsed,
        bytes as f64 / 1e6
    );
    std::fs::remove_file(&path).ok();
    Ok(())
}
