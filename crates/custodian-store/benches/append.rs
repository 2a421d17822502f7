//! PostgreSQL vs SQLite append throughput, side by side in one run (issue 8,
//! "Speed"): the same durable `Log::append` on each store.
//!
//! - `store_append_1/{sqlite,postgres}`: one append of one signed submission
//!   (one `site.register` event): registry checks, signature verification,
//!   hashing, checkpoint signing, and one durable commit (SQLite: WAL,
//!   `synchronous=FULL`; PostgreSQL: `synchronous_commit = on`, the sequencer
//!   row lock, a few `unnest` inserts).
//! - `store_append_100/{sqlite,postgres}`: one append of a group of 100 such
//!   submissions, committed as one transaction.
//!
//! Signing is done before each timed append, as the submitting actor would.
//! The ratio printed at the end is PostgreSQL's throughput over SQLite's, from
//! criterion's medians. The PostgreSQL half needs `CUSTODIAN_PG_URL` (a schema
//! of its own is made and dropped, `custodian_store::testing`); without it, it
//! says so and only SQLite is measured.
//!
//! Run: `CUSTODIAN_PG_URL=postgres://custodian:custodian@127.0.0.1:5432/custodian_test
//! cargo bench -p custodian-store --bench append`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{TempDir, World};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use custodian_core::SignedSubmission;
use custodian_store::postgres::PostgresStore;
use custodian_store::sqlite::SqliteStore;
use custodian_store::Store;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Submissions per append in the batch case.
const BATCH: usize = 100;

/// The next `n` submissions of officer 1, one site each.
fn submissions<S: Store>(world: &mut World<S>, site: &mut u64, n: usize) -> Vec<SignedSubmission> {
    (0..n)
        .map(|_| {
            *site += 1;
            world.sign("xaa-officer-1", vec![World::site(*site)], &[])
        })
        .collect()
}

/// Times `Log::append` of `per_append` submissions on `world`'s store.
fn bench_store<S: Store>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    world: &mut World<S>,
    per_append: usize,
) {
    let mut site = 0;
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let group = submissions(world, &mut site, per_append);
                let started = Instant::now();
                world.log.append(&group, &world.log_key).expect("append");
                timed += started.elapsed();
            }
            timed
        })
    });
}

/// The PostgreSQL store in a fresh schema, or `None` (said why) without a server.
fn postgres() -> Option<(World<PostgresStore>, custodian_store::testing::Schema)> {
    let Some(server) = custodian_store::testing::pg_server() else {
        println!(
            "CUSTODIAN_PG_URL is not set or its server cannot be reached: measuring SQLite only"
        );
        return None;
    };
    let schema = custodian_store::testing::Schema::new(server, "benchappend");
    let store = PostgresStore::create(schema.url(), &common::meta()).expect("create");
    let world = World::create_on(store);
    Some((world, schema))
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

/// Prints both medians of `group` with their throughput and the ratio.
fn ratio(group: &str, submissions: f64) {
    let per_second = |ns: f64| submissions / (ns * 1e-9);
    match (median_ns(group, "sqlite"), median_ns(group, "postgres")) {
        (Some(lite), Some(pg)) => println!(
            "{group}: sqlite median {:.3} ms ({:.0} submissions/s), postgres median {:.3} ms \
             ({:.0} submissions/s); postgres/sqlite throughput ratio {:.2}",
            lite / 1e6,
            per_second(lite),
            pg / 1e6,
            per_second(pg),
            lite / pg
        ),
        (Some(lite), None) => println!(
            "{group}: sqlite median {:.3} ms ({:.0} submissions/s); postgres not measured",
            lite / 1e6,
            per_second(lite)
        ),
        _ => println!("{group}: no estimates found (filtered out?)"),
    }
}

fn main() {
    let dir = TempDir::new("bench-append");
    let mut c = Criterion::default().configure_from_args();
    let mut lite = World::create_on(
        SqliteStore::create(&dir.path("append.db"), &common::meta()).expect("create"),
    );
    let mut pg = postgres();
    for (group_name, per_append, samples) in
        [("store_append_1", 1, 50), ("store_append_100", BATCH, 20)]
    {
        let mut group = c.benchmark_group(group_name);
        group.throughput(criterion::Throughput::Elements(per_append as u64));
        group.sample_size(samples);
        bench_store(&mut group, "sqlite", &mut lite, per_append);
        if let Some((world, _)) = pg.as_mut() {
            bench_store(&mut group, "postgres", world, per_append);
        }
        group.finish();
    }
    c.final_summary();
    println!();
    ratio("store_append_1", 1.0);
    ratio("store_append_100", BATCH as f64);
}
