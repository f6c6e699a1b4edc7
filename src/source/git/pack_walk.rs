//! Decoding a whole pack in pack order without ever inflating an object over
//! --max-file-size.
//!
//! gix's delta-tree traversal inflates every object into memory, and a delta
//! base stays in memory while its children are resolved: one 500 MB model
//! file in the history means 500 MB of memory (twice that while a delta of it
//! is applied). The traversal reads pack entries through a resolver
//! callback, so this module hands it a stand-in for every entry that is too
//! big: a valid entry of the same kind holding one byte. Descendants of a
//! stand-in (deltas against a base that was never inflated) get a stand-in
//! delta too. The compressed bytes of a big entry are never touched (not even
//! paged in from the mapped pack), and each stand-in is reported as a skipped
//! object instead of being scanned.
//!
//! Non-delta entries carry their size in the entry header, so they are caught
//! for free. A delta's result size is only in its compressed data, and
//! peeking at every delta would cost about 10% of a full-history scan, so the
//! first traversal does not peek: gix's allocation limit (set to the same
//! size) stops it if some delta would produce too big an object, and only
//! then is the pack traversed again with every delta peeked at.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use gix::odb::pack;
use rayon::prelude::*;

/// What the traversal yields for each object of the pack.
pub enum Visit<'a> {
    /// A decoded object.
    Object {
        kind: gix::object::Kind,
        id: &'a gix::oid,
        data: &'a [u8],
    },
    /// An object that was not inflated: over the limit (`size` known), or a
    /// delta of such an object (`size` unknown).
    Skipped {
        kind: gix::object::Kind,
        id: &'a gix::oid,
        size: Option<u64>,
    },
}

/// Deltas (by pack offset) whose result is over the limit, with their
/// stand-in entries: found by [`oversized_deltas`].
pub type OversizedDeltas = HashMap<u64, (u64, Vec<u8>)>;

/// Decodes every object of `bundle` in pack order on `threads` threads,
/// calling `visit` for each. Objects over `max` bytes are not inflated.
pub fn traverse(
    bundle: &pack::Bundle,
    threads: Option<usize>,
    max: u64,
    deltas: &OversizedDeltas,
    visit: &(dyn Fn(Visit<'_>) + Sync),
) -> Result<(), String> {
    let interrupt = AtomicBool::new(false);
    let hash = bundle.index.object_hash();
    let resolver = Resolver {
        pack: &bundle.pack,
        index: &bundle.index,
        hash,
        max,
        deltas,
        standins: Standins::new(),
        skipped: Mutex::new(HashMap::new()),
        any_skipped: AtomicBool::new(false),
    };
    let mut entries: Vec<pack::index::Entry> = bundle.index.iter().collect();
    entries.sort_by_key(|e| e.pack_offset);
    let index = &bundle.index;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let tree = pack::cache::delta::Tree::from_offsets_in_pack(
            bundle.pack.path(),
            entries.into_iter(),
            &|e| e.pack_offset,
            &|id| Ok(index.lookup(id).map(|i| index.pack_offset_at_index(i))),
            &mut gix::progress::Discard,
            &interrupt,
            hash,
        )?;
        let resolver = &resolver;
        tree.traverse(
            |range, r: &Resolver<'_>| r.resolve(range),
            resolver,
            bundle.pack.pack_end() as u64,
            |entry: &mut pack::index::Entry,
             _progress: &dyn gix::Progress,
             context: pack::cache::delta::traverse::Context<'_>|
             -> gix::error::Result {
                let Some(kind) = context.entry.header.as_kind() else {
                    return Ok(()); // the traversal resolves every delta
                };
                match resolver.skipped(entry.pack_offset) {
                    Some(size) => visit(Visit::Skipped {
                        kind,
                        id: &entry.oid,
                        size,
                    }),
                    None => visit(Visit::Object {
                        kind,
                        id: &entry.oid,
                        data: context.decompressed,
                    }),
                }
                Ok(())
            },
            pack::cache::delta::traverse::Options {
                object_progress: Box::new(gix::progress::Discard),
                size_progress: &mut gix::progress::Discard,
                thread_limit: threads,
                should_interrupt: &interrupt,
                object_hash: hash,
                // The safety net for deltas whose result is too big (see
                // the module comment); never below what a stand-in needs.
                alloc_limit_bytes: Some(
                    usize::try_from(max.max(STANDIN_ROOM)).unwrap_or(usize::MAX),
                ),
            },
        )
    }));
    match outcome {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) => Err(crate::source::git::describe(&err)),
        Err(_) => Err("the pack decoder panicked".to_string()),
    }
}

/// Every delta of the pack whose result (or whose own delta data) is over
/// `max` bytes, with its stand-in. Reads only the first bytes of each delta.
pub fn oversized_deltas(bundle: &pack::Bundle, max: u64) -> OversizedDeltas {
    let mut offsets: Vec<u64> = bundle.index.iter().map(|e| e.pack_offset).collect();
    offsets.sort_unstable();
    let end = bundle.pack.pack_end() as u64;
    let ranges: Vec<(u64, u64)> = offsets
        .iter()
        .zip(offsets.iter().skip(1).chain(std::iter::once(&end)))
        .map(|(&a, &b)| (a, b))
        .collect();
    ranges
        .par_iter()
        .map_init(gix::zlib::Inflate::default, |inflate, &(start, next)| {
            let entry = bundle.pack.entry(start).ok()?;
            if !entry.header.is_delta() {
                return None;
            }
            let compressed = bundle.pack.entry_slice(entry.data_offset..next)?;
            let (base, result) = delta_sizes(inflate, compressed)?;
            (result > max || entry.decompressed_size > max)
                .then(|| (start, (result, standin_delta(base))))
        })
        .flatten()
        .collect()
}

/// The base and result sizes at the start of a delta's compressed data.
fn delta_sizes(inflate: &mut gix::zlib::Inflate, compressed: &[u8]) -> Option<(u64, u64)> {
    let mut head = [0u8; 24];
    inflate.reset();
    let (_, _, written) = inflate.once(compressed, &mut head).ok()?;
    let head = &head[..written];
    let (base, used) = varint(head)?;
    let (result, _) = varint(&head[used..])?;
    Some((base, result))
}

/// A delta header size: little-endian groups of 7 bits.
fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Bytes a stand-in entry may need to decode (its delta data is at most 14).
const STANDIN_ROOM: u64 = 64;

/// Stand-in entries: one byte of content, so every stand-in has size 1 and
/// a stand-in delta's base (a stand-in) has size 1 too.
struct Standins {
    /// A non-delta entry of each kind.
    roots: [(gix::object::Kind, Vec<u8>); 4],
    /// A delta from a 1-byte base to a 1-byte result.
    delta: Vec<u8>,
}

impl Standins {
    fn new() -> Self {
        use gix::object::Kind;
        use pack::data::entry::Header;
        let root = |kind: Kind| {
            let header = match kind {
                Kind::Blob => Header::Blob,
                Kind::Tree => Header::Tree,
                Kind::Commit => Header::Commit,
                Kind::Tag => Header::Tag,
            };
            (kind, entry(header, &[0]))
        };
        Standins {
            roots: [
                root(Kind::Blob),
                root(Kind::Tree),
                root(Kind::Commit),
                root(Kind::Tag),
            ],
            delta: standin_delta(1),
        }
    }

    fn root(&self, kind: gix::object::Kind) -> &[u8] {
        &self
            .roots
            .iter()
            .find(|(k, _)| *k == kind)
            .expect("every kind has a stand-in")
            .1
    }
}

/// A delta entry turning a base of `base_size` bytes into one NUL byte. Its
/// header says blob: the traversal takes a delta's kind from its base.
fn standin_delta(base_size: u64) -> Vec<u8> {
    let mut delta = Vec::new();
    let mut size = base_size;
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        if size == 0 {
            delta.push(byte);
            break;
        }
        delta.push(byte | 0x80);
    }
    // Result size 1; then "insert 1 byte: NUL".
    delta.extend_from_slice(&[1, 1, 0]);
    entry(pack::data::entry::Header::Blob, &delta)
}

/// A pack entry: header, then `data` as a zlib stream of stored blocks.
fn entry(header: pack::data::entry::Header, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    header
        .write_to(data.len() as u64, &mut out)
        .expect("writing to a Vec cannot fail");
    out.extend_from_slice(&[0x78, 0x01]);
    // One stored block: BFINAL, then LEN and its complement (stand-ins are tiny).
    let len = u16::try_from(data.len()).expect("stand-ins are tiny");
    out.push(1);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// Hands the traversal each pack entry, or a stand-in for one that is too big.
struct Resolver<'a> {
    pack: &'a pack::data::File,
    index: &'a pack::index::File,
    hash: gix::hash::Kind,
    max: u64,
    deltas: &'a OversizedDeltas,
    standins: Standins,
    /// Pack offsets given a stand-in -> the object's size, when known.
    skipped: Mutex<HashMap<u64, Option<u64>>>,
    /// Whether `skipped` has anything (checked on every delta: it almost
    /// never has).
    any_skipped: AtomicBool,
}

impl Resolver<'_> {
    fn resolve(&self, range: pack::data::EntryRange) -> Option<&[u8]> {
        let bytes = self.pack.entry_slice(range.clone())?;
        // A header that does not parse is the decoder's to report.
        let Ok(entry) = pack::data::Entry::from_bytes(bytes, range.start, self.hash) else {
            return Some(bytes);
        };
        if let Some(kind) = entry.header.as_kind() {
            if entry.decompressed_size > self.max {
                self.skip(range.start, Some(entry.decompressed_size));
                return Some(self.standins.root(kind));
            }
            return Some(bytes);
        }
        if self.any_skipped.load(Ordering::Acquire) {
            let base = match entry.header {
                pack::data::entry::Header::OfsDelta { base_distance } => {
                    pack::data::entry::Header::verified_base_pack_offset(range.start, base_distance)
                }
                pack::data::entry::Header::RefDelta { base_id } => self
                    .index
                    .lookup(base_id)
                    .map(|i| self.index.pack_offset_at_index(i)),
                _ => None,
            };
            if base.is_some_and(|base| lock(&self.skipped).contains_key(&base)) {
                self.skip(range.start, None);
                return Some(&self.standins.delta);
            }
        }
        if let Some((size, standin)) = self.deltas.get(&range.start) {
            self.skip(range.start, Some(*size));
            return Some(standin);
        }
        Some(bytes)
    }

    fn skip(&self, offset: u64, size: Option<u64>) {
        lock(&self.skipped).insert(offset, size);
        self.any_skipped.store(true, Ordering::Release);
    }

    /// `Some(size)` when the entry at `offset` was given a stand-in.
    fn skipped(&self, offset: u64) -> Option<Option<u64>> {
        if !self.any_skipped.load(Ordering::Acquire) {
            return None;
        }
        lock(&self.skipped).get(&offset).copied()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The size of the object at `index` of `bundle` when it is over `max`, read
/// from its header (and its delta chain's headers), for the slow
/// object-by-object path.
pub fn size_over(
    bundle: &pack::Bundle,
    index: u32,
    inflate: &mut gix::zlib::Inflate,
    max: u64,
) -> Option<(gix::object::Kind, u64)> {
    let offset = bundle.index.pack_offset_at_index(index);
    let entry = bundle.pack.entry(offset).ok()?;
    let header = bundle
        .pack
        .decode_header(entry, inflate, &|id: &gix::oid| {
            bundle
                .index
                .lookup(id)
                .and_then(|i| bundle.pack.entry(bundle.index.pack_offset_at_index(i)).ok())
                .map(pack::data::decode::header::ResolvedBase::InPack)
                .map(Ok)
                .transpose()
        })
        .ok()?;
    (header.object_size > max).then_some((header.kind, header.object_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inflate(entry_bytes: &[u8]) -> (pack::data::Entry, Vec<u8>) {
        let entry = pack::data::Entry::from_bytes(entry_bytes, 0, gix::hash::Kind::Sha1).unwrap();
        let mut out = vec![0; entry.decompressed_size as usize];
        let (_, _, written) = gix::zlib::Inflate::default()
            .once(&entry_bytes[entry.header_size()..], &mut out)
            .unwrap();
        assert_eq!(written, out.len());
        (entry, out)
    }

    #[test]
    fn stand_in_deltas_turn_any_base_into_one_byte() {
        for base in [0u64, 1, 127, 128, 500 << 20, 1 << 40] {
            let (entry, delta) = inflate(&standin_delta(base));
            assert!(entry.decompressed_size <= STANDIN_ROOM);
            let (declared_base, used) = varint(&delta).unwrap();
            assert_eq!(declared_base, base);
            assert_eq!(varint(&delta[used..]), Some((1, 1)));
            assert_eq!(&delta[used + 1..], &[1, 0], "insert one NUL byte");
        }
    }

    #[test]
    fn stand_in_roots_keep_their_kind() {
        let standins = Standins::new();
        for kind in [
            gix::object::Kind::Blob,
            gix::object::Kind::Tree,
            gix::object::Kind::Commit,
            gix::object::Kind::Tag,
        ] {
            let (entry, data) = inflate(standins.root(kind));
            assert_eq!(entry.header.as_kind(), Some(kind));
            assert_eq!(data, [0]);
        }
    }
}
