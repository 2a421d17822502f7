//! Submissions: a group of events signed by one actor, applied to the log
//! atomically or not at all. (In safeguards a "batch" is nuclear material, so a
//! group of events is a submission.)
//!
//! JSON form (version 1), which is also the log leaf, in RFC 8785 canonical bytes:
//!
//! ```json
//! {"v":1,"log":"<log origin>","actor":"usa-dod-1","seq":7,"events":[...],"signature":"base64"}
//! ```
//!
//! The actor signs [`SUBMISSION_CONTEXT`] followed by the canonical bytes of the
//! object without `signature` ([`Submission::signing_bytes`]). `log` binds the
//! submission to one log, so it cannot be replayed into another; `seq` is the
//! actor's submission counter (1, 2, 3, ...), so it cannot be replayed or
//! reordered within one.

use crate::canonical::{self, CanonicalError};
use crate::event::{Event, FieldError, Signature};
use crate::ids::ActorId;
use crate::limits::{EVENTS_PER_SUBMISSION_MAX, SUBMISSION_BYTES_MAX};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// The submission version this code writes and reads.
pub const SUBMISSION_VERSION: u32 = 1;

/// Domain-separation prefix of the bytes an actor signs (FORMATS.md, "Submissions").
pub const SUBMISSION_CONTEXT: &[u8] = b"custodian/submission/v1\n";

/// An unsigned submission.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    /// The origin of the log it is for.
    pub log: String,
    /// The submitting actor.
    pub actor: ActorId,
    /// The actor's submission counter, from 1.
    pub seq: u64,
    /// The events, in order.
    pub events: Vec<Event>,
}

/// A submission with its actor's signature: exactly what becomes one log leaf.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedSubmission {
    /// What was signed.
    pub submission: Submission,
    /// The actor's Ed25519 signature over [`Submission::signing_bytes`].
    pub signature: Signature,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubmission {
    v: u32,
    log: String,
    actor: ActorId,
    seq: u64,
    events: Vec<Value>,
    #[serde(default)]
    signature: Option<Signature>,
}

impl Submission {
    fn to_json_with(&self, signature: Option<&Signature>) -> Value {
        let mut value = serde_json::json!({
            "v": SUBMISSION_VERSION,
            "log": self.log,
            "actor": self.actor,
            "seq": self.seq,
            "events": self.events.iter().map(Event::to_json).collect::<Vec<_>>(),
        });
        if let (Some(sig), Value::Object(map)) = (signature, &mut value) {
            map.insert("signature".into(), Value::String(sig.to_base64()));
        }
        value
    }

    /// The unsigned submission as JSON.
    pub fn to_json(&self) -> Value {
        self.to_json_with(None)
    }

    /// The bytes the actor signs: [`SUBMISSION_CONTEXT`] || JCS(submission without
    /// `signature`).
    pub fn signing_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        let mut bytes = SUBMISSION_CONTEXT.to_vec();
        bytes.extend(canonical::to_canonical_bytes(&self.to_json())?);
        Ok(bytes)
    }

    /// Checks what holds within one submission, whatever the log: a version we
    /// know, at least one and at most [`EVENTS_PER_SUBMISSION_MAX`] events, every
    /// event by the submission's actor, event ids unique, `seq` ≥ 1.
    pub fn check(&self) -> Result<(), FieldError> {
        if self.seq == 0 {
            return Err(FieldError::new("seq", "expected a sequence number ≥ 1"));
        }
        if self.log.is_empty() {
            return Err(FieldError::new("log", "expected the log's origin"));
        }
        if self.events.is_empty() {
            return Err(FieldError::new("events", "expected at least one event"));
        }
        if self.events.len() > EVENTS_PER_SUBMISSION_MAX {
            return Err(FieldError::new(
                "events",
                format!(
                    "at most {EVENTS_PER_SUBMISSION_MAX} events per submission, found {}",
                    self.events.len()
                ),
            ));
        }
        let mut ids = BTreeSet::new();
        for (i, event) in self.events.iter().enumerate() {
            if event.actor != self.actor {
                return Err(FieldError::new(
                    format!("events[{i}].actor"),
                    format!(
                        "expected the submission's actor {:?}, found {:?}",
                        self.actor.as_str(),
                        event.actor.as_str()
                    ),
                ));
            }
            if !ids.insert(&event.id) {
                return Err(FieldError::new(
                    format!("events[{i}].id"),
                    format!(
                        "event id {:?} appears twice in this submission",
                        event.id.as_str()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl SignedSubmission {
    /// The submission as JSON, with its signature.
    pub fn to_json(&self) -> Value {
        self.submission.to_json_with(Some(&self.signature))
    }

    /// The canonical bytes of the signed submission: the log leaf.
    pub fn leaf_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        canonical::to_canonical_bytes(&self.to_json())
    }

    /// Parses a submission (signed or not) from a strictly parsed JSON value,
    /// checking every event. Errors name the field: `events[3].payload.to`.
    pub fn parse_json(value: Value) -> Result<(Submission, Option<Signature>), FieldError> {
        let raw: RawSubmission = serde_path_to_error::deserialize(value)
            .map_err(|e| FieldError::new(e.path().to_string(), e.into_inner().to_string()))?;
        if raw.v != SUBMISSION_VERSION {
            return Err(FieldError::new(
                "v",
                format!(
                    "expected submission version {SUBMISSION_VERSION}, found {}",
                    raw.v
                ),
            ));
        }
        if raw.events.len() > EVENTS_PER_SUBMISSION_MAX {
            return Err(FieldError::new(
                "events",
                format!(
                    "at most {EVENTS_PER_SUBMISSION_MAX} events per submission, found {}",
                    raw.events.len()
                ),
            ));
        }
        let events = raw
            .events
            .into_iter()
            .enumerate()
            .map(|(i, v)| Event::from_json(v).map_err(|e| e.within(&format!("events[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        let submission = Submission {
            log: raw.log,
            actor: raw.actor,
            seq: raw.seq,
            events,
        };
        submission.check()?;
        Ok((submission, raw.signature))
    }

    /// Parses a log leaf: strict JSON, a signed submission, and in canonical form
    /// (re-encoding gives the same bytes), so that the leaf has one meaning.
    pub fn from_leaf_bytes(bytes: &[u8]) -> Result<SignedSubmission, FieldError> {
        if bytes.len() > SUBMISSION_BYTES_MAX {
            return Err(FieldError::new(
                "",
                format!(
                    "leaf of {} bytes exceeds the limit of {SUBMISSION_BYTES_MAX}",
                    bytes.len()
                ),
            ));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            FieldError::new("", format!("expected UTF-8, found invalid bytes: {e}"))
        })?;
        let value =
            canonical::parse_strict(text).map_err(|e| FieldError::new("", e.to_string()))?;
        let (submission, signature) = Self::parse_json(value)?;
        let signature =
            signature.ok_or_else(|| FieldError::new("signature", "expected a signature"))?;
        let signed = SignedSubmission {
            submission,
            signature,
        };
        let again = signed
            .leaf_bytes()
            .map_err(|e| FieldError::new("", e.to_string()))?;
        if again != bytes {
            return Err(FieldError::new(
                "",
                "leaf is not in RFC 8785 canonical form (re-encoding gives other bytes)",
            ));
        }
        Ok(signed)
    }
}
