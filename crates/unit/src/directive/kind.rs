//! The value syntaxes a directive can have.
//!
//! Every entry of the directive table names one [`Kind`]; the typed parsers
//! in [`crate::value`] turn the raw text of an assignment into a
//! [`crate::value::Value`] according to it. Kinds follow the value
//! placeholders systemd's own `--dump-configuration-items` prints (see
//! `../shared/corpus/systemd252-configuration-items.txt`), refined where one
//! placeholder covers several syntaxes (`OTHER`, `LIMIT`, `STRING`).
//!
//! This list is the contract between the table and the parsers: a directive
//! whose syntax has no kind yet uses [`Kind::Raw`] (the text is kept
//! verbatim, specifiers expanded) rather than a wrong kind.

/// How the resource of a `Limit*=` directive is measured, which decides the
/// accepted suffixes (`systemd.exec(5)`, "Process Properties", the table of
/// rlimits and their units).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitUnit {
    /// `LimitCPU=`: seconds (time span suffixes accepted).
    Seconds,
    /// `LimitRTTIME=`: microseconds (time span suffixes accepted).
    Usec,
    /// Byte-valued limits (`LimitFSIZE=`, `LimitNOFILE=` is a count):
    /// 1024-based suffixes accepted.
    Bytes,
    /// Plain counts (`LimitNOFILE=`, `LimitNPROC=`, …).
    Count,
    /// `LimitNICE=`: a count, or a nice level with explicit sign (`-5`).
    Nice,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Free text, kept as written after specifier expansion (`Description=`).
    String,
    /// Whitespace-separated words with quoting and C escapes
    /// (`Documentation=`, `SupplementaryGroups=`, `Alias=`).
    Strings,
    /// `yes/no/true/false/on/off/1/0/y/n/t/f`, case-insensitive.
    Bool,
    /// A signed integer.
    Int,
    /// An unsigned integer.
    Unsigned,
    /// A time span whose bare numbers are seconds; `infinity` allowed.
    Seconds,
    /// A time span whose bare numbers are microseconds.
    Usec,
    /// A time span whose bare numbers are nanoseconds (`TimerSlackNSec=`).
    Nsec,
    /// Bytes with 1024-based suffixes (`K`, `M`, `G`, …) or `infinity`.
    Size,
    /// Bytes, a percentage of physical memory, or `infinity` (`MemoryMax=`).
    SizeOrPercent,
    /// A percentage (`CPUQuota=20%`), may exceed 100.
    Percent,
    /// An octal file mode (`UMask=`, `SocketMode=`).
    Mode,
    /// A signal name (`SIGTERM`, `TERM`) or number.
    Signal,
    /// Exit codes (numbers, symbolic names) and signal names
    /// (`SuccessExitStatus=`, `RestartPreventExitStatus=`).
    ExitStatusSet,
    /// One unit name.
    Unit,
    /// A list of unit names (`Wants=`, `After=`).
    Units,
    /// One absolute path.
    Path,
    /// A list of absolute paths, each optionally prefixed `-`.
    Paths,
    /// A command line (`ExecStart=`), with its prefixes.
    Exec,
    /// `Environment=`: quoted `VAR=value` words.
    Environment,
    /// `EnvironmentFile=`: a path, optionally prefixed `-`.
    EnvironmentFile,
    /// Variable names (`PassEnvironment=`, `UnsetEnvironment=` also allows
    /// `VAR=value`).
    EnvNames,
    /// `Condition…=`/`Assert…=`: optional `|` and `!` prefixes, then a
    /// check-specific argument.
    Condition,
    /// One of a fixed set of words.
    Enum(&'static [&'static str]),
    /// A resource limit: `soft[:hard]`, each a value in `LimitUnit` or
    /// `infinity`.
    Limit(LimitUnit),
    /// Nice level, -20…19.
    Nice,
    /// `OOMScoreAdjust=`, -1000…1000.
    OomScoreAdjust,
    /// `CPUWeight=`/`IOWeight=`-style weights, 1…10000 (`idle` for CPU).
    Weight,
    /// A CPU or NUMA node set: `0-3 5,7`.
    CpuSet,
    /// Capability names, optionally `~`-inverted.
    Capabilities,
    /// `SecureBits=` flag names.
    SecureBits,
    /// `SyslogFacility=` names.
    SyslogFacility,
    /// `SyslogLevel=`/`LogLevelMax=` names or numbers.
    SyslogLevel,
    /// `StandardInput=`: fixed words plus `file:PATH`, `fd:NAME`.
    Input,
    /// `StandardOutput=`/`StandardError=`: fixed words plus `file:`,
    /// `append:`, `truncate:`, `fd:`.
    Output,
    /// Socket listen addresses (`ListenStream=`: port, `host:port`,
    /// `[v6]:port`, `/path`, `@abstract`, `vsock:…`).
    Listen,
    /// A calendar event (`OnCalendar=`), see `systemd.time(7)`.
    Calendar,
    /// Kept verbatim (specifiers expanded); no typed parser yet.
    Raw,
}
