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

use crate::submission::{verify_approval, SignatureError};
use custodian_core::event::PublicKey;
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
        let s = &signed.submission;
        if s.log != self.origin {
            return Err(RegistryError::WrongLog {
                expected: self.origin.clone(),
                found: s.log.clone(),
            });
        }
        if self.actors.is_empty() {
            return self.apply_genesis(signed, at);
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
        crate::submission::verify_submission(signed, &record.public_key).map_err(|reason| {
            RegistryError::BadSignature {
                actor: s.actor.to_string(),
                reason,
            }
        })?;
        self.check_approvals(signed)?;
        // Apply actor events on a copy, so that a failure leaves `self` unchanged.
        let mut next = self.actors.clone();
        for (i, event) in s.events.iter().enumerate() {
            apply_actor_event(&mut next, &s.actor, &event.payload, i, at)?;
        }
        if let Some(r) = next.get_mut(&s.actor) {
            r.next_seq += 1;
        }
        self.actors = next;
        Ok(())
    }

    fn apply_genesis(
        &mut self,
        signed: &SignedSubmission,
        at: LeafIndex,
    ) -> Result<(), RegistryError> {
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
        crate::submission::verify_submission(signed, &reg.public_key).map_err(|reason| {
            RegistryError::BadSignature {
                actor: s.actor.to_string(),
                reason,
            }
        })?;
        self.actors.insert(
            reg.actor.clone(),
            ActorRecord {
                id: reg.actor.clone(),
                role: reg.role,
                party: reg.party.clone(),
                public_key: reg.public_key,
                name: reg.name.clone(),
                registered_at: at,
                revoked_at: None,
                next_seq: 2,
            },
        );
        Ok(())
    }

    fn check_approvals(&self, signed: &SignedSubmission) -> Result<(), RegistryError> {
        let s = &signed.submission;
        for (event_index, event) in s.events.iter().enumerate() {
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
                verify_approval(event, approval, &approver.public_key).map_err(|e| {
                    bad(format!(
                        "approval by {:?} does not verify over this event's bytes: {e}",
                        approval.actor.as_str()
                    ))
                })?;
            }
        }
        Ok(())
    }
}

fn apply_actor_event(
    actors: &mut BTreeMap<ActorId, ActorRecord>,
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
            if actors.contains_key(&reg.actor) {
                return Err(err(format!(
                    "actor {:?} is already registered",
                    reg.actor.as_str()
                )));
            }
            actors.insert(
                reg.actor.clone(),
                ActorRecord {
                    id: reg.actor.clone(),
                    role: reg.role,
                    party: reg.party.clone(),
                    public_key: reg.public_key,
                    name: reg.name.clone(),
                    registered_at: at,
                    revoked_at: None,
                    next_seq: 1,
                },
            );
        }
        Payload::ActorRotateKey(rot) => {
            let record = live_actor(actors, &rot.actor).map_err(err)?;
            record.public_key = rot.public_key;
        }
        Payload::ActorRevoke(rev) => {
            if &rev.actor == submitter {
                return Err(err("an administrator cannot revoke itself".into()));
            }
            let record = live_actor(actors, &rev.actor).map_err(err)?;
            record.revoked_at = Some(at);
        }
        _ => {}
    }
    Ok(())
}

fn live_actor<'a>(
    actors: &'a mut BTreeMap<ActorId, ActorRecord>,
    actor: &ActorId,
) -> Result<&'a mut ActorRecord, String> {
    let record = actors
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
