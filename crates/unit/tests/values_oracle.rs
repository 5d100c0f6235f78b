//! Differential tests of the value parsers against the real systemd 252:
//!
//! - `systemd-analyze exit-status` and `systemd-analyze capability` for the
//!   name tables;
//! - `systemd --test` (the manager's offline unit dump, run as `nobody`
//!   through `setpriv`) for command lines, `Environment=` and a set of
//!   scalar directives: we write a unit, let systemd load it, and compare
//!   what it prints with what our parsers make of the same text.
//!
//! The tools are required: if they cannot be run the tests fail with a
//! message saying what is missing.

use std::path::Path;
use std::process::Command;

use unit::directive::LimitUnit;
use unit::value::caps::CAPABILITIES;
use unit::value::cpuset::parse_cpu_set;
use unit::value::env::{env_replace, parse_environment};
use unit::value::exec::parse_exec;
use unit::value::exit_status::{exit_status_from_string, EXIT_STATUSES};
use unit::value::limit::parse_rlimit;
use unit::value::mode::{format_mode, parse_mode};
use unit::value::number::{parse_cpu_quota, parse_cpu_weight, parse_nice, parse_oom_score_adjust, Weight};
use unit::value::signal::{name_of, signal_from_string};
use unit::value::size::parse_size;
use unit::value::time::{format_timespan, parse_nsec, USEC_PER_SEC};

fn run(cmd: &str, args: &[&str]) -> std::process::Output {
    Command::new(cmd).args(args).output().unwrap_or_else(|e| {
        panic!("`{cmd}` is required for this differential test but could not be run: {e} (install systemd 252)")
    })
}

#[test]
fn exit_status_table_matches_systemd_analyze() {
    let out = run("systemd-analyze", &["exit-status", "--no-pager"]);
    assert!(out.status.success(), "systemd-analyze exit-status failed: {:?}", out);
    let text = String::from_utf8_lossy(&out.stdout);
    let theirs: Vec<(u8, String, String)> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some((f.get(1)?.parse().ok()?, f.first()?.to_string(), f.get(2)?.to_string()))
        })
        .collect();
    let ours: Vec<(u8, String, String)> = EXIT_STATUSES
        .iter()
        .map(|&(c, n, class)| (c, n.to_string(), class.as_str().to_string()))
        .collect();
    assert_eq!(ours, theirs);

    for input in ["0", "255", "256", "0x10", "010", "0b11", "-1", "+5", " 7", "exec", "EXEC", "NUMA", "1.0", ""] {
        let out = run("systemd-analyze", &["exit-status", "--no-pager", "--", input]);
        let theirs: Option<u8> = out.status.success().then(|| {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let line = text.lines().nth(1).unwrap_or_default().to_string();
            line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{input:?}: {text}"))
        });
        assert_eq!(exit_status_from_string(input).ok(), theirs, "exit status {input:?}");
    }
}

#[test]
fn capability_table_matches_systemd_analyze() {
    let out = run("systemd-analyze", &["capability", "--no-pager"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let theirs: Vec<String> = text.lines().skip(1).filter_map(|l| l.split_whitespace().next().map(String::from)).collect();
    assert_eq!(CAPABILITIES.to_vec(), theirs);

    for input in ["cap_chown", "CAP_NET_ADMIN", "Cap_Kill", "12", "0x10", "40", "41", "-1", "CAP_FOO", "chown"] {
        let out = run("systemd-analyze", &["capability", "--no-pager", "--", input]);
        let theirs: Option<u32> = out.status.success().then(|| {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.lines().nth(1).and_then(|l| l.split_whitespace().nth(1)).and_then(|n| n.parse().ok()).unwrap_or(999)
        });
        assert_eq!(unit::value::caps::capability_from_name(input), theirs, "capability {input:?}");
    }
}

/// What `systemd --test` printed for one unit.
struct Dump {
    /// The `Key: value` lines of the unit's own section, in order.
    lines: Vec<(String, String)>,
    /// Everything, for log messages (`NAME:LINE: …`).
    all: String,
}

impl Dump {
    fn get(&self, key: &str) -> Option<&str> {
        self.lines.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn all_of(&self, key: &str) -> Vec<&str> {
        self.lines.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    fn logged_line(&self, name: &str, line: usize) -> bool {
        self.all.contains(&format!("{name}:{line}:"))
    }

    fn bad_setting(&self) -> bool {
        self.all.contains("bad unit file setting") || self.all.contains("fatal error")
    }
}

/// Load `content` as unit `name` with the real manager in test mode.
fn systemd_test(name: &str, content: &str) -> Dump {
    let dir = std::env::temp_dir().join(format!("vigil-values-oracle-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let set_mode = |p: &Path, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    set_mode(&dir, 0o755);
    let file = dir.join(name);
    std::fs::write(&file, content).expect("write unit");
    set_mode(&file, 0o644);
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "/lib/systemd/systemd"])
        .args(["--test", "--system", "--no-pager", &format!("--unit={name}")])
        .env("SYSTEMD_UNIT_PATH", format!("{}:", dir.display()))
        .output()
        .unwrap_or_else(|e| panic!("`setpriv … /lib/systemd/systemd --test` is required but could not be run: {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("running in test system mode"), "systemd --test did not run:\n{all}");
    let mut lines = Vec::new();
    let mut inside = false;
    let header = format!("-> Unit {name}:");
    for l in all.lines() {
        if l.starts_with("\t-> Unit ") {
            inside = l.trim() == header;
            continue;
        }
        if inside {
            if let Some((k, v)) = l.trim_start().split_once(": ") {
                lines.push((k.to_string(), v.to_string()));
            } else if let Some(k) = l.trim_start().strip_suffix(':') {
                lines.push((k.to_string(), String::new()));
            }
        }
    }
    Dump { lines, all }
}

/// Run `systemd_test` for several units, a few at a time (each run is
/// mostly process start-up).
fn systemd_test_all(units: &[(String, String)]) -> Vec<Dump> {
    let mut out = Vec::with_capacity(units.len());
    for chunk in units.chunks(4) {
        let dumps: Vec<Dump> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk.iter().map(|(n, c)| s.spawn(move || systemd_test(n, c))).collect();
            handles.into_iter().map(|h| h.join().expect("systemd --test thread")).collect()
        });
        out.extend(dumps);
    }
    out
}

/// Specifiers as the test units use them: `%n` and `%%` only.
fn spec_for(name: &str) -> impl FnMut(&str) -> Result<String, String> {
    let name = name.to_string();
    move |s: &str| {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push_str(&name),
                Some('%') => out.push('%'),
                Some(x) => return Err(format!("unsupported specifier %{x} in test")),
                None => out.push('%'),
            }
        }
        Ok(out)
    }
}

/// Decode the arguments of a `Command Line:` dump line (systemd's
/// `quote_command_line()`: bare words, or `"…"` with `\"\\\`\$` and C
/// escapes).
fn decode_command_line(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b' ' {
            i += 1;
            continue;
        }
        let mut word = Vec::new();
        if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                    let c = b[i];
                    match c {
                        b'0'..=b'7' if i + 2 < b.len() => {
                            let v = (b[i] - b'0') * 64 + (b[i + 1] - b'0') * 8 + (b[i + 2] - b'0');
                            word.push(v);
                            i += 2;
                        }
                        b'a' => word.push(7),
                        b'b' => word.push(8),
                        b'f' => word.push(12),
                        b'n' => word.push(b'\n'),
                        b'r' => word.push(b'\r'),
                        b't' => word.push(b'\t'),
                        b'v' => word.push(11),
                        _ => word.push(c),
                    }
                } else {
                    word.push(b[i]);
                }
                i += 1;
            }
            i += 1;
        } else {
            while i < b.len() && b[i] != b' ' {
                word.push(b[i]);
                i += 1;
            }
        }
        out.push(String::from_utf8_lossy(&word).into_owned());
    }
    out
}

/// Command lines systemd accepts (with or without warnings). All go into
/// one oneshot unit; the commands it dumps must be exactly ours, in order.
const EXEC_OK: &[&str] = &[
    "/bin/echo plain words",
    "echo one ; echo \"two two\"",
    "@-:/bin/echo argz a\\x41 'b c' \\; d%n",
    "!!ls x",
    "+!ls x",
    "!+ls x",
    "!!!ls x",
    "-@ls x",
    "\"/usr/bin/my prog\" arg",
    "/bin/ec'ho'",
    "//bin//true/. a",
    "%n",
    "@/bin/echo \"\" x",
    "/bin/echo\\x20x",
    "/bin/echo %%",
    "/bin/echo ${X} $Y $$ %%%%",
    ":/bin/echo",
    "/bin/true ;",
    "; /bin/true",
    "/bin/echo \\;x",
    "/bin/echo x\\;",
    "/bin/echo \"\\;\"",
    "/bin/echo a \\\\; b \"\\;\" c ;",
    "/bin/echo a;b ; ; /bin/true",
    "/bin/echo x ;/bin/true",
    "/bin/echo bad\\q esc",
    "/bin/echo a\\x00b",
    "/bin/echo \"a\"b\"c d\"",
    "/bin/echo \\t\\n\\a \\101 \\u00e9 \\U0001F600 \\s",
    "/bin/echo 'single \"double\" inside' \"double 'single' inside\"",
    "-nonexistent-command x",
    "-/bin/true \"unbal",
    "-",
    "-:-/bin/echo",
    "-/bin/",
    "\"unbalanced first",
    "/bin/echo e\\x01 tab\\there",
    "/bin/echo 'a\\' 'b",
];

/// Command lines that make systemd refuse the unit.
const EXEC_FATAL: &[&str] = &[
    "sub/dir x",
    "./rel",
    "/bin/",
    "@/bin/echo",
    "@",
    "/bin/echo \"unbalanced",
    "/bin/ec\\\\ho",
    "/bin/x\\ty",
    "/bin/true ; rel/x",
    "/bin/echo 'a\\' 'b'",
];

#[test]
fn command_lines_match_systemd() {
    let name = "exec-ok.service";
    let mut unit = String::from("[Service]\nType=oneshot\n");
    let mut expected: Vec<Vec<String>> = Vec::new();
    let mut spec = spec_for(name);
    for raw in EXEC_OK {
        unit.push_str(&format!("ExecStart={raw}\n"));
        let mut w = Vec::new();
        match parse_exec(raw, &mut spec, &mut w) {
            Ok(cmds) => expected.extend(cmds.into_iter().map(|c| c.argv.to_vec())),
            Err(e) => panic!("{raw:?}: systemd accepts this, we refuse: {e}"),
        }
    }
    let dump = systemd_test(name, &unit);
    assert!(!dump.bad_setting(), "systemd refused the batch:\n{}", dump.all);
    let theirs: Vec<Vec<String>> = dump.all_of("Command Line").iter().map(|l| decode_command_line(l)).collect();
    assert_eq!(expected, theirs);

    let units: Vec<(String, String)> = EXEC_FATAL
        .iter()
        .enumerate()
        .map(|(i, raw)| (format!("exec-fatal-{i}.service"), format!("[Service]\nType=oneshot\nExecStart={raw}\n")))
        .collect();
    let dumps = systemd_test_all(&units);
    for ((raw, (name, _)), dump) in EXEC_FATAL.iter().zip(&units).zip(dumps) {
        let mut w = Vec::new();
        let ours = parse_exec(raw, &mut spec_for(name), &mut w);
        assert!(dump.bad_setting(), "{raw:?}: systemd accepted it:\n{}", dump.all);
        assert!(matches!(&ours, Err(e) if e.is_fatal()), "{raw:?}: systemd refuses the unit, we return {ours:?}");
    }
}

#[test]
fn environment_matches_systemd() {
    let name = "env.service";
    let lines = [
        "\"VAR1=word1 word2\" VAR2=word3 \"VAR3=$word 5 6\"",
        "ONE='one' \"TWO='two two' too\" THREE=",
        "A=x\\ty B=\\x01 C",
        "1A=x _B=y A-B=z =q",
        "N=%n P=%%",
        "Q=1 R=\"unbal",
        "S=b\\q T=1",
        "U=\\303\\251 V=\\u00e9",
        "ONE=replaced W=a=b=c",
        "X='a \"b\" c' Y=\"a 'b' c\"",
    ];
    let mut unit = String::from("[Service]\nType=oneshot\nExecStart=/bin/true\n");
    let mut ours: Vec<(String, String)> = Vec::new();
    let mut spec = spec_for(name);
    for l in lines {
        unit.push_str(&format!("Environment={l}\n"));
        let mut w = Vec::new();
        for (k, v) in parse_environment(l, &mut spec, &mut w) {
            env_replace(&mut ours, k, v);
        }
    }
    let dump = systemd_test(name, &unit);
    let theirs: Vec<String> = dump.all_of("Environment").iter().map(|s| s.to_string()).collect();
    let ours: Vec<String> = ours.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(ours, theirs);
}

/// Marks a dump line that must not be there.
const ABSENT: &str = "<absent>";

/// One directive checked through the dump: our rendering of the value (the
/// dump lines it must produce), or `None` when we reject it.
type Render = fn(&str) -> Option<Vec<(&'static str, String)>>;

fn render_signal(s: &str) -> Option<Vec<(&'static str, String)>> {
    Some(vec![("KillSignal", name_of(signal_from_string(s).ok()?))])
}
fn render_umask(s: &str) -> Option<Vec<(&'static str, String)>> {
    Some(vec![("UMask", format_mode(parse_mode(s).ok()?))])
}
fn render_nice(s: &str) -> Option<Vec<(&'static str, String)>> {
    Some(vec![("Nice", parse_nice(s).ok()?.to_string())])
}
fn render_oom(s: &str) -> Option<Vec<(&'static str, String)>> {
    Some(vec![("OOMScoreAdjust", parse_oom_score_adjust(s).ok()?.to_string())])
}
fn rlimit(key: &'static str, soft_key: &'static str, s: &str, unit: LimitUnit) -> Option<Vec<(&'static str, String)>> {
    let r = parse_rlimit(s, unit).ok()?;
    Some(vec![(key, r.hard.to_string()), (soft_key, r.soft.to_string())])
}
fn render_nofile(s: &str) -> Option<Vec<(&'static str, String)>> {
    rlimit("LimitNOFILE", "LimitNOFILESoft", s, LimitUnit::Count)
}
fn render_cpu(s: &str) -> Option<Vec<(&'static str, String)>> {
    rlimit("LimitCPU", "LimitCPUSoft", s, LimitUnit::Seconds)
}
fn render_limit_nice(s: &str) -> Option<Vec<(&'static str, String)>> {
    rlimit("LimitNICE", "LimitNICESoft", s, LimitUnit::Nice)
}
fn render_fsize(s: &str) -> Option<Vec<(&'static str, String)>> {
    rlimit("LimitFSIZE", "LimitFSIZESoft", s, LimitUnit::Bytes)
}
fn render_rttime(s: &str) -> Option<Vec<(&'static str, String)>> {
    rlimit("LimitRTTIME", "LimitRTTIMESoft", s, LimitUnit::Usec)
}
fn render_affinity(s: &str) -> Option<Vec<(&'static str, String)>> {
    let set = parse_cpu_set(s, &mut Vec::new()).ok()?;
    Some(vec![("CPUAffinity", set.to_string())])
}
fn render_slack(s: &str) -> Option<Vec<(&'static str, String)>> {
    // Infinity means "not set", and unset settings are not dumped.
    let v = parse_nsec(s).ok()?;
    Some(vec![("TimerSlackNSec", if v == u64::MAX { ABSENT.to_string() } else { v.to_string() })])
}
fn render_weight(s: &str) -> Option<Vec<(&'static str, String)>> {
    let v = match parse_cpu_weight(s).ok()? {
        Weight::Idle => 0,
        Weight::Value(v) => v,
    };
    Some(vec![("CPUWeight", v.to_string())])
}
fn render_quota(s: &str) -> Option<Vec<(&'static str, String)>> {
    let q = u64::from(parse_cpu_quota(s).ok()?);
    Some(vec![("CPUQuotaPerSecSec", format_timespan(q * USEC_PER_SEC / 10000, 1))])
}
fn render_memory_max(s: &str) -> Option<Vec<(&'static str, String)>> {
    if s == "infinity" {
        return Some(vec![("MemoryMax", u64::MAX.to_string())]);
    }
    let b = parse_size(s, 1024).ok().filter(|&b| b > 0 && b < u64::MAX)?;
    Some(vec![("MemoryMax", b.to_string())])
}

/// `(directive, renderer, values)`; row i of the test uses value i of
/// every directive that has one.
const SCALARS: &[(&str, Render, &[&str])] = &[
    ("KillSignal", render_signal, &[
        "SIGTERM", "TERM", "15", "SIGRTMIN+3", "RTMIN+3", "SIGRTMAX-2", "RTMAX", "RTMIN", "32", "64", "65",
        "0", "sigterm", "SIGRTMIN+31", "SIGRTMAX-31", "RTMIN+ 3", "SIGIOT", "SIGIO", "0x9", "RTMIN+0x2",
    ]),
    ("UMask", render_umask, &["077", "0o77", "+077", "10000", "7", "0x1f", "0777", "8", "7777", "0"]),
    ("Nice", render_nice, &["010", "0x5", "+7", "-20", "-21", "19", "20", "0b11", "1e1", "-0"]),
    ("OOMScoreAdjust", render_oom, &["-1000", "1000", "1001", "-1001", "0x10", "x", "+5", "010"]),
    ("LimitNOFILE", render_nofile, &[
        "1K", "10:5", "5:", ":5", "5:6:7", "infinity", "0x10", "18446744073709551615", "18446744073709551614",
        "5: 6", "5 :6", "0:infinity", "1024:524288",
    ]),
    ("LimitCPU", render_cpu, &["1.5s", "2min:infinity", "0", "1us", "infinity", "1h", "5x"]),
    ("LimitNICE", render_limit_nice, &["+5", "-5", "30", "+20", "-0", "41", "infinity", "0x10", "+0x10", "-21"]),
    ("LimitFSIZE", render_fsize, &["1.5K", "1G", "infinity", "1k", "0", "16E", "1G 512M"]),
    ("LimitRTTIME", render_rttime, &["1s", "5", "1.5", "infinity", "1ms:2ms", "x"]),
    ("CPUAffinity", render_affinity, &["0-3 5,7", "0x3", "1,,2", "8192", "\"1 2\"", "1-", "2-2", "0-1 , 4"]),
    ("TimerSlackNSec", render_slack, &["1ms", "5", "1us 3ns", "infinity", "1.5", "x", "1s"]),
    ("CPUWeight", render_weight, &["idle", "0", "10000", "10001", "0x10", "1", "-1"]),
    ("CPUQuota", render_quota, &["20%", "0%", "150.5%", "1.234%", "20", "12.5%", "0.01%", "100%"]),
    ("MemoryMax", render_memory_max, &["1G", "infinity", "1.5K", "0", "1k", "512M 1G", "100"]),
];

#[test]
fn scalar_directives_match_systemd() {
    let rows = SCALARS.iter().map(|(_, _, v)| v.len()).max().unwrap_or(0);
    let mut units = Vec::new();
    let mut all_checks = Vec::new();
    for row in 0..rows {
        let name = format!("scalars-{row}.service");
        let mut unit = String::from("[Service]\nType=oneshot\nExecStart=/bin/true\n");
        let mut checks = Vec::new();
        let mut line = 3;
        for (key, render, values) in SCALARS {
            let Some(v) = values.get(row) else { continue };
            line += 1;
            unit.push_str(&format!("{key}={v}\n"));
            checks.push((line, *key, *v, render(v)));
        }
        units.push((name, unit));
        all_checks.push(checks);
    }
    let dumps = systemd_test_all(&units);
    let mut failures = Vec::new();
    for (((name, _), checks), dump) in units.iter().zip(all_checks).zip(dumps) {
        for (line, key, v, ours) in checks {
            let logged = dump.logged_line(name, line);
            match ours {
                None if !logged => failures.push(format!("{key}={v}: systemd accepts it silently, we reject it")),
                None => {}
                Some(lines) => {
                    if logged {
                        failures.push(format!("{key}={v}: systemd complains, we accept it"));
                    }
                    for (k, want) in lines {
                        let got = dump.get(k);
                        let ok = if want == ABSENT { got.is_none() } else { got == Some(want.as_str()) };
                        if !ok {
                            failures.push(format!("{key}={v}: {k} is {got:?} in systemd, we make {want:?}"));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn decoder_self_check() {
    assert_eq!(decode_command_line("/bin/echo \"a\\\\b\" \"c d\" \"\\$X\" \"e\\001\" \"\""), [
        "/bin/echo", "a\\b", "c d", "$X", "e\u{1}", ""
    ]);
    assert_eq!(decode_command_line("x \"\\t\\101\""), ["x", "\t\u{41}"]);
}
