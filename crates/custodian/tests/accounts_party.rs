//! Nobody writes into another state's facility accounts (issue 8, "Writes
//! require a request signed by a registered actor whose role permits that
//! event kind for that state"): an operator of one state cannot register a
//! facility in another state nor book lines into another state's MBA; an
//! inspector may take a physical inventory there; the state's own operator
//! may. Each refusal names the event and field, and appends nothing.

mod common;

use common::{size, Dir};

#[test]
fn facility_accounts_are_written_only_by_their_state_and_inspectors() {
    let dir = Dir::new("accounts-party");
    dir.ok(&[
        "init",
        "--origin",
        "custodian.test/party",
        "--empty-registry",
    ]);
    dir.add_actor("xbb-operator-1", "operator", "state:XBB");
    dir.add_actor("xcc-operator-1", "operator", "state:XCC");
    dir.add_actor("inspector-1", "inspector", "body:inspectorate");
    dir.write(
        "plant.jsonl",
        concat!(
            r#"{"time":"2026-01-02T00:00:00Z","kind":"facility.register","payload":{"facility":"xbb-fuel-fab-1","name":"Plant","state":"XBB","facility_type":"fuel_fabrication"}}"#, "\n",
            r#"{"time":"2026-01-02T00:00:00Z","kind":"mba.register","payload":{"mba":"XBB1","facility":"xbb-fuel-fab-1","name":"Plant","kmps":[{"kmp":"A","kind":"inventory","description":"store"},{"kmp":"1","kind":"flow","description":"receipts"}]}}"#, "\n",
        ),
    );

    // Another state's operator cannot register XBB's plant...
    let before = size(&dir);
    let err = dir.fails(
        &[
            "log",
            "append",
            "plant.jsonl",
            "--key",
            "xcc-operator-1.key",
        ],
        1,
    );
    assert!(err.contains("payload.state"), "{err}");
    assert!(err.contains("accounts of state XBB"), "{err}");
    assert_eq!(
        size(&dir),
        before,
        "nothing of the refused batch is applied"
    );
    // ...XBB's own operator can.
    dir.ok(&[
        "log",
        "append",
        "plant.jsonl",
        "--key",
        "xbb-operator-1.key",
    ]);

    let receipt = concat!(
        r#"{"time":"2026-01-10T00:00:00Z","kind":"material.inventory_change","payload":{"mba":"XBB1","batch":"B1","code":"RD","element":"U","element_grams":1000.0,"isotope_grams":40.0,"counterpart_mba":"EXT:W","kmp":"1"}}"#,
        "\n"
    );
    dir.write("receipt.jsonl", receipt);
    let before = size(&dir);
    let err = dir.fails(
        &[
            "log",
            "append",
            "receipt.jsonl",
            "--key",
            "xcc-operator-1.key",
        ],
        1,
    );
    assert!(err.contains("payload.mba"), "{err}");
    assert!(err.contains("xcc-operator-1"), "{err}");
    assert_eq!(size(&dir), before);
    // Nor in the same submission after a facility of its own: the check
    // follows the accounts event by event.
    dir.write(
        "mixed.jsonl",
        &format!(
            "{}\n{receipt}",
            r#"{"time":"2026-01-02T00:00:00Z","kind":"facility.register","payload":{"facility":"xcc-plant","name":"XCC plant","state":"XCC","facility_type":"storage"}}"#
        ),
    );
    let err = dir.fails(
        &[
            "log",
            "append",
            "mixed.jsonl",
            "--key",
            "xcc-operator-1.key",
        ],
        1,
    );
    assert!(err.contains("payload.mba"), "{err}");
    assert_eq!(size(&dir), before);

    // The inspectorate may take XBB's physical inventory; XBB books its receipt.
    dir.write(
        "pit.jsonl",
        concat!(
            r#"{"time":"2026-01-31T00:00:00Z","kind":"material.physical_inventory","payload":{"mba":"XBB1","batch":"B1","element":"U","element_grams":1000.0,"isotope_grams":40.0,"pit_date":"2026-01-31","kmp":"A"}}"#,
            "\n"
        ),
    );
    dir.ok(&[
        "log",
        "append",
        "receipt.jsonl",
        "--key",
        "xbb-operator-1.key",
    ]);
    dir.ok(&["log", "append", "pit.jsonl", "--key", "inspector-1.key"]);
    dir.ok(&["audit"]);
}
