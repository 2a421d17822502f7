//! RFC 9162 §2.1.1 hashing (identical to RFC 6962 §2.1): SHA-256 with one-byte
//! domain separation between leaves and interior nodes.

use custodian_core::encoding;
use sha2::{Digest, Sha256};
use std::fmt;

/// A SHA-256 hash: a leaf hash, a node hash or a tree head.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

/// Error parsing a hash from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a 32-byte hash as {expected}, found {found:?}")]
pub struct HashParseError {
    /// `"64 hex digits"` or `"44 characters of base64"`.
    pub expected: &'static str,
    /// The text that was given (truncated to 80 characters).
    pub found: String,
}

impl Hash {
    /// Length in bytes.
    pub const LEN: usize = 32;

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        encoding::hex(&self.0)
    }

    /// Standard base64 with padding, as in a checkpoint's third line.
    pub fn to_base64(&self) -> String {
        encoding::base64(&self.0)
    }

    /// Parses exactly 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Hash, HashParseError> {
        let err = || HashParseError {
            expected: "64 hex digits",
            found: text.chars().take(80).collect(),
        };
        let bytes = encoding::unhex(text).map_err(|_| err())?;
        Self::from_slice(&bytes).ok_or_else(err)
    }

    /// Parses exactly 32 bytes of standard, padded base64.
    pub fn from_base64(text: &str) -> Result<Hash, HashParseError> {
        let err = || HashParseError {
            expected: "44 characters of base64",
            found: text.chars().take(80).collect(),
        };
        let bytes = encoding::unbase64(text).map_err(|_| err())?;
        Self::from_slice(&bytes).ok_or_else(err)
    }

    /// A hash from exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; 32]>::try_from(bytes).ok().map(Hash)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The root of the empty tree: `MTH({}) = SHA-256()` (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// The hash of a leaf: `SHA-256(0x00 || data)` (RFC 9162 §2.1.1). RFC 6962 and
/// golang/mod `tlog.RecordHash` compute the same.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    Hash(h.finalize().into())
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)` (RFC 9162 §2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}
