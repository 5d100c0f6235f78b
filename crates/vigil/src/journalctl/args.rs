//! `journalctl`'s command line, parsed the way its `getopt_long()` loop
//! parses it: short options may be bundled (`-rn5`), long options take
//! `--opt=value` or `--opt value`, `-n`/`-b` take an optional value that
//! may also be the next word when it looks like one (`-n 20`, `-b -1`),
//! and errors read like getopt's ("unrecognized option '--x'"), exit 1.
//! Remaining words are matches (`FIELD=value`, `+`, or a path).

use std::path::PathBuf;

use super::output::{Flags, Mode};

/// `-n`: how many entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    All,
    /// The last N.
    Tail(u64),
}

/// `-b`: which boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootSpec {
    pub id: Option<journal::Id128>,
    pub offset: i64,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub mode: Mode,
    pub flags: Flags,
    pub lines: Option<Lines>,
    pub no_tail: bool,
    pub follow: bool,
    pub reverse: bool,
    pub quiet: bool,
    pub merge: bool,
    pub pager_end: bool,
    pub boot: Option<BootSpec>,
    pub list_boots: bool,
    pub dmesg: bool,
    pub units: Vec<String>,
    pub user_units: Vec<String>,
    pub identifiers: Vec<String>,
    pub priorities: Option<(u8, u8)>,
    pub grep: Option<String>,
    pub case_sensitive: Option<bool>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub cursor: Option<String>,
    pub after_cursor: Option<String>,
    pub show_cursor: bool,
    pub directories: Vec<PathBuf>,
    pub files: Vec<String>,
    pub root: Option<PathBuf>,
    pub user: bool,
    pub disk_usage: bool,
    pub vacuum_size: Option<u64>,
    pub vacuum_time: Option<u64>,
    pub vacuum_files: Option<u64>,
    pub field: Option<String>,
    pub list_fields: bool,
    pub matches: Vec<String>,
    pub help: bool,
    pub version: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: Mode::Short,
            flags: Flags::default(),
            lines: None,
            no_tail: false,
            follow: false,
            reverse: false,
            quiet: false,
            merge: false,
            pager_end: false,
            boot: None,
            list_boots: false,
            dmesg: false,
            units: Vec::new(),
            user_units: Vec::new(),
            identifiers: Vec::new(),
            priorities: None,
            grep: None,
            case_sensitive: None,
            since: None,
            until: None,
            cursor: None,
            after_cursor: None,
            show_cursor: false,
            directories: Vec::new(),
            files: Vec::new(),
            root: None,
            user: false,
            disk_usage: false,
            vacuum_size: None,
            vacuum_time: None,
            vacuum_files: None,
            field: None,
            list_fields: false,
            matches: Vec::new(),
            help: false,
            version: false,
        }
    }
}

/// Long options: name, takes a value (`Some(true)` required,
/// `Some(false)` optional, `None` no value), short equivalent.
const LONG: &[(&str, Option<bool>, char)] = &[
    ("help", None, 'h'),
    ("version", None, 'V'),
    ("no-pager", None, '\0'),
    ("pager-end", None, 'e'),
    ("follow", None, 'f'),
    ("output", Some(true), 'o'),
    ("all", None, 'a'),
    ("full", None, 'l'),
    ("no-full", None, '\0'),
    ("lines", Some(false), 'n'),
    ("no-tail", None, '\0'),
    ("quiet", None, 'q'),
    ("merge", None, 'm'),
    ("boot", Some(false), 'b'),
    ("this-boot", None, '\0'),
    ("list-boots", None, '\0'),
    ("dmesg", None, 'k'),
    ("unit", Some(true), 'u'),
    ("user-unit", Some(true), '\0'),
    ("identifier", Some(true), 't'),
    ("priority", Some(true), 'p'),
    ("grep", Some(true), 'g'),
    ("case-sensitive", Some(false), '\0'),
    ("since", Some(true), 'S'),
    ("until", Some(true), 'U'),
    ("cursor", Some(true), 'c'),
    ("after-cursor", Some(true), '\0'),
    ("show-cursor", None, '\0'),
    ("directory", Some(true), 'D'),
    ("file", Some(true), '\0'),
    ("root", Some(true), '\0'),
    ("user", None, '\0'),
    ("system", None, '\0'),
    ("catalog", None, 'x'),
    ("disk-usage", None, '\0'),
    ("vacuum-size", Some(true), '\0'),
    ("vacuum-time", Some(true), '\0'),
    ("vacuum-files", Some(true), '\0'),
    ("output-fields", Some(true), '\0'),
    ("utc", None, '\0'),
    ("no-hostname", None, '\0'),
    ("field", Some(true), 'F'),
    ("fields", None, 'N'),
    ("reverse", None, 'r'),
];

/// Short options and whether they take a value (`Some(false)`: optional).
fn short(c: char) -> Option<Option<bool>> {
    Some(match c {
        'h' | 'V' | 'e' | 'f' | 'a' | 'l' | 'q' | 'm' | 'k' | 'x' | 'N' | 'r' => None,
        'o' | 'u' | 't' | 'p' | 'g' | 'S' | 'U' | 'c' | 'D' | 'F' => Some(true),
        'n' | 'b' => Some(false),
        _ => return None,
    })
}

/// A usage error, printed as `journalctl: MESSAGE` (getopt's shape) or
/// as the bare message for value errors, like journalctl.
#[derive(Debug)]
pub struct ArgError {
    pub message: String,
    pub getopt: bool,
}

fn err(message: String) -> ArgError {
    ArgError {
        message,
        getopt: false,
    }
}

/// Parses `args` (without the program name).
pub fn parse(args: &[String]) -> Result<Options, ArgError> {
    let mut o = Options::default();
    let mut i = 0;
    let mut positional_only = false;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if positional_only || a == "-" || !a.starts_with('-') {
            o.matches.push(a.clone());
            continue;
        }
        if a == "--" {
            positional_only = true;
            continue;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let matching: Vec<&(&str, Option<bool>, char)> = LONG
                .iter()
                .filter(|(n, _, _)| *n == name || n.starts_with(name))
                .collect();
            let Some(&&(full, takes, _)) =
                matching
                    .iter()
                    .find(|(n, _, _)| *n == name)
                    .or(match matching.len() {
                        1 => matching.first(),
                        _ => None,
                    })
            else {
                let what = if matching.len() > 1 {
                    "is ambiguous"
                } else {
                    "unrecognized"
                };
                let message = if what == "unrecognized" {
                    format!("unrecognized option '--{name}'")
                } else {
                    format!("option '--{name}' is ambiguous")
                };
                return Err(ArgError {
                    message,
                    getopt: true,
                });
            };
            let value = match (takes, inline) {
                (None, Some(_)) => {
                    return Err(ArgError {
                        message: format!("option '--{full}' doesn't allow an argument"),
                        getopt: true,
                    })
                }
                (None, None) => None,
                (Some(_), Some(v)) => Some(v),
                (Some(true), None) => match args.get(i) {
                    Some(v) => {
                        i += 1;
                        Some(v.clone())
                    }
                    None => {
                        return Err(ArgError {
                            message: format!("option '--{full}' requires an argument"),
                            getopt: true,
                        })
                    }
                },
                (Some(false), None) => None,
            };
            apply(&mut o, full, value, args, &mut i)?;
            continue;
        }
        // Bundled short options.
        let chars: Vec<char> = a[1..].chars().collect();
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k];
            k += 1;
            let Some(takes) = short(c) else {
                return Err(ArgError {
                    message: format!("invalid option -- '{c}'"),
                    getopt: true,
                });
            };
            let rest: String = chars[k..].iter().collect();
            let value = match takes {
                None => None,
                Some(req) if !rest.is_empty() => {
                    k = chars.len();
                    let _ = req;
                    Some(rest)
                }
                Some(true) => match args.get(i) {
                    Some(v) => {
                        i += 1;
                        Some(v.clone())
                    }
                    None => {
                        return Err(ArgError {
                            message: format!("option requires an argument -- '{c}'"),
                            getopt: true,
                        })
                    }
                },
                Some(false) => None,
            };
            let name = LONG
                .iter()
                .find(|(_, _, s)| *s == c)
                .map_or("", |(n, _, _)| *n);
            apply(&mut o, name, value, args, &mut i)?;
        }
    }
    if o.mode.implies_quiet() {
        o.quiet = true;
    }
    Ok(o)
}

fn parse_level(s: &str) -> Result<u8, ArgError> {
    unit::value::syslog::parse_syslog_level(s).map_err(|_| err(format!("Unknown log level {s}")))
}

fn parse_lines(s: &str) -> Option<Lines> {
    if s == "all" {
        return Some(Lines::All);
    }
    // journalctl 252 reads `+N` as plain N (the last N).
    s.strip_prefix('+')
        .unwrap_or(s)
        .parse()
        .ok()
        .map(Lines::Tail)
}

fn parse_boot(s: &str) -> Option<BootSpec> {
    if s.is_empty() || s == "all" {
        return None;
    }
    if s.len() >= 32 {
        let (id, off) = s.split_at(32);
        let id = journal::Id128::parse(id).ok()?;
        let offset = if off.is_empty() { 0 } else { off.parse().ok()? };
        return Some(BootSpec {
            id: Some(id),
            offset,
        });
    }
    s.parse().ok().map(|offset| BootSpec { id: None, offset })
}

fn apply(
    o: &mut Options,
    name: &str,
    value: Option<String>,
    args: &[String],
    i: &mut usize,
) -> Result<(), ArgError> {
    let v = || value.clone().unwrap_or_default();
    match name {
        "help" => o.help = true,
        "version" => o.version = true,
        "no-pager" | "full" | "no-full" | "catalog" | "system" => {}
        "pager-end" => o.pager_end = true,
        "follow" => o.follow = true,
        "output" => {
            let m = v();
            o.mode = Mode::parse(&m).ok_or_else(|| err(format!("Unknown output format '{m}'.")))?;
        }
        "all" => o.flags.all = true,
        "lines" => match value {
            Some(s) => {
                o.lines = Some(
                    parse_lines(&s).ok_or_else(|| err(format!("Failed to parse lines '{s}'")))?,
                )
            }
            None => {
                // The next word counts when it is a number.
                if let Some(l) = args.get(*i).and_then(|s| parse_lines(s)) {
                    *i += 1;
                    o.lines = Some(l);
                } else {
                    o.lines = Some(Lines::Tail(10));
                }
            }
        },
        "no-tail" => o.no_tail = true,
        "quiet" => o.quiet = true,
        "merge" => o.merge = true,
        "boot" | "this-boot" => match value {
            Some(s) => {
                o.boot = Some(
                    parse_boot(&s)
                        .ok_or_else(|| err(format!("Failed to parse boot descriptor '{s}'")))?,
                )
            }
            None => {
                if let Some(b) = args.get(*i).and_then(|s| parse_boot(s)) {
                    *i += 1;
                    o.boot = Some(b);
                } else {
                    o.boot = Some(BootSpec {
                        id: None,
                        offset: 0,
                    });
                }
            }
        },
        "list-boots" => o.list_boots = true,
        "dmesg" => o.dmesg = true,
        "unit" => o.units.push(v()),
        "user-unit" => o.user_units.push(v()),
        "identifier" => o.identifiers.push(v()),
        "priority" => {
            let s = v();
            o.priorities = Some(match s.split_once("..") {
                Some((a, b)) => {
                    let a = if a.is_empty() { 0 } else { parse_level(a)? };
                    let b = if b.is_empty() { 7 } else { parse_level(b)? };
                    (a.min(b), a.max(b))
                }
                None => (0, parse_level(&s)?),
            });
        }
        "grep" => o.grep = Some(v()),
        "case-sensitive" => {
            o.case_sensitive = Some(match value {
                None => true,
                Some(s) => unit::value::boolean::parse_boolean(&s)
                    .map_err(|_| err(format!("Bad --case-sensitive= argument \"{s}\"")))?,
            })
        }
        "since" => o.since = Some(v()),
        "until" => o.until = Some(v()),
        "cursor" => o.cursor = Some(v()),
        "after-cursor" => o.after_cursor = Some(v()),
        "show-cursor" => o.show_cursor = true,
        "directory" => o.directories.push(PathBuf::from(v())),
        "file" => o.files.push(v()),
        "root" => o.root = Some(PathBuf::from(v())),
        "user" => o.user = true,
        "disk-usage" => o.disk_usage = true,
        "vacuum-size" => {
            let s = v();
            o.vacuum_size = Some(
                unit::value::size::parse_size(&s, 1024)
                    .map_err(|_| err(format!("Failed to parse vacuum size: {s}")))?,
            )
        }
        "vacuum-time" => {
            let s = v();
            o.vacuum_time = Some(
                unit::value::time::parse_sec(&s)
                    .map_err(|_| err(format!("Failed to parse vacuum time: {s}")))?
                    .0,
            )
        }
        "vacuum-files" => {
            let s = v();
            o.vacuum_files = Some(
                s.parse()
                    .map_err(|_| err(format!("Failed to parse vacuum files: {s}")))?,
            )
        }
        "output-fields" => {
            let fields = o.flags.fields.get_or_insert_with(Vec::new);
            for f in v().split(',').filter(|f| !f.is_empty()) {
                if !fields.iter().any(|x| x == f) {
                    fields.push(f.to_string());
                }
            }
        }
        "utc" => o.flags.utc = true,
        "no-hostname" => o.flags.no_hostname = true,
        "field" => o.field = Some(v()),
        "fields" => o.list_fields = true,
        "reverse" => o.reverse = true,
        _ => {
            return Err(ArgError {
                message: format!("unrecognized option '{name}'"),
                getopt: true,
            })
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &[&str]) -> Options {
        parse(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn getopt_shapes() {
        let o = p(&[
            "-rn5", "-u", "a", "--unit=b", "-tx", "FOO=bar", "+", "-o", "cat",
        ]);
        assert!(o.reverse);
        assert_eq!(o.lines, Some(Lines::Tail(5)));
        assert_eq!(o.units, ["a", "b"]);
        assert_eq!(o.identifiers, ["x"]);
        assert_eq!(o.matches, ["FOO=bar", "+"]);
        assert!(o.quiet, "cat implies quiet");
        let o = p(&["-n", "20", "-b", "-1", "-p", "err..warning"]);
        assert_eq!(o.lines, Some(Lines::Tail(20)));
        assert_eq!(
            o.boot,
            Some(BootSpec {
                id: None,
                offset: -1
            })
        );
        assert_eq!(o.priorities, Some((3, 4)));
        let o = p(&["-n", "FOO=x", "-b"]);
        assert_eq!(o.lines, Some(Lines::Tail(10)));
        assert_eq!(o.matches, ["FOO=x"]);
        assert_eq!(
            o.boot,
            Some(BootSpec {
                id: None,
                offset: 0
            })
        );
        let o = p(&["--lines", "--no-pager"]);
        assert_eq!(o.lines, Some(Lines::Tail(10)));
        assert!(parse(&["--bogus".to_string()]).unwrap_err().getopt);
        assert!(parse(&["-p".to_string(), "9".to_string()]).is_err());
    }
}
