//! The JSON evaluation against the vectors in `tests/vectors/evaluate/`:
//! good inputs with their expected outputs (each file names its source), and
//! bad inputs, each of which must fail with an error naming its field path.

mod common;

use std::path::PathBuf;

use common::{assert_digits, flow, inventory};
use custodian_accountancy::evaluate::{
    evaluate, evaluate_json, parse_input, EvaluateOptions, EvaluationInput, Matrices,
    PageParameters, MATRICES_AUTO_BALANCES_MAX,
};
use custodian_accountancy::{AccountancyError, BalanceSequence};
use serde_json::Value;

fn vector(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/evaluate")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compares an output value with an expected one: strings are printed
/// reference numbers (checked to every digit), other JSON values exactly.
fn compare(actual: &Value, expected: &Value, path: &str) {
    match expected {
        Value::String(printed) if !actual.is_string() => {
            let number = actual
                .as_f64()
                .unwrap_or_else(|| panic!("{path}: expected a number, got {actual}"));
            assert_digits(number, printed, path);
        }
        Value::Array(items) => {
            let got = actual
                .as_array()
                .unwrap_or_else(|| panic!("{path}: expected an array, got {actual}"));
            assert_eq!(got.len(), items.len(), "{path}: length");
            for (i, (a, e)) in got.iter().zip(items).enumerate() {
                compare(a, e, &format!("{path}[{i}]"));
            }
        }
        Value::Object(fields) => {
            for (key, e) in fields {
                let a = actual
                    .get(key)
                    .unwrap_or_else(|| panic!("{path}: missing key {key}"));
                compare(a, e, &format!("{path}.{key}"));
            }
        }
        other => assert_eq!(actual, other, "{path}"),
    }
}

fn run_good_vector(name: &str) {
    let case = vector(name);
    assert!(
        case["source"].is_string(),
        "{name}: every vector names its source"
    );
    let text = serde_json::to_string(&case["input"]).expect("input");
    let evaluation = evaluate_json(&text, &EvaluateOptions::default()).expect("valid input");
    let output = serde_json::to_value(&evaluation).expect("serializable");
    compare(&output, &case["expected"], name);
}

#[test]
fn scenario_b_vector() {
    run_good_vector("scenario_b.json");
}

#[test]
fn tank_recorded_low_vector() {
    run_good_vector("tank_recorded_low.json");
}

#[test]
fn output_has_the_documented_keys() {
    let case = vector("scenario_b.json");
    let text = serde_json::to_string(&case["input"]).expect("input");
    let output =
        serde_json::to_value(evaluate_json(&text, &EvaluateOptions::default()).expect("valid"))
            .expect("serializable");
    for key in [
        "unit",
        "periods",
        "muf",
        "sigma_muf",
        "sigma_muf_without_shared_term",
        "covariance",
        "cholesky_lower",
        "cumuf",
        "cumuf_variance",
        "cumuf_z",
        "sitmuf",
        "page_k",
        "page_h",
        "page",
        "page_alarm",
        "page_first_alarm_balance",
        "gemuf_v1",
        "gemuf_alpha",
        "gemuf_threshold",
        "gemuf_alarm",
    ] {
        assert!(output.get(key).is_some(), "missing key {key}");
    }
}

#[test]
fn bad_inputs_name_their_field() {
    let document = vector("bad_inputs.json");
    let cases = document["cases"].as_array().expect("cases");
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let text = match case.get("input_text") {
            Some(Value::String(text)) => text.clone(),
            _ => serde_json::to_string(&case["input"]).expect("input"),
        };
        let error = evaluate_json(&text, &EvaluateOptions::default())
            .expect_err(&format!("{name}: the input must be rejected"));
        let message = error.to_string();
        match case["want_err_field"].as_str() {
            Some(field) => {
                assert_eq!(error.field(), Some(field), "{name}: field of {message:?}");
                assert!(
                    message.starts_with(field),
                    "{name}: message starts with the field: {message}"
                );
            }
            None => assert_eq!(error.field(), None, "{name}: {message}"),
        }
        let contains = case["want_err_contains"]
            .as_str()
            .expect("want_err_contains");
        assert!(
            message.contains(contains),
            "{name}: {message:?} should contain {contains:?}"
        );
    }
}

/// Non-finite numbers cannot be written in JSON, but the library API takes
/// them: NaN and infinities are errors naming the field too.
#[test]
fn non_finite_values_through_the_library_api() {
    let error = BalanceSequence::new(
        vec![flow("in", &[1.0, f64::NAN], 0.01, 0.0)],
        vec![],
        vec![],
    )
    .expect_err("NaN amount");
    assert_eq!(error.field(), Some("inputs[0].amounts[1]"));
    let error = BalanceSequence::new(
        vec![],
        vec![],
        vec![inventory("c", &[1.0, 2.0], f64::INFINITY, 0.0)],
    )
    .expect_err("infinite RSD");
    assert_eq!(error.field(), Some("inventories[0].rsd_random"));

    let input = |k: f64, h: f64| EvaluationInput {
        unit: "kg Pu".to_owned(),
        inputs: vec![flow("in", &[1.0], 0.01, 0.0)],
        outputs: vec![],
        inventories: vec![],
        page: PageParameters { k, h },
        alpha: 0.05,
    };
    let options = EvaluateOptions::default();
    let error = evaluate(&input(0.5, f64::NAN), &options).expect_err("NaN h");
    assert_eq!(error.field(), Some("page.h"));
    let error = evaluate(&input(f64::INFINITY, 1.0), &options).expect_err("infinite k");
    assert_eq!(error.field(), Some("page.k"));
    assert!(evaluate(&input(0.5, 1.0), &options).is_ok());
}

#[test]
fn not_positive_definite_names_the_balance() {
    let document = vector("bad_inputs.json");
    let case = document["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == "not-positive-definite")
        .expect("case");
    let text = serde_json::to_string(&case["input"]).expect("input");
    match evaluate_json(&text, &EvaluateOptions::default()) {
        Err(AccountancyError::NotPositiveDefinite { balance, .. }) => assert_eq!(balance, 1),
        other => panic!("expected NotPositiveDefinite, got {other:?}"),
    }
}

/// A stationary process of `periods` balances: feed about 100 kg, tank
/// oscillating around 50 kg, product closing the balance, so MUF = 0 except
/// for `loss` = (period, kg), taken from the tank from that period on.
fn long_input(periods: usize, loss: Option<(usize, f64)>) -> EvaluationInput {
    let amounts: Vec<f64> = (0..periods).map(|t| 100.0 + (t % 7) as f64).collect();
    let tank: Vec<f64> = (0..=periods)
        .map(|t| 50.0 + 5.0 * (t as f64 * 0.7).sin())
        .collect();
    let product: Vec<f64> = (0..periods)
        .map(|t| tank[t] + amounts[t] - tank[t + 1])
        .collect();
    let measured_tank: Vec<f64> = tank
        .iter()
        .enumerate()
        .map(|(t, &c)| match loss {
            Some((period, kg)) if t > period => c - kg,
            _ => c,
        })
        .collect();
    EvaluationInput {
        unit: "kg U".to_owned(),
        inputs: vec![flow("feed", &amounts, 0.01, 0.005)],
        outputs: vec![flow("product", &product, 0.01, 0.005)],
        inventories: vec![inventory("tank", &measured_tank, 0.02, 0.01)],
        page: PageParameters { k: 0.5, h: 5.0 },
        alpha: 0.05,
    }
}

#[test]
fn matrices_are_included_for_small_sequences_only() {
    let small = evaluate(
        &long_input(MATRICES_AUTO_BALANCES_MAX, None),
        &EvaluateOptions::default(),
    )
    .expect("valid");
    assert!(small.covariance.is_some() && small.cholesky_lower.is_some());
    let large = evaluate(
        &long_input(MATRICES_AUTO_BALANCES_MAX + 1, None),
        &EvaluateOptions::default(),
    )
    .expect("valid");
    assert!(large.covariance.is_none() && large.cholesky_lower.is_none());
    let output = serde_json::to_value(&large).expect("serializable");
    assert!(
        output["covariance"].is_null(),
        "omitted matrices serialize as null"
    );
    let omitted = evaluate(
        &long_input(10, None),
        &EvaluateOptions {
            matrices: Matrices::Omit,
        },
    )
    .expect("valid");
    assert!(omitted.covariance.is_none());
    let included = evaluate(
        &long_input(150, Some((70, 20.0))),
        &EvaluateOptions {
            matrices: Matrices::Include,
        },
    )
    .expect("valid");
    // The dense L reproduces the structured SITMUF.
    let lower = included.cholesky_lower.expect("included");
    let dense = custodian_accountancy::sequential::sitmuf(&lower, &included.muf);
    for (a, b) in dense.iter().zip(&included.sitmuf) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0));
    }
}

/// A sequence of 10,000 balances evaluates on the structured path without
/// the n×n matrices (the issue's scale).
#[test]
fn ten_thousand_balances() {
    let evaluation = evaluate(
        &long_input(10_000, Some((6_000, 20.0))),
        &EvaluateOptions {
            matrices: Matrices::Omit,
        },
    )
    .expect("valid");
    assert_eq!(evaluation.periods, 10_000);
    assert!(evaluation.covariance.is_none());
    assert_eq!(evaluation.sitmuf.len(), 10_000);
    assert!(evaluation.sitmuf.iter().all(|s| s.is_finite()));
    // MUF is zero up to the 20 kg loss in period 6,000 (0-based), where Page
    // alarms first.
    assert!(evaluation.muf[..6_000].iter().all(|m| m.abs() < 1e-9));
    assert!((evaluation.muf[6_000] - 20.0).abs() < 1e-9);
    assert_eq!(evaluation.page_first_alarm_balance, Some(6_001));
    // SITMUF sees the loss as about 20/σ ≈ 8 standard deviations, while the
    // single-look χ² test of GEMUF over 6,001 balances does not (the
    // statistic is diluted by the 6,000 balances before it).
    assert!(
        evaluation.sitmuf[6_000] > 5.0,
        "{}",
        evaluation.sitmuf[6_000]
    );
    assert!(!evaluation.gemuf_alarm[6_000]);
}

#[test]
fn parse_input_defaults() {
    let input = parse_input(
        r#"{"unit": "kg", "inventories": [{"name": "c", "values": [1, 2], "rsd_random": 0.1, "rsd_systematic": 0}], "page": {"k": 0.5, "h": 1}}"#,
    )
    .expect("valid");
    assert!(input.inputs.is_empty() && input.outputs.is_empty());
    assert_eq!(input.alpha, 0.05);
}
