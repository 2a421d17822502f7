//! The log as static files in C2SP `tlog-tiles` form (<https://c2sp.org/tlog-tiles>),
//! so that any web server, object store or CDN can serve reads, and existing tile
//! clients can verify them.
//!
//! ```text
//! <prefix>/checkpoint                  the latest signed checkpoint (tlog-checkpoint)
//! <prefix>/tile/<L>/<N>[.p/<W>]        hash tiles: up to 256 hashes of tree level 8·L
//! <prefix>/tile/entries/<N>[.p/<W>]    entry bundles: the leaves of level-0 tile N
//! <prefix>/custodian/entries/<N>[.p/<W>]  large-entry bundles (Custodian rule, below)
//! ```
//!
//! # Tiles
//!
//! A tile of level `L` and index `N` lists the Merkle Tree Hashes
//! `MTH(D[(256·N + i)·256^L : (256·N + i + 1)·256^L])` for `i` from 0 to its width
//! − 1, each 32 bytes, concatenated: at level 0 the leaf hashes, at level 1 the
//! roots of full level-0 tiles, and so on. These are exactly the stored hashes of
//! level `8·L` ([`custodian_ledger::proof`]), so a tile is read from the store with
//! one [`Store::read_hashes`] call, as golang/mod `tlog.ReadTileData` does.
//! A full tile has 256 hashes; the rightmost tile of a level is *partial*, of width
//! `⌊size / 256^L⌋ mod 256`, and its path ends in `.p/<W>`. `N` is written in
//! groups of three digits, all but the last prefixed by `x`: 1234067 is
//! `x001/x234/067`.
//!
//! # Entry bundles, and entries over 65 535 bytes
//!
//! An entry bundle holds the leaves (canonical signed submissions) of the level-0
//! tile with the same index and width, each prefixed by its length as a big-endian
//! `uint16`. That prefix cannot express a leaf over [`ENTRY_BYTES_MAX`] = 65 535
//! bytes, and Custodian's leaves may reach 4 MiB (the bundled registry data alone
//! makes leaves of 0.5 MiB). The specification has no form for them (its text
//! reads "TODO: check if current logs need bigger leaves"); it does say that a log
//! "MAY serve entries in different formats" at "a different URL from the
//! specified entry bundle URL". So, **Custodian rule**: a bundle whose leaves all
//! fit is written at `tile/entries/…` exactly as specified; a bundle holding a
//! larger leaf is written instead at `custodian/entries/<N>[.p/<W>]` in the same
//! layout with a big-endian `uint32` length prefix ([`BundleForm::Large`]), and
//! `tile/entries/<N>…` is not written at all. Nothing is truncated. Hash tiles and
//! checkpoints do not depend on leaf sizes, so any tile client can still verify
//! the tree and every inclusion proof; only the leaf bytes of such a bundle need a
//! client that knows this rule. [`TileExport::large_bundles`] counts them.
//!
//! # Writing
//!
//! [`write_tiles`] writes the tiles, bundles and checkpoint of the store's latest
//! checkpoint into a directory, and is idempotent: run it again after appends and
//! it writes the new tiles and bundles (new full ones and wider partial ones), then
//! the checkpoint, then removes the partial tiles of tiles that have become full
//! (the specification allows that once the full tile exists; narrower partials of a
//! still-partial tile are kept for clients holding an older checkpoint). A file
//! that exists is never overwritten: it must already hold the same bytes, or the
//! export stops with [`TilesError::Immutable`]. Before writing, the checkpoint
//! already in the directory must verify under the log's key and be a prefix of
//! this log ([`TilesError::Fork`], [`TilesError::Rollback`]), so one directory can
//! never show two histories. Every file is written to a temporary name, synced and
//! renamed, so a reader never sees half a file.
//!
//! # Reading as a client
//!
//! [`TileClient`] reads such a directory (or anything implementing
//! [`TileSource`]) with only the log's verifier key: it verifies the checkpoint,
//! derives any stored hash from the tiles (it is a
//! [`custodian_ledger::proof::HashReader`]), so inclusion and consistency proofs
//! come from the same code as the store's. [`verify_tiles`] checks everything a
//! checkpoint commits to: the root recomputed from the tiles, every full tile
//! against its parent, every entry against its leaf hash, and every leaf's
//! inclusion proof.

use crate::{Store, StoreError, StoreHashes};
use custodian_core::limits::SUBMISSION_BYTES_MAX;
use custodian_core::{LeafIndex, TreeSize};
use custodian_ledger::checkpoint::{verify_checkpoint, Checkpoint};
use custodian_ledger::hash::{leaf_hash, node_hash};
use custodian_ledger::keys::VerifierKey;
use custodian_ledger::proof::{
    self, split_stored_hash_index, stored_hash_index, HashReader, ProofError, VerifyError,
    TREE_SIZE_MAX,
};
use custodian_ledger::Hash;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Height of every tile: a tile spans 8 levels of the tree (tlog-tiles fixes it).
pub const TILE_HEIGHT: u32 = 8;
/// Hashes in a full tile, and leaves in a full entry bundle: 2^[`TILE_HEIGHT`].
pub const TILE_WIDTH: u16 = 256;
/// The largest leaf a standard entry bundle can hold: its length prefix is a
/// big-endian `uint16`.
pub const ENTRY_BYTES_MAX: usize = u16::MAX as usize;
/// Path of the checkpoint, relative to the log's prefix.
pub const CHECKPOINT_PATH: &str = "checkpoint";
/// Largest checkpoint file read back (a checkpoint with its signatures is far
/// smaller; golang/mod `sumdb/tlog` refuses tree notes over 1e6 bytes too).
pub const CHECKPOINT_BYTES_MAX: u64 = 1 << 20;
/// The highest level a tile can have: 8·7 = 56 tree levels cover every tree of at
/// most [`TREE_SIZE_MAX`] = 2^62 leaves (the specification allows 0 to 63).
const LEVELS: u8 = 8;
/// Largest entry bundle read back: 256 leaves of at most 4 MiB, each with its
/// 4-byte prefix.
const BUNDLE_BYTES_MAX: u64 = TILE_WIDTH as u64 * (4 + SUBMISSION_BYTES_MAX as u64);

/// A hash tile: its level, its index within the level, and its width (1 to 256
/// hashes; 256 is a full tile). Valid by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    level: u8,
    index: u64,
    width: u16,
}

/// An entry bundle: the leaves under level-0 tile `index`, `width` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bundle {
    index: u64,
    width: u16,
}

/// How an entry bundle encodes each entry's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BundleForm {
    /// tlog-tiles: a big-endian `uint16` before each entry, at `tile/entries/…`.
    Standard,
    /// Custodian rule, for bundles holding an entry over [`ENTRY_BYTES_MAX`]
    /// bytes: a big-endian `uint32` before each entry, at `custodian/entries/…`.
    Large,
}

/// One file of a tiled log, as its path names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TilePath {
    /// `checkpoint`.
    Checkpoint,
    /// `tile/<L>/<N>[.p/<W>]`.
    Hashes(Tile),
    /// `tile/entries/<N>[.p/<W>]`, or `custodian/entries/<N>[.p/<W>]` for the
    /// large form.
    Entries(Bundle, BundleForm),
}

/// `N` in groups of three digits, all but the last prefixed by `x`
/// (tlog-tiles: "index 1234067 will be encoded as `x001/x234/067`").
fn index_path(index: u64) -> String {
    let mut groups = vec![index % 1000];
    let mut rest = index / 1000;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let last = groups.len() - 1;
    let mut out = String::with_capacity(4 * groups.len());
    for (i, group) in groups.iter().rev().enumerate() {
        if i < last {
            out.push_str(&format!("x{group:03}/"));
        } else {
            out.push_str(&format!("{group:03}"));
        }
    }
    out
}

fn width_suffix(width: u16) -> String {
    if width == TILE_WIDTH {
        String::new()
    } else {
        format!(".p/{width}")
    }
}

impl Tile {
    /// A tile, if `level` is at most 63 and `width` is 1 to 256.
    pub fn new(level: u8, index: u64, width: u16) -> Option<Tile> {
        (level <= 63 && (1..=TILE_WIDTH).contains(&width)).then_some(Tile {
            level,
            index,
            width,
        })
    }

    /// The level: the tile's hashes are of tree level 8 × this.
    pub fn level(&self) -> u8 {
        self.level
    }

    /// The index within the level.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The number of hashes, 1 to 256.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Whether the tile holds 256 hashes.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// Its size in bytes: 32 per hash.
    pub fn byte_len(&self) -> u64 {
        u64::from(self.width) * Hash::LEN as u64
    }

    /// `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!(
            "tile/{}/{}{}",
            self.level,
            index_path(self.index),
            width_suffix(self.width)
        )
    }

    /// The tile of the same level and index in the tree of `size` leaves: full,
    /// or partial at the right edge; `None` if that tree has no such tile.
    pub fn in_tree(level: u8, index: u64, size: TreeSize) -> Option<Tile> {
        let hashes = hashes_at_level(level, size);
        let first = index.checked_mul(u64::from(TILE_WIDTH))?;
        if first >= hashes {
            return None;
        }
        let width = (hashes - first).min(u64::from(TILE_WIDTH)) as u16;
        Tile::new(level, index, width)
    }
}

impl Bundle {
    /// A bundle, if `width` is 1 to 256.
    pub fn new(index: u64, width: u16) -> Option<Bundle> {
        (1..=TILE_WIDTH)
            .contains(&width)
            .then_some(Bundle { index, width })
    }

    /// The index: the same as its level-0 tile's.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The number of entries, 1 to 256.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Whether the bundle holds 256 entries.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The leaf index of its first entry: 256 × index.
    pub fn first_leaf(&self) -> LeafIndex {
        LeafIndex(self.index * u64::from(TILE_WIDTH))
    }

    /// The level-0 tile holding its entries' leaf hashes.
    pub fn tile(&self) -> Tile {
        Tile {
            level: 0,
            index: self.index,
            width: self.width,
        }
    }

    /// `tile/entries/<N>[.p/<W>]` for the standard form,
    /// `custodian/entries/<N>[.p/<W>]` for the large form.
    pub fn path(&self, form: BundleForm) -> String {
        let dir = match form {
            BundleForm::Standard => "tile/entries",
            BundleForm::Large => "custodian/entries",
        };
        format!(
            "{dir}/{}{}",
            index_path(self.index),
            width_suffix(self.width)
        )
    }
}

impl TilePath {
    /// The path, relative to the log's prefix.
    pub fn path(&self) -> String {
        match self {
            TilePath::Checkpoint => CHECKPOINT_PATH.to_owned(),
            TilePath::Hashes(tile) => tile.path(),
            TilePath::Entries(bundle, form) => bundle.path(*form),
        }
    }

    /// Parses a path relative to the log's prefix, strictly: exactly what
    /// [`TilePath::path`] writes (no leading zeros, no empty `x000` group, widths
    /// 1 to 255 after `.p/`), as golang/mod `tlog.ParseTilePath` re-formats and
    /// compares.
    pub fn parse(path: &str) -> Option<TilePath> {
        if path == CHECKPOINT_PATH {
            return Some(TilePath::Checkpoint);
        }
        let (kind, rest) = if let Some(rest) = path.strip_prefix("tile/entries/") {
            (None, rest)
        } else if let Some(rest) = path.strip_prefix("custodian/entries/") {
            (Some(None), rest)
        } else {
            let (level, rest) = path.strip_prefix("tile/")?.split_once('/')?;
            (Some(Some(parse_decimal(level)?)), rest)
        };
        let (index, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                let width = u16::try_from(parse_decimal(width)?).ok()?;
                if width >= TILE_WIDTH {
                    return None;
                }
                (index, width)
            }
            None => (rest, TILE_WIDTH),
        };
        let index = parse_index(index)?;
        let parsed = match kind {
            None => TilePath::Entries(Bundle::new(index, width)?, BundleForm::Standard),
            Some(None) => TilePath::Entries(Bundle::new(index, width)?, BundleForm::Large),
            Some(Some(level)) => {
                TilePath::Hashes(Tile::new(u8::try_from(level).ok()?, index, width)?)
            }
        };
        (parsed.path() == path).then_some(parsed)
    }
}

/// ASCII digits without a sign; leading zeros are caught by the caller's
/// re-formatting.
fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_index(text: &str) -> Option<u64> {
    let groups: Vec<&str> = text.split('/').collect();
    let last = groups.len() - 1;
    let mut index = 0u64;
    for (i, group) in groups.iter().enumerate() {
        let digits = if i < last {
            group.strip_prefix('x')?
        } else {
            group
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value: u64 = digits.parse().ok()?;
        index = index.checked_mul(1000)?.checked_add(value)?;
    }
    Some(index)
}

/// The number of hashes at tree level 8·`level` in a tree of `size` leaves:
/// `⌊size / 256^level⌋`.
fn hashes_at_level(level: u8, size: TreeSize) -> u64 {
    let shift = u32::from(level) * TILE_HEIGHT;
    size.0.checked_shr(shift).unwrap_or(0)
}

/// The tiles of a tree of `size` leaves, level by level from 0 and left to right:
/// at each level the full tiles, then the partial tile if the level's hash count
/// is not a multiple of 256. None for the empty tree. A tree of 70 000 leaves has
/// 273 full level-0 tiles, a level-0 tile of width 112, one full level-1 tile, a
/// level-1 tile of width 17 and a level-2 tile of width 1 (tlog-tiles, "Partial
/// Tiles"). Lazy, because a checkpoint read from a server may claim any size.
pub fn tiles_for_size(size: TreeSize) -> impl Iterator<Item = Tile> {
    (0..LEVELS)
        .take_while(move |&level| hashes_at_level(level, size) > 0)
        .flat_map(move |level| {
            let hashes = hashes_at_level(level, size);
            let tiles = hashes.div_ceil(u64::from(TILE_WIDTH));
            (0..tiles).filter_map(move |index| Tile::in_tree(level, index, size))
        })
}

/// The entry bundles of a tree of `size` leaves, left to right: one per level-0
/// tile, of the same width.
pub fn bundles_for_size(size: TreeSize) -> impl Iterator<Item = Bundle> {
    tiles_for_size(size)
        .take_while(|tile| tile.level == 0)
        .map(|tile| Bundle {
            index: tile.index,
            width: tile.width,
        })
}

/// Whether the tree of `size` leaves has exactly this tile (same width).
fn tile_in_tree(tile: Tile, size: TreeSize) -> bool {
    Tile::in_tree(tile.level, tile.index, size) == Some(tile)
}

/// Why tiles could not be written or do not verify. Each variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum TilesError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The log has no checkpoint yet, so there is nothing to publish.
    #[error("the log has no checkpoint yet: nothing to publish")]
    NoCheckpoint,
    /// A checkpoint does not verify under the log's key, or does not match the
    /// store.
    #[error("{path}: {reason}")]
    Checkpoint {
        /// The file, or where the checkpoint came from.
        path: String,
        /// Why.
        reason: String,
    },
    /// The directory already publishes a larger tree than the store holds.
    #[error("{path}: publishes a checkpoint of {published} leaves, but this log has {size}; refusing to roll the published log back (is this an older copy of the database?)")]
    Rollback {
        /// The checkpoint file.
        path: String,
        /// Its size.
        published: u64,
        /// The store's size.
        size: u64,
    },
    /// The directory publishes a different history of this log.
    #[error("{path}: publishes root {published} at size {size}, but this log's root at that size is {ours}: the directory holds another history of this log; nothing written")]
    Fork {
        /// The checkpoint file.
        path: String,
        /// Its size.
        size: u64,
        /// Its root.
        published: Hash,
        /// The store's root at that size.
        ours: Hash,
    },
    /// A file to be written already exists with other bytes. Published tiles and
    /// bundles never change, so it was left as it is.
    #[error("{path}: already exists with different bytes; a published tile never changes, so it was not overwritten (was the directory written from another log, or damaged?)")]
    Immutable {
        /// The file.
        path: String,
    },
    /// A file the checkpoint calls for is missing.
    #[error("{path}: missing; the checkpoint of {size} leaves needs it")]
    Missing {
        /// The file.
        path: String,
        /// The checkpoint's size.
        size: u64,
    },
    /// A file has the wrong length.
    #[error("{path}: expected {expected}, found {found} bytes")]
    Length {
        /// The file.
        path: String,
        /// What was expected, in words.
        expected: String,
        /// Bytes found (or read before giving up).
        found: u64,
    },
    /// A full tile does not hash to its entry in the tile above.
    #[error("{path}: its hashes combine to {computed}, but {parent} holds {expected} at position {position}")]
    Parent {
        /// The tile.
        path: String,
        /// The tile above.
        parent: String,
        /// The position in the tile above.
        position: u16,
        /// The hash the tile above holds.
        expected: Hash,
        /// The hash of the tile's hashes.
        computed: Hash,
    },
    /// The tiles lead to another root than the checkpoint's.
    #[error(
        "checkpoint: signs root {expected} for {size} leaves, but the tiles lead to {computed}"
    )]
    Root {
        /// The checkpoint's size.
        size: u64,
        /// The checkpoint's root.
        expected: Hash,
        /// The root from the tiles.
        computed: Hash,
    },
    /// An entry bundle is malformed.
    #[error("{path}: entry {position}: {reason}")]
    Bundle {
        /// The bundle.
        path: String,
        /// The entry (0-based within the bundle).
        position: usize,
        /// What is wrong.
        reason: String,
    },
    /// An entry does not hash to its leaf hash in the level-0 tile.
    #[error("{path}: entry {position} (leaf {leaf}) hashes to {computed}, but its level-0 tile holds {expected}")]
    EntryHash {
        /// The bundle.
        path: String,
        /// The entry (0-based within the bundle).
        position: usize,
        /// Its leaf index.
        leaf: u64,
        /// The leaf hash in the tile.
        expected: Hash,
        /// The entry's leaf hash.
        computed: Hash,
    },
    /// An entry is too large for the standard bundle form.
    #[error("entry {position}: {len} bytes do not fit a big-endian uint16 length prefix (at most {ENTRY_BYTES_MAX}); use the large form")]
    EntryTooLarge {
        /// The entry (0-based within the bundle).
        position: usize,
        /// Its length.
        len: usize,
    },
    /// A leaf's inclusion proof, computed from the tiles, does not verify.
    #[error("leaf {leaf}: the inclusion proof computed from the tiles does not verify: {reason}")]
    Inclusion {
        /// The leaf.
        leaf: u64,
        /// Why.
        reason: VerifyError,
    },
    /// A hash or proof was asked for outside the checkpoint's tree.
    #[error("{0}")]
    OutOfTree(String),
}

impl TilesError {
    /// Whether the error means that what was read or found does not verify (a
    /// fork, a rollback, a changed or missing file), as opposed to an I/O or
    /// store failure.
    pub fn is_verification_failure(&self) -> bool {
        !matches!(
            self,
            TilesError::Io { .. }
                | TilesError::Store(_)
                | TilesError::NoCheckpoint
                | TilesError::OutOfTree(_)
        )
    }
}

fn from_proof(e: ProofError<TilesError>) -> TilesError {
    match e {
        ProofError::Storage(e) => e,
        other => TilesError::OutOfTree(other.to_string()),
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> TilesError + '_ {
    move |source| TilesError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Encodes entries as a bundle: each prefixed by its length (big-endian `uint16`
/// for [`BundleForm::Standard`], `uint32` for [`BundleForm::Large`]), concatenated.
/// Refuses an entry that does not fit the prefix rather than truncating it.
pub fn encode_bundle(entries: &[Vec<u8>], form: BundleForm) -> Result<Vec<u8>, TilesError> {
    let total: usize = entries.iter().map(|e| e.len() + 4).sum();
    let mut out = Vec::with_capacity(total);
    for (position, entry) in entries.iter().enumerate() {
        let too_large = TilesError::EntryTooLarge {
            position,
            len: entry.len(),
        };
        match form {
            BundleForm::Standard => {
                let len = u16::try_from(entry.len()).map_err(|_| too_large)?;
                out.extend_from_slice(&len.to_be_bytes());
            }
            BundleForm::Large => {
                let len = u32::try_from(entry.len()).map_err(|_| too_large)?;
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// The form a bundle of these entries is written in: standard if every entry fits
/// a `uint16` length prefix.
pub fn bundle_form(entries: &[Vec<u8>]) -> BundleForm {
    if entries.iter().all(|e| e.len() <= ENTRY_BYTES_MAX) {
        BundleForm::Standard
    } else {
        BundleForm::Large
    }
}

/// Decodes a bundle of exactly `width` entries. Refuses a prefix that runs past
/// the end, trailing bytes, another number of entries, and (large form) an entry
/// over the 4 MiB a leaf may have. `path` names the bundle in errors.
pub fn decode_bundle(
    data: &[u8],
    form: BundleForm,
    width: u16,
    path: &str,
) -> Result<Vec<Vec<u8>>, TilesError> {
    let fail = |position: usize, reason: String| TilesError::Bundle {
        path: path.to_owned(),
        position,
        reason,
    };
    let prefix = match form {
        BundleForm::Standard => 2,
        BundleForm::Large => 4,
    };
    let mut entries = Vec::with_capacity(usize::from(width));
    let mut rest = data;
    while !rest.is_empty() {
        let position = entries.len();
        if position == usize::from(width) {
            return Err(fail(
                position,
                format!(
                    "{} bytes follow the {width} entries the path names",
                    rest.len()
                ),
            ));
        }
        if rest.len() < prefix {
            return Err(fail(
                position,
                format!(
                    "{} bytes left, too few for a {prefix}-byte length prefix",
                    rest.len()
                ),
            ));
        }
        let (len, body) = rest.split_at(prefix);
        let len = len.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b));
        if len > SUBMISSION_BYTES_MAX {
            return Err(fail(
                position,
                format!(
                    "a length of {len} bytes exceeds the {SUBMISSION_BYTES_MAX} a leaf may have"
                ),
            ));
        }
        if body.len() < len {
            return Err(fail(
                position,
                format!("the prefix gives {len} bytes, only {} follow", body.len()),
            ));
        }
        let (entry, after) = body.split_at(len);
        entries.push(entry.to_vec());
        rest = after;
    }
    if entries.len() != usize::from(width) {
        return Err(fail(
            entries.len(),
            format!(
                "the bundle ends after {} entries; the path names {width}",
                entries.len()
            ),
        ));
    }
    Ok(entries)
}

/// The bytes of `tile`, read from the store: its hashes, 32 bytes each, in order
/// (golang/mod `tlog.ReadTileData`).
pub fn tile_data<S: Store + ?Sized>(store: &S, tile: Tile) -> Result<Vec<u8>, StoreError> {
    let level = u32::from(tile.level) * TILE_HEIGHT;
    let first = tile.index * u64::from(TILE_WIDTH);
    let indexes: Vec<u64> = (0..u64::from(tile.width))
        .map(|i| stored_hash_index(level, first + i))
        .collect();
    let hashes = store.read_hashes(&indexes)?;
    if hashes.len() != indexes.len() {
        return Err(StoreError::Damaged(format!(
            "{}: asked the store for {} hashes, got {}",
            tile.path(),
            indexes.len(),
            hashes.len()
        )));
    }
    Ok(hashes.iter().flat_map(|h| h.0).collect())
}

/// The leaves of `bundle`, read from the store.
pub fn bundle_entries<S: Store + ?Sized>(
    store: &S,
    bundle: Bundle,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let first = bundle.first_leaf().0;
    let leaves = store.read_leaves(first, first + u64::from(bundle.width))?;
    if leaves.len() != usize::from(bundle.width)
        || leaves.iter().zip(first..).any(|(l, i)| l.index != i)
    {
        return Err(StoreError::Damaged(format!(
            "leaves {first} to {}: the store returned {} leaves, not {} in order",
            first + u64::from(bundle.width) - 1,
            leaves.len(),
            bundle.width
        )));
    }
    Ok(leaves.into_iter().map(|l| l.data).collect())
}

/// What [`write_tiles`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileExport {
    /// The tree size published.
    pub size: TreeSize,
    /// Its root.
    pub root: Hash,
    /// The size of the checkpoint the directory held before, if any.
    pub previous_size: Option<TreeSize>,
    /// Hash tiles written.
    pub tiles_written: u64,
    /// Entry bundles written (both forms).
    pub bundles_written: u64,
    /// Files that were to be written and already held the same bytes.
    pub files_unchanged: u64,
    /// Bundles of this tree in the large form (an entry over 65 535 bytes).
    pub large_bundles: u64,
    /// Partial tiles and bundles removed because the full one now exists.
    pub partials_removed: u64,
    /// Whether the checkpoint file was written (false if it was already current).
    pub checkpoint_written: bool,
}

enum Outcome {
    Written,
    Unchanged,
}

/// Writes `bytes` at `dir/rel` unless a file is there: then it must hold the same
/// bytes. Writes a temporary file beside it, syncs it and renames it into place.
fn write_immutable(dir: &Path, rel: &str, bytes: &[u8]) -> Result<Outcome, TilesError> {
    let path = dir.join(rel);
    match std::fs::read(&path) {
        Ok(existing) if existing == bytes => return Ok(Outcome::Unchanged),
        Ok(_) => {
            return Err(TilesError::Immutable {
                path: path.display().to_string(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&path)(e)),
    }
    write_atomically(&path, bytes)?;
    Ok(Outcome::Written)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), TilesError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io_error(parent))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(io_error(path))
}

/// Reads at most `limit` bytes of a file; `None` if it does not exist.
fn read_limited(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, TilesError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path)(e)),
    };
    let mut data = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(io_error(path))?;
    if data.len() as u64 > limit {
        return Err(TilesError::Length {
            path: path.display().to_string(),
            expected: format!("at most {limit} bytes"),
            found: data.len() as u64,
        });
    }
    Ok(Some(data))
}

/// The checkpoint published in `dir`, verified under `verifier`, if there is one.
fn published_checkpoint(
    dir: &Path,
    verifier: &VerifierKey,
) -> Result<Option<Checkpoint>, TilesError> {
    let path = dir.join(CHECKPOINT_PATH);
    let Some(note) = read_limited(&path, CHECKPOINT_BYTES_MAX)? else {
        return Ok(None);
    };
    verify_checkpoint(&note, verifier)
        .map(Some)
        .map_err(|e| TilesError::Checkpoint {
            path: path.display().to_string(),
            reason: format!("does not verify under this log's key ({e}); refusing to replace it"),
        })
}

/// Removes the directory of partial versions of a now-full tile or bundle at
/// `dir/<full path>.p`, counting the files removed.
fn remove_partials(dir: &Path, full_path: &str) -> Result<u64, TilesError> {
    let partials = dir.join(format!("{full_path}.p"));
    let entries = match std::fs::read_dir(&partials) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_error(&partials)(e)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(io_error(&partials))?;
        std::fs::remove_file(entry.path()).map_err(io_error(&entry.path()))?;
        removed += 1;
    }
    std::fs::remove_dir(&partials).map_err(io_error(&partials))?;
    Ok(removed)
}

/// Publishes the log held by `store` into `dir` as static tlog-tiles at the size
/// of its latest checkpoint: every tile and entry bundle of that tree, then the
/// checkpoint, then removes partials superseded by full tiles (see the module
/// documentation). Idempotent, and incremental: tiles and bundles the
/// directory's previous checkpoint already covered are only checked to exist.
///
/// Refuses, before writing anything, a directory whose checkpoint does not verify
/// under the log's key, is larger than the store's, or has another root than the
/// store has at its size; and stops at any file that exists with other bytes.
pub fn write_tiles<S: Store + ?Sized>(store: &S, dir: &Path) -> Result<TileExport, TilesError> {
    let meta = store.meta()?;
    let verifier = VerifierKey::parse(&meta.verifier_key)
        .map_err(|e| StoreError::Damaged(format!("meta.verifier_key: {e}")))?;
    let stored = store.latest_checkpoint()?.ok_or(TilesError::NoCheckpoint)?;
    // Pair the assertion (STYLE §5): the checkpoint we publish verifies, and the
    // stored hashes agree with it.
    let store_checkpoint = |reason: String| TilesError::Checkpoint {
        path: format!("the store's checkpoint of {} leaves", stored.size.0),
        reason,
    };
    let checkpoint = verify_checkpoint(stored.note.as_bytes(), &verifier)
        .map_err(|e| store_checkpoint(format!("does not verify: {e}; run `custodian audit`")))?;
    let size = checkpoint.size();
    if size != stored.size || size.0 > TREE_SIZE_MAX {
        return Err(store_checkpoint(format!(
            "signs {} leaves; run `custodian audit`",
            size.0
        )));
    }
    let hashes = StoreHashes(store);
    let root = proof::tree_hash(size, &hashes).map_err(|e| StoreError::Damaged(e.to_string()))?;
    if root != checkpoint.root() {
        return Err(store_checkpoint(format!(
            "signs root {}, but the stored hashes give {root}; run `custodian audit`",
            checkpoint.root()
        )));
    }

    let checkpoint_path = dir.join(CHECKPOINT_PATH);
    let check_published = |published: &Checkpoint| -> Result<(), TilesError> {
        if published.size() > size {
            return Err(TilesError::Rollback {
                path: checkpoint_path.display().to_string(),
                published: published.size().0,
                size: size.0,
            });
        }
        let ours = proof::tree_hash(published.size(), &hashes)
            .map_err(|e| StoreError::Damaged(e.to_string()))?;
        if ours != published.root() {
            return Err(TilesError::Fork {
                path: checkpoint_path.display().to_string(),
                size: published.size().0,
                published: published.root(),
                ours,
            });
        }
        Ok(())
    };
    let previous = published_checkpoint(dir, &verifier)?;
    if let Some(published) = &previous {
        check_published(published)?;
    }
    let old = previous.as_ref().map_or(TreeSize(0), Checkpoint::size);

    let mut export = TileExport {
        size,
        root,
        previous_size: previous.as_ref().map(Checkpoint::size),
        tiles_written: 0,
        bundles_written: 0,
        files_unchanged: 0,
        large_bundles: 0,
        partials_removed: 0,
        checkpoint_written: false,
    };
    let count = |outcome: Outcome, written: &mut u64, unchanged: &mut u64| match outcome {
        Outcome::Written => *written += 1,
        Outcome::Unchanged => *unchanged += 1,
    };
    for tile in tiles_for_size(size) {
        let path = tile.path();
        // A tile the published checkpoint already covered was written by an
        // earlier export: only check that it is there (reading every old tile
        // back would make each export O(n); `verify_tiles` does that).
        if tile_in_tree(tile, old) && dir.join(&path).is_file() {
            continue;
        }
        let data = tile_data(store, tile)?;
        let outcome = write_immutable(dir, &path, &data)?;
        count(
            outcome,
            &mut export.tiles_written,
            &mut export.files_unchanged,
        );
    }
    for bundle in bundles_for_size(size) {
        let standard = bundle.path(BundleForm::Standard);
        let large = bundle.path(BundleForm::Large);
        let standard_exists = dir.join(&standard).is_file();
        let large_exists = dir.join(&large).is_file();
        if tile_in_tree(bundle.tile(), old) && (standard_exists || large_exists) {
            export.large_bundles += u64::from(large_exists && !standard_exists);
            continue;
        }
        let entries = bundle_entries(store, bundle)?;
        let form = bundle_form(&entries);
        export.large_bundles += u64::from(form == BundleForm::Large);
        let data = encode_bundle(&entries, form)?;
        let outcome = write_immutable(dir, &bundle.path(form), &data)?;
        count(
            outcome,
            &mut export.bundles_written,
            &mut export.files_unchanged,
        );
    }

    // The checkpoint last, so that everything it names is in place. Check again
    // just before replacing it, in case another export wrote a larger one since.
    let note = stored.note.as_bytes();
    if read_limited(&checkpoint_path, CHECKPOINT_BYTES_MAX)?.as_deref() != Some(note) {
        if let Some(published) = published_checkpoint(dir, &verifier)? {
            check_published(&published)?;
        }
        write_atomically(&checkpoint_path, note)?;
        export.checkpoint_written = true;
    }

    // Only now that the checkpoint names the full tiles: drop the partials they
    // supersede (tlog-tiles: a log "MAY delete any partial tile once the
    // corresponding full tile is [...] available").
    for tile in tiles_for_size(size).filter(Tile::is_full) {
        export.partials_removed += remove_partials(dir, &tile.path())?;
        if tile.level == 0 {
            let bundle = Bundle {
                index: tile.index,
                width: TILE_WIDTH,
            };
            for form in [BundleForm::Standard, BundleForm::Large] {
                export.partials_removed += remove_partials(dir, &bundle.path(form))?;
            }
        }
    }
    Ok(export)
}

/// Where a [`TileClient`] fetches files: a directory, a web server, an object
/// store.
pub trait TileSource {
    /// The bytes at `path` (relative to the log's prefix, e.g. `tile/0/000`), or
    /// `None` if there is no such file. More than `limit` bytes is an error.
    fn fetch(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, TilesError>;
}

/// Files under a directory, as written by [`write_tiles`].
#[derive(Clone, Debug)]
pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    /// The files under `root`.
    pub fn new(root: impl Into<PathBuf>) -> DirSource {
        DirSource { root: root.into() }
    }
}

impl TileSource for DirSource {
    fn fetch(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, TilesError> {
        read_limited(&self.root.join(path), limit)
    }
}

/// A tiled log read as a client reads it: with the log's verifier key and nothing
/// else. Fetched tiles and derived hashes are cached, so that proving every leaf
/// costs O(n) hashing.
///
/// Nothing fetched is trusted: [`TileClient::check_root`] and
/// [`TileClient::check_tiles`] check the tiles against the checkpoint, and every
/// proof computed from them is verified against the checkpoint's root by its
/// user, as [`verify_tiles`] does.
pub struct TileClient<S: TileSource> {
    source: S,
    checkpoint: Checkpoint,
    tiles: RefCell<HashMap<Tile, Vec<u8>>>,
    hashes: RefCell<HashMap<(u32, u64), Hash>>,
}

impl<S: TileSource> TileClient<S> {
    /// Fetches the checkpoint and verifies it under `verifier`.
    pub fn open(source: S, verifier: &VerifierKey) -> Result<TileClient<S>, TilesError> {
        let note = source
            .fetch(CHECKPOINT_PATH, CHECKPOINT_BYTES_MAX)?
            .ok_or_else(|| TilesError::Checkpoint {
                path: CHECKPOINT_PATH.to_owned(),
                reason: "missing: nothing is published here".to_owned(),
            })?;
        let checkpoint =
            verify_checkpoint(&note, verifier).map_err(|e| TilesError::Checkpoint {
                path: CHECKPOINT_PATH.to_owned(),
                reason: e.to_string(),
            })?;
        if checkpoint.size().0 > TREE_SIZE_MAX {
            return Err(TilesError::Checkpoint {
                path: CHECKPOINT_PATH.to_owned(),
                reason: format!(
                    "a tree of {} leaves is larger than a log may hold ({TREE_SIZE_MAX})",
                    checkpoint.size().0
                ),
            });
        }
        Ok(TileClient {
            source,
            checkpoint,
            tiles: RefCell::new(HashMap::new()),
            hashes: RefCell::new(HashMap::new()),
        })
    }

    /// The verified checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The checkpoint's tree size.
    pub fn size(&self) -> TreeSize {
        self.checkpoint.size()
    }

    /// Fetches `tile` (cached), checking its length.
    fn load(&self, tile: Tile) -> Result<(), TilesError> {
        if self.tiles.borrow().contains_key(&tile) {
            return Ok(());
        }
        let path = tile.path();
        let data =
            self.source
                .fetch(&path, tile.byte_len())?
                .ok_or_else(|| TilesError::Missing {
                    path: path.clone(),
                    size: self.size().0,
                })?;
        if data.len() as u64 != tile.byte_len() {
            return Err(TilesError::Length {
                path,
                expected: format!("{} hashes of 32 bytes", tile.width),
                found: data.len() as u64,
            });
        }
        self.tiles.borrow_mut().insert(tile, data);
        Ok(())
    }

    /// The bytes of the tile at `level` and `index` of the checkpoint's tree.
    pub fn tile(&self, level: u8, index: u64) -> Result<Vec<u8>, TilesError> {
        let tile = self.tile_in_tree(level, index)?;
        self.load(tile)?;
        Ok(self.tiles.borrow()[&tile].clone())
    }

    fn tile_in_tree(&self, level: u8, index: u64) -> Result<Tile, TilesError> {
        Tile::in_tree(level, index, self.size()).ok_or_else(|| {
            TilesError::OutOfTree(format!(
                "the tree of {} leaves has no tile at level {level}, index {index}",
                self.size().0
            ))
        })
    }

    /// The hash of the complete subtree at tree `level` covering leaves
    /// `[n·2^level, (n+1)·2^level)`: read from a tile when the level is a multiple
    /// of 8, otherwise hashed from the tile below (golang/mod `tlog.HashFromTile`).
    pub fn hash_at(&self, level: u32, n: u64) -> Result<Hash, TilesError> {
        let end = n
            .checked_add(1)
            .and_then(|k| k.checked_mul(1u64.checked_shl(level)?));
        if end.is_none_or(|end| end > self.size().0) {
            return Err(TilesError::OutOfTree(format!(
                "the subtree at level {level}, index {n} is not complete in a tree of {} leaves",
                self.size().0
            )));
        }
        self.hash_in_tree(level, n)
    }

    fn hash_in_tree(&self, level: u32, n: u64) -> Result<Hash, TilesError> {
        if let Some(h) = self.hashes.borrow().get(&(level, n)) {
            return Ok(*h);
        }
        let h = if level % TILE_HEIGHT == 0 {
            let tile_level = (level / TILE_HEIGHT) as u8;
            let tile = self.tile_in_tree(tile_level, n / u64::from(TILE_WIDTH))?;
            self.load(tile)?;
            let at = (n % u64::from(TILE_WIDTH)) as usize * Hash::LEN;
            let tiles = self.tiles.borrow();
            // `hash_at` checked that the subtree is in the tree, so the tile of
            // this tree is wide enough and `load` checked its length.
            Hash::from_slice(&tiles[&tile][at..at + Hash::LEN])
                .expect("a loaded tile holds whole hashes")
        } else {
            let left = self.hash_in_tree(level - 1, 2 * n)?;
            let right = self.hash_in_tree(level - 1, 2 * n + 1)?;
            node_hash(&left, &right)
        };
        self.hashes.borrow_mut().insert((level, n), h);
        Ok(h)
    }

    /// Recomputes the root of the checkpoint's tree from the tiles along its right
    /// edge (O(log n) tiles) and compares it with the checkpoint's root.
    pub fn check_root(&self) -> Result<(), TilesError> {
        let computed = proof::tree_hash(self.size(), self).map_err(from_proof)?;
        if computed != self.checkpoint.root() {
            return Err(TilesError::Root {
                size: self.size().0,
                expected: self.checkpoint.root(),
                computed,
            });
        }
        Ok(())
    }

    /// Fetches every tile of the checkpoint's tree and checks them all: the root
    /// ([`TileClient::check_root`], which covers every partial tile), and each full
    /// tile against its entry in the tile above. Then every byte of every tile is
    /// bound to the signed root. Returns the number of tiles.
    pub fn check_tiles(&self) -> Result<u64, TilesError> {
        self.check_root()?;
        let mut tiles = 0;
        for tile in tiles_for_size(self.size()) {
            self.load(tile)?;
            tiles += 1;
            if !tile.is_full() {
                continue;
            }
            let computed = {
                let all = self.tiles.borrow();
                let hashes: Vec<Hash> = all[&tile]
                    .chunks_exact(Hash::LEN)
                    .filter_map(Hash::from_slice)
                    .collect();
                perfect_root(&hashes)
            };
            // A full tile at level L means the tree has at least 256^(L+1) leaves,
            // so the tile above exists.
            let parent = self.tile_in_tree(tile.level + 1, tile.index / u64::from(TILE_WIDTH))?;
            self.load(parent)?;
            let position = (tile.index % u64::from(TILE_WIDTH)) as u16;
            let at = usize::from(position) * Hash::LEN;
            let expected = Hash::from_slice(&self.tiles.borrow()[&parent][at..at + Hash::LEN])
                .expect("a loaded tile holds whole hashes");
            if computed != expected {
                return Err(TilesError::Parent {
                    path: tile.path(),
                    parent: parent.path(),
                    position,
                    expected,
                    computed,
                });
            }
        }
        Ok(tiles)
    }

    /// Fetches `bundle` in either form, decodes it, and checks every entry
    /// against its leaf hash in the level-0 tile. Check the tiles first
    /// ([`TileClient::check_tiles`]) for the entries to be bound to the
    /// checkpoint.
    pub fn entries(&self, bundle: Bundle) -> Result<(Vec<Vec<u8>>, BundleForm), TilesError> {
        if !tile_in_tree(bundle.tile(), self.size()) {
            return Err(TilesError::OutOfTree(format!(
                "the tree of {} leaves has no bundle {}",
                self.size().0,
                bundle.path(BundleForm::Standard)
            )));
        }
        let mut fetched = None;
        for form in [BundleForm::Standard, BundleForm::Large] {
            let path = bundle.path(form);
            if let Some(data) = self.source.fetch(&path, BUNDLE_BYTES_MAX)? {
                fetched = Some((path, data, form));
                break;
            }
        }
        let (path, data, form) = fetched.ok_or_else(|| TilesError::Missing {
            path: format!(
                "{} (or {})",
                bundle.path(BundleForm::Standard),
                bundle.path(BundleForm::Large)
            ),
            size: self.size().0,
        })?;
        let entries = decode_bundle(&data, form, bundle.width, &path)?;
        if form == BundleForm::Large && entries.iter().all(|e| e.len() <= ENTRY_BYTES_MAX) {
            return Err(TilesError::Bundle {
                path,
                position: 0,
                reason: "every entry fits a standard bundle, so the large form is not allowed"
                    .to_owned(),
            });
        }
        let first = bundle.first_leaf().0;
        for (position, entry) in entries.iter().enumerate() {
            let leaf = first + position as u64;
            let expected = self.hash_at(0, leaf)?;
            let computed = leaf_hash(entry);
            if computed != expected {
                return Err(TilesError::EntryHash {
                    path,
                    position,
                    leaf,
                    expected,
                    computed,
                });
            }
        }
        Ok((entries, form))
    }

    /// The inclusion proof of leaf `index` in the checkpoint's tree, computed from
    /// the tiles (RFC 9162 §2.1.3.1).
    pub fn prove_inclusion(&self, index: LeafIndex) -> Result<Vec<Hash>, TilesError> {
        proof::prove_inclusion(index, self.size(), self).map_err(from_proof)
    }
}

impl<S: TileSource> HashReader for TileClient<S> {
    type Error = TilesError;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TilesError> {
        indexes
            .iter()
            .map(|&index| {
                let (level, n) = split_stored_hash_index(index);
                self.hash_at(level, n)
            })
            .collect()
    }
}

/// `MTH` of a power-of-two number of hashes: pairwise up to one.
fn perfect_root(hashes: &[Hash]) -> Hash {
    let mut level = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level.first().copied().unwrap_or_default()
}

/// What [`verify_tiles`] checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TilesReport {
    /// The checkpoint's size.
    pub size: TreeSize,
    /// Its root.
    pub root: Hash,
    /// Hash tiles fetched and checked.
    pub tiles: u64,
    /// Entry bundles fetched and checked.
    pub bundles: u64,
    /// Of those, bundles in the large form.
    pub large_bundles: u64,
    /// Entries checked against their leaf hashes.
    pub entries: u64,
    /// Inclusion proofs computed from the tiles and verified against the root.
    pub inclusion_proofs: u64,
}

/// Reads a tiled log as a client would and checks everything its checkpoint
/// commits to: the checkpoint's signature under `verifier`; the root recomputed
/// from the tiles; every full tile against the tile above; every entry of every
/// bundle against its leaf hash; and, for every leaf, the inclusion proof
/// computed from the tiles, verified against the checkpoint's root with the
/// RFC 9162 §2.1.3.2 algorithm. `visit` sees each leaf's bytes, in order.
pub fn verify_tiles<S: TileSource>(
    source: S,
    verifier: &VerifierKey,
    visit: &mut dyn FnMut(LeafIndex, &[u8]),
) -> Result<TilesReport, TilesError> {
    let client = TileClient::open(source, verifier)?;
    let size = client.size();
    let root = client.checkpoint().root();
    let tiles = client.check_tiles()?;
    let mut report = TilesReport {
        size,
        root,
        tiles,
        bundles: 0,
        large_bundles: 0,
        entries: 0,
        inclusion_proofs: 0,
    };
    // One bundle at a time, so memory stays at one bundle whatever the log's size.
    for bundle in bundles_for_size(size) {
        let (entries, form) = client.entries(bundle)?;
        report.bundles += 1;
        report.large_bundles += u64::from(form == BundleForm::Large);
        report.entries += entries.len() as u64;
        for (position, entry) in entries.iter().enumerate() {
            let index = LeafIndex(bundle.first_leaf().0 + position as u64);
            let path = client.prove_inclusion(index)?;
            proof::verify_inclusion(&leaf_hash(entry), index, size, &path, &root).map_err(
                |reason| TilesError::Inclusion {
                    leaf: index.0,
                    reason,
                },
            )?;
            report.inclusion_proofs += 1;
            visit(index, entry);
        }
    }
    Ok(report)
}
