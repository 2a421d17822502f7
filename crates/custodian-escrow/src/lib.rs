//! Custodian's cryptographic escrow for treaty declarations.
//!
//! A state commits to its **complete** declaration — every item, site and
//! material stock — at the outset, without revealing it, and reveals it later
//! step by step; every reveal is checked offline against the original
//! commitment (Philippe, Glaser and Felten, "A Cryptographic Escrow for Treaty
//! Declarations and Step-by-Step Verification", Science & Global Security
//! 27(1):3–14, 2019, arXiv:1809.04170).
//!
//! - [`declaration`]: entries, their sort key (category, region, id), JSON and
//!   canonical bytes;
//! - [`commitment`]: salted leaves, the RFC 9162 Merkle root, the public
//!   [`Commitment`] and the state's [`SecretDeclaration`];
//! - [`merkle`]: RFC 9162 inclusion proofs and compact range proofs;
//! - [`reveal`]: single entries, complete ranges, random samples;
//! - [`sample`]: the deterministic draw from a public seed;
//! - [`plan`]: detection probability and sample size (exact hypergeometric);
//! - [`pedersen`]: Pedersen totals on ristretto255 (RFC 9496) with
//!   Bulletproofs range proofs (Bünz et al. 2018), and openings of a total;
//! - [`absence`]: proving a key absent and deciding incompleteness;
//! - [`secret_file`]: the encrypted file the state keeps (RFC 8439);
//! - [`ledger`]: commitments, reveals, challenges and observations replayed
//!   from the log, and the findings they give.
//!
//! Architecture invariant: verification needs only public data — the
//! commitment, the reveal and, for Pedersen checks, the annex. Only
//! [`secret_file`] touches the file system.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod absence;
pub mod commitment;
pub mod declaration;
pub mod encoding;
pub mod error;
pub mod ledger;
pub mod merkle;
pub mod pedersen;
pub mod plan;
pub mod reveal;
pub mod sample;
pub mod secret_file;
pub mod text;

pub use absence::{
    assess, Assessment, Evidence, GapProof, KeyResponse, KeyStatus, Observation, OrderWitness,
    VerifiedGap,
};
pub use commitment::{Commitment, SecretDeclaration};
pub use declaration::{
    Declaration, DeclaredEntry, Entry, EntryBody, ItemStatus, MassUnit, Salt, SortKey,
};
pub use encoding::SCHEME;
pub use error::{EscrowError, Side};
pub use pedersen::{
    Annex, MeasureCommitment, TotalLimitProof, TotalOpening, TotalRangeProof, VerifiedAnnex,
};
pub use plan::InspectionPlan;
pub use reveal::{
    EdgeOpening, EntryOpening, EntryReveal, KeyOpening, RangeReveal, RangeSelector, SampleReveal,
    VerifiedEntry, VerifiedRange, VerifiedSample,
};
pub use sample::draw_sample;
pub use secret_file::SecretKey;
pub use text::{Label, MeasureName, Text};
