//! Tree heads, inclusion proofs and consistency proofs (RFC 9162 §2.1), computed
//! from *stored hashes*, and their verification.
//!
//! # Stored hashes
//!
//! The layout is the one of golang/mod `sumdb/tlog/tlog.go` (`StoredHashIndex`,
//! `SplitStoredHashIndex`, `StoredHashCount`). A log keeps the hash of every
//! complete subtree, each under one integer *stored-hash index*, in the order the
//! hashes become known when the leaves are appended one after another:
//!
//! ```text
//! index:  0       1       2       3       4       5       6       7 ...
//! hash:   leaf 0  leaf 1  L1[0]   leaf 2  leaf 3  L1[1]   L2[0]   leaf 4 ...
//! ```
//!
//! Appending leaf `m` stores its leaf hash and then the hash of each subtree that
//! leaf completes, one per trailing one bit of `m`. Every hash is written once and
//! never changes, so the table is append-only. The root of any tree size, and any
//! proof, needs O(log n) stored hashes: the functions here first compute which
//! indexes they need, read them with a single [`HashReader::read_hashes`] call,
//! and then combine them.
//!
//! # Proofs
//!
//! [`prove_inclusion`] builds RFC 9162 §2.1.3.1 `PATH(m, D[n])` ("Merkle audit
//! path" in RFC 6962) and [`prove_consistency`] builds RFC 9162 §2.1.4.1
//! `PROOF(m, D[n])`. [`verify_inclusion`] and [`verify_consistency`] are the
//! verification algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2; they need no store.

use crate::hash::{empty_root, node_hash, Hash};
use custodian_core::{LeafIndex, TreeSize};

/// The largest tree the proof functions and [`crate::tree::Frontier`] accept:
/// 2^62 leaves. Such a tree stores `2·2^62 − 1 = 2^63 − 1` hashes, so every
/// stored-hash index fits a signed 64-bit integer (a SQLite `INTEGER`), and no
/// index arithmetic can overflow.
pub const TREE_SIZE_MAX: u64 = 1 << 62;

/// Source of stored hashes (implemented by the SQLite store and, for tests and
/// tools, by an in-memory `[Hash]`).
pub trait HashReader {
    /// Error of the underlying storage.
    type Error;
    /// Returns the stored hashes at these stored-hash indexes, in the same order.
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Self::Error>;
}

/// The in-memory reader: the stored hash at index `i` is element `i`.
impl HashReader for [Hash] {
    type Error = MissingHash;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MissingHash> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|at| self.get(at))
                    .copied()
                    .ok_or(MissingHash {
                        index: i,
                        stored: self.len() as u64,
                    })
            })
            .collect()
    }
}

/// The in-memory reader: the stored hash at index `i` is element `i`.
impl HashReader for Vec<Hash> {
    type Error = MissingHash;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MissingHash> {
        self.as_slice().read_hashes(indexes)
    }
}

/// An in-memory reader was asked for a hash it does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stored hash {index} is missing: only {stored} hashes are stored")]
pub struct MissingHash {
    /// The stored-hash index asked for.
    pub index: u64,
    /// How many hashes the reader holds.
    pub stored: u64,
}

/// Why a tree hash or a proof could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError<E> {
    /// The leaf is not in the tree.
    #[error("leaf {index} is not in a tree of {size} leaves")]
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The old size of a consistency proof is larger than the new one.
    #[error("cannot prove consistency from {old} leaves to {new} leaves: the old tree is larger")]
    BadSizes {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// The tree is larger than [`TREE_SIZE_MAX`].
    #[error("a tree of {size} leaves is larger than the {max} leaves a log may hold")]
    TreeTooLarge {
        /// The size asked for.
        size: u64,
        /// [`TREE_SIZE_MAX`].
        max: u64,
    },
    /// The storage returned the wrong number of hashes.
    #[error("reading stored hashes: asked for {expected}, the storage returned {found}")]
    ShortRead {
        /// Hashes asked for.
        expected: usize,
        /// Hashes returned.
        found: usize,
    },
    /// The storage failed.
    #[error("reading stored hashes: {0}")]
    Storage(E),
}

/// Why a proof does not verify. Every variant says which check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The leaf index is not below the tree size, so the leaf cannot be in it.
    #[error(
        "leaf index {index} is not below the tree size {size}, so the leaf cannot be in the tree"
    )]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The proof has too many or too few hashes for the index and sizes given.
    #[error("the proof has {found} hashes where these sizes call for {expected}")]
    WrongProofLength {
        /// The length the index and sizes call for.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// The root computed from the proof differs from the (new) root given.
    #[error("the proof leads to root {computed}, not to the expected root {expected}")]
    RootMismatch {
        /// The root given.
        expected: Hash,
        /// The root computed from the leaf (or old root) and the proof.
        computed: Hash,
    },
    /// The old root computed from a consistency proof differs from the old root given.
    #[error("the proof leads to old root {computed}, not to the expected old root {expected}")]
    OldRootMismatch {
        /// The old root given.
        expected: Hash,
        /// The old root computed from the proof.
        computed: Hash,
    },
    /// The old tree is larger than the new tree.
    #[error("the old tree ({old} leaves) is larger than the new tree ({new} leaves)")]
    OldSizeGreater {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// Two trees of the same size are consistent only with an empty proof.
    #[error("both trees have {size} leaves, so the consistency proof must be empty; found {found} hashes")]
    NonEmptyProofForEqualSizes {
        /// The size of both trees.
        size: u64,
        /// Hashes given.
        found: usize,
    },
    /// Two trees of the same size are consistent only if their roots are equal.
    #[error("both trees have {size} leaves but different roots: {old_root} and {new_root}")]
    EqualSizesDifferentRoots {
        /// The size of both trees.
        size: u64,
        /// The old root given.
        old_root: Hash,
        /// The new root given.
        new_root: Hash,
    },
    /// The empty tree is consistent with every tree, and its proof is empty.
    #[error("the old tree is empty, so the consistency proof must be empty; found {found} hashes")]
    NonEmptyProofForEmptyOldTree {
        /// Hashes given.
        found: usize,
    },
    /// The root given for the empty tree is not `SHA-256()`.
    #[error(
        "the old tree is empty, so its root must be {expected} (SHA-256 of nothing), not {found}"
    )]
    EmptyTreeRootMismatch {
        /// The root of the empty tree.
        expected: Hash,
        /// The root given.
        found: Hash,
    },
}

/// The stored-hash index of the hash at `level` covering leaves
/// `[n·2^level, (n+1)·2^level)` (golang/mod tlog.go `StoredHashIndex`).
///
/// That hash becomes known when its last leaf, `m = (n+1)·2^level − 1`, is
/// appended: it is the `level`-th hash stored after `m`'s leaf hash, and
/// `stored_hash_count(m)` hashes precede that leaf hash.
///
/// Defined for every subtree of a tree of at most [`TREE_SIZE_MAX`] leaves.
/// Beyond that the result saturates at `u64::MAX`, an index no store holds,
/// rather than overflowing.
pub fn stored_hash_index(level: u32, n: u64) -> u64 {
    // One past the last leaf under the hash: (n+1)·2^level, if it fits.
    let end = n
        .checked_add(1)
        .and_then(|subtrees| subtrees.checked_mul(1u64.checked_shl(level)?));
    match end {
        Some(end) if end <= 1 << 63 => count_before(end - 1) + u64::from(level),
        _ => u64::MAX,
    }
}

/// The number of hashes stored before leaf `m`'s hash, which is the number a
/// tree of `m` leaves stores: `2m − popcount(m)`, for `m ≤ 2^63`. Each leaf `j`
/// adds `1 + trailing_ones(j)` hashes, and `Σ_{j<m} trailing_ones(j) = m − popcount(m)`.
fn count_before(m: u64) -> u64 {
    debug_assert!(m <= 1 << 63, "callers bound m; a larger m is our bug");
    (2 * u128::from(m) - u128::from(m.count_ones())) as u64
}

/// The `(level, n)` of a stored-hash index: the inverse of [`stored_hash_index`]
/// (golang/mod tlog.go `SplitStoredHashIndex`). Defined for every `u64`.
pub fn split_stored_hash_index(index: u64) -> (u32, u64) {
    // Find the leaf m whose append wrote `index`: the last m with
    // count_before(m) ≤ index. As count_before(m) lies in [2m − 64, 2m], m lies in
    // [index/2, index/2 + 32]. u128 keeps count_before(m + 1) from overflowing.
    let count = |m: u64| 2 * u128::from(m) - u128::from(m.count_ones());
    let index_wide = u128::from(index);
    let mut m = index / 2;
    while count(m + 1) <= index_wide {
        m += 1;
    }
    // Leaf m wrote its leaf hash at count(m), then one hash per level it completed.
    let level = (index_wide - count(m)) as u32;
    debug_assert!(
        level <= (m + 1).trailing_zeros(),
        "bad math in split_stored_hash_index"
    );
    (level, m >> level)
}

/// How many hashes a tree of `size` leaves stores: `2·size − popcount(size)`
/// (golang/mod tlog.go `StoredHashCount`). The hashes of the tree are exactly
/// the stored-hash indexes below this count. Saturates at `u64::MAX` for sizes
/// above 2^63.
pub fn stored_hash_count(size: TreeSize) -> u64 {
    if size.0 > 1 << 63 {
        return u64::MAX;
    }
    count_before(size.0)
}

/// Reads `indexes` in one call and checks the storage returned one hash for each.
fn read<R: HashReader + ?Sized>(
    reader: &R,
    indexes: &[u64],
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = reader.read_hashes(indexes).map_err(ProofError::Storage)?;
    if hashes.len() != indexes.len() {
        return Err(ProofError::ShortRead {
            expected: indexes.len(),
            found: hashes.len(),
        });
    }
    Ok(hashes)
}

fn check_size<E>(size: u64) -> Result<(), ProofError<E>> {
    if size > TREE_SIZE_MAX {
        return Err(ProofError::TreeTooLarge {
            size,
            max: TREE_SIZE_MAX,
        });
    }
    Ok(())
}

/// The hashes to store when appending leaf `n` (zero-based) whose leaf hash is
/// `leaf`: the leaf hash, then the hash of every subtree the leaf completes, in
/// stored-hash order. They go at stored-hash indexes
/// `stored_hash_count(TreeSize(n))` onwards. The left siblings they need (one per
/// trailing one bit of `n`) are read from `reader` in one call
/// (golang/mod tlog.go `StoredHashesForRecordHash`).
pub fn stored_hashes_for_leaf<R: HashReader + ?Sized>(
    n: u64,
    leaf: Hash,
    reader: &R,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if n >= TREE_SIZE_MAX {
        return Err(ProofError::TreeTooLarge {
            size: n.saturating_add(1),
            max: TREE_SIZE_MAX,
        });
    }
    let completed = n.trailing_ones();
    // The left sibling at level l is the subtree (l, (n >> l) − 1); n >> l is odd
    // for l < completed. Ask for them in ascending index order (highest level first).
    let indexes: Vec<u64> = (0..completed)
        .rev()
        .map(|level| stored_hash_index(level, (n >> level) - 1))
        .collect();
    let siblings = read(reader, &indexes)?;
    let mut out = Vec::with_capacity(1 + completed as usize);
    let mut h = leaf;
    out.push(h);
    for left in siblings.iter().rev() {
        h = node_hash(left, &h);
        out.push(h);
    }
    Ok(out)
}

/// The split point of RFC 9162 §2.1.1: the largest power of two strictly smaller
/// than `n`, for `n ≥ 2`.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2, "a split of fewer than 2 leaves is our bug");
    1 << (63 - (n - 1).leading_zeros())
}

/// The largest power of two not above `n` (n ≥ 1), with its log2.
fn largest_pow2_at_most(n: u64) -> (u64, u32) {
    let level = 63 - n.leading_zeros();
    (1 << level, level)
}

/// Appends the stored-hash indexes of the maximal complete subtrees that make up
/// leaves `[lo, hi)`, left (largest) first (golang/mod tlog.go `subTreeIndex`).
/// There are at most log2(hi − lo) + 1 of them.
fn subtree_indexes(mut lo: u64, hi: u64, need: &mut Vec<u64>) {
    while lo < hi {
        let (width, level) = largest_pow2_at_most(hi - lo);
        // Ranges here start at a multiple of the largest power of two below their
        // width (they come from RFC 9162 splits), so each part is a stored subtree.
        assert!(
            lo & (width - 1) == 0,
            "bad math: unaligned subtree [{lo}, {hi})"
        );
        need.push(stored_hash_index(level, lo >> level));
        lo += width;
    }
}

/// The hash `MTH(D[lo:hi])` from the hashes read for `subtree_indexes(lo, hi)`,
/// which are the first ones of `hashes`; returns the rest.
fn subtree_hash(mut lo: u64, hi: u64, hashes: &[Hash]) -> (Hash, &[Hash]) {
    let mut parts = 0;
    while lo < hi {
        lo += largest_pow2_at_most(hi - lo).0;
        parts += 1;
    }
    // The indexes were computed by the same walk and the read returned one hash
    // per index (checked in `read`), so the hashes are there.
    assert!(
        parts >= 1 && hashes.len() >= parts,
        "bad math in subtree_hash"
    );
    let (mine, rest) = hashes.split_at(parts);
    let (last, lefts) = mine.split_last().expect("parts ≥ 1");
    let h = lefts
        .iter()
        .rev()
        .fold(*last, |right, left| node_hash(left, &right));
    (h, rest)
}

/// The root `MTH(D[size])` of the tree of `size` leaves (RFC 9162 §2.1.1), from
/// at most log2(size) + 1 stored hashes read in one call (golang/mod tlog.go
/// `TreeHash`). The empty tree's root is `SHA-256()` ([`empty_root`]).
pub fn tree_hash<R: HashReader + ?Sized>(
    size: TreeSize,
    reader: &R,
) -> Result<Hash, ProofError<R::Error>> {
    check_size(size.0)?;
    if size.0 == 0 {
        return Ok(empty_root());
    }
    let mut need = Vec::new();
    subtree_indexes(0, size.0, &mut need);
    let hashes = read(reader, &need)?;
    let (root, rest) = subtree_hash(0, size.0, &hashes);
    assert!(rest.is_empty(), "bad math in tree_hash");
    Ok(root)
}

/// Indexes for `PATH(m, D[lo:hi])`, in the order `inclusion_path` consumes them.
fn inclusion_indexes(lo: u64, hi: u64, m: u64, need: &mut Vec<u64>) {
    debug_assert!(lo <= m && m < hi, "bad math in inclusion_indexes");
    if hi - lo == 1 {
        return;
    }
    let k = split(hi - lo);
    if m < lo + k {
        inclusion_indexes(lo, lo + k, m, need);
        subtree_indexes(lo + k, hi, need);
    } else {
        subtree_indexes(lo, lo + k, need);
        inclusion_indexes(lo + k, hi, m, need);
    }
}

/// RFC 9162 §2.1.3.1: `PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])` for
/// `m < k`, and `PATH(m − k, D[k:n]) : MTH(D[0:k])` otherwise; a single leaf has
/// the empty path. Hashes are pushed from the leaf towards the root.
fn inclusion_path<'h>(
    lo: u64,
    hi: u64,
    m: u64,
    hashes: &'h [Hash],
    proof: &mut Vec<Hash>,
) -> &'h [Hash] {
    if hi - lo == 1 {
        return hashes;
    }
    let k = split(hi - lo);
    if m < lo + k {
        let hashes = inclusion_path(lo, lo + k, m, hashes, proof);
        let (right, hashes) = subtree_hash(lo + k, hi, hashes);
        proof.push(right);
        hashes
    } else {
        let (left, hashes) = subtree_hash(lo, lo + k, hashes);
        let hashes = inclusion_path(lo + k, hi, m, hashes, proof);
        proof.push(left);
        hashes
    }
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves: RFC 9162
/// §2.1.3.1 `PATH(index, D[size])` ("Merkle audit path" in RFC 6962), hashes
/// ordered from the leaf towards the root. Reads O(log size) stored hashes in
/// one call (golang/mod tlog.go `ProveRecord`).
pub fn prove_inclusion<R: HashReader + ?Sized>(
    index: LeafIndex,
    size: TreeSize,
    reader: &R,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    check_size(size.0)?;
    if index.0 >= size.0 {
        return Err(ProofError::IndexOutOfRange {
            index: index.0,
            size: size.0,
        });
    }
    let mut need = Vec::new();
    inclusion_indexes(0, size.0, index.0, &mut need);
    let hashes = read(reader, &need)?;
    let mut proof = Vec::with_capacity(64);
    let rest = inclusion_path(0, size.0, index.0, &hashes, &mut proof);
    assert!(rest.is_empty(), "bad math in prove_inclusion");
    Ok(proof)
}

/// Indexes for `SUBPROOF(m, D[lo:hi], lo == 0)`, in the order `consistency_path`
/// consumes them. `b` of RFC 9162 stays true exactly while the recursion keeps to
/// the left edge, so `lo == 0` stands for it.
fn consistency_indexes(lo: u64, hi: u64, m: u64, need: &mut Vec<u64>) {
    debug_assert!(lo < m && m <= hi, "bad math in consistency_indexes");
    if m == hi {
        if lo != 0 {
            subtree_indexes(lo, hi, need);
        }
        return;
    }
    let k = split(hi - lo);
    if m <= lo + k {
        consistency_indexes(lo, lo + k, m, need);
        subtree_indexes(lo + k, hi, need);
    } else {
        subtree_indexes(lo, lo + k, need);
        consistency_indexes(lo + k, hi, m, need);
    }
}

/// RFC 9162 §2.1.4.1 `SUBPROOF(m, D[lo:hi], b)` with `b = (lo == 0)`:
/// - `m = n`: empty if `b` (the verifier holds the old root), else `MTH(D[n])`;
/// - `m ≤ k`: `SUBPROOF(m, D[0:k], b) : MTH(D[k:n])`;
/// - `m > k`: `SUBPROOF(m − k, D[k:n], false) : MTH(D[0:k])`.
fn consistency_path<'h>(
    lo: u64,
    hi: u64,
    m: u64,
    hashes: &'h [Hash],
    proof: &mut Vec<Hash>,
) -> &'h [Hash] {
    if m == hi {
        if lo == 0 {
            return hashes;
        }
        let (h, hashes) = subtree_hash(lo, hi, hashes);
        proof.push(h);
        return hashes;
    }
    let k = split(hi - lo);
    if m <= lo + k {
        let hashes = consistency_path(lo, lo + k, m, hashes, proof);
        let (right, hashes) = subtree_hash(lo + k, hi, hashes);
        proof.push(right);
        hashes
    } else {
        let (left, hashes) = subtree_hash(lo, lo + k, hashes);
        let hashes = consistency_path(lo + k, hi, m, hashes, proof);
        proof.push(left);
        hashes
    }
}

/// The consistency proof from the tree of `old` leaves to the tree of `new`
/// leaves: RFC 9162 §2.1.4.1 `PROOF(old, D[new]) = SUBPROOF(old, D[new], true)`.
/// Empty when `old` is 0 (the empty tree is consistent with every tree) or equals
/// `new`. Reads O(log new) stored hashes in one call (golang/mod tlog.go
/// `ProveTree`).
pub fn prove_consistency<R: HashReader + ?Sized>(
    old: TreeSize,
    new: TreeSize,
    reader: &R,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    check_size(new.0)?;
    if old.0 > new.0 {
        return Err(ProofError::BadSizes {
            old: old.0,
            new: new.0,
        });
    }
    if old.0 == 0 || old.0 == new.0 {
        return Ok(Vec::new());
    }
    let mut need = Vec::new();
    consistency_indexes(0, new.0, old.0, &mut need);
    let hashes = read(reader, &need)?;
    let mut proof = Vec::with_capacity(64);
    let rest = consistency_path(0, new.0, old.0, &hashes, &mut proof);
    assert!(rest.is_empty(), "bad math in prove_consistency");
    Ok(proof)
}

/// The length of `PATH(index, D[size])` (RFC 9162 §2.1.3.1): one hash per split
/// on the way from the root down to the leaf. Needs `index < size`.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (mut lo, mut hi, mut len) = (0u64, size, 0usize);
    while hi - lo > 1 {
        let k = split(hi - lo);
        if index < lo + k {
            hi = lo + k;
        } else {
            lo += k;
        }
        len += 1;
    }
    len
}

/// The length of `PROOF(old, D[new])` (RFC 9162 §2.1.4.1), for `0 < old < new`:
/// one hash per split, plus `MTH(D[old])` at the end unless the old tree is a
/// left-edge subtree (`b` still true).
fn consistency_proof_len(old: u64, new: u64) -> usize {
    let (mut lo, mut hi, mut len) = (0u64, new, 0usize);
    while old != hi {
        let k = split(hi - lo);
        if old <= lo + k {
            hi = lo + k;
        } else {
            lo += k;
        }
        len += 1;
    }
    len + usize::from(lo != 0)
}

/// Verifies that `leaf` (a leaf hash) is leaf `index` of the tree of `size`
/// leaves whose root is `root`, given the inclusion proof `proof`, with the
/// algorithm of RFC 9162 §2.1.3.2. The proof length is checked first, so that a
/// truncated or padded proof is reported as such.
pub fn verify_inclusion(
    leaf: &Hash,
    index: LeafIndex,
    size: TreeSize,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    let (index, size) = (index.0, size.0);
    // Step 1.
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    let wrong_length = VerifyError::WrongProofLength {
        expected,
        found: proof.len(),
    };
    if proof.len() != expected {
        return Err(wrong_length);
    }
    // Steps 2 and 3.
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    // Step 4.
    for p in proof {
        if sn == 0 {
            return Err(wrong_length);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    if sn != 0 {
        return Err(wrong_length);
    }
    if r != *root {
        return Err(VerifyError::RootMismatch {
            expected: *root,
            computed: r,
        });
    }
    Ok(())
}

/// Verifies that the tree of `old` leaves with root `old_root` is a prefix of the
/// tree of `new` leaves with root `new_root`, given the consistency proof
/// `proof`, with the algorithm of RFC 9162 §2.1.4.2, plus the cases that
/// algorithm leaves to the caller:
/// - `old > new` fails;
/// - `old == new` needs an empty proof and equal roots;
/// - `old == 0` needs an empty proof, and `old_root` must be the empty tree's
///   root `SHA-256()`: the empty tree is consistent with every tree.
///
/// The proof length is checked before any hashing.
pub fn verify_consistency(
    old: TreeSize,
    new: TreeSize,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), VerifyError> {
    let (first, second) = (old.0, new.0);
    if first > second {
        return Err(VerifyError::OldSizeGreater {
            old: first,
            new: second,
        });
    }
    if first == second {
        if !proof.is_empty() {
            return Err(VerifyError::NonEmptyProofForEqualSizes {
                size: first,
                found: proof.len(),
            });
        }
        if first == 0 {
            check_empty_root(old_root)?;
        }
        if old_root != new_root {
            return Err(VerifyError::EqualSizesDifferentRoots {
                size: first,
                old_root: *old_root,
                new_root: *new_root,
            });
        }
        return Ok(());
    }
    if first == 0 {
        if !proof.is_empty() {
            return Err(VerifyError::NonEmptyProofForEmptyOldTree { found: proof.len() });
        }
        return check_empty_root(old_root);
    }
    // From here 0 < first < second. Step 1 (an empty proof fails) is covered by
    // the length check: every such proof has at least one hash.
    let expected = consistency_proof_len(first, second);
    let wrong_length = VerifyError::WrongProofLength {
        expected,
        found: proof.len(),
    };
    if proof.len() != expected {
        return Err(wrong_length);
    }
    // Step 2: if first is an exact power of two, the old root is the first
    // element of the path.
    let (start, rest) = if first.is_power_of_two() {
        (*old_root, proof)
    } else {
        // Not a power of two, so the proof ends with MTH(D[first]) and is not empty.
        let (start, rest) = proof.split_first().ok_or_else(|| wrong_length.clone())?;
        (*start, rest)
    };
    // Steps 3 and 4.
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    let (mut fr, mut sr) = (start, start);
    // Step 6.
    for c in rest {
        if sn == 0 {
            return Err(wrong_length);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(wrong_length);
    }
    if fr != *old_root {
        return Err(VerifyError::OldRootMismatch {
            expected: *old_root,
            computed: fr,
        });
    }
    if sr != *new_root {
        return Err(VerifyError::RootMismatch {
            expected: *new_root,
            computed: sr,
        });
    }
    Ok(())
}

fn check_empty_root(old_root: &Hash) -> Result<(), VerifyError> {
    let expected = empty_root();
    if *old_root != expected {
        return Err(VerifyError::EmptyTreeRootMismatch {
            expected,
            found: *old_root,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::tree::Frontier;

    /// golang/mod tlog.go's `StoredHashIndex` loop, transcribed, to check the
    /// closed form against.
    fn tlog_stored_hash_index(level: u32, n: u64) -> u64 {
        let mut n = n;
        for _ in 0..level {
            n = 2 * n + 1;
        }
        let mut i = 0;
        while n > 0 {
            i += n;
            n >>= 1;
        }
        i + u64::from(level)
    }

    #[test]
    fn stored_hash_index_matches_the_golang_tlog_layout() {
        // Leaf 0; leaf 1, L1[0]; leaf 2; leaf 3, L1[1], L2[0]; leaf 4 ...
        let order = [
            (0, 0),
            (0, 1),
            (1, 0),
            (0, 2),
            (0, 3),
            (1, 1),
            (2, 0),
            (0, 4),
        ];
        for (index, &(level, n)) in order.iter().enumerate() {
            assert_eq!(stored_hash_index(level, n), index as u64);
            assert_eq!(split_stored_hash_index(index as u64), (level, n));
        }
        for level in 0..12 {
            for n in 0..2000 {
                assert_eq!(
                    stored_hash_index(level, n),
                    tlog_stored_hash_index(level, n)
                );
            }
        }
        for index in 0..100_000 {
            let (level, n) = split_stored_hash_index(index);
            assert_eq!(stored_hash_index(level, n), index, "index {index}");
        }
        let sizes = [(0, 0), (1, 1), (2, 3), (3, 4), (4, 7), (5, 8), (8, 15)];
        for (size, count) in sizes {
            assert_eq!(stored_hash_count(TreeSize(size)), count, "size {size}");
        }
    }

    #[test]
    fn index_math_does_not_overflow_at_the_limits() {
        assert_eq!(stored_hash_count(TreeSize(TREE_SIZE_MAX)), (1 << 63) - 1);
        assert_eq!(stored_hash_index(62, 0), (1 << 63) - 2);
        assert_eq!(split_stored_hash_index((1 << 63) - 2), (62, 0));
        assert_eq!(stored_hash_index(0, u64::MAX), u64::MAX);
        assert_eq!(stored_hash_index(64, 0), u64::MAX);
        assert_eq!(stored_hash_index(63, 1), u64::MAX);
        assert_eq!(stored_hash_count(TreeSize(u64::MAX)), u64::MAX);
        // Every index of a tree within the limit round-trips; beyond it, splitting
        // still returns without overflowing.
        let last = stored_hash_count(TreeSize(TREE_SIZE_MAX)) - 1;
        for index in (last - 200)..=last {
            let (level, n) = split_stored_hash_index(index);
            assert_eq!(stored_hash_index(level, n), index, "index {index}");
        }
        for index in (u64::MAX - 200)..=u64::MAX {
            let (level, _) = split_stored_hash_index(index);
            assert!(level < 64);
        }
    }

    #[test]
    fn sizes_above_the_limit_are_errors_not_panics() {
        let empty: Vec<Hash> = Vec::new();
        let too_large = TreeSize(TREE_SIZE_MAX + 1);
        let err = tree_hash(too_large, &empty).unwrap_err();
        assert!(matches!(err, ProofError::TreeTooLarge { .. }), "{err}");
        assert!(prove_inclusion(LeafIndex(0), TreeSize(u64::MAX), &empty).is_err());
        assert!(prove_consistency(TreeSize(1), TreeSize(u64::MAX), &empty).is_err());
        assert!(stored_hashes_for_leaf(u64::MAX, Hash::default(), &empty).is_err());
        // Storage errors and short reads are reported, not unwrapped.
        let err = tree_hash(TreeSize(3), &empty).unwrap_err();
        assert_eq!(
            err.to_string(),
            "reading stored hashes: stored hash 2 is missing: only 0 hashes are stored"
        );
        // Verification is pure arithmetic on any u64.
        let h = Hash::default();
        assert!(verify_inclusion(
            &h,
            LeafIndex(u64::MAX - 1),
            TreeSize(u64::MAX),
            &[h; 64],
            &h
        )
        .is_err());
        assert!(
            verify_consistency(TreeSize(u64::MAX - 1), TreeSize(u64::MAX), &h, &h, &[h; 3])
                .is_err()
        );
    }

    #[test]
    fn stored_hashes_for_leaf_agrees_with_the_frontier() {
        let mut stored: Vec<Hash> = Vec::new();
        let mut frontier = Frontier::new();
        let mut pushed = Vec::new();
        for n in 0..300u64 {
            let leaf = leaf_hash(&n.to_le_bytes());
            assert_eq!(stored.len() as u64, stored_hash_count(TreeSize(n)));
            let new = stored_hashes_for_leaf(n, leaf, &stored).unwrap();
            pushed.clear();
            frontier.push_into(leaf, &mut pushed);
            assert_eq!(new, pushed, "leaf {n}");
            stored.extend(new);
            assert_eq!(
                tree_hash(TreeSize(n + 1), &stored).unwrap(),
                frontier.root()
            );
        }
    }

    /// Counts the hashes each call reads, to check the O(log n) claims.
    struct Counting<'a>(&'a [Hash], std::cell::Cell<(usize, usize)>);
    impl HashReader for Counting<'_> {
        type Error = MissingHash;
        fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MissingHash> {
            let (calls, hashes) = self.1.get();
            self.1.set((calls + 1, hashes + indexes.len()));
            self.0.read_hashes(indexes)
        }
    }

    #[test]
    fn proofs_read_logarithmically_many_hashes_in_one_call() {
        let mut frontier = Frontier::new();
        let mut stored = Vec::new();
        let size = 5000u64;
        for n in 0..size {
            frontier.push_into(leaf_hash(&n.to_le_bytes()), &mut stored);
        }
        let reader = Counting(&stored, Default::default());
        // log2(5000) ≈ 12.3; a proof reads at most about 2·log2(n) hashes.
        let bound = 2 * 13 + 2;
        for n in (1..=size).step_by(37) {
            reader.1.set((0, 0));
            tree_hash(TreeSize(n), &reader).unwrap();
            prove_inclusion(LeafIndex(n / 3), TreeSize(n), &reader).unwrap();
            prove_consistency(TreeSize(n / 2 + 1), TreeSize(n), &reader).unwrap();
            let (calls, hashes) = reader.1.get();
            assert!(calls <= 3, "size {n}: {calls} reads");
            assert!(hashes <= 3 * bound, "size {n}: {hashes} hashes read");
        }
    }
}
