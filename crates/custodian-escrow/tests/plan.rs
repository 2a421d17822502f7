//! The inspection plan against the worked attribute-sampling values of
//! shared/reference/accountancy.md §10(e).

use custodian_escrow::plan::{detection_probability, plan, sample_size};
use serde_json::Value;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn matches_the_reference_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/plan/attribute-sampling.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(v["source"].as_str().unwrap().contains("accountancy.md"));
    for case in v["cases"].as_array().unwrap() {
        let n = case["entries"].as_u64().unwrap();
        let r = case["wrong"].as_u64().unwrap();
        let beta = case["beta"].as_f64().unwrap();
        let p = plan(n, r, 1.0 - beta).unwrap();
        let at = format!("N={n} r={r} beta={beta}");
        assert_eq!(p.sample_size, case["n_min"].as_u64().unwrap(), "{at}");
        assert_eq!(p.iaea_sample_size, case["iaea_n"].as_u64().unwrap(), "{at}");
        assert!(
            close(
                1.0 - p.detection_probability,
                case["miss_at_n_min"].as_f64().unwrap(),
                1e-10
            ),
            "{at}"
        );
        assert!(
            close(
                1.0 - p.iaea_detection_probability,
                case["miss_at_iaea_n"].as_f64().unwrap(),
                1e-10
            ),
            "{at}"
        );
        assert!(p.detection_probability >= 1.0 - beta - 1e-12, "{at}");
        assert_eq!(sample_size(n, r, 1.0 - beta).unwrap(), p.sample_size);
        assert!(close(
            detection_probability(n, r, p.sample_size).unwrap(),
            p.detection_probability,
            1e-15
        ));
        // One fewer does not reach the target.
        let below = detection_probability(n, r, p.sample_size - 1).unwrap();
        assert!(below < 1.0 - beta * (1.0 + 1e-12), "{at}");
    }
}

#[test]
fn worked_example_50_2_is_exactly_18_over_35() {
    // accountancy.md §10(e): N = 50, r = 2, n = 15 misses with 17/35.
    assert!(close(
        detection_probability(50, 2, 15).unwrap(),
        18.0 / 35.0,
        1e-15
    ));
    // The whole declaration always detects; an empty sample never does.
    assert_eq!(detection_probability(50, 2, 49).unwrap(), 1.0);
    assert_eq!(detection_probability(50, 2, 0).unwrap(), 0.0);
}

#[test]
fn bad_plans_are_errors() {
    assert!(plan(0, 1, 0.9).is_err());
    assert!(plan(10, 11, 0.9).is_err());
    assert!(plan(10, 0, 0.9).is_err());
    assert!(plan(10, 1, 1.5).is_err());
    assert!(detection_probability(10, 1, 11).is_err());
}
