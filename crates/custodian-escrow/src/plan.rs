//! The inspection plan: how likely a random sample is to catch a declaration
//! that is wrong in `r` of its `N` entries, and how large a sample must be.
//!
//! A sample of `n` distinct entries misses all `r` wrong ones with the exact
//! hypergeometric probability `P(miss) = C(N−r, n) / C(N, n)`; this is the
//! attribute-sampling computation of nuclear material accountancy, reused from
//! `custodian_accountancy::sampling` (see its docs and
//! `shared/reference/accountancy.md` §7 and §10(e)).

use crate::error::EscrowError;
use custodian_accountancy::sampling;
use serde::Serialize;

/// An inspection plan for a declaration of `entries` entries.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct InspectionPlan {
    /// N, the number of committed entries.
    pub entries: u64,
    /// r, the number of wrong entries the plan must catch.
    pub wrong: u64,
    /// The target detection probability 1 − β.
    pub target_detection: f64,
    /// The exact minimum sample size: the smallest n with
    /// P(detect) ≥ `target_detection`.
    pub sample_size: u64,
    /// The exact detection probability at `sample_size`.
    pub detection_probability: f64,
    /// The IAEA-style sample size ⌈N(1 − β^{1/r})⌉, for comparison.
    pub iaea_sample_size: u64,
    /// The exact detection probability at the IAEA-style size.
    pub iaea_detection_probability: f64,
}

/// The probability that a random sample of `sample` of `entries` entries
/// contains at least one of `wrong` wrong entries: `1 − C(N−r, n)/C(N, n)`.
pub fn detection_probability(entries: u64, wrong: u64, sample: u64) -> Result<f64, EscrowError> {
    Ok(1.0 - sampling::miss_probability(entries, wrong, sample)?)
}

/// The smallest sample that detects `wrong` wrong entries among `entries`
/// with probability at least `target_detection` (exact hypergeometric).
pub fn sample_size(entries: u64, wrong: u64, target_detection: f64) -> Result<u64, EscrowError> {
    Ok(sampling::minimum_sample_size(
        entries,
        wrong,
        1.0 - target_detection,
    )?)
}

/// The full plan (type docs).
pub fn plan(
    entries: u64,
    wrong: u64,
    target_detection: f64,
) -> Result<InspectionPlan, EscrowError> {
    let p = sampling::sampling_plan(entries, wrong, 1.0 - target_detection)?;
    Ok(InspectionPlan {
        entries,
        wrong,
        target_detection,
        sample_size: p.minimum_sample_size,
        detection_probability: 1.0 - p.miss_probability_at_minimum,
        iaea_sample_size: p.iaea_sample_size,
        iaea_detection_probability: p.detection_probability,
    })
}
