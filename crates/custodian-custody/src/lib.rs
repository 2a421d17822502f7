//! Custodian's custody engine: the state of every discrete item (warhead, bomb,
//! sealed container) at any time, derived from the log's events; the approval
//! policy (the two-person rule, generalised) that sensitive events must meet; and
//! the alerts the record itself raises.
//!
//! Custody (who physically holds an item) and control (who may authorise its use)
//! are separate on purpose: nuclear sharing is exactly the case where they differ
//! (DESIGN.md, "Item"; shared/sources 004).
//!
//! Architecture invariants: no I/O and no clock (times are arguments); an item's
//! state is derived from events, never stored; an inconsistent event is an error
//! that names the event and the field, and leaves the state unchanged.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod alerts;
pub mod policy;
pub mod rule;
pub mod state;

pub use alerts::{alerts, Alert, AlertKind};
pub use policy::{Policy, PolicyError, Signer};
pub use rule::CustodyRule;
pub use state::{
    item_of, Arrival, Ceased, Conflict, Custody, CustodyError, EventRef, ExerciseRecord, ItemState,
    Location, SiteInfo, SuspectApproval, Transfer, TransferKind,
};
