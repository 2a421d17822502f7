//! The actor registry: who may append what, derived from the log itself.
//!
//! Every actor is registered by an `actor.register` event signed by an
//! administrator; keys are rotated and actors revoked by events too, so the
//! registry at any point is a pure function of the leaves before it. The store
//! keeps a copy for speed; the audit rebuilds it from the leaves and compares.
//!
//! Rules checked for each submission, in this order (FORMATS.md, "Submissions"):
//! 1. it names this log's origin;
//! 2. the first leaf of a log is its genesis: an administrator registering itself;
//! 3. its actor is registered and not revoked;
//! 4. its `seq` is the actor's next one (lower: a replay; higher: out of order);
//! 5. the actor's role permits every event's kind;
//! 6. the signature verifies under the actor's current key;
//! 7. each approval is by a distinct registered, unrevoked actor other than the
//!    submitter, and verifies;
//! 8. actor events are consistent (no re-registration, no rotating or revoking an
//!    unknown or revoked actor, no revoking oneself).

use crate::submission::{verify_signature, SignatureError};
use custodian_core::event::{ActorRegister, PublicKey, Signature};
use custodian_core::{ActorId, EventKind, LeafIndex, Party, Payload, Role, SignedSubmission};
use std::collections::{BTreeMap, BTreeSet};

/// One registered actor, as the log has made it so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActorRecord {
    /// The actor's id.
    pub id: ActorId,
    /// Its role.
    pub role: Role,
    /// Whom it acts for.
    pub party: Party,
    /// Its current public key.
    pub public_key: PublicKey,
    /// Its human-readable name, if given.
    pub name: Option<String>,
    /// The leaf that registered it.
    pub registered_at: LeafIndex,
    /// The leaf that revoked it, if any.
    pub revoked_at: Option<LeafIndex>,
    /// The `seq` its next submission must carry.
    pub next_seq: u64,
}

impl ActorRecord {
    /// The record an `actor.register` event at leaf `at` creates.
    pub fn registered(reg: &ActorRegister, at: LeafIndex) -> ActorRecord {
        ActorRecord {
            id: reg.actor.clone(),
            role: reg.role,
            party: reg.party.clone(),
            public_key: reg.public_key,
            name: reg.name.clone(),
            registered_at: at,
            revoked_at: None,
            next_seq: 1,
        }
    }
}

/// Why a submission may not be appended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The submission names another log.
    #[error("submission is for log {found:?}, but this log is {expected:?}")]
    WrongLog {
        /// This log's origin.
        expected: String,
        /// The origin the submission names.
        found: String,
    },
    /// The first leaf is not an administrator registering itself.
    #[error("the log's first submission must be one actor.register event by which an administrator registers itself with the key that signs it: {0}")]
    Genesis(String),
    /// The submitting actor is not registered.
    #[error("unknown actor {0:?}")]
    UnknownActor(String),
    /// The submitting actor was revoked.
    #[error("actor {actor:?} was revoked at leaf {revoked_at}")]
    Revoked {
        /// The actor.
        actor: String,
        /// Where it was revoked.
        revoked_at: u64,
    },
    /// `seq` is lower than expected: this submission, or another with its number, was already applied.
    #[error("replayed submission: actor {actor:?} expected seq {expected}, found {found}")]
    Replayed {
        /// The actor.
        actor: String,
        /// The next seq.
        expected: u64,
        /// The seq given.
        found: u64,
    },
    /// `seq` is higher than expected: a submission is missing before it.
    #[error("submission out of order: actor {actor:?} expected seq {expected}, found {found}")]
    OutOfOrder {
        /// The actor.
        actor: String,
        /// The next seq.
        expected: u64,
        /// The seq given.
        found: u64,
    },
    /// The actor's role does not permit an event's kind.
    #[error("field events[{event_index}].kind: actor {actor:?} has role {role}, which may not submit {kind} (permitted roles: {permitted})")]
    RoleForbids {
        /// The actor.
        actor: String,
        /// Its role.
        role: Role,
        /// The event kind.
        kind: EventKind,
        /// Which event.
        event_index: usize,
        /// The roles that may.
        permitted: String,
    },
    /// The actor's signature does not verify.
    #[error("field signature: {reason} (actor {actor:?})")]
    BadSignature {
        /// The actor.
        actor: String,
        /// What failed.
        reason: SignatureError,
    },
    /// An approval is not acceptable.
    #[error("field events[{event_index}].approvals[{approval_index}]: {reason}")]
    BadApproval {
        /// Which event.
        event_index: usize,
        /// Which approval.
        approval_index: usize,
        /// What is wrong.
        reason: String,
    },
    /// An actor event contradicts the registry.
    #[error("field events[{event_index}].payload.actor: {reason}")]
    ActorEvent {
        /// Which event.
        event_index: usize,
        /// What is wrong.
        reason: String,
    },
}

/// The registry of actors of one log.
#[derive(Clone, Debug)]
pub struct Registry {
    origin: String,
    actors: BTreeMap<ActorId, ActorRecord>,
}

impl Registry {
    /// An empty registry for the log named `origin`.
    pub fn new(origin: impl Into<String>) -> Registry {
        Registry {
            origin: origin.into(),
            actors: BTreeMap::new(),
        }
    }

    /// A registry from stored records (the store's copy). The audit never trusts
    /// this: it rebuilds the registry from the leaves.
    pub fn from_records(origin: impl Into<String>, records: Vec<ActorRecord>) -> Registry {
        Registry {
            origin: origin.into(),
            actors: records.into_iter().map(|r| (r.id.clone(), r)).collect(),
        }
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// An actor's record.
    pub fn get(&self, actor: &ActorId) -> Option<&ActorRecord> {
        self.actors.get(actor)
    }

    /// Every actor, by id.
    pub fn actors(&self) -> impl Iterator<Item = &ActorRecord> {
        self.actors.values()
    }

    /// Checks `signed` as the leaf at `at`, and if it may be appended, applies its
    /// effects. On error the registry is unchanged.
    pub fn apply(&mut self, signed: &SignedSubmission, at: LeafIndex) -> Result<(), RegistryError> {
        let staged = self.check(signed, at, None)?;
        verify_checks(&staged.checks)?;
        self.commit(staged);
        Ok(())
    }

    /// Every rule of the module doc except the signatures themselves, without
    /// changing the registry: returns the signatures to verify and the changes to
    /// commit if they do. `signing_bytes` may carry the submission's signed bytes
    /// when the caller already has them (cut from a leaf); otherwise they are
    /// encoded here.
    pub fn check(
        &self,
        signed: &SignedSubmission,
        at: LeafIndex,
        signing_bytes: Option<Vec<u8>>,
    ) -> Result<Staged, RegistryError> {
        let s = &signed.submission;
        if s.log != self.origin {
            return Err(RegistryError::WrongLog {
                expected: self.origin.clone(),
                found: s.log.clone(),
            });
        }
        let bad_encoding =
            |e: custodian_core::canonical::CanonicalError| RegistryError::BadSignature {
                actor: s.actor.to_string(),
                reason: SignatureError::Encoding(e.to_string()),
            };
        let message = match signing_bytes {
            Some(bytes) => bytes,
            None => s.signing_bytes().map_err(bad_encoding)?,
        };
        if self.actors.is_empty() {
            return self.check_genesis(signed, at, message);
        }
        let record = self
            .actors
            .get(&s.actor)
            .ok_or_else(|| RegistryError::UnknownActor(s.actor.to_string()))?;
        if let Some(revoked_at) = record.revoked_at {
            return Err(RegistryError::Revoked {
                actor: s.actor.to_string(),
                revoked_at: revoked_at.0,
            });
        }
        let (expected, found) = (record.next_seq, s.seq);
        if found < expected {
            return Err(RegistryError::Replayed {
                actor: s.actor.to_string(),
                expected,
                found,
            });
        }
        if found > expected {
            return Err(RegistryError::OutOfOrder {
                actor: s.actor.to_string(),
                expected,
                found,
            });
        }
        for (i, event) in s.events.iter().enumerate() {
            let kind = event.kind();
            if !kind.permits(record.role) {
                let permitted: Vec<&str> = Role::ALL
                    .iter()
                    .filter(|r| kind.permits(**r))
                    .map(|r| r.as_str())
                    .collect();
                return Err(RegistryError::RoleForbids {
                    actor: s.actor.to_string(),
                    role: record.role,
                    kind,
                    event_index: i,
                    permitted: permitted.join(", "),
                });
            }
        }
        let mut checks = vec![SignatureCheck {
            public_key: record.public_key,
            message,
            signature: signed.signature,
            subject: Subject::Submission {
                actor: s.actor.to_string(),
            },
        }];
        self.approval_checks(signed, &mut checks)?;
        // Actor events, in order, on an overlay of the records they touch.
        let mut changes: BTreeMap<ActorId, ActorRecord> = BTreeMap::new();
        for (i, event) in s.events.iter().enumerate() {
            apply_actor_event(&self.actors, &mut changes, &s.actor, &event.payload, i, at)?;
        }
        let submitter = changes
            .entry(s.actor.clone())
            .or_insert_with(|| record.clone());
        submitter.next_seq += 1;
        Ok(Staged { checks, changes })
    }

    /// Applies what [`Registry::check`] staged (after its signatures verified).
    pub fn commit(&mut self, staged: Staged) {
        for (id, record) in staged.changes {
            self.actors.insert(id, record);
        }
    }

    fn check_genesis(
        &self,
        signed: &SignedSubmission,
        at: LeafIndex,
        message: Vec<u8>,
    ) -> Result<Staged, RegistryError> {
        let s = &signed.submission;
        let [event] = s.events.as_slice() else {
            return Err(RegistryError::Genesis(format!(
                "found {} events",
                s.events.len()
            )));
        };
        let Payload::ActorRegister(reg) = &event.payload else {
            return Err(RegistryError::Genesis(format!(
                "found a {} event",
                event.kind()
            )));
        };
        if reg.actor != s.actor || reg.role != Role::Administrator || s.seq != 1 {
            return Err(RegistryError::Genesis(format!(
                "found actor {:?} registering {:?} as {} with seq {}",
                s.actor.as_str(),
                reg.actor.as_str(),
                reg.role,
                s.seq
            )));
        }
        if !event.approvals.is_empty() {
            return Err(RegistryError::Genesis("found approvals".into()));
        }
        // The genesis submission is the administrator's first: its next is 2.
        let mut record = ActorRecord::registered(reg, at);
        record.next_seq = 2;
        Ok(Staged {
            checks: vec![SignatureCheck {
                public_key: reg.public_key,
                message,
                signature: signed.signature,
                subject: Subject::Submission {
                    actor: s.actor.to_string(),
                },
            }],
            changes: [(reg.actor.clone(), record)].into_iter().collect(),
        })
    }

    fn approval_checks(
        &self,
        signed: &SignedSubmission,
        checks: &mut Vec<SignatureCheck>,
    ) -> Result<(), RegistryError> {
        let s = &signed.submission;
        for (event_index, event) in s.events.iter().enumerate() {
            if event.approvals.is_empty() {
                continue;
            }
            let message = event
                .approval_message()
                .map_err(|e| RegistryError::BadApproval {
                    event_index,
                    approval_index: 0,
                    reason: format!("cannot form the approved bytes: {e}"),
                })?;
            let mut seen = BTreeSet::new();
            for (approval_index, approval) in event.approvals.iter().enumerate() {
                let bad = |reason: String| RegistryError::BadApproval {
                    event_index,
                    approval_index,
                    reason,
                };
                if approval.actor == s.actor {
                    return Err(bad(format!(
                        "the submitter {:?} cannot approve its own event",
                        s.actor.as_str()
                    )));
                }
                if !seen.insert(&approval.actor) {
                    return Err(bad(format!(
                        "duplicate approver {:?}",
                        approval.actor.as_str()
                    )));
                }
                let approver = self.actors.get(&approval.actor).ok_or_else(|| {
                    bad(format!("unknown approver {:?}", approval.actor.as_str()))
                })?;
                if let Some(revoked_at) = approver.revoked_at {
                    return Err(bad(format!(
                        "approver {:?} was revoked at leaf {}",
                        approval.actor.as_str(),
                        revoked_at.0
                    )));
                }
                checks.push(SignatureCheck {
                    public_key: approver.public_key,
                    message: message.clone(),
                    signature: approval.signature,
                    subject: Subject::Approval {
                        event_index,
                        approval_index,
                        approver: approval.actor.to_string(),
                    },
                });
            }
        }
        Ok(())
    }
}

/// What a submission changes, once its signatures verify.
#[derive(Debug)]
pub struct Staged {
    /// The signatures to verify.
    pub checks: Vec<SignatureCheck>,
    changes: BTreeMap<ActorId, ActorRecord>,
}

impl Staged {
    /// Takes the signature checks out (to verify them elsewhere, in parallel).
    pub fn take_checks(&mut self) -> Vec<SignatureCheck> {
        std::mem::take(&mut self.checks)
    }
}

/// Whose signature a check is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The submitting actor's.
    Submission {
        /// The actor.
        actor: String,
    },
    /// An approver's, on one event.
    Approval {
        /// Which event.
        event_index: usize,
        /// Which approval.
        approval_index: usize,
        /// The approver.
        approver: String,
    },
}

/// One Ed25519 signature to verify.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    /// The signer's key at that point of the log.
    pub public_key: PublicKey,
    /// The signed bytes.
    pub message: Vec<u8>,
    /// The signature.
    pub signature: Signature,
    /// Whose it is, for the error.
    pub subject: Subject,
}

impl SignatureCheck {
    /// Verifies the signature, naming the field at fault if it does not.
    pub fn verify(&self) -> Result<(), RegistryError> {
        verify_signature(&self.public_key, &self.message, &self.signature).map_err(|reason| match &self.subject {
            Subject::Submission { actor } => RegistryError::BadSignature {
                actor: actor.clone(),
                reason,
            },
            Subject::Approval {
                event_index,
                approval_index,
                approver,
            } => RegistryError::BadApproval {
                event_index: *event_index,
                approval_index: *approval_index,
                reason: format!("approval by {approver:?} does not verify over this event's bytes: {reason}"),
            },
        })
    }
}

/// Verifies checks in order, returning the first failure.
pub fn verify_checks(checks: &[SignatureCheck]) -> Result<(), RegistryError> {
    checks.iter().try_for_each(SignatureCheck::verify)
}

fn apply_actor_event(
    actors: &BTreeMap<ActorId, ActorRecord>,
    changes: &mut BTreeMap<ActorId, ActorRecord>,
    submitter: &ActorId,
    payload: &Payload,
    event_index: usize,
    at: LeafIndex,
) -> Result<(), RegistryError> {
    let err = |reason: String| RegistryError::ActorEvent {
        event_index,
        reason,
    };
    match payload {
        Payload::ActorRegister(reg) => {
            if changes.contains_key(&reg.actor) || actors.contains_key(&reg.actor) {
                return Err(err(format!(
                    "actor {:?} is already registered",
                    reg.actor.as_str()
                )));
            }
            changes.insert(reg.actor.clone(), ActorRecord::registered(reg, at));
        }
        Payload::ActorRotateKey(rot) => {
            let record = live_actor(actors, changes, &rot.actor).map_err(err)?;
            record.public_key = rot.public_key;
        }
        Payload::ActorRevoke(rev) => {
            if &rev.actor == submitter {
                return Err(err("an administrator cannot revoke itself".into()));
            }
            let record = live_actor(actors, changes, &rev.actor).map_err(err)?;
            record.revoked_at = Some(at);
        }
        _ => {}
    }
    Ok(())
}

/// The record of a registered, unrevoked actor, copied into `changes` for editing.
fn live_actor<'a>(
    actors: &BTreeMap<ActorId, ActorRecord>,
    changes: &'a mut BTreeMap<ActorId, ActorRecord>,
    actor: &ActorId,
) -> Result<&'a mut ActorRecord, String> {
    if !changes.contains_key(actor) {
        let record = actors
            .get(actor)
            .ok_or_else(|| format!("unknown actor {:?}", actor.as_str()))?;
        changes.insert(actor.clone(), record.clone());
    }
    let record = changes
        .get_mut(actor)
        .ok_or_else(|| format!("unknown actor {:?}", actor.as_str()))?;
    match record.revoked_at {
        Some(at) => Err(format!(
            "actor {:?} was revoked at leaf {}",
            actor.as_str(),
            at.0
        )),
        None => Ok(record),
    }
}

/// Why a [`SubmissionRule`] refused a submission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field events[{event_index}]{field}: {message}")]
pub struct RuleError {
    /// Which event of the submission.
    pub event_index: usize,
    /// The field within the event, with its leading dot (`.payload.to`), or empty.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

/// A rule a submission must pass beyond the registry's own: the custody engine's
/// consistency checks and approval policy (the two-person rule) are one. It is
/// called in log order, on appends and in the audit, with the registry as it
/// stands before the submission, after the registry's rules have passed.
///
/// A rule keeps its own state, built from the submissions it has passed. After
/// it refuses one, its state is unspecified: callers discard it (an append is
/// refused as a whole; an audit stops).
pub trait SubmissionRule {
    /// Checks `signed`, the leaf at `leaf`, and takes in its effects.
    fn check(
        &mut self,
        registry: &Registry,
        leaf: LeafIndex,
        signed: &SignedSubmission,
    ) -> Result<(), RuleError>;
}

/// The rule that accepts everything (a log with no engine rules).
pub struct NoRule;

impl SubmissionRule for NoRule {
    fn check(&mut self, _: &Registry, _: LeafIndex, _: &SignedSubmission) -> Result<(), RuleError> {
        Ok(())
    }
}

/// Whether any event of `signed` changes the registry (used by stores to know
/// when to write their copy).
pub fn touches_registry(signed: &SignedSubmission) -> bool {
    signed.submission.events.iter().any(|e| {
        matches!(
            e.kind(),
            EventKind::ActorRegister | EventKind::ActorRotateKey | EventKind::ActorRevoke
        )
    })
}
