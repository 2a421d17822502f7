//! The right edge of a Merkle tree, kept in memory: the roots of its maximal
//! complete subtrees, one per set bit of the size, largest (leftmost) first.
//! transparency-dev/merkle calls this a compact range starting at leaf 0.
//!
//! With it, leaves are appended and the root (RFC 9162 §2.1.1 `MTH`) computed with
//! O(log n) memory and hashing, without reading the rest of the tree:
//! - an append loads the frontier with one read of [`Frontier::stored_indexes`],
//!   pushes its leaves, and writes the hashes [`Frontier::push_into`] returns;
//! - the audit streams every leaf through a fresh frontier and compares what it
//!   computes with what is stored.

use crate::hash::{empty_root, node_hash, Hash};
use crate::proof::{stored_hash_index, TREE_SIZE_MAX};
use custodian_core::TreeSize;

/// The frontier of a tree: its size and the roots of its maximal complete
/// subtrees, largest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// One hash per set bit of `size`, from the highest bit to the lowest.
    hashes: Vec<Hash>,
}

/// A frontier could not be rebuilt from the hashes given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontierError {
    /// The number of hashes is not the number of set bits of the size.
    #[error("a tree of {size} leaves has a frontier of {expected} hashes, found {found}")]
    WrongHashCount {
        /// The tree size.
        size: u64,
        /// Hashes expected (the number of set bits in the size).
        expected: usize,
        /// Hashes given.
        found: usize,
    },
    /// The size is larger than [`TREE_SIZE_MAX`].
    #[error("a tree of {size} leaves is larger than the {max} leaves a log may hold")]
    TreeTooLarge {
        /// The tree size.
        size: u64,
        /// [`TREE_SIZE_MAX`].
        max: u64,
    },
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Frontier {
        Frontier {
            size: 0,
            // A tree within TREE_SIZE_MAX has at most 63 frontier hashes, so the
            // vector never reallocates.
            hashes: Vec::with_capacity(64),
        }
    }

    /// The stored-hash indexes of the frontier of a tree of `size` leaves, largest
    /// subtree first: one per set bit of `size` (at most 64), so a store can load
    /// the frontier with one read. See [`crate::proof`] for the index layout.
    pub fn stored_indexes(size: TreeSize) -> Vec<u64> {
        let mut out = Vec::with_capacity(size.0.count_ones() as usize);
        let mut start = 0u64;
        for level in (0..64u32).rev() {
            let width = 1u64 << level;
            if size.0 & width != 0 {
                // `start` is a sum of higher powers of two, so it is aligned to `width`.
                out.push(stored_hash_index(level, start >> level));
                start += width;
            }
        }
        out
    }

    /// Rebuilds the frontier of a tree of `size` leaves from the hashes at
    /// [`Frontier::stored_indexes`], in that order.
    pub fn from_hashes(size: TreeSize, hashes: Vec<Hash>) -> Result<Frontier, FrontierError> {
        if size.0 > TREE_SIZE_MAX {
            return Err(FrontierError::TreeTooLarge {
                size: size.0,
                max: TREE_SIZE_MAX,
            });
        }
        let expected = size.0.count_ones() as usize;
        if hashes.len() != expected {
            return Err(FrontierError::WrongHashCount {
                size: size.0,
                expected,
                found: hashes.len(),
            });
        }
        let mut frontier = Frontier::new();
        frontier.size = size.0;
        frontier.hashes.extend(hashes);
        Ok(frontier)
    }

    /// The number of leaves.
    pub fn size(&self) -> TreeSize {
        TreeSize(self.size)
    }

    /// The roots of the maximal complete subtrees, largest first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends a leaf hash and appends to `out` the hashes this leaf adds to the
    /// store, in stored-hash order: the leaf hash, then the hash of each subtree
    /// it completes. These are exactly the hashes
    /// [`crate::proof::stored_hashes_for_leaf`] computes, without reading the
    /// store. Allocates nothing unless `out` has to grow.
    pub fn push_into(&mut self, leaf: Hash, out: &mut Vec<Hash>) {
        out.push(leaf);
        let mut h = leaf;
        // Each trailing one bit of the old size is a complete subtree of the same
        // height just left of the new one: merge with it, lowest level first.
        for _ in 0..self.size.trailing_ones() {
            // One frontier hash per set bit of the size, and this bit is set.
            let left = self
                .hashes
                .pop()
                .expect("one frontier hash per set bit of the size");
            h = node_hash(&left, &h);
            out.push(h);
        }
        self.hashes.push(h);
        self.size += 1;
    }

    /// Appends a leaf hash, returning the hashes it adds to the store (see
    /// [`Frontier::push_into`], which avoids the allocation).
    pub fn push(&mut self, leaf: Hash) -> Vec<Hash> {
        let mut out = Vec::with_capacity(1 + self.size.trailing_ones() as usize);
        self.push_into(leaf, &mut out);
        out
    }

    /// The root `MTH(D[size])` of the tree (RFC 9162 §2.1.1), with one node hash
    /// per frontier hash but the last: the subtrees are combined from the right,
    /// as the recursive definition splits off the largest left subtree first. The
    /// empty tree's root is `SHA-256()`.
    pub fn root(&self) -> Hash {
        match self.hashes.split_last() {
            None => empty_root(),
            Some((last, lefts)) => lefts
                .iter()
                .rev()
                .fold(*last, |right, left| node_hash(left, &right)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn frontier_round_trips_through_its_stored_indexes() {
        let mut frontier = Frontier::new();
        let mut stored = Vec::new();
        for n in 0..200u64 {
            let indexes = Frontier::stored_indexes(frontier.size());
            let hashes: Vec<Hash> = indexes.iter().map(|&i| stored[i as usize]).collect();
            assert_eq!(hashes, frontier.hashes(), "size {n}");
            let rebuilt = Frontier::from_hashes(frontier.size(), hashes).unwrap();
            assert_eq!(rebuilt, frontier);
            frontier.push_into(leaf_hash(&n.to_be_bytes()), &mut stored);
        }
    }

    #[test]
    fn from_hashes_rejects_wrong_counts_and_sizes() {
        let err = Frontier::from_hashes(TreeSize(5), vec![Hash::default()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a tree of 5 leaves has a frontier of 2 hashes, found 1"
        );
        let err = Frontier::from_hashes(TreeSize(u64::MAX), vec![Hash::default(); 64]).unwrap_err();
        assert!(matches!(err, FrontierError::TreeTooLarge { .. }), "{err}");
        assert_eq!(Frontier::stored_indexes(TreeSize(u64::MAX)).len(), 64);
    }
}
