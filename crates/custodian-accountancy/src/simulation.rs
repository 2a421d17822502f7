//! Simulation of the measurement model, for validation and power studies.
//!
//! Each value x of the sequence is taken as the *true* value and measured as
//! `x̃ = x·(1 + r + s)` (MAPIT theory guide, `ErrorTheory.md` \[V]): `r` fresh
//! for every value, `s` once per stream for the whole sequence, exactly the
//! granularity of [`crate::balance`] (one measurement per amount), so the
//! analytic Σ evaluated at the true values is the exact covariance of the
//! simulated MUF (accountancy.md §2, "Measured values stand in for true
//! values"; §9 item 5 for MAPIT's mismatch here).

use crate::balance::BalanceSequence;
use crate::rng::Xoshiro256PlusPlus;

/// The MUF sequence of one simulated measurement of `truth`, plus a loss:
/// `loss[b]` (if given) is removed from balance b, i.e. added to its
/// expected MUF. Draw order: for each stream (inputs, outputs, inventories
/// in order) its systematic error, then the random error of each value.
///
/// # Panics
/// If `loss` is given with a length other than the number of periods (a
/// caller bug).
pub fn simulate_muf(
    truth: &BalanceSequence,
    loss: Option<&[f64]>,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<f64> {
    let n = truth.periods();
    let mut muf = vec![0.0; n];
    if let Some(loss) = loss {
        assert_eq!(loss.len(), n, "loss length");
        muf.copy_from_slice(loss);
    }
    for (sign, flows) in [(1.0, truth.inputs()), (-1.0, truth.outputs())] {
        for flow in flows {
            let s = flow.rsd_systematic * rng.next_standard_normal();
            for (m, &x) in muf.iter_mut().zip(&flow.amounts) {
                let r = flow.rsd_random * rng.next_standard_normal();
                *m += sign * x * (1.0 + r + s);
            }
        }
    }
    for inventory in truth.inventories() {
        let s = inventory.rsd_systematic * rng.next_standard_normal();
        let measured: Vec<f64> = inventory
            .values
            .iter()
            .map(|&c| c * (1.0 + inventory.rsd_random * rng.next_standard_normal() + s))
            .collect();
        for (b, m) in muf.iter_mut().enumerate() {
            *m += measured[b] - measured[b + 1];
        }
    }
    muf
}
