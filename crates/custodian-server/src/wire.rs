//! The JSON shapes of the API: each is a compatibility promise, so they live
//! here at the boundary and are filled in by hand from the library types
//! (STYLE §1, "Wire types live at the boundary"). Hashes are lowercase hex
//! (FORMATS.md §8), sizes and indexes plain integers.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

/// An error: `{"error": {"code", "message", "field"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `replayed`, `bad_signature`, `not_found`.
    #[schema(example = "replayed")]
    pub code: String,
    /// What was wrong and what was expected, for people.
    pub message: String,
    /// JSON path of the value at fault (`events[2].payload.to`; `[1].seq` for the
    /// second submission of a batch; a parameter's name), or null.
    #[schema(example = "seq")]
    pub field: Option<String>,
}

/// The latest signed checkpoint, verified by the server before it is served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CheckpointView {
    /// The log's origin (checkpoint line 1).
    #[schema(example = "custodian.demo/ledger")]
    pub origin: String,
    /// Number of leaves (checkpoint line 2).
    pub tree_size: u64,
    /// Root hash of the tree of `tree_size` leaves, hex.
    pub root_hash: String,
    /// The signed note (C2SP `tlog-checkpoint` in C2SP `signed-note` form,
    /// FORMATS.md §7), exactly as `GET /checkpoint` serves it.
    pub note: String,
    /// The log's verifier key, `<name>+<hex key id>+<base64(0x01 || key)>`
    /// (golang/mod `sumdb/note` form). A client that already pins the key
    /// checks the note with its own copy, not this one.
    pub verifier_key: String,
}

/// One leaf of the log.
///
/// A leaf the viewer may not read (a state's facility-level accounts, for
/// anyone but that state's actors and inspectors: `access.rs`) is served
/// redacted: `redacted` true, `leaf` and `submission` null, `leaf_hash` kept,
/// so that its inclusion is still proven by the public proofs and tiles.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EntryView {
    /// The leaf index.
    pub index: u64,
    /// The RFC 9162 leaf hash `SHA-256(0x00 || leaf)`, hex.
    pub leaf_hash: String,
    /// Whether the leaf is withheld from this viewer.
    pub redacted: bool,
    /// The leaf bytes (the canonical signed submission, FORMATS.md §4), hex:
    /// exactly the bytes that were hashed. Null when redacted.
    pub leaf: Option<String>,
    /// The same bytes as JSON: the signed submission. Null when redacted, or
    /// if the stored leaf is not JSON (damage that `custodian audit` reports).
    #[schema(value_type = Option<Object>)]
    pub submission: Option<Box<RawValue>>,
}

/// A range of leaves.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EntriesView {
    /// The tree size when the range was read.
    pub tree_size: u64,
    /// First index returned.
    pub from: u64,
    /// One past the last index returned.
    pub to: u64,
    /// The leaves `[from, to)`, in order.
    pub entries: Vec<EntryView>,
    /// Where to continue when the range asked for was cut short by the page's
    /// byte budget or by the end of the tree; null when it is complete.
    pub next: Option<u64>,
}

/// An inclusion proof, as `custodian --json log prove` prints it (FORMATS.md §8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InclusionProofView {
    /// The leaf.
    pub index: u64,
    /// The tree the proof is for.
    pub tree_size: u64,
    /// Hex root of the tree of `tree_size` leaves.
    pub root: String,
    /// Hex leaf hash (informative: a verifier hashes `leaf` itself, or, for a
    /// redacted leaf, proves this hash).
    pub leaf_hash: String,
    /// Hex hashes, RFC 9162 §2.1.3 order (from the leaf towards the root).
    pub proof: Vec<String>,
    /// The event id asked for, or null.
    pub event: Option<String>,
    /// Whether the leaf's bytes are withheld from this viewer (as in
    /// [`EntryView`]); the proof is the same, from `leaf_hash`.
    #[serde(default)]
    pub redacted: bool,
    /// Hex of the leaf bytes; null when redacted.
    pub leaf: Option<String>,
    /// The signed checkpoint of `tree_size` when it is the latest; null for an
    /// older size (use the checkpoint you hold).
    pub checkpoint: Option<String>,
}

/// A consistency proof, as `custodian --json log consistency` prints it
/// (FORMATS.md §8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConsistencyProofView {
    /// The older tree size.
    pub old_size: u64,
    /// The newer tree size.
    pub new_size: u64,
    /// Hex root of the older tree.
    pub old_root: String,
    /// Hex root of the newer tree.
    pub new_root: String,
    /// Hex hashes, RFC 9162 §2.1.4 order.
    pub proof: Vec<String>,
}

/// What an accepted append produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceiptView {
    /// Index of the first new leaf (a batch of n takes `first_leaf .. first_leaf + n`).
    pub first_leaf: u64,
    /// Tree size after the append.
    pub tree_size: u64,
    /// Hex root after the append.
    pub root_hash: String,
    /// Number of events appended.
    pub events: u64,
    /// The signed checkpoint of the new size.
    pub checkpoint: String,
}

/// A signed submission (FORMATS.md §4), sent as its RFC 8785 canonical bytes:
/// what `custodian log sign` prints. Documented here; the server parses the
/// bytes strictly and refuses anything not canonical.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct SignedSubmissionDoc {
    /// Always 1.
    v: u32,
    /// The origin of the log it is for.
    log: String,
    /// The submitting actor.
    actor: String,
    /// The actor's submission counter: 1, 2, 3, …
    seq: u64,
    /// 1 to 10,000 events (FORMATS.md §3).
    #[schema(value_type = Vec<Object>)]
    events: Vec<()>,
    /// Base64 Ed25519 signature by the actor's current key.
    signature: String,
}

/// One signed submission, or an array of them appended atomically.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum SubmissionsBody {
    /// One submission.
    One(SignedSubmissionDoc),
    /// A batch: all are appended, in order, or none.
    Batch(Vec<SignedSubmissionDoc>),
}

/// `GET /api/v1/entries` parameters.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntriesQuery {
    /// First leaf index (inclusive) [default: 0].
    pub from: Option<u64>,
    /// One past the last leaf index [default: `from` + 1000, at most the tree
    /// size]; at most 1000 leaves per request.
    pub to: Option<u64>,
}

/// `GET /api/v1/proofs/inclusion` parameters.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// The leaf index (or give `event`).
    pub index: Option<u64>,
    /// Instead of `index`: prove the leaf that holds this event id.
    pub event: Option<String>,
    /// The tree size [default: the latest checkpoint's].
    pub size: Option<u64>,
}

/// `GET /api/v1/proofs/consistency` parameters.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree size.
    pub from: u64,
    /// The newer tree size [default: the latest checkpoint's].
    pub to: Option<u64>,
}
