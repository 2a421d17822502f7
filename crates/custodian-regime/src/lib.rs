//! Custodian's regime registry: states, treaties and membership actions over time,
//! treaty rules with their citations, contested facts evaluated under every reading,
//! and estimated forces and deployments, every row with its source.
//!
//! - [`data`]: one row type per CSV file of `data/` and the RFC 4180 parser; errors
//!   name file, line and field.
//! - [`bundled`]: the CSV files compiled into the binary.
//! - [`rules`]: treaty rules as data with citations (NPT Art. IX.3 and X.1, CTBT Art.
//!   XIV.1, TPNW Art. 15.1, PTBT), the USSR → Russia continuation, the documented
//!   exceptions in the data, how far the data reaches.
//! - [`readings`]: contested facts (the DPRK's NPT withdrawal, the date of Russia's CTBT
//!   ratification) and their readings, each with sources.
//! - [`ledger`]: the registry in the log: tables as `registry.row` events and back.
//! - [`model`]: the [`Registry`], its per-batch validation and the derivation of a
//!   [`TreatyStatus`] from dated actions.
//! - [`query`]: status of all states, a state's profile, entry into force, forces,
//!   deployments, history; plain serializable answers with sources.
//! - [`obligations`]: treaty obligations (NPT Art. I and II, TPNW Art. 1(1)(g), the
//!   zone treaties' stationing clauses) evaluated over the registry and the custody
//!   record under every interpretation, with general rules (VCLT Art. 28,
//!   acquiescence) applied as reasoning steps.
//! - [`positions`]: positions.csv by question, each row classified by the reading it
//!   aligns with.
//!
//! ```
//! use custodian_core::{Date, StateCode};
//! use custodian_regime::{data::TreatyId, Registry};
//!
//! let today = Date::parse("2026-11-24").unwrap();
//! let registry = Registry::bundled(today).unwrap();
//! let npt = TreatyId::parse("NPT").unwrap();
//! let usa = StateCode::parse("USA").unwrap();
//! let status = registry.status(&npt, usa, Date::parse("2020-01-01").unwrap()).unwrap();
//! assert!(status.unanimous().unwrap().is_party());
//! ```
//!
//! Architecture invariants: no I/O (the crate parses the bytes it is given and reads
//! no clock: `today` is an argument); status is derived, never stored; no contested
//! fact is decided silently — a query it bears on answers once per reading.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bundled;
pub mod data;
pub mod error;
pub mod ledger;
pub mod model;
pub mod obligations;
pub mod positions;
pub mod query;
pub mod readings;
pub mod rules;

pub use data::{ActionKind, MembershipAction, TreatyId};
pub use error::{Place, RegimeError};
pub use model::{Registry, StateInfo, TreatyStatus};
pub use obligations::{evaluate, Finding, Verdict};
pub use positions::{positions_on, PositionsAnswer};
pub use query::{
    DeploymentsAnswer, EifEvaluation, EifStatus, ForcesAnswer, History, InForce, NptCategory,
    StateProfile, StatusAll, StatusTable,
};
pub use readings::{Answer, Answers};
