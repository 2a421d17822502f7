//! The reporting schema custodian/npt-report/v1: every bad input is refused with
//! the field's path; "not_reported" is never zero; a valid report round-trips.

mod common;

use common::{full_report, remove, set};
use custodian_review::schema::{FieldValue, Report, FIELDS};
use custodian_review::ReviewError;
use serde_json::{json, Value};

fn err(report: &serde_json::Map<String, Value>) -> ReviewError {
    Report::parse(report).expect_err("the report should be refused")
}

fn path_of(e: &ReviewError) -> String {
    match e {
        ReviewError::Schema { path, .. } => path.clone(),
        other => panic!("not a schema error: {other}"),
    }
}

#[test]
fn a_full_report_parses_and_round_trips() {
    let r = Report::parse(&full_report()).unwrap();
    assert_eq!(r.get("warheads.total"), &FieldValue::Count(225));
    assert_eq!(r.get("fissile_material.heu"), &FieldValue::Tonnes(20.5));
    assert!(r.not_reported().is_empty());
    assert_eq!(r.fields().count(), FIELDS.len());
    let again = Report::parse(&r.to_json()).unwrap();
    assert_eq!(again, r);
}

#[test]
fn not_reported_is_distinct_from_zero() {
    let mut m = full_report();
    set(
        &mut m,
        "warheads.deployed_non_strategic",
        json!("not_reported"),
    );
    set(&mut m, "measures.transparency", json!("not_reported"));
    set(
        &mut m,
        "doctrine.security_assurances",
        json!("not_reported"),
    );
    let r = Report::parse(&m).unwrap();
    assert_eq!(
        r.get("warheads.deployed_non_strategic"),
        &FieldValue::NotReported
    );
    assert!(!r.get("warheads.deployed_non_strategic").is_reported());
    assert_eq!(r.get("delivery_vehicles.icbm"), &FieldValue::Count(0));
    assert!(r.get("delivery_vehicles.icbm").is_reported());
    assert_eq!(
        r.not_reported(),
        [
            "warheads.deployed_non_strategic",
            "doctrine.security_assurances",
            "measures.transparency"
        ]
    );
    // An empty list is "none taken", which is reported.
    set(&mut m, "measures.transparency", json!([]));
    let r = Report::parse(&m).unwrap();
    assert_eq!(r.get("measures.transparency"), &FieldValue::List(vec![]));
    // The JSON form keeps the distinction.
    let j = r.to_json();
    assert_eq!(
        j["warheads"]["deployed_non_strategic"],
        json!("not_reported")
    );
    assert_eq!(
        j["delivery_vehicles"]["icbm"],
        json!({"value": 0, "unit": "missiles"})
    );
}

#[test]
fn a_missing_field_is_refused_so_that_not_reporting_is_explicit() {
    let mut m = full_report();
    remove(&mut m, "warheads.reserve");
    let e = err(&m);
    assert_eq!(path_of(&e), "warheads.reserve");
    assert!(e.to_string().contains("not_reported"), "{e}");
    let mut m = full_report();
    remove(&mut m, "doctrine");
    assert_eq!(path_of(&err(&m)), "doctrine");
}

#[test]
fn unknown_fields_are_refused_at_every_level() {
    let cases = [
        ("colour", json!("red"), "colour"),
        (
            "warheads.tactical",
            json!({"value": 1, "unit": "warheads"}),
            "warheads.tactical",
        ),
        (
            "warheads.total",
            json!({"value": 225, "unit": "warheads", "sigma": 3}),
            "warheads.total.sigma",
        ),
    ];
    for (at, value, want) in cases {
        let mut m = full_report();
        set(&mut m, at, value);
        let e = err(&m);
        assert_eq!(path_of(&e), want, "{e}");
        assert!(e.to_string().contains("no such field"), "{e}");
    }
}

#[test]
fn wrong_units_are_refused_not_converted() {
    let cases = [
        (
            "fissile_material.heu",
            json!({"value": 20500, "unit": "kg"}),
            "\"tonnes\"",
        ),
        (
            "warheads.total",
            json!({"value": 225, "unit": "weapons"}),
            "\"warheads\"",
        ),
        (
            "delivery_vehicles.bombers",
            json!({"value": 0, "unit": "missiles"}),
            "\"aircraft\"",
        ),
    ];
    for (at, value, want) in cases {
        let mut m = full_report();
        set(&mut m, at, value);
        let e = err(&m);
        assert_eq!(path_of(&e), format!("{at}.unit"));
        assert!(e.to_string().contains(want), "{e}");
    }
    let mut m = full_report();
    set(&mut m, "warheads.total", json!({"value": 225}));
    assert_eq!(path_of(&err(&m)), "warheads.total.unit");
}

#[test]
fn negative_counts_and_masses_are_refused() {
    let mut m = full_report();
    set(
        &mut m,
        "warheads.reserve",
        json!({"value": -5, "unit": "warheads"}),
    );
    let e = err(&m);
    assert_eq!(
        e.to_string(),
        "field report.warheads.reserve.value: expected a non-negative count (0 means none; a state that does not say writes \"not_reported\"), found -5"
    );
    let mut m = full_report();
    set(
        &mut m,
        "fissile_material.separated_plutonium",
        json!({"value": -0.5, "unit": "tonnes"}),
    );
    assert_eq!(
        path_of(&err(&m)),
        "fissile_material.separated_plutonium.value"
    );
    let mut m = full_report();
    set(
        &mut m,
        "reductions.warheads_dismantled",
        json!({"value": -1, "unit": "warheads"}),
    );
    assert!(err(&m).to_string().contains("non-negative"));
}

#[test]
fn wrong_types_are_refused_with_their_path() {
    let cases = [
        ("warheads.total", json!(225), "warheads.total"),
        (
            "warheads.total",
            json!({"value": "225", "unit": "warheads"}),
            "warheads.total.value",
        ),
        (
            "warheads.total",
            json!({"value": 225.5, "unit": "warheads"}),
            "warheads.total.value",
        ),
        ("warheads.total", json!(null), "warheads.total"),
        ("warheads.total", json!("none"), "warheads.total"),
        (
            "doctrine.declaratory_policy",
            json!(12),
            "doctrine.declaratory_policy",
        ),
        (
            "doctrine.declaratory_policy",
            json!("  "),
            "doctrine.declaratory_policy",
        ),
        (
            "measures.transparency",
            json!("a measure"),
            "measures.transparency",
        ),
        (
            "measures.transparency",
            json!(["a", 3]),
            "measures.transparency[1]",
        ),
        ("warheads", json!([1, 2]), "warheads"),
        ("as_of", json!("2015-13-01"), "as_of"),
        ("format", json!("custodian/npt-report/v2"), "format"),
        ("illustrative", json!("yes"), "illustrative"),
    ];
    for (at, value, want) in cases {
        let mut m = full_report();
        set(&mut m, at, value.clone());
        let e = err(&m);
        assert_eq!(path_of(&e), want, "{at} = {value}: {e}");
    }
    let e = {
        let mut m = full_report();
        set(
            &mut m,
            "warheads.total",
            json!({"value": 2_000_000, "unit": "warheads"}),
        );
        err(&m)
    };
    assert!(e.to_string().contains("at most 1000000"), "{e}");
}

#[test]
fn the_total_is_the_sum_of_its_parts_and_an_excess_part_of_its_stock() {
    let mut m = full_report();
    set(
        &mut m,
        "warheads.total",
        json!({"value": 300, "unit": "warheads"}),
    );
    let e = err(&m);
    assert_eq!(path_of(&e), "warheads.total.value");
    assert!(e.to_string().contains("(225)"), "{e}");
    // With a part not reported, the total stands on its own.
    set(&mut m, "warheads.reserve", json!("not_reported"));
    Report::parse(&m).unwrap();
    let mut m = full_report();
    set(
        &mut m,
        "fissile_material.plutonium_declared_excess",
        json!({"value": 4, "unit": "tonnes"}),
    );
    assert_eq!(
        path_of(&err(&m)),
        "fissile_material.plutonium_declared_excess.value"
    );
}

#[test]
fn every_schema_field_is_documented() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/FORMATS.md"
    ))
    .unwrap();
    for f in FIELDS {
        assert!(
            doc.contains(&format!("`{}`", f.path())),
            "{} undocumented",
            f.path()
        );
    }
}

/// A binding of `field` to declaration `xaa-2026`, opening 120 warheads.
fn binding(field: &str) -> Value {
    json!({
        "field": field,
        "declaration": "xaa-2026",
        "opening": {"measure": "deployed_warheads", "value": 120, "blinding": "0a".repeat(32)}
    })
}

fn with_bindings(bindings: Value) -> serde_json::Map<String, Value> {
    let mut m = full_report();
    m.insert("bindings".into(), bindings);
    m
}

#[test]
fn bindings_parse_and_round_trip() {
    let m = with_bindings(json!([
        binding("warheads.deployed_strategic"),
        binding("warheads.total")
    ]));
    let r = Report::parse(&m).unwrap();
    let b = r.bindings();
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].field().path(), "warheads.deployed_strategic");
    assert_eq!(b[0].declaration().as_str(), "xaa-2026");
    assert_eq!(b[0].measure(), "deployed_warheads");
    assert_eq!(b[0].opened_value(), 120);
    assert_eq!(b[0].opening()["blinding"], json!("0a".repeat(32)));
    let again = Report::parse(&r.to_json()).unwrap();
    assert_eq!(again, r);
    assert_eq!(r.to_json()["bindings"], m["bindings"]);
    // Absent and empty: no bindings, and none written back.
    let plain = Report::parse(&full_report()).unwrap();
    assert!(plain.bindings().is_empty());
    assert!(!plain.to_json().contains_key("bindings"));
    let empty = Report::parse(&with_bindings(json!([]))).unwrap();
    assert_eq!(empty, plain);
}

#[test]
fn a_binding_may_disagree_with_its_opening_the_check_decides() {
    // The opened value is the state's claim of its committed total; the schema
    // does not compare it with the report (a disagreement is a finding, made
    // where the escrow record is known, not a refusal).
    let mut b = binding("warheads.deployed_strategic");
    b["opening"]["value"] = json!(7);
    let r = Report::parse(&with_bindings(json!([b]))).unwrap();
    assert_eq!(r.bindings()[0].opened_value(), 7);
    assert_eq!(
        r.get("warheads.deployed_strategic"),
        &FieldValue::Count(120)
    );
}

#[test]
fn every_bad_binding_is_refused_with_its_path() {
    let good = binding("warheads.deployed_strategic");
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        f(&mut b);
        json!([b])
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"field": "warheads.total"}), "bindings", "a list"),
        (json!(["warheads.total"]), "bindings[0]", "an object"),
        (
            edit(&|b| b["signature"] = json!("x")),
            "bindings[0].signature",
            "no such field",
        ),
        (
            edit(&|b| {
                b.as_object_mut().unwrap().remove("field");
            }),
            "bindings[0].field",
            "the path of a count field",
        ),
        (
            edit(&|b| b["field"] = json!("warheads.tactical")),
            "bindings[0].field",
            "the path of a count field",
        ),
        (
            edit(&|b| b["field"] = json!("warheads")),
            "bindings[0].field",
            "the path of a count field",
        ),
        (
            edit(&|b| b["field"] = json!(3)),
            "bindings[0].field",
            "the path of a count field",
        ),
        (
            edit(&|b| b["field"] = json!("fissile_material.heu")),
            "bindings[0].field",
            "fissile_material.heu is not a count",
        ),
        (
            edit(&|b| b["field"] = json!("doctrine.declaratory_policy")),
            "bindings[0].field",
            "is not a count",
        ),
        (
            edit(&|b| {
                b.as_object_mut().unwrap().remove("declaration");
            }),
            "bindings[0].declaration",
            "escrow declaration",
        ),
        (
            edit(&|b| b["declaration"] = json!("XAA 2026")),
            "bindings[0].declaration",
            "a declaration id",
        ),
        (
            edit(&|b| b["declaration"] = json!(2026)),
            "bindings[0].declaration",
            "escrow declaration",
        ),
        (
            edit(&|b| {
                b.as_object_mut().unwrap().remove("opening");
            }),
            "bindings[0].opening",
            "the opening of the committed total",
        ),
        (
            edit(&|b| b["opening"] = json!("9")),
            "bindings[0].opening",
            "the opening of the committed total",
        ),
        (
            edit(&|b| b["opening"]["salt"] = json!("00")),
            "bindings[0].opening.salt",
            "no such field",
        ),
        (
            edit(&|b| {
                b["opening"].as_object_mut().unwrap().remove("measure");
            }),
            "bindings[0].opening.measure",
            "committed measure",
        ),
        (
            edit(&|b| b["opening"]["measure"] = json!("")),
            "bindings[0].opening.measure",
            "committed measure",
        ),
        (
            edit(&|b| b["opening"]["value"] = json!(-9)),
            "bindings[0].opening.value",
            "a whole number, at least 0",
        ),
        (
            edit(&|b| b["opening"]["value"] = json!(9.5)),
            "bindings[0].opening.value",
            "a whole number",
        ),
        (
            edit(&|b| b["opening"]["value"] = json!("9")),
            "bindings[0].opening.value",
            "a whole number",
        ),
        (
            edit(&|b| {
                b["opening"].as_object_mut().unwrap().remove("value");
            }),
            "bindings[0].opening.value",
            "the committed total",
        ),
        (
            edit(&|b| b["opening"]["blinding"] = json!("0a")),
            "bindings[0].opening.blinding",
            "64 hex digits",
        ),
        (
            edit(&|b| b["opening"]["blinding"] = json!("zz".repeat(32))),
            "bindings[0].opening.blinding",
            "64 hex digits",
        ),
        (
            edit(&|b| {
                b["opening"].as_object_mut().unwrap().remove("blinding");
            }),
            "bindings[0].opening.blinding",
            "64 hex digits",
        ),
    ];
    for (bindings, want, expected) in cases {
        let e = err(&with_bindings(bindings.clone()));
        assert_eq!(path_of(&e), want, "{bindings}: {e}");
        assert!(e.to_string().contains(expected), "{bindings}: {e}");
        assert!(
            e.to_string().starts_with(&format!("field report.{want}: ")),
            "{e}"
        );
    }
}

#[test]
fn a_field_not_reported_cannot_be_bound() {
    let mut m = with_bindings(json!([binding("warheads.reserve")]));
    set(&mut m, "warheads.reserve", json!("not_reported"));
    let e = err(&m);
    assert_eq!(path_of(&e), "bindings[0].field");
    assert!(
        e.to_string()
            .contains("warheads.reserve is \"not_reported\", so there is nothing to bind"),
        "{e}"
    );
}

#[test]
fn a_field_is_bound_once() {
    let mut other = binding("warheads.deployed_strategic");
    other["declaration"] = json!("xaa-2027");
    let m = with_bindings(json!([
        binding("warheads.total"),
        binding("warheads.deployed_strategic"),
        other
    ]));
    let e = err(&m);
    assert_eq!(path_of(&e), "bindings[2].field");
    assert!(
        e.to_string()
            .contains("warheads.deployed_strategic is already bound by bindings[1]"),
        "{e}"
    );
}
