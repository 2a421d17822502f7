//! The encrypted secret file: RFC 8439 vector, round trip, wrong key, tamper.

mod common;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use common::*;
use custodian_escrow::secret_file::{open, read_secret_file, seal, write_secret_file, MAGIC};
use custodian_escrow::*;

fn unhex(s: &str) -> Vec<u8> {
    custodian_core::encoding::unhex(s).unwrap()
}

#[test]
fn chacha20poly1305_reproduces_rfc8439_2_8_2() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/chacha20poly1305/rfc8439-2.8.2.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(v["source"].as_str().unwrap().starts_with("RFC 8439"));
    let key = unhex(v["key"].as_str().unwrap());
    let nonce = unhex(v["nonce"].as_str().unwrap());
    let aad = unhex(v["aad"].as_str().unwrap());
    let plaintext = v["plaintext_ascii"].as_str().unwrap().as_bytes();
    let mut expected = unhex(v["ciphertext"].as_str().unwrap());
    expected.extend(unhex(v["tag"].as_str().unwrap()));
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key));
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .unwrap();
    assert_eq!(sealed, expected);
}

#[test]
fn the_secret_file_round_trips_and_recommits() {
    let secret = fixture();
    let key = SecretKey::generate();
    let bytes = seal(&secret, &key);
    assert_eq!(&bytes[..24], MAGIC);
    assert_eq!(bytes[24], 1);
    let declaration = open(&bytes, &key).unwrap();
    assert_eq!(declaration, secret.declaration());
    // Two seals of the same declaration differ (fresh nonce).
    assert_ne!(seal(&secret, &key), bytes);

    let dir = std::env::temp_dir().join(format!("escrow-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_path = dir.join("escrow.key");
    let _ = std::fs::remove_file(&key_path);
    key.write_new_file(&key_path).unwrap();
    assert!(
        key.write_new_file(&key_path).is_err(),
        "a key file is never overwritten"
    );
    let key_again = SecretKey::read_file(&key_path).unwrap();
    let file = dir.join("declaration.secret");
    write_secret_file(&file, &secret, &key).unwrap();
    let back = read_secret_file(&file, &key_again).unwrap();
    assert_eq!(back.commitment(), secret.commitment());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // A wrong key is a clear error naming the file.
    let e = read_secret_file(&file, &SecretKey::generate()).unwrap_err();
    assert!(matches!(e, EscrowError::Decrypt { .. }), "{e}");
    assert!(e.to_string().contains("declaration.secret"), "{e}");
    assert!(e.to_string().contains("wrong key"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_changed_byte_is_refused() {
    let secret = SecretDeclaration::commit(declaration_from(
        vec![site("enrichment", "north", "a")],
        vec![],
    ))
    .unwrap();
    let key = SecretKey::from_bytes([3; 32]);
    let bytes = seal(&secret, &key);
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x01;
        assert!(open(&bad, &key).is_err(), "byte {i}");
    }
    assert!(open(&bytes[..bytes.len() - 1], &key).is_err());
    assert!(open(&bytes[..30], &key).is_err());
    assert!(matches!(
        open(b"not a secret file", &key),
        Err(EscrowError::SecretFile { .. })
    ));
}

#[test]
fn key_files_are_parsed_strictly() {
    let k = SecretKey::from_bytes([0xab; 32]);
    let text = k.to_key_file_text();
    assert_eq!(text, format!("{}\n", "ab".repeat(32)));
    assert!(SecretKey::from_key_file_text(&text).is_ok());
    assert!(SecretKey::from_key_file_text(text.trim_end()).is_ok());
    for bad in [
        "",
        "ab",
        &"ab".repeat(31),
        &"ab".repeat(33),
        &format!("{}\n\n", "ab".repeat(32)),
        &"zz".repeat(32),
    ] {
        assert!(matches!(
            SecretKey::from_key_file_text(bad),
            Err(EscrowError::SecretFile { .. })
        ));
    }
    assert_eq!(format!("{k:?}"), "SecretKey(..)");
}
