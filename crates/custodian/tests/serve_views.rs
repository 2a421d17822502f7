//! The engines' views over HTTP (issue 8, item 1): `custodian serve` on the
//! demo's logs answers each view route with exactly the JSON document the
//! matching command prints with `--json` (both parsed and compared), refuses
//! bad parameters with a `400` naming the parameter, serves a repeated request
//! from its cache (`x-custodian-cache: hit`), and keeps a state's facility
//! accounts from the public (`403 forbidden`) while serving them to that
//! state's operator by signed read (FORMATS.md §18).
//!
//! Each test builds the demo (`custodian demo`), makes the log it needs its
//! directory's log (on PostgreSQL when the suite runs there: `Dir::adopt`),
//! starts the real binary's server on it and asks it over a socket.

mod common;

use common::Dir;
use custodian_core::UtcTime;
use custodian_ledger::keys::SigningKey;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The demo's logs built in `tag`'s directory, `file` (e.g.
/// `d-nato-sharing.db`) made the directory's log.
fn demo(tag: &str, file: &str) -> Dir {
    let mut dir = Dir::new(tag);
    dir.ok(&["--db", "d.db", "demo"]);
    dir.adopt(file);
    dir
}

/// `custodian serve` on the directory's log, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(dir: &Dir) -> Server {
        let mut child = dir
            .command(&["serve", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start custodian serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server stopped before printing its address")
                .expect("read");
            if let Some(rest) = line.strip_prefix("listening on http://") {
                break rest.trim().parse().expect("an address");
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, addr }
    }

    /// `GET path`, as the public or with an `Authorization` header.
    fn get_as(&self, path: &str, authorization: Option<&str>) -> Reply {
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        let auth = authorization
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n"
        )
        .expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read the reply");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header block");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .expect("a status line");
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Reply {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        }
    }

    fn get(&self, path: &str) -> Reply {
        self.get_as(path, None)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Reply {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(400)])
            )
        })
    }

    fn cache(&self) -> &str {
        self.headers
            .get("x-custodian-cache")
            .map_or("", String::as_str)
    }
}

/// The route answers 200 with the JSON document the command prints.
fn same_as_cli(server: &Server, dir: &Dir, path: &str, command: &[&str]) -> Value {
    let reply = server.get(path);
    assert_eq!(
        reply.status,
        200,
        "GET {path}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.headers.get("content-type").map(String::as_str),
        Some("application/json"),
        "GET {path}"
    );
    let mut args = vec!["--json"];
    args.extend_from_slice(command);
    let printed: Value = serde_json::from_str(&dir.ok(&args)).expect("the command prints JSON");
    let served = reply.json();
    assert!(
        served == printed,
        "GET {path} differs from `custodian {}`",
        args.join(" ")
    );
    served
}

/// The route answers `status` with a JSON error naming `field`.
fn refused(server: &Server, path: &str, status: u16, field: &str) -> Value {
    let reply = server.get(path);
    let body = reply.json();
    assert_eq!(reply.status, status, "GET {path}: {body}");
    assert_eq!(body["error"]["field"], field, "GET {path}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "GET {path}: {body}"
    );
    body
}

/// A repeated request is answered from the cache, the first was not.
fn cached(server: &Server, path: &str) {
    let first = server.get(path);
    let again = server.get(path);
    assert_eq!((first.status, again.status), (200, 200), "GET {path}");
    assert_eq!(again.cache(), "hit", "GET {path} again is a cache hit");
    assert_eq!(first.body, again.body, "GET {path}: the same answer");
}

#[test]
fn registry_views_are_the_regime_commands() {
    let dir = demo("views-registry", "d.db");
    let server = Server::start(&dir);
    let status = "/api/v1/registry/status?treaty=NPT&at=2024-12-31";
    assert_eq!(server.get(status).cache(), "miss");
    same_as_cli(
        &server,
        &dir,
        status,
        &["regime", "status", "NPT", "--at", "2024-12-31"],
    );
    assert_eq!(server.get(status).cache(), "hit");
    // A UTC time is taken as its date.
    let by_time = server.get("/api/v1/registry/status?treaty=NPT&at=2024-12-31T08:00:00Z");
    assert_eq!(by_time.json(), server.get(status).json());
    same_as_cli(
        &server,
        &dir,
        "/api/v1/registry/status?treaty=TPNW&at=2019-06-30",
        &["regime", "status", "TPNW", "--at", "2019-06-30"],
    );
    let ctbt = same_as_cli(
        &server,
        &dir,
        "/api/v1/registry/in-force?treaty=CTBT&at=2024-12-31",
        &["regime", "in-force", "CTBT", "--at", "2024-12-31"],
    );
    assert!(ctbt["answers"].as_array().is_some_and(|a| !a.is_empty()));
    same_as_cli(
        &server,
        &dir,
        "/api/v1/registry/states/DEU?at=2024-12-31",
        &["regime", "state", "DEU", "--at", "2024-12-31"],
    );
    same_as_cli(
        &server,
        &dir,
        "/api/v1/registry/forces",
        &["regime", "forces"],
    );
    same_as_cli(
        &server,
        &dir,
        "/api/v1/registry/forces?at=2023",
        &["regime", "forces", "--at", "2023"],
    );
    same_as_cli(
        &server,
        &dir,
        "/api/v1/registry/deployments",
        &["regime", "deployments"],
    );
    same_as_cli(
        &server,
        &dir,
        "/api/v1/registry/deployments?at=2024-12-31",
        &["regime", "deployments", "--at", "2024-12-31"],
    );

    refused(&server, "/api/v1/registry/status", 400, "treaty");
    refused(
        &server,
        "/api/v1/registry/status?treaty=NPT&at=2024-13-01",
        400,
        "at",
    );
    refused(
        &server,
        "/api/v1/registry/status?treaty=NOPE",
        400,
        "treaty",
    );
    refused(
        &server,
        "/api/v1/registry/status?treaty=npt!",
        400,
        "treaty",
    );
    refused(
        &server,
        "/api/v1/registry/status?treaty=NPT&treaty=CTBT",
        400,
        "treaty",
    );
    refused(
        &server,
        "/api/v1/registry/status?treaty=NPT&when=2020-01-01",
        400,
        "when",
    );
    refused(
        &server,
        "/api/v1/registry/in-force?at=2024-12-31",
        400,
        "treaty",
    );
    refused(
        &server,
        "/api/v1/registry/states/de?at=2024-12-31",
        400,
        "state",
    );
    refused(&server, "/api/v1/registry/states/XQQ", 404, "state");
    refused(&server, "/api/v1/registry/forces?at=last-year", 400, "at");
    refused(&server, "/api/v1/registry/deployments?at=soon", 400, "at");
}

#[test]
fn custody_views_are_the_item_commands_and_findings_differ_by_interpretation() {
    let dir = demo("views-custody", "d-nato-sharing.db");
    let server = Server::start(&dir);
    let at = "2026-06-02";
    let all = same_as_cli(
        &server,
        &dir,
        &format!("/api/v1/items?at={at}"),
        &["items", "--at", at],
    );
    let items = all["items"].as_array().expect("items");
    assert!(!items.is_empty(), "the demo holds items");
    for filter in ["state=DEU", "custodian=USA", "controller=DEU&state=DEU"] {
        let mut args = vec!["items", "--at", at];
        for pair in filter.split('&') {
            let (k, v) = pair.split_once('=').expect("k=v");
            args.push(match k {
                "state" => "--state",
                "custodian" => "--custodian",
                _ => "--controller",
            });
            args.push(v);
        }
        same_as_cli(
            &server,
            &dir,
            &format!("/api/v1/items?at={at}&{filter}"),
            &args,
        );
    }
    let id = items[0]["item"].as_str().expect("an item id");
    same_as_cli(
        &server,
        &dir,
        &format!("/api/v1/items/{id}?at={at}"),
        &["item", "show", id, "--at", at],
    );
    same_as_cli(
        &server,
        &dir,
        &format!("/api/v1/items/{id}?at=2026-06-02T12:00:00Z"),
        &["item", "show", id, "--at", "2026-06-02T12:00:00Z"],
    );
    same_as_cli(
        &server,
        &dir,
        &format!("/api/v1/items/{id}/history"),
        &["item", "history", id],
    );
    same_as_cli(
        &server,
        &dir,
        &format!("/api/v1/alerts?at={at}"),
        &["alerts", "--at", at],
    );

    // Findings: every obligation under every interpretation, then one
    // interpretation at a time; the same subject's verdicts differ by
    // interpretation (nuclear sharing).
    let findings = same_as_cli(
        &server,
        &dir,
        &format!("/api/v1/findings?at={at}"),
        &["comply", "--at", at],
    );
    let mut verdicts: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for interpretation in findings["interpretations"].as_array().expect("list") {
        let i = interpretation["id"].as_str().expect("an id");
        let one = same_as_cli(
            &server,
            &dir,
            &format!("/api/v1/findings?at={at}&interpretation={i}&obligation=npt-art-2"),
            &[
                "comply",
                "--at",
                at,
                "--interpretation",
                i,
                "--obligation",
                "npt-art-2",
            ],
        );
        for f in one["findings"].as_array().expect("findings") {
            assert_eq!(f["interpretation"], i);
            verdicts
                .entry(f["subject"].as_str().unwrap_or("").to_string())
                .or_default()
                .insert(i.to_string(), f["verdict"].as_str().unwrap_or("").into());
        }
    }
    assert!(
        verdicts.get("DEU").is_some_and(|v| {
            let mut seen: Vec<&String> = v.values().collect();
            seen.dedup();
            v.len() >= 2 && seen.len() >= 2
        }),
        "DEU's verdict under NPT Art. II differs by interpretation: {verdicts:?}"
    );
    let path = format!("/api/v1/findings?at={at}");
    cached(&server, &path);
    cached(&server, &format!("/api/v1/items?at={at}&state=DEU"));

    // An append (here by another process) grows the tree: the next answer is
    // computed afresh for the new size, then cached again.
    let size = |r: &Reply| -> u64 {
        r.headers["x-custodian-tree-size"]
            .parse()
            .expect("a tree size")
    };
    let before = size(&server.get(&path));
    dir.ok(&["key", "generate", "newcomer"]);
    dir.ok(&[
        "actor",
        "add",
        "newcomer",
        "--role",
        "observer",
        "--party",
        "state:DEU",
        "--public-key",
        "newcomer.vkey",
        "--key",
        "d-nato-sharing.db.keys/admin.key",
    ]);
    let after = server.get(&path);
    assert_eq!((after.cache(), size(&after)), ("miss", before + 1));
    assert_eq!(server.get(&path).cache(), "hit");

    refused(&server, "/api/v1/items?at=yesterday", 400, "at");
    refused(&server, "/api/v1/items?state=germany", 400, "state");
    refused(&server, "/api/v1/items?custodian=U5A", 400, "custodian");
    refused(&server, "/api/v1/items?controller=", 400, "controller");
    refused(
        &server,
        "/api/v1/items/no-such-item?at=2026-06-02",
        404,
        "id",
    );
    refused(&server, "/api/v1/items/Not%20an%20id", 400, "id");
    refused(&server, "/api/v1/items/no-such-item/history", 404, "id");
    refused(
        &server,
        &format!("/api/v1/items/{id}/history?at={at}"),
        400,
        "at",
    );
    refused(&server, "/api/v1/alerts?at=2026-06-31", 400, "at");
    refused(
        &server,
        "/api/v1/findings?obligation=npt-art-99",
        400,
        "obligation",
    );
    refused(
        &server,
        "/api/v1/findings?interpretation=mine",
        400,
        "interpretation",
    );
}

#[test]
fn the_alerts_of_a_covert_relocation_are_served() {
    let dir = demo("views-alerts", "d-covert-relocation.db");
    let server = Server::start(&dir);
    let alerts = same_as_cli(
        &server,
        &dir,
        "/api/v1/alerts?at=2026-03-03",
        &["alerts", "--at", "2026-03-03"],
    );
    assert!(alerts["alerts"].as_array().is_some_and(|a| !a.is_empty()));
    same_as_cli(
        &server,
        &dir,
        "/api/v1/items/w-101/history",
        &["item", "history", "w-101"],
    );
    cached(&server, "/api/v1/alerts?at=2026-03-03");
}

/// A signed read of `path` by the actor whose key is `key` (FORMATS.md §18).
fn signed(server: &Server, key: &SigningKey, path: &str) -> String {
    static NONCE: AtomicU64 = AtomicU64::new(1);
    let origin = server.get("/api/v1/checkpoint").json()["origin"]
        .as_str()
        .expect("origin")
        .to_string();
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let mut nonce = [0u8; 16];
    nonce[..8].copy_from_slice(&NONCE.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    nonce[8..].copy_from_slice(&(std::process::id() as u64).to_be_bytes());
    custodian_server::auth::sign_read(
        key,
        &origin,
        "GET",
        path,
        UtcTime::from_unix_seconds(seconds).expect("now"),
        &nonce,
    )
}

fn key(dir: &Dir, actor: &str) -> SigningKey {
    let text = std::fs::read_to_string(dir.path(&format!("d-fuel-fab.db.keys/{actor}.key")))
        .expect("the actor's key file");
    SigningKey::parse(text.trim_end()).expect("a signing key")
}

#[test]
fn facility_accounts_are_for_their_state_only() {
    let dir = demo("views-accounts", "d-fuel-fab.db");
    let server = Server::start(&dir);
    let path = "/api/v1/accountancy/mbas/XFF1/evaluation";

    // The public sees no MBA, only how many there are, and may not evaluate
    // one, whether it exists or not.
    let listed = server.get("/api/v1/accountancy/mbas");
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json(), serde_json::json!({"mbas": [], "hidden": 1}));
    let body = refused(&server, path, 403, "mba");
    assert_eq!(body["error"]["code"], "forbidden");
    refused(
        &server,
        "/api/v1/accountancy/mbas/XQQ9/evaluation",
        403,
        "mba",
    );
    refused(
        &server,
        "/api/v1/accountancy/mbas/XFF1/evaluation?alpha=2",
        400,
        "alpha",
    );

    // The plant's operator (state XFF) reads its own accounts: the same
    // document as the command.
    let operator = key(&dir, "xff-operator-1");
    let mine = server.get_as(
        "/api/v1/accountancy/mbas",
        Some(&signed(&server, &operator, "/api/v1/accountancy/mbas")),
    );
    assert_eq!(mine.status, 200, "{}", String::from_utf8_lossy(&mine.body));
    let mine = mine.json();
    assert_eq!(mine["hidden"], 0, "{mine}");
    assert_eq!(mine["mbas"].as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(
        (&mine["mbas"][0]["mba"], &mine["mbas"][0]["state"]),
        (&Value::from("XFF1"), &Value::from("XFF")),
        "{mine}"
    );
    assert!(mine["mbas"][0]["facility"].is_string(), "{mine}");
    let printed: Value =
        serde_json::from_str(&dir.ok(&["--json", "accountancy", "evaluate", "--mba", "XFF1"]))
            .expect("JSON");
    let served = server.get_as(path, Some(&signed(&server, &operator, path)));
    assert_eq!(
        served.status,
        200,
        "{}",
        String::from_utf8_lossy(&served.body)
    );
    assert!(served.json() == printed, "the evaluation is the command's");
    for key_name in [
        "muf",
        "sigma_muf",
        "cumuf",
        "sitmuf",
        "page",
        "page_h",
        "balance_periods",
        "findings",
    ] {
        assert!(!printed[key_name].is_null(), "{key_name} in {printed}");
    }
    let again = server.get_as(path, Some(&signed(&server, &operator, path)));
    assert_eq!(again.cache(), "hit");

    let windowed = format!("{path}?from=2025-03-31&quantity=u235&alpha=0.1&matrices=omit");
    let printed: Value = serde_json::from_str(&dir.ok(&[
        "--json",
        "accountancy",
        "evaluate",
        "--mba",
        "XFF1",
        "--from",
        "2025-03-31",
        "--quantity",
        "u235",
        "--alpha",
        "0.1",
        "--matrices",
        "omit",
    ]))
    .expect("JSON");
    let served = server.get_as(&windowed, Some(&signed(&server, &operator, &windowed)));
    assert_eq!(
        served.status,
        200,
        "{}",
        String::from_utf8_lossy(&served.body)
    );
    assert!(
        served.json() == printed,
        "the windowed evaluation is the command's"
    );

    for (query, field) in [
        ("quantity=plutonium", "quantity"),
        ("matrices=sometimes", "matrices"),
        ("from=March", "from"),
    ] {
        let asked = format!("{path}?{query}");
        let reply = server.get_as(&asked, Some(&signed(&server, &operator, &asked)));
        assert_eq!(reply.status, 400, "{asked}");
        assert_eq!(reply.json()["error"]["field"], field, "{asked}");
    }

    // The log's administrator is no actor of state XFF: refused, before
    // anything is computed.
    let admin = key(&dir, "admin");
    let reply = server.get_as(path, Some(&signed(&server, &admin, path)));
    assert_eq!(reply.status, 403);
    assert_eq!(reply.json()["error"]["code"], "forbidden");
}

#[test]
fn escrow_and_review_views_are_the_commands() {
    let dir = demo("views-escrow", "d-escrow.db");
    let server = Server::start(&dir);
    let record = same_as_cli(&server, &dir, "/api/v1/escrow", &["escrow", "verify"]);
    assert!(record["declarations"]
        .as_array()
        .is_some_and(|d| !d.is_empty()));
    same_as_cli(
        &server,
        &dir,
        "/api/v1/escrow?declaration=xaa-2026",
        &["escrow", "verify", "--declaration", "xaa-2026"],
    );
    cached(&server, "/api/v1/escrow");
    refused(
        &server,
        "/api/v1/escrow?declaration=Bad%20Id",
        400,
        "declaration",
    );
    drop(server);

    let dir = demo("views-review", "d-review.db");
    let server = Server::start(&dir);
    let reply = server.get("/api/v1/review/summary?year=2020");
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    dir.ok(&["review", "summary", "2020", "--out", "summary"]);
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path("summary/npt-review-2020.json")).expect("written"),
    )
    .expect("JSON");
    assert!(
        reply.json() == written,
        "the summary is the open-data file `review summary` writes"
    );
    assert_eq!(written["cycle"], 2020);
    cached(&server, "/api/v1/review/summary?year=2020");
    refused(&server, "/api/v1/review/summary", 400, "year");
    refused(&server, "/api/v1/review/summary?year=twenty", 400, "year");
    refused(&server, "/api/v1/review/summary?year=2030", 404, "year");
}
