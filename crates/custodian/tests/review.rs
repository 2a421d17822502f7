//! The review cycle through the real binary (issue 9): cycles with sources,
//! reports submitted as signed events and refused with file, line and field
//! (nothing applied), show, compare, summaries bound to a checkpoint, the
//! scenario.

mod common;

use common::{size, Dir};
use serde_json::{json, Value};

fn json_of(d: &Dir, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = d.ok(&all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// A log with the bundled registry and two reporting officers.
fn setup(tag: &str) -> Dir {
    let d = Dir::new(tag);
    d.ok(&["init"]);
    for (actor, state) in [("gbr-1", "GBR"), ("fra-1", "FRA")] {
        d.ok(&["key", "generate", actor]);
        d.ok(&[
            "actor",
            "add",
            actor,
            "--role",
            "state_authority",
            "--party",
            &format!("state:{state}"),
            "--public-key",
            &format!("{actor}.vkey"),
            "--key",
            "admin.key",
        ]);
    }
    d
}

fn report(as_of: &str, reserve: Value, total: u64) -> Value {
    let c = |n: u64, unit: &str| json!({"value": n, "unit": unit});
    json!({
        "format": "custodian/npt-report/v1",
        "as_of": as_of,
        "illustrative": true,
        "note": "test figures",
        "warheads": {
            "deployed_strategic": c(120, "warheads"),
            "deployed_non_strategic": c(0, "warheads"),
            "reserve": reserve,
            "awaiting_dismantlement": c(0, "warheads"),
            "total": c(total, "warheads")
        },
        "delivery_vehicles": {"icbm": c(0, "missiles"), "slbm": c(40, "missiles"), "bombers": c(0, "aircraft"), "launchers": c(40, "launchers")},
        "fissile_material": {
            "heu": {"value": 20.5, "unit": "tonnes"}, "heu_declared_excess": "not_reported",
            "separated_plutonium": "not_reported", "plutonium_declared_excess": "not_reported"
        },
        "reductions": {"warheads_dismantled": c(0, "warheads"), "delivery_vehicles_eliminated": c(0, "vehicles"), "description": "none"},
        "doctrine": {"declaratory_policy": "test", "security_assurances": "test"},
        "measures": {"ctbt_status": "test", "fmct_position": "not_reported", "transparency": []}
    })
}

fn write_payload(d: &Dir, name: &str, state: &str, cycle: u16, report: Value) {
    let text =
        serde_json::to_string_pretty(&json!({"state": state, "cycle": cycle, "report": report}))
            .unwrap();
    d.write(name, &text);
}

#[test]
fn cycles_and_a_cycle_come_with_outcomes_dates_and_sources() {
    // SQLite by nature: the cycles need no log, and the test checks what is
    // said when the database file does not exist.
    let d = Dir::sqlite("review-cycles");
    let all = json_of(&d, &["review", "cycles"]);
    let years: Vec<u64> = all["cycles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cycle"].as_u64().unwrap())
        .collect();
    assert_eq!(
        years,
        [1975, 1980, 1985, 1990, 1995, 2000, 2005, 2010, 2015, 2020, 2026]
    );
    let text = d.ok(&["review", "cycles"]);
    assert!(text.contains("no final document"), "{text}");
    let c2010 = json_of(&d, &["review", "cycle", "2010"]);
    assert_eq!(c2010["cycle"]["commitments"].as_array().unwrap().len(), 64);
    assert!(c2010["cycle"]["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| !c["row"]["source"].as_str().unwrap().is_empty()
            && !c["row"]["adopted"].as_str().unwrap().is_empty()));
    // 2022 is the 2020 cycle's conference.
    let text = d.ok(&["review", "cycle", "2022"]);
    assert!(text.contains("NPT review cycle 2020"), "{text}");
    assert!(text.contains("Completeness: no log"), "{text}");
    let c2000 = d.ok(&["review", "cycle", "2000"]);
    assert!(
        c2000.contains("2000-S13") && c2000.contains("NPT/CONF.2000/28"),
        "{c2000}"
    );
    let err = d.fails(&["review", "cycle", "2030"], 1);
    assert!(err.contains("no NPT review cycle 2030"), "{err}");
}

#[test]
fn reports_are_submitted_shown_compared_and_summarised() {
    let d = setup("review-flow");
    write_payload(
        &d,
        "gbr2015.json",
        "GBR",
        2015,
        report("2015-01-01", json!({"value": 105, "unit": "warheads"}), 225),
    );
    write_payload(
        &d,
        "gbr2020.json",
        "GBR",
        2020,
        report("2022-01-01", json!("not_reported"), 180),
    );
    let before = size(&d);
    let r = json_of(
        &d,
        &[
            "review",
            "report",
            "submit",
            "gbr2015.json",
            "--key",
            "gbr-1.key",
        ],
    );
    assert_eq!(r["tree_size"].as_u64(), Some(before + 1), "{r}");
    assert_eq!(r["events"].as_u64(), Some(1), "{r}");
    d.ok(&[
        "review",
        "report",
        "submit",
        "gbr2020.json",
        "--key",
        "gbr-1.key",
    ]);
    assert_eq!(size(&d), before + 2);

    let shown = json_of(&d, &["review", "report", "show", "GBR", "2020"]);
    assert_eq!(shown["report"]["state"], "GBR");
    assert_eq!(shown["content"]["warheads"]["reserve"], "not_reported");
    let nr: Vec<&str> = shown["not_reported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        nr.contains(&"warheads.reserve") && nr.contains(&"measures.fmct_position"),
        "{nr:?}"
    );
    assert!(shown["estimates"]["caveat"]
        .as_str()
        .unwrap()
        .contains("not a finding"));
    let text = d.ok(&["review", "report", "show", "GBR", "2022"]);
    assert!(
        text.contains("NOT REPORTED") && text.contains("estimates, not findings"),
        "{text}"
    );

    let cmp = json_of(&d, &["review", "compare", "GBR", "2015", "2020"]);
    let fields = cmp["comparison"]["fields"].as_array().unwrap();
    let by = |f: &str| fields.iter().find(|c| c["field"] == f).unwrap();
    assert_eq!(by("warheads.reserve")["change"], "no_longer_reported");
    assert_eq!(by("warheads.total")["change"], "changed");
    assert_eq!(by("warheads.total")["difference"], -45.0);
    assert_eq!(by("warheads.deployed_strategic")["change"], "unchanged");

    // Completeness with the log.
    let c = json_of(&d, &["review", "cycle", "2020"]);
    assert_eq!(c["completeness"]["reported"], json!(["GBR"]));
    assert_eq!(
        c["completeness"]["missing"],
        json!(["CHN", "FRA", "RUS", "USA"])
    );

    // The summary: four files, the JSON bound to the latest checkpoint.
    let out = json_of(&d, &["review", "summary", "2020", "--out", "sum"]);
    assert_eq!(out["files"].as_array().unwrap().len(), 4);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(d.path("sum/npt-review-2020.json")).unwrap())
            .unwrap();
    assert_eq!(summary["checkpoint"]["tree_size"].as_u64(), Some(size(&d)));
    let head = d.ok(&["log", "head"]);
    assert_eq!(
        summary["checkpoint"]["checkpoint"].as_str().unwrap().trim(),
        head.trim()
    );
    let csv = std::fs::read_to_string(d.path("sum/npt-review-2020.csv")).unwrap();
    assert!(csv.lines().count() == 6 && csv.contains("\r\n"), "{csv}");
    let html = std::fs::read_to_string(d.path("sum/npt-review-2020.html")).unwrap();
    assert!(html.contains("<table") && !html.contains("<script"));
    let md = std::fs::read_to_string(d.path("sum/npt-review-2020.md")).unwrap();
    assert!(md.contains("Not reported: CHN, FRA, RUS, USA"), "{md}");

    // The audit replays the reports through the review engine.
    assert!(d.ok(&["audit"]).contains("audit passed"));
}

#[test]
fn bad_reports_are_refused_with_file_line_and_field_and_nothing_is_applied() {
    let d = setup("review-bad");
    let good = report("2015-01-01", json!({"value": 105, "unit": "warheads"}), 225);
    let before = size(&d);
    let mut unknown = good.clone();
    unknown["warheads"]["tactical"] = json!({"value": 1, "unit": "warheads"});
    let mut unit = good.clone();
    unit["fissile_material"]["heu"] = json!({"value": 20500, "unit": "kg"});
    let mut negative = good.clone();
    negative["warheads"]["reserve"] = json!({"value": -5, "unit": "warheads"});
    let mut sum = good.clone();
    sum["warheads"]["total"] = json!({"value": 999, "unit": "warheads"});
    let cases: Vec<(&str, u16, Value, &str, &str)> = vec![
        (
            "GBR",
            2015,
            unknown,
            "field report.warheads.tactical: expected no such field",
            "\"tactical\"",
        ),
        (
            "GBR",
            2015,
            unit,
            "field report.fissile_material.heu.unit: expected \"tonnes\"",
            "\"kg\"",
        ),
        (
            "GBR",
            2015,
            negative,
            "field report.warheads.reserve.value: expected a non-negative count",
            "-5",
        ),
        (
            "GBR",
            2015,
            sum,
            "field report.warheads.total.value: expected the sum",
            "999",
        ),
        (
            "FRA",
            2015,
            good.clone(),
            "field state: actor \"gbr-1\" acts for state:GBR, not for state:FRA",
            "\"state\"",
        ),
        (
            "GBR",
            2030,
            good.clone(),
            "field cycle: no NPT review cycle 2030",
            "\"cycle\"",
        ),
        ("GBR", 2022, good.clone(), "give 2020", "\"cycle\""),
    ];
    for (i, (state, cycle, rep, want, needle)) in cases.into_iter().enumerate() {
        let name = format!("bad{i}.json");
        write_payload(&d, &name, state, cycle, rep);
        // The line of the offending member in the file as written.
        let text = std::fs::read_to_string(d.path(&name)).unwrap();
        let n = text.lines().position(|l| l.contains(needle)).unwrap() + 1;
        let line = format!(":{n}:");
        let err = d.fails(
            &["review", "report", "submit", &name, "--key", "gbr-1.key"],
            1,
        );
        assert!(err.contains(&name) && err.contains(want), "case {i}: {err}");
        assert!(
            err.contains(&format!("{name}{line}")),
            "case {i}: want line {line}: {err}"
        );
        assert!(err.trim_end().ends_with("nothing applied"), "{err}");
        assert_eq!(size(&d), before, "case {i}: the log grew");
    }
    // Malformed JSON, an extra top-level member, a missing file.
    d.write("broken.json", "{\"state\": \"GBR\",");
    let err = d.fails(
        &[
            "review",
            "report",
            "submit",
            "broken.json",
            "--key",
            "gbr-1.key",
        ],
        1,
    );
    assert!(err.contains("broken.json: malformed JSON"), "{err}");
    d.write(
        "extra.json",
        &json!({"state": "GBR", "cycle": 2015, "report": good, "signature": "x"}).to_string(),
    );
    let err = d.fails(
        &[
            "review",
            "report",
            "submit",
            "extra.json",
            "--key",
            "gbr-1.key",
        ],
        1,
    );
    assert!(err.contains("field signature: no such field"), "{err}");
    let err = d.fails(
        &[
            "review",
            "report",
            "submit",
            "missing.json",
            "--key",
            "gbr-1.key",
        ],
        1,
    );
    assert!(err.contains("missing.json: cannot read"), "{err}");
    assert_eq!(size(&d), before);
    // A report that was never filed.
    let err = d.fails(&["review", "report", "show", "USA", "2015"], 1);
    assert!(
        err.contains("no report by USA for the 2015 review cycle"),
        "{err}"
    );
    // A report signed elsewhere and appended with `log append` is refused by the
    // same rule.
    d.write(
        "events.jsonl",
        &format!("{}\n", json!({"kind": "review.report", "payload": {"state": "FRA", "cycle": 2015, "report": report("2015-01-01", json!({"value": 105, "unit": "warheads"}), 225)}})),
    );
    let err = d.fails(&["log", "append", "events.jsonl", "--key", "gbr-1.key"], 1);
    assert!(err.contains("events[0].payload.state"), "{err}");
    assert_eq!(size(&d), before);
}

#[test]
fn the_scenario_shows_who_left_fields_not_reported() {
    let mut d = Dir::new("review-scenario");
    let out = d.ok(&["--db", "r.db", "review", "scenario"]);
    // The scenario writes an SQLite file; what reads it runs on the suite's store.
    d.adopt("r.db");
    assert!(out.contains("Audit passed"), "{out}");
    assert_eq!(out.matches("REFUSED").count(), 3, "{out}");
    assert!(out.contains("NOT REPORTED: CHN RUS USA"), "{out}");
    assert!(
        out.contains("FRA  reported")
            && out.contains("left not reported: warheads.deployed_non_strategic"),
        "{out}"
    );
    assert!(
        out.contains("GBR  reported") && out.contains("21 of 21 fields; left not reported: none"),
        "{out}"
    );
    let shown = json_of(&d, &["review", "report", "show", "FRA", "2020"]);
    assert_eq!(shown["report"]["illustrative"], true);
    assert!(shown["note"].as_str().unwrap().contains("ILLUSTRATIVE"));
    d.ok(&["audit"]);
}
