//! No input makes a value parser panic: arbitrary strings (biased towards
//! the characters the parsers care about) go through every `Kind` and every
//! public parser. Results are not checked here beyond a few invariants;
//! the unit tests and oracle tests check behaviour.

use proptest::prelude::*;

use unit::directive::{Kind, LimitUnit};
use unit::value::{self, env, exec, time, words, Value};

const KINDS: &[Kind] = &[
    Kind::String,
    Kind::Strings,
    Kind::Bool,
    Kind::Int,
    Kind::Unsigned,
    Kind::Seconds,
    Kind::Usec,
    Kind::Nsec,
    Kind::Size,
    Kind::SizeOrPercent,
    Kind::Percent,
    Kind::Mode,
    Kind::Signal,
    Kind::ExitStatusSet,
    Kind::Unit,
    Kind::Units,
    Kind::Path,
    Kind::Paths,
    Kind::Exec,
    Kind::Environment,
    Kind::EnvironmentFile,
    Kind::EnvNames,
    Kind::Condition,
    Kind::Enum(&["no", "yes", "full", "strict"]),
    Kind::Limit(LimitUnit::Seconds),
    Kind::Limit(LimitUnit::Usec),
    Kind::Limit(LimitUnit::Bytes),
    Kind::Limit(LimitUnit::Count),
    Kind::Limit(LimitUnit::Nice),
    Kind::Nice,
    Kind::OomScoreAdjust,
    Kind::Weight,
    Kind::CpuSet,
    Kind::Capabilities,
    Kind::SecureBits,
    Kind::SyslogFacility,
    Kind::SyslogLevel,
    Kind::Input,
    Kind::Output,
    Kind::Listen,
    Kind::Calendar,
    Kind::Raw,
];

/// Strings made mostly of syntax: quotes, escapes, separators, digits,
/// unit letters, prefixes, multi-byte characters.
fn syntaxy() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        Just("\\".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just(" ".to_string()),
        Just("\t".to_string()),
        Just("\n".to_string()),
        Just(";".to_string()),
        Just("$".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("%".to_string()),
        Just(":".to_string()),
        Just("-".to_string()),
        Just("+".to_string()),
        Just("!".to_string()),
        Just("@".to_string()),
        Just("|".to_string()),
        Just(".".to_string()),
        Just("/".to_string()),
        Just("=".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("x".to_string()),
        Just("\\x".to_string()),
        Just("\\u".to_string()),
        Just("\\U".to_string()),
        Just("0x".to_string()),
        Just("0b".to_string()),
        Just("infinity".to_string()),
        Just("µs".to_string()),
        Just("‰".to_string()),
        Just("‱".to_string()),
        Just("%".to_string()),
        Just("\0".to_string()),
        "[0-9]{1,25}",
        "[a-zA-Z]{1,6}",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(atoms, 0..24).prop_map(|v| v.concat())
}

fn expand_ok(s: &str) -> Result<String, String> {
    Ok(s.replace("%n", "x.service"))
}

fn expand_err(s: &str) -> Result<String, String> {
    if s.contains('%') {
        Err("bad".into())
    } else {
        Ok(s.to_string())
    }
}

fn every_parser(s: &str) {
    for &kind in KINDS {
        let mut w = Vec::new();
        let r = value::parse_with_warnings(kind, s, &mut expand_ok, &mut w);
        // Blank is "reset" for every kind but capability lists, where it
        // is the empty set.
        if s.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
            let want = if kind == Kind::Capabilities { Value::Capabilities(Default::default()) } else { Value::Empty };
            assert_eq!(r, Ok(want));
        }
        let _ = value::parse_with_warnings(kind, s, &mut expand_err, &mut w);
        let _ = value::parse(kind, s, &mut expand_ok);
    }
    let flags = [
        words::ExtractFlags::NONE,
        words::ExtractFlags::UNQUOTE | words::ExtractFlags::CUNESCAPE,
        words::ExtractFlags::UNQUOTE | words::ExtractFlags::RELAX | words::ExtractFlags::UNESCAPE_RELAX,
        words::ExtractFlags::KEEP_QUOTE | words::ExtractFlags::DONT_COALESCE_SEPARATORS,
        words::ExtractFlags::RETAIN_ESCAPE | words::ExtractFlags::RETAIN_SEPARATORS,
        words::ExtractFlags::UNESCAPE_SEPARATORS | words::ExtractFlags::CUNESCAPE,
    ];
    for f in flags {
        let _ = words::split(s, ":, ", f);
        let mut w = words::Words::new(s, words::WHITESPACE, f);
        let mut warnings = Vec::new();
        // The relaxed reader always makes progress or stops.
        for _ in 0..=s.len() + 1 {
            match w.next_word_relaxed(&mut warnings) {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
    let _ = words::cunescape(s);
    let _ = time::parse_nsec(s);
    let _ = value::size::parse_size(s, 1000);
    let _ = env::parse_env_file(s.as_bytes(), &mut Vec::new());
    if let Ok(cmds) = exec::parse_exec(s, &mut expand_ok, &mut Vec::new()) {
        for c in cmds {
            assert!(!c.argv.is_empty());
            let _ = exec::expand_argv(&c, |n: &str| n.len().is_multiple_of(2).then(|| s.to_string()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(768))]

    #[test]
    fn syntax_heavy_strings_never_panic(s in syntaxy()) {
        every_parser(&s);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        every_parser(&s);
    }

    #[test]
    fn arbitrary_env_file_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = env::parse_env_file(&b, &mut Vec::new());
    }

    /// Everything below 584542 years (where systemd's own parser starts to
    /// refuse the year count) prints to text that parses back exactly.
    #[test]
    fn formatted_timespans_parse_back(v in 0u64..584_542 * time::USEC_PER_YEAR) {
        let text = time::format_timespan(v, 0);
        prop_assert_eq!(time::parse_sec(&text), Ok(time::Usec(v)));
    }
}
