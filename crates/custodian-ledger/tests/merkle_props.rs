//! Small worlds, exhaustively, then tampering; after golang/mod
//! `sumdb/tlog/tlog_test.go` (`TestTree`), which checks every proof in trees of 1
//! to 100 leaves and flips a bit in each proof hash.
//!
//! - Every tree of 1 to 100 leaves (`leaf {i}`): stored hashes, roots, every
//!   inclusion proof and every consistency proof verify; a flipped bit in any
//!   proof hash or root fails; changed indexes and sizes fail exactly when they
//!   change what the verifier computes.
//! - A reference implementation written here from the recursive definitions of
//!   RFC 9162 §2.1 (MTH, PATH, PROOF/SUBPROOF; SHA-256 straight from `sha2`,
//!   none of the production code) must agree with every root up to 100 leaves
//!   and every proof up to 64 leaves.
//! - proptest: random sizes up to 100 000 leaves.

use custodian_core::{LeafIndex, TreeSize};
use custodian_ledger::hash::{empty_root, leaf_hash};
use custodian_ledger::proof::{
    prove_consistency, prove_inclusion, stored_hash_count, stored_hashes_for_leaf, tree_hash,
    verify_consistency, verify_inclusion, HashReader, MissingHash,
};
use custodian_ledger::tree::Frontier;
use custodian_ledger::Hash;
use proptest::prelude::*;
use std::cell::Cell;
use std::sync::OnceLock;

/// RFC 9162 §2.1, transcribed from its recursive definitions over the entries
/// `D[n]`, with no code shared with the crate under test.
mod rfc {
    use sha2::{Digest, Sha256};

    pub type H = [u8; 32];

    fn sha256(parts: &[&[u8]]) -> H {
        let mut h = Sha256::new();
        for part in parts {
            h.update(part);
        }
        h.finalize().into()
    }

    /// "the largest power of two smaller than n (i.e., k < n <= 2k)"
    pub fn k(n: usize) -> usize {
        let mut k = 1;
        while 2 * k < n {
            k *= 2;
        }
        k
    }

    /// §2.1.1 MTH.
    pub fn mth(d: &[Vec<u8>]) -> H {
        match d.len() {
            0 => sha256(&[]),
            1 => sha256(&[&[0x00], &d[0]]),
            n => {
                let k = k(n);
                sha256(&[&[0x01], &mth(&d[..k]), &mth(&d[k..])])
            }
        }
    }

    /// §2.1.3.1 PATH(m, D[n]).
    pub fn path(m: usize, d: &[Vec<u8>]) -> Vec<H> {
        let n = d.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = k(n);
        if m < k {
            let mut p = path(m, &d[..k]);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = path(m - k, &d[k..]);
            p.push(mth(&d[..k]));
            p
        }
    }

    /// §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
    pub fn proof(m: usize, d: &[Vec<u8>]) -> Vec<H> {
        subproof(m, d, true)
    }

    fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<H> {
        let n = d.len();
        if m == n {
            return if b { Vec::new() } else { vec![mth(d)] };
        }
        let k = k(n);
        if m <= k {
            let mut p = subproof(m, &d[..k], b);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = subproof(m - k, &d[k..], false);
            p.push(mth(&d[..k]));
            p
        }
    }

    /// Which side of the running hash each PATH(m, D[n]) element goes on, leaf
    /// to root (true: the element is the left sibling). Two (m, n) with the same
    /// sides make a verifier compute the same hashes.
    pub fn path_sides(m: u64, n: u64) -> Vec<bool> {
        if n <= 1 {
            return Vec::new();
        }
        let k = k(n as usize) as u64;
        let mut sides = if m < k {
            path_sides(m, k)
        } else {
            path_sides(m - k, n - k)
        };
        sides.push(m >= k);
        sides
    }

    /// What each PROOF(m, D[n]) element does in a verifier: 'S' starts both
    /// roots (`MTH(D[m])` of a subtree off the left edge), 'L' is a left sibling
    /// inside the old tree (hashed into both), 'R' a right sibling outside it
    /// (hashed into the new root only). With no 'S', the old root itself starts.
    pub fn proof_roles(m: u64, n: u64, b: bool) -> Vec<char> {
        if m == n {
            return if b { Vec::new() } else { vec!['S'] };
        }
        let k = k(n as usize) as u64;
        let mut roles = if m <= k {
            proof_roles(m, k, b)
        } else {
            proof_roles(m - k, n - k, false)
        };
        roles.push(if m <= k { 'R' } else { 'L' });
        roles
    }
}

fn data(i: u64) -> Vec<u8> {
    format!("leaf {i}").into_bytes()
}

/// The in-memory reader, checking (like tlog_test.go's `testHashStorage`) that
/// every read asks for strictly increasing indexes, and counting reads.
struct Checked<'a> {
    stored: &'a [Hash],
    reads: Cell<usize>,
}

impl HashReader for Checked<'_> {
    type Error = MissingHash;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MissingHash> {
        assert!(
            indexes.windows(2).all(|w| w[0] < w[1]),
            "indexes out of order: {indexes:?}"
        );
        self.reads.set(self.reads.get() + 1);
        self.stored.read_hashes(indexes)
    }
}

/// The world of `leaf 0` … `leaf 99`: stored hashes built leaf by leaf with
/// `stored_hashes_for_leaf`, checked against `Frontier` and the reference.
struct World {
    data: Vec<Vec<u8>>,
    leaves: Vec<Hash>,
    stored: Vec<Hash>,
    /// Root by size, 0..=100.
    roots: Vec<Hash>,
}

const WORLD: u64 = 100;

fn world() -> &'static World {
    static WORLD_CELL: OnceLock<World> = OnceLock::new();
    WORLD_CELL.get_or_init(|| {
        let data: Vec<Vec<u8>> = (0..WORLD).map(data).collect();
        let mut stored: Vec<Hash> = Vec::new();
        let mut leaves = Vec::new();
        let mut roots = vec![empty_root()];
        // One frontier appends with `push`, the other with `push_into`.
        let mut frontier = Frontier::new();
        let mut frontier_into = Frontier::new();
        let mut pushed = Vec::new();
        for (n, d) in data.iter().enumerate() {
            let n = n as u64;
            let leaf = leaf_hash(d);
            let reader = Checked {
                stored: &stored,
                reads: Cell::new(0),
            };
            let new = stored_hashes_for_leaf(n, leaf, &reader).unwrap();
            assert!(reader.reads.get() <= 1);
            assert_eq!(frontier.push(leaf), new, "push, leaf {n}");
            pushed.clear();
            frontier_into.push_into(leaf, &mut pushed);
            assert_eq!(pushed, new, "push_into, leaf {n}");
            stored.extend(new);
            assert_eq!(stored.len() as u64, stored_hash_count(TreeSize(n + 1)));
            leaves.push(leaf);
            roots.push(frontier.root());
        }
        World {
            data,
            leaves,
            stored,
            roots,
        }
    })
}

fn checked(stored: &[Hash]) -> Checked<'_> {
    Checked {
        stored,
        reads: Cell::new(0),
    }
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut out = *h;
    out.0[(bit / 8) % 32] ^= 1 << (bit % 8);
    out
}

/// The bits flipped in a hash: all 256 in trees of up to 16 leaves, elsewhere
/// one, moving through all positions as the world is walked.
fn bits_to_flip(size: u64, salt: u64) -> Vec<usize> {
    if size <= 16 {
        (0..256).collect()
    } else {
        vec![((size * 131 + salt * 37) % 256) as usize]
    }
}

#[test]
fn roots_agree_with_the_rfc_reference_up_to_100_leaves() {
    let w = world();
    let reader = checked(&w.stored);
    for size in 0..=WORLD {
        let want = Hash(rfc::mth(&w.data[..size as usize]));
        assert_eq!(w.roots[size as usize], want, "frontier root, size {size}");
        assert_eq!(
            tree_hash(TreeSize(size), &reader).unwrap(),
            want,
            "tree_hash, size {size}"
        );
        let frontier = Frontier::from_hashes(
            TreeSize(size),
            Frontier::stored_indexes(TreeSize(size))
                .iter()
                .map(|&i| w.stored[i as usize])
                .collect(),
        )
        .unwrap();
        assert_eq!(frontier.root(), want, "loaded frontier, size {size}");
    }
    assert_eq!(w.leaves[7], Hash(rfc::mth(&w.data[7..8])));
}

#[test]
fn proofs_agree_with_the_rfc_reference_up_to_64_leaves() {
    let w = world();
    let reader = checked(&w.stored);
    let as_hashes = |v: Vec<rfc::H>| v.into_iter().map(Hash).collect::<Vec<_>>();
    for size in 1..=64u64 {
        let d = &w.data[..size as usize];
        for m in 0..size {
            let proof = prove_inclusion(LeafIndex(m), TreeSize(size), &reader).unwrap();
            assert_eq!(
                proof,
                as_hashes(rfc::path(m as usize, d)),
                "PATH({m}, D[{size}])"
            );
        }
        for m in 0..=size {
            let proof = prove_consistency(TreeSize(m), TreeSize(size), &reader).unwrap();
            // PROOF is defined for 0 < m ≤ n; the empty tree's proof is empty.
            let want = if m == 0 {
                Vec::new()
            } else {
                as_hashes(rfc::proof(m as usize, d))
            };
            assert_eq!(proof, want, "PROOF({m}, D[{size}])");
        }
    }
}

/// Every leaf of every tree of 1 to 100 leaves: the proof verifies; one flipped
/// bit of any proof hash, of the leaf or of the root fails; so do extra, missing
/// or reordered hashes; and a changed index or size verifies exactly when PATH
/// puts the same hashes on the same sides (the RFC's verifier cannot tell such
/// sizes apart: see merkle_vectors.rs).
#[test]
fn every_inclusion_proof_up_to_100_leaves_then_tampered() {
    let w = world();
    let reader = checked(&w.stored);
    let (mut checks, mut size_aliases) = (0u64, 0u64);
    for size in 1..=WORLD {
        let root = w.roots[size as usize];
        for index in 0..size {
            let leaf = w.leaves[index as usize];
            reader.reads.set(0);
            let proof = prove_inclusion(LeafIndex(index), TreeSize(size), &reader).unwrap();
            assert!(reader.reads.get() <= 1, "one read per proof");
            let verify = |leaf: &Hash, i: u64, s: u64, proof: &[Hash], root: &Hash| {
                verify_inclusion(leaf, LeafIndex(i), TreeSize(s), proof, root)
            };
            verify(&leaf, index, size, &proof, &root)
                .unwrap_or_else(|e| panic!("PATH({index}, D[{size}]): {e}"));
            let mut fails = |what: &str, leaf: &Hash, proof: &[Hash], root: &Hash| {
                assert!(
                    verify(leaf, index, size, proof, root).is_err(),
                    "PATH({index}, D[{size}]) with {what} verified"
                );
                checks += 1;
            };
            for (j, _) in proof.iter().enumerate() {
                for bit in bits_to_flip(size, index + j as u64) {
                    let mut bad = proof.clone();
                    bad[j] = flip(&bad[j], bit);
                    fails(
                        &format!("bit {bit} of hash {j} flipped"),
                        &leaf,
                        &bad,
                        &root,
                    );
                }
            }
            for bit in bits_to_flip(size, index + 100) {
                fails(
                    &format!("bit {bit} of the root flipped"),
                    &leaf,
                    &proof,
                    &flip(&root, bit),
                );
                fails(
                    &format!("bit {bit} of the leaf flipped"),
                    &flip(&leaf, bit),
                    &proof,
                    &root,
                );
            }
            let mut longer = proof.clone();
            longer.push(root);
            fails("a trailing hash", &leaf, &longer, &root);
            longer.rotate_right(1);
            fails("a leading hash", &leaf, &longer, &root);
            if let Some((_, shorter)) = proof.split_last() {
                fails("the last hash removed", &leaf, shorter, &root);
            }
            if proof.len() >= 2 {
                let mut swapped = proof.clone();
                swapped.swap(0, 1);
                fails("two hashes swapped", &leaf, &swapped, &root);
            }
            if size > 1 {
                let other = w.leaves[((index + 1) % size) as usize];
                fails("another leaf", &other, &proof, &root);
            }
            // Changed index or size.
            let sides = rfc::path_sides(index, size);
            let mutations = [
                ("index + 1", index.wrapping_add(1), size),
                ("index - 1", index.wrapping_sub(1), size),
                ("index ^ 1", index ^ 1, size),
                ("index ^ 2", index ^ 2, size),
                ("size + 1", index, size + 1),
                ("size - 1", index, size - 1),
                ("size * 2", index, size * 2),
                ("size / 2", index, size / 2),
                ("size ^ 1", index, size ^ 1),
            ];
            for (what, i, s) in mutations {
                let same_hashing = i < s && rfc::path_sides(i, s) == sides;
                // The index is always bound: another index hashes in another order.
                assert!(!(same_hashing && i != index), "{what}");
                let result = verify(&leaf, i, s, &proof, &root);
                assert_eq!(
                    result.is_ok(),
                    same_hashing,
                    "PATH({index}, D[{size}]) with {what} ({i}, {s}): {result:?}"
                );
                size_aliases += u64::from(same_hashing);
                checks += 1;
            }
        }
    }
    println!(
        "inclusion: {checks} tampered checks, {size_aliases} index/size changes that hash alike"
    );
    assert!(size_aliases > 0);
}

/// Every pair 0 ≤ old ≤ new ≤ 100: the proof verifies; one flipped bit of any
/// proof hash or of either root fails; so do extra, missing or reordered hashes;
/// and a changed size verifies exactly when PROOF gives every hash the same
/// role.
#[test]
fn every_consistency_proof_up_to_100_leaves_then_tampered() {
    let w = world();
    let reader = checked(&w.stored);
    let (mut checks, mut size_aliases) = (0u64, 0u64);
    for new in 0..=WORLD {
        let new_root = w.roots[new as usize];
        for old in 0..=new {
            let old_root = w.roots[old as usize];
            reader.reads.set(0);
            let proof = prove_consistency(TreeSize(old), TreeSize(new), &reader).unwrap();
            assert!(reader.reads.get() <= 1, "one read per proof");
            let verify = |o: u64, n: u64, old_root: &Hash, new_root: &Hash, proof: &[Hash]| {
                verify_consistency(TreeSize(o), TreeSize(n), old_root, new_root, proof)
            };
            verify(old, new, &old_root, &new_root, &proof)
                .unwrap_or_else(|e| panic!("PROOF({old}, D[{new}]): {e}"));
            let mut fails = |what: &str, old_root: &Hash, new_root: &Hash, proof: &[Hash]| {
                assert!(
                    verify(old, new, old_root, new_root, proof).is_err(),
                    "PROOF({old}, D[{new}]) with {what} verified"
                );
                checks += 1;
            };
            for (j, _) in proof.iter().enumerate() {
                for bit in bits_to_flip(new, old * 7 + j as u64) {
                    let mut bad = proof.clone();
                    bad[j] = flip(&bad[j], bit);
                    fails(
                        &format!("bit {bit} of hash {j} flipped"),
                        &old_root,
                        &new_root,
                        &bad,
                    );
                }
            }
            for bit in bits_to_flip(new, old + 1000) {
                fails(
                    &format!("bit {bit} of the old root flipped"),
                    &flip(&old_root, bit),
                    &new_root,
                    &proof,
                );
                if old != 0 || new == 0 {
                    // From the empty tree, the new root is not bound by any proof.
                    fails(
                        &format!("bit {bit} of the new root flipped"),
                        &old_root,
                        &flip(&new_root, bit),
                        &proof,
                    );
                }
            }
            let mut longer = proof.clone();
            longer.push(new_root);
            fails("a trailing hash", &old_root, &new_root, &longer);
            longer.rotate_right(1);
            fails("a leading hash", &old_root, &new_root, &longer);
            if let Some((_, shorter)) = proof.split_last() {
                fails("the last hash removed", &old_root, &new_root, shorter);
            }
            if proof.len() >= 2 {
                let mut swapped = proof.clone();
                swapped.swap(0, 1);
                fails("two hashes swapped", &old_root, &new_root, &swapped);
            }
            if old != new {
                fails("swapped roots", &new_root, &old_root, &proof);
            }
            if old == 0 {
                continue;
            }
            // Changed sizes.
            let roles = |o: u64, n: u64| {
                if o == 0 || o > n {
                    None // the empty tree's root is not old_root; o > n is refused
                } else if o == n {
                    Some(Vec::new())
                } else {
                    Some(rfc::proof_roles(o, n, true))
                }
            };
            let want_roles = roles(old, new);
            let mutations = [
                ("old + 1", old + 1, new),
                ("old - 1", old - 1, new),
                ("old ^ 1", old ^ 1, new),
                ("old ^ 2", old ^ 2, new),
                ("new + 1", old, new + 1),
                ("new - 1", old, new - 1),
                ("new * 2", old, new * 2),
                ("new / 2", old, new / 2),
            ];
            for (what, o, n) in mutations {
                let same_hashing = roles(o, n) == want_roles && (o != n || old_root == new_root);
                // The old size is always bound; only the new size can alias.
                assert!(!(same_hashing && o != old), "{what}");
                let result = verify(o, n, &old_root, &new_root, &proof);
                assert_eq!(
                    result.is_ok(),
                    same_hashing,
                    "PROOF({old}, D[{new}]) with {what} ({o}, {n}): {result:?}"
                );
                size_aliases += u64::from(same_hashing && (o, n) != (old, new));
                checks += 1;
            }
        }
    }
    println!("consistency: {checks} tampered checks, {size_aliases} size changes that hash alike");
    assert!(size_aliases > 0);
}

/// A large tree of 100 000 leaves with pseudo-random leaf hashes, built once.
struct Big {
    stored: Vec<Hash>,
    leaves: Vec<Hash>,
}

const BIG: u64 = 100_000;

fn big() -> &'static Big {
    static BIG_CELL: OnceLock<Big> = OnceLock::new();
    BIG_CELL.get_or_init(|| {
        let mut frontier = Frontier::new();
        let mut stored = Vec::with_capacity(2 * BIG as usize);
        let mut leaves = Vec::with_capacity(BIG as usize);
        // splitmix64: cheap pseudo-random leaf hashes (no SHA-256 per leaf).
        let mut state = 0x5eed_u64;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        for _ in 0..BIG {
            let mut leaf = [0u8; 32];
            for chunk in leaf.chunks_mut(8) {
                chunk.copy_from_slice(&next().to_le_bytes());
            }
            let leaf = Hash(leaf);
            frontier.push_into(leaf, &mut stored);
            leaves.push(leaf);
        }
        Big { stored, leaves }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_inclusion_proofs_verify_and_one_flipped_bit_fails(
        size in 1..=BIG,
        index_seed in any::<u64>(),
        bit in 0..256usize,
        which in any::<usize>(),
    ) {
        let b = big();
        let index = index_seed % size;
        let reader = checked(&b.stored);
        let root = tree_hash(TreeSize(size), &reader).unwrap();
        let loaded = Frontier::from_hashes(
            TreeSize(size),
            reader.read_hashes(&Frontier::stored_indexes(TreeSize(size))).unwrap(),
        )
        .unwrap();
        prop_assert_eq!(loaded.root(), root);
        let proof = prove_inclusion(LeafIndex(index), TreeSize(size), &reader).unwrap();
        prop_assert!(proof.len() <= 17);
        let leaf = b.leaves[index as usize];
        prop_assert_eq!(verify_inclusion(&leaf, LeafIndex(index), TreeSize(size), &proof, &root), Ok(()));
        // One flipped bit: in the root, or in one proof hash (or the leaf if the
        // proof is empty).
        let bad_root = flip(&root, bit);
        prop_assert!(verify_inclusion(&leaf, LeafIndex(index), TreeSize(size), &proof, &bad_root).is_err());
        if proof.is_empty() {
            let bad_leaf = flip(&leaf, bit);
            prop_assert!(verify_inclusion(&bad_leaf, LeafIndex(index), TreeSize(size), &proof, &root).is_err());
        } else {
            let mut bad = proof.clone();
            let j = which % bad.len();
            bad[j] = flip(&bad[j], bit);
            prop_assert!(verify_inclusion(&leaf, LeafIndex(index), TreeSize(size), &bad, &root).is_err());
        }
    }

    #[test]
    fn random_consistency_proofs_verify_and_one_flipped_bit_fails(
        new in 1..=BIG,
        old_seed in any::<u64>(),
        bit in 0..256usize,
        which in any::<usize>(),
    ) {
        let b = big();
        let old = 1 + old_seed % new;
        let reader = checked(&b.stored);
        let old_root = tree_hash(TreeSize(old), &reader).unwrap();
        let new_root = tree_hash(TreeSize(new), &reader).unwrap();
        let proof = prove_consistency(TreeSize(old), TreeSize(new), &reader).unwrap();
        prop_assert!(proof.len() <= 2 * 17);
        let verify = |old_root: &Hash, new_root: &Hash, proof: &[Hash]| {
            verify_consistency(TreeSize(old), TreeSize(new), old_root, new_root, proof)
        };
        prop_assert_eq!(verify(&old_root, &new_root, &proof), Ok(()));
        prop_assert!(verify(&flip(&old_root, bit), &new_root, &proof).is_err());
        prop_assert!(verify(&old_root, &flip(&new_root, bit), &proof).is_err());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let j = which % bad.len();
            bad[j] = flip(&bad[j], bit);
            prop_assert!(verify(&old_root, &new_root, &bad).is_err());
        }
    }
}
