//! Custodian's custody engine: the state of every discrete item (warhead, bomb,
//! sealed container) at any time, derived from the log's events, and the alerts
//! the record itself raises.
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
pub mod state;

pub use alerts::{alerts, Alert, AlertKind};
pub use state::{Arrival, Custody, CustodyError, ItemState, Location, SiteInfo};
