//! The bounded load test (issue 8, "Bad input and load"): `custodian serve
//! --demo` on loopback takes signed appends at a stated, paced rate from two
//! actors while two `wrk` processes read inclusion proofs and registry
//! statuses as fast as they can; afterwards nothing is lost or duplicated and
//! `custodian audit` passes.
//!
//! - Appends: two state officers, each on its own keep-alive connection,
//!   post one `site.register` submission every `1 / APPENDS_PER_SECOND_PER_ACTOR`
//!   seconds (paced to a schedule, not back to back), each answered `201`
//!   with its receipt.
//! - Reads: `wrk -t1 -c2 --latency` on `GET /api/v1/proofs/inclusion` for
//!   random leaves, and another on `GET /api/v1/registry/status` for random
//!   dates (Lua scripts written by the test); every answer must be 2xx.
//! - Audit: the tree grew by exactly the number of accepted appends, each
//!   receipt names a distinct leaf, every appended event id is in the log
//!   exactly once, and `custodian audit` exits 0.
//!
//! It prints one summary line (`load: ...`) with the rates and the p50/p99
//! latencies that docs/BENCHMARKS.md records. Environment:
//! `CUSTODIAN_LOAD_SECONDS` (default 10), `CUSTODIAN_LOAD_BIN` (default this
//! build's `custodian`; point it at `target/release/custodian` to measure).
//! Needs `wrk` (Debian package `wrk`): without it the test says so and passes
//! locally, and fails under `CI=true`.

mod common;

use common::Dir;
use custodian_core::event::SiteRegister;
use custodian_core::ids::SiteId;
use custodian_core::{ActorId, Event, EventId, Payload, StateCode, Submission, UtcTime};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::submission::sign_submission;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const APPENDS_PER_SECOND_PER_ACTOR: f64 = 20.0;
static APPENDERS: [(&str, &str); 2] = [("usa-officer-1", "USA"), ("deu-officer-1", "DEU")];

fn seconds() -> u64 {
    std::env::var("CUSTODIAN_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
}

fn binary() -> String {
    std::env::var("CUSTODIAN_LOAD_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_custodian").into())
}

fn have_wrk() -> bool {
    Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// The server, stopped with SIGTERM on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(dir: &Dir, db: &str) -> Server {
        let mut child = Command::new(binary())
            .args(["--db", db, "serve", "--demo", "--addr", "127.0.0.1:0"])
            .current_dir(&dir.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start custodian serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server stopped before printing its address")
                .expect("read");
            if let Some(rest) = line.split("http://").nth(1) {
                if line.trim_start().starts_with("listening on") {
                    break rest.trim().trim_end_matches('/').parse().expect("address");
                }
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, addr }
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One keep-alive HTTP/1.1 connection; returns (status, body).
struct Client {
    stream: TcpStream,
    addr: SocketAddr,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        Client { stream, addr }
    }

    fn request(&mut self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        self.stream.write_all(head.as_bytes()).expect("write");
        self.stream.write_all(body).expect("write body");
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = self.stream.read(&mut chunk).expect("read");
            assert!(n > 0, "the server closed the connection");
            buffer.extend_from_slice(&chunk[..n]);
            let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let status: u16 = head[9..12].parse().expect("status");
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .expect("content-length");
            while buffer.len() < end + 4 + length {
                let n = self.stream.read(&mut chunk).expect("read body");
                assert!(n > 0, "the server closed the connection");
                buffer.extend_from_slice(&chunk[..n]);
            }
            return (status, buffer[end + 4..end + 4 + length].to_vec());
        }
    }
}

/// What one appender did.
struct Appended {
    leaves: Vec<u64>,
    event_ids: Vec<String>,
    latencies: Vec<Duration>,
    refused: Vec<String>,
}

fn now() -> UtcTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    UtcTime::from_unix_seconds(secs as i64).expect("time")
}

/// Posts one site registration per slot of the schedule until `until`.
fn append_paced(
    addr: SocketAddr,
    origin: String,
    actor: &str,
    state: &str,
    key: SigningKey,
    first_seq: u64,
    until: Instant,
) -> Appended {
    let mut client = Client::connect(addr);
    let period = Duration::from_secs_f64(1.0 / APPENDS_PER_SECOND_PER_ACTOR);
    let start = Instant::now();
    let mut out = Appended {
        leaves: Vec::new(),
        event_ids: Vec::new(),
        latencies: Vec::new(),
        refused: Vec::new(),
    };
    let mut n: u64 = 0;
    loop {
        let slot = start + period * n as u32;
        if slot >= until {
            break;
        }
        if let Some(wait) = slot.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let seq = first_seq + n;
        let id = format!("{actor}:load:{n}");
        let event = Event {
            id: EventId::parse(&id).expect("event id"),
            time: now(),
            actor: ActorId::parse(actor).expect("actor"),
            payload: Payload::SiteRegister(SiteRegister {
                site: SiteId::parse(&format!("load-{actor}-{n}")).expect("site id"),
                name: format!("Load test site {n} of {actor}"),
                state: StateCode::parse(state).expect("state"),
                site_type: "storage".into(),
            }),
            approvals: Vec::new(),
        };
        let signed = sign_submission(
            Submission {
                log: origin.clone(),
                actor: ActorId::parse(actor).expect("actor"),
                seq,
                events: vec![event],
            },
            &key,
        )
        .expect("sign");
        let body = signed.leaf_bytes().expect("encode");
        let sent = Instant::now();
        let (status, reply) = client.request("POST", "/api/v1/submissions", &body);
        out.latencies.push(sent.elapsed());
        if status == 201 {
            let receipt: serde_json::Value = serde_json::from_slice(&reply).expect("receipt");
            out.leaves
                .push(receipt["first_leaf"].as_u64().expect("first_leaf"));
            out.event_ids.push(id);
        } else {
            out.refused
                .push(format!("{status} {}", String::from_utf8_lossy(&reply)));
            // A refused append consumed no seq: stop rather than drift.
            break;
        }
        n += 1;
    }
    out
}

/// One wrk run's figures.
#[derive(Debug, Default)]
struct WrkFigures {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    non_2xx: u64,
    socket_errors: u64,
}

fn millis(text: &str) -> f64 {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(text.len()),
    );
    let v: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => v / 1000.0,
        "ms" => v,
        "s" => v * 1000.0,
        "m" => v * 60_000.0,
        _ => f64::NAN,
    }
}

fn parse_wrk(out: &str) -> WrkFigures {
    let mut f = WrkFigures::default();
    for line in out.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("50%") {
            f.p50_ms = millis(v);
        } else if let Some(v) = t.strip_prefix("99%") {
            f.p99_ms = millis(v);
        } else if let Some(v) = t.strip_prefix("Requests/sec:") {
            f.requests_per_second = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            f.non_2xx = v.trim().parse().unwrap_or(u64::MAX);
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            f.socket_errors = v
                .split(',')
                .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                .sum();
        } else if t.contains("requests in") {
            f.requests = t
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
    }
    f
}

fn wrk(dir: &Dir, addr: SocketAddr, script: &str, lua: &str, seconds: u64) -> Child {
    let path = dir.write(script, lua);
    Command::new("wrk")
        .args(["-t1", "-c2", "--latency", "--timeout", "5s"])
        .arg(format!("-d{seconds}s"))
        .arg("-s")
        .arg(path)
        .arg(format!("http://{addr}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wrk")
}

fn finish(child: Child, what: &str) -> WrkFigures {
    let out = child.wait_with_output().expect("wrk");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "wrk ({what}) failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = parse_wrk(&text);
    assert!(f.requests > 0, "wrk ({what}) made no request: {text}");
    f
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

#[test]
fn reads_and_signed_appends_under_load_lose_nothing() {
    if std::env::var("CUSTODIAN_TEST_STORE").is_ok_and(|s| s == "postgres") {
        eprintln!("load test: `serve --demo` is SQLite; it runs in the SQLite suite");
        return;
    }
    if !have_wrk() {
        assert!(
            std::env::var("CI").is_err(),
            "the load test needs wrk (Debian package wrk) and CI=true is set"
        );
        eprintln!("load test skipped: wrk is not installed (apt-get install wrk)");
        return;
    }
    let dir = Dir::new("load");
    let mut server = Server::start(&dir, "load.db");
    let addr = server.addr;

    // The log before the load: its origin, size and the appenders' next seqs.
    let mut client = Client::connect(addr);
    let (status, body) = client.request("GET", "/api/v1/checkpoint", b"");
    assert_eq!(status, 200);
    let checkpoint: serde_json::Value = serde_json::from_slice(&body).expect("checkpoint");
    let origin = checkpoint["origin"].as_str().expect("origin").to_string();
    let size_before = checkpoint["tree_size"].as_u64().expect("tree size");
    let actors: serde_json::Value =
        serde_json::from_str(&dir.ok(&["--db", "load.db", "--json", "actor", "list"]))
            .expect("actor list");
    let next_seq = |id: &str| {
        actors
            .as_array()
            .expect("actors")
            .iter()
            .find(|a| a["id"] == id)
            .and_then(|a| a["next_seq"].as_u64())
            .unwrap_or_else(|| panic!("actor {id} is not in the demo log"))
    };
    let (status, _) = client.request(
        "GET",
        "/api/v1/registry/status?treaty=NPT&at=2000-01-01",
        b"",
    );
    assert_eq!(status, 200, "the registry view is not served");

    let seconds = seconds();
    let proofs = wrk(
        &dir,
        addr,
        "proofs.lua",
        &format!(
            "math.randomseed(1)\nrequest = function()\n  return wrk.format(\"GET\", \"/api/v1/proofs/inclusion?index=\" .. math.random(0, {}) .. \"&size={size_before}\")\nend\n",
            size_before - 1
        ),
        seconds,
    );
    let registry = wrk(
        &dir,
        addr,
        "registry.lua",
        "math.randomseed(2)\nrequest = function()\n  return wrk.format(\"GET\", string.format(\"/api/v1/registry/status?treaty=NPT&at=%04d-01-01\", math.random(1970, 2025)))\nend\n",
        seconds,
    );
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let appenders: Vec<_> = APPENDERS
        .iter()
        .map(|(actor, state)| {
            let key_text = std::fs::read_to_string(dir.path(&format!("load.db.keys/{actor}.key")))
                .expect("the demo writes its actors' keys");
            let key = SigningKey::parse(key_text.trim_end()).expect("key");
            let first = next_seq(actor);
            let origin = origin.clone();
            std::thread::spawn(move || append_paced(addr, origin, actor, state, key, first, until))
        })
        .collect();
    let appended: Vec<Appended> = appenders
        .into_iter()
        .map(|h| h.join().expect("appender"))
        .collect();
    let append_seconds = started.elapsed().as_secs_f64();
    let proofs = finish(proofs, "proofs");
    let registry = finish(registry, "registry");
    server.stop();

    // Every append was accepted, at the stated pace.
    for (a, (actor, _)) in appended.iter().zip(APPENDERS) {
        assert!(a.refused.is_empty(), "{actor}: refused: {:?}", a.refused);
    }
    let accepted: usize = appended.iter().map(|a| a.leaves.len()).sum();
    let planned =
        (APPENDS_PER_SECOND_PER_ACTOR * seconds as f64).floor() as usize * APPENDERS.len();
    assert!(
        accepted + APPENDERS.len() >= planned,
        "{accepted} appends of {planned} planned"
    );
    // No read failed.
    for (what, f) in [("proofs", &proofs), ("registry", &registry)] {
        assert_eq!(f.non_2xx, 0, "{what}: non-2xx answers: {f:?}");
        assert_eq!(f.socket_errors, 0, "{what}: socket errors: {f:?}");
    }

    // Nothing lost, nothing duplicated.
    let mut leaves: Vec<u64> = appended.iter().flat_map(|a| a.leaves.clone()).collect();
    leaves.sort_unstable();
    leaves.dedup();
    assert_eq!(leaves.len(), accepted, "two receipts name the same leaf");
    assert!(leaves
        .iter()
        .all(|l| (size_before..size_before + accepted as u64).contains(l)));
    let db = rusqlite::Connection::open(dir.path("load.db")).expect("open the log");
    let size_after: u64 = db
        .query_row("SELECT count(*) FROM leaves", [], |r| r.get(0))
        .expect("leaves");
    assert_eq!(size_after, size_before + accepted as u64, "the tree size");
    let (rows, distinct): (u64, u64) = db
        .query_row(
            "SELECT count(*), count(DISTINCT id) FROM events WHERE id LIKE '%:load:%'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("events");
    assert_eq!((rows, distinct), (accepted as u64, accepted as u64));
    for id in appended.iter().flat_map(|a| &a.event_ids) {
        let n: u64 = db
            .query_row("SELECT count(*) FROM events WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .expect("event");
        assert_eq!(n, 1, "event {id} is in the log {n} times");
    }
    drop(db);
    let audit = dir.run(&["--db", "load.db", "audit"]);
    assert!(
        audit.status.success(),
        "the audit after the load failed: {}{}",
        String::from_utf8_lossy(&audit.stdout),
        String::from_utf8_lossy(&audit.stderr)
    );

    let mut latencies: Vec<Duration> = appended.iter().flat_map(|a| a.latencies.clone()).collect();
    latencies.sort_unstable();
    println!(
        "load: {seconds} s on loopback; appends {accepted} accepted ({:.1}/s offered {:.0}/s), p50 {:.2} ms p99 {:.2} ms; \
         proof reads {} ({:.0}/s) p50 {:.2} ms p99 {:.2} ms; registry reads {} ({:.0}/s) p50 {:.2} ms p99 {:.2} ms; \
         lost 0, duplicated 0, non-2xx 0; audit passed ({size_before} -> {size_after} leaves)",
        accepted as f64 / append_seconds,
        APPENDS_PER_SECOND_PER_ACTOR * APPENDERS.len() as f64,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        proofs.requests,
        proofs.requests_per_second,
        proofs.p50_ms,
        proofs.p99_ms,
        registry.requests,
        registry.requests_per_second,
        registry.p50_ms,
        registry.p99_ms,
    );
}
