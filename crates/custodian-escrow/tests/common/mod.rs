//! Fixtures shared by the integration tests.
#![allow(dead_code)]

use custodian_escrow::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub fn label(s: &str) -> Label {
    Label::parse(s).unwrap()
}

pub fn key(c: &str, r: &str, id: &str) -> SortKey {
    SortKey {
        category: label(c),
        region: label(r),
        id: label(id),
    }
}

/// A deterministic salt for fixtures.
pub fn salt(i: u64) -> Salt {
    Salt(Sha256::digest(format!("fixture salt {i}")).into())
}

pub fn warheads() -> MeasureName {
    MeasureName::parse("deployed_warheads").unwrap()
}

pub fn grams_heu() -> MeasureName {
    MeasureName::parse("grams_heu").unwrap()
}

/// An item entry (a warhead) with `deployed` count 1 if deployed.
pub fn item(region: &str, id: &str, deployed: bool) -> Entry {
    let mut m = BTreeMap::new();
    if deployed {
        m.insert(warheads(), 1);
    }
    Entry::new(
        key("warhead", region, id),
        EntryBody::Item {
            item_type: label("w-type-a"),
            site: label(&format!("base-{region}")),
            status: if deployed {
                ItemStatus::Deployed
            } else {
                ItemStatus::Stored
            },
        },
        m,
    )
}

pub fn site(category: &str, region: &str, id: &str) -> Entry {
    Entry::new(
        key(category, region, id),
        EntryBody::Site {
            kind: label(category),
            location: Text::parse(&format!("somewhere in the {region}")).unwrap(),
        },
        BTreeMap::new(),
    )
}

pub fn stock(region: &str, id: &str, grams: u64) -> Entry {
    let mut m = BTreeMap::new();
    m.insert(grams_heu(), grams);
    Entry::new(
        key("heu", region, id),
        EntryBody::Stock {
            quantity: grams,
            unit: MassUnit::Grams,
        },
        m,
    )
}

/// The standard fixture: 3 enrichment sites, 2 HEU stocks, 7 warheads (5
/// deployed), in shuffled order, with fixed salts.
pub fn fixture_entries() -> Vec<Entry> {
    vec![
        item("north", "w-003", true),
        site("enrichment", "north", "yongbyon"),
        stock("west", "s-1", 12_000),
        item("north", "w-001", true),
        item("east", "w-010", false),
        site("enrichment", "east", "kangson"),
        item("west", "w-020", true),
        stock("north", "s-2", 3_500),
        item("north", "w-002", false),
        site("enrichment", "west", "site-x"),
        item("east", "w-011", true),
        item("west", "w-021", true),
    ]
}

pub fn declaration_from(entries: Vec<Entry>, measures: Vec<MeasureName>) -> Declaration {
    let declared = entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| DeclaredEntry {
            entry,
            salt: Some(salt(i as u64)),
        })
        .collect();
    Declaration::new(measures, declared).unwrap()
}

pub fn fixture() -> SecretDeclaration {
    SecretDeclaration::commit(declaration_from(
        fixture_entries(),
        vec![warheads(), grams_heu()],
    ))
    .unwrap()
}

pub fn verified_annexes(secret: &SecretDeclaration) -> Vec<VerifiedAnnex> {
    let c = secret.commitment();
    secret
        .annexes()
        .into_iter()
        .map(|a| c.verify_annex(a).unwrap())
        .collect()
}

/// Flips one bit of one byte of a hash.
pub fn flip(h: &mut custodian_ledger::Hash, byte: usize, bit: u8) {
    h.0[byte] ^= 1 << bit;
}
