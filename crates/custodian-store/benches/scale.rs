//! Scale: proof latency at 10 million leaves, and peak memory while appending 10
//! million events (issue 3, "Speed"). Not run in CI (it writes gigabytes); run
//!
//!     cargo bench -p custodian-store --bench scale            # both parts
//!     cargo bench -p custodian-store --bench scale -- proofs  # proof latency only
//!     cargo bench -p custodian-store --bench scale -- rss     # memory only
//!
//! `CUSTODIAN_SCALE_LEAVES` (default 10,000,000) and `CUSTODIAN_SCALE_EVENTS`
//! (default 10,000,000) change the sizes.
//!
//! Proofs: the tree's stored hashes are written through `Store::commit` in
//! appends of 100,000 synthetic leaves (8 bytes each): proof cost depends only on
//! stored-hash reads, not on what the leaves say. Then criterion measures
//! inclusion and consistency proofs at random positions, and the number of
//! stored hashes each reads.
//!
//! Memory: real signed submissions of 1,000 events each go through `Log::append`
//! (the production path); peak RSS (`VmHWM`) is printed after every million
//! events, to show it stays flat.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{TempDir, World};
use criterion::Criterion;
use custodian_core::event::ItemArrive;
use custodian_core::ids::{ItemId, SiteId};
use custodian_core::{LeafIndex, Payload, TreeSize};
use custodian_ledger::checkpoint::{sign_checkpoint, Checkpoint};
use custodian_ledger::hash::leaf_hash;
use custodian_ledger::proof::{self, HashReader};
use custodian_ledger::tree::Frontier;
use custodian_ledger::Hash;
use custodian_store::sqlite::SqliteStore;
use custodian_store::{AppendBatch, Meta, Store, StoreError, StoreHashes};
use std::cell::Cell;
use std::time::Instant;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Counts stored-hash reads.
struct Counting<'a, S: Store>(StoreHashes<'a, S>, Cell<u64>);

impl<S: Store> HashReader for Counting<'_, S> {
    type Error = StoreError;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        self.1.set(self.1.get() + indexes.len() as u64);
        self.0.read_hashes(indexes)
    }
}

struct XorShift(u64);
impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn proofs(c: &mut Criterion, dir: &TempDir) {
    let leaves = env_u64("CUSTODIAN_SCALE_LEAVES", 10_000_000);
    let key = common::key("custodian.bench/scale");
    let mut store = SqliteStore::create(
        &dir.path("proofs.db"),
        &Meta {
            origin: "custodian.bench/scale".into(),
            verifier_key: key.verifier().to_text(),
        },
    )
    .expect("create");
    let started = Instant::now();
    let mut frontier = Frontier::new();
    let chunk = 100_000u64;
    let mut done = 0u64;
    while done < leaves {
        let n = chunk.min(leaves - done);
        let mut batch = AppendBatch {
            size_before: done,
            ..AppendBatch::default()
        };
        for i in done..done + n {
            let data = i.to_be_bytes().to_vec();
            frontier.push_into(leaf_hash(&data), &mut batch.hashes);
            batch.leaves.push(data);
        }
        let cp = Checkpoint::new("custodian.bench/scale", frontier.size(), frontier.root())
            .expect("checkpoint");
        batch.checkpoint = sign_checkpoint(&cp, &key);
        store.commit(batch).expect("commit");
        done += n;
    }
    let size = TreeSize(leaves);
    let db_bytes = std::fs::metadata(dir.path("proofs.db")).map_or(0, |m| m.len());
    println!(
        "built a tree of {leaves} leaves in {:.1} s ({:.0} MiB on disk, peak RSS {:.0} MiB)",
        started.elapsed().as_secs_f64(),
        db_bytes as f64 / 1048576.0,
        peak_rss_mib()
    );
    let root = proof::tree_hash(size, &StoreHashes(&store)).expect("root");
    assert_eq!(root, frontier.root(), "stored tree and frontier agree");

    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let counting = Counting(StoreHashes(&store), Cell::new(0));
    let mut group = c.benchmark_group("proofs_10m");
    group.bench_function("inclusion", |b| {
        b.iter(|| {
            proof::prove_inclusion(LeafIndex(rng.below(leaves)), size, &StoreHashes(&store))
                .expect("proof")
        })
    });
    group.bench_function("consistency", |b| {
        b.iter(|| {
            proof::prove_consistency(
                TreeSize(1 + rng.below(leaves - 1)),
                size,
                &StoreHashes(&store),
            )
            .expect("proof")
        })
    });
    group.bench_function("tree_hash", |b| {
        b.iter(|| proof::tree_hash(size, &StoreHashes(&store)).expect("root"))
    });
    group.finish();
    let samples = 1000;
    for _ in 0..samples {
        let i = LeafIndex(rng.below(leaves));
        let p = proof::prove_inclusion(i, size, &counting).expect("proof");
        proof::verify_inclusion(&leaf_hash(&i.0.to_be_bytes()), i, size, &p, &root)
            .expect("verifies");
    }
    println!(
        "inclusion proofs read {:.1} stored hashes on average (log2 n = {:.1})",
        counting.1.get() as f64 / samples as f64,
        (leaves as f64).log2()
    );
    counting.1.set(0);
    for _ in 0..samples {
        let old = TreeSize(1 + rng.below(leaves - 1));
        proof::prove_consistency(old, size, &counting).expect("proof");
    }
    println!(
        "consistency proofs read {:.1} stored hashes on average",
        counting.1.get() as f64 / samples as f64
    );
}

fn rss(dir: &TempDir) {
    let events_total = env_u64("CUSTODIAN_SCALE_EVENTS", 10_000_000);
    let mut world = World::create(&dir.path("rss.db"));
    let started = Instant::now();
    let mut events = 0u64;
    let mut round = 0u64;
    println!("appending {events_total} events in submissions of 1000 through Log::append");
    while events < events_total {
        let payloads = (0..1000u64)
            .map(|k| {
                Payload::ItemArrive(ItemArrive {
                    item: ItemId::parse(&format!("w-{:010}", round * 1000 + k)).expect("id"),
                    site: SiteId::parse("xbb-airbase-1").expect("id"),
                })
            })
            .collect();
        let s = world.sign("xaa-officer-1", payloads, &[]);
        world.append(&[s]);
        events += 1000;
        round += 1;
        if events % 1_000_000 == 0 {
            println!(
                "  {:>9} events: peak RSS {:.1} MiB, {:.0} events/s so far",
                events,
                peak_rss_mib(),
                events as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let want = |name: &str| {
        !args.iter().any(|a| a == "proofs" || a == "rss") || args.iter().any(|a| a == name)
    };
    let dir = TempDir::new("scale");
    if want("rss") {
        rss(&dir);
    }
    if want("proofs") {
        let mut c = Criterion::default().sample_size(200);
        proofs(&mut c, &dir);
        c.final_summary();
    }
}
