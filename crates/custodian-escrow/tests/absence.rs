//! Incompleteness: gap proofs, key challenges, assessment from verified
//! reveals, and the order witness.

mod common;

use common::*;
use custodian_escrow::*;

#[test]
fn gaps_prove_keys_absent_in_the_middle_and_at_both_ends() {
    let secret = fixture();
    let c = secret.commitment();
    for k in [
        key("aaa", "north", "x"),                  // before every leaf
        key("enrichment", "north", "secret-site"), // between two leaves
        key("enrichment", "south", "yongbyon-2"),  // a region with no leaf
        key("warhead", "north", "w-0015"),         // between ids
        key("zzz", "north", "x"),                  // after every leaf
    ] {
        let gap = secret.prove_absent(&k).unwrap();
        let v = c.verify_gap(&gap).unwrap_or_else(|e| panic!("{k}: {e}"));
        assert!(v.covers(&k));
        let json = serde_json::to_string(&gap).unwrap();
        assert_eq!(serde_json::from_str::<GapProof>(&json).unwrap(), gap);
        // The gap shows the neighbours' keys, never their content or salt.
        assert!(!json.contains("salt") && !json.contains("location") && !json.contains("status"));
    }
    let present = key("warhead", "north", "w-002");
    assert!(matches!(
        secret.prove_absent(&present),
        Err(EscrowError::KeyPresent { .. })
    ));
}

#[test]
fn tampered_gaps_fail() {
    let secret = fixture();
    let c = secret.commitment();
    let k = key("enrichment", "north", "secret-site");
    let gap = secret.prove_absent(&k).unwrap();
    // A key outside the bracket.
    let mut bad = gap.clone();
    bad.key = key("warhead", "north", "w-002");
    assert!(matches!(
        c.verify_gap(&bad),
        Err(EscrowError::Neighbour { .. })
    ));
    // Swapped neighbours, a missing one, a wrong position.
    let mut bad = gap.clone();
    std::mem::swap(&mut bad.left, &mut bad.right);
    assert!(matches!(
        c.verify_gap(&bad),
        Err(EscrowError::Neighbour { .. })
    ));
    let mut bad = gap.clone();
    bad.right = None;
    assert!(matches!(
        c.verify_gap(&bad),
        Err(EscrowError::Neighbour {
            side: Side::Right,
            ..
        })
    ));
    let mut bad = gap.clone();
    bad.position += 1;
    assert!(c.verify_gap(&bad).is_err());
    let mut bad = gap.clone();
    bad.position = 100;
    assert!(matches!(
        c.verify_gap(&bad),
        Err(EscrowError::IndexOutOfRange { .. })
    ));
    // A neighbour whose key is made up, so that the bracket looks right.
    let mut bad = gap.clone();
    bad.right.as_mut().unwrap().key.id = label("zzzz");
    assert!(matches!(
        c.verify_gap(&bad),
        Err(EscrowError::RootMismatch { .. })
    ));
    // Two leaves that are not adjacent.
    let far = secret
        .prove_absent(&key("warhead", "west", "w-0205"))
        .unwrap();
    let mut bad = gap.clone();
    bad.right = far.right.clone();
    assert!(c.verify_gap(&bad).is_err());
    // Every bit of every proof hash.
    for h in 0..gap.proof.len() {
        for byte in 0..32 {
            for bit in 0..8 {
                let mut bad = gap.clone();
                flip(&mut bad.proof[h], byte, bit);
                assert!(matches!(
                    c.verify_gap(&bad),
                    Err(EscrowError::RootMismatch { .. })
                ));
            }
        }
    }
}

#[test]
fn a_key_challenge_is_answered_and_checked() {
    let secret = fixture();
    let c = secret.commitment();
    let annexes = verified_annexes(&secret);
    let declared = key("heu", "west", "s-1");
    match c
        .verify_key_response(&declared, &secret.respond(&declared).unwrap(), &annexes)
        .unwrap()
    {
        KeyStatus::Declared(e) => assert_eq!(e.entry.key(), &declared),
        other => panic!("{other:?}"),
    }
    let undeclared = key("enrichment", "south", "hidden-cascade-hall");
    let response = secret.respond(&undeclared).unwrap();
    assert!(matches!(
        c.verify_key_response(&undeclared, &response, &annexes)
            .unwrap(),
        KeyStatus::Absent(_)
    ));
    // An answer about another key.
    assert!(matches!(
        c.verify_key_response(&undeclared, &secret.respond(&declared).unwrap(), &annexes),
        Err(EscrowError::WrongKey { .. })
    ));
    assert!(matches!(
        c.verify_key_response(&declared, &response, &annexes),
        Err(EscrowError::WrongKey { .. })
    ));
}

#[test]
fn assessment_from_verified_reveals() {
    let secret = fixture();
    let c = secret.commitment();
    let north = c
        .verify_range(
            &secret.reveal_range(&RangeSelector::category_region(
                label("enrichment"),
                label("north"),
            )),
            &[],
        )
        .unwrap();
    let entry = c
        .verify_entry(&secret.reveal_entry(11).unwrap(), &[])
        .unwrap();
    let ranges = vec![north];
    let entries = vec![entry.clone()];
    // Declared: opened in the range, or as a single entry.
    assert_eq!(
        assess(
            &key("enrichment", "north", "yongbyon"),
            &ranges,
            &entries,
            &[]
        ),
        Assessment::Declared {
            index: ranges[0].start
        }
    );
    assert_eq!(
        assess(entry.entry.key(), &ranges, &entries, &[]),
        Assessment::Declared { index: 11 }
    );
    // An undeclared site in a region revealed complete: incomplete declaration.
    assert!(matches!(
        assess(
            &key("enrichment", "north", "undeclared-hall"),
            &ranges,
            &entries,
            &[]
        ),
        Assessment::Undeclared(Evidence::Range { i: 0, .. })
    ));
    // In a region not yet revealed: undetermined until the state answers.
    let elsewhere = key("enrichment", "west", "undeclared-hall");
    assert_eq!(
        assess(&elsewhere, &ranges, &entries, &[]),
        Assessment::Undetermined
    );
    let gap = c
        .verify_gap(&secret.prove_absent(&elsewhere).unwrap())
        .unwrap();
    assert!(matches!(
        assess(&elsewhere, &ranges, &entries, &[gap]),
        Assessment::Undeclared(Evidence::Gap { i: 0 })
    ));
}

#[test]
fn the_order_witness_accepts_consistent_reveals_and_catches_disorder() {
    let secret = fixture();
    let c = secret.commitment();
    let mut w = OrderWitness::new();
    for sel in [
        RangeSelector::category(label("heu")),
        RangeSelector::category_region(label("warhead"), label("north")),
        RangeSelector::category(label("enrichment")),
    ] {
        w.record_range(&c.verify_range(&secret.reveal_range(&sel), &[]).unwrap())
            .unwrap();
    }
    let seed = [5u8; 32];
    let sample = c
        .verify_sample(&secret.reveal_sample(&seed, 6).unwrap(), &seed, 6, &[])
        .unwrap();
    w.record_sample(&sample).unwrap();
    let gap = c
        .verify_gap(
            &secret
                .prove_absent(&key("warhead", "west", "w-0205"))
                .unwrap(),
        )
        .unwrap();
    w.record_gap(&gap).unwrap();

    // A commitment whose leaves were not sorted shows up as disorder.
    let obs = |index, c: &str, r: &str, id: Option<&str>| Observation {
        index,
        category: label(c),
        region: label(r),
        id: id.map(label),
    };
    let mut w = OrderWitness::new();
    w.record(obs(2, "warhead", "north", Some("w-5"))).unwrap();
    w.record(obs(7, "warhead", "north", None)).unwrap();
    w.record(obs(9, "warhead", "west", Some("w-1"))).unwrap();
    assert!(matches!(
        w.record(obs(5, "warhead", "north", Some("w-4"))),
        Err(EscrowError::OutOfOrder { .. })
    ));
    assert!(matches!(
        w.record(obs(8, "enrichment", "north", None)),
        Err(EscrowError::OutOfOrder { .. })
    ));
    assert!(matches!(
        w.record(obs(2, "warhead", "north", Some("w-6"))),
        Err(EscrowError::OutOfOrder { .. })
    ));
    w.record(obs(5, "warhead", "north", Some("w-6"))).unwrap();
}
