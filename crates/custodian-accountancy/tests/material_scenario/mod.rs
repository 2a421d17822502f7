//! A small facility for the accounts and reports tests: one fuel fabrication
//! MBA (`XBB1`) receiving LEU from a conversion plant's MBA (`XCC9`) and from
//! outside the ledger, shipping, discarding, correcting a receipt with a D/A
//! pair, adding a late discard, and taking two physical inventories (one line
//! corrected with D/A before the second closes). Synthetic figures, chosen so
//! that every total is easy to compute by hand (see `tests/reports.rs`).

#![allow(dead_code)]

use custodian_accountancy::{Grams, Quantity};
use custodian_core::{Event, LeafIndex};
use serde_json::{json, Value};

/// An event as the CLI's parser would build it (so the core's checks run).
pub fn event(id: &str, time: &str, kind: &str, payload: Value) -> Event {
    Event::from_json(json!({
        "v": 1, "id": id, "time": time, "actor": "xbb-operator-1",
        "kind": kind, "payload": payload, "approvals": []
    }))
    .unwrap_or_else(|e| panic!("{id}: {e}"))
}

/// Grams from a decimal written in the test (three decimals at most).
pub fn g(grams: f64) -> Grams {
    Grams::from_milligrams((grams * 1000.0).round() as i128)
}

/// An amount of U with its U-235.
pub fn u(element: f64, u235: f64) -> Quantity {
    Quantity {
        element_grams: g(element),
        u235_grams: g(u235),
        u233_grams: Grams::ZERO,
    }
}

/// The registrations: two facilities, MBA `XBB1` with KMPs `A` (inventory),
/// `1`, `2`, `3` (flows), MBA `XCC9` without KMPs.
pub fn registrations() -> Vec<Event> {
    vec![
        event(
            "fac-1",
            "2026-01-01T08:00:00Z",
            "facility.register",
            json!({
            "facility": "xbb-fuel-fab-1", "name": "Fuel Fabrication Plant 1",
            "state": "XBB", "facility_type": "fuel_fabrication"}),
        ),
        event(
            "fac-2",
            "2026-01-01T08:00:00Z",
            "facility.register",
            json!({
            "facility": "xcc-conversion-1", "name": "Conversion Plant 1",
            "state": "XCC", "facility_type": "conversion"}),
        ),
        event(
            "mba-1",
            "2026-01-01T08:00:00Z",
            "mba.register",
            json!({
            "mba": "XBB1", "facility": "xbb-fuel-fab-1", "name": "UO2 powder and pellets",
            "kmps": [
                {"kmp": "A", "kind": "inventory", "description": "UO2 store"},
                {"kmp": "1", "kind": "flow", "description": "receipts"},
                {"kmp": "2", "kind": "flow", "description": "shipments"},
                {"kmp": "3", "kind": "flow", "description": "measured discards"}]}),
        ),
        event(
            "mba-2",
            "2026-01-01T08:00:00Z",
            "mba.register",
            json!({
            "mba": "XCC9", "facility": "xcc-conversion-1", "name": "Conversion", "kmps": []}),
        ),
    ]
}

/// The whole scenario, in log order (one event per leaf).
pub fn scenario() -> Vec<Event> {
    let mut out = registrations();
    out.extend([
        // January.
        event(
            "ic-1",
            "2026-01-05T10:00:00Z",
            "material.inventory_change",
            json!({
            "mba": "XBB1", "batch": "B1", "code": "RD", "counterpart_mba": "XCC9",
            "element": "U", "element_grams": 100000.0, "isotope_grams": 4000.0,
            "material_category": "leu", "isotope": "U-235", "kmp": "1",
            "measurement_basis": "N", "form": "U2", "items": 10, "line": "ICR-2026-01/1"}),
        ),
        event(
            "ic-2",
            "2026-01-10T10:00:00Z",
            "material.inventory_change",
            json!({
            "mba": "XBB1", "batch": "B2", "code": "RD", "counterpart_mba": "EXT:W",
            "element": "U", "element_grams": 50000.0, "isotope_grams": 2000.0}),
        ),
        event(
            "pi-1",
            "2026-01-31T16:00:00Z",
            "material.physical_inventory",
            json!({
            "mba": "XBB1", "batch": "B1", "element": "U", "element_grams": 99990.0,
            "isotope_grams": 3999.6, "kmp": "A", "measurement_basis": "M"}),
        ),
        event(
            "pi-2",
            "2026-01-31T16:00:00Z",
            "material.physical_inventory",
            json!({
            "mba": "XBB1", "batch": "B2", "element": "U", "element_grams": 50000.0,
            "isotope_grams": 2000.0}),
        ),
        event(
            "pit-1",
            "2026-02-01T09:00:00Z",
            "material.inventory_taking",
            json!({
            "mba": "XBB1", "pit_date": "2026-01-31", "line_count": 2}),
        ),
        // February.
        event(
            "ic-3",
            "2026-02-10T10:00:00Z",
            "material.inventory_change",
            json!({
            "mba": "XBB1", "batch": "B1", "code": "SD", "counterpart_mba": "XCC9",
            "element": "U", "element_grams": 60000.0, "isotope_grams": 2400.0, "kmp": "2"}),
        ),
        event(
            "ic-4",
            "2026-02-15T10:00:00Z",
            "material.inventory_change",
            json!({
            "mba": "XBB1", "batch": "W1", "code": "TE", "element": "U",
            "element_grams": 120.5, "isotope_grams": 4.82, "kmp": "3", "form": "WL"}),
        ),
        // A receipt recorded with a typo (3000 for 30000)...
        event(
            "ic-5",
            "2026-02-20T10:00:00Z",
            "material.inventory_change",
            json!({
            "mba": "XBB1", "batch": "B3", "code": "RD", "counterpart_mba": "XCC9",
            "element": "U", "element_grams": 3000.0, "isotope_grams": 120.0}),
        ),
        // March: ...deleted and replaced by a D/A pair.
        event(
            "ic-6",
            "2026-03-05T10:00:00Z",
            "material.inventory_change",
            json!({
            "mba": "XBB1", "batch": "B3", "code": "RD", "counterpart_mba": "XCC9",
            "element": "U", "element_grams": 3000.0, "isotope_grams": 120.0,
            "correction": "D", "corrects": {"event": "ic-5"}}),
        ),
        event(
            "ic-7",
            "2026-03-05T10:05:00Z",
            "material.inventory_change",
            json!({
            "mba": "XBB1", "batch": "B3", "code": "RD", "counterpart_mba": "XCC9",
            "element": "U", "element_grams": 30000.0, "isotope_grams": 1200.0,
            "correction": "A", "corrects": {"event": "ic-5"}}),
        ),
        // A discard of January, found late.
        event(
            "ic-8",
            "2026-03-10T10:00:00Z",
            "material.inventory_change",
            json!({
            "mba": "XBB1", "batch": "W0", "code": "TE", "element": "U",
            "element_grams": 10.0, "isotope_grams": 0.4, "material_category": "leu",
            "correction": "L", "original_date": "2026-01-25"}),
        ),
        event(
            "pi-3",
            "2026-03-31T16:00:00Z",
            "material.physical_inventory",
            json!({
            "mba": "XBB1", "batch": "B1", "element": "U", "element_grams": 39980.0,
            "isotope_grams": 1599.2}),
        ),
        event(
            "pi-4",
            "2026-03-31T16:00:00Z",
            "material.physical_inventory",
            json!({
            "mba": "XBB1", "batch": "B2", "element": "U", "element_grams": 49890.0,
            "isotope_grams": 1995.6}),
        ),
        event(
            "pi-5",
            "2026-03-31T16:00:00Z",
            "material.physical_inventory",
            json!({
            "mba": "XBB1", "batch": "B3", "element": "U", "element_grams": 29890.0,
            "isotope_grams": 1195.6}),
        ),
        event(
            "pi-6",
            "2026-03-31T17:00:00Z",
            "material.physical_inventory",
            json!({
            "mba": "XBB1", "batch": "B2", "element": "U", "element_grams": 49890.0,
            "isotope_grams": 1995.6, "correction": "D", "corrects": {"event": "pi-4"}}),
        ),
        event(
            "pi-7",
            "2026-03-31T17:00:00Z",
            "material.physical_inventory",
            json!({
            "mba": "XBB1", "batch": "B2", "element": "U", "element_grams": 49980.0,
            "isotope_grams": 1999.2, "correction": "A", "corrects": {"event": "pi-4"}}),
        ),
        event(
            "pit-2",
            "2026-04-01T09:00:00Z",
            "material.inventory_taking",
            json!({
            "mba": "XBB1", "pit_date": "2026-03-31", "line_count": 3}),
        ),
        event(
            "ms-1",
            "2026-04-02T11:00:00Z",
            "material.measurement",
            json!({
            "mba": "XBB1", "kmp": "A", "batch": "B1", "element": "U",
            "element_grams": 39985.0, "rsd_random": 0.002, "rsd_systematic": 0.001}),
        ),
    ]);
    out
}

/// The events with their leaves (one event per leaf).
pub fn leaves(events: &[Event]) -> impl Iterator<Item = (LeafIndex, &Event)> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| (LeafIndex(i as u64), e))
}

/// The leaf of the event `id` in [`scenario`].
pub fn leaf_of(events: &[Event], id: &str) -> usize {
    events
        .iter()
        .position(|e| e.id.as_str() == id)
        .unwrap_or_else(|| panic!("no event {id}"))
}
