//! Appends over HTTP beside the in-process append, and proof reads over HTTP
//! beside the in-process proof, measured in the same run (issue 8, "Speed").
//!
//! - `append/http_1_event` vs `append/in_process_1_event`: one durable append
//!   of a signed submission of one event (a site registration, ~400 bytes),
//!   through a loopback socket, the router, the body parser and the sequencer,
//!   against `Log::append_with` with the same rule (the custody engine's) on a
//!   log of its own. Both pay the same fsync.
//! - `append/http_1000_events` vs `append/in_process_1000_events`: the same
//!   with submissions of 1,000 events (~190 KB).
//! - `append/http_8_clients_1_event`: eight clients posting at once (time per
//!   append): what the one sequencer sustains.
//! - `parse/from_leaf_bytes_1000_events`: context for the gap: the strict
//!   parse of a request body, which the in-process peer starts without.
//! - reads: p50/p99 latency of `GET /api/v1/proofs/inclusion` for random
//!   leaves of a 10,000-leaf log, one client and four clients, beside the
//!   in-process `prove_inclusion` (not criterion: a fixed count of requests,
//!   percentiles printed).
//!
//! Run: `cargo bench -p custodian-server --bench http`. The ratios and
//! percentiles are printed at the end.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{bytes, officer, site, Running, World};
use criterion::Criterion;
use custodian_core::{LeafIndex, Payload, SignedSubmission, TreeSize};
use custodian_custody::{Custody, CustodyRule};
use custodian_server::Limits;
use custodian_store::log::Log;
use custodian_store::sqlite::SqliteStore;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A keep-alive HTTP/1.1 client over one connection, in raw bytes.
struct Client {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Client {
            stream,
            buffer: Vec::with_capacity(64 * 1024),
        }
    }

    /// Sends a request and reads the response; returns the status.
    fn request(&mut self, head: &str, body: &[u8]) -> u16 {
        self.stream.write_all(head.as_bytes()).expect("write");
        self.stream.write_all(body).expect("write body");
        self.buffer.clear();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = self.stream.read(&mut chunk).expect("read");
            assert!(n > 0, "connection closed");
            self.buffer.extend_from_slice(&chunk[..n]);
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buffer[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .expect("content-length");
                while self.buffer.len() < end + 4 + length {
                    let n = self.stream.read(&mut chunk).expect("read body");
                    assert!(n > 0, "connection closed");
                    self.buffer.extend_from_slice(&chunk[..n]);
                }
                return head[9..12].parse().expect("status");
            }
        }
    }

    fn get(&mut self, path: &str) -> u16 {
        self.request(&format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n"), b"")
    }

    fn post(&mut self, body: &[u8]) -> u16 {
        self.request(
            &format!(
                "POST /api/v1/submissions HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ),
            body,
        )
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `n` site registrations, unique across the run.
fn sites(next: &mut u64, n: usize) -> Vec<Payload> {
    (0..n)
        .map(|_| {
            *next += 1;
            site(&format!("bench-site-{next:09}"))
        })
        .collect()
}

/// The in-process peer: a log of its own with the same rule.
struct InProcess {
    world: World,
    log: Log<SqliteStore>,
    rule: CustodyRule,
}

impl InProcess {
    fn new() -> InProcess {
        let world = World::create("bench-in-process", 1, 0);
        let log = Log::open(SqliteStore::open(&world.db).expect("open")).expect("log");
        let mut rule = CustodyRule::new(Custody::new());
        log.for_each_submission(0, |leaf, signed| {
            rule.preload(leaf, &signed)
                .map_err(|e| custodian_store::StoreError::Damaged(e.to_string()))
        })
        .expect("preload");
        InProcess { world, log, rule }
    }

    fn append(&mut self, s: &SignedSubmission) {
        self.log
            .append_with(std::slice::from_ref(s), &self.world.log_key, &mut self.rule)
            .expect("append");
    }
}

fn bench_append(c: &mut Criterion) {
    let mut http_world = World::create("bench-http", 8, 0);
    let server = Running::start(http_world.ledger(Limits::default()));
    let addr = server.addr;
    let mut peer = InProcess::new();
    let mut next = 0u64;

    let mut group = c.benchmark_group("append");
    group.sample_size(20);
    for events in [1usize, 1000] {
        let sample = http_world.sign(&officer(1), sites(&mut next, events));
        let size = bytes(&sample).len();
        println!("submission of {events} event(s): {size} bytes");
        assert_eq!(Client::connect(addr).post(&bytes(&sample)), 201);
        group.throughput(criterion::Throughput::Elements(events as u64));
        group.bench_function(
            format!("http_{events}_event{}", if events > 1 { "s" } else { "" }),
            |b| {
                // A connection per benchmark: the server closes one left idle
                // past its deadline while the peer is measured.
                let mut client = Client::connect(addr);
                b.iter_custom(|iters| {
                    // The actor signs before submitting; only the request is timed.
                    let bodies: Vec<Vec<u8>> = (0..iters)
                        .map(|_| bytes(&http_world.sign(&officer(1), sites(&mut next, events))))
                        .collect();
                    let started = Instant::now();
                    for body in &bodies {
                        let status = client.post(body);
                        assert_eq!(status, 201);
                    }
                    started.elapsed()
                })
            },
        );
        group.bench_function(
            format!(
                "in_process_{events}_event{}",
                if events > 1 { "s" } else { "" }
            ),
            |b| {
                b.iter_custom(|iters| {
                    let subs: Vec<SignedSubmission> = (0..iters)
                        .map(|_| peer.world.sign(&officer(1), sites(&mut next, events)))
                        .collect();
                    let started = Instant::now();
                    for s in &subs {
                        peer.append(s);
                    }
                    started.elapsed()
                })
            },
        );
    }
    group.throughput(criterion::Throughput::Elements(1));
    group.bench_function("http_8_clients_1_event", |b| {
        b.iter_custom(|iters| {
            let per_client = iters.div_ceil(8);
            let bodies: Vec<Vec<Vec<u8>>> = (1..=8)
                .map(|a| {
                    (0..per_client)
                        .map(|_| bytes(&http_world.sign(&officer(a), sites(&mut next, 1))))
                        .collect()
                })
                .collect();
            let started = Instant::now();
            std::thread::scope(|scope| {
                for mine in &bodies {
                    scope.spawn(move || {
                        let mut client = Client::connect(addr);
                        for body in mine {
                            assert_eq!(client.post(body), 201);
                        }
                    });
                }
            });
            // Time per append, over all the clients' appends.
            started
                .elapsed()
                .mul_f64(iters as f64 / (per_client * 8) as f64)
        })
    });
    group.finish();
    drop(server);

    // Context: what the HTTP path does that the in-process one does not —
    // the strict parse of the body (typed events, canonical form checked by
    // re-encoding), which `custodian log append` also pays.
    let sample = bytes(&http_world.sign(&officer(1), sites(&mut next, 1000)));
    let mut group = c.benchmark_group("parse");
    group.sample_size(20);
    group.bench_function("from_leaf_bytes_1000_events", |b| {
        b.iter(|| SignedSubmission::from_leaf_bytes(std::hint::black_box(&sample)).expect("parses"))
    });
    group.finish();
}

/// Latencies of `requests` calls of `f`, sorted.
fn latencies(requests: usize, mut f: impl FnMut(usize)) -> Vec<Duration> {
    let mut out: Vec<Duration> = (0..requests)
        .map(|i| {
            let started = Instant::now();
            f(i);
            started.elapsed()
        })
        .collect();
    out.sort_unstable();
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

/// A deterministic leaf index sequence (xorshift), so runs compare.
fn leaf(i: usize, size: u64) -> u64 {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x % size
}

fn read_latencies() -> Vec<String> {
    const LEAVES: u64 = 10_000;
    const REQUESTS: usize = 4000;
    let mut world = World::create("bench-reads", 1, 0);
    {
        let mut log = Log::open(SqliteStore::open(&world.db).expect("open")).expect("log");
        let mut next = 0u64;
        let mut have = log.size().expect("size").0;
        while have < LEAVES {
            let n = (LEAVES - have).min(500);
            let subs: Vec<SignedSubmission> = (0..n)
                .map(|_| world.sign(&officer(1), sites(&mut next, 1)))
                .collect();
            log.append(&subs, &world.log_key).expect("append");
            have += n;
        }
    }
    let size = world.size();
    let server = Running::start(world.ledger(Limits::default()));
    let mut lines = vec![format!(
        "inclusion proofs of random leaves in a tree of {size} leaves ({REQUESTS} requests each):"
    )];
    let show = |label: &str, sorted: &[Duration]| {
        format!(
            "  {label:<34} p50 {:>8.1} µs   p99 {:>8.1} µs",
            percentile(sorted, 0.50).as_secs_f64() * 1e6,
            percentile(sorted, 0.99).as_secs_f64() * 1e6
        )
    };

    // The store itself, not the tests' `WorldStore` (which runs each call on
    // a thread of its own so that async tests can use PostgreSQL's client).
    let store = SqliteStore::open(&world.db).expect("open");
    let in_process = latencies(REQUESTS, |i| {
        let proof = custodian_ledger::proof::prove_inclusion(
            LeafIndex(leaf(i, size)),
            TreeSize(size),
            &custodian_store::StoreHashes(&store),
        )
        .expect("proof");
        std::hint::black_box(proof);
    });
    lines.push(show("in process (prove_inclusion)", &in_process));

    let mut client = Client::connect(server.addr);
    for i in 0..200 {
        client.get(&format!("/api/v1/proofs/inclusion?index={}", leaf(i, size)));
    }
    let one = latencies(REQUESTS, |i| {
        let status = client.get(&format!(
            "/api/v1/proofs/inclusion?index={}&size={size}",
            leaf(i, size)
        ));
        assert_eq!(status, 200);
    });
    lines.push(show("HTTP, 1 client", &one));

    let addr = server.addr;
    let mut all: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                scope.spawn(move || {
                    let mut client = Client::connect(addr);
                    latencies(REQUESTS / 4, |i| {
                        let status = client.get(&format!(
                            "/api/v1/proofs/inclusion?index={}&size={size}",
                            leaf(t * REQUESTS + i, size)
                        ));
                        assert_eq!(status, 200);
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client"))
            .collect()
    });
    all.sort_unstable();
    lines.push(show("HTTP, 4 clients at once", &all));
    lines
}

/// Criterion's median estimate (ns) of `group/name`, from its output directory.
fn median_ns(group: &str, name: &str) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let target = exe
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))?;
    let home = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| target.join("criterion"));
    let text =
        std::fs::read_to_string(home.join(group).join(name).join("new/estimates.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn ratio(label: &str, http: &str, peer: &str) {
    match (median_ns("append", http), median_ns("append", peer)) {
        (Some(h), Some(p)) => println!(
            "{label}: HTTP {:.2} ms = {:.0} appends/s, in process {:.2} ms = {:.0} appends/s, ratio {:.2}",
            h / 1e6,
            1e9 / h,
            p / 1e6,
            1e9 / p,
            p / h
        ),
        _ => println!("{label}: no estimates found (filtered out?)"),
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_append(&mut c);
    c.final_summary();
    let reads = read_latencies();
    println!();
    ratio("append, 1 event", "http_1_event", "in_process_1_event");
    ratio(
        "append, 1000 events",
        "http_1000_events",
        "in_process_1000_events",
    );
    ratio(
        "append, 1 event, 8 HTTP clients at once",
        "http_8_clients_1_event",
        "in_process_1_event",
    );
    if let Some(parse) = median_ns("parse", "from_leaf_bytes_1000_events") {
        println!(
            "strict parse of a 1000-event submission (the HTTP path's extra step): {:.2} ms",
            parse / 1e6
        );
    }
    for line in reads {
        println!("{line}");
    }
}
