//! Committing to a declaration: salts, leaves, the Merkle root, the Pedersen
//! totals, and the public [`Commitment`].
//!
//! # Leaf
//!
//! Each entry is hidden by its own 32-byte random salt (Philippe, Glaser and
//! Felten 2019 hash each declared item with a random nonce before building the
//! Merkle tree). The leaf is designed so that a leaf can be opened at three
//! depths:
//!
//! ```text
//! id_key    = SHA-256(lp("custodian/escrow/v1/id-key") || salt)
//! id_hiding = SHA-256(lp("custodian/escrow/v1/id") || id_key || lp(id))
//! blind     = SHA-256(lp("custodian/escrow/v1/blind") || salt || entry_bytes)
//! leaf_data = lp("custodian/escrow/v1/leaf") || lp(category) || lp(region)
//!             || id_hiding || blind
//! leaf      = SHA-256(0x00 || leaf_data)                 (RFC 9162 §2.1.1)
//! root      = MTH(leaf_0 … leaf_{N−1})                   (RFC 9162 §2.1.1)
//! ```
//!
//! - a **full opening** (entry and salt) recomputes everything, including the
//!   Pedersen commitments inside `entry_bytes`;
//! - an **edge opening** (category, region, id_hiding, blind) shows only where
//!   a leaf sorts at (category, region) granularity: the neighbours of a
//!   revealed range, showing no id and no content;
//! - a **key opening** (category, region, id, id_key, blind) also shows the id,
//!   not the content nor the salt: the neighbours of a gap that proves a key
//!   absent.
//!
//! The trade-off: the brief's preimage `lp(category) || lp(region) || blind`
//! gives range edges that show nothing but (category, region), but then a
//! single key can be proven absent only by revealing its whole
//! (category, region); putting `lp(id)` in clear would prove absence with two
//! neighbours but would show the neighbours' ids at every range edge too. The
//! salted `id_hiding` keeps range edges id-free and lets the state show the two
//! neighbours' ids only when it answers an absence challenge. It costs one more
//! SHA-256 per leaf.

use crate::declaration::{Declaration, Entry, Salt, SortKey};
use crate::encoding::{
    hash_lp, put_lp, SCHEME, TAG_BLIND, TAG_COMMITMENT, TAG_ID, TAG_ID_KEY, TAG_LEAF,
};
use crate::error::{from_json, EscrowError};
use crate::merkle::Tree;
use crate::pedersen::{
    self, Annex, MeasureCommitment, TotalLimitProof, TotalOpening, TotalRangeProof, VerifiedAnnex,
};
use crate::text::{Label, MeasureName};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use custodian_ledger::proof::TREE_SIZE_MAX;
use custodian_ledger::Hash;
use rand_core::{CryptoRngCore, OsRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `id_key` of a salt (module docs).
pub(crate) fn id_key(salt: &Salt) -> [u8; 32] {
    let mut h = Sha256::new();
    hash_lp(&mut h, TAG_ID_KEY);
    h.update(salt.0);
    h.finalize().into()
}

/// `id_hiding` of an id under its `id_key` (module docs).
pub(crate) fn id_hiding(id_key: &[u8; 32], id: &Label) -> [u8; 32] {
    let mut h = Sha256::new();
    hash_lp(&mut h, TAG_ID);
    h.update(id_key);
    hash_lp(&mut h, id.as_str().as_bytes());
    h.finalize().into()
}

/// `blind` of an entry's canonical bytes (module docs).
pub(crate) fn blind(salt: &Salt, entry_bytes: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    hash_lp(&mut h, TAG_BLIND);
    h.update(salt.0);
    h.update(entry_bytes);
    h.finalize().into()
}

/// The leaf hash from the parts a partial opening shows (module docs).
pub(crate) fn leaf_from_parts(
    category: &Label,
    region: &Label,
    id_hiding: &[u8; 32],
    blind: &[u8; 32],
    buf: &mut Vec<u8>,
) -> Hash {
    buf.clear();
    put_lp(buf, TAG_LEAF);
    put_lp(buf, category.as_str().as_bytes());
    put_lp(buf, region.as_str().as_bytes());
    buf.extend_from_slice(id_hiding);
    buf.extend_from_slice(blind);
    custodian_ledger::hash::leaf_hash(buf)
}

/// Everything a full opening yields.
pub(crate) struct OpenedLeaf {
    pub(crate) leaf: Hash,
    pub(crate) id_key: [u8; 32],
    pub(crate) id_hiding: [u8; 32],
    pub(crate) blind: [u8; 32],
    pub(crate) commitments: Vec<CompressedRistretto>,
}

/// Opens a leaf from its entry and salt: the Pedersen commitments, the entry
/// bytes, and the leaf hash. `at` names the leaf in errors.
pub(crate) fn open_leaf(
    entry: &Entry,
    salt: &Salt,
    measures: &[MeasureName],
    at: impl FnOnce() -> String,
) -> Result<OpenedLeaf, EscrowError> {
    if let Some(m) = entry.unknown_measure(measures) {
        return Err(EscrowError::MeasureNotCommitted {
            at: at(),
            measure: m.to_string(),
            committed: measures.iter().map(|m| m.to_string()).collect(),
        });
    }
    let commitments: Vec<CompressedRistretto> = measures
        .iter()
        .map(|m| pedersen::commit_value(entry.value(m), &pedersen::blinding(&salt.0, m)).compress())
        .collect();
    Ok(leaf_with_commitments(
        entry,
        salt,
        measures,
        commitments,
        &mut Vec::new(),
    ))
}

fn leaf_with_commitments(
    entry: &Entry,
    salt: &Salt,
    measures: &[MeasureName],
    commitments: Vec<CompressedRistretto>,
    buf: &mut Vec<u8>,
) -> OpenedLeaf {
    let raw: Vec<[u8; 32]> = commitments.iter().map(|c| c.to_bytes()).collect();
    buf.clear();
    entry.encode_into(buf, measures, &raw);
    let blind = blind(salt, buf);
    let id_key = id_key(salt);
    let id_hiding = id_hiding(&id_key, &entry.key().id);
    let leaf = leaf_from_parts(
        &entry.key().category,
        &entry.key().region,
        &id_hiding,
        &blind,
        buf,
    );
    OpenedLeaf {
        leaf,
        id_key,
        id_hiding,
        blind,
        commitments,
    }
}

/// The public commitment to a declaration: scheme, Merkle root, number of
/// entries, and per measure the Pedersen total and the annex digest. This is
/// what the declaring state signs and logs.
///
/// Digest (binds proofs and sample draws to this commitment):
/// `SHA-256(lp("custodian/escrow/v1/commitment") || lp(scheme) || root || u64 entries
///  || u32 M || M × (lp(name) || total[32] || annex_sha256[32]))`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawCommitment", into = "RawCommitment")]
pub struct Commitment {
    root: Hash,
    entries: u64,
    measures: Vec<MeasureCommitment>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommitment {
    scheme: String,
    #[serde(with = "crate::encoding::hex_hash")]
    root: Hash,
    entries: u64,
    measures: Vec<MeasureCommitment>,
}

impl TryFrom<RawCommitment> for Commitment {
    type Error = String;
    fn try_from(raw: RawCommitment) -> Result<Commitment, String> {
        if raw.scheme != SCHEME {
            return Err(format!(
                "scheme: expected {SCHEME:?}, found {:?}",
                raw.scheme
            ));
        }
        if raw.entries > TREE_SIZE_MAX {
            return Err(format!(
                "entries: expected at most {TREE_SIZE_MAX}, found {}",
                raw.entries
            ));
        }
        if raw.measures.len() > crate::declaration::MEASURES_MAX {
            return Err(format!(
                "measures: expected at most {} measures, found {}",
                crate::declaration::MEASURES_MAX,
                raw.measures.len()
            ));
        }
        for (i, pair) in raw.measures.windows(2).enumerate() {
            if pair[0].name >= pair[1].name {
                return Err(format!(
                    "measures[{}]: expected measures sorted by name, each once; {:?} follows {:?}",
                    i + 1,
                    pair[1].name.as_str(),
                    pair[0].name.as_str()
                ));
            }
        }
        Ok(Commitment {
            root: raw.root,
            entries: raw.entries,
            measures: raw.measures,
        })
    }
}

impl From<Commitment> for RawCommitment {
    fn from(c: Commitment) -> RawCommitment {
        RawCommitment {
            scheme: SCHEME.to_owned(),
            root: c.root,
            entries: c.entries,
            measures: c.measures,
        }
    }
}

impl Commitment {
    /// The scheme: [`SCHEME`].
    pub fn scheme(&self) -> &'static str {
        SCHEME
    }

    /// The Merkle root over the sorted leaves.
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// The number of committed entries.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// The committed measures, sorted by name.
    pub fn measures(&self) -> &[MeasureCommitment] {
        &self.measures
    }

    /// The names of the committed measures, sorted.
    pub fn measure_names(&self) -> Vec<MeasureName> {
        self.measures.iter().map(|m| m.name.clone()).collect()
    }

    /// The record of one measure.
    pub fn measure(&self, name: &MeasureName) -> Result<&MeasureCommitment, EscrowError> {
        self.measures
            .iter()
            .find(|m| m.name == *name)
            .ok_or_else(|| EscrowError::MeasureNotCommitted {
                at: "commitment".to_owned(),
                measure: name.to_string(),
                committed: self.measures.iter().map(|m| m.name.to_string()).collect(),
            })
    }

    /// The digest (type docs).
    pub fn digest(&self) -> Hash {
        let mut h = Sha256::new();
        hash_lp(&mut h, TAG_COMMITMENT);
        hash_lp(&mut h, SCHEME.as_bytes());
        h.update(self.root.0);
        h.update(self.entries.to_be_bytes());
        h.update((self.measures.len() as u32).to_be_bytes());
        for m in &self.measures {
            hash_lp(&mut h, m.name.as_str().as_bytes());
            h.update(m.total.as_bytes());
            h.update(m.annex_sha256.0);
        }
        Hash(h.finalize().into())
    }

    /// Parses the JSON form strictly.
    pub fn from_json(text: &str) -> Result<Commitment, EscrowError> {
        from_json(text)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        // Hex strings and integers always serialize.
        serde_json::to_string_pretty(self).expect("a commitment serializes")
    }

    /// Checks a published annex against this commitment: the measure exists,
    /// one commitment per entry, the SHA-256 digest matches, every point is
    /// valid, and the commitments add up to the total.
    pub fn verify_annex(&self, annex: Annex) -> Result<VerifiedAnnex, EscrowError> {
        let record = self.measure(annex.measure())?;
        pedersen::verify_annex(annex, record, self.entries)
    }

    /// Verifies a proof that a measure's total is within `[0, limit]`.
    pub fn verify_total_within(&self, proof: &TotalLimitProof) -> Result<(), EscrowError> {
        let record = self.measure(&proof.measure)?;
        pedersen::verify_within(&self.digest(), &record.total, proof)
    }

    /// Verifies a proof that a measure's total is a 64-bit value.
    pub fn verify_total_range64(&self, proof: &TotalRangeProof) -> Result<(), EscrowError> {
        let record = self.measure(&proof.measure)?;
        pedersen::verify_range64(&self.digest(), &record.total, proof)
    }

    /// Verifies an opening of a measure's total: `T = value·B + blinding·B̃`
    /// (Pedersen 1991; [`TotalOpening`]). Fails with
    /// [`EscrowError::MeasureNotCommitted`] for a measure the commitment does
    /// not have and [`EscrowError::TotalOpening`] for any other value or
    /// blinding; both are findings.
    pub fn verify_total_opening(&self, opening: &TotalOpening) -> Result<(), EscrowError> {
        let record = self.measure(&opening.measure)?;
        pedersen::verify_opening(&record.total, opening)
    }
}

/// The committed total of one measure, kept secret.
#[derive(Clone, Debug)]
struct SecretTotal {
    value: u64,
    blinding: Scalar,
}

/// A committed declaration with everything needed to reveal it: the entries,
/// their salts, the tree and the Pedersen openings. It stays with the
/// declaring state (see [`crate::secret_file`]).
#[derive(Clone, Debug)]
pub struct SecretDeclaration {
    measures: Vec<MeasureName>,
    entries: Vec<Entry>,
    salts: Vec<Salt>,
    tree: Tree,
    /// Per measure, the per-entry commitments in leaf order.
    annexes: Vec<Vec<CompressedRistretto>>,
    totals: Vec<SecretTotal>,
    commitment: Commitment,
}

impl SecretDeclaration {
    /// Commits to a declaration, drawing the missing salts from the operating
    /// system's CSPRNG.
    pub fn commit(declaration: Declaration) -> Result<SecretDeclaration, EscrowError> {
        SecretDeclaration::commit_with_rng(declaration, &mut OsRng)
    }

    /// Commits to a declaration, drawing the missing salts from `rng`. A
    /// declaration whose salts are all given commits to the same root every
    /// time.
    pub fn commit_with_rng(
        declaration: Declaration,
        rng: &mut impl CryptoRngCore,
    ) -> Result<SecretDeclaration, EscrowError> {
        let (measures, entries, given) = declaration.into_parts();
        let salts: Vec<Salt> = given
            .into_iter()
            .map(|s| {
                s.unwrap_or_else(|| {
                    let mut b = [0u8; 32];
                    rng.fill_bytes(&mut b);
                    Salt(b)
                })
            })
            .collect();
        let n = entries.len();
        let mut annexes: Vec<Vec<CompressedRistretto>> =
            measures.iter().map(|_| Vec::with_capacity(n)).collect();
        let mut totals: Vec<SecretTotal> = measures
            .iter()
            .map(|_| SecretTotal {
                value: 0,
                blinding: Scalar::ZERO,
            })
            .collect();
        let mut sums: Vec<RistrettoPoint> =
            measures.iter().map(|_| RistrettoPoint::default()).collect();
        let mut buf = Vec::with_capacity(512);
        let mut leaves = Vec::with_capacity(n);
        for (entry, salt) in entries.iter().zip(&salts) {
            let mut commitments = Vec::with_capacity(measures.len());
            for (m, name) in measures.iter().enumerate() {
                let value = entry.value(name);
                let r = pedersen::blinding(&salt.0, name);
                let c = pedersen::commit_value(value, &r);
                let total = &mut totals[m];
                total.value =
                    total
                        .value
                        .checked_add(value)
                        .ok_or_else(|| EscrowError::TotalOverflow {
                            measure: name.to_string(),
                        })?;
                total.blinding += r;
                sums[m] += c;
                let compressed = c.compress();
                annexes[m].push(compressed);
                commitments.push(compressed);
            }
            let opened = leaf_with_commitments(entry, salt, &measures, commitments, &mut buf);
            leaves.push(opened.leaf);
        }
        let tree = Tree::from_leaves(leaves.into_iter());
        let measure_records = measures
            .iter()
            .zip(&annexes)
            .zip(&sums)
            .map(|((name, annex), sum)| MeasureCommitment {
                name: name.clone(),
                total: sum.compress(),
                annex_sha256: Annex::new(name.clone(), annex.clone()).digest(),
            })
            .collect();
        let commitment = Commitment {
            root: tree.root(),
            entries: tree.size(),
            measures: measure_records,
        };
        Ok(SecretDeclaration {
            measures,
            entries,
            salts,
            tree,
            annexes,
            totals,
            commitment,
        })
    }

    /// The public commitment.
    pub fn commitment(&self) -> &Commitment {
        &self.commitment
    }

    /// The committed measures, sorted.
    pub fn measures(&self) -> &[MeasureName] {
        &self.measures
    }

    /// The entries in leaf order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The declaration with every salt fixed: the plaintext of the secret file,
    /// from which [`SecretDeclaration::commit`] rebuilds the same commitment.
    pub fn declaration(&self) -> Declaration {
        let entries = self
            .entries
            .iter()
            .zip(&self.salts)
            .map(|(e, s)| crate::declaration::DeclaredEntry {
                entry: e.clone(),
                salt: Some(*s),
            })
            .collect();
        // The entries were validated when committed.
        Declaration::new(self.measures.clone(), entries).expect("a committed declaration is valid")
    }

    /// The leaf index of a key: `Ok(index)` if present, `Err(position)` where
    /// it would sort otherwise.
    pub fn search(&self, key: &SortKey) -> Result<u64, u64> {
        self.entries
            .binary_search_by(|e| e.key().cmp(key))
            .map(|i| i as u64)
            .map_err(|i| i as u64)
    }

    /// The annex of a measure.
    pub fn annex(&self, measure: &MeasureName) -> Result<Annex, EscrowError> {
        let m = self.measure_index(measure)?;
        Ok(Annex::new(measure.clone(), self.annexes[m].clone()))
    }

    /// The annexes of every measure, in the commitment's order.
    pub fn annexes(&self) -> Vec<Annex> {
        self.measures
            .iter()
            .zip(&self.annexes)
            .map(|(m, a)| Annex::new(m.clone(), a.clone()))
            .collect()
    }

    fn measure_index(&self, measure: &MeasureName) -> Result<usize, EscrowError> {
        self.measures
            .binary_search(measure)
            .map_err(|_| EscrowError::UnknownMeasure {
                at: "declaration".to_owned(),
                measure: measure.to_string(),
                declared: self.measures.iter().map(|m| m.to_string()).collect(),
            })
    }

    /// Proves that the total of `measure` is at most `limit` (and at least
    /// 0), without revealing it. Fails with [`EscrowError::AboveLimit`] if it
    /// is above.
    pub fn prove_total_within(
        &self,
        measure: &MeasureName,
        limit: u64,
    ) -> Result<TotalLimitProof, EscrowError> {
        let m = self.measure_index(measure)?;
        let total = &self.totals[m];
        pedersen::prove_within(
            &self.commitment.digest(),
            measure,
            total.value,
            &total.blinding,
            limit,
        )
    }

    /// Proves that the total of `measure` is a 64-bit value (a single 64-bit
    /// range proof).
    pub fn prove_total_range64(
        &self,
        measure: &MeasureName,
    ) -> Result<TotalRangeProof, EscrowError> {
        let m = self.measure_index(measure)?;
        let total = &self.totals[m];
        pedersen::prove_range64(
            &self.commitment.digest(),
            measure,
            total.value,
            &total.blinding,
        )
    }

    /// Opens the committed total of `measure`: its value and blinding
    /// `(Σ v_i, Σ r_i)` (Pedersen 1991). This discloses the total, and only
    /// the total ([`TotalOpening`]); the state does so when it reports it.
    pub fn total_opening(&self, measure: &MeasureName) -> Result<TotalOpening, EscrowError> {
        let m = self.measure_index(measure)?;
        let total = &self.totals[m];
        Ok(TotalOpening {
            measure: measure.clone(),
            value: total.value,
            blinding: total.blinding,
        })
    }

    pub(crate) fn tree(&self) -> &Tree {
        &self.tree
    }

    pub(crate) fn salt(&self, index: u64) -> &Salt {
        &self.salts[index as usize]
    }

    pub(crate) fn entry(&self, index: u64) -> &Entry {
        &self.entries[index as usize]
    }

    /// The opened leaf `index < N` (its parts for partial openings).
    pub(crate) fn opened(&self, index: u64) -> OpenedLeaf {
        let i = index as usize;
        let commitments = self.annexes.iter().map(|a| a[i]).collect();
        leaf_with_commitments(
            &self.entries[i],
            &self.salts[i],
            &self.measures,
            commitments,
            &mut Vec::new(),
        )
    }
}
