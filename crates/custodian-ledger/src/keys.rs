//! Ed25519 signer and verifier keys in the text forms of C2SP `signed-note`
//! (<https://c2sp.org/signed-note>, "Signatures" and "Ed25519 signatures") and of
//! golang/mod `sumdb/note` (`NewVerifier`, `NewSigner`, `GenerateKey`).
//!
//! - Verifier key: `<name>+<8 hex key ID>+<base64(0x01 || 32-byte public key)>`.
//! - Signer key: `PRIVATE+KEY+<name>+<8 hex key ID>+<base64(0x01 || 32-byte seed)>`.
//!
//! The key ID is `SHA-256(name || 0x0A || 0x01 || public key)[:4]` (signed-note,
//! "Ed25519 signatures"). It identifies a key; it does not authenticate one.
//!
//! # Verification equation
//!
//! Every Ed25519 signature in Custodian is checked with ed25519-dalek's
//! `verify_strict`: `S` must be canonical (`S < L`), `R` must be the canonical
//! encoding of `[S]B - [k]A` (the cofactorless equation of RFC 8032 §5.1.7,
//! compared as encodings), and neither `A` nor `R` may be a point of small order.
//! We chose it because it accepts a subset of what Go's `crypto/ed25519` accepts
//! (Go is cofactorless and rejects `S ≥ L`, but accepts small-order `A` and `R`),
//! so every signature we accept is also accepted by Go's verifier and by the
//! golang/mod `note` package; and a small-order public key, which "verifies"
//! signatures on many messages without a secret, can never be a Custodian key.
//! RFC 8032 §7.1 vectors, the C2SP signed-note example and Custodian's own
//! checkpoint vectors all verify under it (`tests/crypto_vectors.rs`).
//! FROST group signatures (RFC 9591) verify as ordinary Ed25519 signatures too.

use custodian_core::encoding;
use ed25519_dalek::Signer as _;
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use std::fmt;

/// The signed-note signature type byte of Ed25519 (signed-note, "Signature types").
pub const ALGORITHM_ED25519: u8 = 0x01;

/// The prefix of a signer key's text form (golang/mod `note.NewSigner`); it keeps a
/// private key from being mistaken for a verifier key.
pub const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// Length of an Ed25519 public key, in bytes (RFC 8032 §5.1.5).
pub const PUBLIC_KEY_BYTES: usize = 32;
/// Length of an Ed25519 seed (RFC 8032 §5.1.5 "secret key"), in bytes.
pub const SEED_BYTES: usize = 32;
/// Length of an Ed25519 signature `R || S`, in bytes (RFC 8032 §5.1.6).
pub const SIGNATURE_BYTES: usize = 64;

/// Longest key name accepted, in bytes. C2SP sets no limit; we do (STYLE §5), and
/// names are schema-less URLs, far shorter than this.
pub const KEY_NAME_BYTES_MAX: usize = 1024;

/// Why a key, a key's text form or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key name breaks the signed-note rules ("Format"): non-empty, no Unicode
    /// whitespace, no `+`; and at most [`KEY_NAME_BYTES_MAX`] bytes.
    #[error("key name {found:?}: expected {expected}")]
    InvalidName {
        /// What was wrong, phrased as what a valid name is.
        expected: &'static str,
        /// The name given (at most 80 characters of it).
        found: String,
    },
    /// A key's text form does not have the expected shape.
    #[error("{form}: expected {expected}, found {found:?}")]
    Malformed {
        /// `"verifier key"` or `"signer key"`.
        form: &'static str,
        /// The shape expected.
        expected: &'static str,
        /// The offending text (never any secret key material).
        found: String,
    },
    /// The key data starts with a signature type other than Ed25519 (`0x01`).
    #[error("{form} {name:?}: expected signature type 0x01 (Ed25519), found 0x{found:02x}")]
    UnknownAlgorithm {
        /// `"verifier key"` or `"signer key"`.
        form: &'static str,
        /// The key name.
        name: String,
        /// The type byte found.
        found: u8,
    },
    /// The key data has the wrong length.
    #[error(
        "{form} {name:?}: expected {expected} bytes of key after the type byte, found {found}"
    )]
    KeyLength {
        /// `"verifier key"` or `"signer key"`.
        form: &'static str,
        /// The key name.
        name: String,
        /// The length required.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// The key ID written in the text does not match the key.
    #[error("{form} {name:?}: key ID {stated} does not match the key, whose ID is {computed}")]
    KeyIdMismatch {
        /// `"verifier key"` or `"signer key"`.
        form: &'static str,
        /// The key name.
        name: String,
        /// The key ID written in the text (hex).
        stated: String,
        /// `SHA-256(name || 0x0A || 0x01 || public key)[:4]` (hex).
        computed: String,
    },
    /// The 32 bytes are not the encoding of a curve point.
    #[error("expected an Ed25519 public key, found bytes that encode no curve point: {found}")]
    InvalidPublicKey {
        /// The key bytes (hex).
        found: String,
    },
    /// The public key is a point of small order, which "verifies" signatures
    /// without a secret key; `verify_strict` would reject every signature.
    #[error("expected an Ed25519 public key, found a point of small order: {found}")]
    WeakPublicKey {
        /// The key bytes (hex).
        found: String,
    },
    /// A public key of the wrong length was given to [`verify_ed25519`].
    #[error("expected a {PUBLIC_KEY_BYTES}-byte Ed25519 public key, found {found} bytes")]
    PublicKeyLength {
        /// The length found.
        found: usize,
    },
    /// A signature of the wrong length was given.
    #[error("expected a {SIGNATURE_BYTES}-byte Ed25519 signature, found {found} bytes")]
    SignatureLength {
        /// The length found.
        found: usize,
    },
    /// The signature does not verify (bad equation, `S ≥ L`, non-canonical or
    /// small-order `R`). A unit variant: callers add which key and message.
    #[error("Ed25519 signature does not verify")]
    BadSignature,
}

const VERIFIER: &str = "verifier key";
const SIGNER: &str = "signer key";

fn truncated(text: &str) -> String {
    text.chars().take(80).collect()
}

/// Checks a key name against signed-note ("Format"): non-empty, valid UTF-8 (a
/// `&str` is), no Unicode whitespace (Go's `unicode.IsSpace`, which agrees with
/// Rust's `char::is_whitespace` on every space character), no `+` (U+002B); and at
/// most [`KEY_NAME_BYTES_MAX`] bytes.
pub fn check_key_name(name: &str) -> Result<(), KeyError> {
    let expected = if name.is_empty() {
        "a non-empty name"
    } else if name.len() > KEY_NAME_BYTES_MAX {
        "at most 1024 bytes"
    } else if name.chars().any(char::is_whitespace) {
        "no whitespace"
    } else if name.contains('+') {
        "no '+'"
    } else if name.chars().any(char::is_control) {
        // Covered by the signed-note rule on whole notes; a name must also fit on
        // a signature line.
        "no control characters"
    } else {
        return Ok(());
    };
    Err(KeyError::InvalidName {
        expected,
        found: truncated(name),
    })
}

/// The signed-note key ID of an Ed25519 key:
/// `SHA-256(name || 0x0A || 0x01 || public key)[:4]` (signed-note, "Ed25519
/// signatures"); golang/mod `note.keyHash` computes the same, as a big-endian
/// `uint32`.
pub fn key_id(name: &str, public_key: &[u8; PUBLIC_KEY_BYTES]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, ALGORITHM_ED25519]);
    h.update(public_key);
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Parses an Ed25519 public key, refusing non-points and points of small order.
fn public_key_from_bytes(
    bytes: &[u8; PUBLIC_KEY_BYTES],
) -> Result<ed25519_dalek::VerifyingKey, KeyError> {
    let key =
        ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::InvalidPublicKey {
            found: encoding::hex(bytes),
        })?;
    if key.is_weak() {
        return Err(KeyError::WeakPublicKey {
            found: encoding::hex(bytes),
        });
    }
    Ok(key)
}

fn verify_with(
    key: &ed25519_dalek::VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyError> {
    let bytes =
        <[u8; SIGNATURE_BYTES]>::try_from(signature).map_err(|_| KeyError::SignatureLength {
            found: signature.len(),
        })?;
    let signature = ed25519_dalek::Signature::from_bytes(&bytes);
    key.verify_strict(message, &signature)
        .map_err(|_| KeyError::BadSignature)
}

/// `<name>+<hex key ID>+<base64(0x01 || key bytes)>`: the shared tail of the signer
/// and verifier text forms (golang/mod `sumdb/note`).
fn key_text(name: &str, key_id: &[u8; 4], key: &[u8]) -> String {
    let mut data = Vec::with_capacity(1 + key.len());
    data.push(ALGORITHM_ED25519);
    data.extend_from_slice(key);
    format!(
        "{name}+{}+{}",
        encoding::hex(key_id),
        encoding::base64(&data)
    )
}

/// Verifies an Ed25519 signature given as raw bytes, for modules whose keys are not
/// signed-note keys (submissions, approvals). Uses `verify_strict`; see the module
/// documentation for why.
pub fn verify_ed25519(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
    let bytes =
        <[u8; PUBLIC_KEY_BYTES]>::try_from(public_key).map_err(|_| KeyError::PublicKeyLength {
            found: public_key.len(),
        })?;
    verify_with(&public_key_from_bytes(&bytes)?, message, signature)
}

/// Splits `<name>+<8 hex key ID>+<base64 key data>` on its first two `+` (the
/// base64 may contain `+`; the name and the ID may not), decoding the ID and the
/// data, whose type byte must be Ed25519 and whose key must be 32 bytes. For signer
/// keys the key data holds the seed, so errors withhold it.
fn split_key_text(text: &str, form: &'static str) -> Result<(String, [u8; 4], Vec<u8>), KeyError> {
    let shown = |t: &str| {
        if form == SIGNER {
            "(signer key text withheld)".to_owned()
        } else {
            truncated(t)
        }
    };
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(KeyError::Malformed {
            form,
            expected: "<name>+<8 hex digits>+<base64>",
            found: shown(text),
        });
    };
    check_key_name(name)?;
    let id_ok = id_hex.len() == 8
        && id_hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let id = match encoding::unhex(id_hex) {
        Ok(bytes) if id_ok => [bytes[0], bytes[1], bytes[2], bytes[3]],
        _ => {
            return Err(KeyError::Malformed {
                form,
                expected: "the key ID as 8 lowercase hex digits",
                found: truncated(id_hex),
            })
        }
    };
    let data = encoding::unbase64(data).map_err(|_| KeyError::Malformed {
        form,
        expected: "the key data as standard padded base64",
        found: shown(data),
    })?;
    match data.first() {
        None => Err(KeyError::Malformed {
            form,
            expected: "non-empty key data",
            found: String::new(),
        }),
        Some(&ALGORITHM_ED25519) if data.len() == 1 + PUBLIC_KEY_BYTES => {
            Ok((name.to_owned(), id, data[1..].to_vec()))
        }
        Some(&ALGORITHM_ED25519) => Err(KeyError::KeyLength {
            form,
            name: name.to_owned(),
            expected: PUBLIC_KEY_BYTES,
            found: data.len() - 1,
        }),
        Some(&other) => Err(KeyError::UnknownAlgorithm {
            form,
            name: name.to_owned(),
            found: other,
        }),
    }
}

/// A named Ed25519 signing key: the private half of a signed-note key.
///
/// `Debug` shows the name and key ID only; the seed leaves only through
/// [`SigningKey::to_text`]. ed25519-dalek zeroizes it on drop.
#[derive(Clone)]
pub struct SigningKey {
    name: String,
    key: ed25519_dalek::SigningKey,
    key_id: [u8; 4],
}

impl SigningKey {
    /// Generates a new key from the operating system's random source (rand_core
    /// `OsRng`).
    pub fn generate(name: &str) -> Result<SigningKey, KeyError> {
        Self::generate_with_rng(name, &mut rand_core::OsRng)
    }

    /// Generates a new key from `rng`; tests inject a seeded generator.
    pub fn generate_with_rng(
        name: &str,
        rng: &mut impl CryptoRngCore,
    ) -> Result<SigningKey, KeyError> {
        let mut seed = [0u8; SEED_BYTES];
        rng.fill_bytes(&mut seed);
        Self::from_seed(name, seed)
    }

    /// The key whose RFC 8032 secret key (seed) is `seed`.
    pub fn from_seed(name: &str, seed: [u8; SEED_BYTES]) -> Result<SigningKey, KeyError> {
        check_key_name(name)?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let key_id = key_id(name, key.verifying_key().as_bytes());
        Ok(SigningKey {
            name: name.to_owned(),
            key,
            key_id,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<8 hex key ID>+<base64(0x01 || seed)>`, the form
    /// of golang/mod `note.GenerateKey`. The key ID must match the public key
    /// derived from the seed. Errors never contain the seed.
    pub fn parse(text: &str) -> Result<SigningKey, KeyError> {
        let Some(rest) = text.strip_prefix(PRIVATE_KEY_PREFIX) else {
            return Err(KeyError::Malformed {
                form: SIGNER,
                expected: "text starting with PRIVATE+KEY+",
                found: "(signer key text withheld)".to_owned(),
            });
        };
        let (name, stated, seed) = split_key_text(rest, SIGNER)?;
        let seed =
            <[u8; SEED_BYTES]>::try_from(seed.as_slice()).map_err(|_| KeyError::KeyLength {
                form: SIGNER,
                name: name.clone(),
                expected: SEED_BYTES,
                found: seed.len(),
            })?;
        let key = Self::from_seed(&name, seed)?;
        if key.key_id != stated {
            return Err(KeyError::KeyIdMismatch {
                form: SIGNER,
                name,
                stated: encoding::hex(&stated),
                computed: encoding::hex(&key.key_id),
            });
        }
        Ok(key)
    }

    /// The text form `PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || seed)>`. It holds
    /// the secret: keep it secret.
    pub fn to_text(&self) -> String {
        format!(
            "{PRIVATE_KEY_PREFIX}{}",
            key_text(&self.name, &self.key_id, self.key.as_bytes())
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signed-note key ID (see [`key_id`]).
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The RFC 8032 Ed25519 signature of `message` (deterministic: the same key and
    /// message always give the same bytes).
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_BYTES] {
        self.key.sign(message).to_bytes()
    }

    /// The public half.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            key_id: self.key_id,
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigningKey({}+{})",
            self.name,
            encoding::hex(&self.key_id)
        )
    }
}

/// A named Ed25519 public key: a signed-note verifier key.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key: ed25519_dalek::VerifyingKey,
    key_id: [u8; 4],
}

impl VerifierKey {
    /// The verifier key for `public_key` under `name`, as golang/mod
    /// `note.NewEd25519VerifierKey` makes it. Refuses non-points and small-order
    /// points.
    pub fn new(name: &str, public_key: [u8; PUBLIC_KEY_BYTES]) -> Result<VerifierKey, KeyError> {
        check_key_name(name)?;
        let key = public_key_from_bytes(&public_key)?;
        Ok(VerifierKey {
            name: name.to_owned(),
            key,
            key_id: key_id(name, &public_key),
        })
    }

    /// Parses `<name>+<8 hex key ID>+<base64(0x01 || public key)>` (golang/mod
    /// `note.NewVerifier`), splitting on the first two `+` only. Stricter than Go:
    /// the key ID must be lowercase (as Go writes it), the base64 canonical, and the
    /// key a point not of small order.
    pub fn parse(text: &str) -> Result<VerifierKey, KeyError> {
        let (name, stated, public_key) = split_key_text(text, VERIFIER)?;
        let public_key =
            <[u8; PUBLIC_KEY_BYTES]>::try_from(public_key.as_slice()).map_err(|_| {
                KeyError::KeyLength {
                    form: VERIFIER,
                    name: name.clone(),
                    expected: PUBLIC_KEY_BYTES,
                    found: public_key.len(),
                }
            })?;
        let computed = key_id(&name, &public_key);
        if computed != stated {
            return Err(KeyError::KeyIdMismatch {
                form: VERIFIER,
                name,
                stated: encoding::hex(&stated),
                computed: encoding::hex(&computed),
            });
        }
        Self::new(&name, public_key)
    }

    /// The text form `<name>+<key ID>+<base64(0x01 || public key)>`.
    pub fn to_text(&self) -> String {
        key_text(&self.name, &self.key_id, self.key.as_bytes())
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signed-note key ID (see [`key_id`]).
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The 32-byte Ed25519 public key (RFC 8032 §5.1.5).
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_BYTES] {
        self.key.to_bytes()
    }

    /// Verifies an Ed25519 signature on `message` with `verify_strict` (see the
    /// module documentation).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        verify_with(&self.key, message, signature)
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({})", self.to_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_TEST_1: [u8; 32] = [
        0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c,
        0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae,
        0x7f, 0x60,
    ];

    #[test]
    fn test_vector_key_text_forms() {
        let key = SigningKey::from_seed("custodian.example/test-vectors", SEED_TEST_1).unwrap();
        assert_eq!(encoding::hex(&key.key_id()), "9af030a4");
        let vkey = key.verifier().to_text();
        assert_eq!(
            vkey,
            "custodian.example/test-vectors+9af030a4+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
        );
        assert_eq!(VerifierKey::parse(&vkey).unwrap(), key.verifier());
        let skey = key.to_text();
        assert_eq!(SigningKey::parse(&skey).unwrap().to_text(), skey);
        assert!(
            !format!("{key:?}").contains("AZ1h"),
            "Debug must not show the seed"
        );
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", "a b", "a+b", "a\u{a0}b", "a\u{2003}b", "a\tb", "a\nb"] {
            assert!(check_key_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_key_name("example.com/log42").is_ok());
        assert!(check_key_name(&"a".repeat(KEY_NAME_BYTES_MAX + 1)).is_err());
    }

    #[test]
    fn signer_key_errors_withhold_the_secret() {
        let key = SigningKey::from_seed("n", SEED_TEST_1).unwrap();
        let text = key.to_text();
        let secret = text.rsplit('+').next().unwrap().to_owned();
        let broken = format!("{}!", text);
        let err = SigningKey::parse(&broken).unwrap_err().to_string();
        assert!(!err.contains(&secret[..20]), "{err}");
    }
}
