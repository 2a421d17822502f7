//! The append path: validate submissions against the actor registry, extend the
//! Merkle tree from its stored frontier, sign a checkpoint, and commit it all in
//! one transaction.
//!
//! An append costs O(log n) reads of stored hashes (the frontier) plus the new
//! rows; nothing is rebuilt at start.

use crate::{AppendBatch, EventLocation, Meta, Store, StoreError, StoreHashes};
use custodian_core::limits::SUBMISSION_BYTES_MAX;
use custodian_core::{Event, EventKind, LeafIndex, SignedSubmission, TreeSize};
use custodian_ledger::checkpoint::{self, Checkpoint};
use custodian_ledger::hash::leaf_hash;
use custodian_ledger::keys::{SigningKey, VerifierKey};
use custodian_ledger::proof::{self, ProofError};
use custodian_ledger::registry::{
    verify_checks, NoRule, Registry, RegistryError, RuleError, SubmissionRule,
};
use custodian_ledger::tree::Frontier;
use custodian_ledger::Hash;
use std::collections::BTreeSet;

/// Why an append was refused. Nothing of the refused group was applied.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// A submission may not be appended.
    #[error("submission {index}: {reason}")]
    Rejected {
        /// Zero-based position of the submission in the group.
        index: usize,
        /// Why.
        reason: RegistryError,
    },
    /// A submission breaks an engine rule (custody, approval policy).
    #[error("submission {index}: {reason}")]
    Refused {
        /// Zero-based position of the submission in the group.
        index: usize,
        /// Why.
        reason: RuleError,
    },
    /// An event id is already in the log or repeated in the group.
    #[error(
        "submission {index}: field events[{event_index}].id: event id {id:?} is already in the log"
    )]
    DuplicateEvent {
        /// Which submission.
        index: usize,
        /// Which event.
        event_index: usize,
        /// The id.
        id: String,
    },
    /// A submission is too large or cannot be encoded.
    #[error("submission {index}: {reason}")]
    Encoding {
        /// Which submission.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The log's signing key does not match the log's verifier key.
    #[error("the log signing key {found:?} does not match this log's verifier key {expected:?}")]
    WrongLogKey {
        /// The stored verifier key.
        expected: String,
        /// The verifier key of the key given.
        found: String,
    },
    /// Nothing to append.
    #[error("nothing to append: the input holds no submission")]
    Empty,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Stored hashes are inconsistent.
    #[error("stored hashes are inconsistent: {0}")]
    Tree(String),
}

/// What an append produced.
#[derive(Clone, Debug)]
pub struct AppendReceipt {
    /// Index of the first new leaf.
    pub first_leaf: LeafIndex,
    /// Tree size after the append.
    pub size: TreeSize,
    /// Root after the append.
    pub root: Hash,
    /// The signed checkpoint of the new size.
    pub checkpoint: String,
    /// Number of events appended.
    pub events: usize,
}

/// A log on a store.
pub struct Log<S: Store> {
    store: S,
    meta: Meta,
    verifier: VerifierKey,
    registry: Registry,
    /// The tree size `registry` was read or last updated at: if the store has
    /// grown since (another writer appended), it is read again before an append.
    registry_at: TreeSize,
}

impl<S: Store> Log<S> {
    /// Opens the log held by `store`. Appends trust the store's copy of the actor
    /// registry; `custodian audit` re-derives it from the leaves.
    pub fn open(store: S) -> Result<Log<S>, StoreError> {
        let meta = store.meta()?;
        let verifier = VerifierKey::parse(&meta.verifier_key)
            .map_err(|e| StoreError::Damaged(format!("meta.verifier_key: {e}")))?;
        let registry_at = store.tree_size()?;
        let registry = Registry::from_records(meta.origin.clone(), store.actors()?);
        Ok(Log {
            store,
            meta,
            verifier,
            registry,
            registry_at,
        })
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The log's fixed facts.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The log's verifier key.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// The actor registry after the last append.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Current size.
    pub fn size(&self) -> Result<TreeSize, StoreError> {
        self.store.tree_size()
    }

    /// Root of the tree of `size` leaves, from stored hashes.
    pub fn root_at(&self, size: TreeSize) -> Result<Hash, ProofError<StoreError>> {
        proof::tree_hash(size, &StoreHashes(&self.store))
    }

    /// Inclusion proof of leaf `index` in the tree of `size` leaves.
    pub fn prove_inclusion(
        &self,
        index: LeafIndex,
        size: TreeSize,
    ) -> Result<Vec<Hash>, ProofError<StoreError>> {
        proof::prove_inclusion(index, size, &StoreHashes(&self.store))
    }

    /// Consistency proof between two sizes.
    pub fn prove_consistency(
        &self,
        old: TreeSize,
        new: TreeSize,
    ) -> Result<Vec<Hash>, ProofError<StoreError>> {
        proof::prove_consistency(old, new, &StoreHashes(&self.store))
    }

    /// Calls `f` with every leaf from `from` on, in order, parsed strictly (a leaf
    /// that does not parse is reported as damage: run the audit). Reads the store
    /// in groups of leaves, so memory stays small whatever the log's size.
    pub fn for_each_submission<E: From<StoreError>>(
        &self,
        from: u64,
        mut f: impl FnMut(LeafIndex, SignedSubmission) -> Result<(), E>,
    ) -> Result<(), E> {
        const LEAVES_PER_READ: u64 = 512;
        let size = self.store.tree_size()?.0;
        let mut next = from;
        while next < size {
            let to = (next + LEAVES_PER_READ).min(size);
            for leaf in self.store.read_leaves(next, to)? {
                let signed = SignedSubmission::from_leaf_bytes(&leaf.data).map_err(|e| {
                    StoreError::Damaged(format!("leaf {}: {e}; run `custodian audit`", leaf.index))
                })?;
                f(LeafIndex(leaf.index), signed)?;
            }
            next = to;
        }
        Ok(())
    }

    /// Every event of `kind` in the log, in log order, with the leaf that holds it.
    /// Each leaf read is parsed strictly (canonical form included).
    pub fn events_of_kind(&self, kind: EventKind) -> Result<Vec<(LeafIndex, Event)>, StoreError> {
        let mut out = Vec::new();
        for leaf in self.store.leaves_with_event_kind(kind)? {
            let stored = self
                .store
                .read_leaves(leaf, leaf + 1)?
                .pop()
                .ok_or_else(|| StoreError::Damaged(format!("leaf {leaf} is missing")))?;
            let signed = SignedSubmission::from_leaf_bytes(&stored.data)
                .map_err(|e| StoreError::Damaged(format!("leaf {leaf}: {e}")))?;
            out.extend(
                signed
                    .submission
                    .events
                    .into_iter()
                    .filter(|e| e.kind() == kind)
                    .map(|e| (LeafIndex(leaf), e)),
            );
        }
        Ok(out)
    }

    /// Appends `submissions` as one atomic group under the registry's rules
    /// only: all are applied, in order, or none. `log_key` signs the new
    /// checkpoint. Logs that hold items use [`Log::append_with`] and the custody
    /// engine's rule.
    pub fn append(
        &mut self,
        submissions: &[SignedSubmission],
        log_key: &SigningKey,
    ) -> Result<AppendReceipt, AppendError> {
        self.append_with(submissions, log_key, &mut NoRule)
    }

    /// Appends `submissions` as one atomic group: all are applied, in order, or
    /// none. Each must pass the registry's rules and then `rule`, which sees the
    /// registry as it stands before the submission. After a refusal `rule`'s
    /// state is unspecified (see [`SubmissionRule`]).
    pub fn append_with(
        &mut self,
        submissions: &[SignedSubmission],
        log_key: &SigningKey,
        rule: &mut dyn SubmissionRule,
    ) -> Result<AppendReceipt, AppendError> {
        if submissions.is_empty() {
            return Err(AppendError::Empty);
        }
        let key_text = log_key.verifier().to_text();
        if key_text != self.meta.verifier_key {
            return Err(AppendError::WrongLogKey {
                expected: self.meta.verifier_key.clone(),
                found: key_text,
            });
        }
        let size_before = self.store.tree_size()?;
        if size_before != self.registry_at {
            // Another writer appended: its registrations, rotations and
            // revocations count from now on. (If it appends again before this
            // commit, the commit is refused as a conflict.)
            self.registry = Registry::from_records(self.meta.origin.clone(), self.store.actors()?);
            self.registry_at = size_before;
        }
        let indexes = Frontier::stored_indexes(size_before);
        let frontier_hashes = self.store.read_hashes(&indexes)?;
        let mut frontier = Frontier::from_hashes(size_before, frontier_hashes)
            .map_err(|e| AppendError::Tree(e.to_string()))?;

        let mut registry = self.registry.clone();
        let mut batch = AppendBatch {
            size_before: size_before.0,
            ..AppendBatch::default()
        };
        let mut ids_in_group = BTreeSet::new();
        for (index, signed) in submissions.iter().enumerate() {
            let leaf = LeafIndex(size_before.0 + index as u64);
            // Encode once: the leaf is hashed and stored, and the signed bytes are
            // cut from it rather than encoded a second time.
            let bytes = signed.leaf_bytes().map_err(|e| AppendError::Encoding {
                index,
                reason: e.to_string(),
            })?;
            if bytes.len() > SUBMISSION_BYTES_MAX {
                return Err(AppendError::Encoding {
                    index,
                    reason: format!(
                        "submission of {} bytes exceeds the limit of {SUBMISSION_BYTES_MAX}",
                        bytes.len()
                    ),
                });
            }
            let signing_bytes = SignedSubmission::signing_bytes_of_leaf(&bytes);
            let staged = registry
                .check(signed, leaf, signing_bytes)
                .map_err(|reason| AppendError::Rejected { index, reason })?;
            verify_checks(&staged.checks)
                .map_err(|reason| AppendError::Rejected { index, reason })?;
            for (event_index, event) in signed.submission.events.iter().enumerate() {
                if !ids_in_group.insert(event.id.clone()) {
                    return Err(AppendError::DuplicateEvent {
                        index,
                        event_index,
                        id: event.id.to_string(),
                    });
                }
            }
            if let Err(reason) = rule.check(&registry, leaf, signed) {
                // A resubmitted event usually breaks the rule too (a site declared
                // twice); name the plainer fault. Only refusals pay for the lookup.
                for (event_index, event) in signed.submission.events.iter().enumerate() {
                    if self.store.event_location(&event.id)?.is_some() {
                        return Err(AppendError::DuplicateEvent {
                            index,
                            event_index,
                            id: event.id.to_string(),
                        });
                    }
                }
                return Err(AppendError::Refused { index, reason });
            }
            registry.commit(staged);
            for (event_index, event) in signed.submission.events.iter().enumerate() {
                batch.events.push(EventLocation {
                    id: event.id.clone(),
                    leaf,
                    position: event_index as u32,
                    kind: event.kind(),
                });
            }
            frontier.push_into(leaf_hash(&bytes), &mut batch.hashes);
            batch.leaves.push(bytes);
        }
        let size = frontier.size();
        let root = frontier.root();
        let body = Checkpoint::new(&self.meta.origin, size, root)
            .map_err(|e| AppendError::Tree(format!("cannot form the checkpoint: {e}")))?;
        let note = checkpoint::sign_checkpoint(&body, log_key);
        // Pair the assertion (STYLE §5): the checkpoint we persist verifies.
        checkpoint::verify_checkpoint(note.as_bytes(), &self.verifier)
            .map_err(|e| AppendError::Tree(format!("freshly signed checkpoint fails: {e}")))?;
        batch.checkpoint = note.clone();
        batch.actors = registry
            .actors()
            .filter(|r| self.registry.get(&r.id) != Some(*r))
            .cloned()
            .collect();
        let events = batch.events.len();
        // The store's unique index on event ids is the authority on duplicates
        // with earlier appends; name the submission and event it refused.
        self.store.commit(batch).map_err(|e| match e {
            StoreError::DuplicateEvent(id) => submissions
                .iter()
                .enumerate()
                .find_map(|(index, s)| {
                    let event_index = s
                        .submission
                        .events
                        .iter()
                        .position(|ev| ev.id.as_str() == id)?;
                    Some(AppendError::DuplicateEvent {
                        index,
                        event_index,
                        id: id.clone(),
                    })
                })
                .unwrap_or(AppendError::Store(StoreError::DuplicateEvent(id))),
            other => AppendError::Store(other),
        })?;
        self.registry = registry;
        self.registry_at = size;
        Ok(AppendReceipt {
            first_leaf: LeafIndex(size_before.0),
            size,
            root,
            checkpoint: note,
            events,
        })
    }
}

/// Creates the first leaf of a new log: the administrator registering itself.
pub fn genesis_submission(
    origin: &str,
    admin: custodian_core::ActorId,
    admin_key: &custodian_ledger::keys::SigningKey,
    party: custodian_core::Party,
    name: Option<String>,
    at: custodian_core::UtcTime,
) -> Result<SignedSubmission, custodian_ledger::submission::SignatureError> {
    use custodian_core::event::ActorRegister;
    use custodian_core::{Event, EventId, Payload, Role, Submission};
    let register = Event {
        id: EventId::parse("genesis").expect("literal id is valid"),
        time: at,
        actor: admin.clone(),
        payload: Payload::ActorRegister(ActorRegister {
            actor: admin.clone(),
            role: Role::Administrator,
            party,
            public_key: custodian_ledger::submission::public_key(admin_key),
            name,
        }),
        approvals: Vec::new(),
    };
    custodian_ledger::submission::sign_submission(
        Submission {
            log: origin.to_string(),
            actor: admin,
            seq: 1,
            events: vec![register],
        },
        admin_key,
    )
}
