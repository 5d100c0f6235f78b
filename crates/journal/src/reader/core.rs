//! Checked object access for one journal file.
//!
//! Every read of an object goes through [`Core`], which applies the checks
//! JOURNAL_FILE_FORMAT.md asks of readers ("Concurrency": verify "offset
//! values, and that they point to valid objects, with valid sizes and of
//! the type … expected") before trusting a byte: the offset is 8-aligned,
//! past the header and inside the file; the object header names the
//! expected type; its size covers the fixed fields and fits in the file;
//! DATA objects are not compressed (we carry no decompressor and say so
//! with [`Error::Compressed`]). Each checked read counts one *visit*, which
//! tests use to show that indexed queries touch O(matches) objects.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::format::{
    self, object_flags, DataHeader, EntryHeader, FieldHeader, Header, HeaderProblem, Layout,
    ObjectHeader, ObjectType, ENTRY_ITEMS_OFFSET, FIELD_PAYLOAD_OFFSET, HASH_ITEM_SIZE,
    HEADER_SIZE_KNOWN, OBJECT_HEADER_SIZE,
};
use crate::hash::{jenkins_hash64, siphash24};
use crate::io::BlockCache;

/// Block cache budget of a reader, per file.
const READER_CACHE_BYTES: usize = 1024 * 1024;
/// A page, as `journalctl` touches them: what a random access reads (an
/// indexed query's objects are scattered over the file).
const READER_BLOCK_SIZE: usize = 4096;
/// Forward scans read up to this many blocks at once (64 KiB).
const READER_READAHEAD_BLOCKS: usize = 16;

/// An open journal file: header, cache, visit counter.
pub(crate) struct Core {
    path: PathBuf,
    io: BlockCache,
    header: Header,
    layout: Layout,
    file_size: u64,
    visits: u64,
}

impl Core {
    pub(crate) fn open(path: &Path) -> Result<Core> {
        let file = File::open(path).map_err(|e| Error::io(path, "open", e))?;
        let mut core = Core {
            path: path.to_path_buf(),
            io: BlockCache::with_readahead(
                file,
                READER_CACHE_BYTES,
                READER_BLOCK_SIZE,
                READER_READAHEAD_BLOCKS,
            ),
            header: Header::default(),
            layout: Layout { compact: false },
            file_size: 0,
            visits: 0,
        };
        core.load_header()?;
        Ok(core)
    }

    /// Re-reads size and header and forgets cached blocks, to see what a
    /// writer appended since.
    pub(crate) fn load_header(&mut self) -> Result<()> {
        self.io.invalidate();
        let meta = self
            .io
            .file()
            .metadata()
            .map_err(|e| Error::io(&self.path, "stat", e))?;
        if !meta.is_file() {
            return Err(Error::BadHeader {
                path: self.path.clone(),
                reason: "not a regular file".into(),
            });
        }
        self.file_size = meta.len();
        let want = (self.file_size as usize).min(HEADER_SIZE_KNOWN);
        let mut buf = vec![0u8; want];
        self.io
            .read(0, &mut buf)
            .map_err(|e| Error::io(&self.path, "read header of", e))?;
        let header = Header::decode(&buf).map_err(|reason| Error::BadHeader {
            path: self.path.clone(),
            reason,
        })?;
        header
            .check(self.file_size)
            .map_err(|problem| match problem {
                HeaderProblem::Bad(reason) => Error::BadHeader {
                    path: self.path.clone(),
                    reason,
                },
                HeaderProblem::Unsupported(what) => Error::Unsupported {
                    path: self.path.clone(),
                    what,
                },
            })?;
        self.layout = header.layout();
        self.header = header;
        Ok(())
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    pub(crate) fn layout(&self) -> Layout {
        self.layout
    }

    /// The file's size when the header was last read.
    pub(crate) fn file_size(&self) -> u64 {
        self.file_size
    }

    pub(crate) fn visits(&self) -> u64 {
        self.visits
    }

    pub(crate) fn corrupt(&self, offset: u64, reason: impl Into<String>) -> Error {
        Error::corrupt(&self.path, offset, reason)
    }

    fn raw(&mut self, offset: u64, len: usize) -> Result<Vec<u8>> {
        self.io
            .read_vec(offset, len)
            .map_err(|e| Error::io(&self.path, "read", e))
    }

    /// Validates the object header at `offset` and returns it.
    fn object_header(&mut self, offset: u64, expected: ObjectType) -> Result<ObjectHeader> {
        if !offset.is_multiple_of(8) || offset < self.header.header_size {
            return Err(self.corrupt(offset, format!("invalid {} offset", expected.name())));
        }
        if offset
            .checked_add(OBJECT_HEADER_SIZE)
            .is_none_or(|end| end > self.file_size)
        {
            return Err(self.corrupt(
                offset,
                format!("{} offset beyond end of file", expected.name()),
            ));
        }
        self.visits += 1;
        let buf = self.raw(offset, OBJECT_HEADER_SIZE as usize)?;
        let oh = ObjectHeader::decode(&buf)
            .ok_or_else(|| self.corrupt(offset, "short object header"))?;
        if oh.object_type != expected as u8 {
            let found = ObjectType::from_u8(oh.object_type).map_or("unknown", ObjectType::name);
            return Err(self.corrupt(
                offset,
                format!(
                    "expected {} object, found {found} (type {})",
                    expected.name(),
                    oh.object_type
                ),
            ));
        }
        if oh.size < ObjectHeader::min_size(expected, self.layout) {
            return Err(self.corrupt(
                offset,
                format!("{} object too small ({} bytes)", expected.name(), oh.size),
            ));
        }
        if offset
            .checked_add(oh.size)
            .is_none_or(|end| end > self.file_size)
        {
            return Err(self.corrupt(
                offset,
                format!("{} object runs past end of file", expected.name()),
            ));
        }
        if oh.flags & object_flags::COMPRESSED_MASK != 0 {
            if expected != ObjectType::Data {
                return Err(self.corrupt(offset, "compression flag on a non-data object"));
            }
            let algorithm = match oh.flags & object_flags::COMPRESSED_MASK {
                object_flags::COMPRESSED_XZ => "XZ",
                object_flags::COMPRESSED_LZ4 => "LZ4",
                object_flags::COMPRESSED_ZSTD => "ZSTD",
                _ => return Err(self.corrupt(offset, "several compression flags on one object")),
            };
            return Err(Error::Compressed {
                path: self.path.clone(),
                offset,
                algorithm,
            });
        }
        Ok(oh)
    }

    /// The first `len` bytes of a validated object (`len` ≤ its minimum size).
    pub(crate) fn object_prefix(
        &mut self,
        offset: u64,
        expected: ObjectType,
        len: usize,
    ) -> Result<Vec<u8>> {
        self.object_header(offset, expected)?;
        self.raw(offset, len)
    }

    /// A whole validated object.
    pub(crate) fn object(&mut self, offset: u64, expected: ObjectType) -> Result<Vec<u8>> {
        let oh = self.object_header(offset, expected)?;
        let len = usize::try_from(oh.size).map_err(|_| self.corrupt(offset, "object too large"))?;
        self.raw(offset, len)
    }

    /// Reads one entry-array slot (8 bytes, or 4 in compact files).
    pub(crate) fn array_item(&mut self, at: u64, item_size: u64) -> Result<u64> {
        self.visits += 1;
        let buf = self.raw(at, item_size as usize)?;
        Ok(if item_size == 4 {
            u64::from(format::le32(&buf, 0))
        } else {
            format::le64(&buf, 0)
        })
    }

    /// The fixed part of a DATA object. Reading it does not need the
    /// payload, so compressed objects are fine here.
    pub(crate) fn data_header(&mut self, offset: u64) -> Result<DataHeader> {
        let prefix = self.data_prefix(offset)?;
        DataHeader::decode(&prefix).ok_or_else(|| self.corrupt(offset, "short data object"))
    }

    fn data_prefix(&mut self, offset: u64) -> Result<Vec<u8>> {
        match self.object_prefix(
            offset,
            ObjectType::Data,
            format::DATA_PAYLOAD_OFFSET as usize,
        ) {
            Err(Error::Compressed { .. }) => self.raw(offset, format::DATA_PAYLOAD_OFFSET as usize),
            other => other,
        }
    }

    /// A DATA object's payload (`FIELD=value`).
    pub(crate) fn data_payload(&mut self, offset: u64) -> Result<Vec<u8>> {
        let buf = self.object(offset, ObjectType::Data)?;
        let start = self.layout.data_payload_offset() as usize;
        Ok(buf.get(start..).unwrap_or(&[]).to_vec())
    }

    /// The fixed part of an ENTRY object.
    pub(crate) fn entry_header(&mut self, offset: u64) -> Result<EntryHeader> {
        let buf = self.object_prefix(offset, ObjectType::Entry, ENTRY_ITEMS_OFFSET as usize)?;
        EntryHeader::decode(&buf).ok_or_else(|| self.corrupt(offset, "short entry object"))
    }

    /// An ENTRY object's header and its DATA offsets, in stored order.
    pub(crate) fn entry_items(&mut self, offset: u64) -> Result<(EntryHeader, Vec<u64>)> {
        let buf = self.object(offset, ObjectType::Entry)?;
        let eh =
            EntryHeader::decode(&buf).ok_or_else(|| self.corrupt(offset, "short entry object"))?;
        let item_size = self.layout.entry_item_size() as usize;
        let items = buf.get(ENTRY_ITEMS_OFFSET as usize..).unwrap_or(&[]);
        if items.len() % item_size != 0 {
            return Err(self.corrupt(offset, "entry size is not a whole number of items"));
        }
        let offsets = items
            .chunks_exact(item_size)
            .map(|c| {
                if item_size == 4 {
                    u64::from(format::le32(c, 0))
                } else {
                    format::le64(c, 0)
                }
            })
            .collect();
        Ok((eh, offsets))
    }

    /// The file's hash of `payload` (keyed SipHash or Jenkins).
    pub(crate) fn hash(&self, payload: &[u8]) -> u64 {
        if self.header.keyed_hash() {
            siphash24(payload, self.header.file_id.as_bytes())
        } else {
            jenkins_hash64(payload)
        }
    }

    /// Looks a DATA payload up through the data hash table.
    pub(crate) fn find_data(&mut self, payload: &[u8]) -> Result<Option<u64>> {
        let hash = self.hash(payload);
        let (table, size) = (
            self.header.data_hash_table_offset,
            self.header.data_hash_table_size,
        );
        let mut p = self.bucket_head(table, size, hash)?;
        while p != 0 {
            let dh = self.data_header(p)?;
            if dh.hash == hash {
                match self.data_payload(p) {
                    Ok(stored) if stored == payload => return Ok(Some(p)),
                    Ok(_) => {}
                    // We cannot decompress to compare; an equal 64-bit
                    // hash of the same uncompressed payload is the best
                    // evidence left (a collision would need 2^32 values).
                    Err(Error::Compressed { .. }) => return Ok(Some(p)),
                    Err(e) => return Err(e),
                }
            }
            if dh.next_hash_offset != 0 && dh.next_hash_offset <= p {
                return Err(self.corrupt(p, "data hash chain loops"));
            }
            p = dh.next_hash_offset;
        }
        Ok(None)
    }

    /// Looks a FIELD name up through the field hash table.
    pub(crate) fn find_field(&mut self, name: &[u8]) -> Result<Option<FieldHeader>> {
        let hash = self.hash(name);
        let (table, size) = (
            self.header.field_hash_table_offset,
            self.header.field_hash_table_size,
        );
        let mut p = self.bucket_head(table, size, hash)?;
        while p != 0 {
            let buf = self.object(p, ObjectType::Field)?;
            let fh =
                FieldHeader::decode(&buf).ok_or_else(|| self.corrupt(p, "short field object"))?;
            if fh.hash == hash && buf.get(FIELD_PAYLOAD_OFFSET as usize..) == Some(name) {
                return Ok(Some(fh));
            }
            if fh.next_hash_offset != 0 && fh.next_hash_offset <= p {
                return Err(self.corrupt(p, "field hash chain loops"));
            }
            p = fh.next_hash_offset;
        }
        Ok(None)
    }

    fn bucket_head(&mut self, table: u64, size: u64, hash: u64) -> Result<u64> {
        let buckets = size / HASH_ITEM_SIZE;
        if buckets == 0 {
            return Ok(0);
        }
        self.visits += 1;
        let buf = self.raw(table + (hash % buckets) * HASH_ITEM_SIZE, 8)?;
        Ok(format::le64(&buf, 0))
    }
}
