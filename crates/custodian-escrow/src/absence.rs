//! Incompleteness: deciding whether a record observed elsewhere (an
//! inspection, a relocation, an accountancy record) is in a committed
//! declaration, and proving that it is not.
//!
//! Philippe, Glaser and Felten (2019) note that a site found later that is not
//! in the committed declaration proves the declaration incomplete. With leaves
//! sorted by (category, region, id) that proof is short:
//!
//! - a complete [`crate::RangeReveal`] of the key's category or
//!   (category, region) that does not contain the key; or
//! - a [`GapProof`]: the two adjacent leaves `p − 1` and `p` between which the
//!   key would sort, key-opened (their keys, not their content), with a range
//!   proof that they are adjacent. Leaf `p − 1` is absent when the key sorts
//!   before every leaf, leaf `p` when it sorts after every leaf.
//!
//! When an inspector presents a key, the state answers with a
//! [`KeyResponse`]: the entry itself ([`KeyResponse::Present`]) or a gap
//! ([`KeyResponse::Absent`]); an absent key in a category the treaty covers is
//! a finding with the gap as evidence. [`assess`] decides from reveals already
//! verified, without asking the state.
//!
//! # The sorted-order assumption
//!
//! A range or gap proof shows completeness only if the committed leaves are
//! sorted, which the commitment alone does not prove. A leaf committed out of
//! order is caught when the range it lies in is revealed (it is then outside
//! that range) and whenever two opened leaves disagree on the order: record
//! every verified reveal in an [`OrderWitness`], which fails as soon as the
//! opened keys are not increasing with the leaf index.

use crate::commitment::{Commitment, SecretDeclaration};
use crate::declaration::SortKey;
use crate::error::{EscrowError, Side};
use crate::pedersen::VerifiedAnnex;
use crate::reveal::{
    verify_run, EntryReveal, KeyOpening, RangeSelector, VerifiedEntry, VerifiedRange,
    VerifiedSample,
};
use crate::text::Label;
use custodian_ledger::Hash;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Bound;

/// Proof that no leaf has `key`: the key-opened leaves `position − 1` and
/// `position` (those that exist), with keys below and above `key`, and a range
/// proof that they are adjacent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapProof {
    /// The key proven absent.
    pub key: SortKey,
    /// Where the key would sort: the number of leaves with a smaller key.
    pub position: u64,
    /// Leaf `position − 1`, present iff `position > 0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<KeyOpening>,
    /// Leaf `position`, present iff `position < N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<KeyOpening>,
    /// Range proof of the run of these leaves, hex.
    #[serde(with = "crate::encoding::hex_hashes")]
    pub proof: Vec<Hash>,
}

/// A verified gap: no key strictly between `left` and `right` is committed
/// (`None` is the start or end of the declaration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedGap {
    /// The key the proof was made for.
    pub key: SortKey,
    /// Where it would sort.
    pub position: u64,
    /// The key of leaf `position − 1`.
    pub left: Option<SortKey>,
    /// The key of leaf `position`.
    pub right: Option<SortKey>,
}

impl VerifiedGap {
    /// Whether the gap shows that `key` is not committed.
    pub fn covers(&self, key: &SortKey) -> bool {
        self.left.as_ref().is_none_or(|l| l < key) && self.right.as_ref().is_none_or(|r| key < r)
    }
}

/// The state's answer to "is this key in your declaration?".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "lowercase", deny_unknown_fields)]
pub enum KeyResponse {
    /// The entry, with its inclusion proof.
    Present {
        /// The reveal.
        reveal: EntryReveal,
    },
    /// A gap proof.
    Absent {
        /// The proof.
        gap: GapProof,
    },
}

/// What a verified [`KeyResponse`] shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// The key is committed, at this leaf.
    Declared(VerifiedEntry),
    /// The key is not committed.
    Absent(VerifiedGap),
}

impl SecretDeclaration {
    /// Proves that no committed entry has `key`. Fails with
    /// [`EscrowError::KeyPresent`] if one has.
    pub fn prove_absent(&self, key: &SortKey) -> Result<GapProof, EscrowError> {
        let position = match self.search(key) {
            Ok(index) => {
                return Err(EscrowError::KeyPresent {
                    key: key.to_string(),
                    index,
                })
            }
            Err(p) => p,
        };
        let n = self.entries().len() as u64;
        let run_start = position.saturating_sub(1);
        let run_end = (position + 1).min(n);
        Ok(GapProof {
            key: key.clone(),
            position,
            left: (position > 0).then(|| self.key_opening(position - 1)),
            right: (position < n).then(|| self.key_opening(position)),
            proof: if run_start < run_end {
                self.tree().range_proof(run_start, run_end)
            } else {
                Vec::new()
            },
        })
    }

    /// Answers a key challenge: the entry if present, a gap proof otherwise.
    pub fn respond(&self, key: &SortKey) -> Result<KeyResponse, EscrowError> {
        match self.search(key) {
            Ok(index) => Ok(KeyResponse::Present {
                reveal: self.reveal_entry(index)?,
            }),
            Err(_) => Ok(KeyResponse::Absent {
                gap: self.prove_absent(key)?,
            }),
        }
    }
}

impl Commitment {
    /// Verifies a gap proof: the neighbours are adjacent leaves under the root
    /// and their keys bracket the key strictly.
    pub fn verify_gap(&self, gap: &GapProof) -> Result<VerifiedGap, EscrowError> {
        let n = self.entries();
        let p = gap.position;
        let what = || format!("gap around key {} at position {p}", gap.key);
        if p > n {
            return Err(EscrowError::IndexOutOfRange {
                what: what(),
                index: p,
                entries: n,
            });
        }
        let mut leaves = Vec::with_capacity(2);
        for (side, must, index, opening) in [
            (Side::Left, p > 0, p.wrapping_sub(1), &gap.left),
            (Side::Right, p < n, p, &gap.right),
        ] {
            match (must, opening) {
                (true, None) => {
                    return Err(EscrowError::Neighbour {
                        side,
                        index,
                        problem: "missing: the leaf next to the gap must be key-opened".to_owned(),
                    })
                }
                (false, Some(_)) => {
                    return Err(EscrowError::Neighbour {
                        side,
                        index,
                        problem: "given, but the gap is at the edge of the declaration".to_owned(),
                    })
                }
                (_, None) => {}
                (_, Some(o)) => {
                    let ok = match side {
                        Side::Left => o.key < gap.key,
                        Side::Right => o.key > gap.key,
                    };
                    if !ok {
                        return Err(EscrowError::Neighbour {
                            side,
                            index,
                            problem: format!(
                                "its key {} does not sort {} the key {}",
                                o.key,
                                if side == Side::Left {
                                    "before"
                                } else {
                                    "after"
                                },
                                gap.key
                            ),
                        });
                    }
                    leaves.push(o.leaf());
                }
            }
        }
        verify_run(self, p.saturating_sub(1), &leaves, &gap.proof, what)?;
        Ok(VerifiedGap {
            key: gap.key.clone(),
            position: p,
            left: gap.left.as_ref().map(|o| o.key.clone()),
            right: gap.right.as_ref().map(|o| o.key.clone()),
        })
    }

    /// Verifies the state's answer to the challenge `key`.
    pub fn verify_key_response(
        &self,
        key: &SortKey,
        response: &KeyResponse,
        annexes: &[VerifiedAnnex],
    ) -> Result<KeyStatus, EscrowError> {
        match response {
            KeyResponse::Present { reveal } => {
                let entry = self.verify_entry(reveal, annexes)?;
                if entry.entry.key() != key {
                    return Err(EscrowError::WrongKey {
                        index: entry.index,
                        expected: key.to_string(),
                        found: entry.entry.key().to_string(),
                    });
                }
                Ok(KeyStatus::Declared(entry))
            }
            KeyResponse::Absent { gap } => {
                if gap.key != *key {
                    return Err(EscrowError::WrongKey {
                        index: gap.position,
                        expected: key.to_string(),
                        found: gap.key.to_string(),
                    });
                }
                Ok(KeyStatus::Absent(self.verify_gap(gap)?))
            }
        }
    }
}

/// What verified reveals say about a key observed elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assessment {
    /// A verified opening has this key: it is declared, at this leaf.
    Declared {
        /// The leaf index.
        index: u64,
    },
    /// The key is not committed: a complete range that should hold it does
    /// not, or a gap covers it. The declaration is incomplete if the treaty
    /// requires the key to be declared.
    Undeclared(Evidence),
    /// Nothing revealed so far decides it: challenge the state for a
    /// [`KeyResponse`].
    Undetermined,
}

/// The reveal that proves a key absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// The complete range `ranges[i]` covers the key's (category, region) and
    /// does not hold the key.
    Range {
        /// Index into the `ranges` passed to [`assess`].
        i: usize,
        /// The range.
        selector: RangeSelector,
    },
    /// The gap `gaps[i]` brackets the key.
    Gap {
        /// Index into the `gaps` passed to [`assess`].
        i: usize,
    },
}

/// Decides whether `key` is in the declaration from reveals already verified
/// against its commitment.
pub fn assess(
    key: &SortKey,
    ranges: &[VerifiedRange],
    entries: &[VerifiedEntry],
    gaps: &[VerifiedGap],
) -> Assessment {
    let opened = ranges
        .iter()
        .flat_map(|r| r.entries.iter())
        .chain(entries.iter());
    for e in opened {
        if e.entry.key() == key {
            return Assessment::Declared { index: e.index };
        }
    }
    for (i, r) in ranges.iter().enumerate() {
        if r.selector.contains(key) {
            return Assessment::Undeclared(Evidence::Range {
                i,
                selector: r.selector.clone(),
            });
        }
    }
    for (i, g) in gaps.iter().enumerate() {
        if g.covers(key) {
            return Assessment::Undeclared(Evidence::Gap { i });
        }
    }
    Assessment::Undetermined
}

/// What one opened leaf shows of its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The leaf index.
    pub index: u64,
    /// Its category.
    pub category: Label,
    /// Its region.
    pub region: Label,
    /// Its id, when the opening shows it (not for edge openings).
    pub id: Option<Label>,
}

/// Checks that the keys opened by every verified reveal increase with the leaf
/// index: the sorted order that range and gap proofs rely on (module docs).
#[derive(Clone, Debug, Default)]
pub struct OrderWitness {
    prefixes: BTreeMap<u64, (Label, Label)>,
    keys: BTreeMap<u64, SortKey>,
}

impl OrderWitness {
    /// An empty witness.
    pub fn new() -> OrderWitness {
        OrderWitness::default()
    }

    /// Records one observation; fails with [`EscrowError::OutOfOrder`] if it
    /// contradicts one recorded before.
    pub fn record(&mut self, o: Observation) -> Result<(), EscrowError> {
        let prefix = (o.category.clone(), o.region.clone());
        let show = |p: &(Label, Label)| format!("({}, {}, …)", p.0, p.1);
        if let Some(known) = self.prefixes.get(&o.index) {
            if *known != prefix {
                return Err(EscrowError::OutOfOrder {
                    index: o.index,
                    key: show(&prefix),
                    previous_index: o.index,
                    previous: show(known),
                });
            }
        }
        if let Some((&i, p)) = self.prefixes.range(..o.index).next_back() {
            if *p > prefix {
                return Err(EscrowError::OutOfOrder {
                    index: o.index,
                    key: show(&prefix),
                    previous_index: i,
                    previous: show(p),
                });
            }
        }
        if let Some((&i, p)) = self
            .prefixes
            .range((Bound::Excluded(o.index), Bound::Unbounded))
            .next()
        {
            if prefix > *p {
                return Err(EscrowError::OutOfOrder {
                    index: i,
                    key: show(p),
                    previous_index: o.index,
                    previous: show(&prefix),
                });
            }
        }
        if let Some(id) = &o.id {
            let key = SortKey {
                category: o.category.clone(),
                region: o.region.clone(),
                id: id.clone(),
            };
            if let Some(known) = self.keys.get(&o.index) {
                if *known != key {
                    return Err(EscrowError::OutOfOrder {
                        index: o.index,
                        key: key.to_string(),
                        previous_index: o.index,
                        previous: known.to_string(),
                    });
                }
            }
            if let Some((&i, k)) = self.keys.range(..o.index).next_back() {
                if *k >= key {
                    return Err(EscrowError::OutOfOrder {
                        index: o.index,
                        key: key.to_string(),
                        previous_index: i,
                        previous: k.to_string(),
                    });
                }
            }
            if let Some((&i, k)) = self
                .keys
                .range((Bound::Excluded(o.index), Bound::Unbounded))
                .next()
            {
                if key >= *k {
                    return Err(EscrowError::OutOfOrder {
                        index: i,
                        key: k.to_string(),
                        previous_index: o.index,
                        previous: key.to_string(),
                    });
                }
            }
            self.keys.insert(o.index, key);
        }
        self.prefixes.insert(o.index, prefix);
        Ok(())
    }

    fn record_entry(&mut self, e: &VerifiedEntry) -> Result<(), EscrowError> {
        let k = e.entry.key();
        self.record(Observation {
            index: e.index,
            category: k.category.clone(),
            region: k.region.clone(),
            id: Some(k.id.clone()),
        })
    }

    /// Records a verified entry.
    pub fn record_verified_entry(&mut self, e: &VerifiedEntry) -> Result<(), EscrowError> {
        self.record_entry(e)
    }

    /// Records a verified range: its entries and its neighbours' (category, region).
    pub fn record_range(&mut self, r: &VerifiedRange) -> Result<(), EscrowError> {
        for e in &r.entries {
            self.record_entry(e)?;
        }
        for (index, side) in [(r.start.wrapping_sub(1), &r.left), (r.end, &r.right)] {
            if let Some((category, region)) = side {
                self.record(Observation {
                    index,
                    category: category.clone(),
                    region: region.clone(),
                    id: None,
                })?;
            }
        }
        Ok(())
    }

    /// Records a verified sample.
    pub fn record_sample(&mut self, s: &VerifiedSample) -> Result<(), EscrowError> {
        s.entries.iter().try_for_each(|e| self.record_entry(e))
    }

    /// Records a verified gap's neighbours.
    pub fn record_gap(&mut self, g: &VerifiedGap) -> Result<(), EscrowError> {
        for (index, key) in [
            (g.position.wrapping_sub(1), &g.left),
            (g.position, &g.right),
        ] {
            if let Some(k) = key {
                self.record(Observation {
                    index,
                    category: k.category.clone(),
                    region: k.region.clone(),
                    id: Some(k.id.clone()),
                })?;
            }
        }
        Ok(())
    }
}
