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
//! 8. `actors`: the stored actor table equals the registry rebuilt from the leaves;
//! 9. `rule`: each submission passes the engine rule given to [`audit_with`]
//!    (the custody engine's consistency and approval policy), re-derived from
//!    the leaves before it.

use crate::{Store, StoreError, StoredLeaf};
use custodian_core::{LeafIndex, SignedSubmission, TreeSize};
use custodian_ledger::checkpoint::{self, Checkpoint};
use custodian_ledger::hash::leaf_hash;
use custodian_ledger::keys::VerifierKey;
use custodian_ledger::proof::stored_hash_count;
use custodian_ledger::registry::{NoRule, Registry, SignatureCheck, SubmissionRule};
use custodian_ledger::tree::Frontier;
use custodian_ledger::Hash;
use std::collections::VecDeque;
use std::fmt;

/// Leaves read per round trip to the store (at most 4 MiB each, so at most
/// 1 GiB in memory; typically a few MiB).
const LEAVES_PER_READ: u64 = 256;

/// Leaf bytes parsed and verified together, in parallel.
const GROUP_BYTES: usize = 4 << 20;

/// Maps `f` over `items` on `threads` scoped threads, keeping the order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    if threads <= 1 || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                // A worker panicked: that is our bug; re-raise it here.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

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
    /// An engine rule (custody, approval policy).
    Rule,
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
            Check::Rule => "rule",
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
    progress: impl FnMut(u64, u64),
) -> Result<AuditReport, AuditFailure> {
    audit_with(store, pinned, &mut NoRule, progress)
}

/// [`audit`], with every submission also checked against `rule` (check 9), in log
/// order, with the registry rebuilt up to it.
pub fn audit_with<S: Store + ?Sized>(
    store: &S,
    pinned: Option<&VerifierKey>,
    rule: &mut dyn SubmissionRule,
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

    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
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
        // Leaves are checked in groups of at most GROUP_BYTES, so the parsed
        // submissions of one group are freed before the next is parsed (memory
        // stays small and warm).
        let mut rest: &[StoredLeaf] = &leaves;
        while !rest.is_empty() {
            let mut take = 0;
            let mut bytes = 0;
            while take < rest.len() && (take == 0 || bytes + rest[take].data.len() <= GROUP_BYTES) {
                bytes += rest[take].data.len();
                take += 1;
            }
            let (group, tail) = rest.split_at(take);
            rest = tail;
            // Phase 1, in parallel: parse each leaf strictly (canonical form
            // included), hash it, and cut out the bytes its actor signed.
            let parsed = parallel_map(group, threads, |leaf| {
                let signed = SignedSubmission::from_leaf_bytes(&leaf.data)?;
                let signing = SignedSubmission::signing_bytes_of_leaf(&leaf.data);
                Ok::<_, custodian_core::FieldError>((signed, signing, leaf_hash(&leaf.data)))
            });
            // Phase 2, in order: append boundaries, the registry (every rule but the
            // signatures), the tree and the checkpoints. The first failure here ends
            // the audit, unless phase 3 finds an earlier leaf with a bad signature.
            let mut checks: Vec<(u64, SignatureCheck)> = Vec::new();
            let mut checked: Vec<(u64, SignedSubmission)> = Vec::with_capacity(group.len());
            let mut failure: Option<(u64, AuditFailure)> = None;
            for (leaf, parsed) in group.iter().zip(parsed) {
                let entry = format!("leaf {next}");
                let result = (|| {
                    if leaf.index != next {
                        return Err(fail(
                            Check::Leaf,
                            &entry,
                            format!(
                                "leaf {next} is missing (the next stored leaf is {})",
                                leaf.index
                            ),
                        ));
                    }
                    // Appends are contiguous: each leaf's append ends after it, and a
                    // new append starts only where the previous one ended.
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
                    let (signed, signing, hash) =
                        parsed.map_err(|e| fail(Check::Leaf, &entry, e.to_string()))?;
                    let mut staged = registry
                        .check(&signed, LeafIndex(next), signing)
                        .map_err(|e| fail(Check::Submission, &entry, e.to_string()))?;
                    checks.extend(staged.take_checks().into_iter().map(|c| (next, c)));
                    rule.check(&registry, LeafIndex(next), &signed)
                        .map_err(|e| fail(Check::Rule, &entry, e.to_string()))?;
                    registry.commit(staged);
                    checked.push((next, signed));
                    new_hashes.clear();
                    frontier.push_into(hash, &mut new_hashes);
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
                    Ok(())
                })();
                if let Err(f) = result {
                    failure = Some((next, f));
                    break;
                }
            }
            // Phase 3, in parallel: every signature of the leaves that passed phase 2.
            let verified = parallel_map(&checks, threads, |(leaf, check)| {
                check.verify().map_err(|e| (*leaf, e))
            });
            if let Some(Err((leaf, e))) = verified.into_iter().find(Result::is_err) {
                if failure.as_ref().is_none_or(|(at, _)| leaf <= *at) {
                    return Err(fail(
                        Check::Submission,
                        format!("leaf {leaf}"),
                        e.to_string(),
                    ));
                }
            }
            if let Some((_, f)) = failure {
                return Err(f);
            }
            // The event index lists exactly these leaves' events, in order.
            let mut expected = checked.iter().flat_map(|(leaf, signed)| {
                signed
                    .submission
                    .events
                    .iter()
                    .enumerate()
                    .map(move |(p, e)| (*leaf, p as u64, e))
            });
            let count: u64 = checked
                .iter()
                .map(|(_, s)| s.submission.events.len() as u64)
                .sum();
            let mut n = event_cursor;
            let mut mismatch = None;
            let shown = store
                .visit_events(event_cursor, count, &mut |row| {
                    let Some((leaf, position, event)) = expected.next() else {
                        return false;
                    };
                    if row.n != n
                        || row.leaf != leaf
                        || row.position != position
                        || row.id != event.id.as_str()
                        || row.kind != event.kind().as_str()
                    {
                        mismatch = Some(format!(
                            "expected event {:?} ({}) at leaf {leaf} position {position}, found row {} {:?} ({}) at leaf {} position {}",
                            event.id.as_str(),
                            event.kind(),
                            row.n,
                            row.id,
                            row.kind,
                            row.leaf,
                            row.position
                        ));
                        return false;
                    }
                    n += 1;
                    true
                })
                .map_err(|e| fail(Check::Events, "event index", e.to_string()))?;
            if let Some(detail) = mismatch {
                return Err(fail(Check::Events, format!("event index row {n}"), detail));
            }
            if shown < count {
                return Err(fail(
                    Check::Events,
                    format!("event index row {n}"),
                    "missing: the index ends before the leaves' events do",
                ));
            }
            event_cursor += count;
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
