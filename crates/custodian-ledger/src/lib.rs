//! Custodian's tamper-evident log.
//!
//! A whole log in a few files, after golang/mod `sumdb/tlog`:
//! - [`hash`]: RFC 9162 §2.1 leaf and node hashes;
//! - [`proof`]: tree heads, inclusion and consistency proofs over stored hashes;
//! - [`tree`]: the in-memory compact range (frontier) used to append and audit;
//! - [`note`] and [`checkpoint`]: C2SP `signed-note` and `tlog-checkpoint`;
//! - [`keys`]: Ed25519 signer and verifier keys in the signed-note text forms;
//! - [`submission`]: signing and verifying actors' submissions;
//! - [`registry`]: the actor registry that decides whether a submission may be appended.
//!
//! Architecture invariant: no I/O. A checkpoint or a proof can be verified with this
//! crate alone, with no store or server.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod checkpoint;
pub mod hash;
pub mod keys;
pub mod note;
pub mod proof;
pub mod registry;
pub mod submission;
pub mod tree;

pub use hash::Hash;
