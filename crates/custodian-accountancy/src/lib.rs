//! Custodian's nuclear material accountancy statistics: the material balance
//! and its MUF, σMUF and the MUF covariance matrix Σ, CUMUF, SITMUF, Page's
//! test, GEMUF-V1, shipper/receiver differences, detection probability and
//! the significant quantities, attribute sampling, and false-alarm
//! thresholds (exact and Monte Carlo).
//!
//! The specification is `shared/reference/accountancy.md`; every formula's
//! documentation cites its primary source as that file does, with its tag:
//! \[V] verified in the cited source, \[C] computed for the reference by an
//! independent implementation, \[U] unverified standard practice. The MAPIT
//! theory guide (Sandia, GPL-3.0) is cited for its documentation only; no
//! MAPIT code is used, and its known discrepancies (accountancy.md §9) are
//! avoided: Σ integrates each flow over its own period, SITMUF pairs each
//! balance with its own row of Σ, Page's first step subtracts k, and σMUF
//! includes the shared-systematic term (the MAPIT `SEMUF` value is offered
//! separately).
//!
//! Architecture invariants: no I/O, no clock, no global state; randomness
//! only from an explicit seed ([`rng`]). Input errors are values of
//! [`AccountancyError`] naming the field; Σ is never repaired when it is not
//! positive definite.
//!
//! Material accounts and reports (issue 6, points 1 and 2): [`accounts`]
//! replays the ledger's `facility.register`, `mba.register` and `material.*`
//! events into facilities, material balance areas, batches, inventory change
//! lines with their corrections, physical inventory takings and
//! measurements, refusing what does not fit with the event and field; and
//! [`reports`] generates the Euratom/UK Inventory Change Report, Physical
//! Inventory Listing and Material Balance Report from them, bound to a signed
//! checkpoint. Masses there are exact integer milligrams.
//!
//! Sizes: the statistics of a sequence of n balances with k systematic error
//! sources run in O(n·k²) time and O(n·k) memory through the structure of Σ
//! ([`balance::MufCovariance`], [`sequential::StructuredCholesky`]); the
//! dense n×n matrices (packed, n(n+1)/2 doubles) are built only on request.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod accounts;
pub mod balance;
pub mod detection;
pub mod error;
pub mod evaluate;
pub mod facility;
pub mod filing;
pub mod labelled;
pub mod ledger_balances;
pub mod matrix;
pub mod normal;
#[cfg(feature = "plot")]
pub mod plot;
pub mod reports;
pub mod rng;
pub mod sampling;
pub mod sequential;
pub mod simulation;
pub mod srd;
pub mod thresholds;

pub use accounts::{Accounts, AccountsError, Grams, Quantity};
pub use balance::{BalanceSequence, BalanceTerms, Flow, Inventory, MufCovariance};
pub use error::AccountancyError;
pub use evaluate::{
    evaluate, evaluate_json, EvaluateOptions, Evaluation, EvaluationInput, Matrices,
};
pub use matrix::{PackedLower, PackedSymmetric};
pub use reports::{
    inventory_change_report, material_balance_report, physical_inventory_listing, Binding,
    InventoryChangeReport, MaterialBalanceReport, Period, PhysicalInventoryListing, ReportError,
};
pub use sequential::StructuredCholesky;
