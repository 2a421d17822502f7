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

use crate::canonical::CanonicalError;
use crate::event::{parse_typed, Event, FieldError, RawEvent, Signature};
use crate::ids::ActorId;
use crate::limits::{EVENTS_PER_SUBMISSION_MAX, SUBMISSION_BYTES_MAX};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
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
struct RawSubmission<E> {
    v: u32,
    log: String,
    actor: ActorId,
    seq: u64,
    events: Vec<E>,
    #[serde(default)]
    signature: Option<Signature>,
}

/// The serialized form: with the signature (the leaf) or without (what is signed).
struct SubmissionView<'a> {
    submission: &'a Submission,
    signature: Option<&'a Signature>,
}

impl Serialize for SubmissionView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let sub = self.submission;
        let mut st = s.serialize_struct("Submission", 6)?;
        // Fields in canonical (sorted) order, so the writer never re-sorts.
        st.serialize_field("actor", &sub.actor)?;
        st.serialize_field("events", &sub.events)?;
        st.serialize_field("log", &sub.log)?;
        st.serialize_field("seq", &sub.seq)?;
        if let Some(signature) = self.signature {
            st.serialize_field("signature", signature)?;
        }
        st.serialize_field("v", &SUBMISSION_VERSION)?;
        st.end()
    }
}

/// The canonical leaf ends with the signature member followed by `"v":1`, since
/// members are sorted by name: `...,"seq":7,"signature":"<88 base64>","v":1}`.
const SIGNATURE_MEMBER_PREFIX: &[u8] = b",\"signature\":\"";
const SIGNATURE_BASE64_LEN: usize = 88;
const LEAF_SUFFIX: &[u8] = b"\",\"v\":1}";

/// The limit on events per submission, checked before any event is parsed.
fn check_event_count(n: usize) -> Result<(), FieldError> {
    if n > EVENTS_PER_SUBMISSION_MAX {
        return Err(FieldError::new(
            "events",
            format!("at most {EVENTS_PER_SUBMISSION_MAX} events per submission, found {n}"),
        ));
    }
    Ok(())
}

impl Submission {
    /// The unsigned submission as JSON (for display).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(SubmissionView {
            submission: self,
            signature: None,
        })
        .unwrap_or(Value::Null)
    }

    /// The bytes the actor signs: [`SUBMISSION_CONTEXT`] || JCS(submission without
    /// `signature`).
    pub fn signing_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        let mut bytes = SUBMISSION_CONTEXT.to_vec();
        crate::jcs::write(
            &SubmissionView {
                submission: self,
                signature: None,
            },
            &mut bytes,
        )?;
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
        check_event_count(self.events.len())?;
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
    /// The submission as JSON, with its signature (for display).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(SubmissionView {
            submission: &self.submission,
            signature: Some(&self.signature),
        })
        .unwrap_or(Value::Null)
    }

    /// The canonical bytes of the signed submission: the log leaf.
    pub fn leaf_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        crate::jcs::to_vec(&SubmissionView {
            submission: &self.submission,
            signature: Some(&self.signature),
        })
    }

    /// The bytes the actor signed, cut from a canonical leaf without encoding
    /// anything again: removing the `signature` member from the canonical bytes of
    /// the signed object gives exactly the canonical bytes of the object without
    /// it. `None` if `leaf` does not end as a canonical version-1 leaf does.
    pub fn signing_bytes_of_leaf(leaf: &[u8]) -> Option<Vec<u8>> {
        let tail = SIGNATURE_MEMBER_PREFIX.len() + SIGNATURE_BASE64_LEN + LEAF_SUFFIX.len();
        let cut = leaf.len().checked_sub(tail)?;
        let (body, rest) = leaf.split_at(cut);
        let (prefix, rest) = rest.split_at(SIGNATURE_MEMBER_PREFIX.len());
        let (signature, suffix) = rest.split_at(SIGNATURE_BASE64_LEN);
        if prefix != SIGNATURE_MEMBER_PREFIX
            || suffix != LEAF_SUFFIX
            || !signature
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            return None;
        }
        let mut bytes = Vec::with_capacity(SUBMISSION_CONTEXT.len() + cut + 6);
        bytes.extend_from_slice(SUBMISSION_CONTEXT);
        bytes.extend_from_slice(body);
        bytes.extend_from_slice(b",\"v\":1}");
        Some(bytes)
    }

    fn from_raw<E>(
        raw: RawSubmission<E>,
        event: impl Fn(E) -> Result<Event, FieldError>,
    ) -> Result<(Submission, Option<Signature>), FieldError> {
        if raw.v != SUBMISSION_VERSION {
            return Err(FieldError::new(
                "v",
                format!(
                    "expected submission version {SUBMISSION_VERSION}, found {}",
                    raw.v
                ),
            ));
        }
        check_event_count(raw.events.len())?;
        let events = raw
            .events
            .into_iter()
            .enumerate()
            .map(|(i, e)| event(e).map_err(|err| err.within(&format!("events[{i}]"))))
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

    /// Parses a submission (signed or not) from a strictly parsed JSON value,
    /// checking every event. Errors name the field: `events[3].payload.to`.
    pub fn parse_json(value: Value) -> Result<(Submission, Option<Signature>), FieldError> {
        if let Some(n) = value.get("events").and_then(Value::as_array).map(Vec::len) {
            check_event_count(n)?;
        }
        let raw: RawSubmission<Value> = parse_typed(value)?;
        Self::from_raw(raw, Event::from_json)
    }

    /// Parses a log leaf: a signed submission in canonical form (re-encoding gives
    /// the same bytes), so that the leaf has one meaning. Parses straight from the
    /// bytes, typing each payload from its raw JSON text; member names repeated
    /// anywhere are refused by the typed parse, and anything non-canonical by the
    /// re-encoding.
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
        let mut de = serde_json::Deserializer::from_str(text);
        let raw: RawSubmission<RawEvent<&RawValue>> = parse_typed(&mut de)?;
        de.end()
            .map_err(|e| FieldError::new("", format!("trailing data after the submission: {e}")))?;
        let (submission, signature) = Self::from_raw(raw, |e| {
            Event::from_raw(e, |kind, payload: &RawValue| {
                Event::payload_from_raw(kind, payload)
            })
        })?;
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
