//! The `custodian` binary on a shared PostgreSQL log (issue 8, point 3), on
//! the server of `CUSTODIAN_PG_URL` whatever `CUSTODIAN_TEST_STORE` says:
//! `init` with a URL, messages that never show its password, the demo and
//! scenarios refusing it, and many writers at once (two `custodian log append`
//! processes and two `custodian serve` processes on one log) leaving one
//! consistent log that the audit passes, with no entry lost or duplicated.
//!
//! Without the server each test says so and passes, except under `CI=true`,
//! where it fails (`custodian_store::testing::pg_server`).

mod common;

use common::Dir;
use custodian_core::event::SiteRegister;
use custodian_core::ids::SiteId;
use custodian_core::{ActorId, Event, EventId, Payload, SignedSubmission, StateCode, Submission};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::submission::sign_submission;
use custodian_store::testing::{pg_server, Schema};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const ORIGIN: &str = "custodian.test/pg";

/// The password in a `postgres://user:password@...` URL, if any.
fn password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let userinfo = authority.rsplit_once('@')?.0;
    userinfo.split_once(':').map(|(_, p)| p)
}

/// `text` must not hold the password of `url` in the user-info form.
fn no_password(url: &str, text: &str) {
    if let Some(pw) = password(url) {
        assert!(
            !text.contains(&format!(":{pw}@")),
            "the password is shown: {text}"
        );
    }
}

/// `custodian --db URL ...` in `dir`.
fn pg<'a>(url: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--db", url];
    all.extend_from_slice(args);
    all
}

#[test]
fn init_on_postgres_writes_the_log_key_here_and_refuses_a_second_log() {
    let Some(server) = pg_server() else { return };
    let schema = Schema::new(server, "cliinit");
    let url = schema.url();
    let dir = Dir::sqlite("pg-init");
    let out = dir.ok(&pg(url, &["init", "--origin", ORIGIN, "--empty-registry"]));
    assert!(out.contains("created postgres://"), "{out}");
    assert!(out.contains(schema.name()), "{out}");
    no_password(url, &out);
    // The log key defaults to custodian.logkey in the working directory.
    assert!(out.contains("log signing key:   custodian.logkey"), "{out}");
    assert!(dir.path("custodian.logkey").is_file());
    assert!(dir.path("admin.key").is_file());

    // A second init on the same schema: refused by the store (not a file
    // check), with nothing overwritten; the same key files: refused first.
    let err = dir.fails(&pg(url, &["init", "--origin", ORIGIN]), 1);
    assert!(err.contains("custodian.logkey: already exists"), "{err}");
    let err = dir.fails(
        &pg(
            url,
            &[
                "--log-key",
                "second.logkey",
                "init",
                "--admin-key-out",
                "second-admin.key",
                "--empty-registry",
            ],
        ),
        1,
    );
    assert!(err.contains("already holds a Custodian log"), "{err}");
    no_password(url, &err);
    assert!(!dir.path("second.logkey").exists());

    // The log works and audits, through the URL.
    dir.ok(&["key", "generate", "xaa-officer-1"]);
    dir.ok(&pg(
        url,
        &[
            "actor",
            "add",
            "xaa-officer-1",
            "--role",
            "state_authority",
            "--party",
            "state:XAA",
            "--public-key",
            "xaa-officer-1.vkey",
            "--key",
            "admin.key",
        ],
    ));
    dir.write(
        "e.jsonl",
        r#"{"kind":"site.register","payload":{"site":"depot-1","name":"Depot 1","state":"XAA","site_type":"storage"}}"#,
    );
    let out = dir.ok(&pg(
        url,
        &["log", "append", "e.jsonl", "--key", "xaa-officer-1.key"],
    ));
    assert!(out.contains("at leaf 2"), "{out}");
    std::fs::write(dir.path("log.vkey"), dir.ok(&pg(url, &["log", "key"]))).unwrap();
    let audit = dir.ok(&pg(url, &["audit", "--vkey", "log.vkey"]));
    assert!(audit.contains("audit passed: 3 leaves"), "{audit}");
    // The static tiles are exported from the PostgreSQL log and read back.
    let out = dir.ok(&pg(url, &["export", "tiles", "tiles", "--verify"]));
    assert!(dir.path("tiles/checkpoint").is_file(), "{out}");

    // A wrong password: the error names the server, never the password.
    if let Some(pw) = password(url) {
        let wrong = url.replacen(&format!(":{pw}@"), ":wrong-secret-pw@", 1);
        let err = dir.fails(&pg(&wrong, &["log", "head"]), 1);
        assert!(!err.contains("wrong-secret-pw"), "{err}");
        no_password(url, &err);
    }
}

#[test]
fn the_demo_and_the_scenarios_refuse_a_postgres_url() {
    // No server needed: the URL is refused before anything connects.
    let dir = Dir::sqlite("pg-demo");
    let url = "postgres://someone:s3cret-pw@127.0.0.1:1/nothing";
    for args in [
        vec!["demo"],
        vec!["scenario", "run", "nato-sharing"],
        vec!["escrow", "scenario"],
        vec!["review", "scenario"],
        vec!["accountancy", "scenario", "--ledger", "abrupt"],
        vec!["serve", "--demo", "--addr", "127.0.0.1:0"],
    ] {
        let out = dir.run(&pg(url, &args));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("write SQLite files, not a PostgreSQL log"),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("postgres://someone:***@127.0.0.1:1/nothing"),
            "{args:?}: {stderr}"
        );
        assert!(
            !stderr.contains("s3cret") && !stdout.contains("s3cret"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        0,
        "nothing was written"
    );
}

/// A `custodian serve` child process, killed when dropped. Its stderr is
/// read when it stops (it writes little: a full pipe would block it).
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(dir: &Dir, url: &str) -> Server {
        let mut child = dir
            .command(&pg(url, &["serve", "--addr", "127.0.0.1:0"]))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start custodian serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server printed its address")
                .expect("read");
            if let Some(addr) = line.strip_prefix("listening on http://") {
                break addr.trim().to_string();
            }
        };
        // Keep reading stdout so that the server never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Server { child, addr }
    }
}

impl Server {
    /// Stops the server as an operator would (SIGTERM) and requires a clean
    /// exit: the server closes its PostgreSQL connections as it stops.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut stderr);
        }
        assert!(
            status.success(),
            "the server stopped with {status}: {stderr}"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on a connection of its own; the status and body.
fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("send");
    stream.write_all(body).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    let text = String::from_utf8_lossy(&response).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        // Chunk sizes in hex, each on its own line before its data.
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).expect("chunk size");
            if size == 0 {
                break;
            }
            out.push_str(&after[..size]);
            rest = &after[size + 2..];
        }
        out
    } else {
        body.to_string()
    };
    (status, body)
}

/// Submission `seq` of `actor`: one site registration, `<actor>-site-<seq>`.
fn site_submission(actor: &str, key: &SigningKey, seq: u64) -> SignedSubmission {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let actor_id = ActorId::parse(actor).expect("actor id");
    let event = Event {
        id: EventId::parse(&format!("{actor}:{seq}:0")).expect("event id"),
        time: custodian_core::UtcTime::from_unix_seconds(now).expect("time"),
        actor: actor_id.clone(),
        payload: Payload::SiteRegister(SiteRegister {
            site: SiteId::parse(&format!("{actor}-site-{seq}")).expect("site id"),
            name: format!("Site {seq} of {actor}"),
            state: StateCode::parse("XAA").expect("state"),
            site_type: "storage".into(),
        }),
        approvals: Vec::new(),
    };
    let submission = Submission {
        log: ORIGIN.into(),
        actor: actor_id,
        seq,
        events: vec![event],
    };
    sign_submission(submission, key).expect("sign")
}

/// Two `custodian log append` processes and two `custodian serve` processes,
/// each with its own state officer, append at the same time to one
/// PostgreSQL log. Writers overtaken by another (the store's `Conflict`: the
/// CLI's "nothing applied, try again", the server's `503`) try again. After:
/// every submission is in the log exactly once, in the leaf its receipt
/// names, both servers see the final size, and `custodian audit` passes.
#[test]
fn two_processes_and_two_servers_append_to_one_postgres_log() {
    const APPENDS: u64 = 10;
    let Some(server) = pg_server() else { return };
    let schema = Schema::new(server, "climany");
    let url = schema.url().to_string();
    let dir = Dir::sqlite("pg-many");
    dir.ok(&pg(&url, &["init", "--origin", ORIGIN, "--empty-registry"]));
    let writers = ["cli-1", "cli-2", "http-1", "http-2"];
    for w in writers {
        dir.ok(&["key", "generate", w]);
        dir.ok(&pg(
            &url,
            &[
                "actor",
                "add",
                w,
                "--role",
                "state_authority",
                "--party",
                "state:XAA",
                "--public-key",
                &format!("{w}.vkey"),
                "--key",
                "admin.key",
            ],
        ));
    }
    let base = common::size_of(&dir, &url);
    let servers = [Server::start(&dir, &url), Server::start(&dir, &url)];

    let started = Instant::now();
    let dir = &dir;
    let url = url.as_str();
    // (writer, leaves its receipts name, appends overtaken and tried again)
    let results: Vec<(String, Vec<u64>, u64)> = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for w in ["cli-1", "cli-2"] {
            handles.push(scope.spawn(move || {
                let (mut leaves, mut retries) = (Vec::new(), 0);
                for seq in 1..=APPENDS {
                    let file = format!("{w}-{seq}.jsonl");
                    dir.write(
                        &file,
                        &format!(
                            r#"{{"kind":"site.register","payload":{{"site":"{w}-site-{seq}","name":"Site {seq} of {w}","state":"XAA","site_type":"storage"}}}}"#
                        ),
                    );
                    let key = format!("{w}.key");
                    loop {
                        let out = dir.run(&pg(url, &["--json", "log", "append", &file, "--key", &key]));
                        if out.status.success() {
                            let v: serde_json::Value =
                                serde_json::from_slice(&out.stdout).expect("JSON receipt");
                            leaves.push(v["first_leaf"].as_u64().expect("first_leaf"));
                            break;
                        }
                        let err = String::from_utf8_lossy(&out.stderr);
                        assert!(err.contains("nothing applied, try again"), "{w} seq {seq}: {err}");
                        retries += 1;
                        assert!(retries < 1000, "{w}: no progress");
                    }
                }
                (w.to_string(), leaves, retries)
            }));
        }
        for (w, server) in ["http-1", "http-2"].into_iter().zip(&servers) {
            handles.push(scope.spawn(move || {
                let text = std::fs::read_to_string(dir.path(&format!("{w}.key"))).expect("key");
                let key = SigningKey::parse(text.trim_end()).expect("a signing key");
                let (mut leaves, mut retries) = (Vec::new(), 0);
                for seq in 1..=APPENDS {
                    let body = site_submission(w, &key, seq).leaf_bytes().expect("encode");
                    loop {
                        let (status, reply) =
                            http(&server.addr, "POST", "/api/v1/submissions", &body);
                        if status == 201 {
                            let v: serde_json::Value =
                                serde_json::from_str(&reply).expect("JSON receipt");
                            leaves.push(v["first_leaf"].as_u64().expect("first_leaf"));
                            break;
                        }
                        assert_eq!(status, 503, "{w} seq {seq}: {reply}");
                        retries += 1;
                        assert!(retries < 1000, "{w}: no progress");
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
                (w.to_string(), leaves, retries)
            }));
        }
        handles
            .into_iter()
            .map(|h| h.join().expect("writer"))
            .collect()
    });
    let elapsed = started.elapsed();

    let total = writers.len() as u64 * APPENDS;
    let mut all: Vec<u64> = results.iter().flat_map(|(_, l, _)| l.clone()).collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (base..base + total).collect::<Vec<_>>(),
        "one leaf per receipt, none lost"
    );
    for (w, leaves, _) in &results {
        assert!(
            leaves.windows(2).all(|p| p[0] < p[1]),
            "{w}: leaves not increasing: {leaves:?}"
        );
    }
    eprintln!(
        "postgres: {total} appends by 2 processes and 2 servers in {:.1} s; tried again: {}",
        elapsed.as_secs_f64(),
        results
            .iter()
            .map(|(w, _, r)| format!("{w} {r}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // Each submission in the log exactly once, at the leaf its receipt named.
    assert_eq!(common::size_of(dir, url), base + total);
    let entries = dir.ok(&pg(url, &["log", "entries"]));
    let mut found: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (index, line) in entries.lines().enumerate() {
        let bytes = custodian_core::encoding::unhex(line.trim()).expect("hex leaf");
        let signed = SignedSubmission::from_leaf_bytes(&bytes).expect("a leaf");
        for event in &signed.submission.events {
            found
                .entry(event.id.to_string())
                .or_default()
                .push(index as u64);
        }
    }
    for (w, leaves, _) in &results {
        for (n, leaf) in leaves.iter().enumerate() {
            // The CLI names events <actor>:<seq>:<n> as the HTTP writers do.
            let id = format!("{w}:{}:0", n + 1);
            assert_eq!(found.get(&id), Some(&vec![*leaf]), "{id}");
        }
    }
    for server in &servers {
        let (status, body) = http(&server.addr, "GET", "/api/v1/checkpoint", b"");
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(v["tree_size"].as_u64(), Some(base + total), "{body}");
    }
    for server in servers {
        server.stop();
    }
    std::fs::write(dir.path("log.vkey"), dir.ok(&pg(url, &["log", "key"]))).unwrap();
    let audit = dir.ok(&pg(url, &["audit", "--vkey", "log.vkey"]));
    assert!(
        audit.contains(&format!("audit passed: {} leaves", base + total)),
        "{audit}"
    );
}
