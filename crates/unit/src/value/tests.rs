//! Dispatch tests: every `Kind` reaches its parser, with the
//! specifier/empty/NUL rules of `parse_with_warnings`.

use super::*;
use crate::directive::LimitUnit;

fn spec(s: &str) -> Result<String, String> {
    if s.contains("%q") {
        return Err("unknown specifier".into());
    }
    Ok(s.replace("%n", "foo.service").replace("%i", "inst").replace("%N", "3"))
}

fn p(kind: Kind, raw: &str) -> Result<Value, ValueError> {
    parse(kind, raw, &mut spec)
}

fn pw(kind: Kind, raw: &str) -> (Result<Value, ValueError>, Vec<ValueError>) {
    let mut w = Vec::new();
    let r = parse_with_warnings(kind, raw, &mut spec, &mut w);
    (r, w)
}

#[test]
fn empty_for_every_kind() {
    let kinds = [
        Kind::String,
        Kind::Bool,
        Kind::Seconds,
        Kind::Exec,
        Kind::Environment,
        Kind::Enum(&["a"]),
        Kind::Limit(LimitUnit::Count),
        Kind::Listen,
        Kind::Condition,
    ];
    for k in kinds {
        assert_eq!(p(k, ""), Ok(Value::Empty), "{k:?}");
        assert_eq!(p(k, "  \t"), Ok(Value::Empty), "{k:?}");
        assert_eq!(p(k, "\0junk"), Ok(Value::Empty), "{k:?}: NUL ends the value");
    }
}

#[test]
fn scalars() {
    assert_eq!(p(Kind::Bool, "on"), Ok(Value::Bool(true)));
    assert_eq!(p(Kind::Bool, "maybe"), Err(ValueError::Bool("maybe".into())));
    assert_eq!(p(Kind::Int, "-0x10"), Ok(Value::Int(-16)));
    assert_eq!(p(Kind::Unsigned, "010"), Ok(Value::Unsigned(8)));
    assert_eq!(p(Kind::Nice, "-5"), Ok(Value::Int(-5)));
    assert!(p(Kind::Nice, "20").is_err());
    assert_eq!(p(Kind::OomScoreAdjust, "-1000"), Ok(Value::Int(-1000)));
    assert_eq!(p(Kind::Mode, "0755"), Ok(Value::Mode(0o755)));
    assert_eq!(p(Kind::Signal, "SIGHUP"), Ok(Value::Signal(1)));
    assert_eq!(p(Kind::Weight, "idle"), Ok(Value::Weight(Weight::Idle)));
    assert_eq!(p(Kind::Weight, "100"), Ok(Value::Weight(Weight::Value(100))));
    assert_eq!(p(Kind::SyslogFacility, "local0"), Ok(Value::SyslogFacility(16)));
    assert_eq!(p(Kind::SyslogLevel, "info"), Ok(Value::SyslogLevel(6)));
    assert!(p(Kind::Bool, "%n").is_err(), "no specifiers in booleans");
}

#[test]
fn times_sizes_percent() {
    assert_eq!(p(Kind::Seconds, "90"), Ok(Value::Timespan(Usec(90_000_000))));
    assert_eq!(p(Kind::Usec, "90"), Ok(Value::Timespan(Usec(90))));
    assert_eq!(p(Kind::Nsec, "90"), Ok(Value::Nsec(90)));
    assert_eq!(p(Kind::Seconds, "infinity"), Ok(Value::Timespan(Usec::INFINITY)));
    assert_eq!(p(Kind::Size, "4K"), Ok(Value::Size(Size::Bytes(4096))));
    assert_eq!(p(Kind::SizeOrPercent, "50%"), Ok(Value::MemoryLimit(MemoryLimit::Permyriad(5000))));
    assert_eq!(p(Kind::Percent, "150%"), Ok(Value::Permyriad(15000)));
    assert!(p(Kind::Percent, "0%").is_err());
    assert_eq!(
        p(Kind::Limit(LimitUnit::Seconds), "1min:infinity"),
        Ok(Value::Limit(Rlimit { soft: 60, hard: u64::MAX }))
    );
}

#[test]
fn strings_and_specifiers() {
    assert_eq!(p(Kind::String, "Hello %n"), Ok(Value::String("Hello foo.service".into())));
    assert_eq!(p(Kind::Raw, "x=%i"), Ok(Value::String("x=inst".into())));
    assert!(matches!(p(Kind::String, "%q"), Err(ValueError::Specifier { .. })));
    assert_eq!(
        p(Kind::Strings, "man:foo(1) 'http://x y' %n a\\x41"),
        Ok(Value::Strings(vec!["man:foo(1)".into(), "http://x y".into(), "foo.service".into(), "ax41".into()]))
    );
    let (r, w) = pw(Kind::Strings, "a \"b");
    assert_eq!(r, Ok(Value::Strings(vec!["a".into()])));
    assert_eq!(w.len(), 1);
    assert_eq!(p(Kind::Calendar, "Mon *-*-* 00:00"), Ok(Value::String("Mon *-*-* 00:00".into())));
}

#[test]
fn units() {
    assert_eq!(p(Kind::Unit, "%i.target"), Ok(Value::String("inst.target".into())));
    assert_eq!(p(Kind::Unit, "foo"), Err(ValueError::UnitName("foo".into())));
    let (r, w) = pw(Kind::Units, "a.service   getty@tty1.service bad foo@.service %n \"q.service\"");
    assert_eq!(
        r,
        Ok(Value::Strings(vec!["a.service".into(), "getty@tty1.service".into(), "foo.service".into()]))
    );
    assert_eq!(
        w,
        [
            ValueError::UnitName("bad".into()),
            ValueError::UnitName("foo@.service".into()),
            ValueError::UnitName("\"q.service\"".into()),
        ]
    );
}

#[test]
fn paths() {
    assert_eq!(p(Kind::Path, "/var//lib/%n/"), Ok(Value::String("/var/lib/foo.service".into())));
    assert_eq!(p(Kind::Path, "rel"), Err(ValueError::PathNotAbsolute("rel".into())));
    let (r, w) = pw(Kind::Paths, "-/a +/b -+/c/ rel /d/../e '/f g'");
    assert_eq!(
        r,
        Ok(Value::Paths(vec![
            PathEntry { path: "/a".into(), ignore_missing: true, root_relative: false },
            PathEntry { path: "/b".into(), ignore_missing: false, root_relative: true },
            PathEntry { path: "/c".into(), ignore_missing: true, root_relative: true },
            PathEntry { path: "/f g".into(), ignore_missing: false, root_relative: false },
        ]))
    );
    assert_eq!(w.len(), 2);
}

#[test]
fn exec_and_environment() {
    let Ok(Value::Exec(cmds)) = p(Kind::Exec, "-/bin/echo %n ; /bin/true") else { panic!() };
    assert_eq!(cmds.len(), 2);
    assert_eq!(cmds[0].argv, ["/bin/echo", "foo.service"]);
    assert!(cmds[0].flags.ignore_failure);
    assert!(p(Kind::Exec, "rel/x").is_err_and(|e| e.is_fatal()));
    assert_eq!(
        p(Kind::Environment, "A=%n 'B=x y'"),
        Ok(Value::Environment(vec![("A".into(), "foo.service".into()), ("B".into(), "x y".into())]))
    );
    assert_eq!(
        p(Kind::EnvironmentFile, "-/etc/default/%i"),
        Ok(Value::EnvironmentFile { path: "/etc/default/inst".into(), optional: true })
    );
    assert_eq!(
        p(Kind::EnvironmentFile, "/etc/x"),
        Ok(Value::EnvironmentFile { path: "/etc/x".into(), optional: false })
    );
    assert!(p(Kind::EnvironmentFile, "-rel").is_err());
    assert_eq!(p(Kind::EnvNames, "PATH LANG"), Ok(Value::Strings(vec!["PATH".into(), "LANG".into()])));
}

#[test]
fn enums() {
    const RESTART: &[&str] = &["no", "on-success", "on-failure", "always"];
    const PROTECT: &[&str] = &["no", "yes", "full", "strict"];
    assert_eq!(p(Kind::Enum(RESTART), "on-failure"), Ok(Value::Enum("on-failure")));
    assert!(matches!(p(Kind::Enum(RESTART), "On-Failure"), Err(ValueError::Enum { .. })));
    assert!(p(Kind::Enum(RESTART), "false").is_err(), "no boolean table without yes");
    assert_eq!(p(Kind::Enum(PROTECT), "true"), Ok(Value::Enum("yes")));
    assert_eq!(p(Kind::Enum(PROTECT), "0"), Ok(Value::Enum("no")));
    assert_eq!(p(Kind::Enum(PROTECT), "strict"), Ok(Value::Enum("strict")));
}

#[test]
fn cpu_sets() {
    assert_eq!(p(Kind::CpuSet, "numa"), Ok(Value::CpuAffinityNuma));
    let Ok(Value::CpuSet(set)) = p(Kind::CpuSet, "0-1 %N") else { panic!("CPU set expected") };
    assert_eq!(set.iter().collect::<Vec<_>>(), [0, 1, 3], "specifiers are expanded first");
    assert_eq!(p(Kind::CpuSet, "0-1 %i"), Err(ValueError::CpuSet("inst".into())));
}

#[test]
fn caps_conditions_stdio_listen() {
    let (r, w) = pw(Kind::Capabilities, "~CAP_SYS_ADMIN bogus");
    assert_eq!(r, Ok(Value::Capabilities(CapabilitySet { invert: true, mask: 1 << 21 })));
    assert_eq!(w.len(), 1);
    assert_eq!(p(Kind::SecureBits, "keep-caps"), Ok(Value::SecureBits(SecureBits(1 << 4))));
    assert_eq!(
        p(Kind::Condition, "|!/run/%n"),
        Ok(Value::Condition(Condition { trigger: true, negate: true, arg: "/run/foo.service".into() }))
    );
    assert_eq!(p(Kind::Input, "null"), Ok(Value::Input(StdInput::Null)));
    assert_eq!(p(Kind::Output, "append:/log/%n"), Ok(Value::Output(StdOutput::Append(Some("/log/foo.service".into())))));
    assert_eq!(p(Kind::Listen, "/run/%n"), Ok(Value::Listen(Box::new(ListenAddress::Path("/run/foo.service".into())))));
    assert_eq!(p(Kind::Listen, "8080"), Ok(Value::Listen(Box::new(ListenAddress::Port(8080)))));
    let mut w = Vec::new();
    assert_eq!(
        parse_with_warnings(Kind::ExitStatusSet, "1 SIGKILL x", &mut spec, &mut w).map(|v| matches!(v, Value::ExitStatusSet(_))),
        Ok(true)
    );
    assert_eq!(w, [ValueError::ExitStatus("x".into())]);
}
