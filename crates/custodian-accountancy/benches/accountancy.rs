//! Accountancy benchmarks: the JSON-free evaluation of a year of 15 balances
//! (with the n×n matrices) and of 10,000 balances (structured path, no
//! matrices); SITMUF on the structured path beside the dense Cholesky path
//! it replaces (the peer measured in the same run, with the ratio printed);
//! the exact Page threshold; and 10⁵ Monte-Carlo runs.
//!
//! Run: `cargo bench -p custodian-accountancy --bench accountancy`. After
//! criterion's report the bench prints medians it measured itself.

use std::time::{Duration, Instant};

use criterion::{black_box, Criterion};
use custodian_accountancy::evaluate::{
    evaluate, EvaluateOptions, EvaluationInput, Matrices, PageParameters,
};
use custodian_accountancy::sequential::{cholesky, sitmuf};
use custodian_accountancy::thresholds::{page_threshold, page_threshold_monte_carlo, MonteCarlo};
use custodian_accountancy::{BalanceSequence, Flow, Inventory, StructuredCholesky};

fn stream(name: &str, amounts: Vec<f64>, rsd_random: f64, rsd_systematic: f64) -> Flow {
    Flow {
        name: name.to_owned(),
        amounts,
        rsd_random,
        rsd_systematic,
    }
}

/// A process of n balances with two inputs, two outputs and two inventories
/// (six measurement systems, all with systematic errors: k = 6).
fn input(periods: usize) -> EvaluationInput {
    let wave = |base: f64, amplitude: f64, phase: f64| -> Vec<f64> {
        (0..periods)
            .map(|t| base + amplitude * (t as f64 * 0.37 + phase).sin())
            .collect()
    };
    let stock = |base: f64, phase: f64| Inventory {
        name: format!("stock {phase}"),
        values: (0..=periods)
            .map(|t| base + 40.0 * (t as f64 * 0.21 + phase).cos())
            .collect(),
        rsd_random: 0.01,
        rsd_systematic: 0.005,
    };
    EvaluationInput {
        unit: "kg U".to_owned(),
        inputs: vec![
            stream("feed", wave(1000.0, 50.0, 0.0), 0.003, 0.002),
            stream("scrap", wave(40.0, 5.0, 0.5), 0.05, 0.02),
        ],
        outputs: vec![
            stream("product", wave(990.0, 45.0, 1.0), 0.003, 0.002),
            stream("waste", wave(30.0, 5.0, 2.0), 0.1, 0.05),
        ],
        inventories: vec![stock(500.0, 0.3), stock(2000.0, 1.3)],
        page: PageParameters { k: 0.5, h: 5.0 },
        alpha: 0.05,
    }
}

fn sequence(periods: usize) -> BalanceSequence {
    let i = input(periods);
    BalanceSequence::new(i.inputs, i.outputs, i.inventories).expect("valid")
}

fn median_of(runs: usize, mut f: impl FnMut()) -> Duration {
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

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();

    let year = input(15);
    let long = input(10_000);
    let with_matrices = EvaluateOptions {
        matrices: Matrices::Include,
    };
    let without = EvaluateOptions {
        matrices: Matrices::Omit,
    };
    criterion.bench_function("evaluate_15_balances_with_matrices", |b| {
        b.iter(|| evaluate(black_box(&year), &with_matrices).expect("valid"))
    });
    criterion.bench_function("evaluate_10000_balances_structured", |b| {
        b.iter(|| evaluate(black_box(&long), &without).expect("valid"))
    });

    let n = 1000;
    let medium = sequence(n);
    let muf = medium.muf();
    let covariance = medium.covariance();
    criterion.bench_function("sitmuf_1000_structured", |b| {
        b.iter(|| {
            StructuredCholesky::new(black_box(&covariance))
                .expect("pd")
                .whiten(&muf)
        })
    });
    criterion.bench_function("sitmuf_1000_dense_cholesky", |b| {
        b.iter(|| sitmuf(&cholesky(&covariance.to_packed()).expect("pd"), &muf))
    });
    criterion.bench_function("page_threshold_exact_n12", |b| {
        b.iter(|| page_threshold(black_box(12), 0.5, 0.05).expect("threshold"))
    });
    criterion.final_summary();

    // Own medians, and the ratio of the dense peer to the structured path.
    let year_time = median_of(31, || {
        black_box(evaluate(&year, &with_matrices).expect("valid"));
    });
    let long_time = median_of(11, || {
        black_box(evaluate(&long, &without).expect("valid"));
    });
    let structured = median_of(11, || {
        black_box(
            StructuredCholesky::new(&covariance)
                .expect("pd")
                .whiten(&muf),
        );
    });
    let dense = median_of(5, || {
        black_box(sitmuf(
            &cholesky(&covariance.to_packed()).expect("pd"),
            &muf,
        ));
    });
    let monte_carlo = median_of(3, || {
        let settings = MonteCarlo {
            runs: 100_000,
            seed: 11,
            threads: 2,
        };
        black_box(page_threshold_monte_carlo(12, 0.5, 0.05, &settings, |_, _| {}).expect("h"));
    });
    println!("accountancy: evaluate 15 balances with Σ and L, median of 31: {year_time:?}");
    println!("accountancy: evaluate 10,000 balances (k = 6, structured, no matrices), median of 11: {long_time:?}");
    println!(
        "accountancy: SITMUF n = {n}: structured {structured:?}, dense Cholesky {dense:?}; ratio {:.0}x",
        dense.as_secs_f64() / structured.as_secs_f64()
    );
    println!("accountancy: Monte-Carlo Page threshold, 10^5 runs of 12, 2 threads, median of 3: {monte_carlo:?}");
}
