//! Pedersen commitments and Bulletproofs: RFC 9496 ristretto255 vectors, the
//! generators, the annex, and totals within a limit.

mod common;

use common::*;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use custodian_escrow::pedersen::pedersen_gens;
use custodian_escrow::*;
use serde_json::Value;
use std::path::Path;

fn vector(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        v["source"].as_str().unwrap().contains("RFC"),
        "{name} names its source"
    );
    v
}

fn bytes32(hex: &str) -> [u8; 32] {
    custodian_core::encoding::unhex(hex)
        .unwrap()
        .try_into()
        .unwrap()
}

#[test]
fn rfc9496_multiples_of_the_generator() {
    let v = vector("ristretto255/multiples-of-generator.json");
    let b = pedersen_gens().B;
    let mut acc = RistrettoPoint::default();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 16);
    for case in cases {
        let k = case["multiple"].as_u64().unwrap();
        let expected = bytes32(case["encoding"].as_str().unwrap());
        // Repeated addition (B[i+1] = B[i] + B) and scalar multiplication agree.
        assert_eq!(acc.compress().to_bytes(), expected, "[{k}]B by addition");
        assert_eq!(
            (b * Scalar::from(k)).compress().to_bytes(),
            expected,
            "[{k}]B by multiplication"
        );
        // Decoding and re-encoding is the identity.
        let decoded = CompressedRistretto(expected).decompress().unwrap();
        assert_eq!(decoded.compress().to_bytes(), expected);
        acc += b;
    }
}

#[test]
fn rfc9496_invalid_encodings_are_rejected() {
    let v = vector("ristretto255/invalid-encodings.json");
    let mut count = 0;
    for group in v["groups"].as_array().unwrap() {
        for enc in group["encodings"].as_array().unwrap() {
            let bytes = bytes32(enc.as_str().unwrap());
            assert!(
                CompressedRistretto(bytes).decompress().is_none(),
                "{}: {}",
                group["desc"],
                enc
            );
            count += 1;
        }
    }
    assert_eq!(count, 29);
}

#[test]
fn rfc9496_element_derivation_from_uniform_bytes() {
    let v = vector("ristretto255/from-uniform-bytes.json");
    for case in v["cases"].as_array().unwrap() {
        let input: [u8; 64] = custodian_core::encoding::unhex(case["input"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let expected = bytes32(case["output"].as_str().unwrap());
        assert_eq!(
            RistrettoPoint::from_uniform_bytes(&input)
                .compress()
                .to_bytes(),
            expected
        );
    }
    let same = &v["same_output"];
    let expected = bytes32(same["output"].as_str().unwrap());
    for input in same["inputs"].as_array().unwrap() {
        let input: [u8; 64] = custodian_core::encoding::unhex(input.as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(
            RistrettoPoint::from_uniform_bytes(&input)
                .compress()
                .to_bytes(),
            expected
        );
    }
}

#[test]
fn the_pedersen_generators_are_the_documented_ones() {
    let g = pedersen_gens();
    // B is the ristretto255 generator: RFC 9496 A.1's B[1].
    let v = vector("ristretto255/multiples-of-generator.json");
    let b1 = bytes32(v["cases"][1]["encoding"].as_str().unwrap());
    assert_eq!(g.B.compress().to_bytes(), b1);
    assert_eq!(g.B, curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT);
    // B̃ = hash_from_bytes::<Sha3_512>(B's encoding) (bulletproofs 5.0.0
    // generators.rs); pinned so that a change of crate cannot move it.
    assert_eq!(
        custodian_core::encoding::hex(g.B_blinding.compress().as_bytes()),
        "8c9240b456a9e6dc65c377a1048d745f94a08cdb7f44cbcd7b46f34048871134"
    );
}

#[test]
fn the_annex_adds_up_and_is_checked() {
    let secret = fixture();
    let c = secret.commitment();
    for annex in secret.annexes() {
        // Round trips as bytes and as JSON.
        let bytes = annex.to_bytes();
        assert_eq!(Annex::from_bytes(&bytes).unwrap(), annex);
        let json = serde_json::to_string(&annex).unwrap();
        assert_eq!(serde_json::from_str::<Annex>(&json).unwrap(), annex);
        assert_eq!(
            custodian_ledger::Hash(
                sha2::Digest::finalize(sha2::Digest::chain_update(
                    <sha2::Sha256 as sha2::Digest>::new(),
                    &bytes
                ))
                .into()
            ),
            annex.digest(),
            "the digest is SHA-256 of the annex bytes"
        );
        c.verify_annex(annex.clone()).unwrap();
        // Truncated or padded bytes.
        assert!(Annex::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut padded = bytes.clone();
        padded.push(0);
        assert!(Annex::from_bytes(&padded).is_err());
        // A swapped pair keeps the sum but not the digest.
        let mut swapped = annex.commitments().to_vec();
        swapped.swap(0, 1);
        let mut b = Annex::from_bytes(&bytes).unwrap().to_bytes();
        let off = bytes.len() - 32 * swapped.len();
        for (i, p) in swapped.iter().enumerate() {
            b[off + 32 * i..off + 32 * i + 32].copy_from_slice(p.as_bytes());
        }
        let e = c.verify_annex(Annex::from_bytes(&b).unwrap()).unwrap_err();
        assert!(matches!(e, EscrowError::Annex { .. }), "{e}");
    }
}

#[test]
fn a_total_within_the_limit_is_proven_without_revealing_it() {
    let secret = fixture();
    let c = secret.commitment();
    // 5 deployed warheads in the fixture.
    for limit in [5, 6, 1550, u64::MAX] {
        let proof = secret.prove_total_within(&warheads(), limit).unwrap();
        c.verify_total_within(&proof).unwrap();
        let json = serde_json::to_string(&proof).unwrap();
        assert_eq!(
            serde_json::from_str::<TotalLimitProof>(&json).unwrap(),
            proof
        );
    }
    let range = secret.prove_total_range64(&grams_heu()).unwrap();
    c.verify_total_range64(&range).unwrap();
}

#[test]
fn a_total_above_the_limit_cannot_be_proven() {
    let secret = fixture();
    for limit in [0, 4] {
        assert!(matches!(
            secret.prove_total_within(&warheads(), limit),
            Err(EscrowError::AboveLimit { .. })
        ));
    }
    assert!(secret
        .prove_total_within(&MeasureName::parse("grams_pu").unwrap(), 9)
        .is_err());
}

#[test]
fn a_proof_for_a_wrong_limit_or_commitment_fails() {
    let secret = fixture();
    let c = secret.commitment();
    let proof = secret.prove_total_within(&warheads(), 1550).unwrap();
    for limit in [4, 5, 1549, 1551] {
        let mut bad = proof.clone();
        bad.limit = limit;
        let e = c.verify_total_within(&bad).unwrap_err();
        assert!(
            e.is_finding() && matches!(e, EscrowError::TotalProof { .. }),
            "{e}"
        );
    }
    // The same declaration committed with other salts: another commitment.
    let mut entries = fixture_entries();
    entries.push(item("south", "w-099", true));
    let other = SecretDeclaration::commit(declaration_from(entries, vec![warheads(), grams_heu()]))
        .unwrap();
    assert!(other.commitment().verify_total_within(&proof).is_err());
    assert!(c
        .verify_total_within(&other.prove_total_within(&warheads(), 1550).unwrap())
        .is_err());
    // The proof of another measure.
    let mut bad = secret.prove_total_within(&grams_heu(), 1_000_000).unwrap();
    bad.measure = warheads();
    bad.limit = 1_000_000;
    assert!(c.verify_total_within(&bad).is_err());
    // The single proof is not an aggregated one.
    let single = secret.prove_total_range64(&warheads()).unwrap();
    let mut bad = proof.clone();
    bad.proof = single.proof.clone();
    assert!(c.verify_total_within(&bad).is_err());
}

#[test]
fn every_byte_of_a_total_proof_matters() {
    let secret = fixture();
    let c = secret.commitment();
    let proof = secret.prove_total_within(&warheads(), 1550).unwrap();
    assert_eq!(
        proof.proof.len(),
        32 * (2 * 7 + 9),
        "2 log2(2·64) + 9 elements"
    );
    for i in 0..proof.proof.len() {
        let mut bad = proof.clone();
        bad.proof[i] ^= 0x01;
        assert!(c.verify_total_within(&bad).is_err(), "byte {i}");
    }
    let single = secret.prove_total_range64(&grams_heu()).unwrap();
    assert_eq!(
        single.proof.len(),
        32 * (2 * 6 + 9),
        "2 log2(64) + 9 elements"
    );
    for i in 0..single.proof.len() {
        let mut bad = single.clone();
        bad.proof[i] ^= 0x80;
        assert!(c.verify_total_range64(&bad).is_err(), "byte {i}");
    }
    let mut short = proof;
    short.proof.pop();
    assert!(c.verify_total_within(&short).is_err());
}

#[test]
fn a_total_opening_verifies_and_round_trips() {
    let secret = fixture();
    let c = secret.commitment();
    // 5 deployed warheads and 15,500 grams of HEU in the fixture.
    for (measure, value) in [(warheads(), 5), (grams_heu(), 15_500)] {
        let opening = secret.total_opening(&measure).unwrap();
        assert_eq!(opening.measure, measure);
        assert_eq!(opening.value, value);
        c.verify_total_opening(&opening).unwrap();
        let json = serde_json::to_string(&opening).unwrap();
        assert_eq!(
            serde_json::from_str::<TotalOpening>(&json).unwrap(),
            opening
        );
        // The same secret opens the same total the same way.
        assert_eq!(secret.total_opening(&measure).unwrap(), opening);
    }
}

#[test]
fn a_total_opening_with_another_value_or_blinding_fails() {
    let secret = fixture();
    let c = secret.commitment();
    let opening = secret.total_opening(&warheads()).unwrap();
    for value in [0, 4, 6, 7, u64::MAX] {
        let mut bad = opening.clone();
        bad.value = value;
        let e = c.verify_total_opening(&bad).unwrap_err();
        assert!(
            e.is_finding() && matches!(e, EscrowError::TotalOpening { value: v, .. } if v == value),
            "{e}"
        );
    }
    // A blinding off by one; the blinding of the other measure's total; zero.
    let other = secret.total_opening(&grams_heu()).unwrap();
    for blinding in [
        opening.blinding + Scalar::ONE,
        opening.blinding - Scalar::ONE,
        other.blinding,
        Scalar::ZERO,
    ] {
        let mut bad = opening.clone();
        bad.blinding = blinding;
        let e = c.verify_total_opening(&bad).unwrap_err();
        assert!(
            e.is_finding() && matches!(e, EscrowError::TotalOpening { .. }),
            "{e}"
        );
    }
    // One measure's opening named as the other's.
    let mut bad = other.clone();
    bad.measure = warheads();
    assert!(c.verify_total_opening(&bad).is_err());
}

#[test]
fn a_total_opening_of_an_unknown_measure_fails() {
    let secret = fixture();
    let c = secret.commitment();
    let pu = MeasureName::parse("grams_pu").unwrap();
    assert!(matches!(
        secret.total_opening(&pu),
        Err(EscrowError::UnknownMeasure { .. })
    ));
    let mut bad = secret.total_opening(&warheads()).unwrap();
    bad.measure = pu;
    let e = c.verify_total_opening(&bad).unwrap_err();
    assert!(
        e.is_finding() && matches!(e, EscrowError::MeasureNotCommitted { .. }),
        "{e}"
    );
}

#[test]
fn a_total_opening_is_parsed_strictly() {
    let opening = fixture().total_opening(&warheads()).unwrap();
    let good = serde_json::to_value(&opening).unwrap();
    let members: Vec<&str> = good
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(members, ["blinding", "measure", "value"]);
    let cases = [
        ("blinding", Value::from("00")),
        ("blinding", Value::from("zz".repeat(32))),
        // ℓ itself and 2^256 − 1 are not canonical scalars.
        (
            "blinding",
            Value::from("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"),
        ),
        ("blinding", Value::from("ff".repeat(32))),
        ("value", Value::from(-1)),
        ("value", Value::from(1.5)),
        ("measure", Value::from("Deployed Warheads")),
    ];
    for (member, value) in cases {
        let mut bad = good.clone();
        bad[member] = value.clone();
        assert!(
            serde_json::from_value::<TotalOpening>(bad).is_err(),
            "{member} = {value}"
        );
    }
    let mut extra = good.clone();
    extra["salt"] = Value::from("00".repeat(32));
    assert!(serde_json::from_value::<TotalOpening>(extra).is_err());
}

#[test]
fn a_total_opening_shows_the_total_and_nothing_of_its_parts() {
    // Two declarations with the same total of deployed warheads, split
    // differently among other entries under other salts.
    let a = fixture();
    let mut entries: Vec<Entry> = (0..5)
        .map(|i| item("south", &format!("w-5{i:02}"), true))
        .collect();
    entries.push(stock("south", "s-9", 15_500));
    let b = SecretDeclaration::commit(declaration_from(entries, vec![warheads(), grams_heu()]))
        .unwrap();
    let (oa, ob) = (
        a.total_opening(&warheads()).unwrap(),
        b.total_opening(&warheads()).unwrap(),
    );
    // The openings agree on the value, the only thing they say about the
    // declaration; each opens its own commitment and not the other's.
    assert_eq!(oa.value, ob.value);
    a.commitment().verify_total_opening(&oa).unwrap();
    b.commitment().verify_total_opening(&ob).unwrap();
    assert!(a.commitment().verify_total_opening(&ob).is_err());
    assert!(b.commitment().verify_total_opening(&oa).is_err());
    // The opening opens the total, not an entry: no per-entry commitment of
    // the annex is opened by the total's blinding with any value up to the
    // total.
    let annex = a.annex(&warheads()).unwrap();
    for c in annex.commitments() {
        for v in 0..=oa.value {
            let guess = pedersen_gens().commit(Scalar::from(v), oa.blinding);
            assert_ne!(guess.compress(), *c);
        }
    }
}
