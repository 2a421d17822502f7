//! The treaty registry through the real binary: loaded into the log by `init`,
//! queried from the log, updated by signed imports (or not at all), exported
//! with a manifest bound to a checkpoint.

mod common;

use common::{size, Dir};
use serde_json::Value;
use std::path::PathBuf;

/// A fresh log made by `custodian init` (with the bundled registry).
fn init(tag: &str) -> Dir {
    let d = Dir::new(tag);
    d.ok(&["init"]);
    d
}

fn json(d: &Dir, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&d.ok(&all)).unwrap()
}

fn codes(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn queries_answer_from_the_log_per_reading() {
    let d = init("queries");
    // CTBT Art. XIV: all 44 Annex 2 states; Russia revoked its ratification on
    // 2023-11-02 (memberships.csv, added row; SOURCES.md).
    let before = json(&d, &["regime", "in-force", "CTBT", "--at", "2023-11-01"]);
    let after = json(&d, &["regime", "in-force", "CTBT", "--at", "2023-11-02"]);
    for a in before["answers"].as_array().unwrap() {
        assert_eq!(
            codes(&a["value"]["missing"]),
            ["CHN", "EGY", "IND", "IRN", "ISR", "PAK", "PRK", "USA"]
        );
    }
    for a in after["answers"].as_array().unwrap() {
        assert_eq!(
            codes(&a["value"]["missing"]),
            ["CHN", "EGY", "IND", "IRN", "ISR", "PAK", "PRK", "RUS", "USA"]
        );
    }
    // NPT Art. IX.3 nuclear-weapon states at 2020-01-01, under every reading.
    let npt = json(&d, &["regime", "status", "NPT", "--at", "2020-01-01"]);
    for a in npt["answers"].as_array().unwrap() {
        assert_eq!(
            codes(&a["value"]["nuclear_weapon_states"]),
            ["CHN", "FRA", "GBR", "RUS", "USA"]
        );
    }
    // The DPRK's 2003 NPT withdrawal is contested: every answer names its reading.
    let prk = json(&d, &["regime", "state", "PRK", "--at", "2004-01-01"]);
    let npt_entry = prk["treaties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["treaty"] == "NPT")
        .unwrap();
    let answers = npt_entry["status"].as_array().unwrap();
    assert_eq!(answers.len(), 3, "{npt_entry}");
    assert!(answers
        .iter()
        .all(|a| !a["under"].as_array().unwrap().is_empty()));
    // History and forces carry sources.
    let history = json(&d, &["regime", "history", "RUS", "CTBT"]);
    assert!(
        history.to_string().contains("ratification_revoked"),
        "{history}"
    );
    let forces = json(&d, &["regime", "forces", "--at", "2024"]);
    assert!(forces["estimates"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| !e["row"]["source"].as_str().unwrap().is_empty()));
    assert!(
        !forces["disagreements"].as_array().unwrap().is_empty(),
        "US 2024: 5,044 vs 5,328 are both kept"
    );
    // The audit covers the registry rows.
    assert!(d.ok(&["audit"]).contains("1591 events"));
}

#[test]
fn imports_are_validated_whole_and_name_file_line_and_field() {
    let d = init("import");
    let header = "state,year,total_inventory,stockpile,deployed,retired,total_low,total_high,source,source_date,note\r\n";
    let before = size(&d);
    let cases = [
        (format!("{header}XYZ,2025,100,,,,,,test fixture,2025,\r\n"), "bad.csv:2: field state: unknown state code XYZ"),
        (format!("{header}FRA,2025,290,,,,,,,2025,\r\n"), "bad.csv:2: field source: every row needs a source"),
        (format!("{header}FRA,2025,abc,,,,,,test fixture,2025,\r\n"), "bad.csv:2: field total_inventory"),
        (format!("{header}FRA,2025,290,,,,,,test fixture,2025,\r\nFRA,2025,290,,,,,,test fixture,2025,\r\n"), "bad.csv:3:"),
        ("state,year\r\nFRA,2025\r\n".to_string(), "bad.csv:1: header: expected state,year,total_inventory"),
    ];
    for (text, want) in cases {
        std::fs::write(d.0.join("bad.csv"), &text).unwrap();
        let out = d.run(&[
            "regime",
            "import",
            "bad.csv",
            "--table",
            "forces",
            "--key",
            "secretariat.key",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(want), "expected {want:?} in {err}");
        assert!(err.contains("nothing applied"), "{err}");
        assert_eq!(size(&d), before);
    }
    // JSON imports: the same checks, errors name the array element.
    std::fs::write(
        d.0.join("bad.json"),
        r#"[{"state":"FRA","year":"2025","total_inventory":"290","stockpile":null,"deployed":null,"retired":null,"total_low":null,"total_high":null,"source":"test fixture","source_date":"2099","note":null}]"#,
    )
    .unwrap();
    let out = d.run(&[
        "regime",
        "import",
        "bad.json",
        "--table",
        "forces",
        "--key",
        "secretariat.key",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json[0]:") && err.contains("nothing applied"),
        "{err}"
    );
    std::fs::write(d.0.join("bad2.json"), r#"[{"state":"FRA"}]"#).unwrap();
    let out = d.run(&[
        "regime",
        "import",
        "bad2.json",
        "--table",
        "forces",
        "--key",
        "secretariat.key",
    ]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad2.json[0]: header: expected state,year")
    );
    assert_eq!(size(&d), before);
    // Only the secretariat may write registry rows.
    std::fs::write(
        d.0.join("ok.csv"),
        format!("{header}FRA,2026,290,,,,,,test fixture (not a real estimate),2026,\r\n"),
    )
    .unwrap();
    let out = d.run(&[
        "regime",
        "import",
        "ok.csv",
        "--table",
        "forces",
        "--key",
        "admin.key",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("may not submit registry.row"));
    // A valid row is appended, signed, and answers the next query.
    d.ok(&[
        "regime",
        "import",
        "ok.csv",
        "--table",
        "forces",
        "--key",
        "secretariat.key",
    ]);
    assert_eq!(size(&d), before + 1);
    let forces = json(&d, &["regime", "forces", "--at", "2026"]);
    assert!(
        forces
            .to_string()
            .contains("test fixture (not a real estimate)"),
        "{forces}"
    );
}

#[test]
fn export_round_trips_and_is_bound_to_a_checkpoint() {
    let d = init("export");
    let manifest = json(&d, &["regime", "export", "out"]);
    assert_eq!(manifest["tree_size"].as_u64(), Some(size(&d)));
    std::fs::write(d.0.join("cp.txt"), manifest["checkpoint"].as_str().unwrap()).unwrap();
    std::fs::write(
        d.0.join("log.vkey"),
        manifest["verifier_key"].as_str().unwrap(),
    )
    .unwrap();
    // Every exported table has the bundled file's records (data/ is the source).
    let records = |text: &str| -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    };
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data");
    for f in manifest["files"].as_array().unwrap() {
        let name = f["file"].as_str().unwrap();
        let exported = std::fs::read_to_string(d.0.join("out").join(name)).unwrap();
        let bundled = std::fs::read_to_string(data.join(name)).unwrap();
        assert_eq!(records(&exported), records(&bundled), "{name}");
        // Each listed leaf is provably in the log under the manifest's checkpoint.
        for leaf in f["leaves"].as_array().unwrap() {
            let proof = d.ok(&["--json", "log", "prove", &leaf.to_string()]);
            std::fs::write(d.0.join("p.json"), proof).unwrap();
            d.ok(&[
                "log",
                "verify-inclusion",
                "--vkey",
                "log.vkey",
                "--checkpoint",
                "cp.txt",
                "--proof",
                "p.json",
            ]);
        }
    }
    // Re-importing the exported forces table is refused whole: every row is a duplicate.
    let out = d.run(&[
        "regime",
        "import",
        "out/forces.csv",
        "--table",
        "forces",
        "--key",
        "secretariat.key",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing applied"));
}
