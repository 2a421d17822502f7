//! Custodian's persistence: the [`Store`] trait every backend implements, the
//! embedded [`sqlite::SqliteStore`], the shared `postgres::PostgresStore`
//! (feature `postgres`), [`any::AnyStore`] that holds either, the append path
//! ([`log::Log`]) and the [`audit`]. [`testing`] is the test support that the
//! binary's and the server's suites share, to run on either store.
//!
//! Architecture invariant: SQL specific to SQLite lives only in `sqlite.rs`; the
//! append and audit logic see only the [`Store`] trait, so a PostgreSQL backend
//! implements the trait and reuses both unchanged.
//!
//! What a store keeps (FORMATS.md, "Store"):
//! - `leaves`: the canonical bytes of every signed submission, by leaf index;
//! - `hashes`: every complete-subtree hash, by golang/mod tlog's stored-hash index,
//!   so appends and proofs read O(log n) hashes and nothing is rebuilt at start;
//! - `checkpoints`: the signed checkpoint written with every append;
//! - `actors` and `events`: copies derived from the leaves, for lookups; the audit
//!   rebuilds them and compares.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod any;
pub mod audit;
pub mod log;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;
pub mod testing;
pub mod tiles;

use custodian_core::{EventId, EventKind, LeafIndex, TreeSize};
use custodian_ledger::registry::ActorRecord;
use custodian_ledger::Hash;

/// Store format name written in every database, so a file that is not ours is
/// recognised as such.
pub const STORE_FORMAT: &str = "custodian-store";
/// Version of the store's schema.
pub const SCHEMA_VERSION: u32 = 1;

/// A storage failure, or a store that is not what it claims to be.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file or database is not a Custodian store.
    #[error("{path}: not a Custodian database: {reason}")]
    NotOurs {
        /// Where.
        path: String,
        /// What was found instead.
        reason: String,
    },
    /// The database already holds a log.
    #[error("{path}: already holds a Custodian log; refusing to overwrite it")]
    AlreadyInitialised {
        /// Where.
        path: String,
    },
    /// Another writer appended between our read and our commit.
    #[error("the log grew from {expected} to {found} leaves while this append was prepared; nothing applied, try again")]
    Conflict {
        /// The size we prepared against.
        expected: u64,
        /// The size found at commit.
        found: u64,
    },
    /// A stored row is missing or malformed.
    #[error("stored data is damaged: {0}")]
    Damaged(String),
    /// An event id is already in the log.
    #[error("event id {0:?} is already in the log")]
    DuplicateEvent(String),
    /// The backend failed.
    #[error("database error: {0}")]
    Backend(String),
}

/// The fixed facts of a log, written once at initialisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// The log's origin (checkpoint line 1, key name).
    pub origin: String,
    /// The log's verifier key, `<name>+<hex id>+<base64>`.
    pub verifier_key: String,
}

/// An event's place in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventLocation {
    /// The event's id.
    pub id: EventId,
    /// The leaf (submission) that holds it.
    pub leaf: LeafIndex,
    /// Its position among the submission's events.
    pub position: u32,
    /// Its kind.
    pub kind: EventKind,
}

/// One row of the event index, borrowed from the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRow<'a> {
    /// Event number in log order, from 0.
    pub n: u64,
    /// The event's id.
    pub id: &'a str,
    /// The leaf that holds it.
    pub leaf: u64,
    /// Its position among the leaf's events.
    pub position: u64,
    /// Its kind.
    pub kind: &'a str,
}

/// Everything one append writes, committed atomically by [`Store::commit`].
#[derive(Clone, Debug, Default)]
pub struct AppendBatch {
    /// Tree size before the append; the commit fails with [`StoreError::Conflict`]
    /// if the store no longer has this size.
    pub size_before: u64,
    /// New leaves (canonical bytes), in order from `size_before`.
    pub leaves: Vec<Vec<u8>>,
    /// New stored hashes, in order from `stored_hash_count(size_before)`.
    pub hashes: Vec<Hash>,
    /// The signed checkpoint of the new size.
    pub checkpoint: String,
    /// Actor records created or changed.
    pub actors: Vec<ActorRecord>,
    /// Every new event's location.
    pub events: Vec<EventLocation>,
}

/// A stored leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLeaf {
    /// Its index.
    pub index: u64,
    /// The canonical bytes of the signed submission.
    pub data: Vec<u8>,
    /// The tree size of the checkpoint written by the append that added this
    /// leaf, so that the audit knows which checkpoints must exist.
    pub checkpoint_size: u64,
}

/// A stored checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// The tree size it signs.
    pub size: TreeSize,
    /// The signed note text.
    pub note: String,
}

/// Persistence of one log. Implementations must make [`Store::commit`] atomic
/// and durable: when it returns `Ok`, the batch survives a crash; when it fails
/// or the process dies, none of it is visible.
pub trait Store {
    /// The log's fixed facts.
    fn meta(&self) -> Result<Meta, StoreError>;
    /// Number of leaves.
    fn tree_size(&self) -> Result<TreeSize, StoreError>;
    /// Stored hashes by stored-hash index, in the order asked.
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError>;
    /// Leaves `[from, to)`, in order.
    fn read_leaves(&self, from: u64, to: u64) -> Result<Vec<StoredLeaf>, StoreError>;
    /// Stored hashes with indexes in `[from, to)`, each with its index.
    fn read_hash_range(&self, from: u64, to: u64) -> Result<Vec<(u64, Hash)>, StoreError>;
    /// Number of stored hashes.
    fn hash_count(&self) -> Result<u64, StoreError>;
    /// All checkpoints, by size.
    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError>;
    /// The checkpoint of the largest size.
    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError>;
    /// The stored actor records.
    fn actors(&self) -> Result<Vec<ActorRecord>, StoreError>;
    /// Where an event is.
    fn event_location(&self, id: &EventId) -> Result<Option<EventLocation>, StoreError>;
    /// Shows `visit` the indexed events number `from` to `from + limit - 1`, in
    /// log order (event number 0 is the first event of the first leaf), borrowing
    /// each row; stops early when `visit` returns `false`. Returns the number of
    /// rows shown.
    fn visit_events(
        &self,
        from: u64,
        limit: u64,
        visit: &mut dyn FnMut(EventRow<'_>) -> bool,
    ) -> Result<u64, StoreError>;
    /// The leaves that hold at least one event of `kind`, in order.
    fn leaves_with_event_kind(&self, kind: EventKind) -> Result<Vec<u64>, StoreError>;
    /// Number of indexed events.
    fn event_count(&self) -> Result<u64, StoreError>;
    /// Writes a batch atomically and durably.
    fn commit(&mut self, batch: AppendBatch) -> Result<(), StoreError>;
}

/// Lets the Merkle proof code read a store's hashes directly.
pub struct StoreHashes<'a, S: Store + ?Sized>(pub &'a S);

impl<S: Store + ?Sized> custodian_ledger::proof::HashReader for StoreHashes<'_, S> {
    type Error = StoreError;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        self.0.read_hashes(indexes)
    }
}
