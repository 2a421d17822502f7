//! Drives the real `custodian` binary (STYLE §7, "Drive the real binary"):
//! stdout, stderr and exit codes, on real databases: SQLite files, or
//! PostgreSQL schemas with `CUSTODIAN_TEST_STORE=postgres` (`common::Dir`).

mod common;

use common::{size, Dir};
use std::path::Path;

/// Runs `log verify-inclusion` with the log's key on `checkpoint` and `proof`,
/// which must fail with `code`; returns stderr.
fn verify_inclusion_fails(dir: &Dir, checkpoint: &str, proof: &str, code: i32) -> String {
    dir.fails(
        &[
            "log",
            "verify-inclusion",
            "--vkey",
            "log.vkey",
            "--checkpoint",
            checkpoint,
            "--proof",
            proof,
        ],
        code,
    )
}

/// A log with an administrator, a state officer and an inspector, on the
/// store the suite runs on.
fn setup(tag: &str) -> Dir {
    init(Dir::new(tag))
}

/// `setup` in `dir`.
fn init(dir: Dir) -> Dir {
    dir.ok(&["init", "--origin", "custodian.test/cli", "--empty-registry"]);
    dir.ok(&["key", "generate", "xaa-officer-1"]);
    dir.ok(&["key", "generate", "xaa-officer-2"]);
    dir.ok(&["key", "generate", "inspector-1"]);
    for (id, role, party) in [
        ("xaa-officer-1", "state_authority", "state:XAA"),
        ("xaa-officer-2", "state_authority", "state:XAA"),
        ("inspector-1", "inspector", "body:inspectorate"),
    ] {
        dir.ok(&[
            "actor",
            "add",
            id,
            "--role",
            role,
            "--party",
            party,
            "--public-key",
            &format!("{id}.vkey"),
            "--key",
            "admin.key",
        ]);
    }
    dir
}

const SITE: &str = r#"{"kind":"site.register","payload":{"site":"depot-1","name":"Depot 1","state":"XAA","site_type":"storage"}}"#;

#[test]
fn init_append_prove_and_verify_offline() {
    let dir = setup("happy");
    let events = dir.write("events.jsonl", &format!("{SITE}\n\n{}\n", r#"{"kind":"item.produce","payload":{"item":"w-1","item_type":"bomb","site":"depot-1","custodian":"XAA","controller":"XAA","status":"stockpiled"}}"#));
    let out = dir.ok(&[
        "log",
        "append",
        events.to_str().unwrap(),
        "--key",
        "xaa-officer-1.key",
    ]);
    assert!(out.contains("appended 2 event(s) at leaf 4"), "{out}");
    assert_eq!(size(&dir), 5);

    let actors = dir.ok(&["--json", "actor", "list"]);
    let actors: serde_json::Value = serde_json::from_str(&actors).unwrap();
    assert_eq!(actors.as_array().unwrap().len(), 4);

    // Offline inclusion of the item event, from files only.
    std::fs::write(
        dir.path("proof.json"),
        dir.ok(&["--json", "log", "prove", "--event", "xaa-officer-1:1:1"]),
    )
    .unwrap();
    std::fs::write(dir.path("head.txt"), dir.ok(&["log", "head"])).unwrap();
    std::fs::write(dir.path("log.vkey"), dir.ok(&["log", "key"])).unwrap();
    let verified = dir.ok(&[
        "log",
        "verify-inclusion",
        "--vkey",
        "log.vkey",
        "--checkpoint",
        "head.txt",
        "--proof",
        "proof.json",
    ]);
    assert!(verified.contains("verified: leaf 4"), "{verified}");
    assert!(
        verified.contains("including xaa-officer-1:1:1"),
        "{verified}"
    );

    // Consistency from size 2 to 5.
    std::fs::write(dir.path("old.txt"), dir.ok(&["log", "head", "--size", "2"])).unwrap();
    std::fs::write(
        dir.path("cons.json"),
        dir.ok(&["--json", "log", "consistency", "2", "5"]),
    )
    .unwrap();
    let verified = dir.ok(&[
        "log",
        "verify-consistency",
        "--vkey",
        "log.vkey",
        "--old",
        "old.txt",
        "--new",
        "head.txt",
        "--proof",
        "cons.json",
    ]);
    assert!(verified.contains("prefix"), "{verified}");

    // A tampered proof, checkpoint or leaf fails with exit code 3.
    let proof = std::fs::read_to_string(dir.path("proof.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&proof).unwrap();
    let h = doc["proof"][0].as_str().unwrap().to_string();
    let flipped = format!("{}{}", if h.starts_with('0') { "1" } else { "0" }, &h[1..]);
    doc["proof"][0] = flipped.into();
    dir.write("bad-proof.json", &doc.to_string());
    let err = verify_inclusion_fails(&dir, "head.txt", "bad-proof.json", 3);
    assert!(err.contains("does not verify"), "{err}");
    let head = std::fs::read_to_string(dir.path("head.txt")).unwrap();
    dir.write("bad-head.txt", &head.replacen("\n5\n", "\n6\n", 1));
    let err = verify_inclusion_fails(&dir, "bad-head.txt", "proof.json", 3);
    assert!(err.contains("checkpoint does not verify"), "{err}");
    // Truncated proof and checkpoint files fail too.
    dir.write("short-proof.json", &proof[..proof.len() / 2]);
    let err = verify_inclusion_fails(&dir, "head.txt", "short-proof.json", 1);
    assert!(
        err.contains("short-proof.json: malformed proof JSON"),
        "{err}"
    );
    let mut longer = doc.clone();
    longer["proof"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::Value::String(h.clone()));
    longer["proof"][0] = serde_json::Value::String(h.clone());
    dir.write("extra-hash.json", &longer.to_string());
    let err = verify_inclusion_fails(&dir, "head.txt", "extra-hash.json", 3);
    assert!(err.contains("does not verify"), "{err}");
    dir.write("short-head.txt", &head[..head.len() - 20]);
    let err = verify_inclusion_fails(&dir, "short-head.txt", "proof.json", 3);
    assert!(err.contains("checkpoint does not verify"), "{err}");
    let other_event = {
        let mut d: serde_json::Value = serde_json::from_str(&proof).unwrap();
        d["event"] = "xaa-officer-1:9:9".into();
        d.to_string()
    };
    dir.write("wrong-event.json", &other_event);
    let err = verify_inclusion_fails(&dir, "head.txt", "wrong-event.json", 3);
    assert!(err.contains("does not hold event"), "{err}");

    // entries prints exactly the hashed bytes: rebuilding the tree from them gives the root.
    let entries = dir.ok(&["log", "entries"]);
    dir.write("entries.hex", &entries);
    let root: serde_json::Value =
        serde_json::from_str(&dir.ok(&["merkle", "root", "entries.hex"])).unwrap();
    assert_eq!(root["tree_size"], 5);
    assert!(head.contains(&{
        let bytes = custodian_core::encoding::unhex(root["root"].as_str().unwrap()).unwrap();
        custodian_core::encoding::base64(&bytes)
    }));

    let audit = dir.ok(&["audit", "--vkey", "log.vkey"]);
    assert!(
        audit.contains("audit passed: 5 leaves, 6 events"),
        "{audit}"
    );
}

#[test]
fn bad_input_names_file_line_and_field_and_applies_nothing() {
    let dir = setup("badinput");
    let before = size(&dir);
    let item = r#"{"kind":"item.produce","payload":{"item":"w-1","item_type":"bomb","site":"depot-1","custodian":"XAA","controller":"XAA","status":"stockpiled"}}"#;
    let cases: Vec<(&str, String, &str)> = vec![
        ("malformed JSON", format!("{SITE}\n{{\"kind\": \n"), "bad.jsonl:2: malformed JSON"),
        ("duplicate member", format!("{SITE}\n{{\"kind\":\"site.register\",\"kind\":\"x\"}}\n"), "duplicate member name"),
        ("unknown kind", format!("{SITE}\n{{\"kind\":\"item.teleport\",\"payload\":{{}}}}\n"), "bad.jsonl:2: field kind: unknown event kind"),
        ("missing field", format!("{SITE}\n{{\"kind\":\"item.arrive\",\"payload\":{{\"item\":\"w-1\"}}}}\n"), "bad.jsonl:2: field payload: missing field `site`"),
        ("bad state code", format!("{}\n", item.replace("\"custodian\":\"XAA\"", "\"custodian\":\"xaa\"")), "bad.jsonl:1: field payload.custodian: expected an ISO 3166-1 alpha-3"),
        ("unknown field", format!("{}\n", item.replace("\"status\"", "\"colour\":\"red\",\"status\"")), "bad.jsonl:1: field payload.colour: unknown field `colour`"),
        ("negative mass", "{\"kind\":\"material.physical_inventory\",\"payload\":{\"mba\":\"A\",\"batch\":\"b\",\"element\":\"U\",\"element_grams\":-1}}\n".to_string(), "bad.jsonl:1: field payload.element_grams: expected a finite, non-negative mass"),
        ("bad time", format!("{}\n", SITE.replace("{\"kind\"", "{\"time\":\"2026-13-01T00:00:00Z\",\"kind\"")), "bad.jsonl:1: field time: expected a UTC time"),
        ("other actor", format!("{}\n", SITE.replace("{\"kind\"", "{\"actor\":\"xaa-officer-2\",\"kind\"")), "bad.jsonl:1: field actor: expected \"xaa-officer-1\""),
        ("duplicate ids", format!("{}\n{}\n", SITE.replace("{\"kind\"", "{\"id\":\"e1\",\"kind\""), SITE.replace("{\"kind\"", "{\"id\":\"e1\",\"kind\"")), "field events[1].id: event id \"e1\" appears twice"),
    ];
    for (what, text, want) in cases {
        dir.write("bad.jsonl", &text);
        let err = dir.fails(
            &["log", "append", "bad.jsonl", "--key", "xaa-officer-1.key"],
            1,
        );
        assert!(err.contains(want), "{what}: expected {want:?} in\n{err}");
        assert!(err.contains("nothing applied"), "{what}: {err}");
        assert_eq!(size(&dir), before, "{what}: something was applied");
    }
    // Non-UTF-8 bytes.
    std::fs::write(
        dir.path("bin.jsonl"),
        b"{\"kind\":\"site.register\"}\n{\"a\":\"\xff\"}\n",
    )
    .unwrap();
    let err = dir.fails(
        &["log", "append", "bin.jsonl", "--key", "xaa-officer-1.key"],
        1,
    );
    assert!(
        err.contains("bin.jsonl:2: expected UTF-8 text, found an invalid byte at column 7"),
        "{err}"
    );
    // An event id already in the log.
    dir.write(
        "ok.jsonl",
        &format!(
            "{}\n",
            SITE.replace("{\"kind\"", "{\"id\":\"once\",\"kind\"")
                .replace("depot-1", "depot-3")
        ),
    );
    dir.ok(&["log", "append", "ok.jsonl", "--key", "xaa-officer-1.key"]);
    let err = dir.fails(
        &["log", "append", "ok.jsonl", "--key", "xaa-officer-1.key"],
        1,
    );
    assert!(
        err.contains(
            "ok.jsonl:1: submission 0: field events[0].id: event id \"once\" is already in the log"
        ),
        "{err}"
    );
    // Oversized submission: more events than the limit.
    let many: String = (0..10_001).map(|_| format!("{SITE}\n")).collect();
    dir.write("many.jsonl", &many);
    let err = dir.fails(
        &["log", "append", "many.jsonl", "--key", "xaa-officer-1.key"],
        1,
    );
    assert!(
        err.contains("at most 10000 events per submission, found 10001"),
        "{err}"
    );
    // Oversized field.
    dir.write("long.jsonl", &SITE.replace("Depot 1", &"x".repeat(5000)));
    let err = dir.fails(
        &["log", "append", "long.jsonl", "--key", "xaa-officer-1.key"],
        1,
    );
    assert!(
        err.contains(
            "long.jsonl:1: field payload.name: text of 5000 bytes exceeds the limit of 4096"
        ),
        "{err}"
    );
    assert_eq!(size(&dir), before + 1);
}

#[test]
fn unknown_actor_and_wrong_role_are_refused() {
    let dir = setup("roles");
    let before = size(&dir);
    dir.ok(&["key", "generate", "stranger"]);
    dir.write("e.jsonl", &format!("{SITE}\n"));
    let err = dir.fails(&["log", "append", "e.jsonl", "--key", "stranger.key"], 1);
    assert!(err.contains("unknown actor \"stranger\""), "{err}");
    dir.write(
        "dismantle.jsonl",
        &format!(
            "{SITE}\n{}\n",
            r#"{"kind":"item.dismantle","payload":{"item":"w-1","site":"depot-1"}}"#
        ),
    );
    let err = dir.fails(
        &[
            "log",
            "append",
            "dismantle.jsonl",
            "--key",
            "inspector-1.key",
        ],
        1,
    );
    assert!(err.contains("dismantle.jsonl:1: submission 0: field events[0].kind: actor \"inspector-1\" has role inspector, which may not submit site.register"), "{err}");
    // An officer may not register actors.
    dir.ok(&["key", "generate", "x1"]);
    let err = dir.fails(
        &[
            "actor",
            "add",
            "x1",
            "--role",
            "observer",
            "--party",
            "state:XAA",
            "--public-key",
            "x1.vkey",
            "--key",
            "xaa-officer-1.key",
        ],
        1,
    );
    assert!(err.contains("may not submit actor.register"), "{err}");
    // A revoked actor can no longer append.
    dir.ok(&[
        "actor",
        "revoke",
        "xaa-officer-2",
        "--reason",
        "left the post",
        "--key",
        "admin.key",
    ]);
    let err = dir.fails(
        &["log", "append", "e.jsonl", "--key", "xaa-officer-2.key"],
        1,
    );
    assert!(
        err.contains("actor \"xaa-officer-2\" was revoked at leaf"),
        "{err}"
    );
    assert_eq!(size(&dir), before + 1);
}

#[test]
fn replayed_reordered_forged_and_altered_submissions_are_refused() {
    let dir = setup("replay");
    dir.write("e.jsonl", &format!("{SITE}\n"));
    let first = dir.ok(&["log", "sign", "e.jsonl", "--key", "xaa-officer-1.key"]);
    let third = dir.ok(&[
        "log",
        "sign",
        "e.jsonl",
        "--key",
        "xaa-officer-1.key",
        "--seq",
        "3",
    ]);
    dir.write("first.jsonl", &first);
    dir.write("third.jsonl", &third);
    let err = dir.fails(&["log", "append", "third.jsonl"], 1);
    assert!(err.contains("third.jsonl:1: submission 0: submission out of order: actor \"xaa-officer-1\" expected seq 1, found 3"), "{err}");
    dir.ok(&["log", "append", "first.jsonl"]);
    let before = size(&dir);
    let err = dir.fails(&["log", "append", "first.jsonl"], 1);
    assert!(
        err.contains("replayed submission: actor \"xaa-officer-1\" expected seq 2, found 1"),
        "{err}"
    );
    // Altered after signing.
    dir.write(
        "e2site.jsonl",
        &format!("{}\n", SITE.replace("depot-1", "depot-2")),
    );
    let second = dir.ok(&["log", "sign", "e2site.jsonl", "--key", "xaa-officer-1.key"]);
    dir.write("altered.jsonl", &second.replace("Depot 1", "Depot 9"));
    let err = dir.fails(&["log", "append", "altered.jsonl"], 1);
    assert!(
        err.contains("field signature: signature does not verify (actor \"xaa-officer-1\")"),
        "{err}"
    );
    // Signed by another actor's key under this actor's name.
    dir.write(
        "e2.jsonl",
        &format!(
            "{}\n",
            SITE.replace("{\"kind\"", "{\"actor\":\"xaa-officer-1\",\"kind\"")
        ),
    );
    let forged = dir.ok(&[
        "log",
        "sign",
        "e.jsonl",
        "--key",
        "xaa-officer-2.key",
        "--seq",
        "2",
        "--origin",
        "custodian.test/cli",
    ]);
    let forged = forged.replace("xaa-officer-2", "xaa-officer-1");
    dir.write("forged.jsonl", &forged);
    let err = dir.fails(&["log", "append", "forged.jsonl"], 1);
    assert!(err.contains("signature does not verify"), "{err}");
    // A submission for another log.
    let elsewhere = dir.ok(&[
        "log",
        "sign",
        "e.jsonl",
        "--key",
        "xaa-officer-1.key",
        "--seq",
        "2",
        "--origin",
        "other.example/log",
    ]);
    dir.write("elsewhere.jsonl", &elsewhere);
    let err = dir.fails(&["log", "append", "elsewhere.jsonl"], 1);
    assert!(
        err.contains("submission is for log \"other.example/log\""),
        "{err}"
    );
    // A submission whose signature was removed.
    let mut unsigned: serde_json::Value = serde_json::from_str(&second).unwrap();
    unsigned.as_object_mut().unwrap().remove("signature");
    dir.write("unsigned.jsonl", &format!("{unsigned}\n"));
    let err = dir.fails(&["log", "append", "unsigned.jsonl"], 1);
    assert!(
        err.contains("unsigned.jsonl:1: field signature: missing"),
        "{err}"
    );
    // A group of two where the second fails: nothing of the group is applied.
    dir.write(
        "group.jsonl",
        &format!("{second}{}", second.replace("Depot 1", "Depot 9")),
    );
    let err = dir.fails(&["log", "append", "group.jsonl"], 1);
    assert!(err.contains("group.jsonl:2:"), "{err}");
    assert_eq!(size(&dir), before);
}

#[test]
fn approvals_are_checked() {
    let dir = setup("approve");
    dir.write("e.jsonl", &format!("{}\n", SITE.replace("{\"kind\"", "{\"id\":\"s1\",\"time\":\"2026-01-01T00:00:00Z\",\"actor\":\"xaa-officer-1\",\"kind\"")));
    let approved = dir.ok(&["log", "approve", "e.jsonl", "--key", "xaa-officer-2.key"]);
    dir.write("approved.jsonl", &approved);
    // Self-approval and an approval over other bytes are refused.
    let selfie = dir.ok(&["log", "approve", "e.jsonl", "--key", "xaa-officer-1.key"]);
    dir.write("self.jsonl", &selfie);
    let err = dir.fails(
        &["log", "append", "self.jsonl", "--key", "xaa-officer-1.key"],
        1,
    );
    assert!(
        err.contains("self.jsonl:1:") && err.contains("cannot approve its own event"),
        "{err}"
    );
    dir.write("changed.jsonl", &approved.replace("Depot 1", "Depot 2"));
    let err = dir.fails(
        &[
            "log",
            "append",
            "changed.jsonl",
            "--key",
            "xaa-officer-1.key",
        ],
        1,
    );
    assert!(
        err.contains("approval by \"xaa-officer-2\" does not verify over this event's bytes"),
        "{err}"
    );
    let twice = dir.ok(&[
        "log",
        "approve",
        "approved.jsonl",
        "--key",
        "xaa-officer-2.key",
    ]);
    dir.write("twice.jsonl", &twice);
    let err = dir.fails(
        &["log", "append", "twice.jsonl", "--key", "xaa-officer-1.key"],
        1,
    );
    assert!(
        err.contains("duplicate approver \"xaa-officer-2\""),
        "{err}"
    );
    dir.ok(&[
        "log",
        "append",
        "approved.jsonl",
        "--key",
        "xaa-officer-1.key",
    ]);
    dir.ok(&["audit"]);
}

#[test]
fn audit_of_a_tampered_database_exits_3_and_names_the_entry() {
    // SQLite by nature: the test changes the database file's rows with
    // rusqlite (the same on PostgreSQL rows: custodian-store's postgres.rs).
    let dir = init(Dir::sqlite("tamper"));
    dir.write("e.jsonl", &format!("{SITE}\n"));
    dir.ok(&["log", "append", "e.jsonl", "--key", "xaa-officer-1.key"]);
    {
        let conn = rusqlite::Connection::open(dir.path("custodian.db")).unwrap();
        conn.execute("UPDATE leaves SET data = CAST(replace(CAST(data AS TEXT), 'Depot 1', 'Depot 7') AS BLOB) WHERE idx = 4", []).unwrap();
    }
    let err = dir.fails(&["audit"], 3);
    assert!(err.contains("audit failed: leaf 4: submission check failed: field signature: signature does not verify"), "{err}");
}

#[test]
fn database_that_is_not_ours_is_refused() {
    // SQLite by nature: the database is a file of someone else's (the same for
    // a PostgreSQL schema: custodian-store's postgres.rs).
    let dir = Dir::sqlite("notours");
    dir.write("custodian.db", "hello");
    let err = dir.fails(&["audit"], 1);
    assert!(err.contains("not a Custodian database"), "{err}");
    let err = dir.fails(&["init"], 1);
    assert!(err.contains("already exists"), "{err}");
    let err = Dir::sqlite("missing").fails(&["log", "head"], 1);
    assert!(err.contains("custodian init"), "{err}");
}

#[test]
fn merkle_command_reproduces_the_reference_vectors() {
    let dir = Dir::new("merkle");
    // The 8 standard leaves of ../shared/reference/merkle-vectors.md §2.
    let leaves = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    dir.write("leaves.hex", &(leaves.join("\n") + "\n"));
    let root: serde_json::Value =
        serde_json::from_str(&dir.ok(&["merkle", "root", "leaves.hex"])).unwrap();
    assert_eq!(root["tree_size"], 8);
    assert_eq!(
        root["root"],
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    );
    let inc: serde_json::Value =
        serde_json::from_str(&dir.ok(&["merkle", "inclusion", "leaves.hex", "--index", "5"]))
            .unwrap();
    assert_eq!(
        inc["proof"],
        serde_json::json!([
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
        ])
    );
    let cons: serde_json::Value =
        serde_json::from_str(&dir.ok(&["merkle", "consistency", "leaves.hex", "--old", "6"]))
            .unwrap();
    assert_eq!(
        cons["proof"],
        serde_json::json!([
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
        ])
    );
    dir.write("bad.hex", "00\nzz\n");
    let err = dir.fails(&["merkle", "root", "bad.hex"], 1);
    assert!(err.contains("bad.hex:2: expected hex leaf data"), "{err}");
}

#[test]
fn demo_runs_end_to_end() {
    // SQLite by nature: the demo writes SQLite files only.
    let dir = Dir::sqlite("demo");
    let out = dir.ok(&["demo"]);
    for want in [
        "1. Created the log",
        "replayed submission",
        "signature does not verify",
        "may not submit item.dismantle",
        "5. Audit passed: 9 leaves",
        "verified: leaf 8",
        "is a prefix of the log at size 9",
        "audit FAILED, as it must: leaf 4:",
    ] {
        assert!(out.contains(want), "demo output lacks {want:?}:\n{out}");
    }
    assert!(dir.path("custodian-demo.db").exists());
    // The demo's database is left for the user, and audits cleanly.
    dir.ok(&[
        "--db",
        "custodian-demo.db",
        "audit",
        "--vkey",
        "custodian-demo.db.proofs/log.vkey",
    ]);
    // Running it again starts fresh.
    dir.ok(&["demo"]);
    let _ = Path::new("unused");
}
