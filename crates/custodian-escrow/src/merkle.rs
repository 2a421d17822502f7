//! The Merkle tree over the sorted leaves and its proofs: RFC 9162 §2.1
//! `MTH`, the RFC 9162 §2.1.3 inclusion proof of one leaf (computed and
//! verified with `custodian-ledger`), and a **range proof** for a contiguous
//! run of leaves.
//!
//! # Range proof
//!
//! A range proof for the run `[start, end)` of a tree of `size` leaves is the
//! list of `MTH` hashes of the maximal RFC 9162 subtrees that lie wholly
//! outside the run, from left to right. It is the recursion of RFC 9162
//! §2.1.1 run over `D[0:size]` with the run's leaves known:
//!
//! ```text
//! RANGE(lo, hi):                         the hashes needed for MTH(D[lo:hi])
//!   [lo, hi) ∩ [start, end) = ∅   →  [ MTH(D[lo:hi]) ]
//!   [lo, hi) ⊆ [start, end)       →  [ ]              (computed from the run)
//!   otherwise, k = largest power of two < hi − lo:
//!                                  →  RANGE(lo, lo + k) ++ RANGE(lo + k, hi)
//! proof = RANGE(0, size)
//! ```
//!
//! A verifier runs the same recursion, takes one proof hash for each disjoint
//! subtree and hashes the run's leaves itself; it checks the proof length
//! first. The proof has at most about `2·log2(size)` hashes whatever the
//! length of the run: one per level on each side of it (the idea of
//! transparency-dev/merkle's compact ranges, in RFC 9162's tree shape).

use custodian_core::{LeafIndex, TreeSize};
use custodian_ledger::hash::{empty_root, node_hash};
use custodian_ledger::proof::{prove_inclusion, stored_hash_index};
use custodian_ledger::tree::Frontier;
use custodian_ledger::Hash;

/// The largest power of two smaller than `n` (RFC 9162 §2.1.1's `k`), `n ≥ 2`.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2, "bad math in split");
    1 << (63 - (n - 1).leading_zeros())
}

/// The tree over the committed leaves, as the hashes of all its complete
/// subtrees in golang/mod tlog's stored-hash layout (see
/// `custodian_ledger::proof`): `2·size − popcount(size)` hashes.
#[derive(Clone, Debug)]
pub(crate) struct Tree {
    size: u64,
    stored: Vec<Hash>,
    root: Hash,
}

impl Tree {
    /// Builds the tree from the leaf hashes, in order.
    pub(crate) fn from_leaves(leaves: impl ExactSizeIterator<Item = Hash>) -> Tree {
        let mut stored = Vec::with_capacity(2 * leaves.len());
        let mut frontier = Frontier::new();
        for leaf in leaves {
            frontier.push_into(leaf, &mut stored);
        }
        Tree {
            size: frontier.size().0,
            stored,
            root: frontier.root(),
        }
    }

    /// `MTH(D[0:size])`.
    pub(crate) fn root(&self) -> Hash {
        self.root
    }

    /// The number of leaves.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// `MTH(D[lo:hi])` for a node of the RFC 9162 tree: complete subtrees
    /// come from the stored hashes, the right edge is combined from them.
    fn subtree(&self, lo: u64, hi: u64) -> Hash {
        let width = hi - lo;
        if width.is_power_of_two() && lo % width == 0 {
            let level = width.trailing_zeros();
            return self.stored[stored_hash_index(level, lo >> level) as usize];
        }
        let k = split(width);
        node_hash(&self.subtree(lo, lo + k), &self.subtree(lo + k, hi))
    }

    /// The RFC 9162 §2.1.3.1 inclusion proof of leaf `index < size`.
    pub(crate) fn inclusion_proof(&self, index: u64) -> Vec<Hash> {
        // The stored hashes are complete, so the reader cannot miss one.
        prove_inclusion(
            LeafIndex(index),
            TreeSize(self.size),
            self.stored.as_slice(),
        )
        .expect("the tree holds every stored hash")
    }

    /// The range proof (module docs) of `[start, end)`, `start < end ≤ size`.
    pub(crate) fn range_proof(&self, start: u64, end: u64) -> Vec<Hash> {
        debug_assert!(start < end && end <= self.size, "bad math in range_proof");
        let mut out = Vec::new();
        self.range_into(0, self.size, start, end, &mut out);
        out
    }

    fn range_into(&self, lo: u64, hi: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        if end <= lo || hi <= start {
            out.push(self.subtree(lo, hi));
        } else if start <= lo && hi <= end {
            // Inside the run: the verifier computes it.
        } else {
            let k = split(hi - lo);
            self.range_into(lo, lo + k, start, end, out);
            self.range_into(lo + k, hi, start, end, out);
        }
    }
}

/// The number of hashes in the range proof of `[start, end)` in a tree of
/// `size` leaves (`start < end ≤ size`).
pub fn range_proof_len(size: u64, start: u64, end: u64) -> usize {
    fn count(lo: u64, hi: u64, start: u64, end: u64) -> usize {
        if end <= lo || hi <= start {
            1
        } else if start <= lo && hi <= end {
            0
        } else {
            let k = split(hi - lo);
            count(lo, lo + k, start, end) + count(lo + k, hi, start, end)
        }
    }
    count(0, size, start, end)
}

/// `MTH` of a list of leaf hashes (RFC 9162 §2.1.1), `leaves` non-empty.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// Why a range proof was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RangeProofError {
    /// The proof has the wrong number of hashes.
    WrongLength { expected: usize, found: usize },
    /// The proof leads to another root.
    RootMismatch { computed: Hash },
}

/// Verifies that `leaves` are the leaves `[start, start + leaves.len())` of the
/// tree of `size` leaves with root `root`, given the range proof `proof`
/// (module docs). Needs a non-empty run inside the tree (the caller checks).
pub(crate) fn verify_range(
    size: u64,
    start: u64,
    leaves: &[Hash],
    proof: &[Hash],
    root: &Hash,
) -> Result<(), RangeProofError> {
    let end = start + leaves.len() as u64;
    debug_assert!(start < end && end <= size, "callers check the run");
    let expected = range_proof_len(size, start, end);
    if proof.len() != expected {
        return Err(RangeProofError::WrongLength {
            expected,
            found: proof.len(),
        });
    }
    let mut next = proof.iter();
    let computed = rebuild(0, size, start, leaves, &mut next);
    debug_assert!(next.next().is_none(), "the length was checked");
    if computed != *root {
        return Err(RangeProofError::RootMismatch { computed });
    }
    Ok(())
}

fn rebuild<'p>(
    lo: u64,
    hi: u64,
    start: u64,
    leaves: &[Hash],
    proof: &mut impl Iterator<Item = &'p Hash>,
) -> Hash {
    let end = start + leaves.len() as u64;
    if end <= lo || hi <= start {
        // The length was checked against the same recursion.
        *proof.next().expect("proof length checked")
    } else if start <= lo && hi <= end {
        mth(&leaves[(lo - start) as usize..(hi - start) as usize])
    } else {
        let k = split(hi - lo);
        let left = rebuild(lo, lo + k, start, leaves, proof);
        let right = rebuild(lo + k, hi, start, leaves, proof);
        node_hash(&left, &right)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custodian_ledger::hash::leaf_hash;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn every_range_of_small_trees_verifies_and_roots_match_mth() {
        for n in 1..=33u64 {
            let l = leaves(n);
            let tree = Tree::from_leaves(l.iter().copied());
            assert_eq!(tree.root(), mth(&l), "n = {n}");
            for start in 0..n {
                for end in start + 1..=n {
                    let proof = tree.range_proof(start, end);
                    assert_eq!(proof.len(), range_proof_len(n, start, end));
                    assert!(proof.len() <= 2 * 64);
                    verify_range(
                        n,
                        start,
                        &l[start as usize..end as usize],
                        &proof,
                        &tree.root(),
                    )
                    .unwrap_or_else(|e| panic!("n={n} [{start},{end}): {e:?}"));
                }
            }
        }
    }
}
