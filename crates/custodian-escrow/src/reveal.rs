//! Reveals and their offline verification against a [`Commitment`]:
//! single entries with RFC 9162 inclusion proofs, complete ranges (a category
//! or a (category, region)) with a range proof and edge openings of their
//! neighbours, and random samples drawn from a public seed.
//!
//! Every `verify_*` function needs only the public commitment (and, to check
//! Pedersen commitments against the annex, the verified annexes). A reveal that
//! does not verify gives an [`EscrowError`] naming the leaf and what did not
//! match ([`EscrowError::is_finding`] is true); no input makes them panic.

use crate::commitment::{id_hiding, leaf_from_parts, open_leaf, Commitment, SecretDeclaration};
use crate::declaration::{Entry, Salt, SortKey};
use crate::encoding::{hex32, hex_hashes};
use crate::error::{EscrowError, Side};
use crate::merkle::{self, RangeProofError};
use crate::pedersen::VerifiedAnnex;
use crate::sample::draw_sample;
use crate::text::{Label, MeasureName};
use curve25519_dalek::ristretto::CompressedRistretto;
use custodian_core::{LeafIndex, TreeSize};
use custodian_ledger::hash::empty_root;
use custodian_ledger::proof::{verify_inclusion, VerifyError};
use custodian_ledger::Hash;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// A full opening of one leaf: the entry and its salt. Its JSON form is the
/// declaration's entry form with a required `salt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryOpening {
    /// The entry.
    #[serde(flatten)]
    pub entry: Entry,
    /// Its salt.
    pub salt: Salt,
}

/// An edge opening: where a leaf sorts at (category, region) granularity, with
/// no id and no content (see [`crate::commitment`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeOpening {
    /// The leaf's category.
    pub category: Label,
    /// The leaf's region.
    pub region: Label,
    /// `id_hiding`, hex.
    #[serde(with = "hex32")]
    pub id_hiding: [u8; 32],
    /// `blind`, hex.
    #[serde(with = "hex32")]
    pub blind: [u8; 32],
}

impl EdgeOpening {
    fn leaf(&self) -> Hash {
        leaf_from_parts(
            &self.category,
            &self.region,
            &self.id_hiding,
            &self.blind,
            &mut Vec::new(),
        )
    }
}

/// A key opening: a leaf's full sort key, without its content or salt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyOpening {
    /// The leaf's key.
    pub key: SortKey,
    /// `id_key`, hex.
    #[serde(with = "hex32")]
    pub id_key: [u8; 32],
    /// `blind`, hex.
    #[serde(with = "hex32")]
    pub blind: [u8; 32],
}

impl KeyOpening {
    pub(crate) fn leaf(&self) -> Hash {
        let hiding = id_hiding(&self.id_key, &self.key.id);
        leaf_from_parts(
            &self.key.category,
            &self.key.region,
            &hiding,
            &self.blind,
            &mut Vec::new(),
        )
    }
}

/// A contiguous range of keys: a whole category, or one (category, region).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeSelector {
    /// The category.
    pub category: Label,
    /// The region within it, or every region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Label>,
}

impl RangeSelector {
    /// A whole category.
    pub fn category(category: Label) -> RangeSelector {
        RangeSelector {
            category,
            region: None,
        }
    }

    /// One (category, region).
    pub fn category_region(category: Label, region: Label) -> RangeSelector {
        RangeSelector {
            category,
            region: Some(region),
        }
    }

    /// Where (category, region) sorts relative to the range: `Less` before it,
    /// `Equal` inside it, `Greater` after it.
    pub fn locate(&self, category: &Label, region: &Label) -> Ordering {
        match &self.region {
            None => category.cmp(&self.category),
            Some(r) => (category, region).cmp(&(&self.category, r)),
        }
    }

    /// Whether the range holds the key.
    pub fn contains(&self, key: &SortKey) -> bool {
        self.locate(&key.category, &key.region) == Ordering::Equal
    }
}

impl fmt::Display for RangeSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.region {
            None => write!(f, "category {}", self.category),
            Some(r) => write!(f, "(category {}, region {r})", self.category),
        }
    }
}

/// One entry revealed with its RFC 9162 §2.1.3 inclusion proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryReveal {
    /// The leaf index.
    pub index: u64,
    /// The opening.
    pub opening: EntryOpening,
    /// The inclusion proof, leaf to root, hex.
    #[serde(with = "hex_hashes")]
    pub proof: Vec<Hash>,
}

/// A complete range: every leaf in `[start, end)` opened, the neighbours
/// `start − 1` and `end` edge-opened (when they exist) to show that they lie
/// outside the range, and a range proof for the whole run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeReveal {
    /// The range.
    pub selector: RangeSelector,
    /// The first leaf of the range.
    pub start: u64,
    /// One past the last leaf of the range (`start` for an empty range).
    pub end: u64,
    /// The openings of leaves `start … end − 1`, in order.
    pub entries: Vec<EntryOpening>,
    /// Leaf `start − 1`, present iff `start > 0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<EdgeOpening>,
    /// Leaf `end`, present iff `end < N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<EdgeOpening>,
    /// The range proof of the run from the left neighbour (or `start`) to the
    /// right neighbour (or `end − 1`), hex ([`crate::merkle`]).
    #[serde(with = "hex_hashes")]
    pub proof: Vec<Hash>,
}

/// A random sample: the entries drawn from `seed`, each with its inclusion
/// proof, in ascending leaf order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleReveal {
    /// The public seed, hex.
    #[serde(with = "hex32")]
    pub seed: [u8; 32],
    /// The sample, in ascending leaf order.
    pub entries: Vec<EntryReveal>,
}

/// A verified single entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedEntry {
    /// The leaf index.
    pub index: u64,
    /// The entry.
    pub entry: Entry,
    /// Its Pedersen commitments, in the commitment's measure order.
    pub commitments: Vec<CompressedRistretto>,
}

/// A verified complete range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRange {
    /// The range.
    pub selector: RangeSelector,
    /// Its first leaf.
    pub start: u64,
    /// One past its last leaf.
    pub end: u64,
    /// Its entries, leaf `start` first.
    pub entries: Vec<VerifiedEntry>,
    /// (category, region) of leaf `start − 1`, if any.
    pub left: Option<(Label, Label)>,
    /// (category, region) of leaf `end`, if any.
    pub right: Option<(Label, Label)>,
}

/// A verified sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSample {
    /// The seed.
    pub seed: [u8; 32],
    /// The entries, in ascending leaf order.
    pub entries: Vec<VerifiedEntry>,
}

/// Opens an entry and checks its commitments against the annexes.
fn check_opening(
    measures: &[MeasureName],
    index: u64,
    opening: &EntryOpening,
    annexes: &[VerifiedAnnex],
) -> Result<(Hash, VerifiedEntry), EscrowError> {
    let opened = open_leaf(&opening.entry, &opening.salt, measures, || {
        format!("leaf {index}")
    })?;
    for annex in annexes {
        let Some(m) = measures.iter().position(|m| m == annex.measure()) else {
            return Err(EscrowError::MeasureNotCommitted {
                at: format!("annex given to verify leaf {index}"),
                measure: annex.measure().to_string(),
                committed: measures.iter().map(|m| m.to_string()).collect(),
            });
        };
        if annex.get(index) != Some(&opened.commitments[m]) {
            return Err(EscrowError::AnnexMismatch {
                index,
                measure: annex.measure().to_string(),
            });
        }
    }
    Ok((
        opened.leaf,
        VerifiedEntry {
            index,
            entry: opening.entry.clone(),
            commitments: opened.commitments,
        },
    ))
}

pub(crate) fn range_error(what: String, root: &Hash, e: RangeProofError) -> EscrowError {
    match e {
        RangeProofError::WrongLength { expected, found } => EscrowError::WrongCount {
            what: format!("{what}: proof hashes"),
            expected: expected as u64,
            found: found as u64,
        },
        RangeProofError::RootMismatch { computed } => EscrowError::RootMismatch {
            what,
            expected: *root,
            computed,
        },
    }
}

/// Verifies a run of leaf hashes `[start, start + leaves.len())` against the
/// root, including the empty declaration (no leaves, empty proof, empty root).
pub(crate) fn verify_run(
    commitment: &Commitment,
    start: u64,
    leaves: &[Hash],
    proof: &[Hash],
    what: impl Fn() -> String,
) -> Result<(), EscrowError> {
    let n = commitment.entries();
    if leaves.is_empty() {
        // Only an empty declaration has no leaf around a range.
        if !proof.is_empty() {
            return Err(EscrowError::WrongCount {
                what: format!("{}: proof hashes", what()),
                expected: 0,
                found: proof.len() as u64,
            });
        }
        if *commitment.root() != empty_root() {
            return Err(EscrowError::RootMismatch {
                what: what(),
                expected: *commitment.root(),
                computed: empty_root(),
            });
        }
        return Ok(());
    }
    let end = start + leaves.len() as u64;
    if end > n {
        return Err(EscrowError::IndexOutOfRange {
            what: what(),
            index: end - 1,
            entries: n,
        });
    }
    merkle::verify_range(n, start, leaves, proof, commitment.root())
        .map_err(|e| range_error(what(), commitment.root(), e))
}

impl Commitment {
    /// Verifies one revealed entry: its leaf is at `index` under the root, and
    /// its Pedersen commitments match the annexes given.
    pub fn verify_entry(
        &self,
        reveal: &EntryReveal,
        annexes: &[VerifiedAnnex],
    ) -> Result<VerifiedEntry, EscrowError> {
        let n = self.entries();
        if reveal.index >= n {
            return Err(EscrowError::IndexOutOfRange {
                what: "entry reveal".to_owned(),
                index: reveal.index,
                entries: n,
            });
        }
        let measures = self.measure_names();
        let (leaf, verified) = check_opening(&measures, reveal.index, &reveal.opening, annexes)?;
        verify_inclusion(
            &leaf,
            LeafIndex(reveal.index),
            TreeSize(n),
            &reveal.proof,
            self.root(),
        )
        .map_err(|e| match e {
            VerifyError::WrongProofLength { expected, found } => EscrowError::WrongCount {
                what: format!("leaf {}: inclusion proof hashes", reveal.index),
                expected: expected as u64,
                found: found as u64,
            },
            VerifyError::RootMismatch { expected, computed } => EscrowError::RootMismatch {
                what: format!(
                    "leaf {} (entry {})",
                    reveal.index,
                    reveal.opening.entry.key()
                ),
                expected,
                computed,
            },
            other => EscrowError::RootMismatch {
                what: format!("leaf {}: {other}", reveal.index),
                expected: *self.root(),
                computed: empty_root(),
            },
        })?;
        Ok(verified)
    }

    /// Verifies a complete range: every leaf of `[start, end)` opened, each in
    /// the range and in strictly increasing key order, the neighbours outside
    /// the range on the right sides, and the whole run under the root. A range
    /// that skips an entry, a wrong neighbour, a wrong proof or a wrong salt
    /// fails with an error naming the leaf.
    pub fn verify_range(
        &self,
        reveal: &RangeReveal,
        annexes: &[VerifiedAnnex],
    ) -> Result<VerifiedRange, EscrowError> {
        let n = self.entries();
        let (start, end) = (reveal.start, reveal.end);
        let what = || format!("range {} = leaves [{start}, {end})", reveal.selector);
        if start > end || end > n {
            return Err(EscrowError::IndexOutOfRange {
                what: what(),
                index: start.max(end),
                entries: n,
            });
        }
        if reveal.entries.len() as u64 != end - start {
            return Err(EscrowError::WrongCount {
                what: format!("{}: opened entries", what()),
                expected: end - start,
                found: reveal.entries.len() as u64,
            });
        }
        check_neighbour(
            Side::Left,
            start > 0,
            start.wrapping_sub(1),
            reveal.left.as_ref(),
        )?;
        check_neighbour(Side::Right, end < n, end, reveal.right.as_ref())?;
        let measures = self.measure_names();
        let mut leaves = Vec::with_capacity(reveal.entries.len() + 2);
        if let Some(left) = &reveal.left {
            if reveal.selector.locate(&left.category, &left.region) != Ordering::Less {
                return Err(EscrowError::Neighbour {
                    side: Side::Left,
                    index: start - 1,
                    problem: format!(
                        "(category {}, region {}) does not sort before the range {}",
                        left.category, left.region, reveal.selector
                    ),
                });
            }
            leaves.push(left.leaf());
        }
        let mut entries = Vec::with_capacity(reveal.entries.len());
        for (t, opening) in reveal.entries.iter().enumerate() {
            let index = start + t as u64;
            let key = opening.entry.key();
            if !reveal.selector.contains(key) {
                return Err(EscrowError::OutsideRange {
                    index,
                    key: key.to_string(),
                    selector: reveal.selector.to_string(),
                });
            }
            if let Some(previous) = entries.last().map(|e: &VerifiedEntry| e.entry.key()) {
                if previous >= key {
                    return Err(EscrowError::OutOfOrder {
                        index,
                        key: key.to_string(),
                        previous_index: index - 1,
                        previous: previous.to_string(),
                    });
                }
            }
            let (leaf, verified) = check_opening(&measures, index, opening, annexes)?;
            leaves.push(leaf);
            entries.push(verified);
        }
        if let Some(right) = &reveal.right {
            if reveal.selector.locate(&right.category, &right.region) != Ordering::Greater {
                return Err(EscrowError::Neighbour {
                    side: Side::Right,
                    index: end,
                    problem: format!(
                        "(category {}, region {}) does not sort after the range {}",
                        right.category, right.region, reveal.selector
                    ),
                });
            }
            leaves.push(right.leaf());
        }
        let run_start = if reveal.left.is_some() {
            start - 1
        } else {
            start
        };
        verify_run(self, run_start, &leaves, &reveal.proof, what)?;
        Ok(VerifiedRange {
            selector: reveal.selector.clone(),
            start,
            end,
            entries,
            left: reveal
                .left
                .as_ref()
                .map(|l| (l.category.clone(), l.region.clone())),
            right: reveal
                .right
                .as_ref()
                .map(|r| (r.category.clone(), r.region.clone())),
        })
    }

    /// Verifies a random sample: it must be exactly the `n` leaves drawn from
    /// `seed` ([`crate::sample`]) — the seed the verifier itself took from the
    /// log — each opened and included under the root.
    pub fn verify_sample(
        &self,
        reveal: &SampleReveal,
        seed: &[u8; 32],
        n: u64,
        annexes: &[VerifiedAnnex],
    ) -> Result<VerifiedSample, EscrowError> {
        if reveal.seed != *seed {
            return Err(EscrowError::SeedMismatch {
                expected: custodian_core::encoding::hex(seed),
                found: custodian_core::encoding::hex(&reveal.seed),
            });
        }
        // Counted before drawing, so that no reveal makes the draw allocate.
        if reveal.entries.len() as u64 != n {
            return Err(EscrowError::WrongCount {
                what: "sample: revealed entries".to_owned(),
                expected: n,
                found: reveal.entries.len() as u64,
            });
        }
        let mut expected = draw_sample(&self.digest(), self.entries(), seed, n)?;
        expected.sort_unstable();
        let mut entries = Vec::with_capacity(reveal.entries.len());
        for (position, (want, got)) in expected.iter().zip(&reveal.entries).enumerate() {
            if *want != got.index {
                return Err(EscrowError::SampleMismatch {
                    position,
                    expected: *want,
                    found: got.index,
                });
            }
            entries.push(self.verify_entry(got, annexes)?);
        }
        Ok(VerifiedSample {
            seed: *seed,
            entries,
        })
    }
}

fn check_neighbour<T>(
    side: Side,
    must: bool,
    index: u64,
    given: Option<&T>,
) -> Result<(), EscrowError> {
    match (must, given.is_some()) {
        (true, false) => Err(EscrowError::Neighbour {
            side,
            index,
            problem:
                "missing: the leaf next to the range must be opened to show where the range ends"
                    .to_owned(),
        }),
        (false, true) => Err(EscrowError::Neighbour {
            side,
            index,
            problem: "given, but the range reaches the edge of the declaration".to_owned(),
        }),
        _ => Ok(()),
    }
}

impl SecretDeclaration {
    fn opening(&self, index: u64) -> EntryOpening {
        EntryOpening {
            entry: self.entry(index).clone(),
            salt: *self.salt(index),
        }
    }

    pub(crate) fn edge_opening(&self, index: u64) -> EdgeOpening {
        let opened = self.opened(index);
        let key = self.entry(index).key();
        EdgeOpening {
            category: key.category.clone(),
            region: key.region.clone(),
            id_hiding: opened.id_hiding,
            blind: opened.blind,
        }
    }

    pub(crate) fn key_opening(&self, index: u64) -> KeyOpening {
        let opened = self.opened(index);
        KeyOpening {
            key: self.entry(index).key().clone(),
            id_key: opened.id_key,
            blind: opened.blind,
        }
    }

    /// Reveals leaf `index` with its inclusion proof.
    pub fn reveal_entry(&self, index: u64) -> Result<EntryReveal, EscrowError> {
        let n = self.entries().len() as u64;
        if index >= n {
            return Err(EscrowError::Request(format!(
                "leaf {index} is not in a declaration of {n} entries"
            )));
        }
        Ok(EntryReveal {
            index,
            opening: self.opening(index),
            proof: self.tree().inclusion_proof(index),
        })
    }

    /// Reveals the entry with this key.
    pub fn reveal_key(&self, key: &SortKey) -> Result<EntryReveal, EscrowError> {
        match self.search(key) {
            Ok(index) => self.reveal_entry(index),
            Err(_) => Err(EscrowError::Request(format!(
                "the key {key} is not in the declaration"
            ))),
        }
    }

    /// Reveals a complete range (possibly empty: then only the neighbours
    /// around where it would be are edge-opened).
    pub fn reveal_range(&self, selector: &RangeSelector) -> RangeReveal {
        let entries = self.entries();
        let start = entries.partition_point(|e| {
            selector.locate(&e.key().category, &e.key().region) == Ordering::Less
        }) as u64;
        let end = entries.partition_point(|e| {
            selector.locate(&e.key().category, &e.key().region) != Ordering::Greater
        }) as u64;
        let n = entries.len() as u64;
        let left = (start > 0).then(|| self.edge_opening(start - 1));
        let right = (end < n).then(|| self.edge_opening(end));
        let run_start = start.saturating_sub(1);
        let run_end = (end + 1).min(n);
        let proof = if run_start < run_end {
            self.tree().range_proof(run_start, run_end)
        } else {
            Vec::new()
        };
        RangeReveal {
            selector: selector.clone(),
            start,
            end,
            entries: (start..end).map(|i| self.opening(i)).collect(),
            left,
            right,
            proof,
        }
    }

    /// Reveals the sample of `n` leaves drawn from `seed`.
    pub fn reveal_sample(&self, seed: &[u8; 32], n: u64) -> Result<SampleReveal, EscrowError> {
        let c = self.commitment();
        let mut indices = draw_sample(&c.digest(), c.entries(), seed, n)?;
        indices.sort_unstable();
        Ok(SampleReveal {
            seed: *seed,
            entries: indices
                .into_iter()
                .map(|i| self.reveal_entry(i))
                .collect::<Result<_, _>>()?,
        })
    }
}
