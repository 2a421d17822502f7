//! The showcase that `custodian serve --demo` serves (issue 8, item 6): ONE
//! log holding everything the demo shows, so that a browser shows every view
//! from it. Each view is checked here through the CLI command whose `--json`
//! document the read API answers; then the server itself is started on it,
//! answers its checkpoint and stops on SIGTERM.

mod common;

use common::Dir;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the showcase may take to build and the server to start (a debug
/// build under a loaded machine; the release build takes under a second).
const START_SECONDS_MAX: u64 = 120;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A running `custodian serve --demo`; killed if the test ends without
/// stopping it.
struct Served {
    child: Child,
    /// The URL it printed.
    url: String,
    /// The lines it printed up to the URL.
    lines: Vec<String>,
}

/// Starts `custodian serve --demo --addr 127.0.0.1:0` in `dir` (after
/// `global`, e.g. `--db FILE`) and returns once it prints its URL.
fn serve_demo(dir: &Dir, global: &[&str]) -> Served {
    let mut args = global.to_vec();
    args.extend(["serve", "--demo", "--addr", "127.0.0.1:0"]);
    let mut child = dir
        .command(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start custodian serve --demo");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(START_SECONDS_MAX);
    let mut lines = Vec::new();
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Ok(line)) => {
                let url = line
                    .split_once("listening on ")
                    .map(|(_, url)| url.trim().to_string());
                lines.push(line);
                if let Some(url) = url {
                    return Served { child, url, lines };
                }
            }
            _ => {
                let _ = child.kill();
                let mut stderr = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut stderr);
                }
                let _ = child.wait();
                panic!("serve --demo printed no URL within {START_SECONDS_MAX} s:\n{}\nstderr: {stderr}", lines.join("\n"));
            }
        }
    }
}

impl Served {
    /// Sends SIGTERM and waits for the server to exit.
    fn stop(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the server") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `GET path` on the server at `url` over plain HTTP/1.1: the status and
/// the body (chunked bodies decoded).
fn get(url: &str, path: &str) -> (u16, String) {
    let host = url.strip_prefix("http://").expect("an http:// URL");
    let mut stream = std::net::TcpStream::connect(host).expect("connect to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    let text = String::from_utf8(raw).expect("a UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("headers, then a body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    if !chunked {
        return (status, body.to_string());
    }
    let (mut out, mut rest) = (String::new(), body);
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    (status, out)
}

/// The showcase holds every view: the registry, custody and control with
/// nuclear sharing judged differently per interpretation, the covert
/// relocation's alerts, the fuel plant's Page alarm, the escrow record with
/// the undeclared site, and the review cycles' reports; it audits cleanly,
/// and actors and registry rows that several parts share are there once.
#[test]
fn the_showcase_holds_every_view_in_one_log() {
    let mut dir = Dir::new("showcase");
    let served = serve_demo(&dir, &["--db", "showcase.db"]);
    let printed = served.lines.join("\n");
    for want in [
        "built the demo data in showcase.db: one log of",
        "showcase.db.keys/inspector-1.key",
        "showcase.db.keys/xff-operator-1.key",
    ] {
        assert!(printed.contains(want), "{want:?} in:\n{printed}");
    }
    assert!(served.stop().success());
    for key in ["admin", "secretariat", "inspector-1", "xff-operator-1"] {
        assert!(
            dir.path(&format!("showcase.db.keys/{key}.key")).exists(),
            "{key}.key"
        );
    }
    // The showcase is an SQLite file by nature; on PostgreSQL the views below
    // read a copy of it (`Dir::adopt`).
    dir.adopt("showcase.db");
    dir.ok(&["audit"]);

    // Shared actors once, the registry's rows once: the secretariat signed as
    // many submissions as in a log that holds the bundled registry alone.
    let actors = json(&dir.ok(&["--json", "actor", "list"]));
    let actors = actors.as_array().unwrap();
    let ids: Vec<&str> = actors.iter().map(|a| a["id"].as_str().unwrap()).collect();
    for shared in ["admin", "secretariat", "inspector-1", "xaa-officer-1"] {
        assert_eq!(ids.iter().filter(|i| **i == shared).count(), 1, "{ids:?}");
    }
    let next_seq = |list: &[Value], id: &str| {
        list.iter().find(|a| a["id"] == id).unwrap()["next_seq"]
            .as_u64()
            .unwrap()
    };
    let registry_only = Dir::sqlite("showcase-registry");
    registry_only.ok(&["init"]);
    let alone = json(&registry_only.ok(&["--json", "actor", "list"]));
    assert_eq!(
        next_seq(actors, "secretariat"),
        next_seq(alone.as_array().unwrap(), "secretariat")
    );

    // The registry: NPT status at a date.
    let npt = json(&dir.ok(&["--json", "regime", "status", "NPT", "--at", "2020-01-01"]));
    let answers = npt["answers"].as_array().unwrap();
    assert!(!answers.is_empty(), "{npt}");
    for a in answers {
        assert_eq!(
            a["value"]["nuclear_weapon_states"],
            serde_json::json!(["CHN", "FRA", "GBR", "RUS", "USA"])
        );
        assert!(a["value"]["non_nuclear_weapon_states"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "DEU"));
    }

    // Items: nuclear sharing, custody and control apart.
    let items = json(&dir.ok(&["--json", "items", "--at", "2026-06-02"]));
    let items = items["items"].as_array().unwrap();
    let apart: Vec<&str> = items
        .iter()
        .filter(|i| i["custodian"] != i["controller"])
        .map(|i| i["item"].as_str().unwrap())
        .collect();
    assert!(apart.contains(&"b61-est-deu-buechel"), "{apart:?}");
    let b61 = items.iter().filter(|i| {
        i["item"]
            .as_str()
            .is_some_and(|id| id.starts_with("b61-est-"))
    });
    assert_eq!(b61.count(), 6);

    // Findings: the same obligation and subject, judged differently by the
    // interpretations.
    let comply = json(&dir.ok(&["--json", "comply", "--at", "2026-06-02"]));
    let mut verdicts: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut interpretations = BTreeSet::new();
    for f in comply["findings"].as_array().unwrap() {
        interpretations.insert(f["interpretation"].to_string());
        verdicts
            .entry((f["obligation"].to_string(), f["subject"].to_string()))
            .or_default()
            .insert(f["verdict"].to_string());
    }
    assert!(interpretations.len() >= 2, "{interpretations:?}");
    let disagreeing = verdicts.values().filter(|v| v.len() >= 2).count();
    assert!(disagreeing >= 2, "{verdicts:?}");

    // The covert relocation's alerts.
    let alerts = json(&dir.ok(&["--json", "alerts", "--at", "2026-03-03"]));
    let kinds: BTreeSet<&str> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "transit_overdue",
        "two_places_at_once",
        "revoked_key_approval",
    ] {
        assert!(kinds.contains(kind), "{kind} in {kinds:?}");
    }

    // The fuel fabrication plant's year: the abrupt diversion alarms Page's
    // test at balance 7.
    let plant = json(&dir.ok(&["--json", "accountancy", "evaluate", "--mba", "XFF1"]));
    assert_eq!(plant["page_first_alarm_balance"], 7, "{plant}");
    assert_eq!(plant["findings"][0]["kind"], "page_alarm");
    assert_eq!(plant["findings"][0]["balance"], 7);

    // Escrow: the commitment, its reveals and the undeclared site.
    let escrow = json(&dir.ok(&["--json", "escrow", "verify"]));
    let declaration = &escrow["declarations"][0];
    assert_eq!(declaration["declaration"], "xaa-2026");
    assert_eq!(declaration["entries"], 24);
    let modes: BTreeSet<&str> = declaration["opened"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["mode"].as_str().unwrap())
        .collect();
    for mode in ["total", "range", "sample", "response"] {
        assert!(modes.contains(mode), "{mode} in {modes:?}");
    }
    let findings: Vec<&str> = escrow["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(findings, ["undeclared"], "{escrow}");

    // The review cycles: two states' reports, and XAA's bound to its escrow.
    for state in ["GBR", "FRA"] {
        let shown = json(&dir.ok(&["--json", "review", "report", "show", state, "2020"]));
        assert_eq!(shown["content"]["as_of"], "2022-01-01", "{shown}");
        assert!(shown["note"].as_str().unwrap().contains("ILLUSTRATIVE"));
    }
    let xaa = json(&dir.ok(&["--json", "review", "report", "show", "XAA", "2026"]));
    let bound: Vec<&str> = xaa["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(bound, ["verified", "reported_total_disagrees"], "{xaa}");
}

/// The README's first command: `custodian serve --demo` builds the showcase
/// in the working directory, prints its URL, serves the showcase's checkpoint
/// and stops on SIGTERM; a file that is not a Custodian log is never
/// overwritten.
#[test]
fn serve_demo_serves_the_showcase_and_stops_on_sigterm() {
    // SQLite by nature: `serve --demo` writes custodian-demo.db here.
    let dir = Dir::sqlite("serve-demo");
    let served = serve_demo(&dir, &[]);
    assert!(
        served.url.starts_with("http://127.0.0.1:"),
        "{}",
        served.url
    );
    let (status, body) = get(&served.url, "/api/v1/checkpoint");
    assert_eq!(status, 200, "{body}");
    let checkpoint = json(&body);
    assert_eq!(checkpoint["origin"], "custodian.demo/showcase");
    let status = served.stop();
    assert!(status.success(), "exit after SIGTERM: {status}");
    let head = json(&dir.ok(&["--db", "custodian-demo.db", "--json", "log", "head"]));
    assert_eq!(checkpoint["tree_size"], head["tree_size"]);
    assert!(head["tree_size"].as_u64().unwrap() > 50, "{head}");

    // Run again: rebuilt from scratch, the same size.
    let again = serve_demo(&dir, &[]);
    let (_, body) = get(&again.url, "/api/v1/checkpoint");
    assert_eq!(json(&body)["tree_size"], head["tree_size"]);
    assert!(again.stop().success());

    // Someone else's file is refused and left as it was.
    dir.write("notours.db", "hello");
    let err = dir.fails(
        &[
            "--db",
            "notours.db",
            "serve",
            "--demo",
            "--addr",
            "127.0.0.1:0",
        ],
        1,
    );
    assert!(err.contains("not a Custodian database"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path("notours.db")).unwrap(),
        "hello"
    );
}
