//! The escrow on the ledger (`ledger.rs`): what is refused, what is verified,
//! and the findings, from events as the log holds them.

mod common;

use common::{fixture, label};
use custodian_core::{Event, LeafIndex, Party, StateCode};
use custodian_escrow::ledger::{EscrowLedger, FindingKind};
use custodian_escrow::{RangeSelector, SecretDeclaration};
use custodian_ledger::checkpoint::{sign_checkpoint, Checkpoint};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::Hash;
use serde_json::{json, Value};

const ORIGIN: &str = "custodian.test/escrow-ledger";

fn event(id: &str, kind: &str, payload: Value) -> Event {
    Event::from_json(json!({
        "v": 1, "id": id, "time": "2026-02-01T00:00:00Z", "actor": "xaa-1",
        "kind": kind, "payload": payload, "approvals": []
    }))
    .unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn xaa() -> Party {
    Party::State(StateCode::parse("XAA").unwrap())
}

fn commit_payload(secret: &SecretDeclaration) -> Value {
    let commitment: Value = serde_json::from_str(&secret.commitment().to_json()).unwrap();
    json!({
        "declaration": "d1", "state": "XAA", "as_of": "2026-01-01", "scope": "everything",
        "commitment": commitment, "annexes": secret.annexes(),
    })
}

fn committed() -> (EscrowLedger, SecretDeclaration) {
    let secret = fixture();
    let mut ledger = EscrowLedger::new(ORIGIN);
    ledger
        .apply(
            LeafIndex(3),
            &event("c", "escrow.commit", commit_payload(&secret)),
            &xaa(),
        )
        .unwrap();
    (ledger, secret)
}

fn seed_note(size: u64) -> String {
    let key = SigningKey::from_seed(ORIGIN, [9; 32]).unwrap();
    let cp = Checkpoint::new(
        ORIGIN,
        custodian_core::TreeSize(size),
        Hash([size as u8; 32]),
    )
    .unwrap();
    sign_checkpoint(&cp, &key)
}

#[test]
fn commitments_are_refused_when_malformed_misattributed_or_repeated() {
    let secret = fixture();
    let mut ledger = EscrowLedger::new(ORIGIN);
    let other = Party::State(StateCode::parse("XBB").unwrap());
    let e = ledger
        .apply(
            LeafIndex(1),
            &event("c", "escrow.commit", commit_payload(&secret)),
            &other,
        )
        .unwrap_err();
    assert_eq!(e.field, "payload.state", "{e}");
    let mut no_annex = commit_payload(&secret);
    no_annex["annexes"] = json!([]);
    let e = ledger
        .apply(LeafIndex(1), &event("c", "escrow.commit", no_annex), &xaa())
        .unwrap_err();
    assert!(
        e.message.contains("annex of every committed measure"),
        "{e}"
    );
    let mut bad_root = commit_payload(&secret);
    bad_root["commitment"]["root"] = json!("zz");
    let e = ledger
        .apply(LeafIndex(1), &event("c", "escrow.commit", bad_root), &xaa())
        .unwrap_err();
    assert!(e.field.starts_with("payload.commitment"), "{e}");
    let mut wrong_total = commit_payload(&secret);
    wrong_total["annexes"][0]["commitments"][0] =
        wrong_total["annexes"][0]["commitments"][1].clone();
    let e = ledger
        .apply(
            LeafIndex(1),
            &event("c", "escrow.commit", wrong_total),
            &xaa(),
        )
        .unwrap_err();
    assert_eq!(e.field, "payload.annexes[0]", "{e}");
    ledger
        .apply(
            LeafIndex(1),
            &event("c", "escrow.commit", commit_payload(&secret)),
            &xaa(),
        )
        .unwrap();
    let e = ledger
        .apply(
            LeafIndex(2),
            &event("c2", "escrow.commit", commit_payload(&secret)),
            &xaa(),
        )
        .unwrap_err();
    assert!(e.message.contains("not yet used"), "{e}");
}

#[test]
fn reveals_verify_and_a_failing_one_is_a_finding() {
    let (mut ledger, secret) = committed();
    let range = secret.reveal_range(&RangeSelector::category(label("enrichment")));
    let reveal = |r: Value| json!({"declaration": "d1", "mode": "range", "reveal": r});
    ledger
        .apply(
            LeafIndex(4),
            &event(
                "r1",
                "escrow.reveal",
                reveal(serde_json::to_value(&range).unwrap()),
            ),
            &xaa(),
        )
        .unwrap();
    // Another state cannot reveal for XAA; an unknown declaration is refused.
    let other = Party::State(StateCode::parse("XBB").unwrap());
    let e = ledger
        .apply(
            LeafIndex(5),
            &event(
                "r2",
                "escrow.reveal",
                reveal(serde_json::to_value(&range).unwrap()),
            ),
            &other,
        )
        .unwrap_err();
    assert!(e.message.contains("acting for state:XAA"), "{e}");
    // A range with an entry dropped: kept, and a finding.
    let mut short = serde_json::to_value(&range).unwrap();
    short["entries"].as_array_mut().unwrap().remove(1);
    ledger
        .apply(
            LeafIndex(6),
            &event("r3", "escrow.reveal", reveal(short)),
            &xaa(),
        )
        .unwrap();
    let d = ledger.declarations().next().unwrap().1;
    assert_eq!(d.revealed_leaves(), 3);
    let findings = ledger.findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].kind, FindingKind::RevealInvalid);
    assert_eq!(findings[0].events[1].event.as_str(), "r3");
}

#[test]
fn samples_need_a_later_seed_and_observations_become_findings() {
    let (mut ledger, secret) = committed();
    let challenge = |size: u64| json!({"declaration": "d1", "request": "sample", "n": 4, "seed_checkpoint": seed_note(size)});
    // A seed from before (or at) the commitment's leaf could have been chosen.
    let e = ledger
        .apply(
            LeafIndex(4),
            &event("s0", "escrow.challenge", challenge(3)),
            &Party::Body("inspectorate".into()),
        )
        .unwrap_err();
    assert!(e.message.contains("after the commitment"), "{e}");
    ledger
        .apply(
            LeafIndex(4),
            &event("s1", "escrow.challenge", challenge(4)),
            &Party::Body("inspectorate".into()),
        )
        .unwrap();
    assert_eq!(ledger.findings()[0].kind, FindingKind::ChallengeOpen);
    let seed = [4u8; 32];
    let sample = secret.reveal_sample(&seed, 4).unwrap();
    ledger
        .apply(
            LeafIndex(5),
            &event(
                "s2",
                "escrow.reveal",
                json!({"declaration": "d1", "mode": "sample", "answers": "s1", "reveal": sample}),
            ),
            &xaa(),
        )
        .unwrap();
    assert!(ledger.findings().is_empty(), "{:?}", ledger.findings());
    // An enrichment site that existed before the declaration, not in it.
    let observe = json!({"state": "XAA", "entry": "site", "category": "enrichment", "region": "north",
        "id": "hall-2", "description": "a second hall", "existed_since": "2019-01-01"});
    ledger
        .apply(
            LeafIndex(6),
            &event("o1", "inspection.observe", observe),
            &Party::Body("inspectorate".into()),
        )
        .unwrap();
    let f = ledger.findings();
    assert_eq!(f[0].kind, FindingKind::Unresolved, "{f:?}");
    // The complete enrichment category, revealed: the site is proven undeclared.
    let range = secret.reveal_range(&RangeSelector::category_region(
        label("enrichment"),
        label("north"),
    ));
    ledger
        .apply(
            LeafIndex(7),
            &event(
                "r1",
                "escrow.reveal",
                json!({"declaration": "d1", "mode": "range", "reveal": range}),
            ),
            &xaa(),
        )
        .unwrap();
    let f = ledger.findings();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].kind, FindingKind::Undeclared);
    let cited: Vec<&str> = f[0].events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(cited, ["c", "o1", "r1"]);
    // A declared site observed is no finding; nor is one built after the declaration's date.
    for (id, since) in [("yongbyon", "2000-01-01"), ("hall-3", "2026-06-01")] {
        let observe = json!({"state": "XAA", "entry": "site", "category": "enrichment", "region": "north",
            "id": id, "description": "seen", "existed_since": since});
        ledger
            .apply(
                LeafIndex(8),
                &event(&format!("o-{id}"), "inspection.observe", observe),
                &Party::Body("inspectorate".into()),
            )
            .unwrap();
    }
    assert_eq!(ledger.findings().len(), 1);
}
