//! Reveals: single entries, complete ranges, samples; each verified offline
//! and each tampered form refused with an error that names the leaf.

mod common;

use common::*;
use custodian_escrow::*;

fn selectors(secret: &SecretDeclaration) -> Vec<RangeSelector> {
    let mut out = Vec::new();
    for e in secret.entries() {
        let k = e.key();
        out.push(RangeSelector::category(k.category.clone()));
        out.push(RangeSelector::category_region(
            k.category.clone(),
            k.region.clone(),
        ));
    }
    // Ranges with no entry: before everything, between, after everything.
    out.push(RangeSelector::category(label("aaa")));
    out.push(RangeSelector::category(label("gold")));
    out.push(RangeSelector::category(label("zzz")));
    out.push(RangeSelector::category_region(
        label("warhead"),
        label("middle"),
    ));
    out.dedup();
    out
}

#[test]
fn every_entry_reveal_verifies_and_round_trips_through_json() {
    let secret = fixture();
    let c = secret.commitment();
    let annexes = verified_annexes(&secret);
    for i in 0..c.entries() {
        let reveal = secret.reveal_entry(i).unwrap();
        let v = c.verify_entry(&reveal, &annexes).unwrap();
        assert_eq!(v.index, i);
        assert_eq!(&v.entry, &secret.entries()[i as usize]);
        let json = serde_json::to_string(&reveal).unwrap();
        let back: EntryReveal = serde_json::from_str(&json).unwrap();
        assert_eq!(back, reveal);
    }
    let k = key("warhead", "north", "w-002");
    assert_eq!(
        c.verify_entry(&secret.reveal_key(&k).unwrap(), &annexes)
            .unwrap()
            .entry
            .key(),
        &k
    );
    assert!(secret
        .reveal_key(&key("warhead", "north", "w-999"))
        .is_err());
    assert!(secret.reveal_entry(c.entries()).is_err());
}

#[test]
fn a_tampered_entry_reveal_fails_naming_the_leaf() {
    let secret = fixture();
    let c = secret.commitment();
    let annexes = verified_annexes(&secret);
    let reveal = secret.reveal_entry(5).unwrap();
    // Every bit of every proof hash.
    for h in 0..reveal.proof.len() {
        for byte in 0..32 {
            for bit in 0..8 {
                let mut bad = reveal.clone();
                flip(&mut bad.proof[h], byte, bit);
                let e = c.verify_entry(&bad, &annexes).unwrap_err();
                assert!(e.is_finding());
                assert!(e.to_string().contains("leaf 5"), "{e}");
            }
        }
    }
    // A wrong salt.
    let mut bad = reveal.clone();
    bad.opening.salt.0[0] ^= 1;
    assert!(matches!(
        c.verify_entry(&bad, &[]),
        Err(EscrowError::RootMismatch { .. })
    ));
    // A changed entry (status), with and without the annex check.
    let mut bad = reveal.clone();
    bad.opening.entry = item("north", "w-001", false);
    assert!(c.verify_entry(&bad, &[]).unwrap_err().is_finding());
    // Another leaf's index, a truncated and a padded proof, an index out of range.
    let mut bad = reveal.clone();
    bad.index = 6;
    assert!(c.verify_entry(&bad, &annexes).is_err());
    let mut bad = reveal.clone();
    bad.proof.pop();
    assert!(matches!(
        c.verify_entry(&bad, &[]),
        Err(EscrowError::WrongCount { .. })
    ));
    let mut bad = reveal.clone();
    bad.proof.push(bad.proof[0]);
    assert!(matches!(
        c.verify_entry(&bad, &[]),
        Err(EscrowError::WrongCount { .. })
    ));
    let mut bad = reveal;
    bad.index = 12;
    assert!(matches!(
        c.verify_entry(&bad, &[]),
        Err(EscrowError::IndexOutOfRange { .. })
    ));
}

#[test]
fn a_measure_value_that_differs_from_the_annex_is_caught() {
    // The state commits honestly; a reveal whose value differs (the same entry
    // with another count) either breaks the leaf or, if the leaf were made for
    // it, would not match the annex. Here: a value change breaks the annex check
    // first.
    let secret = fixture();
    let c = secret.commitment();
    let annexes = verified_annexes(&secret);
    let index = secret.search(&key("warhead", "north", "w-001")).unwrap();
    let mut reveal = secret.reveal_entry(index).unwrap();
    let mut m = reveal.opening.entry.measures().clone();
    m.insert(warheads(), 2);
    reveal.opening.entry = Entry::new(
        reveal.opening.entry.key().clone(),
        reveal.opening.entry.body().clone(),
        m,
    );
    match c.verify_entry(&reveal, &annexes) {
        Err(EscrowError::AnnexMismatch { index: i, measure }) => {
            assert_eq!(i, index);
            assert_eq!(measure, "deployed_warheads");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_range_verifies_including_the_edges_and_empty_ranges() {
    let secret = fixture();
    let c = secret.commitment();
    let annexes = verified_annexes(&secret);
    let mut saw_start = false;
    let mut saw_end = false;
    for sel in selectors(&secret) {
        let reveal = secret.reveal_range(&sel);
        let v = c
            .verify_range(&reveal, &annexes)
            .unwrap_or_else(|e| panic!("{sel}: {e}"));
        let expected: Vec<_> = secret
            .entries()
            .iter()
            .filter(|e| sel.contains(e.key()))
            .cloned()
            .collect();
        let got: Vec<_> = v.entries.iter().map(|e| e.entry.clone()).collect();
        assert_eq!(got, expected, "{sel}");
        saw_start |= reveal.start == 0 && reveal.end > 0;
        saw_end |= reveal.end == c.entries() && reveal.start < reveal.end;
        let json = serde_json::to_string(&reveal).unwrap();
        assert_eq!(serde_json::from_str::<RangeReveal>(&json).unwrap(), reveal);
    }
    assert!(saw_start && saw_end, "ranges at index 0 and at the end");
}

#[test]
fn the_range_proof_is_compact() {
    let secret = fixture();
    let reveal = secret.reveal_range(&RangeSelector::category(label("warhead")));
    // 12 leaves: 7 warheads + one neighbour need at most 2·log2(12) hashes.
    assert!(reveal.proof.len() <= 2 * 4, "{}", reveal.proof.len());
}

#[test]
fn dropping_any_entry_from_a_range_fails() {
    let secret = fixture();
    let c = secret.commitment();
    for sel in selectors(&secret) {
        let reveal = secret.reveal_range(&sel);
        for drop in 0..reveal.entries.len() {
            // Dropped silently: the count no longer matches.
            let mut bad = reveal.clone();
            bad.entries.remove(drop);
            assert!(c.verify_range(&bad, &[]).is_err(), "{sel} drop {drop}");
            // Dropped with the end moved in: the right neighbour or the root is wrong.
            let mut bad = reveal.clone();
            bad.entries.remove(drop);
            bad.end -= 1;
            let e = c.verify_range(&bad, &[]).unwrap_err();
            assert!(e.is_finding(), "{e}");
        }
    }
}

#[test]
fn wrong_neighbours_fail() {
    let secret = fixture();
    let c = secret.commitment();
    let sel = RangeSelector::category_region(label("warhead"), label("north"));
    let reveal = secret.reveal_range(&sel);
    assert!(reveal.left.is_some() && reveal.right.is_some());
    // Missing neighbours.
    let mut bad = reveal.clone();
    bad.left = None;
    assert!(matches!(
        c.verify_range(&bad, &[]),
        Err(EscrowError::Neighbour {
            side: Side::Left,
            ..
        })
    ));
    let mut bad = reveal.clone();
    bad.right = None;
    assert!(matches!(
        c.verify_range(&bad, &[]),
        Err(EscrowError::Neighbour {
            side: Side::Right,
            ..
        })
    ));
    // Swapped neighbours: on the wrong side of the range.
    let mut bad = reveal.clone();
    std::mem::swap(&mut bad.left, &mut bad.right);
    assert!(matches!(
        c.verify_range(&bad, &[]),
        Err(EscrowError::Neighbour { .. })
    ));
    // A neighbour that claims to be outside but is not the committed leaf.
    let mut bad = reveal.clone();
    bad.left.as_mut().unwrap().region = label("aaa");
    assert!(matches!(
        c.verify_range(&bad, &[]),
        Err(EscrowError::RootMismatch { .. })
    ));
    let mut bad = reveal.clone();
    bad.right.as_mut().unwrap().blind[3] ^= 0x10;
    assert!(matches!(
        c.verify_range(&bad, &[]),
        Err(EscrowError::RootMismatch { .. })
    ));
    // A neighbour from elsewhere in the tree (leaf start − 2's edge opening).
    let other = secret.reveal_range(&RangeSelector::category_region(
        label("warhead"),
        label("east"),
    ));
    let mut bad = reveal.clone();
    bad.left = other.left.clone();
    assert!(c.verify_range(&bad, &[]).is_err());
    // A neighbour given at the edge of the declaration.
    let first = secret.reveal_range(&RangeSelector::category(label("enrichment")));
    assert_eq!(first.start, 0);
    let mut bad = first;
    bad.left = reveal.left.clone();
    assert!(matches!(
        c.verify_range(&bad, &[]),
        Err(EscrowError::Neighbour {
            side: Side::Left,
            ..
        })
    ));
    // An entry from outside the range, and entries out of order.
    let mut bad = reveal.clone();
    bad.entries[0] = secret.reveal_entry(0).unwrap().opening;
    assert!(matches!(
        c.verify_range(&bad, &[]),
        Err(EscrowError::OutsideRange { .. })
    ));
    let mut bad = reveal.clone();
    bad.entries.swap(0, 1);
    assert!(matches!(
        c.verify_range(&bad, &[]),
        Err(EscrowError::OutOfOrder { .. })
    ));
    // A wrong salt in the middle.
    let mut bad = reveal;
    bad.entries[1].salt.0[31] ^= 0x80;
    assert!(matches!(
        c.verify_range(&bad, &[]),
        Err(EscrowError::RootMismatch { .. })
    ));
}

#[test]
fn every_bit_of_every_range_proof_hash_matters() {
    let secret = fixture();
    let c = secret.commitment();
    for sel in selectors(&secret) {
        let reveal = secret.reveal_range(&sel);
        for h in 0..reveal.proof.len() {
            for byte in 0..32 {
                for bit in 0..8 {
                    let mut bad = reveal.clone();
                    flip(&mut bad.proof[h], byte, bit);
                    assert!(
                        matches!(
                            c.verify_range(&bad, &[]),
                            Err(EscrowError::RootMismatch { .. })
                        ),
                        "{sel} hash {h} byte {byte} bit {bit}"
                    );
                }
            }
        }
        let mut bad = reveal.clone();
        bad.proof.push(custodian_ledger::Hash([0; 32]));
        assert!(matches!(
            c.verify_range(&bad, &[]),
            Err(EscrowError::WrongCount { .. })
        ));
    }
}

#[test]
fn a_reveal_for_another_commitment_fails() {
    let a = fixture();
    let mut entries = fixture_entries();
    entries.push(site("enrichment", "south", "undeclared-elsewhere"));
    let b = SecretDeclaration::commit(declaration_from(entries, vec![warheads(), grams_heu()]))
        .unwrap();
    let sel = RangeSelector::category(label("warhead"));
    let e = a
        .commitment()
        .verify_range(&b.reveal_range(&sel), &[])
        .unwrap_err();
    assert!(e.is_finding(), "{e}");
}

#[test]
fn the_sample_is_deterministic_differs_by_seed_and_verifies() {
    let secret = fixture();
    let c = secret.commitment();
    let annexes = verified_annexes(&secret);
    let seed = [7u8; 32];
    let a = draw_sample(&c.digest(), c.entries(), &seed, 5).unwrap();
    let b = draw_sample(&c.digest(), c.entries(), &seed, 5).unwrap();
    assert_eq!(a, b);
    let mut distinct = a.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 5);
    assert!(a.iter().all(|&i| i < c.entries()));
    let other = draw_sample(&c.digest(), c.entries(), &[8u8; 32], 5).unwrap();
    assert_ne!(a, other);
    // A sample of n is the prefix of the sample of n + 1; the full draw is a permutation.
    let longer = draw_sample(&c.digest(), c.entries(), &seed, 6).unwrap();
    assert_eq!(&longer[..5], &a[..]);
    let mut all = draw_sample(&c.digest(), c.entries(), &seed, c.entries()).unwrap();
    all.sort_unstable();
    assert_eq!(all, (0..c.entries()).collect::<Vec<_>>());
    assert!(draw_sample(&c.digest(), c.entries(), &seed, c.entries() + 1).is_err());

    let reveal = secret.reveal_sample(&seed, 5).unwrap();
    let v = c.verify_sample(&reveal, &seed, 5, &annexes).unwrap();
    assert_eq!(v.entries.len(), 5);
    let json = serde_json::to_string(&reveal).unwrap();
    assert_eq!(serde_json::from_str::<SampleReveal>(&json).unwrap(), reveal);
}

#[test]
fn a_sample_not_drawn_from_the_stated_seed_fails() {
    let secret = fixture();
    let c = secret.commitment();
    let seed = [7u8; 32];
    let reveal = secret.reveal_sample(&seed, 4).unwrap();
    // Another seed, stated honestly in the reveal.
    let other = secret.reveal_sample(&[9u8; 32], 4).unwrap();
    assert!(matches!(
        c.verify_sample(&other, &seed, 4, &[]),
        Err(EscrowError::SeedMismatch { .. })
    ));
    // The right seed, but entries chosen by the state.
    let mut chosen = other.clone();
    chosen.seed = seed;
    assert!(matches!(
        c.verify_sample(&chosen, &seed, 4, &[]),
        Err(EscrowError::SampleMismatch { .. })
    ));
    // One entry fewer, or a size other than asked.
    let mut short = reveal.clone();
    short.entries.pop();
    assert!(matches!(
        c.verify_sample(&short, &seed, 4, &[]),
        Err(EscrowError::WrongCount { .. })
    ));
    assert!(c.verify_sample(&reveal, &seed, 5, &[]).is_err());
    // A tampered entry inside the sample.
    let mut bad = reveal;
    bad.entries[2].opening.salt.0[0] ^= 4;
    assert!(matches!(
        c.verify_sample(&bad, &seed, 4, &[]),
        Err(EscrowError::RootMismatch { .. })
    ));
}

#[test]
fn the_sample_draw_is_pinned() {
    // A known answer for the draw (docs/escrow-formats-draft.md, "Sample draw"):
    // commitment digest 00..00, N = 1000, seed 01..01, n = 10.
    let digest = custodian_ledger::Hash([0; 32]);
    let got = draw_sample(&digest, 1000, &[1u8; 32], 10).unwrap();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/vectors/escrow/sample-draw.json"),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let expected: Vec<u64> = serde_json::from_value(v["indices"].clone()).unwrap();
    assert_eq!(got, expected);
}

#[test]
fn a_reveal_or_proof_naming_an_uncommitted_measure_is_a_finding() {
    let secret = fixture();
    let c = secret.commitment();
    let mut reveal = secret.reveal_entry(0).unwrap();
    let mut m = reveal.opening.entry.measures().clone();
    m.insert(MeasureName::parse("grams_pu").unwrap(), 1);
    reveal.opening.entry = Entry::new(
        reveal.opening.entry.key().clone(),
        reveal.opening.entry.body().clone(),
        m,
    );
    let e = c.verify_entry(&reveal, &[]).unwrap_err();
    assert!(
        matches!(e, EscrowError::MeasureNotCommitted { .. }) && e.is_finding(),
        "{e}"
    );
    let mut proof = secret.prove_total_within(&warheads(), 10).unwrap();
    proof.measure = MeasureName::parse("grams_pu").unwrap();
    let e = c.verify_total_within(&proof).unwrap_err();
    assert!(
        matches!(e, EscrowError::MeasureNotCommitted { .. }) && e.is_finding(),
        "{e}"
    );
}
