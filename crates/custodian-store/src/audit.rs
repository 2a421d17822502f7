//! The audit: re-read the whole store and check everything that can be checked,
//! trusting nothing the store derived.
//!
//! Checks, in the order they run (each failure names its entry and check):
//! 1. `meta`: the store is ours; its verifier key parses, and equals the pinned
//!    key when one is given;
//! 2. `checkpoint`: every stored checkpoint is a signed note that verifies under
//!    the log key, names this log's origin, and is of a size the log has reached;
//! 3. `leaf`: leaves are numbered 0, 1, 2, ... with no gap; each is a signed
//!    submission in canonical form;
//! 4. `submission`: each passes the actor registry rebuilt from the leaves before
//!    it — origin, actor, sequence number, role, signature, approvals;
//! 5. `hash`: every stored hash equals the hash recomputed from the leaves, and
//!    there are no extra stored hashes;
//! 6. `checkpoint`: every checkpoint's root equals the recomputed root at its size;
//!    the latest checkpoint covers every leaf;
//! 7. `events`: the event index lists exactly the events of the leaves, in order;
//! 8. `actors`: the stored actor table equals the registry rebuilt from the leaves.

use crate::{Store, StoreError};
use custodian_core::{LeafIndex, SignedSubmission, TreeSize};
use custodian_ledger::checkpoint::{self, Checkpoint};
use custodian_ledger::hash::leaf_hash;
use custodian_ledger::keys::VerifierKey;
use custodian_ledger::proof::stored_hash_count;
use custodian_ledger::registry::Registry;
use custodian_ledger::tree::Frontier;
use custodian_ledger::Hash;
use std::collections::VecDeque;
use std::fmt;

/// Leaves read per round trip to the store.
const LEAVES_PER_READ: u64 = 2048;

/// What a passing audit covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditReport {
    /// Leaves checked.
    pub leaves: u64,
    /// Events checked.
    pub events: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// Actors in the rebuilt registry.
    pub actors: u64,
    /// The recomputed root.
    pub root: Hash,
    /// The log's origin.
    pub origin: String,
}

/// Which check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The store's fixed facts.
    Meta,
    /// A leaf's presence or encoding.
    Leaf,
    /// A submission's origin, actor, sequence, role, signature or approvals.
    Submission,
    /// A stored hash.
    Hash,
    /// A checkpoint's signature, origin, size or root.
    Checkpoint,
    /// The event index.
    Events,
    /// The stored actor registry.
    Actors,
    /// The store could not be read.
    Storage,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Check::Meta => "meta",
            Check::Leaf => "leaf",
            Check::Submission => "submission",
            Check::Hash => "hash",
            Check::Checkpoint => "checkpoint",
            Check::Events => "events",
            Check::Actors => "actors",
            Check::Storage => "storage",
        })
    }
}

/// A failed audit: the entry, the check, and what was found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{entry}: {check} check failed: {detail}")]
pub struct AuditFailure {
    /// Which check.
    pub check: Check,
    /// Which entry: `leaf 17`, `stored hash 40`, `checkpoint at size 12`, ...
    pub entry: String,
    /// What was wrong.
    pub detail: String,
}

fn fail(check: Check, entry: impl Into<String>, detail: impl Into<String>) -> AuditFailure {
    AuditFailure {
        check,
        entry: entry.into(),
        detail: detail.into(),
    }
}

fn storage(e: StoreError) -> AuditFailure {
    fail(Check::Storage, "store", e.to_string())
}

/// Audits the whole store. `pinned` is the verifier key the caller expects (from
/// `custodian init`'s output); without it the audit trusts the key in the store,
/// and says so in its report. `progress` is called with (leaves done, leaves).
pub fn audit<S: Store + ?Sized>(
    store: &S,
    pinned: Option<&VerifierKey>,
    mut progress: impl FnMut(u64, u64),
) -> Result<AuditReport, AuditFailure> {
    let meta = store.meta().map_err(storage)?;
    let verifier = VerifierKey::parse(&meta.verifier_key)
        .map_err(|e| fail(Check::Meta, "meta.verifier_key", e.to_string()))?;
    if let Some(pinned) = pinned {
        if pinned.to_text() != verifier.to_text() {
            return Err(fail(
                Check::Meta,
                "meta.verifier_key",
                format!(
                    "the store's log key {:?} is not the expected {:?}",
                    verifier.to_text(),
                    pinned.to_text()
                ),
            ));
        }
    }
    if verifier.name() != meta.origin {
        return Err(fail(
            Check::Meta,
            "meta.origin",
            format!(
                "origin {:?} differs from the log key's name {:?}",
                meta.origin,
                verifier.name()
            ),
        ));
    }
    let size = store.tree_size().map_err(storage)?.0;

    // Checkpoints: signatures first (cheap), roots as the tree is rebuilt.
    let mut pending: VecDeque<(u64, Checkpoint)> = VecDeque::new();
    let stored_checkpoints = store.checkpoints().map_err(storage)?;
    for cp in &stored_checkpoints {
        let entry = format!("checkpoint at size {}", cp.size.0);
        let parsed = checkpoint::verify_checkpoint(cp.note.as_bytes(), &verifier)
            .map_err(|e| fail(Check::Checkpoint, &entry, e.to_string()))?;
        if parsed.size() != cp.size {
            return Err(fail(
                Check::Checkpoint,
                &entry,
                format!("the signed note says size {}", parsed.size().0),
            ));
        }
        if parsed.size().0 > size {
            return Err(fail(
                Check::Checkpoint,
                &entry,
                format!("the log has only {size} leaves: leaves were deleted"),
            ));
        }
        pending.push_back((parsed.size().0, parsed));
    }
    match stored_checkpoints.last() {
        Some(cp) if cp.size.0 == size => {}
        Some(cp) => {
            return Err(fail(
                Check::Checkpoint,
                format!("leaf {}", cp.size.0),
                format!(
                    "the latest checkpoint covers {} leaves but the log holds {size}: leaves were added without a checkpoint",
                    cp.size.0
                ),
            ))
        }
        None if size > 0 => {
            return Err(fail(Check::Checkpoint, "checkpoints", "no checkpoint is stored"))
        }
        None => {}
    }

    let mut registry = Registry::new(meta.origin.clone());
    let mut frontier = Frontier::new();
    let mut new_hashes = Vec::with_capacity(64);
    let mut hash_cursor = 0u64;
    let mut event_cursor = 0u64;
    let mut checkpoints = 0u64;
    let mut next = 0u64;
    let mut append_end = 0u64;
    let mut append_ends: VecDeque<u64> = VecDeque::new();
    // A size-0 checkpoint has the empty root.
    while let Some((0, cp)) = pending.front() {
        check_root(cp, &frontier.root())?;
        pending.pop_front();
        checkpoints += 1;
    }
    while next < size {
        let to = (next + LEAVES_PER_READ).min(size);
        let leaves = store.read_leaves(next, to).map_err(storage)?;
        let mut hashes_expected: Vec<Hash> = Vec::new();
        let mut events_expected = Vec::new();
        for leaf in &leaves {
            let (index, bytes) = (&leaf.index, &leaf.data);
            let entry = format!("leaf {next}");
            if *index != next {
                return Err(fail(
                    Check::Leaf,
                    &entry,
                    format!("leaf {next} is missing (the next stored leaf is {index})"),
                ));
            }
            // Appends are contiguous: each leaf's append ends at or after it, and
            // within the append that ends at `checkpoint_size`, the next leaf
            // belongs to the same append until that size is reached.
            let end = leaf.checkpoint_size;
            let valid_end = end > next
                && end <= size
                && (append_end == 0 || append_end == end || next == append_end);
            if !valid_end {
                return Err(fail(
                    Check::Leaf,
                    &entry,
                    format!("recorded append end {end} is impossible here (previous append ended at {append_end})"),
                ));
            }
            if append_end != end {
                append_ends.push_back(end);
                append_end = end;
            }
            let signed = SignedSubmission::from_leaf_bytes(bytes)
                .map_err(|e| fail(Check::Leaf, &entry, e.to_string()))?;
            registry
                .apply(&signed, LeafIndex(next))
                .map_err(|e| fail(Check::Submission, &entry, e.to_string()))?;
            for (position, event) in signed.submission.events.iter().enumerate() {
                events_expected.push((next, position as u32, event.id.clone(), event.kind()));
            }
            new_hashes.clear();
            frontier.push_into(leaf_hash(bytes), &mut new_hashes);
            hashes_expected.extend_from_slice(&new_hashes);
            next += 1;
            while let Some((s, cp)) = pending.front() {
                if *s != next {
                    break;
                }
                check_root(cp, &frontier.root())?;
                pending.pop_front();
                checkpoints += 1;
            }
        }
        if next < to {
            return Err(fail(
                Check::Leaf,
                format!("leaf {next}"),
                format!("leaf {next} is missing"),
            ));
        }
        // Stored hashes of these leaves.
        let stored = store
            .read_hash_range(hash_cursor, hash_cursor + hashes_expected.len() as u64)
            .map_err(storage)?;
        for (i, want) in hashes_expected.iter().enumerate() {
            let index = hash_cursor + i as u64;
            match stored.get(i) {
                Some((got_index, got)) if *got_index == index && got == want => {}
                Some((got_index, _)) if *got_index != index => {
                    return Err(fail(
                        Check::Hash,
                        format!("stored hash {index}"),
                        "missing".to_string(),
                    ))
                }
                Some((_, got)) => {
                    return Err(fail(
                        Check::Hash,
                        format!("stored hash {index}"),
                        format!("stored {got}, recomputed from the leaves {want}"),
                    ))
                }
                None => {
                    return Err(fail(
                        Check::Hash,
                        format!("stored hash {index}"),
                        "missing".to_string(),
                    ))
                }
            }
        }
        hash_cursor += hashes_expected.len() as u64;
        // Event index rows of these leaves.
        let rows = store
            .event_locations(event_cursor, events_expected.len() as u64)
            .map_err(|e| fail(Check::Events, "event index", e.to_string()))?;
        for (i, (leaf, position, id, kind)) in events_expected.iter().enumerate() {
            let n = event_cursor + i as u64;
            let ok = rows.get(i).is_some_and(|r| {
                r.leaf.0 == *leaf && r.position == *position && &r.id == id && r.kind == *kind
            });
            if !ok {
                return Err(fail(
                    Check::Events,
                    format!("event index row {n}"),
                    format!(
                        "expected event {:?} ({kind}) at leaf {leaf} position {position}, found {:?}",
                        id.as_str(),
                        rows.get(i)
                    ),
                ));
            }
        }
        event_cursor += events_expected.len() as u64;
        progress(next, size);
    }
    let hashes_stored = store.hash_count().map_err(storage)?;
    let hashes_wanted = stored_hash_count(TreeSize(size));
    if hashes_stored != hashes_wanted || hash_cursor != hashes_wanted {
        return Err(fail(
            Check::Hash,
            "hashes",
            format!(
                "{hashes_stored} hashes are stored; a log of {size} leaves has {hashes_wanted}"
            ),
        ));
    }
    let events_stored = store.event_count().map_err(storage)?;
    if events_stored != event_cursor {
        return Err(fail(
            Check::Events,
            "event index",
            format!("{events_stored} rows, but the leaves hold {event_cursor} events"),
        ));
    }
    let checkpoint_sizes: std::collections::BTreeSet<u64> = stored_checkpoints
        .iter()
        .map(|c| c.size.0)
        .filter(|s| *s > 0)
        .collect();
    for end in &append_ends {
        if !checkpoint_sizes.contains(end) {
            return Err(fail(
                Check::Checkpoint,
                format!("checkpoint at size {end}"),
                "missing: the append that ended at this size wrote a checkpoint, and it was deleted",
            ));
        }
    }
    if checkpoint_sizes.len() != append_ends.len() {
        return Err(fail(
            Check::Checkpoint,
            "checkpoints",
            format!(
                "{} checkpoints are stored but the leaves record {} appends",
                checkpoint_sizes.len(),
                append_ends.len()
            ),
        ));
    }
    if let Some((s, _)) = pending.front() {
        return Err(fail(
            Check::Checkpoint,
            format!("checkpoint at size {s}"),
            "not reached while rebuilding the tree",
        ));
    }
    let stored_actors = store.actors().map_err(storage)?;
    let rebuilt: Vec<_> = registry.actors().cloned().collect();
    if stored_actors != rebuilt {
        let differs = rebuilt
            .iter()
            .map(Some)
            .chain(std::iter::repeat(None))
            .zip(
                stored_actors
                    .iter()
                    .map(Some)
                    .chain(std::iter::repeat(None)),
            )
            .take(rebuilt.len().max(stored_actors.len()))
            .find(|(a, b)| a != b);
        let detail = match differs {
            Some((Some(want), Some(got))) if want.id == got.id => format!(
                "actor {:?}: stored {:?}, rebuilt from the leaves {:?}",
                want.id.as_str(),
                got,
                want
            ),
            Some((want, got)) => format!(
                "stored actor {:?} but the leaves give {:?}",
                got.map(|g| g.id.as_str()),
                want.map(|w| w.id.as_str())
            ),
            None => "actor tables differ".into(),
        };
        return Err(fail(Check::Actors, "actors table", detail));
    }
    Ok(AuditReport {
        leaves: size,
        events: event_cursor,
        checkpoints,
        actors: rebuilt.len() as u64,
        root: frontier.root(),
        origin: meta.origin,
    })
}

fn check_root(cp: &Checkpoint, root: &Hash) -> Result<(), AuditFailure> {
    if &cp.root() != root {
        return Err(fail(
            Check::Checkpoint,
            format!("checkpoint at size {}", cp.size().0),
            format!(
                "signed root {} differs from the root recomputed from the leaves {}",
                cp.root(),
                root
            ),
        ));
    }
    Ok(())
}
