//! `journalctl` / `vigil logs`: reading the journal files directly.
//!
//! No daemon is involved: the files are systemd's journal format
//! ([`journal`] crate), read through their indexes. The flow is
//! journalctl 252's (`journalctl(1)`):
//!
//! 1. pick the files ([`files::Sources`]);
//! 2. verbs that act on files: `--disk-usage`, `--vacuum-*`,
//!    `--list-boots`, `-F FIELD`;
//! 3. matches, AND'ed group by group: `-b` (`_BOOT_ID=`), `-k`
//!    (`_TRANSPORT=kernel`), `-u` (the unit's own messages OR its
//!    coredumps OR PID 1's messages about it OR root daemons' messages
//!    about it — `UNIT=`, `OBJECT_SYSTEMD_UNIT=`…; globs expand against the
//!    unit names present), `-t` (`SYSLOG_IDENTIFIER=`), `-p` (one
//!    `PRIORITY=` per level in range), then the `FIELD=value` words with
//!    `+` for OR;
//! 4. the starting point: a cursor, `--since` (or `--until` with `-r`),
//!    the tail for `-r`, the N-th entry from the end for `-n N`, else the
//!    head;
//! 5. the loop: stop past `--until` (or before `--since` with `-r`), skip
//!    what `-g` does not match, print a `-- Boot ID --` line between boots
//!    (not with `-q`/`-m` or the data formats), count;
//! 6. with `-f`, wait for more (polling the files with a backoff from 10
//!    to 250 ms, and noticing rotated-in files) until stdout is closed.
//!
//! Exit status: 0, also for "-- No entries --"; 1 for errors and when
//! `-g` matched nothing (grep's convention, as journalctl).
//!
//! Deliberate differences: `-g` uses the `regex-lite` syntax (journalctl
//! uses PCRE2; the common subset behaves the same, error texts differ);
//! JSON members come in stored order (journalctl's are in hash order).
//! Not here: a pager, colours, the message catalog (`-x` is accepted and
//! ignored), `-N`, `--verify`, `--header`, `--flush`/`--sync`/`--rotate`
//! (those talk to a daemon), `-M`, `--image`, `--namespace`.

mod args;
mod files;
mod output;
pub(crate) mod time;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::Duration;

use journal::{Cursor, Entry, Id128, Journal};

use args::{Lines, Options};
use files::Sources;
use output::Printer;

pub fn main(argv: Vec<String>) -> u8 {
    let o = match args::parse(argv.get(1..).unwrap_or_default()) {
        Ok(o) => o,
        Err(e) => {
            if e.getopt {
                let name = argv.first().map_or("journalctl", String::as_str);
                eprintln!("{name}: {}", e.message);
            } else {
                eprintln!("{}", e.message);
            }
            return 1;
        }
    };
    if o.help {
        print_help();
        return 0;
    }
    if o.version {
        println!("vigil journalctl {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    match run(&o) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("{msg}");
            1
        }
    }
}

fn print_help() {
    print!(
        "journalctl [OPTIONS...] [MATCHES...]\n\n\
         Query the journal.\n\n\
         Source options:\n  \
           --root=DIR              Operate on the journal of a root directory\n  \
           -D --directory=PATH     Show journal files from directory\n     \
           --file=PATH             Show journal file\n     \
           --user                  Show the user journal for the current user\n\n\
         Filtering options:\n  \
           -S --since=DATE         Show entries not older than the specified date\n  \
           -U --until=DATE         Show entries not newer than the specified date\n  \
           -c --cursor=CURSOR      Show entries starting at the specified cursor\n     \
           --after-cursor=CURSOR   Show entries after the specified cursor\n  \
           -b --boot[=ID]          Show current boot or the specified boot\n  \
           -u --unit=UNIT          Show logs from the specified unit\n  \
           -t --identifier=STRING  Show entries with the specified syslog identifier\n  \
           -p --priority=RANGE     Show entries with the specified priority\n  \
           -g --grep=PATTERN       Show entries with MESSAGE matching PATTERN\n  \
           -k --dmesg              Show kernel message log from the current boot\n\n\
         Output control options:\n  \
           -o --output=STRING      Change journal output mode (short, short-precise,\n                            \
           short-iso, short-iso-precise, short-full,\n                            \
           short-monotonic, short-unix, short-delta, verbose,\n                            \
           export, json, json-pretty, json-sse, json-seq, cat,\n                            \
           with-unit)\n     \
           --output-fields=LIST    Select fields to print in verbose/export/json/cat\n  \
           -n --lines[=INTEGER]    Number of journal entries to show\n  \
           -r --reverse            Show the newest entries first\n     \
           --show-cursor           Print the cursor after all the entries\n  \
           -a --all                Show all fields, including long and unprintable\n  \
           -f --follow             Follow the journal\n  \
           -e --pager-end          Immediately jump to the end in the pager\n  \
           -q --quiet              Do not show info messages and privilege warning\n     \
           --utc                   Express time in Coordinated Universal Time (UTC)\n     \
           --no-hostname           Suppress output of hostname field\n     \
           --no-pager              Do not pipe output into a pager\n\n\
         Commands:\n  \
           -F --field=FIELD        List all values that a specified field takes\n     \
           --list-boots            Show terse information about recorded boots\n     \
           --disk-usage            Show total disk usage of all journal files\n     \
           --vacuum-size=BYTES     Reduce disk usage below specified size\n     \
           --vacuum-files=INT      Leave only the specified number of journal files\n     \
           --vacuum-time=TIME      Remove journal files older than specified time\n"
    );
}

fn run(o: &Options) -> Result<u8, String> {
    let kinds = [!o.directories.is_empty(), !o.files.is_empty(), o.root.is_some()];
    if kinds.iter().filter(|&&k| k).count() > 1 {
        return Err("Please specify at most one of -D/--directory=, --file=, -M/--machine=, --root=, --image=.".into());
    }
    let sources = Sources::from_options(o)?;
    let paths = sources.paths(o.user);
    if o.disk_usage {
        println!("{}", files::disk_usage(&paths));
        return Ok(0);
    }
    if o.vacuum_size.is_some() || o.vacuum_time.is_some() || o.vacuum_files.is_some() {
        for line in files::vacuum(
            &sources,
            &paths,
            o.vacuum_size,
            o.vacuum_time,
            o.vacuum_files,
        ) {
            eprintln!("{line}");
        }
        return Ok(0);
    }
    let (mut j, n_files) = sources.open(o.user)?;
    if o.list_boots {
        let boots = files::boots(&mut j);
        print!("{}", files::list_boots(&boots, o.quiet, o.flags.utc));
        return Ok(0);
    }
    if let Some(field) = &o.field {
        let mut out = std::io::stdout().lock();
        for v in j
            .unique_values(field)
            .map_err(|e| format!("Failed to query unique data objects: {e}"))?
        {
            let _ = out.write_all(&v);
            let _ = out.write_all(b"\n");
        }
        return Ok(0);
    }
    if n_files == 0 && !o.quiet {
        eprintln!("No journal files were found.");
    }
    add_matches(&mut j, o, &sources)?;
    let grep = compile_grep(o)?;
    let now = journald_now();
    let since = o
        .since
        .as_deref()
        .map(|s| {
            time::parse_timestamp(s, now).ok_or_else(|| format!("Failed to parse timestamp: {s}"))
        })
        .transpose()?;
    let until = o
        .until
        .as_deref()
        .map(|s| {
            time::parse_timestamp(s, now).ok_or_else(|| format!("Failed to parse timestamp: {s}"))
        })
        .transpose()?;
    if let (Some(s), Some(u)) = (since, until) {
        if s > u {
            return Err("--since= must be before --until=.".into());
        }
    }
    let mut show = Show {
        o,
        grep,
        since,
        until,
        printer: Printer::new(o.mode, o.flags.clone()),
        previous_boot: None,
        shown: 0,
        current: None,
    };
    show.run(&mut j, &sources)
}

fn journald_now() -> u64 {
    crate::journald::storage::now_realtime()
}

/// `-u` names: `foo` means `foo.service`; globs stay globs.
fn mangle_unit(name: &str) -> String {
    if is_glob(name) || unit::UnitName::parse(name).is_ok() {
        name.to_string()
    } else {
        format!("{name}.service")
    }
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `fnmatch()` without flags, for unit globs.
fn fnmatch(pattern: &str, name: &str) -> bool {
    let (Ok(p), Ok(n)) = (
        std::ffi::CString::new(pattern),
        std::ffi::CString::new(name),
    ) else {
        return false;
    };
    // SAFETY: two valid C strings.
    unsafe { libc::fnmatch(p.as_ptr(), n.as_ptr(), 0) == 0 }
}

fn add(j: &mut Journal, m: &str) -> Result<(), String> {
    j.add_match(m.as_bytes())
        .map_err(|_| format!("Failed to add match '{m}': Invalid argument"))
}

/// journalctl's `add_matches_for_unit()` / `add_matches_for_user_unit()`.
///
/// A vigil system manager that is not PID 1 (`--root`) has its messages
/// about a unit stored with `OBJECT_SYSTEMD_UNIT=` (journald's
/// `manager_object_unit`), found by the `_UID=0` clause when it runs as
/// root. Run by another user, its entries carry that user's `_UID=`, so
/// for a `--root` journal read by a non-root user that uid is accepted
/// too (`rooted_uid`), as `--user` accepts the user's own `USER_UNIT=`.
fn unit_matches(
    j: &mut Journal,
    unit: &str,
    user: bool,
    rooted_uid: Option<u32>,
) -> Result<(), String> {
    if user {
        let uid = format!("_UID={}", nix::unistd::getuid().as_raw());
        for (m, extra) in [
            (format!("_SYSTEMD_USER_UNIT={unit}"), vec![uid.clone()]),
            (format!("USER_UNIT={unit}"), vec![uid.clone()]),
            (
                format!("COREDUMP_USER_UNIT={unit}"),
                vec![uid.clone(), "_UID=0".into()],
            ),
            (
                format!("OBJECT_SYSTEMD_USER_UNIT={unit}"),
                vec![uid.clone(), "_UID=0".into()],
            ),
        ] {
            add(j, &m)?;
            for e in extra {
                add(j, &e)?;
            }
            j.add_disjunction();
        }
        if unit.ends_with(".slice") {
            add(j, &format!("_SYSTEMD_USER_SLICE={unit}"))?;
            add(j, &uid)?;
            j.add_disjunction();
        }
        return Ok(());
    }
    add(j, &format!("_SYSTEMD_UNIT={unit}"))?;
    j.add_disjunction();
    add(j, "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1")?;
    add(j, "_UID=0")?;
    add(j, &format!("COREDUMP_UNIT={unit}"))?;
    j.add_disjunction();
    add(j, "_PID=1")?;
    add(j, &format!("UNIT={unit}"))?;
    j.add_disjunction();
    add(j, "_UID=0")?;
    add(j, &format!("OBJECT_SYSTEMD_UNIT={unit}"))?;
    if let Some(uid) = rooted_uid.filter(|&u| u != 0) {
        j.add_disjunction();
        add(j, &format!("_UID={uid}"))?;
        add(j, &format!("OBJECT_SYSTEMD_UNIT={unit}"))?;
    }
    if unit.ends_with(".slice") {
        j.add_disjunction();
        add(j, &format!("_SYSTEMD_SLICE={unit}"))?;
    }
    j.add_disjunction();
    Ok(())
}

/// Unit names present in the journal that match `patterns`.
fn possible_units(j: &mut Journal, patterns: &[String], user: bool) -> Vec<String> {
    let fields: &[&str] = if user {
        &[
            "_SYSTEMD_USER_UNIT",
            "USER_UNIT",
            "COREDUMP_USER_UNIT",
            "OBJECT_SYSTEMD_USER_UNIT",
            "_SYSTEMD_USER_SLICE",
        ]
    } else {
        &[
            "_SYSTEMD_UNIT",
            "COREDUMP_UNIT",
            "UNIT",
            "OBJECT_SYSTEMD_UNIT",
            "_SYSTEMD_SLICE",
        ]
    };
    let mut found = std::collections::BTreeSet::new();
    for f in fields {
        for v in j.unique_values(f).unwrap_or_default() {
            let v = String::from_utf8_lossy(&v).into_owned();
            if patterns.iter().any(|p| fnmatch(p, &v)) {
                found.insert(v);
            }
        }
    }
    found.into_iter().collect()
}

fn add_matches(j: &mut Journal, o: &Options, sources: &Sources) -> Result<(), String> {
    let boot = if o.dmesg && o.boot.is_none() {
        Some(args::BootSpec {
            id: None,
            offset: 0,
        })
    } else {
        o.boot.clone()
    };
    if let Some(b) = boot {
        let id = if b.id.is_none() && b.offset == 0 && !sources.explicit {
            Id128::boot_id().map_err(|e| format!("Failed to get boot id: {e}"))?
        } else {
            let boots = files::boots(j);
            match files::resolve_boot(&boots, b.id, b.offset) {
                Some(id) => id,
                None => {
                    let what = match b.id {
                        Some(id) if b.offset != 0 => format!("{id}{:+}", b.offset),
                        Some(id) => id.to_hex(),
                        None => format!("{:+}", b.offset),
                    };
                    return Err(format!(
                        "Data from the specified boot ({what}) is not available: No such boot ID in journal"
                    ));
                }
            }
        };
        add(j, &format!("_BOOT_ID={id}"))?;
        j.add_conjunction();
    }
    if o.dmesg {
        add(j, "_TRANSPORT=kernel")?;
        j.add_conjunction();
    }
    if !o.units.is_empty() || !o.user_units.is_empty() {
        let rooted_uid = o.root.as_ref().map(|_| nix::unistd::getuid().as_raw());
        let mut count = 0;
        for (list, user) in [(&o.units, o.user), (&o.user_units, true)] {
            let mut patterns = Vec::new();
            for u in list.iter() {
                let m = mangle_unit(u);
                if is_glob(&m) {
                    patterns.push(m);
                } else {
                    unit_matches(j, &m, user, rooted_uid)?;
                    count += 1;
                }
            }
            if !patterns.is_empty() {
                for u in possible_units(j, &patterns, user) {
                    unit_matches(j, &u, user, rooted_uid)?;
                    count += 1;
                }
            }
        }
        if count == 0 {
            return Err("Failed to add filter for units: No data available".into());
        }
        j.add_conjunction();
    }
    if !o.identifiers.is_empty() {
        for t in &o.identifiers {
            add(j, &format!("SYSLOG_IDENTIFIER={t}"))?;
            j.add_disjunction();
        }
        j.add_conjunction();
    }
    // All eight levels selected means no filter (entries without
    // PRIORITY= stay), as in journalctl.
    if let Some((lo, hi)) = o.priorities.filter(|&r| r != (0, 7)) {
        for p in lo..=hi {
            add(j, &format!("PRIORITY={p}"))?;
        }
        j.add_conjunction();
    }
    for m in &o.matches {
        if m == "+" {
            j.add_disjunction();
        } else if m.contains('=') {
            add(j, m)?;
        } else if m.starts_with('/') {
            let p = std::fs::canonicalize(m)
                .map_err(|e| format!("Couldn't canonicalize path {m}: {e}"))?;
            add(j, &format!("_EXE={}", p.display()))?;
        } else {
            return Err(format!("Failed to add match '{m}': Invalid argument"));
        }
    }
    Ok(())
}

fn compile_grep(o: &Options) -> Result<Option<regex_lite::Regex>, String> {
    let Some(p) = &o.grep else { return Ok(None) };
    // journalctl's default: case-insensitive unless the pattern has an
    // upper-case letter.
    let sensitive = o
        .case_sensitive
        .unwrap_or_else(|| p.chars().any(char::is_uppercase));
    regex_lite::RegexBuilder::new(p)
        .case_insensitive(!sensitive)
        .build()
        .map(Some)
        .map_err(|e| format!("Bad pattern \"{p}\": {e}"))
}

struct Show<'a> {
    o: &'a Options,
    grep: Option<regex_lite::Regex>,
    since: Option<u64>,
    until: Option<u64>,
    printer: Printer,
    previous_boot: Option<Id128>,
    shown: u64,
    /// The last entry the iteration stood on (for `--show-cursor`).
    current: Option<Cursor>,
}

impl Show<'_> {
    fn run(&mut self, j: &mut Journal, sources: &Sources) -> Result<u8, String> {
        let o = self.o;
        let mut lines = o.lines;
        if o.follow && lines.is_none() {
            lines = Some(Lines::Tail(10));
        }
        if o.pager_end && lines.is_none() {
            lines = Some(Lines::Tail(1000));
        }
        if o.no_tail {
            lines = Some(Lines::All);
        }
        let forward = !o.reverse;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        // The first entry, positioned as journalctl positions.
        let pending: Option<Entry>;
        if let Some(c) = o.cursor.as_deref().or(o.after_cursor.as_deref()) {
            let cursor = Cursor::parse(c)
                .map_err(|_| "Failed to seek to cursor: Invalid argument".to_string())?;
            j.seek_cursor(&cursor);
            let first = self.step(j, forward);
            pending = match first {
                Some(e) if o.after_cursor.is_some() && same_entry(&e, &cursor) => {
                    self.step(j, forward)
                }
                other => other,
            };
        } else if let (Some(s), true) = (self.since, forward) {
            j.seek_realtime(s);
            pending = self.step(j, true);
        } else if let (Some(u), false) = (self.until, forward) {
            j.seek_realtime(u);
            pending = self.step(j, false);
        } else if !forward {
            j.seek_tail();
            pending = self.step(j, false);
        } else if let Some(Lines::Tail(n)) = lines {
            j.seek_tail();
            let mut first = None;
            for _ in 0..n {
                match self.step(j, false) {
                    Some(e) => first = Some(e),
                    None => break,
                }
            }
            // `previous_skip(0)` leaves nothing to show.
            pending = if n == 0 { None } else { first };
        } else {
            j.seek_head();
            pending = self.step(j, true);
        }
        let limit = match lines {
            None | Some(Lines::All) => None,
            Some(Lines::Tail(n)) => Some(n),
        };
        self.drain(j, &mut out, pending, limit, forward)?;
        if o.follow {
            return self.follow(j, sources, &mut out);
        }
        if self.shown == 0 && !o.quiet {
            let _ = writeln!(out, "-- No entries --");
        }
        if o.show_cursor {
            if let Some(c) = &self.current {
                let _ = writeln!(out, "-- cursor: {c}");
            }
        }
        let _ = out.flush();
        Ok(if self.grep.is_some() && self.shown == 0 {
            1
        } else {
            0
        })
    }

    /// Prints entries starting with `first` until the journal ends, a
    /// bound is passed or `limit` entries were shown.
    fn drain(
        &mut self,
        j: &mut Journal,
        out: &mut impl Write,
        first: Option<Entry>,
        limit: Option<u64>,
        forward: bool,
    ) -> Result<(), String> {
        let mut next = first;
        let mut need_step = false;
        // Like journalctl, step only when another entry may be shown, so
        // the position (`--show-cursor`) stays on the last one shown.
        while limit.is_none_or(|l| self.shown < l) {
            if need_step {
                next = self.step(j, forward);
            }
            need_step = true;
            let Some(e) = next.take() else { break };
            if forward && self.until.is_some_and(|u| e.realtime > u) {
                break;
            }
            if !forward && self.since.is_some_and(|s| e.realtime < s) {
                break;
            }
            // The boot separator comes before `-g` filtering, as in journalctl.
            self.boot_separator(&e, out);
            if !self.accept(&e) {
                continue;
            }
            if let Err(err) = self.printer.print(&e, out) {
                if err.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(());
                }
                return Err(format!("Failed to write: {err}"));
            }
            self.shown += 1;
        }
        Ok(())
    }

    /// One step; remembers where the iteration stands (journalctl's
    /// `--show-cursor` prints that position, shown or not).
    fn step(&mut self, j: &mut Journal, forward: bool) -> Option<Entry> {
        let e = step(j, forward);
        if let Some(e) = &e {
            self.current = Some(e.cursor());
        }
        e
    }

    fn accept(&self, e: &Entry) -> bool {
        match &self.grep {
            None => true,
            Some(re) => e
                .field("MESSAGE")
                .is_some_and(|m| re.is_match(&String::from_utf8_lossy(m))),
        }
    }

    fn boot_separator(&mut self, e: &Entry, out: &mut impl Write) {
        if self.o.merge || self.o.quiet {
            return;
        }
        if self.previous_boot.is_some_and(|b| b != e.boot_id) {
            let _ = writeln!(out, "-- Boot {} --", e.boot_id);
        }
        self.previous_boot = Some(e.boot_id);
    }

    /// `-f`: print what arrives until stdout goes away.
    fn follow(
        &mut self,
        j: &mut Journal,
        sources: &Sources,
        out: &mut impl Write,
    ) -> Result<u8, String> {
        let mut known = sources.paths(self.o.user);
        let mut pause = Duration::from_millis(10);
        loop {
            if out.flush().is_err() || stdout_closed(pause) {
                return Ok(0);
            }
            // New files (rotation): reopen and continue after the last entry.
            let now_paths = sources.paths(self.o.user);
            if now_paths != known {
                known = now_paths;
                if let Ok((fresh, _)) = sources.open(self.o.user) {
                    *j = fresh;
                    add_matches(j, self.o, sources)?;
                    match &self.current {
                        Some(c) => j.seek_cursor(c),
                        None => j.seek_head(),
                    }
                }
            } else if j.refresh().is_err() {
                continue;
            }
            let last = self.current;
            let mut first = self.step(j, true);
            if let (Some(e), Some(c)) = (&first, &last) {
                if same_entry(e, c) {
                    first = self.step(j, true);
                }
            }
            let before = self.shown;
            if first.is_some() {
                self.drain(j, out, first, None, true)?;
            }
            pause = if self.shown > before {
                Duration::from_millis(10)
            } else {
                (pause * 2).min(Duration::from_millis(250))
            };
        }
    }
}

/// One step; a damaged file is left out and iteration goes on.
fn step(j: &mut Journal, forward: bool) -> Option<Entry> {
    for _ in 0..64 {
        let r = if forward { j.next() } else { j.previous() };
        match r {
            Ok(e) => return e,
            Err(_) => continue,
        }
    }
    None
}

fn same_entry(e: &Entry, c: &Cursor) -> bool {
    let ec = e.cursor();
    ec.seqnum_id == c.seqnum_id
        && ec.seqnum == c.seqnum
        && ec
            .xor_hash
            .is_some_and(|x| c.xor_hash.is_none_or(|y| x == y))
}

/// Waits up to `pause` and reports whether stdout's reader went away.
fn stdout_closed(pause: Duration) -> bool {
    let fd = std::io::stdout().as_raw_fd();
    let mut p = libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let r = unsafe { libc::poll(&mut p, 1, pause.as_millis() as libc::c_int) };
    r > 0 && p.revents & (libc::POLLERR | libc::POLLHUP) != 0
}
