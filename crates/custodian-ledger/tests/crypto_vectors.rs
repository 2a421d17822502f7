//! Known-answer vectors from `tests/vectors/` (each file names its source), reproduced
//! byte for byte, then tampered with: every tamper must be refused.

use custodian_core::encoding::{base64, hex, unhex};
use custodian_core::TreeSize;
use custodian_ledger::checkpoint::{
    sign_checkpoint, verify_checkpoint, Checkpoint, CheckpointError,
};
use custodian_ledger::keys::{verify_ed25519, KeyError, SigningKey, VerifierKey};
use custodian_ledger::note::{
    open_note, sign_note, Note, NoteError, NOTE_BYTES_MAX, SIGNATURES_PER_NOTE_MAX,
};
use custodian_ledger::Hash;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn vectors_dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(kind)
}

/// Every vector of one kind, as (file name, JSON), sorted by file name.
fn vectors(kind: &str) -> Vec<(String, Value)> {
    let dir = vectors_dir(kind);
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let value: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let source = value["source"].as_str().unwrap_or("");
            assert!(!source.is_empty(), "{}: no \"source\"", path.display());
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                value,
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!out.is_empty(), "no vectors in {}", dir.display());
    out
}

fn vector(kind: &str, name: &str) -> Value {
    vectors(kind)
        .into_iter()
        .find(|(file, _)| file == name)
        .unwrap_or_else(|| panic!("no vector {kind}/{name}"))
        .1
}

fn s<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field:?} missing"))
}

fn bytes(v: &Value, field: &str) -> Vec<u8> {
    unhex(s(v, field)).unwrap()
}

fn array32(v: &Value, field: &str) -> [u8; 32] {
    bytes(v, field).try_into().unwrap()
}

// ---------------------------------------------------------------------------
// SHA-256 (FIPS 180-4)

#[test]
fn sha256_known_answers() {
    let all = vectors("sha256");
    assert_eq!(all.len(), 4);
    for (file, v) in all {
        let repeat = v["repeat"].as_u64().unwrap() as usize;
        let message = bytes(&v, "message_hex").repeat(repeat);
        let digest = Sha256::digest(&message);
        assert_eq!(hex(&digest), s(&v, "digest_hex"), "{file}");
    }
}

// ---------------------------------------------------------------------------
// Ed25519 (RFC 8032 §7.1)

/// `S + L`: the same scalar mod L, but not canonical (RFC 8032 §5.1.7 requires
/// rejecting `S ≥ L`). L = 2^252 + 27742317777372353535851937790883648493.
fn add_group_order(signature: &[u8; 64]) -> [u8; 64] {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x10,
    ];
    let mut out = *signature;
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(signature[32 + i]) + u16::from(L[i]) + carry;
        out[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + L < 2^256 since S < L < 2^253");
    out
}

#[test]
fn ed25519_rfc8032_reproduced_and_verified() {
    let all = vectors("ed25519");
    assert_eq!(all.len(), 4);
    for (file, v) in all {
        let key = SigningKey::from_seed("rfc8032", array32(&v, "secret_key_hex")).unwrap();
        let public_key = key.verifier().public_key();
        assert_eq!(hex(&public_key), s(&v, "public_key_hex"), "{file}");
        let message = bytes(&v, "message_hex");
        let signature = key.sign(&message);
        assert_eq!(hex(&signature), s(&v, "signature_hex"), "{file}");
        assert_eq!(verify_ed25519(&public_key, &message, &signature), Ok(()));
        assert_eq!(key.verifier().verify(&message, &signature), Ok(()));
    }
}

#[test]
fn ed25519_tampering_is_rejected() {
    for (file, v) in vectors("ed25519") {
        let public_key = bytes(&v, "public_key_hex");
        let message = bytes(&v, "message_hex");
        let signature: [u8; 64] = bytes(&v, "signature_hex").try_into().unwrap();
        // One bit of each signature byte (bit i mod 8 of byte i).
        for i in 0..64 {
            let mut bad = signature;
            bad[i] ^= 1 << (i % 8);
            assert!(
                verify_ed25519(&public_key, &message, &bad).is_err(),
                "{file}: signature byte {i} flipped"
            );
        }
        // One bit of each message byte; the empty message gets a byte instead.
        if message.is_empty() {
            assert!(
                verify_ed25519(&public_key, &[0], &signature).is_err(),
                "{file}"
            );
        }
        for i in 0..message.len() {
            let mut bad = message.clone();
            bad[i] ^= 1 << (i % 8);
            assert!(
                verify_ed25519(&public_key, &bad, &signature).is_err(),
                "{file}: message byte {i} flipped"
            );
        }
        // S ≥ L: the malleated signature (R, S + L) is refused.
        assert_eq!(
            verify_ed25519(&public_key, &message, &add_group_order(&signature)),
            Err(KeyError::BadSignature),
            "{file}: S + L"
        );
        // Lengths.
        assert_eq!(
            verify_ed25519(&public_key[..31], &message, &signature),
            Err(KeyError::PublicKeyLength { found: 31 })
        );
        assert_eq!(
            verify_ed25519(&public_key, &message, &signature[..63]),
            Err(KeyError::SignatureLength { found: 63 })
        );
    }
}

#[test]
fn small_order_and_off_curve_public_keys_are_refused() {
    // The identity point (y = 1) has order 1.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert!(matches!(
        VerifierKey::new("k", identity),
        Err(KeyError::WeakPublicKey { .. })
    ));
    // With the identity as A and R and S = 0, [S]B = R + [k]A holds for every
    // message: the cofactorless equation alone would accept it; verify_strict not.
    let mut forged = [0u8; 64];
    forged[0] = 1;
    assert!(matches!(
        verify_ed25519(&identity, b"anything", &forged),
        Err(KeyError::WeakPublicKey { .. })
    ));
    // Some y has no x on the curve: such bytes are not a key at all.
    let off_curve = (2u8..=255).find(|&y| {
        let mut bytes = [0u8; 32];
        bytes[0] = y;
        matches!(
            VerifierKey::new("k", bytes),
            Err(KeyError::InvalidPublicKey { .. })
        )
    });
    assert!(
        off_curve.is_some(),
        "expected some y in 2..=255 off the curve"
    );
}

// ---------------------------------------------------------------------------
// Signed notes (C2SP signed-note; golang/mod sumdb/note)

#[test]
fn c2sp_signed_note_example_verifies() {
    let v = vector("signed-note", "c2sp-example.json");
    let key = VerifierKey::parse(s(&v, "vkey")).unwrap();
    assert_eq!(key.name(), s(&v, "name"));
    assert_eq!(hex(&key.public_key()), s(&v, "public_key_hex"));
    assert_eq!(hex(&key.key_id()), s(&v, "key_id_hex"));
    assert_eq!(key.to_text(), s(&v, "vkey"));
    let opened = open_note(s(&v, "note").as_bytes(), std::slice::from_ref(&key)).unwrap();
    assert_eq!(opened.text(), s(&v, "text"));
    assert_eq!(opened.verified_by(), std::slice::from_ref(&key));
    assert_eq!(opened.note().to_text(), s(&v, "note"));
}

#[test]
fn golang_note_example_is_reproduced_byte_for_byte() {
    let v = vector("signed-note", "golang-note-example.json");
    let key = SigningKey::parse(s(&v, "skey")).unwrap();
    assert_eq!(key.to_text(), s(&v, "skey"));
    assert_eq!(key.name(), s(&v, "name"));
    assert_eq!(hex(&key.key_id()), s(&v, "key_id_hex"));
    assert_eq!(key.verifier().to_text(), s(&v, "vkey"));
    assert_eq!(sign_note(s(&v, "text"), &[&key]).unwrap(), s(&v, "note"));
    let opened = open_note(s(&v, "note").as_bytes(), &[key.verifier()]).unwrap();
    assert_eq!(opened.text(), s(&v, "text"));
}

#[test]
fn unknown_keys_are_kept_unverified() {
    let v = vector("signed-note", "golang-note-two-signers.json");
    let keys: Vec<VerifierKey> = v["vkeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| VerifierKey::parse(k.as_str().unwrap()).unwrap())
        .collect();
    let note = s(&v, "note").as_bytes();

    let one = open_note(note, &keys[..1]).unwrap();
    assert_eq!(one.verified_by(), &keys[..1]);
    let unverified: Vec<&str> = one.unverified().map(|s| s.name()).collect();
    assert_eq!(unverified, ["EnochRoot"]);

    let both = open_note(note, &keys).unwrap();
    assert_eq!(both.verified_by(), &keys[..]);
    assert_eq!(both.unverified().count(), 0);

    let err = open_note(note, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "note: expected a signature by a known key, found signatures by \
         PeterNeumann+c74f20a3, EnochRoot+af0cfe78 only"
    );

    // The same key listed twice cannot be told apart (golang/mod "ambiguous key").
    let twice = [keys[0].clone(), keys[0].clone()];
    assert!(matches!(
        open_note(note, &twice),
        Err(NoteError::AmbiguousKey {
            line: 4,
            count: 2,
            ..
        })
    ));
}

#[test]
fn golang_note_key_refusals() {
    // From golang/mod sumdb/note note_test.go TestNewVerifier's badKey list, and
    // more: each must be refused with the reason.
    type Expected = fn(&KeyError) -> bool;
    let cases: [(&str, Expected); 9] = [
        // Go's wrong-length case; its base64 has non-zero padding bits ("EY=="),
        // which Go accepts and we refuse before reaching the length.
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            |e| matches!(e, KeyError::Malformed { .. }),
        ),
        // A wrong length in canonical base64 (0x01 and 31 bytes).
        (
            "PeterNeumann+cc469956+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            |e| matches!(e, KeyError::KeyLength { found: 31, .. }),
        ),
        (
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            |e| matches!(e, KeyError::UnknownAlgorithm { found: 0x65, .. }),
        ),
        (
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            |e| matches!(e, KeyError::KeyIdMismatch { .. }),
        ),
        (
            "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            |e| matches!(e, KeyError::Malformed { .. }),
        ),
        (
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            |e| matches!(e, KeyError::InvalidName { .. }),
        ),
        (
            "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            |e| matches!(e, KeyError::InvalidName { .. }),
        ),
        ("PeterNeumann+c74f20a3", |e| {
            matches!(e, KeyError::Malformed { .. })
        }),
        (
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
            |e| matches!(e, KeyError::Malformed { .. }),
        ),
    ];
    for (text, expected) in cases {
        let err = VerifierKey::parse(text).unwrap_err();
        assert!(expected(&err), "{text}: {err:?}");
    }
    let err =
        VerifierKey::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "verifier key \"PeterNeumann\": key ID c74f20a4 does not match the key, whose ID is c74f20a3"
    );
    // Signer keys: the prefix, and the key ID checked against the derived public key.
    let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    assert!(matches!(
        SigningKey::parse(&skey["PRIVATE+KEY+".len()..]),
        Err(KeyError::Malformed { .. })
    ));
    assert!(matches!(
        SigningKey::parse(&skey.replace("c74f20a3", "c74f20a4")),
        Err(KeyError::KeyIdMismatch { .. })
    ));
    assert!(matches!(
        SigningKey::parse(&skey.replace("PeterNeumann", "PeterNeumann2")),
        Err(KeyError::KeyIdMismatch { .. })
    ));
}

// ---------------------------------------------------------------------------
// Checkpoints (C2SP tlog-checkpoint): Custodian's known answers

struct CheckpointVector {
    key: SigningKey,
    checkpoint: Checkpoint,
    note: String,
}

fn checkpoint_vector(file: &str) -> CheckpointVector {
    let v = vector("checkpoint", file);
    let key = SigningKey::from_seed(s(&v, "name"), array32(&v, "key_seed_hex")).unwrap();
    assert_eq!(hex(&key.verifier().public_key()), s(&v, "public_key_hex"));
    assert_eq!(hex(&key.key_id()), s(&v, "key_id_hex"));
    assert_eq!(key.verifier().to_text(), s(&v, "vkey"));
    assert_eq!(VerifierKey::parse(s(&v, "vkey")).unwrap(), key.verifier());
    let root = Hash::from_hex(s(&v, "root_hex")).unwrap();
    assert_eq!(root.to_base64(), s(&v, "root_base64"));
    let checkpoint =
        Checkpoint::new(s(&v, "origin"), TreeSize(v["size"].as_u64().unwrap()), root).unwrap();
    assert_eq!(checkpoint.body(), s(&v, "body"));
    CheckpointVector {
        key,
        checkpoint,
        note: s(&v, "note").to_owned(),
    }
}

#[test]
fn checkpoint_vectors_reproduced_byte_for_byte() {
    for file in ["custodian-size-8.json", "custodian-size-0.json"] {
        let v = checkpoint_vector(file);
        assert_eq!(sign_checkpoint(&v.checkpoint, &v.key), v.note, "{file}");
        assert_eq!(
            verify_checkpoint(v.note.as_bytes(), &v.key.verifier()),
            Ok(v.checkpoint.clone()),
            "{file}"
        );
        assert_eq!(
            Checkpoint::parse_body(&v.checkpoint.body()),
            Ok(v.checkpoint)
        );
    }
}

/// Signs arbitrary text as a note with the vector key, bypassing the checks of
/// `sign_note` and `Checkpoint` so that the signature is valid over bad text.
fn raw_note(key: &SigningKey, text: &str) -> String {
    let mut raw = key.key_id().to_vec();
    raw.extend_from_slice(&key.sign(text.as_bytes()));
    format!("{text}\n\u{2014} {} {}\n", key.name(), base64(&raw))
}

#[test]
fn checkpoint_body_refusals_behind_a_valid_signature() {
    let v = checkpoint_vector("custodian-size-8.json");
    let verifier = v.key.verifier();
    let origin = v.checkpoint.origin().to_owned();
    let root = v.checkpoint.root().to_base64();
    let verify =
        |text: &str| verify_checkpoint(sign_note(text, &[&v.key]).unwrap().as_bytes(), &verifier);

    // Non-canonical size.
    let err = verify(&format!("{origin}\n08\n{root}\n")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "checkpoint line 2: expected the tree size as a decimal number without leading zeros, \
         at most 18446744073709551615, found \"08\""
    );
    for size in ["+8", " 8", "8 ", "0x8", "18446744073709551616", "", "٨"] {
        assert!(
            matches!(
                verify(&format!("{origin}\n{size}\n{root}\n")),
                Err(CheckpointError::Line { line: 2, .. })
            ),
            "{size:?}"
        );
    }
    // A root of 31 bytes, of 33, unpadded, and with non-zero padding bits.
    let short = base64(&[7u8; 31]);
    let err = verify(&format!("{origin}\n8\n{short}\n")).unwrap_err();
    assert!(
        matches!(err, CheckpointError::Line { line: 3, .. }),
        "{err}"
    );
    assert!(err
        .to_string()
        .starts_with("checkpoint line 3: expected the root hash"));
    for bad_root in [
        base64(&[7u8; 33]),
        root.trim_end_matches('=').to_owned(),
        root.replace("yg=", "yh="),
    ] {
        assert!(
            matches!(
                verify(&format!("{origin}\n8\n{bad_root}\n")),
                Err(CheckpointError::Line { line: 3, .. })
            ),
            "{bad_root}"
        );
    }
    // Origin: empty, with a space, not the key name.
    assert!(matches!(
        verify(&format!("\n8\n{root}\n")),
        Err(CheckpointError::Line { line: 1, .. })
    ));
    assert!(matches!(
        verify(&format!("custodian example\n8\n{root}\n")),
        Err(CheckpointError::Line { line: 1, .. })
    ));
    let err = verify(&format!("custodian.example/other\n8\n{root}\n")).unwrap_err();
    assert_eq!(
        err,
        CheckpointError::OriginMismatch {
            origin: "custodian.example/other".into(),
            key_name: origin.clone(),
        }
    );
    // Too few lines; an empty extension line.
    assert!(matches!(
        verify(&format!("{origin}\n8\n")),
        Err(CheckpointError::Body { .. })
    ));
    assert!(matches!(
        verify(&format!("{origin}\n8\n{root}\n\nx\n")),
        Err(CheckpointError::Line { line: 4, .. })
    ));
    // CRLF line ends: refused by the note rules, and by parse_body alone.
    let crlf = format!("{origin}\r\n8\r\n{root}\r\n");
    assert!(matches!(
        sign_note(&crlf, &[&v.key]),
        Err(NoteError::ControlCharacter {
            line: 1,
            found: '\r'
        })
    ));
    assert!(matches!(
        verify_checkpoint(raw_note(&v.key, &crlf).as_bytes(), &verifier),
        Err(CheckpointError::Note(NoteError::ControlCharacter {
            line: 1,
            found: '\r'
        }))
    ));
    assert!(Checkpoint::parse_body(&crlf).is_err());
    // An extension line is allowed, and survives.
    let with_extension = verify(&format!("{origin}\n8\n{root}\nextension\n")).unwrap();
    assert_eq!(with_extension.extensions(), ["extension"]);
}

#[test]
fn checkpoint_note_refusals() {
    let v = checkpoint_vector("custodian-size-8.json");
    let verifier = v.key.verifier();
    let note = v.note.as_str();
    let verify = |text: &str| verify_checkpoint(text.as_bytes(), &verifier);

    // Wrong key ID: the same name with another key is an unknown key.
    let other_key = SigningKey::from_seed(v.key.name(), [1; 32]).unwrap();
    assert!(matches!(
        verify_checkpoint(note.as_bytes(), &other_key.verifier()),
        Err(CheckpointError::Note(NoteError::Unverified { .. }))
    ));
    // Wrong name: the same key under another name has another key ID too.
    let renamed = VerifierKey::new("custodian.example/other", verifier.public_key()).unwrap();
    assert!(matches!(
        verify_checkpoint(note.as_bytes(), &renamed),
        Err(CheckpointError::Note(NoteError::Unverified { .. }))
    ));
    // The key ID in the signature line altered: an unknown key, so unverified.
    let (head, line) = note.split_at(note.rfind('\u{2014}').unwrap());
    let b64 = line.trim_end().rsplit(' ').next().unwrap();
    let mut raw = custodian_core::encoding::unbase64(b64).unwrap();
    raw[3] ^= 1;
    let wrong_id = format!("{head}\u{2014} {} {}\n", v.key.name(), base64(&raw));
    assert!(matches!(
        verify(&wrong_id),
        Err(CheckpointError::Note(NoteError::Unverified { .. }))
    ));
    // The signature altered under the right key ID: a known key that fails.
    raw[3] ^= 1;
    raw[10] ^= 0x80;
    let bad_signature = format!("{head}\u{2014} {} {}\n", v.key.name(), base64(&raw));
    let err = verify(&bad_signature).unwrap_err();
    assert_eq!(
        err.to_string(),
        "checkpoint note: note line 5: signature by known key \
         custodian.example/test-vectors+9af030a4 does not verify"
    );
    // S + L under the right key ID.
    raw[10] ^= 0x80;
    let signature: [u8; 64] = raw[4..].try_into().unwrap();
    let mut malleated = raw[..4].to_vec();
    malleated.extend_from_slice(&add_group_order(&signature));
    let s_plus_l = format!("{head}\u{2014} {} {}\n", v.key.name(), base64(&malleated));
    assert!(matches!(
        verify(&s_plus_l),
        Err(CheckpointError::Note(NoteError::InvalidSignature {
            line: 5,
            ..
        }))
    ));

    // Every truncation.
    for len in 0..note.len() {
        assert!(
            verify_checkpoint(&note.as_bytes()[..len], &verifier).is_err(),
            "truncated to {len} bytes"
        );
    }
    // Extra signature lines that are not signature lines.
    for extra in [
        "garbage\n",
        "\u{2014} custodian.example/test-vectors\n",
        "\u{2014} custodian.example/test-vectors AAAA\n",
        "\u{2014} custodian.example/test-vectors !!!!\n",
        "\u{2014}  x AAAAAAAA\n",
        "- custodian.example/test-vectors AAAAAAAA\n",
        "\n",
    ] {
        assert!(
            matches!(
                verify(&format!("{note}{extra}")),
                Err(CheckpointError::Note(
                    NoteError::MalformedSignatureLine { line: 6, .. } | NoteError::NoSignatures
                ))
            ),
            "{extra:?}: {:?}",
            verify(&format!("{note}{extra}"))
        );
    }
    // Trailing data without a newline.
    assert!(matches!(
        verify(&format!("{note}x")),
        Err(CheckpointError::Note(NoteError::MissingFinalNewline {
            line: 6
        }))
    ));
    // A blank line among the signatures moves the split: the text then ends in a
    // signature line and the "checkpoint" is no longer what was signed.
    let blank_between = format!("{note}\n{}", &note[note.rfind('\u{2014}').unwrap()..]);
    assert!(verify(&blank_between).is_err());
}

#[test]
fn every_single_bit_flip_of_a_signed_checkpoint_is_refused() {
    // Every byte of the note matters: text bytes are signed; signature-line bytes
    // either break the syntax, name an unknown key, or break the signature; base64
    // padding bits are refused because decoding is canonical.
    let v = checkpoint_vector("custodian-size-8.json");
    let verifier = v.key.verifier();
    let mut note = v.note.into_bytes();
    for i in 0..note.len() {
        for bit in 0..8 {
            note[i] ^= 1 << bit;
            assert!(
                verify_checkpoint(&note, &verifier).is_err(),
                "byte {i} bit {bit} flipped: {:?}",
                String::from_utf8_lossy(&note)
            );
            note[i] ^= 1 << bit;
        }
    }
    assert!(verify_checkpoint(&note, &verifier).is_ok());
}

#[test]
fn note_limits() {
    let v = checkpoint_vector("custodian-size-8.json");
    let verifier = v.key.verifier();
    let (text, line) = v.note.split_at(v.note.rfind('\u{2014}').unwrap());
    // 100 copies of the signature line: accepted (Go drops duplicates; we verify each).
    let hundred = format!("{text}{}", line.repeat(SIGNATURES_PER_NOTE_MAX));
    assert!(verify_checkpoint(hundred.as_bytes(), &verifier).is_ok());
    let hundred_one = format!("{text}{}", line.repeat(SIGNATURES_PER_NOTE_MAX + 1));
    assert_eq!(
        verify_checkpoint(hundred_one.as_bytes(), &verifier),
        Err(CheckpointError::Note(NoteError::TooManySignatures {
            max: SIGNATURES_PER_NOTE_MAX
        }))
    );
    // Over the size limit, before any parsing.
    let huge = format!("{}{}", "x".repeat(NOTE_BYTES_MAX), v.note);
    assert!(matches!(
        Note::parse(huge.as_bytes()),
        Err(NoteError::TooLarge { .. })
    ));
    // Invalid UTF-8 and control characters are named by line.
    let mut bytes = v.note.clone().into_bytes();
    bytes[31] = 0xff;
    assert_eq!(Note::parse(&bytes), Err(NoteError::InvalidUtf8 { line: 2 }));
    bytes[31] = 0x7;
    assert_eq!(
        Note::parse(&bytes),
        Err(NoteError::ControlCharacter {
            line: 2,
            found: '\u{7}'
        })
    );
}
