//! Append and audit throughput, each beside its peer measured in the same run
//! (issue 3, "Speed"):
//!
//! - `append/custodian_1000_events`: one durable append of a signed submission of
//!   1,000 events of about 200 bytes (validation, signature check, canonical
//!   encoding, hashing, checkpoint signing, one SQLite transaction), against
//!   `append/raw_sqlite_insert_1000`: the same 1,000 event encodings inserted as
//!   rows into a plain SQLite table in one transaction, with the same durability
//!   (WAL, `synchronous=FULL`) and no hashing. Goal: ratio ≥ 0.5.
//! - `audit/custodian_100k_events`: `audit` of a store of 100 such submissions,
//!   against `audit/sha256_leaves`: SHA-256 leaf hashing of the same leaf bytes in
//!   memory. Goal: ratio ≥ 0.3. For context, `audit/ed25519_verify_leaves` times
//!   only the Ed25519 verification of every leaf's signed bytes, which any audit
//!   that checks signatures must do.
//!
//! Run: `cargo bench -p custodian-store --bench ledger`. The ratios are printed
//! at the end, from criterion's medians.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{TempDir, World};
use criterion::Criterion;
use custodian_core::event::ItemArrive;
use custodian_core::ids::{ItemId, SiteId};
use custodian_core::{Payload, SignedSubmission};
use custodian_ledger::hash::leaf_hash;
use custodian_store::audit::audit;
use custodian_store::sqlite::SqliteStore;
use custodian_store::Store;
use std::path::PathBuf;

const EVENTS: usize = 1000;

/// An event payload whose canonical event encoding is about 200 bytes.
fn payload(n: u64) -> Payload {
    Payload::ItemArrive(ItemArrive {
        item: ItemId::parse(&format!("w-{n:08}")).expect("id"),
        site: SiteId::parse("xbb-airbase-1").expect("id"),
    })
}

fn submission(w: &mut World, round: u64) -> SignedSubmission {
    let payloads = (0..EVENTS as u64)
        .map(|k| payload(round * 10_000 + k))
        .collect();
    w.sign("xaa-officer-1", payloads, &[])
}

fn bench_append(c: &mut Criterion, dir: &TempDir) {
    let mut world = World::create(&dir.path("append.db"));
    let sample = submission(&mut world, 0);
    let event_bytes: Vec<Vec<u8>> = sample
        .submission
        .events
        .iter()
        .map(|e| custodian_core::canonical::to_canonical_bytes(&e.to_json()).expect("encode"))
        .collect();
    let mean = event_bytes.iter().map(Vec::len).sum::<usize>() / event_bytes.len();
    println!("event size: {mean} bytes (canonical JSON, mean of {EVENTS})");
    world.append(&[sample]);

    let mut group = c.benchmark_group("append");
    group.throughput(criterion::Throughput::Elements(EVENTS as u64));
    group.sample_size(30);
    let mut round = 1;
    group.bench_function("custodian_1000_events", |b| {
        // The actor signs before submitting; only the append is timed.
        b.iter_custom(|iters| {
            let mut timed = std::time::Duration::ZERO;
            for _ in 0..iters {
                round += 1;
                let s = submission(&mut world, round);
                let started = std::time::Instant::now();
                world.log.append(&[s], &world.log_key).expect("append");
                timed += started.elapsed();
            }
            timed
        })
    });

    let raw = rusqlite::Connection::open(dir.path("raw.db")).expect("open raw");
    raw.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
        .expect("wal");
    raw.execute_batch("PRAGMA synchronous=FULL; CREATE TABLE events (id INTEGER PRIMARY KEY, data BLOB NOT NULL);")
        .expect("schema");
    let mut next_id = 0i64;
    group.bench_function("raw_sqlite_insert_1000", |b| {
        b.iter(|| {
            let tx = raw.unchecked_transaction().expect("tx");
            {
                let mut stmt = tx
                    .prepare_cached("INSERT INTO events (id, data) VALUES (?1, ?2)")
                    .expect("prepare");
                for bytes in &event_bytes {
                    next_id += 1;
                    stmt.execute(rusqlite::params![next_id, bytes])
                        .expect("insert");
                }
            }
            tx.commit().expect("commit");
        })
    });
    group.finish();
}

fn bench_audit(c: &mut Criterion, dir: &TempDir) {
    let path: PathBuf = dir.path("audit.db");
    let mut world = World::create(&path);
    for round in 0..100 {
        let s = submission(&mut world, round);
        world.append(&[s]);
    }
    drop(world);
    let store = SqliteStore::open(&path).expect("open");
    let size = store.tree_size().expect("size").0;
    let leaves: Vec<Vec<u8>> = store
        .read_leaves(0, size)
        .expect("leaves")
        .into_iter()
        .map(|l| l.data)
        .collect();
    let events = store.event_count().expect("events");
    let bytes: usize = leaves.iter().map(Vec::len).sum();
    println!("audit store: {size} leaves, {events} events, {bytes} leaf bytes");
    let vkey = common::key(common::ORIGIN).verifier();

    let mut group = c.benchmark_group("audit");
    group.throughput(criterion::Throughput::Elements(events));
    group.sample_size(10);
    group.bench_function("custodian_100k_events", |b| {
        b.iter(|| audit(&store, Some(&vkey), |_, _| {}).expect("audit passes"))
    });
    // The floor for any audit that checks signatures: one Ed25519 verification
    // over each leaf's signed bytes (SHA-512 of ~180 KB, then the curve check).
    let signed: Vec<(Vec<u8>, custodian_core::event::Signature)> = leaves
        .iter()
        .map(|l| {
            let s = custodian_core::SignedSubmission::from_leaf_bytes(l).expect("leaf");
            (
                custodian_core::SignedSubmission::signing_bytes_of_leaf(l).expect("bytes"),
                s.signature,
            )
        })
        .collect();
    let actor_key =
        custodian_core::event::PublicKey(common::key("xaa-officer-1").verifier().public_key());
    group.bench_function("ed25519_verify_leaves", |b| {
        b.iter(|| {
            signed
                .iter()
                .skip(2) // genesis and registrations are by the administrator
                .all(|(m, sig)| {
                    custodian_ledger::submission::verify_signature(&actor_key, m, sig).is_ok()
                })
        })
    });
    group.bench_function("sha256_leaves", |b| {
        b.iter(|| {
            leaves
                .iter()
                .map(|l| leaf_hash(l))
                .fold(0u8, |acc, h| acc ^ h.0[0])
        })
    });
    group.finish();
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

fn ratio(label: &str, ours: (&str, &str), peer: (&str, &str), events: f64, goal: Option<f64>) {
    match (median_ns(ours.0, ours.1), median_ns(peer.0, peer.1)) {
        (Some(o), Some(p)) => {
            let r = p / o;
            let verdict = match goal {
                Some(g) if r >= g => format!("(goal >= {g}) MET"),
                Some(g) => format!("(goal >= {g}) NOT MET"),
                None => "(context)".to_string(),
            };
            println!(
                "{label}: {:.0} events/s, peer {:.0} events/s, ratio {r:.2} {verdict}",
                events / (o * 1e-9),
                events / (p * 1e-9),
            );
        }
        _ => println!("{label}: no estimates found (filtered out?)"),
    }
}

fn main() {
    let dir = TempDir::new("bench");
    let mut c = Criterion::default().configure_from_args();
    bench_append(&mut c, &dir);
    bench_audit(&mut c, &dir);
    c.final_summary();
    println!();
    ratio(
        "durable append",
        ("append", "custodian_1000_events"),
        ("append", "raw_sqlite_insert_1000"),
        1000.0,
        Some(0.5),
    );
    ratio(
        "full audit",
        ("audit", "custodian_100k_events"),
        ("audit", "sha256_leaves"),
        100_000.0,
        Some(0.3),
    );
    ratio(
        "Ed25519 verification of every leaf alone",
        ("audit", "ed25519_verify_leaves"),
        ("audit", "sha256_leaves"),
        100_000.0,
        None,
    );
}
