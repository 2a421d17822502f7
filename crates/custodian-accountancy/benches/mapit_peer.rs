//! Custodian beside MAPIT, the peer (issue 6, "Speed").
//!
//! The same synthetic bulk facility (30 locations, a year of hourly true
//! values, 15 balances of 584 h; `bench/mapit/generate.py`) goes through the
//! same steps in both tools — error simulation, MUF, σMUF, covariance,
//! SITMUF, Page — at 100 and 1,000 Monte-Carlo iterations, single-threaded,
//! each step timed as one pass over all iterations, medians of several
//! repetitions. Every iteration evaluates σMUF, Σ and SITMUF at its own
//! measured values, as MAPIT does.
//!
//! MAPIT's figures and outputs come from `bench/mapit/run_mapit.py`, which
//! imports MAPIT from a checkout outside this repository. When its JSON is
//! present this bench also prints:
//! - the exact comparisons (MUF, σMUF without the shared term, Σ, SITMUF,
//!   Page) on the true values and on one simulated measurement, each
//!   difference explained by recomputing MAPIT's documented quirk
//!   (accountancy.md §9) with our code;
//! - the simulated MUF distribution of both tools beside the analytic σ;
//! - the per-step ratio table, and MAPIT's covariance scaling.
//!
//! It always prints the evaluation of one sequence of 10,000 balances on the
//! structured O(n·k²) path (the dense 10,000 × 10,000 Σ is never formed).
//!
//! Run: see `bench/mapit/README.md`. The bench does nothing unless invoked
//! with `--bench` (so `cargo test --benches` stays quick), and only reports
//! when the dataset is missing. Environment: `CUSTODIAN_MAPIT_DATASET`
//! (default `target/mapit/dataset.json`), `CUSTODIAN_MAPIT_RESULTS` (default
//! `target/mapit/mapit_results.json`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::black_box;
use custodian_accountancy::evaluate::{
    evaluate, EvaluateOptions, EvaluationInput, Matrices, PageParameters,
};
use custodian_accountancy::rng::Xoshiro256PlusPlus;
use custodian_accountancy::sequential::{cholesky, page, sitmuf};
use custodian_accountancy::{
    BalanceSequence, Flow, Inventory, MufCovariance, PackedSymmetric, StructuredCholesky,
};
use serde::Deserialize;

/// Page's reference value k, as in MAPIT's default.
const PAGE_K: f64 = 0.5;
/// Monte-Carlo iteration counts of the issue.
const ITERATIONS: [usize; 2] = [100, 1_000];
/// Repetitions per iteration count (medians are taken over these).
const REPEATS_FAST: usize = 11;
const REPEATS_HOURLY: [usize; 2] = [5, 3];
/// Seed of repetition 0; repetition r uses `SEED + r`.
const SEED: u64 = 6;
/// Length of the long sequence.
const LONG_BALANCES: usize = 10_000;

// ---------------------------------------------------------------------------
// The dataset (written by bench/mapit/generate.py) and MAPIT's results
// (written by bench/mapit/run_mapit.py).

#[derive(Clone, Deserialize)]
struct Location {
    name: String,
    rsd_random: f64,
    rsd_systematic: f64,
    hourly: Vec<f64>,
}

#[derive(Clone, Deserialize)]
struct Dataset {
    unit: String,
    hours: usize,
    balance_period_hours: usize,
    seed: u64,
    inputs: Vec<Location>,
    outputs: Vec<Location>,
    inventories: Vec<Location>,
}

#[derive(Deserialize)]
struct MapitResults {
    mapit_commit: String,
    python: String,
    numpy: String,
    dataset_sha256: String,
    dataset_total_kg: f64,
    cases: MapitCases,
    page_isolated: Vec<PageCase>,
    timings: BTreeMap<String, MapitTiming>,
    simulation_statistics: BTreeMap<String, MapitStatistics>,
    #[serde(default)]
    scaling: Vec<ScalingPoint>,
}

#[derive(Deserialize)]
struct MapitCases {
    truth: MapitCase,
    measured: MapitCase,
}

#[derive(Deserialize)]
struct MapitCase {
    muf_blocks: Vec<f64>,
    sigma_muf_blocks: Vec<f64>,
    covariance: Vec<Vec<f64>>,
    sitmuf_blocks: Vec<f64>,
    page_blocks: Vec<f64>,
    #[serde(default)]
    hourly: Option<HourlyValues>,
    #[serde(default)]
    muf_blocks_float32_storage: Option<Vec<f64>>,
}

#[derive(Deserialize)]
struct HourlyValues {
    inputs: Vec<Vec<f64>>,
    inventories: Vec<Vec<f64>>,
    outputs: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
struct PageCase {
    input: Vec<f64>,
    mapit: Vec<f64>,
}

#[derive(Deserialize)]
struct MapitTiming {
    repeats: usize,
    median_seconds: BTreeMap<String, f64>,
}

#[derive(Deserialize)]
struct MapitStatistics {
    samples: usize,
    muf_mean_blocks: Vec<f64>,
    muf_variance_blocks: Vec<f64>,
}

#[derive(Deserialize)]
struct ScalingPoint {
    balances: usize,
    seconds: f64,
}

// ---------------------------------------------------------------------------
// Balances from hourly values.

impl Dataset {
    /// The same locations with other hourly values (a measurement of them).
    fn with_values(&self, values: &HourlyValues) -> Dataset {
        let replace = |locations: &[Location], hourly: &[Vec<f64>]| -> Vec<Location> {
            assert_eq!(locations.len(), hourly.len(), "location count");
            locations
                .iter()
                .zip(hourly)
                .map(|(l, h)| Location {
                    hourly: h.clone(),
                    ..l.clone()
                })
                .collect()
        };
        Dataset {
            inputs: replace(&self.inputs, &values.inputs),
            outputs: replace(&self.outputs, &values.outputs),
            inventories: replace(&self.inventories, &values.inventories),
            ..self.clone()
        }
    }

    /// Balances between consecutive hour marks: flows summed over the hours
    /// [mark_k, mark_{k+1}) (sample h is the flow during hour h), inventories
    /// read at the marks. With `opening_zero` the opening inventory is
    /// entered as 0 (MAPIT's first-balance σ, accountancy.md §9 item 4).
    fn windowed(&self, marks: &[usize], opening_zero: bool) -> BalanceSequence {
        let flows = |locations: &[Location]| -> Vec<Flow> {
            locations
                .iter()
                .map(|l| Flow {
                    name: l.name.clone(),
                    amounts: marks
                        .windows(2)
                        .map(|w| l.hourly[w[0]..w[1]].iter().sum())
                        .collect(),
                    rsd_random: l.rsd_random,
                    rsd_systematic: l.rsd_systematic,
                })
                .collect()
        };
        let inventories = self
            .inventories
            .iter()
            .map(|l| Inventory {
                name: l.name.clone(),
                values: marks
                    .iter()
                    .enumerate()
                    .map(|(k, &t)| {
                        if k == 0 && opening_zero {
                            0.0
                        } else {
                            l.hourly[t]
                        }
                    })
                    .collect(),
                rsd_random: l.rsd_random,
                rsd_systematic: l.rsd_systematic,
            })
            .collect();
        // The dataset is generated valid; a failure here is a generator bug.
        BalanceSequence::new(flows(&self.inputs), flows(&self.outputs), inventories)
            .expect("the dataset makes a valid balance sequence")
    }

    fn periods(&self) -> usize {
        self.hours / self.balance_period_hours
    }

    /// The sequence of the dataset's balances.
    fn balances(&self) -> BalanceSequence {
        let marks: Vec<usize> = (0..=self.periods())
            .map(|b| b * self.balance_period_hours)
            .collect();
        self.windowed(&marks, false)
    }

    /// Σ of every hourly value; exact in f64 (multiples of 2^-10 kg), so it
    /// must equal MAPIT's `math.fsum` bit for bit.
    fn total_kg(&self) -> f64 {
        [&self.inputs, &self.inventories, &self.outputs]
            .iter()
            .flat_map(|group| group.iter())
            .flat_map(|l| l.hourly.iter())
            .sum()
    }
}

// ---------------------------------------------------------------------------
// The measurement model in simulation: x̃ = x(1 + r + s) for every hourly
// sample (MAPIT `Preprocessing.SimErrors`, `ErrorTheory.md` [V]): r fresh per
// sample, s once per location per iteration.

/// Per location, what the statistics consume: period totals T_p = Σ_h x_h
/// and root sums of squares R_p = sqrt(Σ_h x_h²) of flows; inventories at the
/// balance boundaries.
struct Facility {
    periods: usize,
    period_hours: usize,
    inputs: Vec<FlowPeriods>,
    outputs: Vec<FlowPeriods>,
    inventories: Vec<InventoryBoundaries>,
}

struct FlowPeriods {
    location: Location,
    totals: Vec<f64>,
    root_sum_squares: Vec<f64>,
}

struct InventoryBoundaries {
    location: Location,
    boundaries: Vec<f64>,
}

impl Facility {
    fn new(dataset: &Dataset) -> Self {
        let periods = dataset.periods();
        let p = dataset.balance_period_hours;
        let flows = |locations: &[Location]| -> Vec<FlowPeriods> {
            locations
                .iter()
                .map(|l| FlowPeriods {
                    location: l.clone(),
                    totals: l
                        .hourly
                        .chunks(p)
                        .take(periods)
                        .map(|c| c.iter().sum())
                        .collect(),
                    root_sum_squares: l
                        .hourly
                        .chunks(p)
                        .take(periods)
                        .map(|c| c.iter().map(|x| x * x).sum::<f64>().sqrt())
                        .collect(),
                })
                .collect()
        };
        Facility {
            periods,
            period_hours: p,
            inputs: flows(&dataset.inputs),
            outputs: flows(&dataset.outputs),
            inventories: dataset
                .inventories
                .iter()
                .map(|l| InventoryBoundaries {
                    location: l.clone(),
                    boundaries: (0..=periods).map(|t| l.hourly[t * p]).collect(),
                })
                .collect(),
        }
    }

    /// One iteration, drawing only what the statistics consume. A period's
    /// measured flow total Σ_h x_h(1 + r_h + s) = T_p(1 + s) + Σ_h x_h r_h, and
    /// the last sum is exactly N(0, δ_R² Σ_h x_h²): one normal per location and
    /// period gives the same law as one per hourly sample. Inventories are
    /// only ever read at the boundaries, so only those are drawn. Draw order:
    /// inputs, outputs, inventories; per location its s, then each r.
    fn simulate_period_law(&self, rng: &mut Xoshiro256PlusPlus) -> Streams {
        let mut flows = |list: &[FlowPeriods]| -> Vec<Flow> {
            list.iter()
                .map(|f| {
                    let l = &f.location;
                    let s = l.rsd_systematic * rng.next_standard_normal();
                    let amounts = f
                        .totals
                        .iter()
                        .zip(&f.root_sum_squares)
                        .map(|(t, r)| t * (1.0 + s) + l.rsd_random * r * rng.next_standard_normal())
                        .collect();
                    flow_like(l, amounts)
                })
                .collect()
        };
        let inputs = flows(&self.inputs);
        let outputs = flows(&self.outputs);
        let inventories = self
            .inventories
            .iter()
            .map(|i| {
                let l = &i.location;
                let s = l.rsd_systematic * rng.next_standard_normal();
                let values = i
                    .boundaries
                    .iter()
                    .map(|c| c * (1.0 + l.rsd_random * rng.next_standard_normal() + s))
                    .collect();
                inventory_like(l, values)
            })
            .collect();
        (inputs, outputs, inventories)
    }

    /// One iteration the way MAPIT's `SimErrors` does it: every hourly sample
    /// of every location is measured (262,800 normals per iteration here);
    /// flows are then summed per period and inventories read at the
    /// boundaries.
    fn simulate_hourly(&self, rng: &mut Xoshiro256PlusPlus) -> Streams {
        let (periods, p) = (self.periods, self.period_hours);
        let mut flows = |list: &[FlowPeriods]| -> Vec<Flow> {
            list.iter()
                .map(|f| {
                    let l = &f.location;
                    let s = l.rsd_systematic * rng.next_standard_normal();
                    let amounts = l
                        .hourly
                        .chunks(p)
                        .take(periods)
                        .map(|chunk| {
                            chunk
                                .iter()
                                .map(|x| x * (1.0 + l.rsd_random * rng.next_standard_normal() + s))
                                .sum()
                        })
                        .collect();
                    flow_like(l, amounts)
                })
                .collect()
        };
        let inputs = flows(&self.inputs);
        let outputs = flows(&self.outputs);
        let inventories = self
            .inventories
            .iter()
            .map(|i| {
                let l = &i.location;
                let s = l.rsd_systematic * rng.next_standard_normal();
                let mut values = Vec::with_capacity(periods + 1);
                for (t, c) in l.hourly.iter().enumerate() {
                    let measured = c * (1.0 + l.rsd_random * rng.next_standard_normal() + s);
                    if t % p == 0 && t / p <= periods {
                        values.push(measured);
                    }
                }
                inventory_like(l, values)
            })
            .collect();
        (inputs, outputs, inventories)
    }
}

fn flow_like(l: &Location, amounts: Vec<f64>) -> Flow {
    Flow {
        name: l.name.clone(),
        amounts,
        rsd_random: l.rsd_random,
        rsd_systematic: l.rsd_systematic,
    }
}

fn inventory_like(l: &Location, values: Vec<f64>) -> Inventory {
    Inventory {
        name: l.name.clone(),
        values,
        rsd_random: l.rsd_random,
        rsd_systematic: l.rsd_systematic,
    }
}

/// A measured value can come out negative (a zero-mean error on a small
/// value); the crate accepts only non-negative amounts. The dataset's RSDs
/// keep every period total and inventory more than 8 σ from zero
/// (`generate.py`), so a failure here means the dataset was changed.
fn measured_sequence((inputs, outputs, inventories): Streams) -> BalanceSequence {
    BalanceSequence::new(inputs, outputs, inventories).expect("measured values are valid")
}

/// One simulated measurement: inputs, outputs, inventories.
type Streams = (Vec<Flow>, Vec<Flow>, Vec<Inventory>);

// ---------------------------------------------------------------------------
// The steps, each as one pass over all iterations.

#[derive(Clone, Copy, PartialEq)]
enum Simulation {
    PeriodLaw,
    Hourly,
}

#[derive(Clone, Copy, Default)]
struct StepTimes {
    simulation: Duration,
    muf: Duration,
    sigma_muf: Duration,
    covariance: Duration,
    sitmuf: Duration,
    page: Duration,
    /// Informational: the part of `simulation` spent in
    /// `BalanceSequence::new` (validating the measured values).
    validation: Duration,
    /// Informational: the dense packed Σ per iteration, which SITMUF does not use.
    covariance_dense: Duration,
    /// Informational: SITMUF by the dense path (packed Σ, Cholesky, forward
    /// substitution) instead of the structured one.
    sitmuf_dense: Duration,
}

impl StepTimes {
    fn total(&self) -> Duration {
        self.simulation + self.muf + self.sigma_muf + self.covariance + self.sitmuf + self.page
    }
}

/// One repetition: every step over `iterations` iterations. Returns the step
/// times and the simulated MUF sequences.
fn run_steps(
    facility: &Facility,
    iterations: usize,
    seed: u64,
    simulation: Simulation,
) -> (StepTimes, Vec<Vec<f64>>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut times = StepTimes::default();

    let start = Instant::now();
    let streams: Vec<Streams> = (0..iterations)
        .map(|_| match simulation {
            Simulation::PeriodLaw => facility.simulate_period_law(&mut rng),
            Simulation::Hourly => facility.simulate_hourly(&mut rng),
        })
        .collect();
    let draws = start.elapsed();
    let start = Instant::now();
    let sequences: Vec<BalanceSequence> = streams.into_iter().map(measured_sequence).collect();
    times.validation = start.elapsed();
    times.simulation = draws + times.validation;

    let start = Instant::now();
    let mufs: Vec<Vec<f64>> = sequences.iter().map(BalanceSequence::muf).collect();
    times.muf = start.elapsed();

    // MAPIT's SEMUF convention, the quantity its step computes.
    let start = Instant::now();
    let sigmas: Vec<Vec<f64>> = sequences
        .iter()
        .map(BalanceSequence::sigma_muf_without_shared_term)
        .collect();
    times.sigma_muf = start.elapsed();

    let start = Instant::now();
    let covariances: Vec<MufCovariance> =
        sequences.iter().map(BalanceSequence::covariance).collect();
    times.covariance = start.elapsed();

    let start = Instant::now();
    let sitmufs: Vec<Vec<f64>> = covariances
        .iter()
        .zip(&mufs)
        .map(|(c, m)| {
            // Σ of a measured sequence is positive definite here (every
            // inventory has a random error), so a failure is a bench bug.
            StructuredCholesky::new(c)
                .expect("Σ positive definite")
                .whiten(m)
        })
        .collect();
    times.sitmuf = start.elapsed();

    let start = Instant::now();
    let pages: Vec<Vec<f64>> = sitmufs.iter().map(|s| page(s, PAGE_K)).collect();
    times.page = start.elapsed();

    let start = Instant::now();
    let dense: Vec<PackedSymmetric> = covariances.iter().map(MufCovariance::to_packed).collect();
    times.covariance_dense = start.elapsed();

    let start = Instant::now();
    let sitmufs_dense: Vec<Vec<f64>> = dense
        .iter()
        .zip(&mufs)
        .map(|(d, m)| sitmuf(&cholesky(d).expect("Σ positive definite"), m))
        .collect();
    times.sitmuf_dense = start.elapsed();

    black_box((&sigmas, &pages, &sitmufs_dense));
    (times, mufs)
}

struct Measured {
    /// Per-step medians.
    median: StepTimes,
    /// Median of the per-repetition totals (end to end).
    total: Duration,
    muf_samples: Vec<Vec<f64>>,
}

fn measure(
    facility: &Facility,
    iterations: usize,
    repeats: usize,
    simulation: Simulation,
) -> Measured {
    // Warm-up (allocator, caches), not recorded.
    black_box(run_steps(
        facility,
        iterations.min(100),
        SEED + 1_000,
        simulation,
    ));
    let mut runs = Vec::with_capacity(repeats);
    let mut muf_samples = Vec::new();
    for r in 0..repeats {
        let (times, mufs) = run_steps(facility, iterations, SEED + r as u64, simulation);
        runs.push(times);
        muf_samples.extend(mufs);
    }
    let median_of = |f: &dyn Fn(&StepTimes) -> Duration| -> Duration {
        let mut v: Vec<Duration> = runs.iter().map(f).collect();
        v.sort();
        v[v.len() / 2]
    };
    let median = StepTimes {
        simulation: median_of(&|t| t.simulation),
        muf: median_of(&|t| t.muf),
        sigma_muf: median_of(&|t| t.sigma_muf),
        covariance: median_of(&|t| t.covariance),
        sitmuf: median_of(&|t| t.sitmuf),
        page: median_of(&|t| t.page),
        validation: median_of(&|t| t.validation),
        covariance_dense: median_of(&|t| t.covariance_dense),
        sitmuf_dense: median_of(&|t| t.sitmuf_dense),
    };
    Measured {
        median,
        total: median_of(&|t| t.total()),
        muf_samples,
    }
}

// ---------------------------------------------------------------------------
// MAPIT's quirks, recomputed with our code (accountancy.md §9).

/// The matrix MAPIT's `calcCovMat` actually computes (§9 item 1): row j (0-based)
/// stands for balance j + 1 but integrates flows and takes the opening
/// inventory over two periods, [(j−1)·MBP, (j+1)·MBP]; the column of an
/// off-diagonal entry is the proper balance c + 1; the first diagonal omits
/// the opening inventory. Each entry is the covariance our model assigns to
/// those two quantities, from a small balance sequence whose first balance
/// is MAPIT's window.
fn mapit_covariance_explained(data: &Dataset, size: usize) -> Vec<Vec<f64>> {
    let p = data.balance_period_hours;
    // Entry (j, c), j ≤ c.
    let entry = |j: usize, c: usize| -> f64 {
        let start = j.saturating_sub(1) * p;
        let window_end = (j + 1) * p;
        if c == j {
            let opening_zero = j == 0;
            data.windowed(&[start, window_end], opening_zero)
                .covariance()
                .get(0, 0)
        } else if c == j + 1 {
            data.windowed(&[start, window_end, (c + 1) * p], false)
                .covariance()
                .get(0, 1)
        } else {
            data.windowed(&[start, window_end, c * p, (c + 1) * p], false)
                .covariance()
                .get(0, 2)
        }
    };
    PackedSymmetric::from_fn(size, |i, j| entry(j, i)).to_rows()
}

/// Page's recursion with MAPIT's first step, `max(y_1, 0)` without −k (§9 item 3).
fn page_mapit_first_step(y: &[f64], k: f64) -> Vec<f64> {
    let mut previous = 0.0_f64;
    y.iter()
        .enumerate()
        .map(|(i, &v)| {
            previous = if i == 0 {
                v.max(0.0)
            } else {
                (previous + v - k).max(0.0)
            };
            previous
        })
        .collect()
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths");
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            if x == y {
                0.0
            } else {
                (x - y).abs() / y.abs().max(x.abs())
            }
        })
        .fold(0.0, f64::max)
}

/// max |A_ij − B_ij| / sqrt(B_ii B_jj), the correlation-scale difference.
fn matrix_diff(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    let n = b.len();
    let mut worst = 0.0_f64;
    for i in 0..n {
        for j in 0..n {
            let scale = (b[i][i] * b[j][j]).sqrt();
            worst = worst.max((a[i][j] - b[i][j]).abs() / scale);
        }
    }
    worst
}

fn seq(values: &[f64], decimals: usize) -> String {
    let items: Vec<String> = values.iter().map(|v| format!("{v:.decimals$}")).collect();
    format!("[{}]", items.join(", "))
}

fn compare_case(label: &str, data: &Dataset, case: &MapitCase) {
    let p = data.balance_period_hours;
    let ours = data.balances();
    let n_mapit = case.covariance.len() - 1; // non-trivial balances MAPIT computes
    println!(
        "\n## Exact comparison on the {label} values (MAPIT computes balances 1..={n_mapit} of {})",
        ours.periods()
    );

    // MUF: MAPIT block b is balance b (block 0 always empty).
    let muf = ours.muf();
    let mapit_muf = &case.muf_blocks[1..=n_mapit];
    let identical = mapit_muf
        .iter()
        .zip(&muf)
        .filter(|(a, b)| a.to_bits() == b.to_bits())
        .count();
    println!(
        "MUF: {identical} of {n_mapit} balances bit-identical, max |Δ| = {:.3e} kg; MAPIT block 0 = {}",
        max_abs_diff(mapit_muf, &muf[..n_mapit]),
        case.muf_blocks[0]
    );
    println!("  ours  {}", seq(&muf, 4));
    if let Some(f32_muf) = &case.muf_blocks_float32_storage {
        println!(
            "  MAPIT's own float32 storage of the same measurement moves its MUF by up to {:.4} kg",
            max_abs_diff(&f32_muf[1..=n_mapit], mapit_muf)
        );
    }

    // σMUF without the shared term (MAPIT SEMUF).
    let sigma = ours.sigma_muf_without_shared_term();
    let mapit_sigma = &case.sigma_muf_blocks[1..=n_mapit];
    println!(
        "σMUF without shared term, balances 2..={n_mapit}: max relative Δ = {:.2e}",
        max_rel_diff(&mapit_sigma[1..], &sigma[1..n_mapit])
    );
    let first = data.windowed(&[0, p], true).sigma_muf_without_shared_term()[0];
    println!(
        "  balance 1: MAPIT {:.6}, ours {:.6} (relative Δ {:.2e}); ours with the opening inventory left out: {:.6} (relative Δ {:.2e})",
        mapit_sigma[0],
        sigma[0],
        max_rel_diff(&mapit_sigma[..1], &sigma[..1]),
        first,
        max_rel_diff(&mapit_sigma[..1], &[first]),
    );
    let full = ours.sigma_muf();
    println!(
        "  for reference, our full σMUF (with the shared term) {}",
        seq(&full, 3)
    );

    // Σ.
    let sigma_ours = ours.covariance();
    let ours_rows: Vec<Vec<f64>> = (0..n_mapit)
        .map(|i| (0..n_mapit).map(|j| sigma_ours.get(i, j)).collect())
        .collect();
    let mapit_rows: Vec<Vec<f64>> = case.covariance[..n_mapit]
        .iter()
        .map(|r| r[..n_mapit].to_vec())
        .collect();
    let explained = mapit_covariance_explained(data, n_mapit);
    let diag = |m: &[Vec<f64>]| -> Vec<f64> { (0..n_mapit).map(|i| m[i][i]).collect() };
    println!(
        "Σ ({n_mapit}×{n_mapit}): MAPIT vs ours max |Δ|/sqrt(Σii Σjj) = {:.3}; diagonal ratio MAPIT/ours {}",
        matrix_diff(&mapit_rows, &ours_rows),
        seq(
            &diag(&mapit_rows)
                .iter()
                .zip(diag(&ours_rows))
                .map(|(a, b)| a / b)
                .collect::<Vec<_>>(),
            3
        )
    );
    println!(
        "  MAPIT vs our covariance of MAPIT's two-period windows (§9 item 1): max |Δ|/sqrt(Eii Ejj) = {:.2e}",
        matrix_diff(&mapit_rows, &explained)
    );

    // SITMUF.
    let factor = StructuredCholesky::new(&sigma_ours).expect("Σ positive definite");
    let sitmuf_ours = factor.whiten(&muf);
    let n_sitmuf = case.sitmuf_blocks.len();
    println!(
        "SITMUF, block b = MAPIT's transform of balance b (block 0 is its empty first block):"
    );
    println!("  MAPIT {}", seq(&case.sitmuf_blocks, 4));
    println!(
        "  ours  {} (balances 1..={})",
        seq(&sitmuf_ours, 4),
        ours.periods()
    );
    let mapit_sigma_packed = PackedSymmetric::from_fn(n_sitmuf, |i, j| case.covariance[i][j]);
    let replay = sitmuf(
        &cholesky(&mapit_sigma_packed).expect("MAPIT's Σ positive definite"),
        &case.muf_blocks[..n_sitmuf],
    );
    println!(
        "  our dense Cholesky + forward substitution on MAPIT's Σ and MAPIT's pairing (MUF blocks 0..{}, §9 item 2) reproduces MAPIT: max |Δ| = {:.2e}",
        n_sitmuf - 1,
        max_abs_diff(&replay, &case.sitmuf_blocks)
    );

    // Page.
    let page_ours = page(&sitmuf_ours, PAGE_K);
    println!("Page (k = {PAGE_K}):");
    println!("  MAPIT {}", seq(&case.page_blocks, 4));
    println!("  ours  {}", seq(&page_ours, 4));
    println!(
        "  Page with MAPIT's first step on MAPIT's SITMUF reproduces MAPIT: max |Δ| = {:.2e}; our Page on MAPIT's SITMUF blocks 1.. equals MAPIT's blocks 1.. (max |Δ| = {:.2e}) because its block 0 is always 0, which hides the first-step quirk",
        max_abs_diff(&page_mapit_first_step(&case.sitmuf_blocks, PAGE_K), &case.page_blocks),
        max_abs_diff(&page(&case.sitmuf_blocks[1..], PAGE_K), &case.page_blocks[1..]),
    );
}

// ---------------------------------------------------------------------------
// Reporting.

fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn human(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

fn ratio(mapit: f64, ours: f64) -> String {
    let r = mapit / ours;
    if r >= 100.0 {
        format!("{r:.0}×")
    } else {
        format!("{r:.1}×")
    }
}

fn step_rows(t: &StepTimes) -> [(&'static str, &'static str, f64); 6] {
    [
        ("error simulation", "simulation", seconds(t.simulation)),
        ("MUF", "muf", seconds(t.muf)),
        ("σMUF (SEMUF convention)", "sigma_muf", seconds(t.sigma_muf)),
        ("covariance Σ", "covariance", seconds(t.covariance)),
        ("SITMUF", "sitmuf", seconds(t.sitmuf)),
        ("Page", "page", seconds(t.page)),
    ]
}

fn statistics_table(
    data: &Dataset,
    facility: &Facility,
    law: &Measured,
    hourly: &Measured,
    mapit: Option<&MapitStatistics>,
) {
    let truth = data.balances();
    let n = truth.periods();
    let sigma_one_measurement = truth.covariance().diagonal();
    // The analytic variance of MAPIT's hourly model: each flow's random part
    // is δ_R² Σ_h x_h², not δ_R² (Σ_h x_h)² (accountancy.md §9 item 5).
    let hourly_variance: Vec<f64> = (0..n)
        .map(|b| {
            let mut v = sigma_one_measurement[b];
            for f in facility.inputs.iter().chain(&facility.outputs) {
                let r2 = f.location.rsd_random * f.location.rsd_random;
                v -= r2
                    * (f.totals[b] * f.totals[b] - f.root_sum_squares[b] * f.root_sum_squares[b]);
            }
            v
        })
        .collect();
    let moments = |samples: &[Vec<f64>], b: usize| -> (f64, f64) {
        let m = samples.len() as f64;
        let mean = samples.iter().map(|s| s[b]).sum::<f64>() / m;
        let var = samples.iter().map(|s| (s[b] - mean).powi(2)).sum::<f64>() / (m - 1.0);
        (mean, var.sqrt())
    };
    println!(
        "\n## Simulated MUF at 1,000 iterations: mean and standard deviation per balance (kg)\n\
         samples: ours {} (period law), {} (hourly draws){}",
        law.muf_samples.len(),
        hourly.muf_samples.len(),
        mapit
            .map(|m| format!(", MAPIT {}", m.samples))
            .unwrap_or_default()
    );
    println!("| balance | true MUF | mean: MAPIT / ours law / ours hourly | sd: MAPIT / ours law / ours hourly | analytic sd, hourly model | σMUF, period total as one measurement (ours) | SEMUF convention |");
    println!("|---|---|---|---|---|---|---|");
    let truth_muf = truth.muf();
    let semuf = truth.sigma_muf_without_shared_term();
    for b in 0..n {
        let (lm, ls) = moments(&law.muf_samples, b);
        let (hm, hs) = moments(&hourly.muf_samples, b);
        let (mm, ms) = match mapit {
            Some(m) if b + 1 < m.muf_mean_blocks.len() => (
                format!("{:.1}", m.muf_mean_blocks[b + 1]),
                format!("{:.1}", m.muf_variance_blocks[b + 1].sqrt()),
            ),
            _ => ("—".to_owned(), "—".to_owned()),
        };
        println!(
            "| {} | {:.1} | {mm} / {lm:.1} / {hm:.1} | {ms} / {ls:.1} / {hs:.1} | {:.1} | {:.1} | {:.1} |",
            b + 1,
            truth_muf[b],
            hourly_variance[b].sqrt(),
            sigma_one_measurement[b].sqrt(),
            semuf[b],
        );
    }
}

fn long_sequence(data: &Dataset) -> EvaluationInput {
    // The year's hourly values as one-hour balances, continued cyclically to
    // 10,000 balances (the wrap is one more jump in a measured inventory).
    let hours = data.hours;
    let flows = |locations: &[Location]| -> Vec<Flow> {
        locations
            .iter()
            .map(|l| flow_like(l, (0..LONG_BALANCES).map(|h| l.hourly[h % hours]).collect()))
            .collect()
    };
    EvaluationInput {
        unit: data.unit.clone(),
        inputs: flows(&data.inputs),
        outputs: flows(&data.outputs),
        inventories: data
            .inventories
            .iter()
            .map(|l| {
                inventory_like(
                    l,
                    (0..=LONG_BALANCES).map(|t| l.hourly[t % hours]).collect(),
                )
            })
            .collect(),
        page: PageParameters { k: PAGE_K, h: 10.0 },
        alpha: 0.05,
    }
}

fn median_duration(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// A path from the environment, or the default; relative paths are taken
/// from the workspace root (cargo runs benches in the crate directory).
fn path_from_env(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    if path.is_absolute() {
        path
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path)
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dataset_path = path_from_env("CUSTODIAN_MAPIT_DATASET", "target/mapit/dataset.json");
    let results_path = path_from_env("CUSTODIAN_MAPIT_RESULTS", "target/mapit/mapit_results.json");
    let text = match std::fs::read_to_string(&dataset_path) {
        Ok(text) => text,
        Err(error) => {
            println!(
                "mapit_peer: no dataset at {} ({error}); write it with `python3 bench/mapit/generate.py` \
                 (see bench/mapit/README.md). Nothing measured.",
                dataset_path.display()
            );
            return;
        }
    };
    let data: Dataset = match serde_json::from_str(&text) {
        Ok(data) => data,
        Err(error) => {
            println!("mapit_peer: {}: {error}", dataset_path.display());
            std::process::exit(1);
        }
    };
    let mapit: Option<MapitResults> = match std::fs::read_to_string(&results_path) {
        Ok(text) => match serde_json::from_str(&text) {
            Ok(r) => Some(r),
            Err(error) => {
                println!("mapit_peer: {}: {error}", results_path.display());
                std::process::exit(1);
            }
        },
        Err(_) => {
            println!(
                "mapit_peer: no MAPIT results at {}; printing Custodian's figures only",
                results_path.display()
            );
            None
        }
    };

    let facility = Facility::new(&data);
    let streams = data.inputs.len() + data.outputs.len() + data.inventories.len();
    println!(
        "# Custodian beside MAPIT\ndataset {}: {} inputs, {} inventories, {} outputs ({streams} locations), {} hours, {} balances of {} h, generator seed {}; total {} kg",
        dataset_path.display(),
        data.inputs.len(),
        data.inventories.len(),
        data.outputs.len(),
        data.hours,
        facility.periods,
        data.balance_period_hours,
        data.seed,
        data.total_kg(),
    );
    if let Some(m) = &mapit {
        let same = m.dataset_total_kg.to_bits() == data.total_kg().to_bits();
        println!(
            "MAPIT {} (Python {}, numpy {}), dataset sha256 {}; same dataset: {}",
            m.mapit_commit,
            m.python,
            m.numpy,
            m.dataset_sha256,
            if same {
                "yes (totals equal to the bit)"
            } else {
                "NO"
            }
        );
        if !same {
            println!("mapit_peer: MAPIT ran on another dataset; regenerate and rerun run_mapit.py");
            std::process::exit(1);
        }
        compare_case("true", &data, &m.cases.truth);
        match &m.cases.measured.hourly {
            Some(values) => compare_case(
                "simulated-measurement (one MAPIT SimErrors draw)",
                &data.with_values(values),
                &m.cases.measured,
            ),
            None => println!("(no measured case in MAPIT's results)"),
        }
        println!("\n## Page's test in isolation (k = {PAGE_K})");
        for case in &m.page_isolated {
            let ours = page(&case.input, PAGE_K);
            println!(
                "  input {}\n    MAPIT {}\n    ours  {}\n    MAPIT's first step recomputed: max |Δ| to MAPIT = {:.1e}",
                seq(&case.input, 4),
                seq(&case.mapit, 4),
                seq(&ours, 4),
                max_abs_diff(&page_mapit_first_step(&case.input, PAGE_K), &case.mapit),
            );
        }
    }

    // Timing.
    let mut law = Vec::new();
    let mut hourly = Vec::new();
    for (index, &iterations) in ITERATIONS.iter().enumerate() {
        law.push(measure(
            &facility,
            iterations,
            REPEATS_FAST,
            Simulation::PeriodLaw,
        ));
        hourly.push(measure(
            &facility,
            iterations,
            REPEATS_HOURLY[index],
            Simulation::Hourly,
        ));
    }

    let mapit_stats = mapit
        .as_ref()
        .and_then(|m| m.simulation_statistics.get("1000"));
    statistics_table(&data, &facility, &law[1], &hourly[1], mapit_stats);

    println!(
        "\n## Per-step medians, single-threaded ({} balances; MAPIT computes {} of them)",
        facility.periods,
        facility.periods - 1
    );
    println!(
        "Custodian: {REPEATS_FAST} repetitions (period-law simulation), {:?} (hourly draws); seeds {SEED}..",
        REPEATS_HOURLY
    );
    if let Some(m) = &mapit {
        let reps: Vec<String> = m
            .timings
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.repeats))
            .collect();
        println!("MAPIT repetitions: {}", reps.join(", "));
    }
    println!("| step | iterations | MAPIT | Custodian | ratio |");
    println!("|---|---|---|---|---|");
    for (index, &iterations) in ITERATIONS.iter().enumerate() {
        let mapit_steps = mapit
            .as_ref()
            .and_then(|m| m.timings.get(&iterations.to_string()))
            .map(|t| &t.median_seconds);
        let cell = |key: &str| mapit_steps.and_then(|s| s.get(key)).copied();
        let row = |label: &str, key: Option<&str>, ours: f64| {
            let theirs = key.and_then(cell);
            println!(
                "| {label} | {iterations} | {} | {} | {} |",
                theirs.map(human).unwrap_or_else(|| "—".to_owned()),
                human(ours),
                theirs
                    .map(|t| ratio(t, ours))
                    .unwrap_or_else(|| "—".to_owned()),
            );
        };
        let t = &law[index].median;
        for (label, key, ours) in step_rows(t) {
            row(label, Some(key), ours);
        }
        let h = &hourly[index].median;
        row(
            "error simulation, one draw per hourly sample (MAPIT's draw count)",
            Some("simulation"),
            seconds(h.simulation),
        );
        row(
            "(of our error simulation: `BalanceSequence::new` validating the measured values)",
            None,
            seconds(t.validation),
        );
        row(
            "covariance as a dense packed Σ (informational; our SITMUF does not use it)",
            Some("covariance"),
            seconds(t.covariance_dense),
        );
        row(
            "SITMUF by the dense path: packed Σ + Cholesky + substitution (informational)",
            Some("sitmuf"),
            seconds(t.covariance_dense + t.sitmuf_dense),
        );
        row("**end to end**", Some("total"), seconds(law[index].total));
        row(
            "end to end, one draw per hourly sample",
            Some("total"),
            seconds(hourly[index].total),
        );
    }

    // 10,000 balances.
    let long = long_sequence(&data);
    let options = EvaluateOptions {
        matrices: Matrices::Omit,
    };
    let evaluation = evaluate(&long, &options).expect("valid long sequence");
    assert_eq!(evaluation.sitmuf.len(), LONG_BALANCES);
    assert!(evaluation.sitmuf.iter().all(|x| x.is_finite()));
    let whole = median_duration(11, || {
        black_box(evaluate(black_box(&long), &options).expect("valid"));
    });
    let sequence = BalanceSequence::new(
        long.inputs.clone(),
        long.outputs.clone(),
        long.inventories.clone(),
    )
    .expect("valid");
    let muf = sequence.muf();
    let structured = median_duration(11, || {
        let covariance = sequence.covariance();
        black_box(
            StructuredCholesky::new(&covariance)
                .expect("positive definite")
                .whiten(&muf),
        );
    });
    let k = sequence.covariance().systematic_rank();
    println!(
        "\n## One sequence of {LONG_BALANCES} balances ({streams} locations, k = {k} systematic factors), single-threaded, median of 11\n\
         full evaluation (MUF, both σMUF, CUMUF and its variance, SITMUF, Page, GEMUF-V1; no n×n matrices): {}\n\
         of which Σ in structured form + its Cholesky factor + SITMUF: {}\n\
         the dense Σ is never formed: it would hold {:.0} MB even packed, and its Cholesky factorisation needs ~{:.1e} multiply-adds",
        human(seconds(whole)),
        human(seconds(structured)),
        (LONG_BALANCES * (LONG_BALANCES + 1) / 2 * 8) as f64 / 1e6,
        (LONG_BALANCES as f64).powi(3) / 6.0,
    );
    if let Some(m) = &mapit {
        if let (Some(first), Some(last)) = (m.scaling.first(), m.scaling.last()) {
            let exponent = (last.seconds / first.seconds).ln()
                / (last.balances as f64 / first.balances as f64).ln();
            let extrapolated = last.seconds * (LONG_BALANCES as f64 / last.balances as f64).powi(2);
            let points: Vec<String> = m
                .scaling
                .iter()
                .map(|s| format!("{} balances {}", s.balances, human(s.seconds)))
                .collect();
            println!(
                "MAPIT calcCovMat, one iteration: {}; growth exponent {exponent:.2}; \
                 extrapolated as n² to {LONG_BALANCES} balances: ~{:.1} h per iteration, and an {LONG_BALANCES}×{LONG_BALANCES} float64 matrix of {:.0} MB per iteration",
                points.join(", "),
                extrapolated / 3600.0,
                (LONG_BALANCES * LONG_BALANCES * 8) as f64 / 1e6,
            );
        }
    }
}
