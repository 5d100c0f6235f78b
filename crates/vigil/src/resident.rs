//! Keep only the code a long-running process uses resident.
//!
//! When a process touches a page of a file mapping, the kernel maps the
//! pages around it too ("fault-around", 64 KiB by default), hoping they
//! will be used soon. That is right for a short-lived command, which saves
//! page faults, and wrong for the manager and its journal process, which
//! live for the machine's lifetime: each ends up with most of the binary's
//! 3.7 MB of code mapped, counted in its PSS, although it runs a fraction
//! of it (one binary holds every personality: systemctl, journalctl,
//! analyze, the manager, the journal).
//!
//! [`code_on_demand`] asks the kernel, for the binary's read-only mappings,
//! to map each page only when it is touched (`MADV_RANDOM`, which turns
//! fault-around off for the mapping, `madvise(2)`), and drops what start-up
//! already mapped of the code (`MADV_DONTNEED` on the executable mapping
//! and on the read-only segment before it — `.rodata`, `.eh_frame`, 384
//! KiB all resident in the journal process after boot: their pages are
//! clean copies of the file, and a dropped page that is used again is
//! faulted back in from the page cache). Writable mappings and
//! the read-only-after-relocation data are left alone: their pages may
//! hold the relocations and must not be dropped.
//!
//! Start-up itself runs much code that is not needed afterwards (argument
//! parsing, loading every unit file, building the boot transaction,
//! generators): [`drop_code`] drops the code pages once more when that is
//! over — the manager after its boot (and again a second later, for what
//! ran just after it, `daemon/event_loop.rs`), the journal after its first
//! quiet moment — and the pages the steady state runs come back one by one.
//! Serving a control request runs much code too (one `is-active` mapped
//! ~1.5 MB of the binary back into a manager of 1000 units, session 14),
//! and so does other work (twenty restarts: 1.3 MB, session 16): the
//! manager drops its code again a while after requests or other work
//! (`daemon/event_loop.rs`, `release_due`), and the journal after a whole
//! 10 s without input (`journald/server.rs`, `IDLE_CODE_USEC`).
//!
//! Measured with `bench/mem.sh 1000`: see BENCHMARKS.md (session 4).
//!
//! Caveat seen on kernel 6.18 (session 10, branch `pssj`): after the drop,
//! the journal process's code pages came back in whole 64 KiB-aligned runs
//! (96–152 pages, including code it never runs), as if `MADV_RANDOM` did not
//! turn fault-around off for these mappings. The drop still returns what
//! start-up mapped, but what the steady state maps back is larger than the
//! pages it runs, and where those runs fall moves with the load address:
//! the file part of the PSS varies between runs of the same binary.
//!
//! So the release build lays out its code for it (`scripts/link-hot`, the
//! linker of `.cargo/config.toml`): the functions the journal and the
//! manager run in their steady state come first in `.text`, packed, in
//! the order `crates/vigil/hot-code.txt` lists them (a callgrind profile,
//! `bench/hot_code.py`). What comes back after the drop is then one or two
//! 64 KiB runs per process instead of five to seven spread over the
//! binary: the code part of their PSS at 1000 units went from ~600 kB to
//! ~150 kB (`bench/mem.sh`).

/// Apply the advice to this process's mappings of its own executable.
/// Best effort: any failure leaves the mappings as they were.
pub fn code_on_demand() {
    advise(true);
}

/// Drop the code pages mapped so far (module docs): the manager after its
/// boot and whenever it has been idle a while after control requests
/// (`daemon/event_loop.rs`, `release_due`), the journal after 10 s without
/// input (`journald/server.rs`).
pub fn drop_code() {
    advise(false);
}

/// [`drop_code`], once per process (the journal after its first quiet
/// moment).
pub fn drop_code_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static DONE: AtomicBool = AtomicBool::new(false);
    if !DONE.swap(true, Ordering::Relaxed) {
        advise(false);
    }
}

/// `random`: also turn fault-around off (`MADV_RANDOM`) for every
/// read-only mapping of the executable; then drop its code pages.
fn advise(random: bool) {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else { return };
    let Ok(exe) = std::fs::read_link("/proc/self/exe") else { return };
    let Some(exe) = exe.to_str() else { return };
    // The code's file offset: read-only mappings below it are the segment
    // before the code, never written (see below).
    let text_offset = maps
        .lines()
        .filter_map(Mapping::parse)
        .find(|m| m.path == exe && m.perms == "r-xp")
        .map_or(0, |m| m.offset);
    let mut ranges = Vec::new();
    for line in maps.lines() {
        let Some(m) = Mapping::parse(line) else { continue };
        if m.path != exe || m.perms.get(1..2) != Some("-") {
            continue;
        }
        // The executable mapping is never written (no text relocations in
        // a Rust binary), nor is the read-only segment the linker places
        // before it (ELF headers, `.rodata`, `.eh_frame`; the loader
        // relocates only the RELRO segment, which comes after the code):
        // their pages are clean file pages, faulted back in when used
        // again.
        let drop = m.perms == "r-xp" || (m.perms == "r--p" && m.offset < text_offset);
        ranges.push((m.start, m.end.saturating_sub(m.start), drop));
    }
    apply(&ranges, random);
}

/// The system calls of [`advise`], after all the reading and parsing: the
/// code that runs after the drop, and so comes back, is this loop, not
/// the parser's (`bench/hot_code.py` counts what runs from here on).
#[inline(never)]
fn apply(ranges: &[(usize, usize, bool)], random: bool) {
    for &(start, len, drop) in ranges {
        let addr = start as *mut libc::c_void;
        if random {
            // SAFETY: advice on a range the kernel listed as mapped in
            // this process; MADV_RANDOM changes no contents.
            unsafe { libc::madvise(addr, len, libc::MADV_RANDOM) };
        }
        if drop {
            // SAFETY: a range of clean file pages (see `advise`), never
            // written: dropped pages are read again from the file.
            unsafe { libc::madvise(addr, len, libc::MADV_DONTNEED) };
        }
    }
}

/// One line of `/proc/self/maps` (`proc(5)`): `start-end perms offset dev
/// inode path`.
struct Mapping<'a> {
    start: usize,
    end: usize,
    perms: &'a str,
    offset: u64,
    path: &'a str,
}

impl<'a> Mapping<'a> {
    fn parse(line: &'a str) -> Option<Mapping<'a>> {
        let mut f = line.split_whitespace();
        let (start, end) = f.next()?.split_once('-')?;
        let perms = f.next()?;
        let offset = u64::from_str_radix(f.next()?, 16).ok()?;
        let path = f.nth(2)?;
        Some(Mapping {
            start: usize::from_str_radix(start, 16).ok()?,
            end: usize::from_str_radix(end, 16).ok()?,
            perms,
            offset,
            path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines_are_parsed() {
        let m = Mapping::parse("55d0c0a00000-55d0c0d9b000 r-xp 00045000 fd:00 1234  /usr/bin/vigil").unwrap();
        assert_eq!((m.start, m.end, m.perms, m.offset, m.path), (0x55d0c0a00000, 0x55d0c0d9b000, "r-xp", 0x45000, "/usr/bin/vigil"));
        // Anonymous mappings have no path.
        assert!(Mapping::parse("7f00-8f00 rw-p 00000000 00:00 0").is_none());
    }

    /// The advice leaves the process working: code dropped from the page
    /// tables is faulted back in when it runs again.
    #[test]
    fn code_still_runs_after_the_advice() {
        code_on_demand();
        drop_code_once();
        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(v.iter().sum::<u64>(), 500_500);
        assert!(format!("{:?}", v.get(1..3)).contains('2'));
    }
}
