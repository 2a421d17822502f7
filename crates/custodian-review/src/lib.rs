//! Custodian's NPT review cycle: the support unit the Treaty never had.
//!
//! - [`data`] and [`bundled`]: the sourced CSV files of the review cycle
//!   (preparatory committee sessions, commitments), parsed by the regime
//!   registry's RFC 4180 parser.
//! - [`cycles`]: review cycles 1975-2026: conference, outcome, sessions,
//!   decisions and commitments, each with its sources.
//! - [`schema`]: the standard reporting format `custodian/npt-report/v1`.
//! - [`engine`]: `review.report` events validated (known cycle, the submitter acts
//!   for the reporting state, the schema) and folded into a queryable model; the
//!   same checks run on append and in the audit ([`ReviewRule`]).
//! - [`analysis`]: completeness per cycle, a report compared with the state's
//!   previous one and with the registry's published estimates (shown as
//!   estimates, never as findings).
//! - [`totals`]: reported counts bound to the state's committed escrow totals,
//!   and their check (a reported total that disagrees with the committed one is
//!   a finding, never a refusal).
//! - [`summary`]: the per-cycle summary a secretariat tables: Markdown, CSV, a
//!   self-contained HTML page, and open-data JSON bound to a checkpoint.
//!
//! Architecture invariants: no I/O and no clock (the binary reads files and the
//! log, and gives the engine events); no estimate is ever turned into a finding
//! against a state; "not reported" is never read as zero.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analysis;
pub mod bundled;
pub mod cycles;
pub mod data;
pub mod engine;
pub mod error;
pub mod schema;
pub mod summary;
pub mod totals;

pub use cycles::{Cycle, Cycles, Outcome};
pub use engine::{AcceptedReport, ReportRef, ReviewEngine, ReviewRule};
pub use error::ReviewError;
pub use schema::{FieldValue, Report, FORMAT, NOT_REPORTED};
pub use totals::{BindingCheck, CommittedTotals, TotalBinding, Verdict};
