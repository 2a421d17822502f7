//! Attribute (gross-defect) sampling (accountancy.md §7).
//!
//! A stratum of N items holds r defective (falsified) items, r being the
//! number needed to reach the goal quantity (e.g. `r = ⌈SQ / mean item
//! content⌉`); β is the non-detection goal. \[C]; the abstract of JNMM vol.
//! 44(3) confirms that the IAEA sample-size formula approximates the exact
//! hypergeometric non-selection probability and that the exact minimum lies
//! in {n_IAEA − 3, …, n_IAEA} \[V]:
//!
//! ```text
//! n       = ⌈ N (1 − β^{1/r}) ⌉            (IAEA-style formula)
//! P(miss) = C(N−r, n) / C(N, n)             (exact, hypergeometric; 0 if n > N − r)
//! n_min   = smallest n with P(miss) ≤ β     (exact minimum)
//! ```

use serde::Serialize;

use crate::error::{check_probability, AccountancyError};

/// Guard of the IAEA ceiling against rounding: `x` within this relative
/// distance above an integer counts as that integer (N = 40, r = 1, β = 0.1
/// gives 36.000000000000007 in floating point for an exact 36).
const CEILING_GUARD_RELATIVE: f64 = 1e-12;

/// A P(miss) within this relative distance above β meets the goal: β itself
/// is a decimal rounded to binary, so an exact tie (e.g. 4/40 against 0.1)
/// must not be lost to the last bit.
const TIE_RELATIVE: f64 = 4.0 * f64::EPSILON;

fn check_stratum(population: u64, defectives: u64) -> Result<(), AccountancyError> {
    if population == 0 {
        return Err(AccountancyError::InvalidCount {
            field: "population".to_owned(),
            expected: "at least one item".to_owned(),
            found: population,
        });
    }
    if defectives == 0 || defectives > population {
        return Err(AccountancyError::InvalidCount {
            field: "defectives".to_owned(),
            expected: format!("between 1 and the population ({population})"),
            found: defectives,
        });
    }
    Ok(())
}

/// N(1 − β^{1/r}) before rounding, computed as −N·expm1(ln β / r) for
/// precision when β^{1/r} is close to 1.
pub fn iaea_sample_size_unrounded(
    population: u64,
    defectives: u64,
    beta: f64,
) -> Result<f64, AccountancyError> {
    check_stratum(population, defectives)?;
    check_probability("beta", beta)?;
    Ok(-(population as f64) * (beta.ln() / defectives as f64).exp_m1())
}

/// The IAEA-style sample size n = ⌈N(1 − β^{1/r})⌉ with the ceiling guarded
/// against rounding (`⌈x − 1e-12·max(1, x)⌉`), capped at N.
pub fn iaea_sample_size(
    population: u64,
    defectives: u64,
    beta: f64,
) -> Result<u64, AccountancyError> {
    let x = iaea_sample_size_unrounded(population, defectives, beta)?;
    let guarded = (x - CEILING_GUARD_RELATIVE * x.max(1.0)).ceil().max(0.0);
    Ok((guarded as u64).min(population))
}

/// Exact hypergeometric non-selection probability P(miss) = C(N−r, n)/C(N, n):
/// the probability that a random sample of n of N items contains none of the
/// r defective ones. Computed as a product of ratios, never with factorials:
/// `Π_{j<r} (N−n−j)/(N−j)` or, equivalently, `Π_{j<n} (N−r−j)/(N−j)`,
/// whichever has fewer factors. 0 if n > N − r.
pub fn miss_probability(
    population: u64,
    defectives: u64,
    sample: u64,
) -> Result<f64, AccountancyError> {
    check_stratum(population, defectives)?;
    if sample > population {
        return Err(AccountancyError::InvalidCount {
            field: "sample".to_owned(),
            expected: format!("at most the population ({population})"),
            found: sample,
        });
    }
    Ok(miss_probability_unchecked(population, defectives, sample))
}

fn miss_probability_unchecked(population: u64, defectives: u64, sample: u64) -> f64 {
    if sample > population - defectives {
        return 0.0;
    }
    let n_total = population as f64;
    let (fixed, count) = if defectives <= sample {
        // Π_{j<r} (N−n−j)/(N−j)
        (sample as f64, defectives)
    } else {
        // Π_{j<n} (N−r−j)/(N−j)
        (defectives as f64, sample)
    };
    let mut product = 1.0;
    for j in 0..count {
        let j = j as f64;
        product *= (n_total - fixed - j) / (n_total - j);
    }
    product
}

/// The exact minimum sample size n_min: the smallest n with P(miss) ≤ β
/// (bisection on the non-increasing P(miss)).
pub fn minimum_sample_size(
    population: u64,
    defectives: u64,
    beta: f64,
) -> Result<u64, AccountancyError> {
    check_stratum(population, defectives)?;
    check_probability("beta", beta)?;
    let meets = |n: u64| {
        miss_probability_unchecked(population, defectives, n) <= beta * (1.0 + TIE_RELATIVE)
    };
    // P(miss at 0) = 1 > β; P(miss at N − r + 1) = 0 ≤ β.
    let (mut lo, mut hi) = (0_u64, population - defectives + 1);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if meets(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// A complete attribute-sampling plan: the IAEA-style n, the exact n_min and
/// the non-detection and detection probabilities at each.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SamplingPlan {
    /// N, the number of items in the stratum.
    pub population: u64,
    /// r, the number of defective items to detect.
    pub defectives: u64,
    /// β, the non-detection goal.
    pub beta: f64,
    /// N(1 − β^{1/r}) before rounding.
    pub iaea_unrounded: f64,
    /// n = ⌈N(1 − β^{1/r})⌉ (guarded ceiling).
    pub iaea_sample_size: u64,
    /// Exact P(miss) at n.
    pub miss_probability: f64,
    /// 1 − P(miss) at n.
    pub detection_probability: f64,
    /// Exact minimum n_min.
    pub minimum_sample_size: u64,
    /// Exact P(miss) at n_min.
    pub miss_probability_at_minimum: f64,
}

/// Computes the [`SamplingPlan`] for N items with r defectives and goal β.
pub fn sampling_plan(
    population: u64,
    defectives: u64,
    beta: f64,
) -> Result<SamplingPlan, AccountancyError> {
    let iaea_unrounded = iaea_sample_size_unrounded(population, defectives, beta)?;
    let n = iaea_sample_size(population, defectives, beta)?;
    let miss = miss_probability(population, defectives, n)?;
    let n_min = minimum_sample_size(population, defectives, beta)?;
    Ok(SamplingPlan {
        population,
        defectives,
        beta,
        iaea_unrounded,
        iaea_sample_size: n,
        miss_probability: miss,
        detection_probability: 1.0 - miss,
        minimum_sample_size: n_min,
        miss_probability_at_minimum: miss_probability(population, defectives, n_min)?,
    })
}
