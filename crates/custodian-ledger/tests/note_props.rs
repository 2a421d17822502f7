//! Properties of keys, notes and checkpoints: text forms round-trip, parsers never
//! panic and accept only what the writers write, and no single-bit flip of a
//! signed checkpoint survives verification.

use custodian_core::TreeSize;
use custodian_ledger::checkpoint::{sign_checkpoint, verify_checkpoint, Checkpoint};
use custodian_ledger::keys::{SigningKey, VerifierKey};
use custodian_ledger::note::{open_note, sign_note, Note};
use custodian_ledger::Hash;
use proptest::prelude::*;

/// Key names and origins: schema-less URLs, sometimes with non-ASCII letters.
fn name() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9./:_-]{0,30}(/[a-zé☢]{1,5})?"
}

fn checkpoint_with(origin: String) -> impl Strategy<Value = Checkpoint> {
    (
        any::<u64>(),
        any::<[u8; 32]>(),
        proptest::collection::vec("[ -~]{1,20}", 0..3),
    )
        .prop_map(move |(size, root, extensions)| {
            Checkpoint::with_extensions(&origin, TreeSize(size), Hash(root), extensions)
                .expect("generated checkpoints are valid")
        })
}

/// A key and a checkpoint whose origin is the key's name.
fn signed_checkpoint() -> impl Strategy<Value = (SigningKey, Checkpoint)> {
    (name(), any::<[u8; 32]>()).prop_flat_map(|(name, seed)| {
        let key = SigningKey::from_seed(&name, seed).expect("generated names are valid");
        checkpoint_with(name).prop_map(move |c| (key.clone(), c))
    })
}

proptest! {
    #[test]
    fn key_text_forms_round_trip(name in name(), seed in any::<[u8; 32]>()) {
        let key = SigningKey::from_seed(&name, seed).unwrap();
        let skey = key.to_text();
        let parsed = SigningKey::parse(&skey).unwrap();
        prop_assert_eq!(parsed.to_text(), skey);
        prop_assert_eq!(parsed.verifier(), key.verifier());
        let vkey = key.verifier().to_text();
        prop_assert_eq!(VerifierKey::parse(&vkey).unwrap(), key.verifier());
        prop_assert_eq!(VerifierKey::parse(&vkey).unwrap().to_text(), vkey);
    }

    #[test]
    fn key_parsers_never_panic(text in "\\PC{0,120}") {
        let _ = VerifierKey::parse(&text);
        let _ = SigningKey::parse(&text);
        let _ = SigningKey::parse(&format!("PRIVATE+KEY+{text}"));
    }

    #[test]
    fn checkpoint_bodies_round_trip(c in name().prop_flat_map(checkpoint_with)) {
        prop_assert_eq!(Checkpoint::parse_body(&c.body()), Ok(c));
    }

    #[test]
    fn parse_body_accepts_only_canonical_text(text in "[a-z0-9+/=\n\r 0]{0,80}") {
        // Whatever parses must be exactly what `body` writes.
        if let Ok(c) = Checkpoint::parse_body(&text) {
            prop_assert_eq!(c.body(), text);
        }
    }

    #[test]
    fn notes_round_trip(
        text in "(\\PC{0,20}\n){1,4}",
        seeds in proptest::collection::vec(any::<[u8; 32]>(), 1..4),
    ) {
        let keys: Vec<SigningKey> = seeds
            .iter()
            .enumerate()
            .map(|(i, seed)| SigningKey::from_seed(&format!("k{i}.example"), *seed).unwrap())
            .collect();
        let refs: Vec<&SigningKey> = keys.iter().collect();
        let note = sign_note(&text, &refs).unwrap();
        let parsed = Note::parse(note.as_bytes()).unwrap();
        prop_assert_eq!(parsed.text(), text.as_str());
        prop_assert_eq!(parsed.to_text(), note.clone());
        let verifiers: Vec<VerifierKey> = keys.iter().map(SigningKey::verifier).collect();
        let opened = open_note(note.as_bytes(), &verifiers).unwrap();
        prop_assert_eq!(opened.verified_by(), &verifiers[..]);
        // Knowing only the last key still verifies; the others stay unverified.
        let last = &verifiers[verifiers.len() - 1..];
        let opened = open_note(note.as_bytes(), last).unwrap();
        prop_assert_eq!(opened.unverified().count(), verifiers.len() - 1);
    }

    #[test]
    fn note_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Note::parse(&bytes);
        let _ = open_note(&bytes, &[]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn signed_checkpoints_round_trip((key, c) in signed_checkpoint()) {
        let note = sign_checkpoint(&c, &key);
        prop_assert_eq!(verify_checkpoint(note.as_bytes(), &key.verifier()), Ok(c));
    }

    /// No byte of a signed checkpoint is free: the body is signed; the signature
    /// line's dash, spaces, name, key ID, signature, padding and final newline are
    /// each checked; base64 must be canonical, so even its padding bits count.
    #[test]
    fn any_single_bit_flip_is_refused(
        (key, c) in signed_checkpoint(),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let mut note = sign_checkpoint(&c, &key).into_bytes();
        let i = position.index(note.len());
        note[i] ^= 1 << bit;
        prop_assert!(
            verify_checkpoint(&note, &key.verifier()).is_err(),
            "byte {} bit {} of {:?}", i, bit, String::from_utf8_lossy(&note)
        );
    }
}
