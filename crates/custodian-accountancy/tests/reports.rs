//! ICR, PIL and MBR of the small facility of `material_scenario`, every
//! figure computed by hand:
//!
//! | period | lines (U g / U-235 g) |
//! |---|---|
//! | January | RD 100000/4000 (ic-1), RD 50000/2000 (ic-2); PIT 31 Jan: 99990/3999.6 + 50000/2000 |
//! | February | SD 60000/2400 (ic-3), TE 120.5/4.82 (ic-4), RD 3000/120 (ic-5, a typo) |
//! | March | D of ic-5 (ic-6), A 30000/1200 (ic-7), L: TE 10/0.4 of 25 Jan (ic-8); PIT 31 Mar: 39980/1599.2 + 29890/1195.6 + 49980/1999.2 (after D/A of 49890/1995.6) |
//!
//! MBR January (with the late line): PB 0, RD 150000/6000, TE 10/0.4,
//! BA 149990/5999.6, PE 149990/5999.6, MF 0. MBR February–March: PB
//! 149990/5999.6, RD 30000/1200, SD 60000/2400, TE 120.5/4.82, BA
//! 119869.5/4794.78, PE 119850/4794, MF −19.5/−0.78 (MUF 19.5/0.78).

mod material_scenario;

use custodian_accountancy::detection::Material;
use custodian_accountancy::reports::{MbrLineKind, SIGN_CONVENTION};
use custodian_accountancy::{
    inventory_change_report, material_balance_report, physical_inventory_listing, Accounts,
    Binding, Period, Quantity, ReportError,
};
use custodian_core::event::{ChangeCode, MaterialCategory, MbaCode};
use custodian_core::{Date, TreeSize};
use custodian_ledger::checkpoint::{sign_checkpoint, Checkpoint};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::Hash;
use material_scenario::{g, leaf_of, leaves, scenario, u};

const ORIGIN: &str = "custodian.test/accounts";

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

fn period(start: &str, end: &str) -> Period {
    Period::new(date(start), date(end)).unwrap()
}

fn xbb1() -> MbaCode {
    MbaCode::parse("XBB1").unwrap()
}

/// A signed checkpoint of `size` leaves (the root is a stand-in: binding
/// checks that the note holds the checkpoint, not the tree).
fn binding(size: u64) -> Binding {
    let key = SigningKey::from_seed(ORIGIN, [7; 32]).unwrap();
    let checkpoint = Checkpoint::new(ORIGIN, TreeSize(size), Hash([size as u8; 32])).unwrap();
    let note = sign_checkpoint(&checkpoint, &key);
    Binding::from_checkpoint(&checkpoint, &note).unwrap()
}

/// The accounts after the first `leaves` leaves, with their binding.
fn at(size: usize) -> (Accounts, Binding) {
    let events = scenario();
    let accounts = Accounts::new().replay(leaves(&events[..size])).unwrap();
    (accounts, binding(size as u64))
}

fn everything() -> (Accounts, Binding) {
    at(scenario().len())
}

#[test]
fn the_icrs_list_the_lines_entered_in_each_month() {
    let (accounts, binding) = everything();
    let icr = inventory_change_report(
        &accounts,
        &binding,
        &xbb1(),
        period("2026-01-01", "2026-01-31"),
    )
    .unwrap();
    assert_eq!(icr.report_type, 'I');
    assert_eq!(icr.facility.as_str(), "xbb-fuel-fab-1");
    assert_eq!(icr.line_count, 2);
    let first = &icr.lines[0];
    assert_eq!((first.line_number, first.event.as_str()), (1, "ic-1"));
    assert_eq!(first.code, ChangeCode::Receipt);
    assert_eq!(first.mba_from.as_deref(), Some("XCC9"));
    assert_eq!(first.mba_to, None);
    assert_eq!(
        (first.element_category, first.isotope, first.measurement),
        ('L', Some('G'), Some('N'))
    );
    assert_eq!(first.material_form.as_deref(), Some("U2"));
    assert_eq!(first.items, Some(10));
    assert_eq!(first.fissile_grams, Some(g(4000.0)));
    assert_eq!(first.line.as_deref(), Some("ICR-2026-01/1"));
    assert_eq!(icr.lines[1].mba_from.as_deref(), Some("W"));
    assert!(icr.lines[1].counterpart_external);
    assert_eq!(icr.totals.len(), 1);
    let t = &icr.totals[0];
    assert_eq!(t.category, MaterialCategory::Leu);
    assert_eq!(t.increases, u(150000.0, 6000.0));
    assert_eq!(t.decreases, Quantity::ZERO);
    assert_eq!(t.net, u(150000.0, 6000.0));
    // The book at 31 January includes the late discard of 25 January.
    assert_eq!(t.ending_book_inventory, u(149990.0, 5999.6));

    let icr = inventory_change_report(
        &accounts,
        &binding,
        &xbb1(),
        period("2026-02-01", "2026-02-28"),
    )
    .unwrap();
    let ids: Vec<&str> = icr.lines.iter().map(|l| l.event.as_str()).collect();
    assert_eq!(ids, ["ic-3", "ic-4", "ic-5"]);
    assert_eq!(icr.lines[0].mba_to.as_deref(), Some("XCC9"));
    // The typo stays in the report it was made in, marked.
    assert_eq!(icr.lines[2].deleted_by.as_ref().unwrap().as_str(), "ic-6");
    assert_eq!(icr.lines[2].replaced_by.as_ref().unwrap().as_str(), "ic-7");
    let t = &icr.totals[0];
    assert_eq!(t.increases, u(3000.0, 120.0));
    assert_eq!(t.decreases, u(60120.5, 2404.82));
    assert_eq!(t.net, u(-57120.5, -2284.82));
    assert_eq!(t.ending_book_inventory, u(119869.5, 4794.78));

    let icr = inventory_change_report(
        &accounts,
        &binding,
        &xbb1(),
        period("2026-03-01", "2026-03-31"),
    )
    .unwrap();
    // Event, correction code, line corrected, original date.
    let lines: Vec<String> = icr
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} {:?} {:?} {:?}",
                l.event,
                l.correction,
                l.corrects.as_ref().map(|e| e.as_str()),
                l.original_date
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "ic-6 Some('D') Some(\"ic-5\") Some(Date(2026-02-20))",
            "ic-7 Some('A') Some(\"ic-5\") Some(Date(2026-02-20))",
            "ic-8 Some('L') None Some(Date(2026-01-25))",
        ]
    );
    // D takes back 3000/120, A adds 30000/1200, L discards 10/0.4.
    let t = &icr.totals[0];
    assert_eq!(t.increases, u(27000.0, 1080.0));
    assert_eq!(t.decreases, u(10.0, 0.4));
    assert_eq!(t.net, u(26990.0, 1079.6));
    assert_eq!(t.ending_book_inventory, u(119869.5, 4794.78));
}

#[test]
fn the_pils_list_the_lines_in_effect_with_their_significant_quantities() {
    let (accounts, binding) = everything();
    let pil = physical_inventory_listing(&accounts, &binding, &xbb1(), date("2026-01-31")).unwrap();
    assert_eq!(pil.report_type, 'P');
    assert!(pil.closed);
    assert_eq!((pil.line_count, pil.declared_line_count), (2, Some(2)));
    assert_eq!(pil.lines[0].kmp.as_ref().unwrap().as_str(), "A");
    assert_eq!(pil.totals[0].quantity, u(149990.0, 5999.6));
    assert_eq!(
        pil.totals[0].significant_quantities[0].material,
        Material::LowEnrichedUranium
    );
    assert!((pil.totals[0].significant_quantity_total - 5999.6 / 75_000.0).abs() < 1e-15);

    let pil = physical_inventory_listing(&accounts, &binding, &xbb1(), date("2026-03-31")).unwrap();
    let lines: Vec<(u32, &str, Option<char>)> = pil
        .lines
        .iter()
        .map(|l| (l.line_number, l.event.as_str(), l.correction))
        .collect();
    assert_eq!(
        lines,
        [(1, "pi-3", None), (2, "pi-5", None), (3, "pi-7", Some('A'))]
    );
    assert_eq!(pil.line_count, 3);
    assert_eq!(pil.totals[0].quantity, u(119850.0, 4794.0));
    assert!((pil.totals[0].significant_quantity_total - 4794.0 / 75_000.0).abs() < 1e-15);

    let err =
        physical_inventory_listing(&accounts, &binding, &xbb1(), date("2026-02-28")).unwrap_err();
    assert!(matches!(err, ReportError::NoTaking { .. }), "{err}");
}

fn codes(
    balance: &custodian_accountancy::reports::CategoryBalance,
) -> Vec<(u32, &'static str, MbrLineKind)> {
    balance
        .lines
        .iter()
        .map(|l| (l.line_number, l.code, l.kind))
        .collect()
}

#[test]
fn the_mbr_of_february_and_march_closes_by_hand() {
    let (accounts, binding) = everything();
    let mbr = material_balance_report(
        &accounts,
        &binding,
        &xbb1(),
        period("2026-02-01", "2026-03-31"),
    )
    .unwrap();
    assert_eq!(mbr.report_type, 'M');
    assert_eq!(mbr.beginning_pit, Some(date("2026-01-31")));
    assert_eq!(mbr.sign_convention, SIGN_CONVENTION);
    assert_eq!(mbr.balances.len(), 1);
    let b = &mbr.balances[0];
    assert_eq!(
        (b.category, b.element_category),
        (MaterialCategory::Leu, 'L')
    );
    use MbrLineKind::*;
    assert_eq!(
        codes(b),
        [
            (1, "PB", BeginningPhysicalInventory),
            (2, "RD", Increase),
            (3, "SD", Decrease),
            (4, "TE", Decrease),
            (5, "BA", EndingBookInventory),
            (6, "PE", EndingPhysicalInventory),
            (7, "MF", MaterialUnaccountedFor),
        ]
    );
    assert_eq!(b.line_count, 7);
    let quantities: Vec<Quantity> = b.lines.iter().map(|l| l.quantity).collect();
    assert_eq!(
        quantities,
        [
            u(149990.0, 5999.6),
            u(30000.0, 1200.0),
            u(60000.0, 2400.0),
            u(120.5, 4.82),
            u(119869.5, 4794.78),
            u(119850.0, 4794.0),
            u(-19.5, -0.78),
        ]
    );
    // The replacement counts, the deleted typo does not.
    let events = |i: usize| -> Vec<&str> { b.lines[i].events.iter().map(|e| e.as_str()).collect() };
    assert_eq!(events(0), ["pi-1", "pi-2"]);
    assert_eq!(events(1), ["ic-7"]);
    assert_eq!(events(5), ["pi-3", "pi-5", "pi-7"]);
    assert_eq!(b.increases, u(30000.0, 1200.0));
    assert_eq!(b.decreases, u(60120.5, 2404.82));
    assert_eq!(
        b.ending_book_inventory,
        b.beginning_physical_inventory + b.increases - b.decreases
    );
    assert_eq!(b.muf, u(19.5, 0.78));
    assert_eq!(b.mf, -b.muf);
    assert_eq!(b.muf_significant_quantities[0].grams, g(0.78));
    assert!((b.muf_significant_quantity_total - 0.78 / 75_000.0).abs() < 1e-18);

    // The JSON a caller publishes: numbers in grams, codes in order.
    let json = serde_json::to_value(&mbr).unwrap();
    assert_eq!(json["binding"]["tree_size"], 22);
    assert_eq!(json["binding"]["origin"], ORIGIN);
    assert!(json["binding"]["checkpoint"]
        .as_str()
        .unwrap()
        .starts_with("custodian.test/accounts\n22\n"));
    assert_eq!(
        json["balances"][0]["lines"][6]["quantity"]["element_grams"],
        -19.5
    );
    assert_eq!(json["balances"][0]["muf"]["u235_grams"], 0.78);
    assert_eq!(json["balances"][0]["category"], "leu");
    assert_eq!(json["balances"][0]["lines"][2]["code"], "SD");
    assert_eq!(json["period"]["start"], "2026-02-01");
}

#[test]
fn a_late_line_counts_in_the_period_of_its_original_date() {
    // January's balance now: the late discard explains the 10 g difference.
    let (accounts, binding) = everything();
    let mbr = material_balance_report(
        &accounts,
        &binding,
        &xbb1(),
        period("2026-01-01", "2026-01-31"),
    )
    .unwrap();
    assert_eq!(
        mbr.beginning_pit, None,
        "the MBA's first balance starts empty"
    );
    let b = &mbr.balances[0];
    use MbrLineKind::*;
    assert_eq!(
        codes(b),
        [
            (1, "PB", BeginningPhysicalInventory),
            (2, "RD", Increase),
            (3, "TE", Decrease),
            (4, "BA", EndingBookInventory),
            (5, "PE", EndingPhysicalInventory),
            (6, "MF", MaterialUnaccountedFor),
        ]
    );
    assert_eq!(b.lines[1].quantity, u(150000.0, 6000.0));
    assert_eq!(b.lines[2].quantity, u(10.0, 0.4));
    assert_eq!(b.ending_book_inventory, u(149990.0, 5999.6));
    assert_eq!(b.muf, Quantity::ZERO);

    // The same balance at the checkpoint before the late line was entered:
    // 10 g U / 0.4 g U-235 unaccounted for.
    let events = scenario();
    let (accounts, binding) = at(leaf_of(&events, "ic-8"));
    let mbr = material_balance_report(
        &accounts,
        &binding,
        &xbb1(),
        period("2026-01-01", "2026-01-31"),
    )
    .unwrap();
    let b = &mbr.balances[0];
    assert_eq!(b.lines.len(), 5);
    assert_eq!(b.ending_book_inventory, u(150000.0, 6000.0));
    assert_eq!(b.muf, u(10.0, 0.4));
    assert_eq!(b.lines[4].quantity, u(-10.0, -0.4));
    assert_eq!(
        mbr.binding.tree_size,
        TreeSize(leaf_of(&events, "ic-8") as u64)
    );
}

#[test]
fn reports_refuse_what_they_cannot_balance_or_bind() {
    let (accounts, binding) = everything();
    let mbr = |start: &str, end: &str| {
        material_balance_report(&accounts, &binding, &xbb1(), period(start, end)).unwrap_err()
    };
    // A balance period spans no taking, ends at a closed one, and starts the
    // day after one (once the MBA has history).
    assert!(matches!(
        mbr("2026-01-01", "2026-03-31"),
        ReportError::TakingInsidePeriod { .. }
    ));
    assert!(matches!(
        mbr("2026-02-01", "2026-02-28"),
        ReportError::NoTaking { .. }
    ));
    assert!(matches!(
        mbr("2026-02-02", "2026-03-31"),
        ReportError::NoTaking { .. }
    ));
    assert!(matches!(
        Period::new(date("2026-03-31"), date("2026-03-01")),
        Err(ReportError::Period { .. })
    ));
    let unknown = MbaCode::parse("XZZ9").unwrap();
    assert!(matches!(
        inventory_change_report(
            &accounts,
            &binding,
            &unknown,
            period("2026-01-01", "2026-01-31")
        ),
        Err(ReportError::UnknownMba(_))
    ));
    // An open taking cannot end a balance.
    let events = scenario();
    let (open, binding_open) = at(leaf_of(&events, "pit-2"));
    let err = material_balance_report(
        &open,
        &binding_open,
        &xbb1(),
        period("2026-02-01", "2026-03-31"),
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::TakingOpen { .. }), "{err}");
    let pil =
        physical_inventory_listing(&open, &binding_open, &xbb1(), date("2026-03-31")).unwrap();
    assert!(!pil.closed);
    // Accounts replayed past the checkpoint are not bound to it.
    let err = inventory_change_report(
        &accounts,
        &self::binding(5),
        &xbb1(),
        period("2026-01-01", "2026-01-31"),
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::BeyondCheckpoint { .. }), "{err}");
    // A note that does not hold the stated checkpoint.
    let key = SigningKey::from_seed(ORIGIN, [7; 32]).unwrap();
    let note = sign_checkpoint(
        &Checkpoint::new(ORIGIN, TreeSize(23), Hash([1; 32])).unwrap(),
        &key,
    );
    let err = Binding::new(ORIGIN, TreeSize(23), Hash([2; 32]), &note).unwrap_err();
    assert!(err.to_string().contains("root hash"), "{err}");
    let err = Binding::new(ORIGIN, TreeSize(24), Hash([1; 32]), &note).unwrap_err();
    assert!(
        err.to_string().contains("tree size is 23; expected 24"),
        "{err}"
    );
    assert!(Binding::new(ORIGIN, TreeSize(23), Hash([1; 32]), "not a note").is_err());
}
