//! The engine over events: cycles and submitters checked, reports folded in;
//! completeness per cycle, comparison between cycles, estimates beside reports.

mod common;

use common::{full_report, set};
use custodian_core::event::ReviewReport;
use custodian_core::{ActorId, Event, EventId, LeafIndex, Party, Payload, StateCode, UtcTime};
use custodian_regime::Registry;
use custodian_review::analysis::{self, Change, DUE_NWS, DUE_REPORTED};
use custodian_review::{Cycles, ReviewEngine, ReviewError};
use serde_json::json;

fn event(
    actor: &str,
    n: u64,
    time: &str,
    state: &str,
    cycle: u16,
    report: serde_json::Map<String, serde_json::Value>,
) -> Event {
    Event {
        id: EventId::parse(&format!("{actor}:{n}:0")).unwrap(),
        time: UtcTime::parse(time).unwrap(),
        actor: ActorId::parse(actor).unwrap(),
        payload: Payload::ReviewReport(ReviewReport {
            state: StateCode::parse(state).unwrap(),
            cycle,
            report,
        }),
        approvals: Vec::new(),
    }
}

fn party(state: &str) -> Party {
    Party::parse(&format!("state:{state}")).unwrap()
}

fn code(s: &str) -> StateCode {
    StateCode::parse(s).unwrap()
}

fn registry() -> Registry {
    Registry::bundled(custodian_core::Date::parse("2026-11-24").unwrap()).unwrap()
}

/// GBR reports fully in 2015 and 2020; FRA in 2020 with fields not reported.
fn engine() -> ReviewEngine {
    let mut e = ReviewEngine::default();
    let gbr15 = full_report();
    let mut gbr20 = full_report();
    set(&mut gbr20, "as_of", json!("2022-01-01"));
    set(
        &mut gbr20,
        "warheads.reserve",
        json!({"value": 60, "unit": "warheads"}),
    );
    set(
        &mut gbr20,
        "warheads.awaiting_dismantlement",
        json!({"value": 45, "unit": "warheads"}),
    );
    set(&mut gbr20, "measures.fmct_position", json!("not_reported"));
    let mut fra20 = full_report();
    set(&mut fra20, "as_of", json!("2022-01-01"));
    for f in [
        "warheads.reserve",
        "warheads.awaiting_dismantlement",
        "fissile_material.heu",
    ] {
        set(&mut fra20, f, json!("not_reported"));
    }
    set(
        &mut fra20,
        "warheads.total",
        json!({"value": 290, "unit": "warheads"}),
    );
    let p = party("GBR");
    e.apply(
        LeafIndex(5),
        &event("gbr-1", 1, "2015-04-27T09:00:00Z", "GBR", 2015, gbr15),
        Some(&p),
    )
    .unwrap();
    e.apply(
        LeafIndex(9),
        &event("gbr-1", 2, "2022-08-01T09:00:00Z", "GBR", 2020, gbr20),
        Some(&p),
    )
    .unwrap();
    e.apply(
        LeafIndex(10),
        &event("fra-1", 1, "2022-08-01T10:00:00Z", "FRA", 2020, fra20),
        Some(&party("FRA")),
    )
    .unwrap();
    e
}

#[test]
fn a_report_for_a_cycle_that_does_not_exist_is_refused() {
    let mut e = ReviewEngine::default();
    for cycle in [2022, 2030, 1970] {
        let err = e
            .apply(
                LeafIndex(1),
                &event(
                    "gbr-1",
                    1,
                    "2022-08-01T00:00:00Z",
                    "GBR",
                    cycle,
                    full_report(),
                ),
                Some(&party("GBR")),
            )
            .unwrap_err();
        assert!(matches!(err, ReviewError::UnknownCycle { .. }), "{err}");
        assert_eq!(err.field().as_deref(), Some("cycle"));
    }
    assert!(e.is_empty());
}

#[test]
fn a_submitter_acting_for_another_state_is_refused() {
    let mut e = ReviewEngine::default();
    let ev = event(
        "gbr-1",
        1,
        "2015-04-27T09:00:00Z",
        "FRA",
        2015,
        full_report(),
    );
    let err = e.apply(LeafIndex(1), &ev, Some(&party("GBR"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "field state: actor \"gbr-1\" acts for state:GBR, not for state:FRA; a state's report must be submitted by an actor of that state"
    );
    let body = Party::parse("body:iaea").unwrap();
    assert!(e.apply(LeafIndex(1), &ev, Some(&body)).is_err());
    assert!(e.is_empty());
    // Replayed without a party (a leaf already in a log), the submitter is not re-judged.
    e.apply(LeafIndex(1), &ev, None).unwrap();
    assert_eq!(e.len(), 1);
}

#[test]
fn figures_cannot_be_as_of_a_date_after_their_report() {
    let mut e = ReviewEngine::default();
    let ev = event(
        "gbr-1",
        1,
        "2014-12-31T23:59:59Z",
        "GBR",
        2015,
        full_report(),
    );
    let err = e.apply(LeafIndex(1), &ev, Some(&party("GBR"))).unwrap_err();
    assert_eq!(err.field().as_deref(), Some("report.as_of"));
}

#[test]
fn revisions_are_kept_and_the_latest_counts() {
    let mut e = engine();
    let mut again = full_report();
    set(&mut again, "warheads.total", json!("not_reported"));
    e.apply(
        LeafIndex(20),
        &event("gbr-1", 3, "2015-05-01T09:00:00Z", "GBR", 2015, again),
        Some(&party("GBR")),
    )
    .unwrap();
    assert_eq!(e.revisions(code("GBR"), 2015).len(), 2);
    let latest = e.latest(code("GBR"), 2015).unwrap();
    assert_eq!(latest.revision, 2);
    assert_eq!(latest.leaf, LeafIndex(20));
    assert_eq!(latest.report.not_reported(), ["warheads.total"]);
}

#[test]
fn completeness_names_who_was_due_who_reported_and_what_was_left_out() {
    let e = engine();
    let r = registry();
    let c = Cycles::bundled().get(2020).unwrap();
    let nws = analysis::nuclear_weapon_states(&r, c.reference_date()).unwrap();
    assert_eq!(nws, ["CHN", "FRA", "GBR", "RUS", "USA"].map(code));
    let view = analysis::completeness(&e, 2020, &nws).unwrap();
    assert_eq!(view.reported, [code("FRA"), code("GBR")]);
    assert_eq!(view.missing, ["CHN", "RUS", "USA"].map(code));
    let fra = view.states.iter().find(|s| s.state == code("FRA")).unwrap();
    assert_eq!(fra.due_because, DUE_NWS);
    assert_eq!(
        fra.not_reported,
        [
            "warheads.reserve",
            "warheads.awaiting_dismantlement",
            "fissile_material.heu"
        ]
    );
    assert_eq!(fra.fields_reported, fra.fields_total - 3);
    let gbr = view.states.iter().find(|s| s.state == code("GBR")).unwrap();
    assert_eq!(gbr.not_reported, ["measures.fmct_position"]);
    // 1975: only the three original nuclear-weapon States were parties, the
    // USSR under its own code until it ceased (rules::SUCCESSIONS).
    let c75 = Cycles::bundled().get(1975).unwrap();
    let nws75 = analysis::nuclear_weapon_states(&r, c75.reference_date()).unwrap();
    assert_eq!(nws75, ["GBR", "SUN", "USA"].map(code));
    // A state that is not a nuclear-weapon State is counted once it reports.
    let view = analysis::completeness(&e, 2020, &[code("USA")]).unwrap();
    let fra = view.states.iter().find(|s| s.state == code("FRA")).unwrap();
    assert_eq!(fra.due_because, DUE_REPORTED);
    assert!(analysis::completeness(&e, 2022, &nws).is_err());
}

#[test]
fn a_report_is_compared_field_by_field_with_the_previous_one() {
    let e = engine();
    let gbr = code("GBR");
    let (a, b) = (e.latest(gbr, 2015).unwrap(), e.latest(gbr, 2020).unwrap());
    assert_eq!(e.previous_report(gbr, 2020).unwrap().cycle, 2015);
    let cmp = analysis::compare(a, b);
    let by = |f: &str| cmp.fields.iter().find(|c| c.field == f).unwrap();
    assert_eq!(by("warheads.reserve").change, Change::Changed);
    assert_eq!(by("warheads.reserve").difference, Some(-40.0));
    assert_eq!(by("warheads.awaiting_dismantlement").difference, Some(40.0));
    assert_eq!(by("warheads.total").change, Change::Unchanged);
    assert_eq!(
        by("measures.fmct_position").change,
        Change::NoLongerReported
    );
    assert_eq!(by("measures.fmct_position").later, json!("not_reported"));
    assert_eq!(cmp.changed, 3);
    let back = analysis::compare(b, a);
    assert_eq!(
        back.fields
            .iter()
            .find(|c| c.field == "measures.fmct_position")
            .unwrap()
            .change,
        Change::NewlyReported
    );
}

#[test]
fn estimates_stand_beside_a_report_and_are_never_findings() {
    let e = engine();
    let r = registry();
    let gbr = e.latest(code("GBR"), 2020).unwrap();
    let est = analysis::estimates(code("GBR"), &gbr.report, r.force_estimates());
    assert_eq!(est.year_used, Some(2022));
    assert!(est.caveat.contains("not a finding"));
    // forces.csv GBR 2022 (FAS via OWID): inventory 225, stockpile 180, deployed 120, retired 45.
    let line = |q: &str| est.lines.iter().find(|l| l.quantity == q).unwrap();
    assert_eq!(line("total inventory").estimate, 225);
    assert_eq!(line("total inventory").reported, Some(225));
    assert_eq!(line("deployed").reported, Some(120));
    assert!(est.lines.iter().all(|l| !l.source.is_empty()));
    // No 2015 estimate: the nearest later year, said so.
    let g15 = e.latest(code("GBR"), 2015).unwrap();
    let est = analysis::estimates(code("GBR"), &g15.report, r.force_estimates());
    assert_eq!(est.year_used, Some(2017));
    assert!(est.year_rule.contains("later"));
    // A part not reported gives no derived figure, never a zero.
    let fra = e.latest(code("FRA"), 2020).unwrap();
    let est = analysis::estimates(code("FRA"), &fra.report, r.force_estimates());
    assert!(est
        .lines
        .iter()
        .filter(|l| l.quantity.starts_with("stockpile"))
        .all(|l| l.reported.is_none() && l.difference.is_none()));
}

#[test]
fn the_summary_renders_every_format() {
    use custodian_review::summary::{self, Binding};
    let e = engine();
    let r = registry();
    let nws = ["CHN", "FRA", "GBR", "RUS", "USA"].map(code);
    let binding = Binding {
        origin: "test/log".into(),
        tree_size: 11,
        root_hash: "AAAA".into(),
        checkpoint: "test/log\n11\nAAAA\n\n— test sig\n".into(),
    };
    let s = summary::build(&e, 2020, &nws, r.force_estimates(), None, Some(binding)).unwrap();
    let md = summary::markdown(&s);
    assert!(md.contains("Not reported: CHN, RUS, USA"), "{md}");
    assert!(md.contains("not a finding"));
    let csv = summary::csv(&s);
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows.len(), 5);
    let fra = rows.iter().find(|r| &r[1] == "FRA").unwrap();
    let header = summary::csv_header();
    let col = header.iter().position(|h| h == "warheads.reserve").unwrap();
    assert_eq!(&fra[col], "not_reported");
    let col = header
        .iter()
        .position(|h| h == "delivery_vehicles.icbm")
        .unwrap();
    assert_eq!(&fra[col], "0");
    assert!(csv.contains("\r\n"));
    let html = summary::html(&s);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script") && !html.contains("http-equiv") && !html.contains("<link"));
    let json = summary::json(&s);
    assert_eq!(json["format"], "custodian/npt-review-summary/v1");
    assert_eq!(json["checkpoint"]["tree_size"], 11);
    assert_eq!(json["reports"].as_array().unwrap().len(), 2);
    // No escrow record given: the bindings are not checked, and say so.
    assert!(json["bindings"].is_null(), "{json}");
}
