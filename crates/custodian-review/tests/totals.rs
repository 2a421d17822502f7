//! Reported counts bound to committed totals: every verdict of the check, each
//! citing the report and the commitment; a failure is a finding, never a
//! refusal. The escrow record is stood in for by a table (the real one, with
//! Pedersen openings, is driven through the binary in crates/custodian/tests).

mod common;

use common::{full_report, set};
use custodian_core::event::ReviewReport;
use custodian_core::{
    ActorId, DeclarationId, Event, EventId, LeafIndex, Party, Payload, StateCode, UtcTime,
};
use custodian_review::totals::{self, Citation, Committed, CommittedTotals, Verdict};
use custodian_review::ReviewEngine;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const TRUE_BLINDING: &str = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";

/// A committed declaration: the state, the commit's leaf, and each measure's
/// total (opened only with that value and [`TRUE_BLINDING`]).
type Declared = (StateCode, u64, Vec<(&'static str, u64)>);

/// Declarations by id.
struct Table(BTreeMap<String, Declared>);

impl CommittedTotals for Table {
    fn committed(&self, id: &DeclarationId) -> Option<Committed> {
        self.0.get(id.as_str()).map(|(state, leaf, _)| Committed {
            state: *state,
            by: Citation {
                kind: "escrow.commit",
                leaf: LeafIndex(*leaf),
                event: EventId::parse(&format!("{}-official:1:0", id.as_str())).unwrap(),
                time: UtcTime::parse("2026-01-05T09:00:00Z").unwrap(),
            },
        })
    }
    fn verify_opening(
        &self,
        id: &DeclarationId,
        opening: &Map<String, Value>,
    ) -> Result<(), String> {
        let (_, _, totals) = &self.0[id.as_str()];
        let measure = opening["measure"].as_str().unwrap();
        let Some((_, value)) = totals.iter().find(|(m, _)| *m == measure) else {
            return Err(format!("measure {measure:?} is not committed"));
        };
        if opening["value"] == json!(value) && opening["blinding"] == json!(TRUE_BLINDING) {
            Ok(())
        } else {
            Err("the value and blinding do not open the committed total".into())
        }
    }
}

fn code(s: &str) -> StateCode {
    StateCode::parse(s).unwrap()
}

fn table() -> Table {
    Table(BTreeMap::from([
        (
            "xaa-2026".to_string(),
            (code("XAA"), 1, vec![("deployed_warheads", 120)]),
        ),
        (
            "xab-2026".to_string(),
            (code("XAB"), 2, vec![("deployed_warheads", 120)]),
        ),
    ]))
}

fn bound(field: &str, declaration: &str, measure: &str, value: u64, blinding: &str) -> Value {
    json!({
        "field": field,
        "declaration": declaration,
        "opening": {"measure": measure, "value": value, "blinding": blinding}
    })
}

/// XAA files `bindings` in its report to the 2026 cycle at `leaf`.
fn file(engine: &mut ReviewEngine, leaf: u64, bindings: Vec<Value>) {
    let mut report = full_report();
    set(&mut report, "as_of", json!("2026-01-01"));
    report.insert("bindings".into(), Value::Array(bindings));
    let event = Event {
        id: EventId::parse(&format!("xaa-official:{leaf}:0")).unwrap(),
        time: UtcTime::parse("2026-05-12T09:00:00Z").unwrap(),
        actor: ActorId::parse("xaa-official").unwrap(),
        payload: Payload::ReviewReport(ReviewReport {
            state: code("XAA"),
            cycle: 2026,
            report,
        }),
        approvals: Vec::new(),
    };
    engine
        .apply(
            LeafIndex(leaf),
            &event,
            Some(&Party::parse("state:XAA").unwrap()),
        )
        .unwrap();
}

#[test]
fn every_verdict_of_a_binding() {
    // The report states 120 deployed strategic warheads and a total of 225.
    let mut e = ReviewEngine::default();
    let d = "warheads.deployed_strategic";
    file(
        &mut e,
        10,
        vec![
            bound(d, "xaa-2026", "deployed_warheads", 120, TRUE_BLINDING),
            bound(
                "warheads.total",
                "xaa-2026",
                "deployed_warheads",
                120,
                TRUE_BLINDING,
            ),
            bound(
                "warheads.reserve",
                "xaa-2026",
                "deployed_warheads",
                100,
                TRUE_BLINDING,
            ),
            bound(
                "warheads.awaiting_dismantlement",
                "xaa-2026",
                "grams_pu",
                5,
                TRUE_BLINDING,
            ),
            bound(
                "delivery_vehicles.slbm",
                "xaa-1999",
                "deployed_warheads",
                40,
                TRUE_BLINDING,
            ),
            bound(
                "delivery_vehicles.launchers",
                "xab-2026",
                "deployed_warheads",
                120,
                TRUE_BLINDING,
            ),
            bound(
                "delivery_vehicles.icbm",
                "xaa-2026",
                "deployed_warheads",
                0,
                &"0b".repeat(32),
            ),
        ],
    );
    let checks = totals::check_cycle(&e, 2026, &table());
    let verdicts: Vec<(&str, Verdict)> = checks
        .iter()
        .map(|c| (c.field.as_str(), c.verdict))
        .collect();
    assert_eq!(
        verdicts,
        [
            (d, Verdict::Verified),
            // The opening verifies and gives 120; the report says 225.
            ("warheads.total", Verdict::ReportedTotalDisagrees),
            // Opened with the report's 100 instead of the committed 120.
            ("warheads.reserve", Verdict::TotalOpeningInvalid),
            (
                "warheads.awaiting_dismantlement",
                Verdict::TotalOpeningInvalid
            ),
            ("delivery_vehicles.slbm", Verdict::DeclarationUnknown),
            (
                "delivery_vehicles.launchers",
                Verdict::DeclarationOfAnotherState
            ),
            ("delivery_vehicles.icbm", Verdict::TotalOpeningInvalid),
        ]
    );
    let ok = &checks[0];
    assert!(
        !ok.finding && ok.message.ends_with("bound and verified"),
        "{}",
        ok.message
    );
    assert_eq!((ok.reported, ok.opened, ok.unit), (120, 120, "warheads"));
    let off = &checks[1];
    assert!(off.finding);
    assert_eq!((off.reported, off.opened), (225, 120));
    assert!(
        off.message
            .contains("XAA reports warheads.total = 225 warheads")
            && off.message.contains("is 120")
            && off.message.contains("gives 120, not 225"),
        "{}",
        off.message
    );
    // Citations: the report, then the commitment, by leaf, event and time.
    let kinds = |i: usize| {
        checks[i]
            .events
            .iter()
            .map(|c| (c.kind, c.leaf.0))
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(0), [("review.report", 10), ("escrow.commit", 1)]);
    assert_eq!(kinds(1), [("review.report", 10), ("escrow.commit", 1)]);
    assert_eq!(kinds(4), [("review.report", 10)]);
    assert_eq!(kinds(5), [("review.report", 10), ("escrow.commit", 2)]);
    assert!(
        checks[3].message.contains("grams_pu"),
        "{}",
        checks[3].message
    );
    assert!(
        checks[5].message.contains("which XAB committed"),
        "{}",
        checks[5].message
    );
    let j = serde_json::to_value(&checks[1]).unwrap();
    assert_eq!(j["verdict"], "reported_total_disagrees");
    assert_eq!(j["events"][1]["event"], "xaa-2026-official:1:0");
    assert_eq!(j["events"][0]["time"], "2026-05-12T09:00:00Z");
}

#[test]
fn every_revision_is_checked_in_log_order() {
    let mut e = ReviewEngine::default();
    let d = "warheads.deployed_strategic";
    file(
        &mut e,
        7,
        vec![bound(
            d,
            "xaa-2026",
            "deployed_warheads",
            120,
            TRUE_BLINDING,
        )],
    );
    file(&mut e, 9, vec![]);
    file(
        &mut e,
        12,
        vec![bound(
            d,
            "xaa-2026",
            "deployed_warheads",
            120,
            &"0c".repeat(32),
        )],
    );
    let checks = totals::check_state(&e, code("XAA"), 2026, &table());
    let seen: Vec<(u32, Verdict)> = checks.iter().map(|c| (c.revision, c.verdict)).collect();
    assert_eq!(
        seen,
        [(1, Verdict::Verified), (3, Verdict::TotalOpeningInvalid)]
    );
    assert_eq!(totals::check_cycle(&e, 2026, &table()), checks);
    assert!(totals::check_cycle(&e, 2020, &table()).is_empty());
}

#[test]
fn the_summary_lists_the_bindings_when_the_escrow_record_is_given() {
    use custodian_review::summary;
    let mut e = ReviewEngine::default();
    file(
        &mut e,
        3,
        vec![
            bound(
                "warheads.deployed_strategic",
                "xaa-2026",
                "deployed_warheads",
                120,
                TRUE_BLINDING,
            ),
            bound(
                "warheads.total",
                "xaa-2026",
                "deployed_warheads",
                120,
                TRUE_BLINDING,
            ),
        ],
    );
    let nws: Vec<StateCode> = Vec::new();
    let t = table();
    let s = summary::build(&e, 2026, &nws, &[], Some(&t), None).unwrap();
    let j = summary::json(&s);
    let verdicts: Vec<&str> = j["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["verified", "reported_total_disagrees"]);
    let md = summary::markdown(&s);
    assert!(
        md.contains("## Reported totals bound to committed totals"),
        "{md}"
    );
    assert!(
        md.contains("bound and verified") && md.contains("FINDING reported_total_disagrees"),
        "{md}"
    );
    let html = summary::html(&s);
    assert!(html.contains("reported_total_disagrees") && html.contains("bound and verified"));
}
