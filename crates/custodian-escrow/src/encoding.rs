//! The byte-level building blocks of every escrow format: domain tags,
//! length prefixes, and the hex forms used in JSON.
//!
//! Every hashed preimage starts with `lp(tag)` for one of the tags below, so no
//! preimage of one kind can be read as a preimage of another. `lp(x)` is the
//! length of `x` as a 4-byte big-endian integer followed by `x`; integers are
//! big-endian. `docs/escrow-formats-draft.md` lists every format byte for byte.

use custodian_core::encoding;
use custodian_ledger::Hash;
use serde::{Deserialize, Deserializer, Serializer};

/// The scheme name, in every [`crate::Commitment`]: `custodian/escrow/v1`.
pub const SCHEME: &str = "custodian/escrow/v1";

/// Tag of the canonical entry bytes.
pub const TAG_ENTRY: &[u8] = b"custodian/escrow/v1/entry";
/// Tag of a leaf preimage (the RFC 9162 leaf data).
pub const TAG_LEAF: &[u8] = b"custodian/escrow/v1/leaf";
/// Tag of the content blind `SHA-256(lp(tag) || salt || entry bytes)`.
pub const TAG_BLIND: &[u8] = b"custodian/escrow/v1/blind";
/// Tag of the id key `SHA-256(lp(tag) || salt)`.
pub const TAG_ID_KEY: &[u8] = b"custodian/escrow/v1/id-key";
/// Tag of the hidden id `SHA-256(lp(tag) || id key || lp(id))`.
pub const TAG_ID: &[u8] = b"custodian/escrow/v1/id";
/// Tag of a Pedersen blinding `SHA-512(lp(tag) || salt || lp(measure))`.
pub const TAG_PEDERSEN_BLINDING: &[u8] = b"custodian/escrow/v1/pedersen-blinding";
/// Tag of an annex (the list of per-entry Pedersen commitments of one measure).
pub const TAG_ANNEX: &[u8] = b"custodian/escrow/v1/annex";
/// Tag of the commitment digest.
pub const TAG_COMMITMENT: &[u8] = b"custodian/escrow/v1/commitment";
/// Tag of the sample draw's SHA-256 counter-mode stream.
pub const TAG_SAMPLE: &[u8] = b"custodian/escrow/v1/sample";
/// Merlin transcript label of a total-within-limit proof.
pub const TRANSCRIPT_TOTAL_LIMIT: &[u8] = b"custodian/escrow/v1/total-within-limit";
/// Merlin transcript label of a total's single 64-bit range proof.
pub const TRANSCRIPT_TOTAL_RANGE64: &[u8] = b"custodian/escrow/v1/total-range64";

/// Appends `lp(bytes)`: a 4-byte big-endian length, then the bytes. Every
/// length-prefixed field is at most a few hundred bytes (the limits of
/// [`crate::text`]), so the length always fits.
pub(crate) fn put_lp(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("length-prefixed fields are at most 256 bytes");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Feeds `lp(bytes)` to a hasher.
pub(crate) fn hash_lp<D: sha2::Digest>(hasher: &mut D, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("length-prefixed fields are at most 256 bytes");
    hasher.update(len.to_be_bytes());
    hasher.update(bytes);
}

/// Parses exactly `N` bytes of hex (either case).
pub(crate) fn parse_hex_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    let bytes = encoding::unhex(text).ok()?;
    <[u8; N]>::try_from(bytes.as_slice()).ok()
}

/// The first 80 characters of `text`, for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    text.chars().take(80).collect()
}

/// serde as lowercase hex: a [`Hash`].
pub(crate) mod hex_hash {
    use super::*;

    pub fn serialize<S: Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hash.to_hex())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let text = String::deserialize(d)?;
        Hash::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// serde as lowercase hex: a list of [`Hash`]es.
pub(crate) mod hex_hashes {
    use super::*;
    use serde::ser::SerializeSeq;

    pub fn serialize<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hashes.len()))?;
        for h in hashes {
            seq.serialize_element(&h.to_hex())?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .iter()
            .map(|t| Hash::from_hex(t).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// serde as lowercase hex: 32 bytes.
pub(crate) mod hex32 {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encoding::hex(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        parse_hex_array::<32>(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected 64 hex digits, found {:?}",
                excerpt(&text)
            ))
        })
    }
}

/// serde as standard padded base64: bytes.
pub(crate) mod base64_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encoding::base64(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        encoding::unbase64(&text)
            .map_err(|e| serde::de::Error::custom(format!("expected standard padded base64: {e}")))
    }
}
