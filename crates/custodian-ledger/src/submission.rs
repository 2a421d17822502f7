//! Signing and verifying submissions and approvals with Ed25519.
//!
//! What is signed is fixed in `custodian-core` ([`Submission::signing_bytes`],
//! [`Event::approval_message`]); this module only applies the keys, with the one
//! Ed25519 verification of [`crate::keys::verify_ed25519`].

use crate::keys::{verify_ed25519, KeyError, SigningKey};
use custodian_core::event::{PublicKey, Signature};
use custodian_core::{ActorId, Approval, Event, SignedSubmission, Submission};

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The public key is not a valid Ed25519 point.
    #[error("public key is not a valid Ed25519 key")]
    BadKey,
    /// The signature does not verify over the message.
    #[error("signature does not verify")]
    Invalid,
    /// The signed bytes could not be formed (a number outside I-JSON, say).
    #[error("cannot form the signed bytes: {0}")]
    Encoding(String),
}

/// Verifies an Ed25519 signature (see [`verify_ed25519`] for the equation).
pub fn verify_signature(
    public_key: &PublicKey,
    message: &[u8],
    signature: &Signature,
) -> Result<(), SignatureError> {
    verify_ed25519(&public_key.0, message, &signature.0).map_err(|e| match e {
        KeyError::BadSignature => SignatureError::Invalid,
        _ => SignatureError::BadKey,
    })
}

/// Signs a submission with the actor's key.
pub fn sign_submission(
    submission: Submission,
    key: &SigningKey,
) -> Result<SignedSubmission, SignatureError> {
    let bytes = submission
        .signing_bytes()
        .map_err(|e| SignatureError::Encoding(e.to_string()))?;
    let signature = Signature(key.sign(&bytes));
    Ok(SignedSubmission {
        submission,
        signature,
    })
}

/// Verifies a submission's signature against the actor's public key.
pub fn verify_submission(
    signed: &SignedSubmission,
    public_key: &PublicKey,
) -> Result<(), SignatureError> {
    let bytes = signed
        .submission
        .signing_bytes()
        .map_err(|e| SignatureError::Encoding(e.to_string()))?;
    verify_signature(public_key, &bytes, &signed.signature)
}

/// An approver's co-signature of an event.
pub fn approve(
    event: &Event,
    approver: ActorId,
    key: &SigningKey,
) -> Result<Approval, SignatureError> {
    let message = event
        .approval_message()
        .map_err(|e| SignatureError::Encoding(e.to_string()))?;
    Ok(Approval {
        actor: approver,
        signature: Signature(key.sign(&message)),
    })
}

/// Verifies one approval of an event against the approver's public key.
pub fn verify_approval(
    event: &Event,
    approval: &Approval,
    public_key: &PublicKey,
) -> Result<(), SignatureError> {
    let message = event
        .approval_message()
        .map_err(|e| SignatureError::Encoding(e.to_string()))?;
    verify_signature(public_key, &message, &approval.signature)
}

/// The public key of a signing key, in the core's type.
pub fn public_key(key: &SigningKey) -> PublicKey {
    PublicKey(key.verifier().public_key())
}
