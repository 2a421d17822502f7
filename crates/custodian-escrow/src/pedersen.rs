//! Totals without disclosure: Pedersen commitments on ristretto255 and
//! Bulletproofs range proofs.
//!
//! Each entry commits to its value `v` of each measure with a Pedersen
//! commitment (Pedersen 1991) in the ristretto255 group (RFC 9496):
//!
//! ```text
//! C = v·B + r·B̃        B  = the ristretto255 generator (RFC 9496 §4.4)
//!                      B̃ = bulletproofs' PedersenGens::B_blinding
//!                           (RistrettoPoint::hash_from_bytes::<Sha3_512>(B's encoding))
//! r = SHA-512(lp("custodian/escrow/v1/pedersen-blinding") || salt || lp(measure)) mod ℓ
//! ```
//!
//! The blinding is derived from the entry's salt, so the secret file needs
//! only the salts; a full reveal discloses the salt and so opens `C`.
//! Commitments are perfectly hiding and computationally binding, and they
//! add: the committed total is `T = Σ C_i = (Σ v_i)·B + (Σ r_i)·B̃`.
//!
//! The **annex** of a measure is the list of the `C_i` in leaf order; its
//! digest is in the [`crate::Commitment`], so anyone can check that the annex
//! adds up to `T` and that a revealed entry's `C_i` is the annex's.
//!
//! A **total within a limit** `L` is proven with one aggregated Bulletproofs
//! range proof (Bünz et al., "Bulletproofs: Short Proofs for Confidential
//! Transactions and More", IEEE S&P 2018, §4.3) over the two 64-bit values
//! `(V, L − V)` with blindings `(R, −R)`: their commitments are `T` and
//! `L·B − T`, which the verifier computes itself. Both values lie in
//! `[0, 2^64)` and add up to `L < 2^64` in a group of prime order
//! `ℓ > 2^252`, so `0 ≤ V ≤ L` as integers. The Merlin transcript is bound to
//! the commitment's digest, the measure and the limit.
//!
//! An **opening of a total** ([`TotalOpening`]) is the pair `(V, R)` with
//! `T = V·B + R·B̃`: the way a Pedersen commitment is opened (Pedersen 1991).
//! It reveals the total `V` and nothing about how it splits among the
//! entries: the per-entry commitments are perfectly hiding, so the annex and
//! `(V, R)` are consistent with every split of `V`. The state chooses to open
//! a total when it reports that total (a review report binding, FORMATS.md
//! §16); a state that later reveals every entry but one has by then also
//! shown the last one's value, which the total implies.

use crate::encoding::{
    base64_bytes, excerpt, hash_lp, parse_hex_array, put_lp, TAG_ANNEX, TAG_PEDERSEN_BLINDING,
    TRANSCRIPT_TOTAL_LIMIT, TRANSCRIPT_TOTAL_RANGE64,
};
use crate::error::EscrowError;
use crate::text::MeasureName;
use bulletproofs::{BulletproofGens, PedersenGens, RangeProof};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use custodian_core::encoding;
use custodian_ledger::Hash;
use merlin::Transcript;
use rand_core::OsRng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256, Sha512};
use std::sync::OnceLock;

/// The number of bits each range proof covers.
pub const RANGE_BITS: usize = 64;

/// The Pedersen generators `B` (the ristretto255 generator) and `B̃`.
pub fn pedersen_gens() -> &'static PedersenGens {
    static GENS: OnceLock<PedersenGens> = OnceLock::new();
    GENS.get_or_init(PedersenGens::default)
}

/// Bulletproofs generators for up to two aggregated 64-bit proofs.
fn bulletproof_gens() -> &'static BulletproofGens {
    static GENS: OnceLock<BulletproofGens> = OnceLock::new();
    GENS.get_or_init(|| BulletproofGens::new(RANGE_BITS, 2))
}

/// A precomputed table for multiples of `B̃`.
fn blinding_table() -> &'static RistrettoBasepointTable {
    static TABLE: OnceLock<RistrettoBasepointTable> = OnceLock::new();
    TABLE.get_or_init(|| RistrettoBasepointTable::create(&pedersen_gens().B_blinding))
}

/// A precomputed table for multiples of `B`.
fn value_table() -> &'static RistrettoBasepointTable {
    curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE
}

/// The blinding of an entry's commitment to `measure` (module docs).
pub(crate) fn blinding(salt: &[u8; 32], measure: &MeasureName) -> Scalar {
    let mut h = Sha512::new();
    hash_lp(&mut h, TAG_PEDERSEN_BLINDING);
    h.update(salt);
    hash_lp(&mut h, measure.as_str().as_bytes());
    Scalar::from_hash(h)
}

/// `v·B + r·B̃`.
pub(crate) fn commit_value(value: u64, blinding: &Scalar) -> RistrettoPoint {
    value_table() * &Scalar::from(value) + blinding_table() * blinding
}

fn point_hex(p: &CompressedRistretto) -> String {
    encoding::hex(p.as_bytes())
}

fn parse_point(text: &str) -> Option<CompressedRistretto> {
    parse_hex_array::<32>(text).map(CompressedRistretto)
}

/// serde as hex: a compressed ristretto255 point.
pub(crate) mod hex_point {
    use super::*;

    pub fn serialize<S: Serializer>(p: &CompressedRistretto, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&point_hex(p))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CompressedRistretto, D::Error> {
        let text = String::deserialize(d)?;
        let point = parse_point(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected 64 hex digits, found {:?}",
                excerpt(&text)
            ))
        })?;
        if point.decompress().is_none() {
            return Err(serde::de::Error::custom(
                "not a valid ristretto255 encoding (RFC 9496 §4.3.1)",
            ));
        }
        Ok(point)
    }
}

/// The public record of one committed measure: its name, the total
/// `T = Σ C_i`, and the SHA-256 digest of its annex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureCommitment {
    /// The measure.
    pub name: MeasureName,
    /// `T = Σ C_i`, compressed (RFC 9496 §4.3.2), as hex.
    #[serde(with = "hex_point")]
    pub total: CompressedRistretto,
    /// SHA-256 of the annex bytes ([`Annex::to_bytes`]), as hex.
    #[serde(with = "crate::encoding::hex_hash")]
    pub annex_sha256: Hash,
}

/// The per-entry Pedersen commitments of one measure, in leaf order. Public.
///
/// Bytes (the digest's preimage, also the file form):
/// `lp("custodian/escrow/v1/annex") || lp(measure) || u64 N || C_0 || … || C_{N−1}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annex {
    measure: MeasureName,
    commitments: Vec<CompressedRistretto>,
}

impl Annex {
    pub(crate) fn new(measure: MeasureName, commitments: Vec<CompressedRistretto>) -> Annex {
        Annex {
            measure,
            commitments,
        }
    }

    /// The measure.
    pub fn measure(&self) -> &MeasureName {
        &self.measure
    }

    /// The per-entry commitments, in leaf order.
    pub fn commitments(&self) -> &[CompressedRistretto] {
        &self.commitments
    }

    /// The annex bytes (type docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + 32 * self.commitments.len() + 80);
        put_lp(&mut out, TAG_ANNEX);
        put_lp(&mut out, self.measure.as_str().as_bytes());
        out.extend_from_slice(&(self.commitments.len() as u64).to_be_bytes());
        for c in &self.commitments {
            out.extend_from_slice(c.as_bytes());
        }
        out
    }

    /// Parses the annex bytes strictly: the tag, a valid measure name, a count
    /// that matches the length exactly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Annex, EscrowError> {
        let bad = |problem: String| EscrowError::Annex {
            measure: String::new(),
            problem,
        };
        let mut reader = Reader(bytes);
        let tag = reader
            .lp()
            .ok_or_else(|| bad("the annex is truncated".to_owned()))?;
        if tag != TAG_ANNEX {
            return Err(bad("the annex does not start with the annex tag".to_owned()));
        }
        let name = reader
            .lp()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|t| MeasureName::parse(t).ok())
            .ok_or_else(|| bad("the measure name is missing or not valid".to_owned()))?;
        let count = reader
            .u64()
            .ok_or_else(|| bad("the annex is truncated".to_owned()))?;
        let rest = reader.0;
        if rest.len() as u64 != count.saturating_mul(32) || rest.len() % 32 != 0 {
            return Err(EscrowError::Annex {
                measure: name.to_string(),
                problem: format!(
                    "the annex announces {count} commitments but holds {} bytes of them",
                    rest.len()
                ),
            });
        }
        let commitments = rest
            .chunks_exact(32)
            .map(|c| {
                let mut b = [0u8; 32];
                b.copy_from_slice(c);
                CompressedRistretto(b)
            })
            .collect();
        Ok(Annex {
            measure: name,
            commitments,
        })
    }

    /// SHA-256 of [`Annex::to_bytes`].
    pub fn digest(&self) -> Hash {
        let mut h = Sha256::new();
        hash_lp(&mut h, TAG_ANNEX);
        hash_lp(&mut h, self.measure.as_str().as_bytes());
        h.update((self.commitments.len() as u64).to_be_bytes());
        for c in &self.commitments {
            h.update(c.as_bytes());
        }
        Hash(h.finalize().into())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnexJson {
    measure: MeasureName,
    commitments: Vec<String>,
}

impl Serialize for Annex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        AnnexJson {
            measure: self.measure.clone(),
            commitments: self.commitments.iter().map(point_hex).collect(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Annex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Annex, D::Error> {
        let raw = AnnexJson::deserialize(d)?;
        let commitments = raw
            .commitments
            .iter()
            .enumerate()
            .map(|(i, t)| {
                parse_point(t).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "commitments[{i}]: expected 64 hex digits, found {:?}",
                        excerpt(t)
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Annex {
            measure: raw.measure,
            commitments,
        })
    }
}

/// A strict reader of length-prefixed bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Some(u64::from_be_bytes(b))
    }

    fn lp(&mut self) -> Option<&'a [u8]> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        let len = u32::from_be_bytes(b) as usize;
        self.take(len)
    }
}

/// An annex checked against a commitment: right measure, right length, right
/// digest, every point valid, and `Σ C_i = T`.
#[derive(Clone, Debug)]
pub struct VerifiedAnnex {
    annex: Annex,
}

impl VerifiedAnnex {
    pub(crate) fn new(annex: Annex) -> VerifiedAnnex {
        VerifiedAnnex { annex }
    }

    /// The annex.
    pub fn annex(&self) -> &Annex {
        &self.annex
    }

    /// The measure.
    pub fn measure(&self) -> &MeasureName {
        &self.annex.measure
    }

    /// The commitment of leaf `index`, if the annex has it.
    pub fn get(&self, index: u64) -> Option<&CompressedRistretto> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.annex.commitments.get(i))
    }
}

/// Checks an annex against a measure's public record and the number of entries.
pub(crate) fn verify_annex(
    annex: Annex,
    record: &MeasureCommitment,
    entries: u64,
) -> Result<VerifiedAnnex, EscrowError> {
    let err = |problem: String| EscrowError::Annex {
        measure: record.name.to_string(),
        problem,
    };
    if annex.commitments.len() as u64 != entries {
        return Err(err(format!(
            "expected {entries} commitments (one per entry), found {}",
            annex.commitments.len()
        )));
    }
    let digest = annex.digest();
    if digest != record.annex_sha256 {
        return Err(err(format!(
            "its SHA-256 is {digest}, the commitment has {}",
            record.annex_sha256
        )));
    }
    let mut sum = RistrettoPoint::default();
    for (i, c) in annex.commitments.iter().enumerate() {
        sum += c.decompress().ok_or_else(|| EscrowError::InvalidPoint {
            at: format!("annex of {:?}, commitment {i}", record.name.as_str()),
        })?;
    }
    if sum.compress() != record.total {
        return Err(err(
            "the commitments do not add up to the committed total".to_owned()
        ));
    }
    Ok(VerifiedAnnex::new(annex))
}

/// The opening of a committed total: its value `V = Σ v_i` and blinding
/// `R = Σ r_i`, such that `T = V·B + R·B̃` (Pedersen, "Non-Interactive and
/// Information-Theoretic Secure Verifiable Secret Sharing", CRYPTO '91, LNCS
/// 576: a commitment is opened by revealing the committed value and its
/// randomness; it binds under the discrete logarithm assumption, so no other
/// `(V', R')` opens the same `T`). Opening the total reveals the total, and
/// only the total (module docs).
///
/// JSON: `{"measure": "deployed_warheads", "value": 9, "blinding": "<64 hex>"}`,
/// the blinding as the 32-byte little-endian canonical encoding of the scalar
/// (below ℓ).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotalOpening {
    /// The measure.
    pub measure: MeasureName,
    /// The committed total `V`.
    pub value: u64,
    /// The total's blinding `R`, hex.
    #[serde(with = "hex_scalar")]
    pub blinding: Scalar,
}

/// serde as hex: a canonical scalar mod ℓ (32 bytes, little-endian).
pub(crate) mod hex_scalar {
    use super::*;

    pub fn serialize<S: Serializer>(r: &Scalar, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encoding::hex(r.as_bytes()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = parse_hex_array::<32>(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected 64 hex digits, found {:?}",
                excerpt(&text)
            ))
        })?;
        Option::<Scalar>::from(Scalar::from_canonical_bytes(bytes)).ok_or_else(|| {
            serde::de::Error::custom(
                "expected a canonical scalar (32 bytes little-endian, below the group order ℓ)",
            )
        })
    }
}

/// Checks `T = V·B + R·B̃` for an opening of the total `T`.
pub(crate) fn verify_opening(
    total: &CompressedRistretto,
    opening: &TotalOpening,
) -> Result<(), EscrowError> {
    // Ristretto255 encodings are canonical (RFC 9496 §4.3.2): equal points
    // have equal bytes.
    if commit_value(opening.value, &opening.blinding).compress() == *total {
        Ok(())
    } else {
        Err(EscrowError::TotalOpening {
            measure: opening.measure.to_string(),
            value: opening.value,
        })
    }
}

/// A proof that a committed total lies in `[0, limit]`, without revealing it:
/// an aggregated 2 × 64-bit Bulletproofs range proof (module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotalLimitProof {
    /// The measure.
    pub measure: MeasureName,
    /// The limit `L`.
    pub limit: u64,
    /// The Bulletproofs range proof bytes (`RangeProof::to_bytes`), base64.
    #[serde(with = "base64_bytes")]
    pub proof: Vec<u8>,
}

/// A proof that a committed total lies in `[0, 2^64)`: a single 64-bit
/// Bulletproofs range proof on `T`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotalRangeProof {
    /// The measure.
    pub measure: MeasureName,
    /// The Bulletproofs range proof bytes, base64.
    #[serde(with = "base64_bytes")]
    pub proof: Vec<u8>,
}

fn limit_transcript(commitment_digest: &Hash, measure: &MeasureName, limit: u64) -> Transcript {
    let mut t = Transcript::new(TRANSCRIPT_TOTAL_LIMIT);
    t.append_message(b"commitment", &commitment_digest.0);
    t.append_message(b"measure", measure.as_str().as_bytes());
    t.append_u64(b"limit", limit);
    t
}

fn range64_transcript(commitment_digest: &Hash, measure: &MeasureName) -> Transcript {
    let mut t = Transcript::new(TRANSCRIPT_TOTAL_RANGE64);
    t.append_message(b"commitment", &commitment_digest.0);
    t.append_message(b"measure", measure.as_str().as_bytes());
    t
}

/// Proves `0 ≤ value ≤ limit` for the total `T = value·B + blinding·B̃`.
pub(crate) fn prove_within(
    commitment_digest: &Hash,
    measure: &MeasureName,
    value: u64,
    blinding: &Scalar,
    limit: u64,
) -> Result<TotalLimitProof, EscrowError> {
    let Some(slack) = limit.checked_sub(value) else {
        return Err(EscrowError::AboveLimit {
            measure: measure.to_string(),
            limit,
        });
    };
    let mut transcript = limit_transcript(commitment_digest, measure, limit);
    let (proof, _) = RangeProof::prove_multiple_with_rng(
        bulletproof_gens(),
        pedersen_gens(),
        &mut transcript,
        &[value, slack],
        &[*blinding, -blinding],
        RANGE_BITS,
        &mut OsRng,
    )
    .map_err(|e| EscrowError::Request(format!("bulletproofs could not prove: {e:?}")))?;
    Ok(TotalLimitProof {
        measure: measure.clone(),
        limit,
        proof: proof.to_bytes(),
    })
}

/// Verifies a [`TotalLimitProof`] against the total `T`.
pub(crate) fn verify_within(
    commitment_digest: &Hash,
    total: &CompressedRistretto,
    proof: &TotalLimitProof,
) -> Result<(), EscrowError> {
    let statement = format!("0 <= total <= {}", proof.limit);
    let fail = |reason: String| EscrowError::TotalProof {
        measure: proof.measure.to_string(),
        statement: statement.clone(),
        reason,
    };
    let t = total
        .decompress()
        .ok_or_else(|| EscrowError::InvalidPoint {
            at: format!("total of {:?}", proof.measure.as_str()),
        })?;
    let slack = value_table() * &Scalar::from(proof.limit) - t;
    let range_proof = RangeProof::from_bytes(&proof.proof)
        .map_err(|e| fail(format!("the proof bytes do not parse: {e:?}")))?;
    let mut transcript = limit_transcript(commitment_digest, &proof.measure, proof.limit);
    range_proof
        .verify_multiple_with_rng(
            bulletproof_gens(),
            pedersen_gens(),
            &mut transcript,
            &[*total, slack.compress()],
            RANGE_BITS,
            &mut OsRng,
        )
        .map_err(|e| fail(format!("{e:?}")))
}

/// Proves that the total `T = value·B + blinding·B̃` opens to a 64-bit value.
pub(crate) fn prove_range64(
    commitment_digest: &Hash,
    measure: &MeasureName,
    value: u64,
    blinding: &Scalar,
) -> Result<TotalRangeProof, EscrowError> {
    let mut transcript = range64_transcript(commitment_digest, measure);
    let (proof, _) = RangeProof::prove_single_with_rng(
        bulletproof_gens(),
        pedersen_gens(),
        &mut transcript,
        value,
        blinding,
        RANGE_BITS,
        &mut OsRng,
    )
    .map_err(|e| EscrowError::Request(format!("bulletproofs could not prove: {e:?}")))?;
    Ok(TotalRangeProof {
        measure: measure.clone(),
        proof: proof.to_bytes(),
    })
}

/// Verifies a [`TotalRangeProof`] against the total `T`.
pub(crate) fn verify_range64(
    commitment_digest: &Hash,
    total: &CompressedRistretto,
    proof: &TotalRangeProof,
) -> Result<(), EscrowError> {
    let fail = |reason: String| EscrowError::TotalProof {
        measure: proof.measure.to_string(),
        statement: "0 <= total < 2^64".to_owned(),
        reason,
    };
    let range_proof = RangeProof::from_bytes(&proof.proof)
        .map_err(|e| fail(format!("the proof bytes do not parse: {e:?}")))?;
    let mut transcript = range64_transcript(commitment_digest, &proof.measure);
    range_proof
        .verify_single_with_rng(
            bulletproof_gens(),
            pedersen_gens(),
            &mut transcript,
            total,
            RANGE_BITS,
            &mut OsRng,
        )
        .map_err(|e| fail(format!("{e:?}")))
}
