//! The secret file: the declaration with every salt, encrypted with
//! ChaCha20-Poly1305 (RFC 8439 §2.8) under a 32-byte key the declaring state
//! keeps in a key file. The Pedersen blindings are derived from the salts, so
//! the salts are the whole secret.
//!
//! # Layout
//!
//! ```text
//! offset  size  field
//! 0       24    magic "custodian-escrow-secret\n"
//! 24      1     version 0x01
//! 25      12    nonce (random, from the operating system's CSPRNG)
//! 37      L+16  ChaCha20-Poly1305(key, nonce, plaintext, aad = bytes 0..25):
//!               the ciphertext of L bytes, then the 16-byte Poly1305 tag
//! ```
//!
//! The plaintext is the declaration's JSON ([`Declaration::to_json`]) with
//! every salt. The key file holds the key as 64 hex digits and an optional
//! final newline.

use crate::commitment::SecretDeclaration;
use crate::declaration::Declaration;
use crate::encoding::parse_hex_array;
use crate::error::EscrowError;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use custodian_core::encoding;
use rand_core::{OsRng, RngCore};
use std::fmt;
use std::path::{Path, PathBuf};

/// The first 24 bytes of a secret file.
pub const MAGIC: &[u8; 24] = b"custodian-escrow-secret\n";
/// The format version after the magic.
pub const VERSION: u8 = 1;
const HEADER_LEN: usize = MAGIC.len() + 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// The largest secret file read (a limit against runaway input): 4 GiB.
pub const SECRET_FILE_BYTES_MAX: u64 = 4 << 30;

/// The 32-byte key of a secret file. Its `Debug` form does not show it, and
/// it is overwritten when dropped.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl SecretKey {
    /// A new random key from the operating system's CSPRNG.
    pub fn generate() -> SecretKey {
        let mut k = [0u8; 32];
        OsRng.fill_bytes(&mut k);
        SecretKey(k)
    }

    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        SecretKey(bytes)
    }

    /// Parses the key file text: 64 hex digits and an optional final newline.
    pub fn from_key_file_text(text: &str) -> Result<SecretKey, EscrowError> {
        let digits = text.strip_suffix('\n').unwrap_or(text);
        parse_hex_array::<32>(digits)
            .map(SecretKey)
            .ok_or_else(|| EscrowError::SecretFile {
                path: PathBuf::new(),
                problem: "expected a key file of 64 hex digits (32 bytes) and an optional newline"
                    .to_owned(),
            })
    }

    /// The key file text: 64 lowercase hex digits and a newline.
    pub fn to_key_file_text(&self) -> String {
        format!("{}\n", encoding::hex(&self.0))
    }

    /// Reads a key file.
    pub fn read_file(path: &Path) -> Result<SecretKey, EscrowError> {
        let text = std::fs::read_to_string(path).map_err(|source| EscrowError::Io {
            path: path.to_owned(),
            source,
        })?;
        SecretKey::from_key_file_text(&text).map_err(|e| with_path(e, path))
    }

    /// Writes a new key file, refusing to overwrite one; readable by its
    /// owner only on Unix.
    pub fn write_new_file(&self, path: &Path) -> Result<(), EscrowError> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let io = |source| EscrowError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = options.open(path).map_err(io)?;
        file.write_all(self.to_key_file_text().as_bytes())
            .map_err(io)?;
        file.sync_all().map_err(io)
    }
}

fn with_path(e: EscrowError, path: &Path) -> EscrowError {
    match e {
        EscrowError::SecretFile { problem, .. } => EscrowError::SecretFile {
            path: path.to_owned(),
            problem,
        },
        EscrowError::Decrypt { .. } => EscrowError::Decrypt {
            path: path.to_owned(),
        },
        other => other,
    }
}

/// Encrypts the declaration (with all its salts) into the secret-file bytes.
pub fn seal(secret: &SecretDeclaration, key: &SecretKey) -> Vec<u8> {
    seal_declaration(&secret.declaration(), key)
}

/// Encrypts a declaration into the secret-file bytes.
pub fn seal_declaration(declaration: &Declaration, key: &SecretKey) -> Vec<u8> {
    let plaintext = declaration.to_json();
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key.0));
    // Encryption fails only for plaintexts beyond 2^38 bytes.
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext.as_bytes(),
                aad: &out,
            },
        )
        .expect("a declaration is far below ChaCha20-Poly1305's limit");
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// Decrypts secret-file bytes and parses the declaration. A wrong key or a
/// changed byte gives [`EscrowError::Decrypt`].
pub fn open(bytes: &[u8], key: &SecretKey) -> Result<Declaration, EscrowError> {
    let bad = |problem: String| EscrowError::SecretFile {
        path: PathBuf::new(),
        problem,
    };
    if bytes.len() < HEADER_LEN || &bytes[..MAGIC.len()] != MAGIC {
        return Err(bad(
            "not a Custodian escrow secret file (the magic \"custodian-escrow-secret\\n\" is missing)"
                .to_owned(),
        ));
    }
    if bytes[MAGIC.len()] != VERSION {
        return Err(bad(format!(
            "secret file version {} is not supported (expected {VERSION})",
            bytes[MAGIC.len()]
        )));
    }
    if bytes.len() < HEADER_LEN + NONCE_LEN + TAG_LEN {
        return Err(bad("the secret file is truncated".to_owned()));
    }
    let (header, rest) = bytes.split_at(HEADER_LEN);
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key.0));
    let plaintext = cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: header,
            },
        )
        .map_err(|_| EscrowError::Decrypt {
            path: PathBuf::new(),
        })?;
    let text = String::from_utf8(plaintext)
        .map_err(|_| bad("the decrypted declaration is not UTF-8".to_owned()))?;
    Declaration::from_json(&text)
}

/// Writes the secret file (replacing it atomically via a temporary file in the
/// same directory); readable by its owner only on Unix.
pub fn write_secret_file(
    path: &Path,
    secret: &SecretDeclaration,
    key: &SecretKey,
) -> Result<(), EscrowError> {
    use std::io::Write;
    let bytes = seal(secret, key);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| EscrowError::Io { path: p, source }
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(io(&tmp))?;
    file.write_all(&bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Reads and decrypts a secret file, and commits to the declaration again
/// (every salt is in the file, so the commitment is the original one).
pub fn read_secret_file(path: &Path, key: &SecretKey) -> Result<SecretDeclaration, EscrowError> {
    let meta = std::fs::metadata(path).map_err(|source| EscrowError::Io {
        path: path.to_owned(),
        source,
    })?;
    if meta.len() > SECRET_FILE_BYTES_MAX {
        return Err(EscrowError::SecretFile {
            path: path.to_owned(),
            problem: format!(
                "expected at most {SECRET_FILE_BYTES_MAX} bytes, found {}",
                meta.len()
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(|source| EscrowError::Io {
        path: path.to_owned(),
        source,
    })?;
    let declaration = open(&bytes, key).map_err(|e| with_path(e, path))?;
    if declaration.salts().iter().any(Option::is_none) {
        return Err(EscrowError::SecretFile {
            path: path.to_owned(),
            problem: "an entry has no salt: this is a declaration, not a committed secret"
                .to_owned(),
        });
    }
    SecretDeclaration::commit(declaration)
}
