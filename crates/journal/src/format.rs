//! On-disk structures of a journal file, encoded and decoded by hand.
//!
//! The authority is systemd's JOURNAL_FILE_FORMAT.md (and, where it is
//! silent, what systemd 252's `journalctl --verify` accepts). A file is a
//! [`Header`] followed by an arena of objects. Every object starts with a
//! 16-byte object header (`type`, `flags`, `size`) at an 8-byte aligned
//! offset; `size` excludes the padding up to the next multiple of eight
//! ([`align8`]). All integers are little-endian. The object types are:
//!
//! | type | layout after the object header |
//! |---|---|
//! | DATA (1) | hash, next_hash_offset, next_field_offset, entry_offset, entry_array_offset, n_entries, [compact: tail array offset/count as le32], payload `FIELD=value` |
//! | FIELD (2) | hash, next_hash_offset, head_data_offset, payload `FIELD` |
//! | ENTRY (3) | seqnum, realtime, monotonic, boot_id (16 bytes), xor_hash, items: (data offset, hash) × n, or le32 offsets in compact files |
//! | DATA_HASH_TABLE (4), FIELD_HASH_TABLE (5) | (head, tail) offset pairs |
//! | ENTRY_ARRAY (6) | next_entry_array_offset, entry offsets (le64, or le32 in compact files) |
//! | TAG (7) | seqnum, epoch, 32-byte HMAC (Forward Secure Sealing; never written here) |
//!
//! Header flags. Incompatible: `COMPRESSED_XZ` (1), `COMPRESSED_LZ4` (2),
//! `KEYED_HASH` (4), `COMPRESSED_ZSTD` (8), `COMPACT` (16); a reader must
//! refuse a file with an incompatible bit it does not know. Compatible:
//! `SEALED` (1), `TAIL_ENTRY_BOOT_ID` (2, systemd 254+); unknown ones are
//! ignored by readers.
//!
//! Decisions for what we *write*:
//! - `KEYED_HASH` set, so DATA/FIELD hashes are SipHash-2-4 keyed by the
//!   file id, as systemd 252 does by default. We read both hash kinds.
//! - No `COMPACT`: the brief asks for the classic 64-bit layout, which every
//!   systemd since 187 reads. We *read* compact files, since systemd 252's
//!   journald writes them by default.
//! - No compression and no sealing, so no compatible flags at all: 252's
//!   `--verify` refuses files with compatible flags it does not know, and
//!   `TAIL_ENTRY_BOOT_ID` is one of those.
//! - A 264-byte header: 252's struct (through `tail_entry_array_n_entries`).
//!
//! The header's `arena_size` is, as in systemd, the *allocated* size of
//! the file minus the header, not the used part; the append position is the
//! end of the tail object.

/// The eight magic bytes at offset 0.
pub const SIGNATURE: &[u8; 8] = b"LPKSHHRH";

/// Header length we write: systemd 252's `sizeof(Header)`.
pub const HEADER_SIZE: u64 = 264;
/// Every header has at least the fields before `n_data`.
pub const HEADER_SIZE_MIN: u64 = 208;
/// The largest header we know how to decode (systemd 254 added
/// `tail_entry_offset`); longer headers are fine, their tail is ignored.
pub const HEADER_SIZE_KNOWN: usize = 272;

/// Incompatible header flags (`incompatible_flags`).
pub mod incompatible {
    pub const COMPRESSED_XZ: u32 = 1 << 0;
    pub const COMPRESSED_LZ4: u32 = 1 << 1;
    pub const KEYED_HASH: u32 = 1 << 2;
    pub const COMPRESSED_ZSTD: u32 = 1 << 3;
    pub const COMPACT: u32 = 1 << 4;
    /// Everything a reader here understands.
    pub const SUPPORTED: u32 =
        COMPRESSED_XZ | COMPRESSED_LZ4 | KEYED_HASH | COMPRESSED_ZSTD | COMPACT;
}

/// Compatible header flags (`compatible_flags`).
pub mod compatible {
    pub const SEALED: u32 = 1 << 0;
    pub const TAIL_ENTRY_BOOT_ID: u32 = 1 << 1;
}

/// Per-object compression flags (`ObjectHeader.flags`), DATA only.
pub mod object_flags {
    pub const COMPRESSED_XZ: u8 = 1 << 0;
    pub const COMPRESSED_LZ4: u8 = 1 << 1;
    pub const COMPRESSED_ZSTD: u8 = 1 << 2;
    pub const COMPRESSED_MASK: u8 = COMPRESSED_XZ | COMPRESSED_LZ4 | COMPRESSED_ZSTD;
}

/// Object type codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ObjectType {
    Data = 1,
    Field = 2,
    Entry = 3,
    DataHashTable = 4,
    FieldHashTable = 5,
    EntryArray = 6,
    Tag = 7,
}

impl ObjectType {
    pub fn from_u8(code: u8) -> Option<ObjectType> {
        Some(match code {
            1 => ObjectType::Data,
            2 => ObjectType::Field,
            3 => ObjectType::Entry,
            4 => ObjectType::DataHashTable,
            5 => ObjectType::FieldHashTable,
            6 => ObjectType::EntryArray,
            7 => ObjectType::Tag,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ObjectType::Data => "data",
            ObjectType::Field => "field",
            ObjectType::Entry => "entry",
            ObjectType::DataHashTable => "data hash table",
            ObjectType::FieldHashTable => "field hash table",
            ObjectType::EntryArray => "entry array",
            ObjectType::Tag => "tag",
        }
    }
}

/// The header's `state` byte ("Dirty Detection").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FileState {
    /// Closed cleanly; a writer may open it for appending.
    Offline = 0,
    /// A writer has it open, or crashed while it had.
    Online = 1,
    /// Rotated away; never written again.
    Archived = 2,
}

impl FileState {
    pub fn from_u8(code: u8) -> Option<FileState> {
        match code {
            0 => Some(FileState::Offline),
            1 => Some(FileState::Online),
            2 => Some(FileState::Archived),
            _ => None,
        }
    }
}

/// Byte offsets of header fields, shared by the encoder, the decoder and
/// the writer's targeted updates.
pub mod header_offset {
    pub const COMPATIBLE_FLAGS: usize = 8;
    pub const INCOMPATIBLE_FLAGS: usize = 12;
    pub const STATE: usize = 16;
    pub const RESERVED: usize = 17;
    pub const FILE_ID: usize = 24;
    pub const MACHINE_ID: usize = 40;
    pub const TAIL_ENTRY_BOOT_ID: usize = 56;
    pub const SEQNUM_ID: usize = 72;
    pub const HEADER_SIZE: usize = 88;
    pub const ARENA_SIZE: usize = 96;
    pub const DATA_HASH_TABLE_OFFSET: usize = 104;
    pub const DATA_HASH_TABLE_SIZE: usize = 112;
    pub const FIELD_HASH_TABLE_OFFSET: usize = 120;
    pub const FIELD_HASH_TABLE_SIZE: usize = 128;
    pub const TAIL_OBJECT_OFFSET: usize = 136;
    pub const N_OBJECTS: usize = 144;
    pub const N_ENTRIES: usize = 152;
    pub const TAIL_ENTRY_SEQNUM: usize = 160;
    pub const HEAD_ENTRY_SEQNUM: usize = 168;
    pub const ENTRY_ARRAY_OFFSET: usize = 176;
    pub const HEAD_ENTRY_REALTIME: usize = 184;
    pub const TAIL_ENTRY_REALTIME: usize = 192;
    pub const TAIL_ENTRY_MONOTONIC: usize = 200;
    pub const N_DATA: usize = 208;
    pub const N_FIELDS: usize = 216;
    pub const N_TAGS: usize = 224;
    pub const N_ENTRY_ARRAYS: usize = 232;
    pub const DATA_HASH_CHAIN_DEPTH: usize = 240;
    pub const FIELD_HASH_CHAIN_DEPTH: usize = 248;
    pub const TAIL_ENTRY_ARRAY_OFFSET: usize = 256;
    pub const TAIL_ENTRY_ARRAY_N_ENTRIES: usize = 260;
    pub const TAIL_ENTRY_OFFSET: usize = 264;
}

use crate::id128::Id128;
use header_offset as ho;

/// The file header, decoded. Fields a shorter (older) header lacks read as 0.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Header {
    pub compatible_flags: u32,
    pub incompatible_flags: u32,
    pub state: u8,
    pub file_id: Id128,
    pub machine_id: Id128,
    pub tail_entry_boot_id: Id128,
    pub seqnum_id: Id128,
    pub header_size: u64,
    pub arena_size: u64,
    pub data_hash_table_offset: u64,
    pub data_hash_table_size: u64,
    pub field_hash_table_offset: u64,
    pub field_hash_table_size: u64,
    pub tail_object_offset: u64,
    pub n_objects: u64,
    pub n_entries: u64,
    pub tail_entry_seqnum: u64,
    pub head_entry_seqnum: u64,
    pub entry_array_offset: u64,
    pub head_entry_realtime: u64,
    pub tail_entry_realtime: u64,
    pub tail_entry_monotonic: u64,
    pub n_data: u64,
    pub n_fields: u64,
    pub n_tags: u64,
    pub n_entry_arrays: u64,
    pub data_hash_chain_depth: u64,
    pub field_hash_chain_depth: u64,
    pub tail_entry_array_offset: u32,
    pub tail_entry_array_n_entries: u32,
    pub tail_entry_offset: u64,
}

impl Header {
    /// Decodes the header from the first bytes of a file (at least
    /// [`HEADER_SIZE_MIN`] of them). Only structural checks happen here;
    /// [`Header::check`] validates offsets against the file size.
    pub fn decode(buf: &[u8]) -> Result<Header, String> {
        if buf.len() < HEADER_SIZE_MIN as usize {
            return Err(format!("file too short for a header ({} bytes)", buf.len()));
        }
        if buf.get(..8) != Some(&SIGNATURE[..]) {
            return Err("missing LPKSHHRH signature".into());
        }
        let header_size = le64(buf, ho::HEADER_SIZE);
        if header_size < HEADER_SIZE_MIN {
            return Err(format!(
                "header_size {header_size} below minimum {HEADER_SIZE_MIN}"
            ));
        }
        // Fields past header_size belong to a newer format revision and
        // are treated as absent, i.e. zero.
        let limit = usize::try_from(header_size)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let visible = &buf[..limit];
        let u64_at = |off: usize| {
            if off + 8 <= visible.len() {
                le64(visible, off)
            } else {
                0
            }
        };
        let u32_at = |off: usize| {
            if off + 4 <= visible.len() {
                le32(visible, off)
            } else {
                0
            }
        };
        Ok(Header {
            compatible_flags: le32(buf, ho::COMPATIBLE_FLAGS),
            incompatible_flags: le32(buf, ho::INCOMPATIBLE_FLAGS),
            state: buf[ho::STATE],
            file_id: id128_at(buf, ho::FILE_ID),
            machine_id: id128_at(buf, ho::MACHINE_ID),
            tail_entry_boot_id: id128_at(buf, ho::TAIL_ENTRY_BOOT_ID),
            seqnum_id: id128_at(buf, ho::SEQNUM_ID),
            header_size,
            arena_size: le64(buf, ho::ARENA_SIZE),
            data_hash_table_offset: le64(buf, ho::DATA_HASH_TABLE_OFFSET),
            data_hash_table_size: le64(buf, ho::DATA_HASH_TABLE_SIZE),
            field_hash_table_offset: le64(buf, ho::FIELD_HASH_TABLE_OFFSET),
            field_hash_table_size: le64(buf, ho::FIELD_HASH_TABLE_SIZE),
            tail_object_offset: le64(buf, ho::TAIL_OBJECT_OFFSET),
            n_objects: le64(buf, ho::N_OBJECTS),
            n_entries: le64(buf, ho::N_ENTRIES),
            tail_entry_seqnum: le64(buf, ho::TAIL_ENTRY_SEQNUM),
            head_entry_seqnum: le64(buf, ho::HEAD_ENTRY_SEQNUM),
            entry_array_offset: le64(buf, ho::ENTRY_ARRAY_OFFSET),
            head_entry_realtime: le64(buf, ho::HEAD_ENTRY_REALTIME),
            tail_entry_realtime: le64(buf, ho::TAIL_ENTRY_REALTIME),
            tail_entry_monotonic: le64(buf, ho::TAIL_ENTRY_MONOTONIC),
            n_data: u64_at(ho::N_DATA),
            n_fields: u64_at(ho::N_FIELDS),
            n_tags: u64_at(ho::N_TAGS),
            n_entry_arrays: u64_at(ho::N_ENTRY_ARRAYS),
            data_hash_chain_depth: u64_at(ho::DATA_HASH_CHAIN_DEPTH),
            field_hash_chain_depth: u64_at(ho::FIELD_HASH_CHAIN_DEPTH),
            tail_entry_array_offset: u32_at(ho::TAIL_ENTRY_ARRAY_OFFSET),
            tail_entry_array_n_entries: u32_at(ho::TAIL_ENTRY_ARRAY_N_ENTRIES),
            tail_entry_offset: u64_at(ho::TAIL_ENTRY_OFFSET),
        })
    }

    /// Encodes the header as [`HEADER_SIZE`] bytes (the 252 layout; the
    /// 254 `tail_entry_offset` is not part of it).
    pub fn encode(&self) -> [u8; HEADER_SIZE as usize] {
        let mut b = [0u8; HEADER_SIZE as usize];
        b[..8].copy_from_slice(SIGNATURE);
        put32(&mut b, ho::COMPATIBLE_FLAGS, self.compatible_flags);
        put32(&mut b, ho::INCOMPATIBLE_FLAGS, self.incompatible_flags);
        b[ho::STATE] = self.state;
        put_id(&mut b, ho::FILE_ID, &self.file_id);
        put_id(&mut b, ho::MACHINE_ID, &self.machine_id);
        put_id(&mut b, ho::TAIL_ENTRY_BOOT_ID, &self.tail_entry_boot_id);
        put_id(&mut b, ho::SEQNUM_ID, &self.seqnum_id);
        put64(&mut b, ho::HEADER_SIZE, self.header_size);
        put64(&mut b, ho::ARENA_SIZE, self.arena_size);
        put64(
            &mut b,
            ho::DATA_HASH_TABLE_OFFSET,
            self.data_hash_table_offset,
        );
        put64(&mut b, ho::DATA_HASH_TABLE_SIZE, self.data_hash_table_size);
        put64(
            &mut b,
            ho::FIELD_HASH_TABLE_OFFSET,
            self.field_hash_table_offset,
        );
        put64(
            &mut b,
            ho::FIELD_HASH_TABLE_SIZE,
            self.field_hash_table_size,
        );
        put64(&mut b, ho::TAIL_OBJECT_OFFSET, self.tail_object_offset);
        put64(&mut b, ho::N_OBJECTS, self.n_objects);
        put64(&mut b, ho::N_ENTRIES, self.n_entries);
        put64(&mut b, ho::TAIL_ENTRY_SEQNUM, self.tail_entry_seqnum);
        put64(&mut b, ho::HEAD_ENTRY_SEQNUM, self.head_entry_seqnum);
        put64(&mut b, ho::ENTRY_ARRAY_OFFSET, self.entry_array_offset);
        put64(&mut b, ho::HEAD_ENTRY_REALTIME, self.head_entry_realtime);
        put64(&mut b, ho::TAIL_ENTRY_REALTIME, self.tail_entry_realtime);
        put64(&mut b, ho::TAIL_ENTRY_MONOTONIC, self.tail_entry_monotonic);
        put64(&mut b, ho::N_DATA, self.n_data);
        put64(&mut b, ho::N_FIELDS, self.n_fields);
        put64(&mut b, ho::N_TAGS, self.n_tags);
        put64(&mut b, ho::N_ENTRY_ARRAYS, self.n_entry_arrays);
        put64(
            &mut b,
            ho::DATA_HASH_CHAIN_DEPTH,
            self.data_hash_chain_depth,
        );
        put64(
            &mut b,
            ho::FIELD_HASH_CHAIN_DEPTH,
            self.field_hash_chain_depth,
        );
        put32(
            &mut b,
            ho::TAIL_ENTRY_ARRAY_OFFSET,
            self.tail_entry_array_offset,
        );
        put32(
            &mut b,
            ho::TAIL_ENTRY_ARRAY_N_ENTRIES,
            self.tail_entry_array_n_entries,
        );
        b
    }

    /// True when DATA/FIELD hashes are keyed SipHash (else Jenkins).
    pub fn keyed_hash(&self) -> bool {
        self.incompatible_flags & incompatible::KEYED_HASH != 0
    }

    /// True for the 32-bit-offset compact layout.
    pub fn compact(&self) -> bool {
        self.incompatible_flags & incompatible::COMPACT != 0
    }

    /// The layout parameters this header implies.
    pub fn layout(&self) -> Layout {
        Layout {
            compact: self.compact(),
        }
    }

    /// Validates the header against the file size, as systemd does before
    /// it maps anything: known incompatible flags, a sane arena, and header
    /// offsets that point into it.
    pub fn check(&self, file_size: u64) -> Result<(), HeaderProblem> {
        let unknown = self.incompatible_flags & !incompatible::SUPPORTED;
        if unknown != 0 {
            return Err(HeaderProblem::Unsupported(format!(
                "unknown incompatible flags {unknown:#x}"
            )));
        }
        let bad = |reason: String| Err(HeaderProblem::Bad(reason));
        if FileState::from_u8(self.state).is_none() {
            return bad(format!("unknown state {}", self.state));
        }
        let end = match self.header_size.checked_add(self.arena_size) {
            Some(end) if end <= file_size => end,
            _ => {
                return bad(format!(
                    "header_size {} + arena_size {} exceeds file size {file_size}",
                    self.header_size, self.arena_size
                ))
            }
        };
        let offset_ok =
            |off: u64| off == 0 || (off.is_multiple_of(8) && off >= self.header_size && off < end);
        if !offset_ok(self.tail_object_offset) {
            return bad(format!(
                "tail_object_offset {} out of range",
                self.tail_object_offset
            ));
        }
        if !offset_ok(self.entry_array_offset) {
            return bad(format!(
                "entry_array_offset {} out of range",
                self.entry_array_offset
            ));
        }
        for (what, off, size) in [
            (
                "data",
                self.data_hash_table_offset,
                self.data_hash_table_size,
            ),
            (
                "field",
                self.field_hash_table_offset,
                self.field_hash_table_size,
            ),
        ] {
            let fits = off.checked_add(size).is_some_and(|e| e <= end);
            if (off == 0) != (size == 0) || (off != 0 && (!fits || off % 8 != 0 || size % 16 != 0))
            {
                return bad(format!(
                    "{what} hash table at {off} size {size} out of range"
                ));
            }
        }
        if self.n_entries > self.n_objects {
            return bad(format!(
                "n_entries {} > n_objects {}",
                self.n_entries, self.n_objects
            ));
        }
        Ok(())
    }
}

/// Why [`Header::check`] refused a header.
#[derive(Debug)]
pub enum HeaderProblem {
    Bad(String),
    Unsupported(String),
}

/// Sizes that differ between the regular and the compact layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub compact: bool,
}

impl Layout {
    /// Offset of the payload inside a DATA object.
    pub fn data_payload_offset(self) -> u64 {
        if self.compact {
            DATA_PAYLOAD_OFFSET_COMPACT
        } else {
            DATA_PAYLOAD_OFFSET
        }
    }

    /// Bytes per ENTRY item.
    pub fn entry_item_size(self) -> u64 {
        if self.compact {
            4
        } else {
            16
        }
    }

    /// Bytes per ENTRY_ARRAY item.
    pub fn entry_array_item_size(self) -> u64 {
        if self.compact {
            4
        } else {
            8
        }
    }
}

/// Size of the common object header.
pub const OBJECT_HEADER_SIZE: u64 = 16;
/// DATA payload offset, regular layout.
pub const DATA_PAYLOAD_OFFSET: u64 = 64;
/// DATA payload offset, compact layout.
pub const DATA_PAYLOAD_OFFSET_COMPACT: u64 = 72;
/// FIELD payload offset.
pub const FIELD_PAYLOAD_OFFSET: u64 = 40;
/// Offset of the first ENTRY item.
pub const ENTRY_ITEMS_OFFSET: u64 = 64;
/// Offset of the first hash table item.
pub const HASH_TABLE_ITEMS_OFFSET: u64 = 16;
/// Size of one hash table item (head, tail).
pub const HASH_ITEM_SIZE: u64 = 16;
/// Offset of the first ENTRY_ARRAY item.
pub const ENTRY_ARRAY_ITEMS_OFFSET: u64 = 24;
/// A TAG object's fixed size.
pub const TAG_SIZE: u64 = 64;

/// Field offsets inside objects, for targeted link updates.
pub mod object_offset {
    pub const DATA_HASH: u64 = 16;
    pub const DATA_NEXT_HASH: u64 = 24;
    pub const DATA_NEXT_FIELD: u64 = 32;
    pub const DATA_ENTRY_OFFSET: u64 = 40;
    pub const DATA_ENTRY_ARRAY: u64 = 48;
    pub const DATA_N_ENTRIES: u64 = 56;
    pub const FIELD_NEXT_HASH: u64 = 24;
    pub const FIELD_HEAD_DATA: u64 = 32;
    pub const ENTRY_ARRAY_NEXT: u64 = 16;
}

/// The common object header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectHeader {
    pub object_type: u8,
    pub flags: u8,
    pub size: u64,
}

impl ObjectHeader {
    pub fn decode(buf: &[u8]) -> Option<ObjectHeader> {
        if buf.len() < OBJECT_HEADER_SIZE as usize {
            return None;
        }
        Some(ObjectHeader {
            object_type: buf[0],
            flags: buf[1],
            size: le64(buf, 8),
        })
    }

    /// The smallest `size` an object of this type can have and still hold
    /// its fixed fields plus one item or one payload byte.
    pub fn min_size(object_type: ObjectType, layout: Layout) -> u64 {
        match object_type {
            ObjectType::Data => layout.data_payload_offset() + 1,
            ObjectType::Field => FIELD_PAYLOAD_OFFSET + 1,
            ObjectType::Entry => ENTRY_ITEMS_OFFSET + layout.entry_item_size(),
            ObjectType::DataHashTable | ObjectType::FieldHashTable => {
                HASH_TABLE_ITEMS_OFFSET + HASH_ITEM_SIZE
            }
            ObjectType::EntryArray => ENTRY_ARRAY_ITEMS_OFFSET + layout.entry_array_item_size(),
            ObjectType::Tag => TAG_SIZE,
        }
    }
}

/// The fixed part of a DATA object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataHeader {
    pub flags: u8,
    pub size: u64,
    pub hash: u64,
    pub next_hash_offset: u64,
    pub next_field_offset: u64,
    pub entry_offset: u64,
    pub entry_array_offset: u64,
    pub n_entries: u64,
}

impl DataHeader {
    /// Decodes from at least [`DATA_PAYLOAD_OFFSET`] bytes.
    pub fn decode(buf: &[u8]) -> Option<DataHeader> {
        if buf.len() < DATA_PAYLOAD_OFFSET as usize {
            return None;
        }
        Some(DataHeader {
            flags: buf[1],
            size: le64(buf, 8),
            hash: le64(buf, 16),
            next_hash_offset: le64(buf, 24),
            next_field_offset: le64(buf, 32),
            entry_offset: le64(buf, 40),
            entry_array_offset: le64(buf, 48),
            n_entries: le64(buf, 56),
        })
    }
}

/// The fixed part of a FIELD object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldHeader {
    pub size: u64,
    pub hash: u64,
    pub next_hash_offset: u64,
    pub head_data_offset: u64,
}

impl FieldHeader {
    pub fn decode(buf: &[u8]) -> Option<FieldHeader> {
        if buf.len() < FIELD_PAYLOAD_OFFSET as usize {
            return None;
        }
        Some(FieldHeader {
            size: le64(buf, 8),
            hash: le64(buf, 16),
            next_hash_offset: le64(buf, 24),
            head_data_offset: le64(buf, 32),
        })
    }
}

/// The fixed part of an ENTRY object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryHeader {
    pub size: u64,
    pub seqnum: u64,
    pub realtime: u64,
    pub monotonic: u64,
    pub boot_id: Id128,
    pub xor_hash: u64,
}

impl EntryHeader {
    pub fn decode(buf: &[u8]) -> Option<EntryHeader> {
        if buf.len() < ENTRY_ITEMS_OFFSET as usize {
            return None;
        }
        Some(EntryHeader {
            size: le64(buf, 8),
            seqnum: le64(buf, 16),
            realtime: le64(buf, 24),
            monotonic: le64(buf, 32),
            boot_id: id128_at(buf, 40),
            xor_hash: le64(buf, 56),
        })
    }
}

/// Largest valid realtime/monotonic timestamp + 1 (systemd's
/// `VALID_REALTIME`/`VALID_MONOTONIC`: below 2^55 µs, about 1142 years).
pub const TIMESTAMP_LIMIT: u64 = 1 << 55;

/// Rounds up to the next multiple of eight, or `None` on overflow.
pub fn align8(x: u64) -> Option<u64> {
    x.checked_add(7).map(|v| v & !7)
}

/// journald's field-name rule (`systemd.journal-fields(7)`; systemd's
/// `journal_field_valid()` with protected names allowed): 1–64 characters
/// from `A-Z`, `0-9`, `_`, not starting with a digit.
pub fn check_field_name(name: &[u8]) -> Result<(), &'static str> {
    match name.first() {
        None => return Err("empty"),
        Some(b'0'..=b'9') => return Err("starts with a digit"),
        Some(_) => {}
    }
    if name.len() > 64 {
        return Err("longer than 64 characters");
    }
    if !name
        .iter()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
    {
        return Err("only A-Z, 0-9 and _ are allowed");
    }
    Ok(())
}

// Little-endian accessors. Callers guarantee the range (they check the
// buffer length first); a short buffer reads as zero bytes rather than
// panicking.

pub fn le64(buf: &[u8], off: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(src) = buf.get(off..off.saturating_add(8)) {
        b.copy_from_slice(src);
    }
    u64::from_le_bytes(b)
}

pub fn le32(buf: &[u8], off: usize) -> u32 {
    let mut b = [0u8; 4];
    if let Some(src) = buf.get(off..off.saturating_add(4)) {
        b.copy_from_slice(src);
    }
    u32::from_le_bytes(b)
}

pub fn id128_at(buf: &[u8], off: usize) -> Id128 {
    let mut b = [0u8; 16];
    if let Some(src) = buf.get(off..off.saturating_add(16)) {
        b.copy_from_slice(src);
    }
    Id128(b)
}

pub fn put64(buf: &mut [u8], off: usize, v: u64) {
    if let Some(dst) = buf.get_mut(off..off.saturating_add(8)) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
}

pub fn put32(buf: &mut [u8], off: usize, v: u32) {
    if let Some(dst) = buf.get_mut(off..off.saturating_add(4)) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
}

pub fn put_id(buf: &mut [u8], off: usize, id: &Id128) {
    if let Some(dst) = buf.get_mut(off..off.saturating_add(16)) {
        dst.copy_from_slice(&id.0);
    }
}

/// Writes a common object header at the start of `buf`.
pub fn put_object_header(buf: &mut [u8], object_type: ObjectType, size: u64) {
    if let Some(first) = buf.first_mut() {
        *first = object_type as u8;
    }
    put64(buf, 8, size);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let h = Header {
            incompatible_flags: incompatible::KEYED_HASH,
            state: FileState::Online as u8,
            file_id: Id128([1; 16]),
            machine_id: Id128([2; 16]),
            tail_entry_boot_id: Id128([3; 16]),
            seqnum_id: Id128([4; 16]),
            header_size: HEADER_SIZE,
            arena_size: 4096,
            n_objects: 7,
            tail_entry_array_offset: 512,
            tail_entry_array_n_entries: 3,
            ..Header::default()
        };
        let bytes = h.encode();
        assert_eq!(Header::decode(&bytes).unwrap(), h);
    }

    #[test]
    fn short_header_fields_read_as_zero() {
        let h = Header {
            header_size: HEADER_SIZE_MIN,
            n_data: 99,
            ..Header::default()
        };
        let bytes = h.encode();
        assert_eq!(Header::decode(&bytes).unwrap().n_data, 0);
    }

    #[test]
    fn field_names() {
        assert!(check_field_name(b"MESSAGE").is_ok());
        assert!(check_field_name(b"_SYSTEMD_UNIT").is_ok());
        assert!(check_field_name(b"A1_").is_ok());
        assert!(check_field_name(b"").is_err());
        assert!(check_field_name(b"1A").is_err());
        assert!(check_field_name(b"message").is_err());
        assert!(check_field_name(b"A=B").is_err());
        assert!(check_field_name(&[b'A'; 65]).is_err());
        assert!(check_field_name(&[b'A'; 64]).is_ok());
    }

    #[test]
    fn alignment() {
        assert_eq!(align8(0), Some(0));
        assert_eq!(align8(1), Some(8));
        assert_eq!(align8(8), Some(8));
        assert_eq!(align8(u64::MAX), None);
    }
}
