//! The accounts engine: the small facility of `material_scenario` replayed,
//! its books checked by hand, and every kind of bad input refused with the
//! event and the field, the accounts unchanged (issue 6, "Bad input").

mod material_scenario;

use custodian_accountancy::accounts::{significant_quantities, LineRef};
use custodian_accountancy::detection::Material;
use custodian_accountancy::{Accounts, AccountsError, Quantity};
use custodian_core::event::{
    ChangeCode, CorrectionCode, Counterpart, Element, InventoryChange, MaterialCategory, MbaCode,
};
use custodian_core::{Date, Event, EventId, LeafIndex, Payload};
use material_scenario::{event, leaves, registrations, scenario, u};
use serde_json::{json, Value};

fn mba(code: &str) -> MbaCode {
    MbaCode::parse(code).unwrap()
}

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

fn replayed() -> Accounts {
    let events = scenario();
    Accounts::new().replay(leaves(&events)).unwrap()
}

fn leu(book: &std::collections::BTreeMap<MaterialCategory, Quantity>) -> Quantity {
    book.get(&MaterialCategory::Leu)
        .copied()
        .unwrap_or_default()
}

#[test]
fn the_facility_replays_into_books_computed_by_hand() {
    let accounts = replayed();
    let xbb1 = mba("XBB1");
    assert_eq!(accounts.facilities().count(), 2);
    assert_eq!(accounts.mbas().count(), 2);
    assert_eq!(accounts.mba(&xbb1).unwrap().kmps.len(), 4);
    assert_eq!(accounts.change_lines(&xbb1).count(), 8);

    // Book inventory over time (balance dates: the late discard counts on
    // 2026-01-25, the replacement receipt on 2026-02-20).
    assert_eq!(
        leu(&accounts.book_inventory(&xbb1, date("2026-01-24"))),
        u(150000.0, 6000.0)
    );
    assert_eq!(
        leu(&accounts.book_inventory(&xbb1, date("2026-01-31"))),
        u(149990.0, 5999.6)
    );
    // 149990 − 60000 − 120.5 = 89869.5; 5999.6 − 2400 − 4.82 = 3594.78.
    assert_eq!(
        leu(&accounts.book_inventory(&xbb1, date("2026-02-19"))),
        u(89869.5, 3594.78)
    );
    assert_eq!(
        leu(&accounts.book_inventory(&xbb1, date("2026-03-31"))),
        u(119869.5, 4794.78)
    );
    assert!(accounts
        .book_inventory(&xbb1, date("2025-12-31"))
        .is_empty());

    // The physical inventories.
    assert_eq!(
        leu(&accounts.physical_inventory(&xbb1, date("2026-01-31"))),
        u(149990.0, 5999.6)
    );
    assert_eq!(
        leu(&accounts.physical_inventory(&xbb1, date("2026-03-31"))),
        u(119850.0, 4794.0)
    );
    assert_eq!(accounts.latest_closed_pit(&xbb1), Some(date("2026-03-31")));
    let pit = accounts.pit(&xbb1, date("2026-03-31")).unwrap();
    assert_eq!(pit.declared_line_count, Some(3));
    assert_eq!(pit.closed_by.as_ref().unwrap().event.as_str(), "pit-2");
    let listing: Vec<&str> = accounts
        .inventory_listing(&xbb1, date("2026-03-31"))
        .iter()
        .map(|l| l.by.event.as_str())
        .collect();
    assert_eq!(listing, ["pi-3", "pi-5", "pi-7"]);
    assert_eq!(accounts.pit_lines(&xbb1, date("2026-03-31")).len(), 5);
}

#[test]
fn corrections_are_new_lines_that_point_to_the_line_they_correct() {
    let accounts = replayed();
    let line = |id: &str| match accounts.line(&EventId::parse(id).unwrap()) {
        Some(LineRef::Change(l)) => l.clone(),
        other => panic!("{id}: {other:?}"),
    };
    let wrong = line("ic-5");
    assert!(!wrong.in_effect());
    assert_eq!(wrong.deleted_by.as_ref().unwrap().event.as_str(), "ic-6");
    assert_eq!(wrong.replaced_by.as_ref().unwrap().event.as_str(), "ic-7");
    let deletion = line("ic-6");
    assert_eq!(deletion.correction, Some(CorrectionCode::Delete));
    assert!(!deletion.in_effect());
    // The original date of a correction is the first line's accounting date,
    // and it counts where that line counted.
    assert_eq!(deletion.original_date, Some(date("2026-02-20")));
    let addition = line("ic-7");
    assert!(addition.in_effect());
    assert_eq!(addition.original_date, Some(date("2026-02-20")));
    assert_eq!(addition.balance_date, date("2026-02-20"));
    assert_eq!(addition.accounting_date, date("2026-03-05"));
    let late = line("ic-8");
    assert_eq!(late.original_date, Some(date("2026-01-25")));
    assert_eq!(late.balance_date, date("2026-01-25"));
    // Derived and stated attributes.
    let receipt = line("ic-2");
    assert_eq!(receipt.category, MaterialCategory::Leu, "derived from 4 %");
    assert_eq!(receipt.counterpart, Some(Counterpart::External("W".into())));
    assert_eq!(line("ic-1").code, ChangeCode::Receipt);
    assert_eq!(line("ic-4").code, ChangeCode::DiscardToEnvironment);
}

#[test]
fn batches_and_measurements_are_kept() {
    let accounts = replayed();
    let xbb1 = mba("XBB1");
    let batches: Vec<&str> = accounts.batches(&xbb1).map(|b| b.batch.as_str()).collect();
    assert_eq!(batches, ["B1", "B2", "B3", "W0", "W1"]);
    let b1 = accounts.batches(&xbb1).next().unwrap();
    assert_eq!(b1.first.event.as_str(), "ic-1");
    assert_eq!(b1.form.as_deref(), Some("U2"));
    let measured: Vec<_> = accounts.measurements(&xbb1).collect();
    assert_eq!(measured.len(), 1);
    assert!(measured[0].batch_known);

    // An inspector's measurement of a batch no line names is evidence: kept.
    let mut accounts = accounts;
    let undeclared = event(
        "ms-2",
        "2026-04-03T11:00:00Z",
        "material.measurement",
        json!({
        "mba": "XBB1", "kmp": "A", "batch": "UNDECLARED-7", "element": "U",
        "element_grams": 812.0, "rsd_random": 0.01, "rsd_systematic": 0.005}),
    );
    accounts.apply(LeafIndex(100), &undeclared).unwrap();
    assert!(!accounts.measurements(&xbb1).last().unwrap().batch_known);
}

#[test]
fn significant_quantities_follow_the_table() {
    // LEU counts U-235 at 75 kg.
    let shares = significant_quantities(MaterialCategory::Leu, &u(119850.0, 4794.0));
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].material, Material::LowEnrichedUranium);
    assert!((shares[0].fraction - 4794.0 / 75_000.0).abs() < 1e-15);
    // Pu 8 kg element; HEU 25 kg U-235 (+ U-233 at 8 kg); natural U 10 t;
    // depleted U 20 t; Th 20 t.
    let pu = Quantity {
        element_grams: material_scenario::g(4000.0),
        ..Quantity::ZERO
    };
    assert_eq!(
        significant_quantities(MaterialCategory::Pu, &pu)[0].fraction,
        0.5
    );
    let mut heu = u(60000.0, 50000.0);
    heu.u233_grams = material_scenario::g(2000.0);
    let shares = significant_quantities(MaterialCategory::Heu, &heu);
    assert_eq!(shares[0].fraction, 2.0);
    assert_eq!(shares[1].material, Material::Uranium233);
    assert_eq!(shares[1].fraction, 0.25);
    let nat = Quantity {
        element_grams: material_scenario::g(5_000_000.0),
        ..Quantity::ZERO
    };
    assert_eq!(
        significant_quantities(MaterialCategory::Natural, &nat)[0].fraction,
        0.5
    );
    assert_eq!(
        significant_quantities(MaterialCategory::Depleted, &nat)[0].fraction,
        0.25
    );
    assert_eq!(
        significant_quantities(MaterialCategory::Th, &nat)[0].fraction,
        0.25
    );
}

/// Applies `bad` at the end of the scenario: it must be refused naming
/// `id` and `field`, with a message containing `says`, and change nothing.
fn refused(bad: &Event, field: &str, says: &str) -> AccountsError {
    let mut accounts = replayed();
    let before = format!("{accounts:?}");
    let err = accounts.apply(LeafIndex(100), bad).unwrap_err();
    assert_eq!(err.event(), &bad.id, "{err}");
    assert_eq!(err.field(), field, "{err}");
    let text = err.to_string();
    assert!(text.contains(says), "{text:?} should contain {says:?}");
    assert!(
        text.starts_with(&format!("event {}: field {field}: ", bad.id)),
        "{text}"
    );
    assert_eq!(format!("{accounts:?}"), before, "nothing applied");
    err
}

/// An event whose payload is built in code, past the parser's checks.
fn unchecked(id: &str, payload: Payload) -> Event {
    let mut e = event(
        id,
        "2026-04-05T10:00:00Z",
        "material.inventory_change",
        receipt_json(),
    );
    e.payload = payload;
    e
}

fn receipt_json() -> Value {
    json!({"mba": "XBB1", "batch": "B9", "code": "RD", "counterpart_mba": "XCC9",
           "element": "U", "element_grams": 1000.0, "isotope_grams": 40.0})
}

fn receipt(changes: &[(&str, Value)]) -> Value {
    let mut v = receipt_json();
    for (k, x) in changes {
        if x.is_null() {
            v.as_object_mut().unwrap().remove(*k);
        } else {
            v[*k] = x.clone();
        }
    }
    v
}

/// An inventory change whose payload is typed but not checked: the engine
/// must refuse what the parser would.
fn change(id: &str, payload: Value) -> Event {
    let typed: InventoryChange = serde_json::from_value(payload).unwrap();
    unchecked(id, Payload::InventoryChange(typed))
}

fn with(f: impl FnOnce(&mut InventoryChange)) -> Payload {
    let Payload::InventoryChange(mut p) = change("x", receipt_json()).payload else {
        unreachable!()
    };
    f(&mut p);
    Payload::InventoryChange(p)
}

#[test]
fn negative_and_non_finite_masses_are_refused() {
    for (id, grams) in [
        ("bad-neg", -1.0),
        ("bad-nan", f64::NAN),
        ("bad-inf", f64::INFINITY),
    ] {
        let bad = unchecked(id, with(|p| p.element_grams = grams));
        refused(
            &bad,
            "payload.element_grams",
            "expected a finite, non-negative mass in grams",
        );
    }
    let bad = unchecked("bad-iso", with(|p| p.isotope_grams = Some(-0.5)));
    refused(&bad, "payload.isotope_grams", "non-negative");
    let bad = unchecked("bad-decimals", with(|p| p.element_grams = 1000.0005));
    refused(&bad, "payload.element_grams", "at most three decimals");
    let bad = unchecked("bad-above", with(|p| p.isotope_grams = Some(1000.5)));
    refused(&bad, "payload.isotope_grams", "at most the element weight");
    // The parser refuses the same payloads, naming the field for the CLI's
    // file:line (a negative mass; JSON has no NaN).
    let err = Event::from_json(json!({"v": 1, "id": "e", "time": "2026-04-05T10:00:00Z",
        "actor": "a", "kind": "material.inventory_change",
        "payload": receipt(&[("element_grams", json!(-1))])}))
    .unwrap_err();
    assert_eq!(err.field, "payload.element_grams");
}

#[test]
fn unknown_codes_are_refused() {
    let bad = unchecked("bad-code", with(|p| p.code = "LD".into()));
    let err = refused(&bad, "payload.code", "unknown inventory change code \"LD\"");
    assert!(err.to_string().contains("is TE"), "{err}");
    let bad = unchecked("bad-ba", with(|p| p.code = "BA".into()));
    refused(&bad, "payload.code", "report line");
    let err = Event::from_json(json!({"v": 1, "id": "e", "time": "2026-04-05T10:00:00Z",
        "actor": "a", "kind": "material.inventory_change",
        "payload": receipt(&[("code", json!("XX"))])}))
    .unwrap_err();
    assert_eq!(err.field, "payload.code");
    // Closed lists are enforced per field: MP is a form and a code.
    let err = Event::from_json(json!({"v": 1, "id": "e", "time": "2026-04-05T10:00:00Z",
        "actor": "a", "kind": "material.inventory_change",
        "payload": receipt(&[("form", json!("ZZ"))])}))
    .unwrap_err();
    assert_eq!(err.field, "payload.form");
    for (member, value) in [
        ("measurement_basis", json!("Q")),
        ("material_category", json!("weapons")),
        ("isotope", json!("U-238")),
        ("correction", json!("X")),
    ] {
        let err = Event::from_json(json!({"v": 1, "id": "e", "time": "2026-04-05T10:00:00Z",
            "actor": "a", "kind": "material.inventory_change",
            "payload": receipt(&[(member, value)])}))
        .unwrap_err();
        assert_eq!(err.field, format!("payload.{member}"), "{err}");
    }
}

#[test]
fn shipments_from_or_to_unknown_mbas_are_refused() {
    let bad = change(
        "bad-mba",
        receipt(&[("mba", json!("XZZ1")), ("code", json!("SD"))]),
    );
    refused(&bad, "payload.mba", "unknown MBA XZZ1");
    let bad = change("bad-from", receipt(&[("counterpart_mba", json!("XQQ1"))]));
    let err = refused(&bad, "payload.counterpart_mba", "unknown MBA XQQ1");
    assert!(err.to_string().contains("EXT:<code>"), "{err}");
    // A receipt needs its shipper; a discard has none.
    let bad = unchecked("bad-none", with(|p| p.counterpart_mba = None));
    refused(&bad, "payload.counterpart_mba", "expected counterpart_mba");
    let bad = unchecked(
        "bad-self",
        with(|p| p.counterpart_mba = Some("XBB1".into())),
    );
    refused(&bad, "payload.counterpart_mba", "other than XBB1");
    let bad = unchecked("bad-te", with(|p| p.code = "TE".into()));
    refused(&bad, "payload.counterpart_mba", "only RD, RF, SD and SF");
    // An MBA of an unregistered facility.
    let bad = event(
        "bad-fac",
        "2026-04-05T10:00:00Z",
        "mba.register",
        json!({
        "mba": "XDD1", "facility": "nowhere-1", "name": "x", "kmps": []}),
    );
    refused(&bad, "payload.facility", "unknown facility nowhere-1");
    let bad = event(
        "bad-dup",
        "2026-04-05T10:00:00Z",
        "mba.register",
        json!({
        "mba": "XBB1", "facility": "xbb-fuel-fab-1", "name": "x", "kmps": []}),
    );
    refused(&bad, "payload.mba", "MBA XBB1 already exists (event mba-1)");
    // KMPs: declared, and of the right kind.
    let bad = change("bad-kmp", receipt(&[("kmp", json!("9"))]));
    refused(
        &bad,
        "payload.kmp",
        "unknown KMP of MBA XBB1 9; expected one of A, 1, 2, 3",
    );
    let bad = change("bad-kind", receipt(&[("kmp", json!("A"))]));
    refused(&bad, "payload.kmp", "expected a flow KMP");
}

#[test]
fn a_physical_inventory_listing_whose_line_count_does_not_match_is_refused() {
    let mut accounts = Accounts::new().replay(leaves(&registrations())).unwrap();
    for (i, batch) in ["P1", "P2"].iter().enumerate() {
        let line = event(
            &format!("pl-{i}"),
            "2026-06-30T16:00:00Z",
            "material.physical_inventory",
            json!({"mba": "XBB1", "batch": batch, "element": "Pu", "element_grams": 10.0}),
        );
        accounts.apply(LeafIndex(10 + i as u64), &line).unwrap();
    }
    let before = format!("{accounts:?}");
    let close = |id: &str, n: u32| {
        event(
            id,
            "2026-07-01T09:00:00Z",
            "material.inventory_taking",
            json!({"mba": "XBB1", "pit_date": "2026-06-30", "line_count": n}),
        )
    };
    let err = accounts
        .apply(LeafIndex(20), &close("bad-count", 3))
        .unwrap_err();
    assert!(
        matches!(
            err,
            AccountsError::LineCount {
                declared: 3,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.field(), "payload.line_count");
    assert_eq!(
        err.to_string(),
        "event bad-count: field payload.line_count: expected 2 (the lines in effect in the physical inventory listing of MBA XBB1 at 2026-06-30), found 3"
    );
    assert_eq!(format!("{accounts:?}"), before);
    accounts
        .apply(LeafIndex(21), &close("good-count", 2))
        .unwrap();
    // Closed: a second closing, and a plain line for it, are refused.
    let before = format!("{accounts:?}");
    let err = accounts
        .apply(LeafIndex(22), &close("again", 2))
        .unwrap_err();
    assert_eq!(err.field(), "payload.pit_date");
    let late = event(
        "pl-late",
        "2026-07-02T09:00:00Z",
        "material.physical_inventory",
        json!({"mba": "XBB1", "batch": "P3", "element": "Pu", "element_grams": 1.0,
               "pit_date": "2026-06-30"}),
    );
    let err = accounts.apply(LeafIndex(23), &late).unwrap_err();
    assert_eq!(err.field(), "payload.correction");
    assert!(err.to_string().contains("a correction (L or A)"), "{err}");
    assert_eq!(format!("{accounts:?}"), before);
    // As a late line it is accepted, and the listing grows.
    let mut late_json = late.to_json();
    late_json["payload"]["correction"] = json!("L");
    accounts
        .apply(LeafIndex(24), &Event::from_json(late_json).unwrap())
        .unwrap();
    assert_eq!(
        accounts
            .inventory_listing(&mba("XBB1"), date("2026-06-30"))
            .len(),
        3
    );
    // An empty MBA closes with zero lines.
    let empty = event(
        "pit-empty",
        "2026-07-01T09:00:00Z",
        "material.inventory_taking",
        json!({"mba": "XCC9", "pit_date": "2026-06-30", "line_count": 0}),
    );
    accounts.apply(LeafIndex(25), &empty).unwrap();
}

#[test]
fn corrections_that_point_nowhere_or_to_corrected_lines_are_refused() {
    let corrects = |id: &str, code: &str, target: &str, grams: f64, iso: f64| {
        change(
            id,
            receipt(&[
                ("batch", json!("B3")),
                ("element_grams", json!(grams)),
                ("isotope_grams", json!(iso)),
                ("correction", json!(code)),
                ("corrects", json!({"event": target})),
            ]),
        )
    };
    let bad = corrects("bad-nowhere", "D", "no-such-event", 3000.0, 120.0);
    refused(&bad, "payload.corrects.event", "unknown line no-such-event");
    let bad = corrects("bad-again", "D", "ic-5", 3000.0, 120.0);
    refused(
        &bad,
        "payload.corrects.event",
        "already deleted by event ic-6",
    );
    let bad = corrects("bad-twice", "A", "ic-5", 30000.0, 1200.0);
    refused(
        &bad,
        "payload.corrects.event",
        "already replaced by event ic-7",
    );
    let bad = corrects("bad-a-alone", "A", "ic-3", 30000.0, 1200.0);
    refused(
        &bad,
        "payload.corrects.event",
        "a line deleted by an earlier D line",
    );
    let bad = corrects("bad-of-d", "D", "ic-6", 3000.0, 120.0);
    refused(&bad, "payload.corrects.event", "a D line");
    let bad = corrects("bad-kind", "D", "pi-1", 3000.0, 120.0);
    refused(&bad, "payload.corrects.event", "a physical inventory line");
    // A deletion repeats the line it deletes.
    let bad = corrects("bad-repeat", "D", "ic-7", 30001.0, 1200.0);
    let err = refused(
        &bad,
        "payload.element_grams",
        "as in the line being deleted (event ic-7)",
    );
    assert!(err.to_string().contains("expected 30000"), "{err}");
    // D and A name their line; a plain line names none.
    let bad = unchecked(
        "bad-d",
        with(|p| p.correction = Some(CorrectionCode::Delete)),
    );
    refused(&bad, "payload.corrects", "expected corrects");
    let bad = unchecked("bad-l", with(|p| p.correction = Some(CorrectionCode::Late)));
    refused(&bad, "payload.original_date", "expected original_date");
    // A late line records a past change.
    let bad = change(
        "bad-future",
        receipt(&[
            ("correction", json!("L")),
            ("original_date", json!("2026-05-01")),
        ]),
    );
    refused(
        &bad,
        "payload.original_date",
        "on or before the event's date 2026-04-05",
    );
}

#[test]
fn a_plain_line_for_a_closed_balance_period_is_refused() {
    let bad = event(
        "bad-closed",
        "2026-03-20T10:00:00Z",
        "material.inventory_change",
        receipt_json(),
    );
    refused(&bad, "payload.correction", "a late line (correction L)");
    // An MF adjustment refers to a closed taking and comes after it.
    let mf = |id: &str, time: &str, pit: &str| {
        event(
            id,
            time,
            "material.inventory_change",
            json!({
        "mba": "XBB1", "batch": "MUF-2026-03", "code": "MF", "direction": "decrease",
        "material_category": "leu", "element": "U", "element_grams": 19.5,
        "isotope_grams": 0.78, "pit_date": pit}),
        )
    };
    refused(
        &mf("bad-mf-pit", "2026-04-05T10:00:00Z", "2026-02-28"),
        "payload.pit_date",
        "unknown closed physical inventory taking of MBA XBB1",
    );
    let mut accounts = replayed();
    accounts
        .apply(
            LeafIndex(100),
            &mf("mf-1", "2026-04-05T10:00:00Z", "2026-03-31"),
        )
        .unwrap();
    // After the MF the book at the taking equals the physical inventory.
    assert_eq!(
        leu(&accounts.book_inventory(&mba("XBB1"), date("2026-03-31"))),
        u(119850.0, 4794.0)
    );
}

#[test]
fn uncertainties_above_100_percent_are_refused() {
    let measurement = |id: &str, random: f64| {
        let mut e = event(
            id,
            "2026-04-05T10:00:00Z",
            "material.measurement",
            json!({"mba": "XBB1", "kmp": "A", "batch": "B1", "element": "U",
                   "element_grams": 39985.0, "rsd_random": 0.002, "rsd_systematic": 0.001}),
        );
        if let Payload::Measurement(m) = &mut e.payload {
            m.rsd_random = random;
        }
        e
    };
    for (id, rsd) in [
        ("bad-rsd", 1.5),
        ("bad-rsd-neg", -0.1),
        ("bad-rsd-nan", f64::NAN),
    ] {
        refused(
            &measurement(id, rsd),
            "payload.rsd_random",
            "between 0 and 1 (100 %)",
        );
    }
    let err = Event::from_json(json!({"v": 1, "id": "e", "time": "2026-04-05T10:00:00Z",
        "actor": "a", "kind": "material.measurement",
        "payload": {"mba": "XBB1", "kmp": "A", "batch": "B1", "element": "U",
                    "element_grams": 1.0, "rsd_random": 0.01, "rsd_systematic": 1.01}}))
    .unwrap_err();
    assert_eq!(err.field, "payload.rsd_systematic");
    // A measurement names a declared KMP.
    let bad = event(
        "bad-ms-kmp",
        "2026-04-05T10:00:00Z",
        "material.measurement",
        json!({"mba": "XBB1", "kmp": "Z", "batch": "B1", "element": "U",
               "element_grams": 1.0, "rsd_random": 0.01, "rsd_systematic": 0.01}),
    );
    refused(&bad, "payload.kmp", "unknown KMP of MBA XBB1 Z");
}

#[test]
fn categories_isotopes_and_code_members_are_checked() {
    let bad = change("bad-heu", receipt(&[("material_category", json!("heu"))]));
    refused(
        &bad,
        "payload.material_category",
        "expected an enrichment of 20 % or more for heu",
    );
    let bad = change(
        "bad-leu",
        receipt(&[
            ("isotope_grams", json!(300.0)),
            ("material_category", json!("leu")),
        ]),
    );
    refused(&bad, "payload.material_category", "expected heu");
    let bad = change("bad-pu", receipt(&[("material_category", json!("pu"))]));
    refused(
        &bad,
        "payload.material_category",
        "expected a category of element U",
    );
    let bad = change("bad-nat", receipt(&[("isotope_grams", Value::Null)]));
    refused(&bad, "payload.material_category", "not classified by guess");
    let bad = change(
        "bad-enr",
        receipt(&[
            ("isotope_grams", Value::Null),
            ("material_category", json!("leu")),
        ]),
    );
    refused(
        &bad,
        "payload.isotope_grams",
        "fissile isotope weight of enriched uranium",
    );
    let bad = change("bad-pu-iso", receipt(&[("element", json!("Pu"))]));
    refused(
        &bad,
        "payload.isotope_grams",
        "plutonium is counted as element",
    );
    let bad = change(
        "bad-nm",
        receipt(&[
            ("code", json!("NM")),
            ("counterpart_mba", Value::Null),
            ("material_category", json!("leu")),
        ]),
    );
    refused(&bad, "payload.direction", "expected direction");
    let bad = change("bad-dir", receipt(&[("direction", json!("decrease"))]));
    refused(&bad, "payload.direction", "fixed by the code");
    let bad = change(
        "bad-ce",
        receipt(&[
            ("code", json!("CE")),
            ("counterpart_mba", Value::Null),
            ("material_category", json!("leu")),
        ]),
    );
    refused(
        &bad,
        "payload.previous_category",
        "expected previous_category",
    );
    let bad = change(
        "bad-rb",
        receipt(&[("code", json!("RB")), ("counterpart_mba", Value::Null)]),
    );
    refused(&bad, "payload.previous_batch", "expected previous_batch");
    let bad = change("bad-items", receipt(&[("items", json!(1_000_000))]));
    refused(&bad, "payload.items", "at most 999999");
    let bad = change("bad-line", receipt(&[("line", json!("ICR-2026-01/1"))]));
    refused(
        &bad,
        "payload.line",
        "line reference \"ICR-2026-01/1\" in MBA XBB1 already exists (event ic-1)",
    );
}

#[test]
fn category_changes_move_material_between_categories() {
    let mut accounts = replayed();
    // 1000 g of natural U received, then enriched: 100 g of it becomes LEU.
    let events = [
        change(
            "nat-1",
            json!({"mba": "XBB1", "batch": "N1", "code": "RD", "counterpart_mba": "EXT:CAN",
            "element": "U", "element_grams": 1000.0, "material_category": "natural"}),
        ),
        change(
            "ce-1",
            json!({"mba": "XBB1", "batch": "N1", "code": "CE", "element": "U",
            "element_grams": 100.0, "isotope_grams": 4.0, "material_category": "leu",
            "previous_category": "natural"}),
        ),
    ];
    for (i, e) in events.iter().enumerate() {
        accounts.apply(LeafIndex(100 + i as u64), e).unwrap();
    }
    let book = accounts.book_inventory(&mba("XBB1"), date("2026-04-05"));
    assert_eq!(
        book[&MaterialCategory::Natural].element_grams,
        material_scenario::g(900.0)
    );
    // Natural uranium is balanced in element weight only.
    assert_eq!(
        book[&MaterialCategory::Natural].u235_grams,
        material_scenario::g(0.0)
    );
    assert_eq!(book[&MaterialCategory::Leu], u(119969.5, 4798.78));
}

#[test]
fn the_ledger_demo_material_events_stay_valid() {
    // crates/custodian/scenarios/ledger-demo.json: its material events must
    // keep parsing (v1 compatibility), and with the registrations the demo
    // should add (FORMATS.md §3.1) they fit the accounts.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../custodian/scenarios/ledger-demo.json"
    ))
    .unwrap();
    let demo: Value = serde_json::from_str(&text).unwrap();
    let mut material = Vec::new();
    for s in demo["submissions"].as_array().unwrap() {
        for (i, e) in s["events"].as_array().unwrap().iter().enumerate() {
            let kind = e["kind"].as_str().unwrap();
            if !kind.starts_with("material.") {
                continue;
            }
            let parsed =
                Event::from_json(json!({"v": 1, "id": format!("demo-{}-{i}", material.len()),
                "time": e["time"], "actor": s["actor"], "kind": kind, "payload": e["payload"]}))
                .unwrap_or_else(|err| panic!("{kind}: {err}"));
            material.push(parsed);
        }
    }
    assert_eq!(material.len(), 3);
    // Refused as they stand: their MBA is not registered.
    let err = Accounts::new()
        .apply(LeafIndex(0), &material[0])
        .unwrap_err();
    assert_eq!(err.field(), "payload.mba");
    let mut with_registrations = vec![
        event(
            "reg-1",
            "2026-01-06T10:00:00Z",
            "facility.register",
            json!({
            "facility": "xbb-fuel-fab-1", "name": "Fuel Fabrication Plant 1",
            "state": "XBB", "facility_type": "fuel_fabrication"}),
        ),
        event(
            "reg-2",
            "2026-01-06T10:00:00Z",
            "mba.register",
            json!({
            "mba": "XBB1", "facility": "xbb-fuel-fab-1", "name": "Fuel Fabrication Plant 1",
            "kmps": [{"kmp": "A", "kind": "inventory", "description": "UO2 store"}]}),
        ),
        event(
            "reg-3",
            "2026-01-06T10:00:00Z",
            "facility.register",
            json!({
            "facility": "xcc-conversion-1", "name": "Conversion Plant 1",
            "state": "XCC", "facility_type": "conversion"}),
        ),
        event(
            "reg-4",
            "2026-01-06T10:00:00Z",
            "mba.register",
            json!({
            "mba": "XCC9", "facility": "xcc-conversion-1", "name": "Conversion Plant 1", "kmps": []}),
        ),
    ];
    with_registrations.extend(material);
    let accounts = Accounts::new().replay(leaves(&with_registrations)).unwrap();
    let xbb1 = mba("XBB1");
    assert_eq!(
        leu(&accounts.book_inventory(&xbb1, date("2026-01-08"))),
        u(250000.0, 10500.0)
    );
    assert_eq!(
        leu(&accounts.physical_inventory(&xbb1, date("2026-01-08"))),
        u(249980.0, 10499.2)
    );
    assert_eq!(accounts.measurements(&xbb1).count(), 1);
    assert_eq!(
        accounts.change_lines(&xbb1).next().unwrap().element,
        Element::U
    );
}
