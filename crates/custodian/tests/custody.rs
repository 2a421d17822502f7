//! Custody, the two-person rule and compliance through the real binary (issue 5):
//! both scenarios, the item, alert, comply, positions and evidence commands, and
//! bad input refused with its file, line and field, nothing applied.

mod common;

use common::{size, Dir};
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Runs a scenario in a fresh directory; returns the directory and stdout.
/// Scenarios write SQLite files only: the commands after it read the
/// scenario's log on the store the suite runs on ([`Dir::adopt`]).
fn scenario(name: &str) -> (Dir, String) {
    let mut dir = Dir::new(&format!("scenario-{name}"));
    let out = dir.ok(&["--db", "s.db", "scenario", "run", name]);
    dir.adopt("s.db");
    (dir, out)
}

fn vkey(dir: &Dir) -> String {
    dir.ok(&["log", "key"]).trim().to_string()
}

#[test]
fn nato_sharing_findings_differ_by_interpretation_and_their_evidence_verifies_offline() {
    let (dir, out) = scenario("nato-sharing");
    // The host state's authority alone is refused control.
    assert!(out.contains("REFUSED"), "{out}");
    assert!(
        out.contains("item.control_transfer needs 1 distinct signer(s) of role state_authority acting for the `from` state:USA"),
        "{out}"
    );
    // Side by side: the same record, two readings.
    let row = |o: &str, s: &str| {
        out.lines()
            .find(|l| l.split_whitespace().take(2).eq([o, s]))
            .unwrap_or_else(|| panic!("no row {o} {s} in\n{out}"))
            .split_whitespace()
            .skip(2)
            .collect::<Vec<_>>()
    };
    assert_eq!(row("npt-art-1", "USA"), ["complies", "violates"]);
    for host in ["BEL", "DEU", "ITA", "NLD", "TUR"] {
        assert_eq!(row("npt-art-2", host), ["complies", "violates"], "{host}");
    }
    assert!(out.contains("us-1968-qa") && out.contains("broad-revcon"));
    assert!(out.contains("verified offline"), "{out}");

    // comply --json: every finding names its interpretation, and has evidence.
    let doc = json(&dir.ok(&[
        "--json",
        "comply",
        "--at",
        "2026-06-02",
        "--evidence",
        "ev.json",
    ]));
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 12, "6 subjects x 2 interpretations");
    for f in findings {
        assert!(f["interpretation"].as_str().is_some_and(|i| !i.is_empty()));
        assert!(!f["events"].as_array().unwrap().is_empty(), "{f}");
        assert!(!f["facts"].as_array().unwrap().is_empty(), "{f}");
        assert!(!f["reasoning"].as_array().unwrap().is_empty(), "{f}");
    }
    // The wartime transfer is judged by each reading's own rule.
    let deu_us = findings
        .iter()
        .find(|f| f["subject"] == "DEU" && f["interpretation"] == "us-1968-qa")
        .unwrap();
    let steps = deu_us["reasoning"].to_string();
    assert!(steps.contains("would no longer be controlling"), "{steps}");

    // One interpretation, one obligation.
    let doc = json(&dir.ok(&[
        "--json",
        "comply",
        "--at",
        "2026-06-02",
        "--obligation",
        "npt-art-1",
        "--interpretation",
        "broad-revcon",
    ]));
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["findings"][0]["verdict"], "violates");
    let err = dir.fails(&["comply", "--obligation", "npt-art-99"], 1);
    assert!(
        err.contains("npt-art-1"),
        "the error lists the known ids: {err}"
    );

    // Evidence verifies with the log key alone (no database), and fails when
    // altered.
    let key = vkey(&dir);
    let ok = dir.ok(&["evidence", "verify", "ev.json", "--vkey", &key]);
    assert!(ok.contains("verified offline: 12 finding(s)"), "{ok}");
    let text = std::fs::read_to_string(dir.path("ev.json")).unwrap();
    let mut doc = json(&text);
    doc["findings"][0]["events"][0]["event"] = "usa-officer-1:99:0".into();
    dir.write("forged.json", &doc.to_string());
    let err = dir.fails(&["evidence", "verify", "forged.json", "--vkey", &key], 3);
    assert!(err.contains("is not in a proven leaf"), "{err}");
    let mut doc = json(&text);
    let leaf = doc["leaves"][0]["leaf"].as_str().unwrap().to_string();
    let flipped = format!(
        "{}{}",
        &leaf[..40],
        if &leaf[40..41] == "0" { "1" } else { "0" }
    ) + &leaf[41..];
    doc["leaves"][0]["leaf"] = flipped.into();
    dir.write("tampered.json", &doc.to_string());
    let err = dir.fails(&["evidence", "verify", "tampered.json", "--vkey", &key], 3);
    assert!(err.contains("does not verify"), "{err}");
    dir.ok(&["key", "generate", "someone-else"]);
    let err = dir.fails(
        &[
            "evidence",
            "verify",
            "ev.json",
            "--vkey",
            "someone-else.vkey",
        ],
        3,
    );
    assert!(err.contains("field checkpoint"), "{err}");

    // Items as of a date, by state, custodian and controller.
    let doc = json(&dir.ok(&["--json", "items", "--at", "2026-06-02", "--state", "DEU"]));
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["controller"], "DEU");
    assert_eq!(items[0]["custodian"], "USA");
    let before = json(&dir.ok(&[
        "--json",
        "items",
        "--at",
        "2026-05-31",
        "--controller",
        "DEU",
    ]));
    assert!(
        before["items"].as_array().unwrap().is_empty(),
        "the transfer is on 2026-06-01"
    );
    let usa = json(&dir.ok(&[
        "--json",
        "items",
        "--at",
        "2026-06-02",
        "--custodian",
        "USA",
    ]));
    assert_eq!(usa["items"].as_array().unwrap().len(), 6);
    let show = json(&dir.ok(&[
        "--json",
        "item",
        "show",
        "b61-est-deu-buechel",
        "--at",
        "2026-06-02",
    ]));
    assert_eq!(show["status"], "deployed");
    assert_eq!(show["assignment"]["unit_state"], "DEU");
    let history = dir.ok(&["item", "history", "b61-est-deu-buechel"]);
    for kind in [
        "item.produce",
        "item.deploy_abroad",
        "item.assign",
        "item.exercise",
        "item.control_transfer",
    ] {
        assert!(history.contains(kind), "{kind} in {history}");
    }
    dir.fails(&["item", "show", "no-such-item"], 1);

    // Positions: who held which reading when.
    let pos = json(&dir.ok(&["--json", "positions", "nuclear-sharing"]));
    assert_eq!(
        pos["positions"].as_array().unwrap().len(),
        35,
        "every positions.csv row"
    );
    let err = dir.fails(&["positions", "no-such-question"], 1);
    assert!(err.contains("nuclear-sharing"), "{err}");

    // The audit re-checks the two-person rule on every event.
    dir.ok(&["audit", "--vkey", &key]);
}

#[test]
fn covert_relocation_refuses_the_insider_and_raises_the_record_alerts() {
    let (dir, out) = scenario("covert-relocation");
    assert_eq!(out.matches("REFUSED").count(), 4, "{out}");
    assert!(
        out.contains("item.depart needs 2 distinct signer(s)"),
        "{out}"
    );
    assert!(out.contains("cannot approve its own event"), "{out}");
    assert!(
        out.contains("item.dismantle needs 2 distinct signer(s)"),
        "{out}"
    );
    let alerts = |at: &str| {
        let doc = json(&dir.ok(&["--json", "alerts", "--at", at]));
        doc["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["kind"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // Inside the window only the conflicting exercise and the compromised key show.
    assert_eq!(
        alerts("2026-03-01T09:00:00Z"),
        ["two_places_at_once", "revoked_key_approval"]
    );
    assert_eq!(
        alerts("2026-03-03"),
        [
            "transit_overdue",
            "two_places_at_once",
            "revoked_key_approval"
        ]
    );
    // Before the move, nothing.
    assert!(alerts("2026-02-15").is_empty());
    let key = vkey(&dir);
    let ok = dir.ok(&["evidence", "verify", "s.db.evidence.json", "--vkey", &key]);
    assert!(ok.contains("3 alert(s)"), "{ok}");
}

/// A log with the bundled registry and two officers of USA and one of DEU.
fn registry_log(tag: &str) -> Dir {
    let dir = Dir::new(tag);
    dir.ok(&["init", "--origin", "custodian.test/custody"]);
    for (id, party) in [
        ("usa-officer-1", "state:USA"),
        ("usa-officer-2", "state:USA"),
        ("deu-officer-1", "state:DEU"),
    ] {
        dir.ok(&["key", "generate", id]);
        dir.ok(&[
            "actor",
            "add",
            id,
            "--role",
            "state_authority",
            "--party",
            party,
            "--public-key",
            &format!("{id}.vkey"),
            "--key",
            "admin.key",
        ]);
    }
    dir.write(
        "setup.jsonl",
        concat!(
            r#"{"time":"2026-01-01T00:00:00Z","kind":"site.register","payload":{"site":"usa-depot","name":"Depot","state":"USA","site_type":"storage"}}"#, "\n",
            r#"{"time":"2026-01-01T00:00:00Z","kind":"site.register","payload":{"site":"usa-depot-2","name":"Depot 2","state":"USA","site_type":"storage"}}"#, "\n",
            r#"{"time":"2026-01-02T00:00:00Z","kind":"item.produce","payload":{"item":"w-1","item_type":"bomb","site":"usa-depot","custodian":"USA","controller":"USA","status":"stockpiled"}}"#, "\n",
        ),
    );
    dir.ok(&["log", "append", "setup.jsonl", "--key", "usa-officer-1.key"]);
    dir
}

#[test]
fn bad_custody_input_names_file_line_and_field_and_applies_nothing() {
    let dir = registry_log("custody-bad");
    let before = size(&dir);
    let ok = r#"{"time":"2026-02-01T00:00:00Z","kind":"site.register","payload":{"site":"usa-depot-3","name":"Depot 3","state":"USA","site_type":"storage"}}"#;
    let cases = [
        (
            r#"{"time":"2026-02-01T00:00:00Z","kind":"item.arrive","payload":{"item":"w-9","site":"usa-depot"}}"#,
            "bad.jsonl:2: submission 0: field events[1].payload.item: unknown item w-9",
        ),
        (
            r#"{"time":"2026-02-01T00:00:00Z","kind":"item.arrive","payload":{"item":"w-1","site":"nowhere"}}"#,
            "bad.jsonl:2: submission 0: field events[1].payload.site: unknown site nowhere",
        ),
        (
            r#"{"time":"2026-02-01T00:00:00Z","kind":"item.arrive","payload":{"item":"w-1","site":"usa-depot"}}"#,
            "field events[1].payload.site: expected a departure before an arrival",
        ),
        (
            r#"{"time":"2026-02-01T00:00:00Z","kind":"item.control_transfer","payload":{"item":"w-1","from":"USA","to":"SUN"}}"#,
            "field events[1].payload.to: state SUN ceased to exist on 1991-12-24 (continued by RUS)",
        ),
        (
            r#"{"time":"2026-02-01T00:00:00Z","kind":"item.control_transfer","payload":{"item":"w-1","from":"USA","to":"XZZ"}}"#,
            "field events[1].payload.to: unknown state XZZ",
        ),
        (
            r#"{"time":"2026-02-01T00:00:00Z","kind":"item.depart","payload":{"item":"w-1","from":"usa-depot","to":"usa-depot-2","arrive_by_utc":"2026-02-02T00:00:00Z"}}"#,
            "field events[1].approvals: item.depart needs 2 distinct signer(s) of role state_authority acting for the custodian state:USA; found 1",
        ),
    ];
    for (line, want) in cases {
        dir.write("bad.jsonl", &format!("{ok}\n{line}\n"));
        let err = dir.fails(
            &["log", "append", "bad.jsonl", "--key", "usa-officer-1.key"],
            1,
        );
        assert!(err.contains(want), "expected {want:?} in {err}");
        assert!(err.contains("nothing applied"), "{err}");
        assert_eq!(size(&dir), before, "{want}");
    }
}

#[test]
fn approvals_gathered_with_the_cli_meet_the_two_person_rule() {
    let dir = registry_log("custody-approve");
    let depart = r#"{"v":1,"id":"move-1","actor":"usa-officer-1","time":"2026-02-01T00:00:00Z","kind":"item.depart","payload":{"item":"w-1","from":"usa-depot","to":"usa-depot-2","arrive_by_utc":"2026-02-02T00:00:00Z"}}"#;
    dir.write("move.jsonl", &format!("{depart}\n"));
    // Approved by the host of nothing: a DEU officer does not count for USA.
    let by_deu = dir.ok(&["log", "approve", "move.jsonl", "--key", "deu-officer-1.key"]);
    dir.write("by-deu.jsonl", &by_deu);
    let err = dir.fails(
        &[
            "log",
            "append",
            "by-deu.jsonl",
            "--key",
            "usa-officer-1.key",
        ],
        1,
    );
    assert!(err.contains("found 1 (usa-officer-1"), "{err}");
    // Approved twice by the same officer: refused by the ledger.
    let twice = dir.ok(&[
        "log",
        "approve",
        "by-deu.jsonl",
        "--key",
        "deu-officer-1.key",
    ]);
    dir.write("twice.jsonl", &twice);
    let err = dir.fails(
        &["log", "append", "twice.jsonl", "--key", "usa-officer-1.key"],
        1,
    );
    assert!(err.contains("duplicate approver"), "{err}");
    // An approval of other bytes (the window changed after approval).
    let by_usa = dir.ok(&["log", "approve", "move.jsonl", "--key", "usa-officer-2.key"]);
    dir.write(
        "changed.jsonl",
        &by_usa.replace("2026-02-02T00:00:00Z", "2026-02-03T00:00:00Z"),
    );
    let err = dir.fails(
        &[
            "log",
            "append",
            "changed.jsonl",
            "--key",
            "usa-officer-1.key",
        ],
        1,
    );
    assert!(
        err.contains("does not verify over this event's bytes"),
        "{err}"
    );
    // The second USA officer's approval: accepted.
    dir.write("good.jsonl", &by_usa);
    dir.ok(&["log", "append", "good.jsonl", "--key", "usa-officer-1.key"]);
    let doc = json(&dir.ok(&["--json", "item", "show", "w-1"]));
    assert_eq!(doc["location"]["kind"], "in_transit");
    dir.ok(&["audit"]);
}

#[test]
fn accountancy_evaluate_prints_the_worked_example_and_names_bad_fields() {
    let dir = Dir::new("accountancy-evaluate");
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/balances-scenario-b.json"
    );
    let doc = json(&dir.ok(&["--json", "accountancy", "evaluate", "--balances", example]));
    let sitmuf: Vec<f64> = serde_json::from_value(doc["sitmuf"].clone()).unwrap();
    let want = [0.0, 0.0, 1.20549023, 0.33117009];
    for (got, want) in sitmuf.iter().zip(want) {
        assert!((got - want).abs() < 1e-8, "{sitmuf:?}");
    }
    assert_eq!(doc["page_alarm"], false);
    assert_eq!(doc["covariance"].as_array().unwrap().len(), 4);
    dir.write(
        "bad.json",
        r#"{"unit":"kg","inputs":[{"name":"a","amounts":[1,-2],"rsd_random":0.1,"rsd_systematic":0.1}],"page":{"k":0.5,"h":2}}"#,
    );
    let err = dir.fails(&["accountancy", "evaluate", "--balances", "bad.json"], 1);
    assert!(
        err.contains(
            "bad.json: inputs[0].amounts[1]: expected a finite, non-negative amount, found -2"
        ),
        "{err}"
    );
}

#[test]
fn the_fuel_fabrication_scenario_alarms_on_diversion_and_holds_its_false_alarm_rate() {
    let dir = Dir::new("accountancy-scenario");
    let doc = json(&dir.ok(&["--json", "accountancy", "scenario", "--runs", "1000"]));
    assert!((doc["page_threshold"].as_f64().unwrap() - 3.374521).abs() < 1e-6);
    let variants = doc["variants"].as_array().unwrap();
    let by = |name: &str| variants.iter().find(|v| v["variant"] == name).unwrap();
    assert_eq!(by("abrupt")["year"]["page_first_alarm_balance"], 7);
    assert_eq!(by("protracted")["year"]["page_alarm"], true);
    let none = &by("none")["alarm_rate"];
    let (rate, runs) = (
        none["rate"].as_f64().unwrap(),
        none["runs"].as_f64().unwrap(),
    );
    let se = (0.05f64 * 0.95 / runs).sqrt();
    assert!((rate - 0.05).abs() <= 3.0 * se, "false-alarm rate {rate}");
    assert!(by("abrupt")["alarm_rate"]["rate"].as_f64().unwrap() > 0.99);
}

#[test]
fn an_mbr_is_generated_from_the_log_and_bound_to_its_checkpoint() {
    let dir = Dir::new("accountancy-report");
    dir.ok(&["init", "--origin", "custodian.test/acc", "--empty-registry"]);
    dir.ok(&["key", "generate", "xbb-operator-1"]);
    dir.ok(&[
        "actor",
        "add",
        "xbb-operator-1",
        "--role",
        "operator",
        "--party",
        "state:XBB",
        "--public-key",
        "xbb-operator-1.vkey",
        "--key",
        "admin.key",
    ]);
    dir.write(
        "m.jsonl",
        concat!(
            r#"{"time":"2026-01-02T00:00:00Z","kind":"facility.register","payload":{"facility":"xbb-fuel-fab-1","name":"Plant","state":"XBB","facility_type":"fuel_fabrication"}}"#, "\n",
            r#"{"time":"2026-01-02T00:00:00Z","kind":"mba.register","payload":{"mba":"XBB1","facility":"xbb-fuel-fab-1","name":"Plant","kmps":[{"kmp":"A","kind":"inventory","description":"store"},{"kmp":"1","kind":"flow","description":"receipts"}]}}"#, "\n",
            r#"{"time":"2026-01-10T00:00:00Z","kind":"material.inventory_change","payload":{"mba":"XBB1","batch":"B1","code":"RD","element":"U","element_grams":1000000.0,"isotope_grams":40000.0,"counterpart_mba":"EXT:W","kmp":"1"}}"#, "\n",
            r#"{"time":"2026-01-31T00:00:00Z","kind":"material.physical_inventory","payload":{"mba":"XBB1","batch":"B1","element":"U","element_grams":999000.0,"isotope_grams":39960.0,"pit_date":"2026-01-31","kmp":"A"}}"#, "\n",
            r#"{"time":"2026-01-31T12:00:00Z","kind":"material.inventory_taking","payload":{"mba":"XBB1","pit_date":"2026-01-31","line_count":1}}"#, "\n",
        ),
    );
    dir.ok(&["log", "append", "m.jsonl", "--key", "xbb-operator-1.key"]);
    let mbr = json(&dir.ok(&[
        "--json",
        "accountancy",
        "report",
        "mbr",
        "--mba",
        "XBB1",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
    ]));
    let codes: Vec<&str> = mbr["balances"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["PB", "RD", "BA", "PE", "MF"]);
    assert_eq!(mbr["balances"][0]["muf"]["element_grams"], 1000.0);
    assert_eq!(mbr["binding"]["tree_size"], 3);
    assert!(mbr["binding"]["checkpoint"]
        .as_str()
        .unwrap()
        .contains("custodian.test/acc"));
    let pil = json(&dir.ok(&[
        "--json",
        "accountancy",
        "report",
        "pil",
        "--mba",
        "XBB1",
        "--pit",
        "2026-01-31",
    ]));
    assert_eq!(pil["line_count"], 1);
    let err = dir.fails(
        &[
            "accountancy",
            "report",
            "icr",
            "--mba",
            "XQQ1",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
        ],
        1,
    );
    assert!(err.contains("unknown MBA XQQ1"), "{err}");
    // A second month and the measurements' uncertainties: one balance period
    // between the two takings, evaluated from the ledger.
    dir.write(
        "feb.jsonl",
        concat!(
            r#"{"time":"2026-02-01T00:00:00Z","kind":"material.measurement","payload":{"mba":"XBB1","kmp":"1","batch":"B1","element":"U","element_grams":1000000.0,"rsd_random":0.002,"rsd_systematic":0.001}}"#, "\n",
            r#"{"time":"2026-02-01T00:00:00Z","kind":"material.measurement","payload":{"mba":"XBB1","kmp":"A","batch":"B1","element":"U","element_grams":999000.0,"rsd_random":0.003,"rsd_systematic":0.0015}}"#, "\n",
            r#"{"time":"2026-02-10T00:00:00Z","kind":"material.inventory_change","payload":{"mba":"XBB1","batch":"B2","code":"RD","element":"U","element_grams":500000.0,"isotope_grams":20000.0,"counterpart_mba":"EXT:W","kmp":"1"}}"#, "\n",
            r#"{"time":"2026-02-28T00:00:00Z","kind":"material.physical_inventory","payload":{"mba":"XBB1","batch":"B1","element":"U","element_grams":999000.0,"isotope_grams":39960.0,"pit_date":"2026-02-28","kmp":"A"}}"#, "\n",
            r#"{"time":"2026-02-28T00:00:00Z","kind":"material.physical_inventory","payload":{"mba":"XBB1","batch":"B2","element":"U","element_grams":500000.0,"isotope_grams":20000.0,"pit_date":"2026-02-28","kmp":"A"}}"#, "\n",
            r#"{"time":"2026-02-28T12:00:00Z","kind":"material.inventory_taking","payload":{"mba":"XBB1","pit_date":"2026-02-28","line_count":2}}"#, "\n",
        ),
    );
    dir.ok(&["log", "append", "feb.jsonl", "--key", "xbb-operator-1.key"]);
    let e = json(&dir.ok(&["--json", "accountancy", "evaluate", "--mba", "XBB1"]));
    assert_eq!(e["periods"], 1, "{e}");
    assert!(e["muf"][0].as_f64().unwrap().abs() < 1e-9, "{e}");
    assert!(e["sigma_muf"][0].as_f64().unwrap() > 0.0, "{e}");
    assert!(e["findings"].as_array().unwrap().is_empty(), "{e}");
    // Bad material input is refused at append with file, line and field, and
    // nothing of it is applied.
    let before = size(&dir);
    let cases = [
        (
            r#"{"time":"2026-02-01T00:00:00Z","kind":"material.inventory_change","payload":{"mba":"XBB1","batch":"B2","code":"RD","element":"U","element_grams":5000.0,"isotope_grams":200.0,"counterpart_mba":"XQQ1"}}"#,
            "bad.jsonl:1: submission 0: field events[0].payload.counterpart_mba: unknown MBA XQQ1",
        ),
        (
            r#"{"time":"2026-02-01T00:00:00Z","kind":"material.inventory_change","payload":{"mba":"XQQ2","batch":"B2","code":"SD","element":"U","element_grams":5000.0,"isotope_grams":200.0,"counterpart_mba":"EXT:W"}}"#,
            "field events[0].payload.mba: unknown MBA XQQ2",
        ),
        (
            r#"{"time":"2026-02-01T00:00:00Z","kind":"material.inventory_change","payload":{"mba":"XBB1","batch":"B1","code":"RD","element":"U","element_grams":1000000.0,"isotope_grams":40000.0,"counterpart_mba":"EXT:W","correction":"D","corrects":{"event":"nope:1:0"}}}"#,
            "field events[0].payload.corrects.event: unknown line nope:1:0",
        ),
        (
            r#"{"time":"2026-02-01T00:00:00Z","kind":"material.inventory_change","payload":{"mba":"XBB1","batch":"B2","code":"ZZ","element":"U","element_grams":5.0}}"#,
            "bad.jsonl:1: field payload.code: unknown inventory change code \"ZZ\"",
        ),
        (
            r#"{"time":"2026-02-28T00:00:00Z","kind":"material.inventory_taking","payload":{"mba":"XBB1","pit_date":"2026-03-31","line_count":3}}"#,
            "field events[0].payload.line_count: expected 0",
        ),
    ];
    for (line, want) in cases {
        dir.write("bad.jsonl", &format!("{line}\n"));
        let err = dir.fails(
            &["log", "append", "bad.jsonl", "--key", "xbb-operator-1.key"],
            1,
        );
        assert!(
            err.contains(want) && err.contains("nothing applied"),
            "expected {want:?} in {err}"
        );
        assert_eq!(size(&dir), before);
    }
    // A negative mass is refused at append, naming file, line and field.
    dir.write(
        "bad.jsonl",
        r#"{"time":"2026-02-01T00:00:00Z","kind":"material.inventory_change","payload":{"mba":"XBB1","batch":"B2","code":"RD","element":"U","element_grams":-5.0,"counterpart_mba":"EXT:W"}}"#,
    );
    let err = dir.fails(
        &["log", "append", "bad.jsonl", "--key", "xbb-operator-1.key"],
        1,
    );
    assert!(
        err.contains("bad.jsonl:1: field payload.element_grams"),
        "{err}"
    );
}

#[test]
fn the_page_threshold_is_exact_and_the_monte_carlo_one_reproducible() {
    let dir = Dir::new("accountancy-threshold");
    let args = [
        "--json",
        "accountancy",
        "threshold",
        "--balances",
        "12",
        "--runs",
        "100000",
        "--seed",
        "11",
    ];
    let doc = json(&dir.ok(&args));
    assert!(
        (doc["exact"].as_f64().unwrap() - 3.374521).abs() < 1e-6,
        "{doc}"
    );
    let h = doc["monte_carlo"]["h"].as_f64().unwrap();
    // accountancy.md §10(f): within 0.035 at 10^5 runs.
    assert!((h - 3.374521).abs() <= 0.035, "{h}");
    let again = json(&dir.ok(&[&args[..], &["--threads", "1"]].concat()));
    assert_eq!(
        again["monte_carlo"]["h"], doc["monte_carlo"]["h"],
        "the seed, not the threads, decides"
    );
    let err = dir.fails(
        &[
            "accountancy",
            "threshold",
            "--balances",
            "12",
            "--alpha",
            "1.5",
        ],
        1,
    );
    assert!(err.contains("alpha"), "{err}");
}

#[test]
fn labelled_reports_are_imported_as_events_and_exported_byte_for_byte() {
    let dir = Dir::new("accountancy-labelled");
    dir.ok(&[
        "init",
        "--origin",
        "custodian.test/labelled",
        "--empty-registry",
    ]);
    dir.ok(&["key", "generate", "xbb-operator-1"]);
    dir.ok(&[
        "actor",
        "add",
        "xbb-operator-1",
        "--role",
        "operator",
        "--party",
        "state:XBB",
        "--public-key",
        "xbb-operator-1.vkey",
        "--key",
        "admin.key",
    ]);
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/labelled/");
    let setup = format!("{examples}xbb1-setup.jsonl");
    dir.ok(&["log", "append", &setup, "--key", "xbb-operator-1.key"]);
    // The counterpart MBA of the receipts and shipments is XCC's, registered
    // by XCC: nobody writes into another state's accounts.
    dir.add_actor("xcc-operator-1", "operator", "state:XCC");
    let counterpart = format!("{examples}xcc9-setup.jsonl");
    dir.ok(&["log", "append", &counterpart, "--key", "xcc-operator-1.key"]);
    for (number, name) in [
        (1, "xbb1-icr-1.txt"),
        (2, "xbb1-icr-2.txt"),
        (3, "xbb1-pil-3.txt"),
    ] {
        let file = format!("{examples}{name}");
        dir.ok(&[
            "accountancy",
            "import",
            &file,
            "--key",
            "xbb-operator-1.key",
        ]);
        let out = dir.ok(&[
            "accountancy",
            "export",
            "--mba",
            "XBB1",
            "--report",
            &number.to_string(),
        ]);
        assert_eq!(out.as_bytes(), std::fs::read(&file).unwrap(), "{name}");
    }
    // The imported lines are material accounts like any other: the MBR of
    // January to February closes over them.
    let mbr = json(&dir.ok(&[
        "--json",
        "accountancy",
        "report",
        "mbr",
        "--mba",
        "XBB1",
        "--from",
        "2026-01-01",
        "--to",
        "2026-02-28",
    ]));
    assert_eq!(mbr["balances"][0]["lines"][0]["code"], "PB", "{mbr}");
    let before = size(&dir);
    // Bad input: the file, its line and label; nothing applied.
    let icr1 = std::fs::read_to_string(format!("{examples}xbb1-icr-1.txt")).unwrap();
    dir.write(
        "wide.txt",
        &icr1.replace("BATCH:B-001", "BATCH:B-0000000000000000001"),
    );
    let err = dir.fails(
        &[
            "accountancy",
            "import",
            "wide.txt",
            "--key",
            "xbb-operator-1.key",
        ],
        1,
    );
    assert!(
        err.contains("wide.txt:12: field BATCH: 1 to 20 characters"),
        "{err}"
    );
    assert!(err.contains("nothing applied"), "{err}");
    let file = format!("{examples}xbb1-icr-1.txt");
    let err = dir.fails(
        &[
            "accountancy",
            "import",
            &file,
            "--key",
            "xbb-operator-1.key",
        ],
        1,
    );
    assert!(err.contains("field REPORT NUMBER"), "{err}");
    let err = dir.fails(
        &["accountancy", "export", "--mba", "XBB1", "--report", "9"],
        1,
    );
    assert!(err.contains("no report 9 filed for MBA XBB1"), "{err}");
    assert_eq!(size(&dir), before);
    dir.ok(&["audit"]);
}

#[test]
fn the_plant_recorded_in_the_ledger_raises_the_diversion_as_a_finding() {
    let mut dir = Dir::new("accountancy-plant");
    // The scenario writes an SQLite file; what reads it runs on the suite's store.
    let out = dir.ok(&[
        "--db",
        "plant.db",
        "accountancy",
        "scenario",
        "--ledger",
        "abrupt",
    ]);
    assert!(
        out.contains("FINDING page_alarm: balance 7 (2025-07-01 to 2025-07-31)"),
        "{out}"
    );
    dir.adopt("plant.db");
    let e = json(&dir.ok(&["--json", "accountancy", "evaluate", "--mba", "XFF1"]));
    assert_eq!(e["findings"][0]["kind"], "page_alarm", "{e}");
    assert_eq!(e["findings"][0]["balance"], 7);
    assert_eq!(e["page_first_alarm_balance"], 7);
    assert!(!e["findings"][0]["evidence"].as_array().unwrap().is_empty());
    // The second half-year alone: balances 7 to 12, the alarm at its first.
    let e = json(&dir.ok(&[
        "--json",
        "accountancy",
        "evaluate",
        "--mba",
        "XFF1",
        "--from",
        "2025-06-30",
        "--to",
        "2025-12-31",
    ]));
    assert_eq!(e["balance_periods"].as_array().unwrap().len(), 6, "{e}");
    assert_eq!(e["page_first_alarm_balance"], 1);
    dir.ok(&["audit"]);
    // Without loss (seed 1): no Page alarm.
    let out = dir.ok(&[
        "--db",
        "none.db",
        "accountancy",
        "scenario",
        "--ledger",
        "none",
    ]);
    assert!(!out.contains("FINDING page_alarm"), "{out}");
}
