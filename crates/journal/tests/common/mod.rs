//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use journal::{export, Entry, EntryFields, Id128, Journal, JournalWriter, WriterOptions};

pub const MACHINE: &str = "3d1219c7c4c5404aaa1f6d2a48adfda4";
pub const BOOT: &str = "70982930a27148b3acccf2f66abe9482";
pub const SEQNUM_ID: &str = "8ec1f3989c3e4b519314127bde156acc";

pub fn id(s: &str) -> Id128 {
    Id128::parse(s).unwrap()
}

/// An owned entry, convertible to `EntryFields`.
#[derive(Clone, Debug)]
pub struct OwnedEntry {
    pub realtime: u64,
    pub monotonic: u64,
    pub boot_id: Id128,
    pub fields: Vec<(String, Vec<u8>)>,
}

impl OwnedEntry {
    pub fn append_to(&self, w: &mut JournalWriter) -> journal::Result<u64> {
        let fields: Vec<(&str, &[u8])> = self
            .fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        w.append(&EntryFields {
            realtime_usec: self.realtime,
            monotonic_usec: self.monotonic,
            boot_id: self.boot_id,
            fields: &fields,
        })
    }
}

pub fn create(path: &Path, options: &WriterOptions) -> JournalWriter {
    JournalWriter::create(path, id(MACHINE), id(BOOT), id(SEQNUM_ID), options).unwrap()
}

/// The service-log-like entry `i` of the differential data set: ~50 units.
pub fn service_entry(i: u64) -> OwnedEntry {
    let unit = i % 50;
    let priority = (i * 7 + unit) % 8;
    let mut message = format!("unit {unit} says hello number {i}");
    if i.is_multiple_of(97) {
        message = format!("multi\nline message {i}");
    }
    if i.is_multiple_of(131) {
        message = format!("binary \0 nul {i}");
    }
    if i % 10 == 3 {
        message = format!("repeated message of unit {unit}");
    }
    OwnedEntry {
        realtime: 1_700_000_000_000_000 + i * 1_000,
        monotonic: 5_000_000 + i * 1_000,
        boot_id: id(BOOT),
        fields: vec![
            ("MESSAGE".into(), message.into_bytes()),
            ("PRIORITY".into(), priority.to_string().into_bytes()),
            (
                "_SYSTEMD_UNIT".into(),
                format!("u{unit}.service").into_bytes(),
            ),
            ("SYSLOG_IDENTIFIER".into(), format!("u{unit}").into_bytes()),
            (
                "_PID".into(),
                (1000 + unit * 3 + (i / 5000)).to_string().into_bytes(),
            ),
            ("_BOOT_ID".into(), BOOT.as_bytes().to_vec()),
            ("_MACHINE_ID".into(), MACHINE.as_bytes().to_vec()),
            ("_HOSTNAME".into(), b"testhost".to_vec()),
            ("_TRANSPORT".into(), b"stdout".to_vec()),
        ],
    }
}

/// Runs the real journalctl; a missing binary fails the test.
pub fn journalctl(args: &[&str]) -> Output {
    let out = Command::new("journalctl")
        .args(args)
        .env("SYSTEMD_PAGER", "")
        .env("SYSTEMD_COLORS", "0")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("journalctl (systemd 252) must be installed for these tests");
    out
}

/// Our export of every entry of `j` from the current position forward.
pub fn export_forward(j: &mut Journal) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(e) = j.next().unwrap() {
        export::write_entry(&e, &mut out).unwrap();
    }
    out
}

pub fn export_entries(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        export::write_entry(e, &mut out).unwrap();
    }
    out
}

/// First differing line, for readable assertion messages.
pub fn first_difference(a: &[u8], b: &[u8]) -> String {
    let la: Vec<&[u8]> = a.split(|&c| c == b'\n').collect();
    let lb: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
    for (i, (x, y)) in la.iter().zip(lb.iter()).enumerate() {
        if x != y {
            return format!(
                "line {i}: ours {:?} vs journalctl {:?}",
                String::from_utf8_lossy(x),
                String::from_utf8_lossy(y)
            );
        }
    }
    format!("lengths differ: {} vs {} lines", la.len(), lb.len())
}
