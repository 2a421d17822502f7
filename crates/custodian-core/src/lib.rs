//! Custodian's domain core: identifiers, times, the event model and the canonical
//! encoding of everything that is hashed or signed.
//!
//! Architecture invariant: this crate opens no file, reads no clock, draws no
//! randomness and touches no database. Time arrives as an argument
//! ([`time::UtcTime`]); bytes arrive as slices. Anything here can be reused by an
//! auditor who trusts none of the rest of Custodian.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod canonical;
pub mod encoding;
pub mod event;
pub mod ids;
pub mod jcs;
pub mod limits;
pub mod submission;
pub mod time;

pub use event::{Approval, Event, EventKind, FieldError, Payload};
pub use ids::{ActorId, DeclarationId, EventId, LeafIndex, Party, Role, StateCode, TreeSize};
pub use submission::{SignedSubmission, Submission};
pub use time::{Date, UtcTime};
