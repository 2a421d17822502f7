//! Shared helpers for the accountancy tests: tolerance checks and the worked
//! examples of `shared/reference/accountancy.md` §10 as balance sequences.
#![allow(dead_code)]

use custodian_accountancy::{BalanceSequence, Flow, Inventory};

/// Deterministic quantities: relative and absolute tolerance 1e-9
/// (accountancy.md §11).
pub const TOLERANCE: f64 = 1e-9;

/// |actual − expected| ≤ 1e-9·max(1, |expected|): for values that the
/// reference states exactly (finite decimals such as 5329.4775).
#[track_caller]
pub fn assert_exact(actual: f64, expected: f64, what: &str) {
    let tolerance = TOLERANCE * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: expected {expected}, got {actual} (difference {:e})",
        actual - expected
    );
}

/// Checks every printed digit of a rounded reference value: `actual`
/// rounded to the printed number of decimals must equal the printed value,
/// i.e. |actual − printed| ≤ half a unit in the last printed place (plus
/// 1e-9 relative for the reference's own arithmetic).
#[track_caller]
pub fn assert_digits(actual: f64, printed: &str, what: &str) {
    let expected: f64 = printed.parse().expect("printed reference value");
    let decimals = printed
        .split_once('.')
        .map(|(_, fraction)| fraction.trim_start_matches('-').len())
        .unwrap_or(0) as i32;
    let half_unit = 0.5 * 10f64.powi(-decimals);
    let tolerance = half_unit * (1.0 + 1e-9) + TOLERANCE * expected.abs();
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: reference {printed}, got {actual} (difference {:e}, allowed {:e})",
        actual - expected,
        tolerance
    );
}

pub fn flow(name: &str, amounts: &[f64], rsd_random: f64, rsd_systematic: f64) -> Flow {
    Flow {
        name: name.to_owned(),
        amounts: amounts.to_vec(),
        rsd_random,
        rsd_systematic,
    }
}

pub fn inventory(name: &str, values: &[f64], rsd_random: f64, rsd_systematic: f64) -> Inventory {
    Inventory {
        name: name.to_owned(),
        values: values.to_vec(),
        rsd_random,
        rsd_systematic,
    }
}

/// §10(a): one balance with random and systematic errors (kg U).
pub fn example_a() -> BalanceSequence {
    BalanceSequence::new(
        vec![flow("UF6 cylinders", &[12000.0], 0.002, 0.001)],
        vec![
            flow("pellets", &[11700.0], 0.003, 0.0015),
            flow("waste", &[260.0], 0.15, 0.10),
        ],
        vec![
            inventory("process", &[2000.0, 2150.0], 0.01, 0.005),
            inventory("storage", &[800.0, 650.0], 0.003, 0.002),
        ],
    )
    .expect("example (a) is valid")
}

/// §10(b) with the tank values given: scenario B is C = 50, 60, 70, 77, 87
/// (3 kg loss in period 3); scenario A is C = 50, 60, 70, 80, 90.
pub fn toy(tank: &[f64]) -> BalanceSequence {
    BalanceSequence::new(
        vec![flow("feed", &[100.0; 4], 0.01, 0.005)],
        vec![flow("product", &[90.0; 4], 0.01, 0.005)],
        vec![inventory("tank", tank, 0.02, 0.01)],
    )
    .expect("toy is valid")
}

pub fn scenario_a() -> BalanceSequence {
    toy(&[50.0, 60.0, 70.0, 80.0, 90.0])
}

pub fn scenario_b() -> BalanceSequence {
    toy(&[50.0, 60.0, 70.0, 77.0, 87.0])
}
