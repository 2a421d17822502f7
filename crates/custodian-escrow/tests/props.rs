//! Property tests: for random declarations of 1 to 64 entries, every range
//! reveal (each category, each (category, region), absent ones) and every gap
//! verifies, and tampered ones fail.

use custodian_escrow::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn label(s: &str) -> Label {
    Label::parse(s).unwrap()
}

fn declaration(keys: &[(u8, u8, u16)]) -> Option<Declaration> {
    let entries: Vec<DeclaredEntry> = keys
        .iter()
        .enumerate()
        .map(|(i, &(c, r, id))| {
            let mut salt = [0u8; 32];
            salt[..8].copy_from_slice(&(i as u64).to_be_bytes());
            salt[31] = 0x5a;
            DeclaredEntry {
                entry: Entry::new(
                    SortKey {
                        category: label(&format!("c{c}")),
                        region: label(&format!("r{r}")),
                        id: label(&format!("id-{id}")),
                    },
                    EntryBody::Stock {
                        quantity: u64::from(id),
                        unit: MassUnit::Kilograms,
                    },
                    BTreeMap::new(),
                ),
                salt: Some(Salt(salt)),
            }
        })
        .collect();
    Declaration::new(Vec::new(), entries).ok()
}

fn keys() -> impl Strategy<Value = Vec<(u8, u8, u16)>> {
    prop::collection::btree_set((0u8..5, 0u8..4, 0u16..1000), 1..64)
        .prop_map(|s| s.into_iter().collect::<Vec<_>>())
        .prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_range_verifies_and_every_tampered_one_fails(keys in keys(), pick in any::<prop::sample::Index>(), bit in 0u8..8, byte in 0usize..32) {
        let d = declaration(&keys).expect("distinct keys");
        let secret = SecretDeclaration::commit(d).unwrap();
        let c = secret.commitment();
        let mut selectors = Vec::new();
        for cat in 0..6u8 {
            selectors.push(RangeSelector::category(label(&format!("c{cat}"))));
            for reg in 0..5u8 {
                selectors.push(RangeSelector::category_region(label(&format!("c{cat}")), label(&format!("r{reg}"))));
            }
        }
        for sel in &selectors {
            let reveal = secret.reveal_range(sel);
            let v = c.verify_range(&reveal, &[]);
            prop_assert!(v.is_ok(), "{}: {:?}", sel, v.err());
            let v = v.unwrap();
            let expected = secret.entries().iter().filter(|e| sel.contains(e.key())).count();
            prop_assert_eq!(v.entries.len(), expected);
            prop_assert!(reveal.proof.len() <= 2 * 7);

            // Tamper: a proof bit, a dropped entry, a salt, a neighbour.
            if !reveal.proof.is_empty() {
                let mut bad = reveal.clone();
                let h = pick.index(bad.proof.len());
                bad.proof[h].0[byte] ^= 1 << bit;
                prop_assert!(c.verify_range(&bad, &[]).is_err());
            }
            if !reveal.entries.is_empty() {
                let at = pick.index(reveal.entries.len());
                let mut bad = reveal.clone();
                bad.entries.remove(at);
                bad.end -= 1;
                prop_assert!(c.verify_range(&bad, &[]).is_err());
                let mut bad = reveal.clone();
                bad.entries[at].salt.0[byte] ^= 1 << bit;
                prop_assert!(c.verify_range(&bad, &[]).is_err());
            }
            if let Some(left) = &reveal.left {
                let mut bad = reveal.clone();
                let mut l = left.clone();
                l.blind[byte] ^= 1 << bit;
                bad.left = Some(l);
                prop_assert!(c.verify_range(&bad, &[]).is_err());
            }
        }
    }

    #[test]
    fn every_gap_verifies_and_tampered_gaps_fail(keys in keys(), probe in (0u8..6, 0u8..5, 0u16..1001), bit in 0u8..8, byte in 0usize..32) {
        let d = declaration(&keys).expect("distinct keys");
        let secret = SecretDeclaration::commit(d).unwrap();
        let c = secret.commitment();
        let k = SortKey {
            category: label(&format!("c{}", probe.0)),
            region: label(&format!("r{}", probe.1)),
            id: label(&format!("id-{}", probe.2)),
        };
        match secret.search(&k) {
            Ok(_) => prop_assert!(secret.prove_absent(&k).is_err()),
            Err(_) => {
                let gap = secret.prove_absent(&k).unwrap();
                prop_assert!(c.verify_gap(&gap).is_ok());
                for h in 0..gap.proof.len() {
                    let mut bad = gap.clone();
                    bad.proof[h].0[byte] ^= 1 << bit;
                    prop_assert!(c.verify_gap(&bad).is_err());
                }
                if let Some(r) = &gap.right {
                    let mut bad = gap.clone();
                    let mut r = r.clone();
                    r.id_key[byte] ^= 1 << bit;
                    bad.right = Some(r);
                    prop_assert!(c.verify_gap(&bad).is_err());
                }
            }
        }
    }

    #[test]
    fn samples_are_distinct_and_reproducible(n_entries in 1u64..200, seed in any::<[u8; 32]>(), frac in 0.0f64..1.0) {
        let n = ((n_entries as f64) * frac) as u64;
        let digest = custodian_ledger::Hash([9; 32]);
        let a = draw_sample(&digest, n_entries, &seed, n).unwrap();
        prop_assert_eq!(&a, &draw_sample(&digest, n_entries, &seed, n).unwrap());
        let mut s = a.clone();
        s.sort_unstable();
        s.dedup();
        prop_assert_eq!(s.len() as u64, n);
        prop_assert!(a.iter().all(|&i| i < n_entries));
    }
}
