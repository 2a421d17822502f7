//! The declaration: JSON parsing, validation with field paths, sorting,
//! duplicate keys and salts, canonical commitment.

mod common;

use common::*;
use custodian_escrow::*;

const GOOD: &str = r#"{
  "scheme": "custodian/escrow/v1",
  "measures": ["deployed_warheads"],
  "entries": [
    {"entry": "item", "category": "warhead", "region": "north", "id": "w-0002",
     "type": "icbm-warhead", "site": "base-3", "status": "deployed",
     "measures": {"deployed_warheads": 1}},
    {"entry": "site", "category": "enrichment", "region": "north", "id": "yongbyon-1",
     "kind": "enrichment", "location": "39.79 N 125.75 E"},
    {"entry": "stock", "category": "heu", "region": "north", "id": "stock-1",
     "quantity": 12000, "unit": "g"},
    {"entry": "item", "category": "warhead", "region": "north", "id": "w-0001",
     "type": "icbm-warhead", "site": "base-3", "status": "awaiting-dismantlement"}
  ]
}"#;

fn err(text: &str) -> EscrowError {
    Declaration::from_json(text).unwrap_err()
}

fn with_entry(entry: &str) -> String {
    format!(r#"{{"measures": ["deployed_warheads"], "entries": [{entry}]}}"#)
}

const ITEM: &str = r#"{"entry": "item", "category": "warhead", "region": "north", "id": "w-1", "type": "t", "site": "s", "status": "deployed"}"#;

#[test]
fn parses_sorts_and_round_trips() {
    let d = Declaration::from_json(GOOD).unwrap();
    let keys: Vec<String> = d.entries().iter().map(|e| e.key().to_string()).collect();
    assert_eq!(
        keys,
        [
            "(enrichment, north, yongbyon-1)",
            "(heu, north, stock-1)",
            "(warhead, north, w-0001)",
            "(warhead, north, w-0002)"
        ]
    );
    let again = Declaration::from_json(&d.to_json()).unwrap();
    assert_eq!(again, d);
}

#[test]
fn committing_with_all_salts_is_deterministic_and_the_secret_json_recommits() {
    let secret = fixture();
    let again = fixture();
    assert_eq!(secret.commitment(), again.commitment());
    let json = secret.declaration().to_json();
    let recommitted = SecretDeclaration::commit(Declaration::from_json(&json).unwrap()).unwrap();
    assert_eq!(recommitted.commitment(), secret.commitment());
    // The commitment's JSON round-trips, and its digest is stable.
    let c = Commitment::from_json(&secret.commitment().to_json()).unwrap();
    assert_eq!(&c, secret.commitment());
    assert_eq!(c.digest(), secret.commitment().digest());
    assert_eq!(c.entries(), 12);
}

#[test]
fn random_salts_hide_equal_declarations() {
    let d = Declaration::from_json(GOOD).unwrap();
    let a = SecretDeclaration::commit(d.clone()).unwrap();
    let b = SecretDeclaration::commit(d).unwrap();
    assert_ne!(a.commitment().root(), b.commitment().root());
    assert!(a.declaration().salts().iter().all(Option::is_some));
}

#[test]
fn the_root_pins_the_canonical_encoding() {
    // A known answer computed by an independent implementation of
    // docs/escrow-formats-draft.md: any change to the entry bytes, leaf
    // preimage, tags or tree changes it.
    let secret = SecretDeclaration::commit(declaration_from(
        vec![
            site("enrichment", "north", "yongbyon"),
            site("enrichment", "east", "kangson"),
            site("storage", "west", "depot-1"),
        ],
        vec![],
    ))
    .unwrap();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/vectors/escrow/three-sites-root.json"),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v["source"].is_string());
    assert_eq!(
        secret.commitment().root().to_hex(),
        v["root"].as_str().unwrap(),
        "the canonical encoding changed"
    );
}

#[test]
fn bad_text_fields_name_the_entry_and_field() {
    let cases = [
        (
            ITEM.replace(r#""id": "w-1""#, r#""id": """#),
            "entries[0].id",
        ),
        (
            ITEM.replace(r#""id": "w-1""#, &format!(r#""id": "{}""#, "x".repeat(65))),
            "entries[0].id",
        ),
        (
            ITEM.replace(r#""id": "w-1""#, r#""id": "w\u0007""#),
            "entries[0].id",
        ),
        (
            ITEM.replace(r#""id": "w-1""#, r#""id": " w-1""#),
            "entries[0].id",
        ),
        (
            ITEM.replace(r#""category": "warhead""#, r#""category": "war\nhead""#),
            "entries[0].category",
        ),
        (
            ITEM.replace(r#""status": "deployed""#, r#""status": "lost""#),
            "entries[0].status",
        ),
        (
            ITEM.replace(r#""site": "s""#, r#""site": "s", "colour": "red""#),
            "entries[0]",
        ),
        (
            ITEM.replace(r#""entry": "item""#, r#""entry": "ship""#),
            "entries[0]",
        ),
    ];
    for (entry, at) in cases {
        let e = err(&with_entry(&entry));
        let text = e.to_string();
        assert!(text.starts_with(at), "{text} should start with {at}");
    }
    // Text fields allow 256 bytes, not 257.
    let site = |loc: &str| {
        format!(
            r#"{{"entry": "site", "category": "c", "region": "r", "id": "i", "kind": "k", "location": "{loc}"}}"#
        )
    };
    assert!(Declaration::from_json(&with_entry(&site(&"x".repeat(256)))).is_ok());
    let e = err(&with_entry(&site(&"x".repeat(257))));
    assert!(e.to_string().starts_with("entries[0].location"), "{e}");
}

#[test]
fn duplicate_keys_are_refused_naming_both_entries() {
    let text = format!(
        r#"{{"entries": [{ITEM}, {}, {ITEM}]}}"#,
        ITEM.replace("w-1", "w-2")
    );
    match err(&text) {
        EscrowError::DuplicateKey {
            entry,
            first,
            field,
            key,
        } => {
            assert_eq!((entry, first, field), (2, 0, "id"));
            assert_eq!(key, "(warhead, north, w-1)");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_reused_salt_is_refused() {
    let s = "11".repeat(32);
    let a = ITEM.replace(
        r#""status": "deployed""#,
        &format!(r#""status": "deployed", "salt": "{s}""#),
    );
    let b = a.replace("w-1", "w-2");
    match err(&format!(r#"{{"entries": [{a}, {b}]}}"#)) {
        EscrowError::SaltReused { entry, first } => assert_eq!((entry, first), (1, 0)),
        other => panic!("{other}"),
    }
    let bad = ITEM.replace(
        r#""status": "deployed""#,
        r#""status": "deployed", "salt": "12""#,
    );
    assert!(err(&with_entry(&bad))
        .to_string()
        .starts_with("entries[0].salt"));
}

#[test]
fn measures_are_checked() {
    let unknown = ITEM.replace(
        r#""status": "deployed""#,
        r#""status": "deployed", "measures": {"grams_pu": 3}"#,
    );
    match err(&with_entry(&unknown)) {
        EscrowError::UnknownMeasure { at, measure, .. } => {
            assert_eq!(at, "entries[0].measures");
            assert_eq!(measure, "grams_pu");
        }
        other => panic!("{other}"),
    }
    let e = err(r#"{"measures": ["a", "b", "a"], "entries": []}"#);
    assert!(e.to_string().starts_with("measures[2]"), "{e}");
    let e = err(r#"{"measures": ["Bad-Name"], "entries": []}"#);
    assert!(e.to_string().starts_with("measures[0]"), "{e}");
    let e = err(r#"{"scheme": "custodian/escrow/v0", "entries": []}"#);
    assert!(e.to_string().starts_with("scheme"), "{e}");
    let e = err(r#"{"entries": [], "extra": 1}"#);
    assert!(matches!(e, EscrowError::Json { .. }), "{e}");
}

#[test]
fn a_total_that_overflows_is_refused() {
    let big = |id: &str| {
        ITEM.replace("w-1", id).replace(
            r#""status": "deployed""#,
            r#""status": "deployed", "measures": {"deployed_warheads": 18446744073709551615}"#,
        )
    };
    let d = Declaration::from_json(&format!(
        r#"{{"measures": ["deployed_warheads"], "entries": [{}, {}]}}"#,
        big("a"),
        big("b")
    ))
    .unwrap();
    assert!(matches!(
        SecretDeclaration::commit(d),
        Err(EscrowError::TotalOverflow { .. })
    ));
}

#[test]
fn commitment_json_is_parsed_strictly() {
    let c = fixture().commitment().to_json();
    assert!(
        Commitment::from_json(&c.replace("custodian/escrow/v1", "custodian/escrow/v2")).is_err()
    );
    assert!(Commitment::from_json(&c.replace("\"entries\"", "\"extra\": 1, \"entries\"")).is_err());
    // Measures out of order.
    let v: serde_json::Value = serde_json::from_str(&c).unwrap();
    let mut swapped = v.clone();
    swapped["measures"].as_array_mut().unwrap().reverse();
    assert!(Commitment::from_json(&swapped.to_string()).is_err());
    // A total that is not a ristretto255 encoding (RFC 9496 A.2, s = -1).
    let mut bad = v;
    bad["measures"][0]["total"] =
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f".into();
    assert!(Commitment::from_json(&bad.to_string()).is_err());
}

#[test]
fn the_empty_declaration_commits_to_the_empty_root() {
    let secret =
        SecretDeclaration::commit(Declaration::from_json(r#"{"entries": []}"#).unwrap()).unwrap();
    assert_eq!(
        *secret.commitment().root(),
        custodian_ledger::hash::empty_root()
    );
    let reveal = secret.reveal_range(&RangeSelector::category(label("warhead")));
    let v = secret.commitment().verify_range(&reveal, &[]).unwrap();
    assert!(v.entries.is_empty());
}
