//! Declarations in escrow from the command line (issue 7): commit under the
//! two-person rule, reveal, sample from a public seed, prove a total within a
//! limit, catch a tampered reveal and an undeclared site; bad input refused
//! with nothing applied.

mod common;

use common::{size, Dir};
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

const DECLARATION: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/escrow-declaration.json"
);

fn committed_log(tag: &str) -> Dir {
    let dir = Dir::new(tag);
    dir.ok(&[
        "init",
        "--origin",
        "custodian.test/escrow",
        "--empty-registry",
    ]);
    dir.add_actor("xaa-official-1", "state_authority", "state:XAA");
    dir.add_actor("xaa-official-2", "state_authority", "state:XAA");
    dir.add_actor("inspector-1", "inspector", "body:inspectorate");
    let commit = |approve: bool| {
        let mut args = vec![
            "escrow",
            "commit",
            DECLARATION,
            "--declaration",
            "xaa-2026",
            "--state",
            "XAA",
            "--as-of",
            "2026-01-01",
            "--scope",
            "every warhead, site and stock",
            "--key",
            "xaa-official-1.key",
            "--secret",
            "xaa.secret",
            "--secret-key",
            "xaa.secret-key",
        ];
        if approve {
            args.extend(["--approve", "xaa-official-2.key"]);
        }
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    // One official alone: refused by the two-person rule, nothing applied,
    // and no secret file left behind.
    let before = size(&dir);
    let alone = commit(false);
    let alone: Vec<&str> = alone.iter().map(String::as_str).collect();
    let err = dir.fails(&alone, 1);
    assert!(
        err.contains("escrow.commit needs 2 distinct signer(s)"),
        "{err}"
    );
    assert!(err.contains("nothing applied"), "{err}");
    assert_eq!(size(&dir), before);
    assert!(!dir.path("xaa.secret").exists());
    let both = commit(true);
    let both: Vec<&str> = both.iter().map(String::as_str).collect();
    let out = json(&dir.ok(&[&["--json"][..], &both].concat()));
    assert_eq!(out["entries"], 24, "{out}");
    dir
}

const SECRET: [&str; 4] = ["--secret", "xaa.secret", "--secret-key", "xaa.secret-key"];

#[test]
fn a_declaration_is_committed_revealed_sampled_and_its_total_proven() {
    let dir = committed_log("escrow-cli");
    let state = ["--key", "xaa-official-1.key", "--declaration", "xaa-2026"];
    // A total within its limit; one above it cannot be proven.
    dir.ok(&[
        &[
            "escrow",
            "prove-total",
            "--measure",
            "deployed_warheads",
            "--limit",
            "12",
        ][..],
        &SECRET,
        &state,
    ]
    .concat());
    let before = size(&dir);
    let err = dir.fails(
        &[
            &[
                "escrow",
                "prove-total",
                "--measure",
                "deployed_warheads",
                "--limit",
                "8",
            ][..],
            &SECRET,
            &state,
        ]
        .concat(),
        1,
    );
    assert!(err.contains("nothing applied"), "{err}");
    assert_eq!(size(&dir), before);
    // A region, complete.
    dir.ok(&[
        &[
            "escrow",
            "reveal",
            "--category",
            "warhead",
            "--region",
            "west",
        ][..],
        &SECRET,
        &state,
    ]
    .concat());
    // The inspector's sample: the draw anyone can reproduce from the seed.
    let seed_size = size(&dir);
    dir.ok(&[
        "escrow",
        "challenge",
        "--declaration",
        "xaa-2026",
        "--key",
        "inspector-1.key",
        "--sample",
        "5",
    ]);
    let draw = json(&dir.ok(&[
        "--json",
        "escrow",
        "sample",
        "--declaration",
        "xaa-2026",
        "--seed-from",
        &seed_size.to_string(),
        "--n",
        "5",
    ]));
    assert_eq!(draw["draw"].as_array().unwrap().len(), 5, "{draw}");
    dir.ok(&[
        &["escrow", "reveal", "--answer", "inspector-1:1:0"][..],
        &SECRET,
        &state,
    ]
    .concat());
    let v = json(&dir.ok(&["--json", "escrow", "verify", "--declaration", "xaa-2026"]));
    let opened = v["declarations"][0]["opened"].as_array().unwrap();
    let modes: Vec<&str> = opened.iter().map(|o| o["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, ["total", "range", "sample"], "{v}");
    assert!(opened.iter().all(|o| o["outcome"]["Ok"].is_string()), "{v}");
    let total = dir.ok(&["escrow", "verify-total"]);
    assert!(
        total.contains("total deployed_warheads within 0..=12"),
        "{total}"
    );
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v}");
    // The seed must postdate the commitment.
    let err = dir.fails(
        &[
            "escrow",
            "sample",
            "--declaration",
            "xaa-2026",
            "--seed-from",
            "2",
            "--n",
            "5",
        ],
        1,
    );
    assert!(err.contains("after the commitment"), "{err}");
    // The plan before an inspection: accountancy.md §10(e), N = 50, r = 2, n = 15.
    let p = json(&dir.ok(&[
        "--json",
        "escrow",
        "plan",
        "--entries",
        "50",
        "--wrong",
        "2",
        "--target",
        "0.5",
    ]));
    assert_eq!(p["sample_size"], 15, "{p}");
    let exact = 1.0 - (35.0 * 34.0) / (50.0 * 49.0);
    assert!(
        (p["detection_probability"].as_f64().unwrap() - exact).abs() < 1e-12,
        "{p}"
    );
}

#[test]
fn a_tampered_reveal_becomes_a_finding_and_bad_input_is_refused() {
    let dir = committed_log("escrow-bad");
    let state = ["--key", "xaa-official-1.key", "--declaration", "xaa-2026"];
    dir.ok(&[
        &["escrow", "reveal", "--entry", "warhead/west/w-201"][..],
        &SECRET,
        &state,
    ]
    .concat());
    // The same reveal with the status changed, published around the state's
    // tool: the log takes it (it is well formed), the verification does not.
    let last = size(&dir) - 1;
    let entry = json(&dir.ok(&[
        "--json",
        "log",
        "entries",
        "--from",
        &last.to_string(),
        "--to",
        &size(&dir).to_string(),
    ]));
    let hex = entry["data"].as_str().unwrap();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let leaf = json(std::str::from_utf8(&bytes).unwrap());
    let mut payload = leaf["events"][0]["payload"].clone();
    assert_eq!(
        payload["reveal"]["entries"][0]["opening"]["status"], "deployed",
        "{payload}"
    );
    payload["reveal"]["entries"][0]["opening"]["status"] = "stored".into();
    let line = serde_json::json!({"kind": "escrow.reveal", "payload": payload});
    dir.write("tampered.jsonl", &format!("{line}\n"));
    dir.ok(&[
        "log",
        "append",
        "tampered.jsonl",
        "--key",
        "xaa-official-1.key",
    ]);
    let err = dir.fails(&["escrow", "verify"], 3);
    assert!(err.contains("does not verify"), "{err}");
    let out = dir.run(&["--json", "escrow", "verify"]);
    let v = json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(v["findings"][0]["kind"], "reveal_invalid", "{v}");
    // Bad input: nothing applied.
    let before = size(&dir);
    let decl = std::fs::read_to_string(DECLARATION).unwrap();
    let dup = decl.replacen("\"id\": \"w-102\"", "\"id\": \"w-101\"", 1);
    dir.write("dup.json", &dup);
    let err = dir.fails(
        &[
            "escrow",
            "commit",
            "dup.json",
            "--declaration",
            "xaa-2",
            "--state",
            "XAA",
            "--as-of",
            "2026-01-01",
            "--scope",
            "all",
            "--key",
            "xaa-official-1.key",
            "--approve",
            "xaa-official-2.key",
            "--secret",
            "dup.secret",
            "--secret-key",
            "xaa.secret-key",
        ],
        1,
    );
    assert!(
        err.contains("dup.json") && err.contains("entries["),
        "{err}"
    );
    assert!(err.contains("nothing applied"), "{err}");
    // A reveal for a declaration that does not exist; a sample larger than the declaration.
    let err = dir.fails(
        &[
            "escrow",
            "reveal",
            "--declaration",
            "nope",
            "--category",
            "warhead",
            "--key",
            "xaa-official-1.key",
            "--secret",
            "xaa.secret",
            "--secret-key",
            "xaa.secret-key",
        ],
        1,
    );
    assert!(err.contains("no declaration nope"), "{err}");
    let err = dir.fails(
        &[
            "escrow",
            "challenge",
            "--declaration",
            "xaa-2026",
            "--key",
            "inspector-1.key",
            "--sample",
            "99",
        ],
        1,
    );
    assert!(
        err.contains("a sample size from 1 to the 24 entries"),
        "{err}"
    );
    // An inspector cannot reveal for the state.
    let err = dir.fails(
        &[
            &["escrow", "reveal", "--category", "heu"][..],
            &SECRET,
            &["--key", "inspector-1.key", "--declaration", "xaa-2026"],
        ]
        .concat(),
        1,
    );
    assert!(err.contains("escrow.reveal"), "{err}");
    assert_eq!(size(&dir), before);
}

#[test]
fn the_escrow_scenario_finds_the_undeclared_site_with_evidence() {
    let mut dir = Dir::new("escrow-scenario");
    let out = dir.ok(&["--db", "s.db", "escrow", "scenario"]);
    // The scenario writes an SQLite file; what reads it runs on the suite's store.
    dir.adopt("s.db");
    assert!(out.contains("FINDING undeclared (closed)"), "{out}");
    assert!(out.contains("Evidence, verified offline"), "{out}");
    let v = json(&dir.ok(&["--json", "escrow", "verify"]));
    let kinds: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["undeclared"], "{v}");
    // XAA's report to the 2026 review cycle, bound to the committed total:
    // 9 verified, then a revision stating 7 while opening 9, a finding.
    assert!(
        out.contains(
            "= 9 warheads  bound to xaa-2026 deployed_warheads (opened 9): bound and verified"
        ),
        "{out}"
    );
    assert!(
        out.contains("= 7 warheads  bound to xaa-2026 deployed_warheads (opened 9): FINDING reported_total_disagrees"),
        "{out}"
    );
    let shown = json(&dir.ok(&["--json", "review", "report", "show", "XAA", "2026"]));
    let verdicts: Vec<&str> = shown["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts,
        ["verified", "reported_total_disagrees"],
        "{shown}"
    );
    let events: Vec<&str> = shown["bindings"][1]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["review.report", "escrow.commit"], "{shown}");
    dir.ok(&["audit"]);
}

/// XAA's report to the 2026 cycle: `deployed` deployed strategic warheads of
/// 16, with `bindings`.
fn xaa_report(deployed: u64, bindings: Value) -> Value {
    let c = |n: u64| serde_json::json!({"value": n, "unit": "warheads"});
    serde_json::json!({
        "state": "XAA",
        "cycle": 2026,
        "report": {
            "format": "custodian/npt-report/v1",
            "as_of": "2026-01-01",
            "illustrative": true,
            "warheads": {
                "deployed_strategic": c(deployed),
                "deployed_non_strategic": c(0),
                "reserve": "not_reported",
                "awaiting_dismantlement": "not_reported",
                "total": "not_reported"
            },
            "delivery_vehicles": {"icbm": "not_reported", "slbm": "not_reported", "bombers": "not_reported", "launchers": "not_reported"},
            "fissile_material": {"heu": "not_reported", "heu_declared_excess": "not_reported", "separated_plutonium": "not_reported", "plutonium_declared_excess": "not_reported"},
            "reductions": {"warheads_dismantled": "not_reported", "delivery_vehicles_eliminated": "not_reported", "description": "not_reported"},
            "doctrine": {"declaratory_policy": "not_reported", "security_assurances": "not_reported"},
            "measures": {"ctbt_status": "not_reported", "fmct_position": "not_reported", "transparency": "not_reported"},
            "bindings": bindings
        }
    })
}

fn binding(field: &str, declaration: &str, opening: &Value) -> Value {
    serde_json::json!([{"field": field, "declaration": declaration, "opening": opening}])
}

#[test]
fn a_reported_total_bound_to_the_commitment_is_verified_or_a_finding() {
    let dir = committed_log("escrow-bind");
    let d = "warheads.deployed_strategic";
    // The state opens its committed total of deployed warheads.
    let opening = json(
        &dir.ok(&[
            &[
                "escrow",
                "open-total",
                "--declaration",
                "xaa-2026",
                "--measure",
                "deployed_warheads",
            ][..],
            &SECRET,
        ]
        .concat()),
    );
    assert_eq!(opening["value"], 9, "{opening}");
    assert_eq!(opening["measure"], "deployed_warheads", "{opening}");
    let err = dir.fails(
        &[
            &[
                "escrow",
                "open-total",
                "--declaration",
                "xaa-2026",
                "--measure",
                "grams_pu",
            ][..],
            &SECRET,
        ]
        .concat(),
        1,
    );
    assert!(err.contains("grams_pu"), "{err}");
    // A forged opening: the report's 7 with the true blinding.
    let mut forged = opening.clone();
    forged["value"] = 7.into();
    let reports = [
        ("true.json", xaa_report(9, binding(d, "xaa-2026", &opening))),
        (
            "disagrees.json",
            xaa_report(7, binding(d, "xaa-2026", &opening)),
        ),
        (
            "forged.json",
            xaa_report(7, binding(d, "xaa-2026", &forged)),
        ),
        (
            "unknown.json",
            xaa_report(9, binding(d, "xaa-2099", &opening)),
        ),
    ];
    for (name, report) in &reports {
        dir.write(name, &serde_json::to_string_pretty(report).unwrap());
        // Every one is taken: the report is the state's testimony.
        dir.ok(&[
            "review",
            "report",
            "submit",
            name,
            "--key",
            "xaa-official-1.key",
        ]);
    }
    let shown = json(&dir.ok(&["--json", "review", "report", "show", "XAA", "2026"]));
    let verdicts: Vec<(u64, &str, u64, u64)> = shown["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["revision"].as_u64().unwrap(),
                b["verdict"].as_str().unwrap(),
                b["reported"].as_u64().unwrap(),
                b["opened"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            (1, "verified", 9, 9),
            (2, "reported_total_disagrees", 7, 9),
            (3, "total_opening_invalid", 7, 7),
            (4, "declaration_unknown", 9, 9),
        ],
        "{shown}"
    );
    let disagrees = &shown["bindings"][1];
    assert!(disagrees["finding"].as_bool().unwrap());
    let commit_leaf = disagrees["events"][1]["leaf"].as_u64().unwrap();
    assert_eq!(disagrees["events"][1]["kind"], "escrow.commit");
    assert!(
        disagrees["message"]
            .as_str()
            .unwrap()
            .contains("gives 9, not 7"),
        "{disagrees}"
    );
    assert!(shown["bindings"][2]["message"]
        .as_str()
        .unwrap()
        .contains("does not open the committed total"));
    let text = dir.ok(&["review", "report", "show", "XAA", "2026"]);
    assert!(text.contains("(opened 9): bound and verified"), "{text}");
    assert!(text.contains("FINDING reported_total_disagrees"), "{text}");
    assert!(
        text.contains(&format!(
            "leaf {commit_leaf} event xaa-official-1:1:0 (escrow.commit"
        )),
        "{text}"
    );
    // The cycle's completeness view and the summary list them.
    let cycle = json(&dir.ok(&["--json", "review", "cycle", "2026"]));
    assert_eq!(cycle["bindings"].as_array().unwrap().len(), 4, "{cycle}");
    let text = dir.ok(&["review", "cycle", "2026"]);
    assert!(
        text.contains("1 bound and verified, 3 finding(s)"),
        "{text}"
    );
    let out = json(&dir.ok(&["--json", "review", "summary", "2026", "--out", "sum"]));
    assert_eq!(out["binding_findings"], 3, "{out}");
    let summary = json(&std::fs::read_to_string(dir.path("sum/npt-review-2026.json")).unwrap());
    assert_eq!(
        summary["bindings"][1]["verdict"],
        "reported_total_disagrees"
    );
    // Bad bindings are refused with file, line and field; nothing applied.
    let before = size(&dir);
    let mut unreported = xaa_report(9, binding("warheads.total", "xaa-2026", &opening));
    unreported["report"]["warheads"]["total"] = "not_reported".into();
    let mut twice = xaa_report(9, binding(d, "xaa-2026", &opening));
    let again = twice["report"]["bindings"][0].clone();
    twice["report"]["bindings"]
        .as_array_mut()
        .unwrap()
        .push(again);
    let mut salted = xaa_report(9, binding(d, "xaa-2026", &opening));
    salted["report"]["bindings"][0]["opening"]["salt"] = "00".into();
    let cases = [
        (
            unreported,
            "field report.bindings[0].field: expected a field the report gives a value for",
        ),
        (
            twice,
            "field report.bindings[1].field: expected each field bound once",
        ),
        (
            salted,
            "field report.bindings[0].opening.salt: expected no such field",
        ),
    ];
    for (i, (report, want)) in cases.into_iter().enumerate() {
        let name = format!("bad{i}.json");
        dir.write(&name, &serde_json::to_string_pretty(&report).unwrap());
        let err = dir.fails(
            &[
                "review",
                "report",
                "submit",
                &name,
                "--key",
                "xaa-official-1.key",
            ],
            1,
        );
        assert!(err.contains(want), "case {i}: {err}");
        assert!(err.contains(&format!("{name}:")), "case {i}: {err}");
        assert!(err.trim_end().ends_with("nothing applied"), "{err}");
    }
    assert_eq!(size(&dir), before);
    dir.ok(&["audit"]);
}
