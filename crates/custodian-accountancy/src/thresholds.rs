//! False-alarm thresholds for Page's test on SITMUF (accountancy.md §8).
//!
//! Under H₀ with the model right, SITMUF values are iid N(0, 1) (MAPIT
//! `SitmufTheory.md` \[V]), so the threshold h(n, k, α) with
//! `P(max_{i≤n} P_i > h) = α` depends only on n, k and α.
//!
//! - **Exact** \[C]: the law of P_i is an atom p₀ at 0 plus a density f on
//!   (0, h]; one step is `f'(y) = p₀ φ(y+k) + ∫₀ʰ f(x) φ(y−x+k) dx`,
//!   `p₀' = p₀ Φ(k) + ∫₀ʰ f(x) Φ(k−x) dx`, and the mass above h is absorbed
//!   (alarm). The integrals are discretised with Gauss–Legendre nodes on
//!   (0, h] (Nyström), and h is solved for by bracketing.
//! - **Monte Carlo**: the (1 − α) empirical quantile of max_i P_i over R
//!   runs of n iid N(0, 1), reproducible from a seed (see [`crate::rng`]) and
//!   independent of the number of threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use serde::Serialize;

use crate::error::{check_probability, AccountancyError};
use crate::normal;
use crate::rng::Xoshiro256PlusPlus;

/// Gauss–Legendre nodes used by default. accountancy.md §8: 50 nodes already
/// give 1e-12; the reference value for n = 12 is stable to 1e-9 from 50 to
/// 400 nodes.
pub const NYSTROM_NODES_DEFAULT: usize = 64;

/// The most balances an exact threshold is computed for (n·m² work per
/// evaluation of the false-alarm probability).
pub const EXACT_BALANCES_MAX: usize = 100_000;

/// Gauss–Legendre nodes and weights on [−1, 1], by Newton's method on the
/// Legendre polynomial P_m from the initial guesses cos(π(i + 3/4)/(m + 1/2))
/// (Abramowitz and Stegun 25.4.29 for the weights, 2/((1 − x²) P_m'(x)²)).
pub fn gauss_legendre(nodes: usize) -> (Vec<f64>, Vec<f64>) {
    let m = nodes;
    let mut x = vec![0.0; m];
    let mut w = vec![0.0; m];
    for i in 0..m.div_ceil(2) {
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (m as f64 + 0.5)).cos();
        let mut derivative = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, z);
            for j in 2..=m {
                let j = j as f64;
                let p2 = ((2.0 * j - 1.0) * z * p1 - (j - 1.0) * p0) / j;
                p0 = p1;
                p1 = p2;
            }
            derivative = m as f64 * (z * p1 - p0) / (z * z - 1.0);
            let step = p1 / derivative;
            z -= step;
            if step.abs() < 1e-16 {
                break;
            }
        }
        x[i] = -z;
        x[m - 1 - i] = z;
        let weight = 2.0 / ((1.0 - z * z) * derivative * derivative);
        w[i] = weight;
        w[m - 1 - i] = weight;
    }
    (x, w)
}

fn check_balances(balances: usize, max: usize) -> Result<(), AccountancyError> {
    if balances == 0 || balances > max {
        return Err(AccountancyError::InvalidCount {
            field: "balances".to_owned(),
            expected: format!("between 1 and {max}"),
            found: balances as u64,
        });
    }
    Ok(())
}

fn check_finite(
    field: &str,
    value: f64,
    expected: &'static str,
    min: f64,
) -> Result<f64, AccountancyError> {
    if value.is_finite() && value >= min {
        Ok(value)
    } else {
        Err(AccountancyError::InvalidNumber {
            field: field.to_owned(),
            expected,
            found: value,
        })
    }
}

/// The exact probability that Page's statistic on n iid N(0, 1) values
/// exceeds h at some balance: `P(max_{i≤n} P_i > h)` \[C], by the Nyström
/// discretisation with [`NYSTROM_NODES_DEFAULT`] nodes.
pub fn page_false_alarm_probability(
    balances: usize,
    k: f64,
    h: f64,
) -> Result<f64, AccountancyError> {
    page_false_alarm_probability_with_nodes(balances, k, h, NYSTROM_NODES_DEFAULT)
}

/// As [`page_false_alarm_probability`] with a chosen number of
/// Gauss–Legendre nodes (2 to 1000).
///
/// The false-alarm probability is accumulated as the mass absorbed above h
/// at each step (`p₀·Q(h+k) + ∫ f(x) Q(h−x+k) dx`), which keeps its relative
/// precision for small α.
pub fn page_false_alarm_probability_with_nodes(
    balances: usize,
    k: f64,
    h: f64,
    nodes: usize,
) -> Result<f64, AccountancyError> {
    check_balances(balances, EXACT_BALANCES_MAX)?;
    check_finite("k", k, "a finite reference value k", f64::NEG_INFINITY)?;
    check_finite("h", h, "a finite, non-negative threshold h", 0.0)?;
    if !(2..=1000).contains(&nodes) {
        return Err(AccountancyError::InvalidCount {
            field: "nodes".to_owned(),
            expected: "between 2 and 1000".to_owned(),
            found: nodes as u64,
        });
    }
    if h == 0.0 {
        // P_i = 0 for all i iff every y_i ≤ k.
        return Ok(1.0 - normal::cdf(k).powi(balances as i32));
    }
    let (x, w) = gauss_legendre(nodes);
    let y: Vec<f64> = x.iter().map(|xi| 0.5 * h * (xi + 1.0)).collect();
    let weight: Vec<f64> = w.iter().map(|wi| 0.5 * h * wi).collect();
    let m = nodes;
    // kernel[a*m + b] = φ(y_a − y_b + k)·w_b
    let mut kernel = vec![0.0; m * m];
    for a in 0..m {
        for b in 0..m {
            kernel[a * m + b] = normal::pdf(y[a] - y[b] + k) * weight[b];
        }
    }
    let from_atom: Vec<f64> = y.iter().map(|&ya| normal::pdf(ya + k)).collect();
    let to_atom: Vec<f64> = (0..m).map(|b| normal::cdf(k - y[b]) * weight[b]).collect();
    let absorbed: Vec<f64> = (0..m)
        .map(|b| normal::upper_tail(h - y[b] + k) * weight[b])
        .collect();
    let atom_to_atom = normal::cdf(k);
    let atom_absorbed = normal::upper_tail(h + k);

    let mut atom = 1.0;
    let mut density = vec![0.0; m];
    let mut next = vec![0.0; m];
    let mut alarm = 0.0;
    for _ in 0..balances {
        alarm += atom * atom_absorbed + dot(&absorbed, &density);
        for a in 0..m {
            next[a] = atom * from_atom[a] + dot(&kernel[a * m..(a + 1) * m], &density);
        }
        atom = atom * atom_to_atom + dot(&to_atom, &density);
        std::mem::swap(&mut density, &mut next);
    }
    Ok(alarm)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The exact threshold h(n, k, α) with `P(max_{i≤n} P_i > h) = α` for Page's
/// test on SITMUF \[C]. Check: n = 1 gives h = z_{1−α} − k.
///
/// The false-alarm probability decreases in h; the root of
/// `ln FAP(h) − ln α` is bracketed (from h = 0, where FAP = 1 − Φ(k)ⁿ,
/// upward by doubling) and refined by the Illinois variant of regula falsi
/// to |Δh| ≤ 1e-12. Errors if α ≥ 1 − Φ(k)ⁿ (no positive threshold exists).
pub fn page_threshold(balances: usize, k: f64, alpha: f64) -> Result<f64, AccountancyError> {
    page_threshold_with_nodes(balances, k, alpha, NYSTROM_NODES_DEFAULT)
}

/// As [`page_threshold`] with a chosen number of Gauss–Legendre nodes.
pub fn page_threshold_with_nodes(
    balances: usize,
    k: f64,
    alpha: f64,
    nodes: usize,
) -> Result<f64, AccountancyError> {
    check_probability("alpha", alpha)?;
    let fap = |h: f64| page_false_alarm_probability_with_nodes(balances, k, h, nodes);
    let at_zero = fap(0.0)?;
    if alpha >= at_zero {
        return Err(AccountancyError::NoThreshold {
            field: "alpha".to_owned(),
            message: format!(
                "expected a false-alarm probability below {at_zero} (the probability that Page's \
                 statistic leaves 0 at all over n = {balances} for k = {k}), found {alpha}"
            ),
        });
    }
    let target = alpha.ln();
    let g = |h: f64| -> Result<f64, AccountancyError> { Ok(fap(h)?.ln() - target) };
    let (mut lo, mut g_lo) = (0.0, at_zero.ln() - target);
    let mut hi = (normal::upper_critical_value(alpha) - k).max(0.5);
    let mut g_hi = g(hi)?;
    while g_hi > 0.0 {
        lo = hi;
        g_lo = g_hi;
        hi *= 2.0;
        if hi > 1e6 {
            return Err(AccountancyError::NoThreshold {
                field: "alpha".to_owned(),
                message: format!("no threshold below 1e6 reaches false-alarm probability {alpha}"),
            });
        }
        g_hi = g(hi)?;
    }
    if g_hi == 0.0 {
        return Ok(hi);
    }
    // Illinois: g_lo > 0 > g_hi.
    let mut side = 0;
    for _ in 0..200 {
        let h = (lo * g_hi - hi * g_lo) / (g_hi - g_lo);
        let gh = g(h)?;
        if gh == 0.0 {
            return Ok(h);
        }
        if gh > 0.0 {
            lo = h;
            g_lo = gh;
            if side == 1 {
                g_hi *= 0.5;
            }
            side = 1;
        } else {
            hi = h;
            g_hi = gh;
            if side == -1 {
                g_lo *= 0.5;
            }
            side = -1;
        }
        if hi - lo <= 1e-12 * hi.max(1.0) {
            break;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// Settings of a Monte-Carlo run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MonteCarlo {
    /// Number of simulated sequences R (1 to [`MONTE_CARLO_RUNS_MAX`]).
    pub runs: usize,
    /// Seed of the generator; print it with every result.
    pub seed: u64,
    /// Worker threads (1 to 256). The result does not depend on it.
    pub threads: usize,
}

/// The most Monte-Carlo runs accepted in one call.
pub const MONTE_CARLO_RUNS_MAX: usize = 100_000_000;

/// Runs per chunk: the unit of work and of random streams. Chunk c uses the
/// generator seeded from the seed and then jumped c times (2¹²⁸ outputs
/// each), so each run's numbers depend only on the seed and the run's index.
pub const RUNS_PER_CHUNK: usize = 4096;

/// max_{i≤n} P_i of Page's statistic on n iid N(0, 1) values, for each of R
/// simulated sequences, in run order.
///
/// Parallel over `threads` scoped threads; `progress(done, total)` is called
/// on the calling thread after each chunk of [`RUNS_PER_CHUNK`] runs (counts
/// in runs), so a command-line tool can draw a progress bar.
pub fn page_maxima_monte_carlo(
    balances: usize,
    k: f64,
    settings: &MonteCarlo,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<f64>, AccountancyError> {
    check_balances(balances, EXACT_BALANCES_MAX)?;
    check_finite("k", k, "a finite reference value k", f64::NEG_INFINITY)?;
    check_monte_carlo(settings)?;
    let runs = settings.runs;
    let chunks = runs.div_ceil(RUNS_PER_CHUNK);

    // One independent stream per chunk.
    let mut generators = Vec::with_capacity(chunks);
    let mut generator = Xoshiro256PlusPlus::seed_from_u64(settings.seed);
    for _ in 0..chunks {
        generators.push(generator.clone());
        generator.jump();
    }

    let mut maxima = vec![0.0; runs];
    let next_chunk = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel::<(usize, Vec<f64>)>();
    std::thread::scope(|scope| {
        for _ in 0..settings.threads.min(chunks) {
            let sender = sender.clone();
            let generators = &generators;
            let next_chunk = &next_chunk;
            scope.spawn(move || loop {
                let c = next_chunk.fetch_add(1, Ordering::Relaxed);
                if c >= chunks {
                    break;
                }
                let start = c * RUNS_PER_CHUNK;
                let count = RUNS_PER_CHUNK.min(runs - start);
                let mut rng = generators[c].clone();
                let chunk: Vec<f64> = (0..count)
                    .map(|_| page_maximum(&mut rng, balances, k))
                    .collect();
                if sender.send((c, chunk)).is_err() {
                    break;
                }
            });
        }
        drop(sender);
        let mut done = 0;
        for (c, chunk) in receiver {
            let start = c * RUNS_PER_CHUNK;
            maxima[start..start + chunk.len()].copy_from_slice(&chunk);
            done += chunk.len();
            progress(done, runs);
        }
    });
    Ok(maxima)
}

/// max_i P_i over one simulated sequence of n iid N(0, 1) values.
fn page_maximum(rng: &mut Xoshiro256PlusPlus, balances: usize, k: f64) -> f64 {
    let mut statistic = 0.0_f64;
    let mut maximum = 0.0_f64;
    for _ in 0..balances {
        statistic = (statistic + rng.next_standard_normal() - k).max(0.0);
        maximum = maximum.max(statistic);
    }
    maximum
}

fn check_monte_carlo(settings: &MonteCarlo) -> Result<(), AccountancyError> {
    if settings.runs == 0 || settings.runs > MONTE_CARLO_RUNS_MAX {
        return Err(AccountancyError::InvalidCount {
            field: "runs".to_owned(),
            expected: format!("between 1 and {MONTE_CARLO_RUNS_MAX}"),
            found: settings.runs as u64,
        });
    }
    if settings.threads == 0 || settings.threads > 256 {
        return Err(AccountancyError::InvalidCount {
            field: "threads".to_owned(),
            expected: "between 1 and 256".to_owned(),
            found: settings.threads as u64,
        });
    }
    Ok(())
}

/// The empirical (1 − α) quantile of `values`: the ⌈(1−α)R⌉-th smallest
/// (the smallest x whose empirical distribution function reaches 1 − α).
/// Reorders `values`; O(R).
pub fn empirical_upper_quantile(values: &mut [f64], alpha: f64) -> Result<f64, AccountancyError> {
    check_probability("alpha", alpha)?;
    if values.is_empty() {
        return Err(AccountancyError::InvalidCount {
            field: "runs".to_owned(),
            expected: "at least one value".to_owned(),
            found: 0,
        });
    }
    let r = values.len();
    let rank = (((1.0 - alpha) * r as f64).ceil() as usize).clamp(1, r);
    let (_, value, _) = values.select_nth_unstable_by(rank - 1, f64::total_cmp);
    Ok(*value)
}

/// The Monte-Carlo threshold: the (1 − α) empirical quantile of max_i P_i
/// over `settings.runs` simulated sequences (accountancy.md §8). Its standard
/// error is `sqrt(α(1−α)/R)/f(h)`, f the density of max_i P_i at h (0.0361 at
/// R = 10⁴, n = 12, α = 0.05).
pub fn page_threshold_monte_carlo(
    balances: usize,
    k: f64,
    alpha: f64,
    settings: &MonteCarlo,
    progress: impl FnMut(usize, usize),
) -> Result<f64, AccountancyError> {
    check_probability("alpha", alpha)?;
    let mut maxima = page_maxima_monte_carlo(balances, k, settings, progress)?;
    empirical_upper_quantile(&mut maxima, alpha)
}
