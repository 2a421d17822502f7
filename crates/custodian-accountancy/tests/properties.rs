//! Property tests (accountancy.md §11) against an independent dense
//! implementation written here from the §2 rule: the measurement vector m,
//! the balance matrix A (n × M) and the measurement covariance V (M × M),
//! Σ = A V Aᵀ by explicit triple loops. The library never builds A or V.

mod common;

use common::{flow, inventory};
use custodian_accountancy::balance::{closed_form_covariance, closed_form_variance};
use custodian_accountancy::error::AccountancyError;
use custodian_accountancy::normal;
use custodian_accountancy::sequential::{
    cholesky, gemuf_v1, gemuf_v1_direct, page, sitmuf, sitmuf_conditional,
};
use custodian_accountancy::thresholds::page_threshold;
use custodian_accountancy::{BalanceSequence, Flow, Inventory, StructuredCholesky};
use proptest::prelude::*;

/// One measured value: its true value, its location, and how it enters
/// each balance.
struct Measurement {
    value: f64,
    location: usize,
    rsd_random: f64,
    rsd_systematic: f64,
    /// (balance, coefficient) pairs: the nonzero entries of its column of A.
    entries: Vec<(usize, f64)>,
}

/// Σ = A V Aᵀ from the §2 rule: cov(x̃_a, x̃_b) = x_a x_b (δ_S² [same
/// location, one calibration] + δ_R² [a is b]). A flow enters its own
/// balance with +1 (input) or −1 (output); C_{l,t} enters balance t with −1
/// and balance t+1 with +1 (1-based balances; 0-based here: t−1 and t).
fn dense_reference(sequence: &BalanceSequence) -> Vec<Vec<f64>> {
    let n = sequence.periods();
    let mut measurements = Vec::new();
    let mut location = 0;
    for (sign, flows) in [(1.0, sequence.inputs()), (-1.0, sequence.outputs())] {
        for f in flows {
            for (b, &x) in f.amounts.iter().enumerate() {
                measurements.push(Measurement {
                    value: x,
                    location,
                    rsd_random: f.rsd_random,
                    rsd_systematic: f.rsd_systematic,
                    entries: vec![(b, sign)],
                });
            }
            location += 1;
        }
    }
    for c in sequence.inventories() {
        for (t, &x) in c.values.iter().enumerate() {
            let mut entries = Vec::new();
            if t >= 1 {
                entries.push((t - 1, -1.0));
            }
            if t < n {
                entries.push((t, 1.0));
            }
            measurements.push(Measurement {
                value: x,
                location,
                rsd_random: c.rsd_random,
                rsd_systematic: c.rsd_systematic,
                entries,
            });
        }
        location += 1;
    }
    let count = measurements.len();
    let mut a = vec![vec![0.0; count]; n];
    for (col, m) in measurements.iter().enumerate() {
        for &(b, coefficient) in &m.entries {
            a[b][col] = coefficient;
        }
    }
    let mut v = vec![vec![0.0; count]; count];
    for (i, mi) in measurements.iter().enumerate() {
        for (j, mj) in measurements.iter().enumerate() {
            let mut c = 0.0;
            if mi.location == mj.location {
                c += mi.rsd_systematic * mi.rsd_systematic;
            }
            if i == j {
                c += mi.rsd_random * mi.rsd_random;
            }
            v[i][j] = mi.value * mj.value * c;
        }
    }
    // Σ = A V Aᵀ.
    let mut av = vec![vec![0.0; count]; n];
    for r in 0..n {
        for c in 0..count {
            av[r][c] = (0..count).map(|k| a[r][k] * v[k][c]).sum();
        }
    }
    (0..n)
        .map(|r| {
            (0..n)
                .map(|c| (0..count).map(|k| av[r][k] * a[c][k]).sum())
                .collect()
        })
        .collect()
}

/// Variance of the single balance from t₀ to t_i, directly (§3): flows
/// Σ_t F_t² δ_R² + (Σ_t F_t)² δ_S²; inventories C_0, C_i with the shared
/// systematic term.
fn long_balance_variance(sequence: &BalanceSequence, i: usize) -> f64 {
    let mut variance = 0.0;
    for f in sequence.inputs().iter().chain(sequence.outputs()) {
        let total: f64 = f.amounts[..=i].iter().sum();
        let squares: f64 = f.amounts[..=i].iter().map(|x| x * x).sum();
        variance += squares * f.rsd_random.powi(2) + total * total * f.rsd_systematic.powi(2);
    }
    for c in sequence.inventories() {
        let (c0, ci) = (c.values[0], c.values[i + 1]);
        let total = c.rsd_random.powi(2) + c.rsd_systematic.powi(2);
        variance += (c0 * c0 + ci * ci) * total - 2.0 * c0 * ci * c.rsd_systematic.powi(2);
    }
    variance
}

fn assert_matrix_close(actual: impl Fn(usize, usize) -> f64, expected: &[Vec<f64>], what: &str) {
    let scale = expected
        .iter()
        .flatten()
        .fold(0.0_f64, |m, x| m.max(x.abs()))
        .max(1e-300);
    for (i, row) in expected.iter().enumerate() {
        for (j, &e) in row.iter().enumerate() {
            let a = actual(i, j);
            assert!(
                (a - e).abs() <= 1e-9 * scale,
                "{what}[{i}][{j}]: expected {e}, got {a} (scale {scale})"
            );
        }
    }
}

fn assert_vector_close(actual: &[f64], expected: &[f64], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what} length");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= 1e-9 * e.abs().max(1.0),
            "{what}[{i}]: expected {e}, got {a}"
        );
    }
}

/// A random sequence whose Σ is positive definite: every value > 0 and every
/// random RSD > 0 on inventories, so the tridiagonal random part is
/// positive definite by itself.
fn sequence_strategy(max_periods: usize) -> impl Strategy<Value = BalanceSequence> {
    (1..=max_periods, 0..3_usize, 0..3_usize, 1..3_usize).prop_flat_map(
        |(n, inputs, outputs, inventories)| {
            let rsd = || (0.0005..0.05_f64, prop_oneof![Just(0.0), 0.0001..0.02_f64]);
            let flows = move |count| {
                proptest::collection::vec(
                    (proptest::collection::vec(0.0..2000.0_f64, n), rsd()),
                    count,
                )
            };
            let stocks = proptest::collection::vec(
                (proptest::collection::vec(1.0..5000.0_f64, n + 1), rsd()),
                inventories,
            );
            (flows(inputs), flows(outputs), stocks).prop_map(|(i, o, c)| {
                let to_flows = |list: Vec<(Vec<f64>, (f64, f64))>, prefix: &str| -> Vec<Flow> {
                    list.into_iter()
                        .enumerate()
                        .map(|(k, (a, (r, s)))| flow(&format!("{prefix}{k}"), &a, r, s))
                        .collect()
                };
                let stocks: Vec<Inventory> = c
                    .into_iter()
                    .enumerate()
                    .map(|(k, (v, (r, s)))| inventory(&format!("c{k}"), &v, r, s))
                    .collect();
                BalanceSequence::new(to_flows(i, "in"), to_flows(o, "out"), stocks)
                    .expect("generated sequences are valid")
            })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A V Aᵀ equals the structured Σ, its packed form and the closed forms
    /// of §3; Σ is symmetric.
    #[test]
    fn covariance_matches_the_dense_reference(sequence in sequence_strategy(10)) {
        let expected = dense_reference(&sequence);
        let covariance = sequence.covariance();
        assert_matrix_close(|i, j| covariance.get(i, j), &expected, "structured Σ");
        let packed = covariance.to_packed();
        assert_matrix_close(|i, j| packed.get(i, j), &expected, "packed Σ");
        assert_matrix_close(|i, j| closed_form_covariance(&sequence, i, j), &expected, "closed-form Σ");
        for (i, row) in expected.iter().enumerate() {
            prop_assert!((closed_form_variance(&sequence, i) - row[i]).abs() <= 1e-9 * row[i].abs().max(1.0));
            for j in 0..i {
                prop_assert_eq!(covariance.get(i, j), covariance.get(j, i));
            }
        }
    }

    /// Dense Cholesky = structured Cholesky; SITMUF by dense forward
    /// substitution = structured = conditional form; GEMUF-V1 =
    /// cumsum(SITMUF²) = its definition; var(CUMUF) = leading block sums =
    /// the single long balance.
    #[test]
    fn sequential_paths_agree(sequence in sequence_strategy(9)) {
        let n = sequence.periods();
        let muf = sequence.muf();
        let covariance = sequence.covariance();
        let packed = covariance.to_packed();
        let dense = cholesky(&packed).expect("positive definite by construction");
        let structured = StructuredCholesky::new(&covariance).expect("positive definite");
        let scale = (0..n).map(|i| packed.get(i, i)).fold(0.0_f64, f64::max).sqrt();
        for i in 0..n {
            for j in 0..=i {
                prop_assert!(
                    (dense.get(i, j) - structured.element(i, j)).abs() <= 1e-9 * scale,
                    "L[{}][{}]: dense {} structured {}", i, j, dense.get(i, j), structured.element(i, j)
                );
            }
        }
        prop_assert_eq!(structured.to_packed().packed().len(), n * (n + 1) / 2);
        let fast = structured.whiten(&muf);
        let slow = sitmuf(&dense, &muf);
        let conditional = sitmuf_conditional(&packed, &muf).expect("positive definite");
        assert_vector_close(&fast, &slow, "structured SITMUF");
        assert_vector_close(&conditional, &slow, "conditional SITMUF");
        assert_vector_close(&gemuf_v1(&fast), &gemuf_v1_direct(&packed, &muf), "GEMUF-V1");
        // Conditional variances are the squared pivots.
        let pivots: Vec<f64> = (0..n).map(|i| dense.get(i, i).powi(2)).collect();
        assert_vector_close(&structured.conditional_variance(), &pivots, "var(itmuf)");

        let cumuf_variance = sequence.cumuf_variance();
        assert_vector_close(&cumuf_variance, &packed.leading_block_sums(), "var(CUMUF)");
        let long: Vec<f64> = (0..n).map(|i| long_balance_variance(&sequence, i)).collect();
        assert_vector_close(&cumuf_variance, &long, "single long balance");
    }

    /// Forward-only: SITMUF of the first i balances does not change when
    /// later balances are added.
    #[test]
    fn sitmuf_is_forward_only(sequence in sequence_strategy(8)) {
        let n = sequence.periods();
        let muf = sequence.muf();
        let full = StructuredCholesky::new(&sequence.covariance()).expect("pd").whiten(&muf);
        for i in 1..=n {
            let packed = sequence.covariance().to_packed();
            let block = custodian_accountancy::PackedSymmetric::from_fn(i, |r, c| packed.get(r, c));
            let partial = sitmuf(&cholesky(&block).expect("pd"), &muf[..i]);
            assert_vector_close(&partial, &full[..i], "leading SITMUF");
        }
    }

    /// Page's statistic: P_i = max(P_{i−1} + y_i − k, 0) with P_0 = 0.
    #[test]
    fn page_recursion(y in proptest::collection::vec(-3.0..3.0_f64, 0..30), k in 0.0..1.5_f64) {
        let p = page(&y, k);
        let mut previous = 0.0_f64;
        for (i, &value) in y.iter().enumerate() {
            let expected = (previous + value - k).max(0.0);
            prop_assert_eq!(p[i], expected);
            prop_assert!(p[i] >= 0.0);
            previous = expected;
        }
    }

    /// n = 1: the exact Page threshold is z_{1−α} − k.
    #[test]
    fn page_threshold_single_balance(alpha in 0.001..0.2_f64, k in 0.0..1.0_f64) {
        // A threshold h ≥ 0 exists only while α < P(y > k) = Q(k).
        if alpha < normal::upper_tail(k) {
            let h = page_threshold(1, k, alpha).expect("threshold");
            let expected = normal::upper_critical_value(alpha) - k;
            prop_assert!((h - expected).abs() <= 1e-9, "h {} expected {}", h, expected);
        } else {
            let error = page_threshold(1, k, alpha).expect_err("no threshold");
            prop_assert_eq!(error.field(), Some("alpha"));
        }
    }
}

/// §10(b)-style MAPIT check (§9 item 3): Page on y = [1.0, 0.2, 1.5, −0.3,
/// 0.9] with k = 0.5 is [0.5, 0.2, 1.2, 0.4, 0.8], not MAPIT's
/// [1.0, 0.7, 1.7, 0.9, 1.3].
#[test]
fn page_first_step_subtracts_k() {
    let p = page(&[1.0, 0.2, 1.5, -0.3, 0.9], 0.5);
    for (a, e) in p.iter().zip([0.5, 0.2, 1.2, 0.4, 0.8]) {
        assert!((a - e).abs() < 1e-15, "{p:?}");
    }
}

/// A long sequence: the structured path against the dense one at n = 400
/// with five streams.
#[test]
fn structured_path_matches_dense_on_a_long_sequence() {
    let n = 400;
    let wave = |base: f64, amplitude: f64, phase: f64| -> Vec<f64> {
        (0..n)
            .map(|t| base + amplitude * ((t as f64) * 0.37 + phase).sin())
            .collect()
    };
    let stock = |base: f64, phase: f64| -> Vec<f64> {
        (0..=n)
            .map(|t| base + 40.0 * ((t as f64) * 0.21 + phase).cos())
            .collect()
    };
    let sequence = BalanceSequence::new(
        vec![flow("feed", &wave(1000.0, 50.0, 0.0), 0.003, 0.002)],
        vec![
            flow("product", &wave(950.0, 45.0, 1.0), 0.003, 0.002),
            flow("waste", &wave(30.0, 5.0, 2.0), 0.1, 0.05),
        ],
        vec![
            inventory("process", &stock(500.0, 0.3), 0.01, 0.005),
            inventory("store", &stock(2000.0, 1.3), 0.002, 0.001),
        ],
    )
    .expect("valid");
    let muf = sequence.muf();
    let covariance = sequence.covariance();
    let dense = cholesky(&covariance.to_packed()).expect("pd");
    let structured = StructuredCholesky::new(&covariance).expect("pd");
    let scale = covariance
        .diagonal()
        .into_iter()
        .fold(0.0_f64, f64::max)
        .sqrt();
    for i in (0..n).step_by(7) {
        for j in (0..=i).step_by(5) {
            assert!(
                (dense.get(i, j) - structured.element(i, j)).abs() <= 1e-9 * scale,
                "L[{i}][{j}]"
            );
        }
    }
    assert_vector_close(
        &structured.whiten(&muf),
        &sitmuf(&dense, &muf),
        "SITMUF n = 400",
    );
}

/// Σ not positive definite is an error naming the balance, in both paths;
/// never repaired.
#[test]
fn not_positive_definite_is_an_error() {
    // Every RSD zero: balance 1 has no variance at all.
    let zero = BalanceSequence::new(
        vec![flow("in", &[10.0, 10.0], 0.0, 0.0)],
        vec![],
        vec![inventory("c", &[5.0, 5.0, 5.0], 0.0, 0.0)],
    )
    .expect("valid");
    let covariance = zero.covariance();
    let expect_balance = |result: AccountancyError, balance: usize| match result {
        AccountancyError::NotPositiveDefinite { balance: b, .. } => assert_eq!(b, balance),
        other => panic!("expected NotPositiveDefinite, got {other}"),
    };
    expect_balance(cholesky(&covariance.to_packed()).expect_err("not pd"), 1);
    expect_balance(StructuredCholesky::new(&covariance).expect_err("not pd"), 1);

    // Only a systematic error on one input: Σ = s sᵀ has rank one, so
    // balance 2 is determined by balance 1.
    let rank_one = BalanceSequence::new(vec![flow("in", &[10.0, 20.0], 0.0, 0.01)], vec![], vec![])
        .expect("valid");
    let covariance = rank_one.covariance();
    expect_balance(cholesky(&covariance.to_packed()).expect_err("not pd"), 2);
    expect_balance(StructuredCholesky::new(&covariance).expect_err("not pd"), 2);
    let message = StructuredCholesky::new(&covariance)
        .expect_err("not pd")
        .to_string();
    assert!(message.starts_with("balance 2: "), "{message}");
}

/// At the scale (10,000 balances, six streams with systematic
/// errors) the dense factor is out of reach in a test, so the structured
/// factor is checked against its definition: (L Lᵀ)_ij = Σ_ij for entries
/// spread over the whole matrix, each an O(n·k) sum over the generators.
#[test]
fn structured_factor_reproduces_sigma_at_ten_thousand_balances() {
    let n = 10_000;
    let wave = |base: f64, amplitude: f64, phase: f64| -> Vec<f64> {
        (0..n)
            .map(|t| base + amplitude * ((t as f64) * 0.37 + phase).sin())
            .collect()
    };
    let stock = |base: f64, phase: f64| -> Vec<f64> {
        (0..=n)
            .map(|t| base + 40.0 * ((t as f64) * 0.21 + phase).cos())
            .collect()
    };
    let sequence = BalanceSequence::new(
        vec![
            flow("feed", &wave(1000.0, 50.0, 0.0), 0.003, 0.002),
            flow("scrap", &wave(40.0, 5.0, 0.5), 0.05, 0.02),
        ],
        vec![
            flow("product", &wave(990.0, 45.0, 1.0), 0.003, 0.002),
            flow("waste", &wave(30.0, 5.0, 2.0), 0.1, 0.05),
        ],
        vec![
            inventory("process", &stock(500.0, 0.3), 0.01, 0.005),
            inventory("store", &stock(2000.0, 1.3), 0.002, 0.001),
        ],
    )
    .expect("valid");
    let covariance = sequence.covariance();
    assert_eq!(covariance.systematic_rank(), 6);
    let factor = StructuredCholesky::new(&covariance).expect("pd");
    let pairs = [
        (0, 0),
        (1, 0),
        (500, 499),
        (4_000, 17),
        (9_999, 0),
        (9_999, 9_998),
        (9_999, 9_999),
        (7_777, 5_555),
        (9_998, 9_990),
    ];
    for (i, j) in pairs {
        let product: f64 = (0..=j)
            .map(|m| factor.element(i, m) * factor.element(j, m))
            .sum();
        let sigma = covariance.get(i, j);
        let scale = (covariance.get(i, i) * covariance.get(j, j)).sqrt();
        assert!(
            (product - sigma).abs() <= 1e-9 * scale,
            "(L Lᵀ)[{i}][{j}] = {product}, Σ = {sigma}"
        );
    }
    // SITMUF over the whole sequence is finite.
    let sitmuf = factor.whiten(&sequence.muf());
    assert!(sitmuf.iter().all(|s| s.is_finite()));
}
