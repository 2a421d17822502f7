//! Balance sequences read from the material accounts: one MBA (`XBB1`) with
//! an inventory KMP `A`, receipts at KMP `1` and shipments at KMP `2`, four
//! closed takings (31 Jan, 28 Feb, 31 Mar, 30 Apr: three balances), and a
//! loss in March. Each balance's MUF is checked against the MBR of its
//! period (the oracle), converted to kilograms.

mod material_scenario;

use custodian_accountancy::evaluate::EvaluateOptions;
use custodian_accountancy::ledger_balances::{
    balance_sequence, evaluate_ledger, BalanceQuantity, FindingKind, LedgerBalancesError,
};
use custodian_accountancy::{material_balance_report, Accounts, Binding, Period};
use custodian_core::event::MbaCode;
use custodian_core::{Date, Event, TreeSize};
use custodian_ledger::checkpoint::{sign_checkpoint, Checkpoint};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::Hash;
use material_scenario::{event, leaves, registrations};
use serde_json::json;

fn xbb1() -> MbaCode {
    MbaCode::parse("XBB1").unwrap()
}

fn binding(size: u64) -> Binding {
    let origin = "custodian.test/ledger-balances";
    let key = SigningKey::from_seed(origin, [9; 32]).unwrap();
    let checkpoint = Checkpoint::new(origin, TreeSize(size), Hash([size as u8; 32])).unwrap();
    let note = sign_checkpoint(&checkpoint, &key);
    Binding::from_checkpoint(&checkpoint, &note).unwrap()
}

/// The month ends of the takings, and the loss (g U) taken in March.
const MONTHS: [&str; 4] = ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"];

/// The events: a receipt of 100 kg U a month, a shipment of 90 kg U (from
/// February), a taking at each month end holding the book less `loss_grams`
/// from March on; measurements at the KMPs in `measured`.
fn events(takings: usize, loss_grams: f64, measured: &[&str]) -> Vec<Event> {
    let mut out = registrations();
    let mut stock = 0.0;
    for (m, end) in MONTHS.iter().enumerate().take(takings) {
        let day = |d: &str| format!("{}-{d}T10:00:00Z", &end[..7]);
        out.push(event(
            &format!("rd-{m}"),
            &day("05"),
            "material.inventory_change",
            json!({"mba": "XBB1", "batch": format!("R{m}"), "code": "RD",
                   "counterpart_mba": "XCC9", "element": "U", "element_grams": 100000.0,
                   "isotope_grams": 4000.0, "material_category": "leu",
                   "isotope": "U-235", "kmp": "1"}),
        ));
        stock += 100000.0;
        if m > 0 {
            out.push(event(
                &format!("sd-{m}"),
                &day("15"),
                "material.inventory_change",
                json!({"mba": "XBB1", "batch": format!("R{}", m - 1), "code": "SD",
                       "counterpart_mba": "XCC9", "element": "U", "element_grams": 90000.0,
                       "isotope_grams": 3600.0, "kmp": "2"}),
            ));
            stock -= 90000.0;
        }
        if m == 2 {
            stock -= loss_grams;
        }
        out.push(event(
            &format!("pi-{m}"),
            &format!("{end}T16:00:00Z"),
            "material.physical_inventory",
            json!({"mba": "XBB1", "batch": "STORE", "element": "U",
                   "element_grams": stock, "isotope_grams": stock * 0.04, "kmp": "A"}),
        ));
        out.push(event(
            &format!("pit-{m}"),
            &format!("{end}T17:00:00Z"),
            "material.inventory_taking",
            json!({"mba": "XBB1", "pit_date": end, "line_count": 1}),
        ));
    }
    for kmp in measured {
        out.push(event(
            &format!("ms-{}", kmp.to_lowercase()),
            "2026-05-02T11:00:00Z",
            "material.measurement",
            json!({"mba": "XBB1", "kmp": kmp, "batch": "STORE", "element": "U",
                   "element_grams": 1000.0, "rsd_random": 0.001, "rsd_systematic": 0.0005}),
        ));
    }
    out
}

fn accounts(events: &[Event]) -> Accounts {
    Accounts::new().replay(leaves(events)).unwrap()
}

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

#[test]
fn each_balance_muf_is_the_mbr_ba_minus_pe_of_its_period() {
    let events = events(4, 2500.0, &["A", "1", "2"]);
    let accounts = accounts(&events);
    let binding = binding(events.len() as u64);
    for quantity in [BalanceQuantity::Element, BalanceQuantity::U235] {
        let sequence = balance_sequence(&accounts, &xbb1(), quantity).unwrap();
        assert_eq!(sequence.periods.len(), 3);
        assert_eq!(sequence.inputs.len(), 1);
        assert_eq!(sequence.outputs.len(), 1);
        assert_eq!(sequence.inventories.len(), 1);
        let ledger = evaluate_ledger(
            &accounts,
            &xbb1(),
            quantity,
            0.05,
            &EvaluateOptions::default(),
        )
        .unwrap();
        for (i, p) in sequence.periods.iter().enumerate() {
            let expected_period =
                Period::new(date(MONTHS[i]).plus_days(1), date(MONTHS[i + 1])).unwrap();
            assert_eq!(p.period, expected_period);
            let mbr = material_balance_report(&accounts, &binding, &xbb1(), p.period).unwrap();
            let muf_mg: i128 = mbr
                .balances
                .iter()
                .map(|b| match quantity {
                    BalanceQuantity::Element => b.muf.element_grams.milligrams(),
                    BalanceQuantity::U235 => b.muf.u235_grams.milligrams(),
                })
                .sum();
            let muf_kg = muf_mg as f64 / 1e6;
            assert!(
                (ledger.evaluation.muf[i] - muf_kg).abs() < 1e-9,
                "{quantity:?} balance {}: {} vs MBR {muf_kg}",
                i + 1,
                ledger.evaluation.muf[i]
            );
            assert!(ledger.evaluation.sigma_muf[i] > 0.0);
        }
    }
    let ledger = evaluate_ledger(
        &accounts,
        &xbb1(),
        BalanceQuantity::Element,
        0.05,
        &EvaluateOptions::default(),
    )
    .unwrap();
    assert_eq!(ledger.evaluation.unit, "kg U");
    assert!((ledger.evaluation.muf[1] - 2.5).abs() < 1e-9);
    assert!(ledger.evaluation.muf[0].abs() < 1e-9);
}

#[test]
fn a_large_loss_raises_a_page_alarm_naming_its_balance_with_evidence() {
    let events = events(4, 5000.0, &["A", "1", "2"]);
    let accounts = accounts(&events);
    let ledger = evaluate_ledger(
        &accounts,
        &xbb1(),
        BalanceQuantity::Element,
        0.05,
        &EvaluateOptions::default(),
    )
    .unwrap();
    let h = custodian_accountancy::thresholds::page_threshold(3, 0.5, 0.05).unwrap();
    assert_eq!(ledger.evaluation.page_h, h);
    let page = ledger
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::PageAlarm)
        .expect("a Page alarm");
    assert_eq!(page.balance, 2);
    assert_eq!(page.period.end, date("2026-03-31"));
    assert!(page.statistic > page.threshold);
    let ids: Vec<&str> = page.evidence.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(ids, ["rd-2", "sd-2", "pi-2", "pit-2"]);
    let json = serde_json::to_value(&ledger).unwrap();
    assert_eq!(json["findings"][0]["kind"], "page_alarm");
    assert_eq!(json["balance_periods"].as_array().unwrap().len(), 3);

    // Without a loss, no finding.
    let quiet = accounts_of_events(events_without_loss());
    let ledger = evaluate_ledger(
        &quiet,
        &xbb1(),
        BalanceQuantity::Element,
        0.05,
        &EvaluateOptions::default(),
    )
    .unwrap();
    assert!(ledger.findings.is_empty(), "{:?}", ledger.findings);
}

fn events_without_loss() -> Vec<Event> {
    events(4, 0.0, &["A", "1", "2"])
}

fn accounts_of_events(events: Vec<Event>) -> Accounts {
    accounts(&events)
}

#[test]
fn a_stream_without_measurements_is_an_error_naming_it() {
    let events = events(4, 0.0, &["A", "1"]);
    let err = balance_sequence(&accounts(&events), &xbb1(), BalanceQuantity::Element).unwrap_err();
    match &err {
        LedgerBalancesError::NoMeasurement { kmp, stream, .. } => {
            assert_eq!(kmp.as_str(), "2");
            assert_eq!(stream, "SD at KMP 2");
        }
        other => panic!("{other}"),
    }
    assert!(err
        .to_string()
        .starts_with("no measurement uncertainty recorded for KMP 2 of MBA XBB1"));
}

#[test]
fn fewer_than_two_closed_takings_is_an_error() {
    let events = events(1, 0.0, &["A", "1", "2"]);
    let err = balance_sequence(&accounts(&events), &xbb1(), BalanceQuantity::Element).unwrap_err();
    assert!(
        matches!(err, LedgerBalancesError::TooFewTakings { closed: 1, .. }),
        "{err}"
    );
    let unknown = MbaCode::parse("XZZ9").unwrap();
    assert!(matches!(
        balance_sequence(&accounts(&events), &unknown, BalanceQuantity::Element),
        Err(LedgerBalancesError::UnknownMba(_))
    ));
}
