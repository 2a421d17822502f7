//! RFC 9162 Merkle tree known answers from `tests/vectors/merkle/` (each file and
//! case names its source in `shared/reference/merkle-vectors.md` and upstream),
//! reproduced through both the stored-hash functions of `proof` and the
//! in-memory `Frontier`; then tampered with, as transparency-dev/merkle's
//! `testdata` probes do: every tamper must be refused.

use custodian_core::encoding::unhex;
use custodian_core::{LeafIndex, TreeSize};
use custodian_ledger::hash::{empty_root, leaf_hash, node_hash};
use custodian_ledger::proof::{
    prove_consistency, prove_inclusion, split_stored_hash_index, stored_hash_count,
    stored_hash_index, stored_hashes_for_leaf, tree_hash, verify_consistency, verify_inclusion,
    VerifyError,
};
use custodian_ledger::tree::Frontier;
use custodian_ledger::Hash;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/merkle")
}

/// One vector file; every file must say where its values come from.
fn vector(name: &str) -> Value {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let source = value["source"].as_str().unwrap_or("");
    assert!(!source.is_empty(), "{}: no \"source\"", path.display());
    value
}

fn s<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field:?} missing in {v}"))
}

fn u(v: &Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("field {field:?} missing in {v}"))
}

fn array<'a>(v: &'a Value, field: &str) -> &'a Vec<Value> {
    v[field]
        .as_array()
        .unwrap_or_else(|| panic!("field {field:?} missing in {v}"))
}

fn hex_hash(text: &str) -> Hash {
    Hash::from_hex(text).unwrap_or_else(|e| panic!("{e}"))
}

fn hex_hashes(v: &Value, field: &str) -> Vec<Hash> {
    array(v, field)
        .iter()
        .map(|h| hex_hash(h.as_str().expect("hex string")))
        .collect()
}

/// The standard 8 leaves, their stored hashes (built leaf by leaf with
/// `stored_hashes_for_leaf`) and their leaf hashes.
struct Tree {
    leaf_hashes: Vec<Hash>,
    stored: Vec<Hash>,
}

fn standard_tree() -> Tree {
    let hashing = vector("hashing.json");
    let mut leaf_hashes = Vec::new();
    let mut stored: Vec<Hash> = Vec::new();
    for (n, leaf) in array(&hashing, "leaves").iter().enumerate() {
        assert_eq!(u(leaf, "index"), n as u64);
        let data = unhex(s(leaf, "input_hex")).expect("hex input");
        let hash = leaf_hash(&data);
        let new = stored_hashes_for_leaf(n as u64, hash, &stored).expect("stored hashes");
        stored.extend(new);
        leaf_hashes.push(hash);
    }
    assert_eq!(leaf_hashes.len(), 8);
    Tree {
        leaf_hashes,
        stored,
    }
}

/// Roots by size, 0..=8, from `roots.json`.
fn roots() -> Vec<Hash> {
    let roots = vector("roots.json");
    array(&roots, "roots")
        .iter()
        .enumerate()
        .map(|(size, r)| {
            assert_eq!(u(r, "size"), size as u64);
            let hex = hex_hash(s(r, "root_hex"));
            assert_eq!(hex.to_base64(), s(r, "root_base64"), "size {size}");
            assert_eq!(Hash::from_base64(s(r, "root_base64")).unwrap(), hex);
            hex
        })
        .collect()
}

#[test]
fn hashing_rules() {
    let hashing = vector("hashing.json");
    let rules = array(&hashing, "rules");
    assert_eq!(rules.len(), 4);
    for rule in rules {
        let want = hex_hash(s(rule, "hash"));
        let what = s(rule, "what");
        match s(rule, "kind") {
            "empty_root" => assert_eq!(empty_root(), want, "{what}"),
            "leaf" => assert_eq!(
                leaf_hash(&unhex(s(rule, "input_hex")).unwrap()),
                want,
                "{what}"
            ),
            "node" => {
                // `node_hash` takes two 32-byte hashes, so this rule (over 4-byte
                // children) is checked as the byte string it defines; `node_hash`
                // itself is checked against every interior node below.
                let mut h = Sha256::new();
                h.update([0x01]);
                h.update(unhex(s(rule, "left_hex")).unwrap());
                h.update(unhex(s(rule, "right_hex")).unwrap());
                assert_eq!(Hash(h.finalize().into()), want, "{what}");
            }
            other => panic!("unknown rule kind {other:?}"),
        }
    }
    // The empty tree's root is not the hash of an empty leaf (merkle-vectors.md §1).
    assert_ne!(empty_root(), leaf_hash(b""));
}

#[test]
fn leaf_hashes_and_interior_nodes_are_where_the_stored_layout_says() {
    let hashing = vector("hashing.json");
    let tree = standard_tree();
    for leaf in array(&hashing, "leaves") {
        let n = u(leaf, "index");
        let want = hex_hash(s(leaf, "leaf_hash"));
        assert_eq!(tree.leaf_hashes[n as usize], want, "leaf {n}");
        assert_eq!(
            tree.stored[stored_hash_index(0, n) as usize],
            want,
            "stored leaf {n}"
        );
    }
    let nodes = array(&hashing, "nodes");
    assert_eq!(nodes.len(), 7);
    for node in nodes {
        let (level, index) = (u(node, "level") as u32, u(node, "index"));
        let want = hex_hash(s(node, "hash"));
        let at = stored_hash_index(level, index);
        assert_eq!(tree.stored[at as usize], want, "{}", s(node, "name"));
        assert_eq!(split_stored_hash_index(at), (level, index));
        assert_eq!(u(node, "first_leaf"), index << level);
        assert_eq!(u(node, "last_leaf"), ((index + 1) << level) - 1);
        // node_hash of the two children one level down.
        let left = tree.stored[stored_hash_index(level - 1, 2 * index) as usize];
        let right = tree.stored[stored_hash_index(level - 1, 2 * index + 1) as usize];
        assert_eq!(node_hash(&left, &right), want, "{}", s(node, "name"));
    }
    assert_eq!(tree.stored.len() as u64, stored_hash_count(TreeSize(8)));
    assert_eq!(tree.stored.len(), 15);
}

#[test]
fn roots_of_sizes_0_to_8_by_stored_hashes_and_by_frontier() {
    let tree = standard_tree();
    let roots = roots();
    assert_eq!(roots.len(), 9);
    let mut frontier = Frontier::new();
    let mut pushed = Vec::new();
    for (size, want) in roots.iter().enumerate() {
        let size = size as u64;
        assert_eq!(
            tree_hash(TreeSize(size), &tree.stored).unwrap(),
            *want,
            "size {size}"
        );
        assert_eq!(frontier.size(), TreeSize(size));
        assert_eq!(frontier.root(), *want, "frontier at size {size}");
        // A frontier loaded from the stored hashes agrees too.
        let indexes = Frontier::stored_indexes(TreeSize(size));
        let hashes = indexes.iter().map(|&i| tree.stored[i as usize]).collect();
        let loaded = Frontier::from_hashes(TreeSize(size), hashes).unwrap();
        assert_eq!(loaded.root(), *want, "loaded frontier at size {size}");
        if let Some(&leaf) = tree.leaf_hashes.get(size as usize) {
            let from = pushed.len();
            frontier.push_into(leaf, &mut pushed);
            let new = stored_hashes_for_leaf(size, leaf, &tree.stored).unwrap();
            assert_eq!(pushed[from..], new[..], "leaf {size}");
        }
    }
    assert_eq!(pushed, tree.stored);
}

#[test]
fn inclusion_proofs_are_reproduced_and_verify() {
    let tree = standard_tree();
    let roots = roots();
    let cases = vector("inclusion.json");
    let cases = array(&cases, "cases");
    assert_eq!(cases.len(), 13);
    let mut every_leaf_at_8 = [false; 8];
    for case in cases {
        assert!(!s(case, "source").is_empty());
        let (index, size) = (LeafIndex(u(case, "index")), TreeSize(u(case, "size")));
        let want = hex_hashes(case, "proof");
        let proof = prove_inclusion(index, size, &tree.stored).unwrap();
        assert_eq!(proof, want, "PATH({index}, D[{size}])");
        let leaf = tree.leaf_hashes[index.0 as usize];
        verify_inclusion(&leaf, index, size, &proof, &roots[size.0 as usize])
            .unwrap_or_else(|e| panic!("PATH({index}, D[{size}]): {e}"));
        if size.0 == 8 {
            every_leaf_at_8[index.0 as usize] = true;
        }
    }
    assert_eq!(every_leaf_at_8, [true; 8]);
}

#[test]
fn consistency_proofs_are_reproduced_and_verify() {
    let tree = standard_tree();
    let roots = roots();
    let cases = vector("consistency.json");
    let cases = array(&cases, "cases");
    assert_eq!(cases.len(), 12);
    let mut every_m_to_8 = [false; 8];
    for case in cases {
        assert!(!s(case, "source").is_empty());
        let (old, new) = (TreeSize(u(case, "old_size")), TreeSize(u(case, "new_size")));
        let want = hex_hashes(case, "proof");
        let proof = prove_consistency(old, new, &tree.stored).unwrap();
        assert_eq!(proof, want, "PROOF({old}, D[{new}])");
        let (old_root, new_root) = (&roots[old.0 as usize], &roots[new.0 as usize]);
        verify_consistency(old, new, old_root, new_root, &proof)
            .unwrap_or_else(|e| panic!("PROOF({old}, D[{new}]): {e}"));
        if new.0 == 8 {
            every_m_to_8[old.0 as usize] = true;
        }
    }
    assert_eq!(every_m_to_8[1..], [true; 7]);
}

/// Parses a base64 hash as the transparency-dev probe files write them; `None`
/// for a value that is not 32 bytes ("", "V3JvbmdMZWFm"), which no `Hash` can
/// carry, so the probe is refused before verification.
fn b64(v: &Value) -> Option<Hash> {
    Hash::from_base64(v.as_str().expect("base64 string")).ok()
}

fn b64_proof(case: &Value) -> Option<Vec<Hash>> {
    array(case, "proof").iter().map(b64).collect()
}

#[test]
fn transparency_dev_inclusion_probes() {
    let tree = standard_tree();
    let roots = roots();
    let probes = vector("inclusion-probes.json");
    let cases = array(&probes, "cases");
    let (mut accepted, mut refused, mut unrepresentable) = (0, 0, 0);
    for case in cases {
        let file = s(case, "file");
        let want_err = case["wantErr"].as_bool().expect("wantErr");
        let (index, size) = (LeafIndex(u(case, "leafIdx")), TreeSize(u(case, "treeSize")));
        let (Some(root), Some(leaf), Some(proof)) =
            (b64(&case["root"]), b64(&case["leafHash"]), b64_proof(case))
        else {
            assert!(
                want_err,
                "{file}: a value that is not a 32-byte hash in a valid probe"
            );
            unrepresentable += 1;
            continue;
        };
        let result = verify_inclusion(&leaf, index, size, &proof, &root);
        assert_eq!(result.is_err(), want_err, "{file}: {result:?}");
        if want_err {
            refused += 1;
            continue;
        }
        accepted += 1;
        // The happy paths over the standard leaves are the proofs we generate.
        if size.0 <= 8 && roots[size.0 as usize] == root {
            assert_eq!(leaf, tree.leaf_hashes[index.0 as usize], "{file}");
            assert_eq!(
                prove_inclusion(index, size, &tree.stored).unwrap(),
                proof,
                "{file}"
            );
        }
    }
    assert_eq!(cases.len(), 98);
    assert_eq!((accepted, refused + unrepresentable), (6, 92));
    println!("inclusion probes: {accepted} accepted, {refused} refused, {unrepresentable} not 32-byte hashes");
}

#[test]
fn transparency_dev_consistency_probes() {
    let tree = standard_tree();
    let roots = roots();
    let probes = vector("consistency-probes.json");
    let cases = array(&probes, "cases");
    let (mut accepted, mut refused, mut unrepresentable) = (0, 0, 0);
    for case in cases {
        let file = s(case, "file");
        let want_err = case["wantErr"].as_bool().expect("wantErr");
        let (old, new) = (TreeSize(u(case, "size1")), TreeSize(u(case, "size2")));
        let (Some(old_root), Some(new_root), Some(proof)) =
            (b64(&case["root1"]), b64(&case["root2"]), b64_proof(case))
        else {
            // The one valid upstream probe that cannot be written with 32-byte
            // hashes: equal sizes and equal (12-byte) roots, which upstream compares
            // as opaque bytes. Its 32-byte analogue is checked below.
            if !want_err {
                assert!(
                    file.ends_with("sizes-are-equal-one-and-proof-is-empty.json"),
                    "{file}"
                );
                let root = leaf_hash(b"don't care");
                verify_consistency(old, new, &root, &root, &[]).unwrap();
            }
            unrepresentable += 1;
            continue;
        };
        let result = verify_consistency(old, new, &old_root, &new_root, &proof);
        assert_eq!(result.is_err(), want_err, "{file}: {result:?}");
        if want_err {
            refused += 1;
            continue;
        }
        accepted += 1;
        if new.0 <= 8 && roots[new.0 as usize] == new_root {
            assert_eq!(roots[old.0 as usize], old_root, "{file}");
            assert_eq!(
                prove_consistency(old, new, &tree.stored).unwrap(),
                proof,
                "{file}"
            );
        }
    }
    assert_eq!(cases.len(), 98);
    assert_eq!(accepted, 5);
    assert_eq!(refused + unrepresentable, 93);
    println!("consistency probes: {accepted} accepted, {refused} refused, {unrepresentable} not 32-byte hashes");
}

/// A hash that is in no tree here.
fn garbage() -> Hash {
    leaf_hash(b"garbage")
}

fn flip(h: &Hash, byte: usize, bit: u32) -> Hash {
    let mut out = *h;
    out.0[byte] ^= 1 << bit;
    out
}

/// transparency-dev/merkle's inclusion mutations (merkle-vectors.md §6), generated
/// from a happy path. Each must fail.
fn inclusion_probes(
    leaf: Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: Hash,
) -> Vec<(String, Hash, u64, u64, Vec<Hash>, Hash)> {
    let p = || proof.to_vec();
    let with = |mut v: Vec<Hash>, at: usize, h: Hash| {
        v.insert(at, h);
        v
    };
    let mut out = vec![
        (
            "wrong-leaf".into(),
            leaf_hash(b"WrongLeaf"),
            index,
            size,
            p(),
            root,
        ),
        ("empty-root".into(), leaf, index, size, p(), empty_root()),
        ("random-root".into(), leaf, index, size, p(), garbage()),
        (
            "preceding-root".into(),
            leaf,
            index,
            size,
            with(p(), 0, root),
            root,
        ),
        (
            "trailing-root".into(),
            leaf,
            index,
            size,
            with(p(), proof.len(), root),
            root,
        ),
        (
            "preceding-garbage".into(),
            leaf,
            index,
            size,
            with(p(), 0, garbage()),
            root,
        ),
        (
            "trailing-garbage".into(),
            leaf,
            index,
            size,
            with(p(), proof.len(), garbage()),
            root,
        ),
        (
            "leafIdx-plus-1".into(),
            leaf,
            index.wrapping_add(1),
            size,
            p(),
            root,
        ),
        (
            "leafIdx-sub-1".into(),
            leaf,
            index.wrapping_sub(1),
            size,
            p(),
            root,
        ),
        ("leafIdx-XOR-2".into(), leaf, index ^ 2, size, p(), root),
        (
            "treeSize-mul-2".into(),
            leaf,
            index,
            size.wrapping_mul(2),
            p(),
            root,
        ),
        ("treeSize-div-2".into(), leaf, index, size / 2, p(), root),
    ];
    if !proof.is_empty() {
        // In a tree of one leaf the root is the leaf hash; in larger trees never.
        out.push(("leaf-as-root".into(), leaf, index, size, p(), leaf));
        out.push((
            "inserted-component".into(),
            leaf,
            index,
            size,
            with(p(), 0, Hash([0; 32])),
            root,
        ));
        out.push((
            "removed-component".into(),
            leaf,
            index,
            size,
            proof[..proof.len() - 1].to_vec(),
            root,
        ));
        out.push((
            "removed-first-component".into(),
            leaf,
            index,
            size,
            proof[1..].to_vec(),
            root,
        ));
    }
    for i in 0..proof.len() {
        let mut wrong = p();
        wrong[i] = flip(&wrong[i], 0, 3);
        out.push((
            format!("modified-proof[{i}]-bit-3"),
            leaf,
            index,
            size,
            wrong,
            root,
        ));
    }
    if proof.len() >= 2 {
        let mut swapped = p();
        swapped.swap(0, 1);
        out.push((
            "swapped-components".into(),
            leaf,
            index,
            size,
            swapped,
            root,
        ));
    }
    out.push((
        "flipped-root".into(),
        leaf,
        index,
        size,
        p(),
        flip(&root, 31, 0),
    ));
    out.push((
        "flipped-leaf".into(),
        flip(&leaf, 7, 5),
        index,
        size,
        p(),
        root,
    ));
    out
}

#[test]
fn tampered_inclusion_proofs_fail() {
    let tree = standard_tree();
    let roots = roots();
    let mut probes = 0;
    for size in 1..=8u64 {
        for index in 0..size {
            let proof = prove_inclusion(LeafIndex(index), TreeSize(size), &tree.stored).unwrap();
            let (leaf, root) = (tree.leaf_hashes[index as usize], roots[size as usize]);
            verify_inclusion(&leaf, LeafIndex(index), TreeSize(size), &proof, &root).unwrap();
            for (name, leaf2, index2, size2, proof2, root2) in
                inclusion_probes(leaf, index, size, &proof, root)
            {
                let result =
                    verify_inclusion(&leaf2, LeafIndex(index2), TreeSize(size2), &proof2, &root2);
                assert!(result.is_err(), "PATH({index}, D[{size}]) {name} verified");
                probes += 1;
            }
        }
    }
    assert!(probes > 400, "{probes}");
}

/// transparency-dev/merkle's consistency mutations (merkle-vectors.md §6),
/// generated from a happy path with 0 < old < new. Each must fail.
fn consistency_probes(
    old: u64,
    new: u64,
    old_root: Hash,
    new_root: Hash,
    proof: &[Hash],
) -> Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> {
    let p = || proof.to_vec();
    let with = |mut v: Vec<Hash>, at: usize, h: Hash| {
        v.insert(at, h);
        v
    };
    let wrong_root = leaf_hash(b"WrongRoot");
    let end = proof.len();
    let mut out = vec![
        (
            "empty-proof".into(),
            old,
            new,
            old_root,
            new_root,
            Vec::new(),
        ),
        (
            "truncated-proof".into(),
            old,
            new,
            old_root,
            new_root,
            proof[..end - 1].to_vec(),
        ),
        (
            "preceding-garbage".into(),
            old,
            new,
            old_root,
            new_root,
            with(p(), 0, garbage()),
        ),
        (
            "trailing-garbage".into(),
            old,
            new,
            old_root,
            new_root,
            with(p(), end, garbage()),
        ),
        (
            "preceding-proof[0]".into(),
            old,
            new,
            old_root,
            new_root,
            with(p(), 0, proof[0]),
        ),
        (
            "preceding-root1".into(),
            old,
            new,
            old_root,
            new_root,
            with(p(), 0, old_root),
        ),
        (
            "preceding-root2".into(),
            old,
            new,
            old_root,
            new_root,
            with(p(), 0, new_root),
        ),
        (
            "trailing-root1".into(),
            old,
            new,
            old_root,
            new_root,
            with(p(), end, old_root),
        ),
        (
            "trailing-root2".into(),
            old,
            new,
            old_root,
            new_root,
            with(p(), end, new_root),
        ),
        ("wrong-root1".into(), old, new, wrong_root, new_root, p()),
        ("wrong-root2".into(), old, new, old_root, wrong_root, p()),
        ("swapped-roots".into(), old, new, new_root, old_root, p()),
        ("size1-plus-1".into(), old + 1, new, old_root, new_root, p()),
        ("size1-sub-1".into(), old - 1, new, old_root, new_root, p()),
        ("size1-XOR-2".into(), old ^ 2, new, old_root, new_root, p()),
        ("size2-mul-2".into(), old, new * 2, old_root, new_root, p()),
        ("size2-div-2".into(), old, new / 2, old_root, new_root, p()),
        ("old-size-0".into(), 0, new, old_root, new_root, p()),
        ("equal-sizes".into(), new, new, old_root, new_root, p()),
    ];
    for i in 0..end {
        let mut wrong = p();
        wrong[i] = flip(&wrong[i], 0, 4);
        out.push((
            format!("modified-proof[{i}]-bit-4"),
            old,
            new,
            old_root,
            new_root,
            wrong,
        ));
    }
    out.push((
        "flipped-root1".into(),
        old,
        new,
        flip(&old_root, 31, 7),
        new_root,
        p(),
    ));
    out.push((
        "flipped-root2".into(),
        old,
        new,
        old_root,
        flip(&new_root, 16, 1),
        p(),
    ));
    out
}

#[test]
fn tampered_consistency_proofs_fail() {
    let tree = standard_tree();
    let roots = roots();
    let mut probes = 0;
    for new in 2..=8u64 {
        for old in 1..new {
            let proof = prove_consistency(TreeSize(old), TreeSize(new), &tree.stored).unwrap();
            let (old_root, new_root) = (roots[old as usize], roots[new as usize]);
            verify_consistency(TreeSize(old), TreeSize(new), &old_root, &new_root, &proof).unwrap();
            for (name, old2, new2, old_root2, new_root2, proof2) in
                consistency_probes(old, new, old_root, new_root, &proof)
            {
                let result = verify_consistency(
                    TreeSize(old2),
                    TreeSize(new2),
                    &old_root2,
                    &new_root2,
                    &proof2,
                );
                assert!(result.is_err(), "PROOF({old}, D[{new}]) {name} verified");
                probes += 1;
            }
        }
    }
    assert!(probes > 500, "{probes}");
}

/// The edge rules of merkle-vectors.md §5, each with the error a user reads.
#[test]
fn consistency_edge_rules_name_what_failed() {
    let roots = roots();
    let (r1, r5, r8) = (roots[1], roots[5], roots[8]);
    let size = TreeSize;
    // m > n fails.
    assert_eq!(
        verify_consistency(size(5), size(1), &r5, &r1, &[]),
        Err(VerifyError::OldSizeGreater { old: 5, new: 1 })
    );
    // m = 0: consistent with any tree, given the empty proof and the empty root.
    verify_consistency(size(0), size(8), &empty_root(), &r8, &[]).unwrap();
    verify_consistency(size(0), size(0), &empty_root(), &empty_root(), &[]).unwrap();
    assert_eq!(
        verify_consistency(size(0), size(8), &empty_root(), &r8, &[r8]),
        Err(VerifyError::NonEmptyProofForEmptyOldTree { found: 1 })
    );
    assert_eq!(
        verify_consistency(size(0), size(8), &r1, &r8, &[]),
        Err(VerifyError::EmptyTreeRootMismatch {
            expected: empty_root(),
            found: r1
        })
    );
    // m = n: empty proof and equal roots.
    verify_consistency(size(8), size(8), &r8, &r8, &[]).unwrap();
    assert_eq!(
        verify_consistency(size(8), size(8), &r8, &r8, &[r8]),
        Err(VerifyError::NonEmptyProofForEqualSizes { size: 8, found: 1 })
    );
    assert_eq!(
        verify_consistency(size(8), size(8), &r5, &r8, &[]),
        Err(VerifyError::EqualSizesDifferentRoots {
            size: 8,
            old_root: r5,
            new_root: r8
        })
    );
    // An empty proof for 0 < m < n fails, and says how long it should be.
    assert_eq!(
        verify_consistency(size(5), size(8), &r5, &r8, &[]),
        Err(VerifyError::WrongProofLength {
            expected: 4,
            found: 0
        })
    );
    // Swapped roots: the old root is checked first.
    let tree = standard_tree();
    let proof = prove_consistency(size(5), size(8), &tree.stored).unwrap();
    let err = verify_consistency(size(5), size(8), &r8, &r5, &proof).unwrap_err();
    assert_eq!(
        err,
        VerifyError::OldRootMismatch {
            expected: r8,
            computed: r5
        }
    );
    assert!(err.to_string().contains(&r5.to_hex()), "{err}");
}

#[test]
fn inclusion_errors_name_what_failed() {
    let tree = standard_tree();
    let roots = roots();
    let (leaf, r8) = (tree.leaf_hashes[5], roots[8]);
    let proof = prove_inclusion(LeafIndex(5), TreeSize(8), &tree.stored).unwrap();
    assert_eq!(
        verify_inclusion(&leaf, LeafIndex(8), TreeSize(8), &proof, &r8),
        Err(VerifyError::IndexOutOfRange { index: 8, size: 8 })
    );
    assert_eq!(
        verify_inclusion(&leaf, LeafIndex(5), TreeSize(8), &proof[..2], &r8),
        Err(VerifyError::WrongProofLength {
            expected: 3,
            found: 2
        })
    );
    let err = verify_inclusion(&leaf, LeafIndex(5), TreeSize(8), &proof, &roots[7]).unwrap_err();
    assert_eq!(
        err,
        VerifyError::RootMismatch {
            expected: roots[7],
            computed: r8
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the proof leads to root {r8}, not to the expected root {}",
            roots[7]
        )
    );
}

/// An inclusion proof binds the leaf to the root, not to the tree size: in RFC
/// 9162 §2.1.3.2 the size only fixes the order of hashing. Leaf 0's proof at
/// size 8 (three right siblings) also verifies against the size-8 root when the
/// size is claimed to be 5, 6 or 7, which hash in the same order. This is why a
/// verifier must take the size and the root from the same signed checkpoint,
/// and why tampering probes change the size by ×2 and ÷2, not by ±1.
#[test]
fn the_tree_size_is_bound_only_through_the_order_of_hashing() {
    let tree = standard_tree();
    let roots = roots();
    let proof = prove_inclusion(LeafIndex(0), TreeSize(8), &tree.stored).unwrap();
    for claimed in 5..=8 {
        verify_inclusion(
            &tree.leaf_hashes[0],
            LeafIndex(0),
            TreeSize(claimed),
            &proof,
            &roots[8],
        )
        .unwrap();
    }
    // Sizes that hash in another order or need another length fail.
    for claimed in [1, 2, 3, 4, 9, 16] {
        let result = verify_inclusion(
            &tree.leaf_hashes[0],
            LeafIndex(0),
            TreeSize(claimed),
            &proof,
            &roots[8],
        );
        assert!(result.is_err(), "size {claimed}");
    }
}

/// Reads the reference document itself and checks every hash of its §3 roots
/// table (hex and base64) against the roots we compute.
#[test]
fn roots_table_of_the_reference_document() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/merkle-vectors.md");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipped: {} is not here", path.display());
        return;
    };
    let start = text
        .find("\n## 3. ")
        .expect("merkle-vectors.md has a section 3");
    let end = text[start + 1..]
        .find("\n## ")
        .map_or(text.len(), |at| start + 1 + at);
    let section = &text[start..end];
    let tree = standard_tree();
    let mut rows = 0;
    for line in section.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line
            .split('|')
            .map(|c| c.trim().trim_matches('`'))
            .collect();
        let Ok(size) = cells[1].parse::<u64>() else {
            continue; // the header and separator rows
        };
        let root = tree_hash(TreeSize(size), &tree.stored).unwrap();
        assert_eq!(cells[2], root.to_hex(), "§3 size {size} (hex)");
        assert_eq!(cells[3], root.to_base64(), "§3 size {size} (base64)");
        rows += 1;
    }
    // Every 64-hex-digit string of the section is one of those roots.
    let hex_words: Vec<&str> = section
        .split(|c: char| !c.is_ascii_hexdigit())
        .filter(|w| w.len() == 64)
        .collect();
    assert_eq!(rows, 9, "§3 should list sizes 0 to 8");
    assert_eq!(hex_words.len(), 9, "§3 hex hashes: {hex_words:?}");
    for (size, word) in hex_words.iter().enumerate() {
        assert_eq!(
            *word,
            tree_hash(TreeSize(size as u64), &tree.stored)
                .unwrap()
                .to_hex()
        );
    }
}
