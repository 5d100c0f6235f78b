//! One journal file opened for reading: [`JournalFile`] and [`Entry`].
//!
//! An [`Entry`] is what `sd_journal_enumerate_data(3)` would hand out: the
//! ENTRY object's timestamps and ids plus every `NAME=value` payload in
//! stored order (systemd sorts an entry's items by object offset when it
//! writes them, and `journalctl -o export` prints them in that order). The
//! same field may appear more than once with different values.
//!
//! [`JournalFile`] offers direct access by offset, the file's entry
//! offsets in order, and the values of a field (`journalctl -F`) from the
//! FIELD object's DATA list. Iteration with matches and seeking lives in
//! [`Journal`](super::Journal), which also reads single files.

use std::path::Path;

use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::format::{self, Header};
use crate::id128::Id128;

use super::chain::Chain;
use super::core::Core;

/// One log entry with all its fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Offset of the ENTRY object in its file.
    pub offset: u64,
    /// The `seqnum_id` of the file it was read from.
    pub seqnum_id: Id128,
    pub seqnum: u64,
    /// µs since the epoch.
    pub realtime: u64,
    /// µs since boot `boot_id` started.
    pub monotonic: u64,
    pub boot_id: Id128,
    /// XOR of the Jenkins hashes of the entry's fields.
    pub xor_hash: u64,
    /// The `NAME=value` payloads, in stored order (by object offset).
    pub data: Vec<Vec<u8>>,
}

impl Entry {
    /// The cursor naming this entry (`s=…;i=…;b=…;m=…;t=…;x=…`).
    pub fn cursor(&self) -> Cursor {
        Cursor {
            seqnum_id: Some(self.seqnum_id),
            seqnum: Some(self.seqnum),
            boot_id: Some(self.boot_id),
            monotonic: Some(self.monotonic),
            realtime: Some(self.realtime),
            xor_hash: Some(self.xor_hash),
        }
    }

    /// `(name, value)` pairs, split at the first `=`.
    pub fn fields(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.data.iter().map(|d| split_payload(d))
    }

    /// The first value of field `name`, if present.
    pub fn field(&self, name: &str) -> Option<&[u8]> {
        self.fields()
            .find(|(n, _)| *n == name.as_bytes())
            .map(|(_, v)| v)
    }
}

/// Splits `NAME=value`; a payload without `=` is all name.
pub(crate) fn split_payload(payload: &[u8]) -> (&[u8], &[u8]) {
    match payload.iter().position(|&b| b == b'=') {
        Some(eq) => (&payload[..eq], &payload[eq + 1..]),
        None => (payload, &[]),
    }
}

/// The timestamps and ids of an entry, without its fields: what ordering
/// and seeking need.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EntryMeta {
    pub(crate) offset: u64,
    pub(crate) seqnum: u64,
    pub(crate) realtime: u64,
    pub(crate) monotonic: u64,
    pub(crate) boot_id: Id128,
    pub(crate) xor_hash: u64,
}

/// A journal file opened for reading. Most callers want
/// [`Journal`](super::Journal), which iterates, seeks and matches over one
/// or many files; this type gives direct access to one file's header,
/// entries and field values.
pub struct JournalFile {
    pub(crate) core: Core,
    global: Option<Chain>,
}

impl JournalFile {
    /// Opens and validates the header of a journal file.
    pub fn open(path: &Path) -> Result<JournalFile> {
        Ok(JournalFile {
            core: Core::open(path)?,
            global: None,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.core.path()
    }

    /// The decoded header.
    pub fn header(&self) -> &Header {
        self.core.header()
    }

    /// Objects (and entry-array slots) read so far; a measure of work.
    pub fn objects_visited(&self) -> u64 {
        self.core.visits()
    }

    /// Re-reads the header to pick up entries a writer appended since.
    pub fn refresh(&mut self) -> Result<()> {
        self.global = None;
        self.core.load_header()
    }

    /// Reads the entry whose ENTRY object is at `offset`.
    pub fn entry_at(&mut self, offset: u64) -> Result<Entry> {
        let (eh, items) = self.core.entry_items(offset)?;
        let mut data = Vec::with_capacity(items.len());
        // Distinct DATA objects cannot hold more bytes than the file; an
        // entry naming one huge object many times is damage, not data.
        let mut total = 0u64;
        for item in items {
            let payload = self.core.data_payload(item)?;
            total += payload.len() as u64;
            if total > self.core.file_size() {
                return Err(self.core.corrupt(offset, "entry items repeat data objects"));
            }
            data.push(payload);
        }
        Ok(Entry {
            offset,
            seqnum_id: self.core.header().seqnum_id,
            seqnum: eh.seqnum,
            realtime: eh.realtime,
            monotonic: eh.monotonic,
            boot_id: eh.boot_id,
            xor_hash: eh.xor_hash,
            data,
        })
    }

    /// Offsets of all entries in file order, from the global entry list.
    pub fn entry_offsets(&mut self) -> Result<Vec<u64>> {
        let chain = Chain::global(&mut self.core)?;
        (0..chain.len())
            .map(|i| chain.item(&mut self.core, i))
            .collect()
    }

    /// Every value field `name` takes in this file (`journalctl -F`), from
    /// the FIELD object's list of DATA objects — no entry is read.
    pub fn unique_values(&mut self, name: &str) -> Result<Vec<Vec<u8>>> {
        let Some(field) = self.core.find_field(name.as_bytes())? else {
            return Ok(Vec::new());
        };
        let mut values = Vec::new();
        let mut p = field.head_data_offset;
        // Every step visits a distinct DATA object (at least 64 bytes) in a
        // sound file, so more steps than that means the list loops.
        let limit = self.core.file_size() / format::DATA_PAYLOAD_OFFSET;
        let mut steps = 0u64;
        while p != 0 {
            steps += 1;
            if steps > limit {
                return Err(self.core.corrupt(p, "field's data list loops"));
            }
            let dh = self.core.data_header(p)?;
            let payload = self.core.data_payload(p)?;
            if let Some(value) = payload
                .strip_prefix(name.as_bytes())
                .and_then(|rest| rest.strip_prefix(b"="))
            {
                values.push(value.to_vec());
            }
            p = dh.next_field_offset;
        }
        Ok(values)
    }

    pub(crate) fn meta(&mut self, offset: u64) -> Result<EntryMeta> {
        let eh = self.core.entry_header(offset)?;
        Ok(EntryMeta {
            offset,
            seqnum: eh.seqnum,
            realtime: eh.realtime,
            monotonic: eh.monotonic,
            boot_id: eh.boot_id,
            xor_hash: eh.xor_hash,
        })
    }

    /// The global entry list, built on first use.
    pub(crate) fn global(&mut self) -> Result<(&mut Core, &mut Chain)> {
        if self.global.is_none() {
            self.global = Some(Chain::global(&mut self.core)?);
        }
        match self.global.as_mut() {
            Some(chain) => Ok((&mut self.core, chain)),
            None => Err(Error::corrupt(
                self.core.path(),
                0,
                "global entry list unavailable",
            )),
        }
    }
}
