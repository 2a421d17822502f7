//! The crate's one error type. Input errors name the place (a JSON-style path
//! such as `entries[3].id`), what was expected and what was found; verification
//! failures name the entry (leaf index) and what did not match, so that a caller
//! can turn them into a finding ([`EscrowError::is_finding`]).

use custodian_ledger::Hash;
use std::path::PathBuf;

/// Which neighbour of a range or gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The leaf just before the range (index `start − 1`).
    Left,
    /// The leaf just after the range (index `end`).
    Right,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Left => "left",
            Side::Right => "right",
        })
    }
}

/// An error from the escrow: bad input, a reveal or proof that does not verify
/// (a finding), or a file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EscrowError {
    // ----- Input -----
    /// JSON of the wrong shape (syntax, type, a missing or unknown field).
    #[error("{at}: {message}")]
    Json {
        /// Field path where serde stopped, e.g. `entries[3].status`; `.` for the document.
        at: String,
        /// serde's description.
        message: String,
    },

    /// A field that is present but not valid.
    #[error("{at}: expected {expected}, found {found:?}")]
    Invalid {
        /// Field path, e.g. `entries[3].id` or `measures[1]`.
        at: String,
        /// What the field must hold.
        expected: String,
        /// What was found (at most 80 characters).
        found: String,
    },

    /// Two entries with the same sort key (category, region, id).
    #[error("entries[{entry}].{field}: the key {key} is already the key of entries[{first}]; every entry needs its own (category, region, id)")]
    DuplicateKey {
        /// Index of the later entry in the input.
        entry: usize,
        /// Index of the earlier entry with the same key.
        first: usize,
        /// The field that makes the keys equal (`id`, the last key field).
        field: &'static str,
        /// The key, as `(category, region, id)`.
        key: String,
    },

    /// Two entries with the same explicit salt.
    #[error("entries[{entry}].salt: the salt of entries[{first}] is used again; every entry needs its own salt (revealing one would expose the other)")]
    SaltReused {
        /// Index of the later entry in the input.
        entry: usize,
        /// Index of the earlier entry.
        first: usize,
    },

    /// An entry of a declaration, or a request to the secret side, names a
    /// measure the declaration does not have.
    #[error("{at}: measure {measure:?} is not one of the committed measures {declared:?}")]
    UnknownMeasure {
        /// Field path or leaf.
        at: String,
        /// The measure named.
        measure: String,
        /// The measures that exist.
        declared: Vec<String>,
    },

    /// A reveal, annex or proof names a measure the commitment does not have.
    #[error("{at}: measure {measure:?} is not committed (the commitment has {committed:?})")]
    MeasureNotCommitted {
        /// Leaf or proof.
        at: String,
        /// The measure named.
        measure: String,
        /// The committed measures.
        committed: Vec<String>,
    },

    /// The per-entry values of a measure add up to more than 2^64 − 1.
    #[error("measure {measure:?}: the total of all entries exceeds 2^64 - 1")]
    TotalOverflow {
        /// The measure.
        measure: String,
    },

    /// More of something than the escrow accepts.
    #[error("{at}: expected at most {limit} {what}, found {found}")]
    TooMany {
        /// Field path.
        at: String,
        /// The limit.
        limit: u64,
        /// The count found.
        found: u64,
        /// What is counted.
        what: &'static str,
    },

    /// A request the secret side cannot satisfy: an index or key that is not
    /// in the declaration, a sample larger than the declaration.
    #[error("{0}")]
    Request(String),

    /// The key asked to be proven absent is in the declaration.
    #[error("the key {key} is in the declaration (leaf {index}); it cannot be proven absent")]
    KeyPresent {
        /// The key.
        key: String,
        /// Its leaf index.
        index: u64,
    },

    /// The committed total is above the limit, so no proof can be made. The
    /// total itself is not printed.
    #[error(
        "measure {measure:?}: the committed total is above the limit {limit}; no proof can be made"
    )]
    AboveLimit {
        /// The measure.
        measure: String,
        /// The limit asked for.
        limit: u64,
    },

    // ----- Verification failures (findings) -----
    /// The reveal was made for another scheme.
    #[error("expected scheme {expected:?}, found {found:?}")]
    Scheme {
        /// [`crate::SCHEME`].
        expected: &'static str,
        /// The scheme found.
        found: String,
    },

    /// A leaf index outside the committed declaration.
    #[error("{what}: leaf {index} is outside a declaration of {entries} entries")]
    IndexOutOfRange {
        /// What carried the index.
        what: String,
        /// The index.
        index: u64,
        /// The number of committed entries.
        entries: u64,
    },

    /// A count that does not match what the commitment fixes.
    #[error("{what}: expected {expected}, found {found}")]
    WrongCount {
        /// What is counted, e.g. `entries of range [3, 7)` or `proof hashes`.
        what: String,
        /// The count required.
        expected: u64,
        /// The count found.
        found: u64,
    },

    /// The revealed leaves and the proof do not rebuild the committed root:
    /// a salt, an entry, a neighbour or a proof hash is wrong.
    #[error("{what}: the opened leaves and the proof give root {computed}, the commitment has {expected}")]
    RootMismatch {
        /// What was being verified, with its leaf indices.
        what: String,
        /// The committed root.
        expected: Hash,
        /// The root the reveal gives.
        computed: Hash,
    },

    /// An entry of a range reveal is not in the range.
    #[error("leaf {index}: entry {key} is not in the range {selector}")]
    OutsideRange {
        /// The leaf index.
        index: u64,
        /// Its key.
        key: String,
        /// The range.
        selector: String,
    },

    /// Opened leaves whose keys are not in strictly increasing order.
    #[error("leaf {index}: key {key} does not sort after leaf {previous_index}'s key {previous}")]
    OutOfOrder {
        /// The later leaf.
        index: u64,
        /// Its key.
        key: String,
        /// The earlier leaf.
        previous_index: u64,
        /// Its key.
        previous: String,
    },

    /// A neighbour of a range or a gap is missing, superfluous or on the
    /// wrong side of the range or key.
    #[error("{side} neighbour (leaf {index}): {problem}")]
    Neighbour {
        /// Which neighbour.
        side: Side,
        /// Its leaf index (as the reveal implies it).
        index: u64,
        /// What is wrong.
        problem: String,
    },

    /// A response about another key than the one asked.
    #[error("leaf {index}: asked about key {expected}, the response is about {found}")]
    WrongKey {
        /// The leaf index (or gap position) of the response.
        index: u64,
        /// The key asked.
        expected: String,
        /// The key answered.
        found: String,
    },

    /// A revealed entry's Pedersen commitment is not the one in the annex.
    #[error("leaf {index}: the commitment to measure {measure:?} is not entry {index} of the published annex")]
    AnnexMismatch {
        /// The leaf index.
        index: u64,
        /// The measure.
        measure: String,
    },

    /// An annex does not match the commitment.
    #[error("annex of measure {measure:?}: {problem}")]
    Annex {
        /// The measure.
        measure: String,
        /// What did not match.
        problem: String,
    },

    /// A sample that is not the one drawn from the stated seed.
    #[error(
        "sample position {position}: the seed draws leaf {expected}, the reveal opens leaf {found}"
    )]
    SampleMismatch {
        /// Position in ascending index order.
        position: usize,
        /// The leaf the draw gives.
        expected: u64,
        /// The leaf the reveal opened.
        found: u64,
    },

    /// A sample reveal drawn from another seed than the one stated.
    #[error("the sample was drawn from seed {found}, not from the stated seed {expected}")]
    SeedMismatch {
        /// The stated seed, hex.
        expected: String,
        /// The reveal's seed, hex.
        found: String,
    },

    /// A range proof of a total did not verify.
    #[error("measure {measure:?}: {statement} does not verify against the commitment: {reason}")]
    TotalProof {
        /// The measure.
        measure: String,
        /// What the proof claims, e.g. `0 <= total <= 1550`.
        statement: String,
        /// Why (bulletproofs' error).
        reason: String,
    },

    /// An opening of a committed total that does not open it: the value or
    /// the blinding is not the committed one.
    #[error("measure {measure:?}: value {value} with the given blinding does not open the committed total (T ≠ value·B + blinding·B̃)")]
    TotalOpening {
        /// The measure.
        measure: String,
        /// The value the opening claims.
        value: u64,
    },

    /// A point that is not a valid ristretto255 encoding (RFC 9496 §4.3.1).
    #[error("{at}: not a valid ristretto255 encoding")]
    InvalidPoint {
        /// Where.
        at: String,
    },

    // ----- Files -----
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },

    /// A secret file or key file of the wrong form.
    #[error("{path}: {problem}")]
    SecretFile {
        /// The file (empty when working on bytes).
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },

    /// The secret file did not decrypt: the key is wrong or the file changed.
    #[error("{path}: the secret file does not decrypt with this key (wrong key, or the file was changed)")]
    Decrypt {
        /// The file (empty when working on bytes).
        path: PathBuf,
    },

    /// An inspection plan could not be computed.
    #[error("plan: {0}")]
    Plan(#[from] custodian_accountancy::error::AccountancyError),
}

impl EscrowError {
    /// True for a reveal, proof, sample or annex that does not verify against
    /// the commitment: the caller records it as a finding, with the reveal as
    /// evidence. False for bad input, impossible requests and file errors.
    pub fn is_finding(&self) -> bool {
        matches!(
            self,
            EscrowError::Scheme { .. }
                | EscrowError::IndexOutOfRange { .. }
                | EscrowError::WrongCount { .. }
                | EscrowError::RootMismatch { .. }
                | EscrowError::OutsideRange { .. }
                | EscrowError::OutOfOrder { .. }
                | EscrowError::Neighbour { .. }
                | EscrowError::AnnexMismatch { .. }
                | EscrowError::Annex { .. }
                | EscrowError::SampleMismatch { .. }
                | EscrowError::SeedMismatch { .. }
                | EscrowError::WrongKey { .. }
                | EscrowError::TotalProof { .. }
                | EscrowError::TotalOpening { .. }
                | EscrowError::InvalidPoint { .. }
                | EscrowError::MeasureNotCommitted { .. }
        )
    }
}

/// Converts a serde_path_to_error failure into [`EscrowError::Json`].
pub(crate) fn json_error(error: serde_path_to_error::Error<serde_json::Error>) -> EscrowError {
    let path = error.path().to_string();
    EscrowError::Json {
        at: if path.is_empty() {
            ".".to_owned()
        } else {
            path
        },
        message: error.into_inner().to_string(),
    }
}

/// Parses JSON text into `T`, naming the field path on failure.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, EscrowError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(json_error)?;
    de.end().map_err(|e| EscrowError::Json {
        at: ".".to_owned(),
        message: e.to_string(),
    })?;
    Ok(value)
}
