//! The messages.
//!
//! A connection is a conversation: the client sends `Hello`, then any
//! number of requests, each answered by one or more responses. Most requests
//! are answered by exactly one response; job requests that the client waits
//! for (`systemctl start` without `--no-block`) are answered by
//! `JobQueued` for each job and later `JobDone` for each, then `End`.
//! Following the journal (`journalctl -f`) streams `LogLine`s until the
//! client hangs up.
//!
//! Unit names travel as the user typed them; the manager mangles them
//! (`nginx` → `nginx.service`) as systemctl does, so every client gets the
//! same behaviour.
//!
//! Compatibility: adding an optional field (`#[serde(default)]`) or a new
//! variant is a minor change; anything else bumps [`PROTOCOL_VERSION`].

use serde::{Deserialize, Serialize};

/// Bumped on any incompatible change.
pub const PROTOCOL_VERSION: u32 = 1;

/// What a job does to a unit (`systemctl(1)`, "Unit Commands").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobVerb {
    Start,
    Stop,
    Restart,
    TryRestart,
    Reload,
    ReloadOrRestart,
    TryReloadOrRestart,
    VerifyActive,
    Isolate,
}

/// `--job-mode=` (`systemctl(1)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobMode {
    Fail,
    #[default]
    Replace,
    ReplaceIrreversibly,
    Isolate,
    Flush,
    IgnoreDependencies,
    IgnoreRequirements,
    Triggering,
}

/// `--kill-whom=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KillWhom {
    Main,
    Control,
    #[default]
    All,
}

/// `halt`, `poweroff`, `reboot`, `exit` (the last with an exit code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShutdownKind {
    Halt,
    Poweroff,
    Reboot,
    Exit,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Request {
    /// Must be the first message on a connection.
    Hello { version: u32, client: String },
    Ping,
    /// Queue jobs; with `wait`, stream their results before `End`.
    Job { verb: JobVerb, units: Vec<String>, mode: JobMode, wait: bool },
    Kill { units: Vec<String>, whom: KillWhom, signal: i32 },
    ResetFailed { units: Vec<String> },
    /// Properties of units, by systemd's property names. Empty `properties`
    /// means all (non-empty ones unless `all`); with `brief`, all that the
    /// manager keeps state for, without the ~300 settings a bare
    /// `systemctl show` lists (what `status` reads: it pays for none of
    /// them). An older client's request has no `brief`: all.
    Show {
        units: Vec<String>,
        properties: Vec<String>,
        all: bool,
        #[serde(default)]
        brief: bool,
    },
    ListUnits {
        patterns: Vec<String>,
        types: Vec<String>,
        states: Vec<String>,
        all: bool,
    },
    ListJobs,
    /// `cancel [JOB…]`: end these jobs as canceled (none named: all).
    CancelJobs { ids: Vec<u32> },
    DaemonReload,
    ShowEnvironment,
    SetEnvironment { assignments: Vec<String> },
    UnsetEnvironment { names: Vec<String> },
    IsSystemRunning,
    Shutdown { kind: ShutdownKind, code: u8 },
    /// `list-sockets`: the listening addresses of socket units (with
    /// `all`, also of units that are not listening).
    ListSockets { all: bool },
    /// The direct dependencies of one unit in one direction, as
    /// `list-dependencies` walks them (the client recurses).
    Dependencies { unit: String, direction: DepDirection },
    /// The client sends nothing more: the manager closes the connection
    /// as soon as the answers to the requests before it are written.
    /// Sent in the same write as a client's last request, it spares the
    /// manager the wake-up that the client's own close would cause
    /// (`EPOLLHUP`, then a read of the end of file) — one of the three per
    /// `systemctl is-active` — and the client's `close()` wakes nobody.
    Bye,
}

/// Which edges `list-dependencies` follows (`--reverse`, `--after`,
/// `--before`; `systemctl(1)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DepDirection {
    /// Requires=, Requisite=, Wants=, BindsTo=, ConsistsOf=.
    #[default]
    Forward,
    /// RequiredBy=, RequisiteOf=, WantedBy=, PartOf=, BoundBy=.
    Reverse,
    After,
    Before,
}

/// One row of `list-sockets`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketRow {
    pub listen: String,
    /// `Stream`, `Datagram`, `FIFO`… (`--show-types`).
    pub kind: String,
    pub unit: String,
    pub activates: Vec<String>,
}

/// A unit with its states (for the tree's dots and `--state=`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitState {
    pub name: String,
    pub active: String,
    #[serde(default)]
    pub load: String,
    #[serde(default)]
    pub sub: String,
}

/// Why a request failed. The CLI maps these onto systemctl's exit codes
/// and messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    AccessDenied,
    NoSuchUnit,
    UnitMasked,
    InvalidRequest,
    /// The transaction cannot be built (ordering cycle that cannot be
    /// broken, conflicting jobs in `fail` mode, missing requirement…).
    Transaction,
    /// The unit refuses the operation (`RefuseManualStart=`, no
    /// `ExecReload=`…).
    Refused,
    Version,
    Internal,
}

/// One row of `list-units`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRow {
    pub name: String,
    pub load: String,
    pub active: String,
    pub sub: String,
    pub description: String,
    /// The job pending on the unit, if any (`start`, `stop`…).
    #[serde(default)]
    pub job: Option<String>,
}

/// One row of `list-jobs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: u32,
    pub unit: String,
    pub verb: String,
    pub state: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Response {
    Hello { version: u32, server: String, pid: u32 },
    Pong,
    /// The request succeeded and has nothing else to say.
    Ok,
    Error { kind: ErrorKind, message: String },
    JobQueued { id: u32, unit: String, verb: JobVerb },
    /// `result` is systemd's job result word: done, canceled, timeout,
    /// failed, dependency, skipped, invalid, assert, unsupported, collected,
    /// once.
    JobDone { id: u32, unit: String, verb: JobVerb, result: String },
    /// Properties of one unit in the order the client asked for them (or
    /// the manager's order for "all").
    Properties { unit: String, properties: Vec<(String, String)> },
    Units { units: Vec<UnitRow> },
    Jobs { jobs: Vec<JobRow> },
    Environment { assignments: Vec<String> },
    /// `is-system-running`: initializing, starting, running, degraded,
    /// maintenance, stopping, offline, unknown.
    SystemState { state: String },
    Sockets { sockets: Vec<SocketRow> },
    /// The direct dependencies of `unit`, unsorted.
    Dependencies { unit: String, deps: Vec<UnitState> },
    /// End of a multi-message answer.
    End,
}

/// Whether `payload` is a JSON object whose first member is `"type"`
/// with the value `kind`, as serde writes an internally tagged enum (the
/// tag first). Anything else — another order, spaces, escapes — is left to
/// the derived decoder, which reads every form.
fn tagged_first(payload: &[u8], kind: &str) -> bool {
    payload
        .strip_prefix(br#"{"type":""#.as_slice())
        .and_then(|rest| rest.strip_prefix(kind.as_bytes()))
        .is_some_and(|rest| rest.starts_with(br#"","#))
}

/// `Properties` in the one form serde_json writes it, and with no escape
/// in any string, read by hand; `None` for anything else (another order
/// or spacing, an escape, a control character), which serde then reads.
/// Why: the derived decoder costs ~550 instructions per property pair
/// (a `String` pair through serde's tuple visitor); `status` receives
/// about a hundred (callgrind of the client: 69 k of its 460 k). Accepting
/// only what serde accepts with the same result is what keeps this exact:
/// the whole payload is valid UTF-8, every string is the text between two
/// quotes with no backslash (so no escape to decode and no quote inside)
/// and no byte below 0x20 (which JSON forbids raw), and nothing follows.
fn properties_canonical(payload: &[u8]) -> Option<Response> {
    /// The string that starts `s` (its opening quote already read), and
    /// what follows its closing quote.
    fn plain(s: &str) -> Option<(&str, &str)> {
        let end = s.find('"')?;
        let body = &s[..end];
        if body.bytes().any(|b| b == b'\\' || b < 0x20) {
            return None;
        }
        Some((body, &s[end + 1..]))
    }
    let text = std::str::from_utf8(payload).ok()?;
    let (unit, rest) = plain(text.strip_prefix(r#"{"type":"properties","unit":""#)?)?;
    let mut rest = rest.strip_prefix(r#","properties":["#)?;
    let mut properties = Vec::with_capacity(128);
    if let Some(r) = rest.strip_prefix(']') {
        rest = r;
    } else {
        loop {
            let (k, r) = plain(rest.strip_prefix("[\"")?)?;
            let (v, r) = plain(r.strip_prefix(",\"")?)?;
            let r = r.strip_prefix(']')?;
            properties.push((k.to_string(), v.to_string()));
            match r.strip_prefix(',') {
                Some(next) => rest = next,
                None => {
                    rest = r.strip_prefix(']')?;
                    break;
                }
            }
        }
    }
    (rest == "}").then(|| Response::Properties { unit: unit.to_string(), properties })
}

/// The fields of [`Response::Properties`], as a plain struct.
#[derive(Deserialize)]
struct PropertiesBody {
    unit: String,
    properties: Vec<(String, String)>,
}

/// The fields of [`Request::Hello`], as a plain struct.
#[derive(Deserialize)]
struct HelloBody {
    version: u32,
    client: String,
}

/// The fields of [`Request::Show`], as a plain struct.
#[derive(Deserialize)]
struct ShowBody {
    units: Vec<String>,
    properties: Vec<String>,
    all: bool,
    #[serde(default)]
    brief: bool,
}

impl Request {
    /// Decode one request payload (JSON): the derived decoder's result,
    /// with `Hello` and `Show` — the two frames of every `is-active`,
    /// `show` and `status` — read straight into their fields (see
    /// [`Response::from_json`] for why that is faster).
    pub fn from_json(payload: &[u8]) -> serde_json::Result<Request> {
        if tagged_first(payload, "hello") {
            let HelloBody { version, client } = serde_json::from_slice(payload)?;
            return Ok(Request::Hello { version, client });
        }
        if tagged_first(payload, "show") {
            let ShowBody { units, properties, all, brief } = serde_json::from_slice(payload)?;
            return Ok(Request::Show { units, properties, all, brief });
        }
        serde_json::from_slice(payload)
    }
}

impl Response {
    /// Decode one response payload (JSON).
    ///
    /// Same result as the derived `Deserialize`, faster for `Properties`,
    /// the answer of every `is-active`, `show` and `status`: serde reads an
    /// internally tagged enum by first copying the whole object into an
    /// intermediate tree (it cannot know the variant before it has seen
    /// `type`), then reading the variant from that tree. A payload that
    /// starts with the tag of `Properties`, as serde writes it, is read
    /// straight into its fields instead (`status -n0`: 539 k → 524 k
    /// instructions, callgrind). Every other response, and any other
    /// spelling of the same object, goes through the derived code.
    pub fn from_json(payload: &[u8]) -> serde_json::Result<Response> {
        if tagged_first(payload, "properties") {
            if let Some(r) = properties_canonical(payload) {
                return Ok(r);
            }
            let PropertiesBody { unit, properties } = serde_json::from_slice(payload)?;
            return Ok(Response::Properties { unit, properties });
        }
        serde_json::from_slice(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derived(payload: &[u8]) -> Result<Response, String> {
        serde_json::from_slice::<Response>(payload).map_err(|e| e.to_string())
    }

    fn fast(payload: &[u8]) -> Result<Response, String> {
        Response::from_json(payload).map_err(|e| e.to_string())
    }

    /// `Request::from_json` reads what the derived decoder reads.
    #[test]
    fn request_from_json_agrees_with_the_derived_decoder() {
        let all = vec![
            Request::Hello { version: PROTOCOL_VERSION, client: "systemctl \"x\"".into() },
            Request::Show { units: vec!["s1".into(), "é.service".into()], properties: vec!["ActiveState".into()], all: false, brief: false },
            Request::Show { units: Vec::new(), properties: Vec::new(), all: true, brief: true },
            Request::Show { units: vec!["s".into()], properties: (0..100).map(|i| format!("P{i}")).collect(), all: false, brief: false },
            Request::Ping,
            Request::ListJobs,
            Request::Bye,
        ];
        for r in all {
            let json = serde_json::to_vec(&r).unwrap();
            assert_eq!(Request::from_json(&json).map_err(|e| e.to_string()), Ok(r));
        }
        let odd: &[&[u8]] = &[
            br#"{"all":true,"properties":[],"units":["a"],"type":"show","x":1}"#,
            br#"{"type":"sh\u006fw","units":["a"],"properties":[],"all":false}"#,
            br#"{"type":"show","units":["a"],"properties":[]}"#,
            br#"{"type":"show","units":"a","properties":[],"all":false}"#,
            br#"{"type":"hello","version":-1,"client":"x"}"#,
            br#"{"type":"hello","version":1}"#,
            br#"{"type":"hello","version":1,"client":"x","extra":[{}]}"#,
            br#"{"type":"nope"}"#,
            b"{",
        ];
        for json in odd {
            let f = Request::from_json(json).map_err(|e| e.to_string());
            let d = serde_json::from_slice::<Request>(json).map_err(|e| e.to_string());
            assert_eq!(f.is_ok(), d.is_ok(), "{}: {f:?} / {d:?}", String::from_utf8_lossy(json));
            if d.is_ok() {
                assert_eq!(f, d);
            }
        }
    }

    /// Serde's own output without escapes is read by the hand decoder (not
    /// handed back to serde), with serde's result.
    #[test]
    fn canonical_properties_are_read_by_hand() {
        let props: Vec<(String, String)> =
            (0..120).map(|i| (format!("P{i}"), if i % 3 == 0 { String::new() } else { format!("v {i} é ✓ {{ x ; y }}") })).collect();
        let r = Response::Properties { unit: "s1.service".into(), properties: props };
        let json = serde_json::to_vec(&r).unwrap();
        assert_eq!(properties_canonical(&json), Some(r.clone()));
        assert_eq!(derived(&json), Ok(r));
        let escaped = Response::Properties { unit: "u".into(), properties: vec![("A".into(), "a \"q\"".into())] };
        assert_eq!(properties_canonical(&serde_json::to_vec(&escaped).unwrap()), None);
        assert_eq!(fast(&serde_json::to_vec(&escaped).unwrap()), Ok(escaped));
    }

    /// `from_json` reads what the derived decoder reads, for every kind of
    /// response and for the odd inputs the derived decoder accepts or
    /// refuses.
    #[test]
    fn from_json_agrees_with_the_derived_decoder() {
        let props = vec![
            ("ActiveState".to_string(), "active".to_string()),
            ("Description".to_string(), "quote \" backslash \\ tab \t é ✓".to_string()),
            ("Empty".to_string(), String::new()),
        ];
        let all = vec![
            Response::Hello { version: PROTOCOL_VERSION, server: "vigil".into(), pid: 42 },
            Response::Pong,
            Response::Ok,
            Response::End,
            Response::Error { kind: ErrorKind::NoSuchUnit, message: "Unit x.service not found.".into() },
            Response::Properties { unit: "s1".into(), properties: props },
            Response::Properties { unit: String::new(), properties: Vec::new() },
            Response::SystemState { state: "running".into() },
            Response::Environment { assignments: vec!["A=1".into()] },
        ];
        for r in all {
            let json = serde_json::to_vec(&r).unwrap();
            assert_eq!(fast(&json), derived(&json), "{}", String::from_utf8_lossy(&json));
            assert_eq!(fast(&json), Ok(r));
        }
        let odd: &[&[u8]] = &[
            // Fields in another order, unknown fields, an escaped tag.
            br#"{"properties":[["A","b"]],"unit":"u","type":"properties"}"#,
            br#"{"type":"properties","unit":"u","properties":[],"extra":{"x":[1,2]}}"#,
            br#"{"type":"propert\u0069es","unit":"u","properties":[["A","b"]]}"#,
            // Broken ones: a missing field, a wrong shape, no tag, not JSON.
            br#"{"type":"properties","unit":"u"}"#,
            br#"{"type":"properties","unit":"u","properties":[["A"]]}"#,
            br#"{"type":"properties","unit":7,"properties":[]}"#,
            br#"{"unit":"u","properties":[]}"#,
            br#"{"type":"no-such-response"}"#,
            b"\xff garbage",
            // Near the canonical form: escapes, raw control characters,
            // something after the object, a short pair, bad UTF-8.
            br#"{"type":"properties","unit":"u","properties":[["A","b\"c"],["D","e\\"]]}"#,
            b"{\"type\":\"properties\",\"unit\":\"u\",\"properties\":[[\"A\",\"b\tc\"]]}",
            br#"{"type":"properties","unit":"u","properties":[["A","b"]]} "#,
            br#"{"type":"properties","unit":"u","properties":[["A","b"]]}x"#,
            br#"{"type":"properties","unit":"u","properties":[["A","b"],]}"#,
            br#"{"type":"properties","unit":"u","properties":[["A","b","c"]]}"#,
            br#"{"type":"properties","unit":"u","properties":[["A","b"]"#,
            br#"{"type":"properties","unit":"u","properties":[]}"#,
            r#"{"type":"properties","unit":"","properties":[["",""],["é","✓ \u00e9"]]}"#.as_bytes(),
            b"{\"type\":\"properties\",\"unit\":\"u\",\"properties\":[[\"A\",\"\xc3\"]]}",
        ];
        for json in odd {
            let (f, d) = (fast(json), derived(json));
            assert_eq!(f.is_ok(), d.is_ok(), "{}: {f:?} / {d:?}", String::from_utf8_lossy(json));
            if d.is_ok() {
                assert_eq!(f, d);
            }
        }
    }
}
