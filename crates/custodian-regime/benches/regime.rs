//! Registry benchmarks: the time to parse and build the registry from the bundled
//! data (beside the bare CSV read of the same bytes, the floor it is measured
//! against), and the latency of `status` for every state under every treaty at one
//! date (goal: well under a millisecond per query).
//!
//! Run: `cargo bench -p custodian-regime --bench regime`. After criterion's report the
//! bench prints the medians it measured itself, per query, and the ratio to the floor.

use criterion::{black_box, Criterion};
use custodian_core::{Date, StateCode};
use custodian_regime::{bundled, Registry, TreatyId};
use std::time::{Duration, Instant};

fn today() -> Date {
    Date::parse("2026-11-24").expect("a valid date")
}

/// Every bundled file read into CSV records, with no parsing of fields and no
/// validation: the floor under `Registry::bundled`.
fn csv_records_only() -> usize {
    let mut n = 0;
    for text in [
        bundled::STATES,
        bundled::TREATIES,
        bundled::MEMBERSHIPS,
        bundled::CTBT_ANNEX2,
        bundled::FORCES,
        bundled::DEPLOYMENTS,
        bundled::REVIEW_CONFERENCES,
        bundled::POSITIONS,
        bundled::TREATY_COUNTS,
    ] {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        for record in reader.records() {
            n += record.expect("bundled CSV").len();
        }
    }
    n
}

fn pairs(registry: &Registry) -> Vec<(TreatyId, StateCode)> {
    let mut out = Vec::new();
    for treaty in registry.treaties() {
        for state in registry.states() {
            out.push((treaty.row.id.clone(), state.code));
        }
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench(c: &mut Criterion) {
    let registry = Registry::bundled(today()).expect("bundled data");
    let at = Date::parse("2024-01-01").expect("a valid date");
    let all = pairs(&registry);
    let mut load = c.benchmark_group("load");
    load.bench_function("registry_bundled_parse_and_build", |b| {
        b.iter(|| Registry::bundled(black_box(today())).expect("bundled data"))
    });
    load.bench_function("csv_records_only_floor", |b| {
        b.iter(|| black_box(csv_records_only()))
    });
    load.finish();
    let mut status = c.benchmark_group("status");
    status.bench_function(
        format!("all_{}_states_x_treaties_2024_01_01", all.len()),
        |b| {
            b.iter(|| {
                for (treaty, state) in &all {
                    black_box(registry.status(treaty, *state, at).expect("known"));
                }
            })
        },
    );
    let npt = TreatyId::parse("NPT").expect("id");
    let prk = StateCode::parse("PRK").expect("code");
    status.bench_function("one_npt_prk_three_readings", |b| {
        b.iter(|| black_box(registry.status(&npt, prk, at).expect("known")))
    });
    status.bench_function("status_all_npt", |b| {
        b.iter(|| black_box(registry.status_all(&npt, at).expect("known")))
    });
    let ctbt = TreatyId::parse("CTBT").expect("id");
    status.bench_function("in_force_ctbt", |b| {
        b.iter(|| black_box(registry.in_force(&ctbt, at).expect("known")))
    });
    status.finish();
}

/// Medians measured here, independent of criterion's sampling: the load against its
/// floor, and single `status` queries.
fn print_figures() {
    let mut loads = Vec::new();
    let mut floors = Vec::new();
    for _ in 0..31 {
        let start = Instant::now();
        black_box(Registry::bundled(today()).expect("bundled data"));
        loads.push(start.elapsed());
        let start = Instant::now();
        black_box(csv_records_only());
        floors.push(start.elapsed());
    }
    let (load, floor) = (median(loads), median(floors));
    let registry = Registry::bundled(today()).expect("bundled data");
    let at = Date::parse("2024-01-01").expect("a valid date");
    let all = pairs(&registry);
    let mut single = Vec::with_capacity(all.len() * 11);
    let mut rounds = Vec::new();
    for _ in 0..11 {
        let round = Instant::now();
        for (treaty, state) in &all {
            let start = Instant::now();
            black_box(registry.status(treaty, *state, at).expect("known"));
            single.push(start.elapsed());
        }
        rounds.push(round.elapsed());
    }
    let max = single.iter().max().copied().unwrap_or_default();
    let round = median(rounds);
    println!();
    println!(
        "regime: registry from bundled data (parse + validate + build), median of 31: {load:?}"
    );
    println!(
        "regime: bare CSV read of the same bytes (floor), median of 31: {floor:?}; ratio {:.1}x",
        load.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "regime: status, {} queries (all states x all treaties at 2024-01-01): median per query {:?}, max {max:?}; median round {round:?} ({:?} per query)",
        all.len(),
        median(single),
        round / all.len() as u32
    );
}

/// Loading the registry at start, from the log: the bundled rows appended by a
/// secretariat to a real SQLite log, then replayed (read leaves, parse them
/// strictly, rebuild the tables, validate, build).
fn bench_from_log(c: &mut Criterion) {
    use custodian_ledger::keys::SigningKey;
    use custodian_store::log::{genesis_submission, Log};
    use custodian_store::sqlite::SqliteStore;
    let dir = std::env::temp_dir().join(format!("custodian-regime-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let origin = "custodian.bench/regime";
    let log_key = SigningKey::from_seed(origin, [1; 32]).expect("key");
    let admin = SigningKey::from_seed("admin", [2; 32]).expect("key");
    let secretariat = SigningKey::from_seed("secretariat", [3; 32]).expect("key");
    let store = SqliteStore::create(
        &dir.join("log.db"),
        &custodian_store::Meta {
            origin: origin.into(),
            verifier_key: log_key.verifier().to_text(),
        },
    )
    .expect("store");
    let mut log = Log::open(store).expect("log");
    let now = custodian_core::UtcTime::parse("2026-11-24T00:00:00Z").expect("time");
    let admin_id = custodian_core::ActorId::parse("admin").expect("id");
    let genesis = genesis_submission(
        origin,
        admin_id.clone(),
        &admin,
        custodian_core::Party::Body("secretariat".into()),
        None,
        now,
    )
    .expect("genesis");
    log.append(&[genesis], &log_key).expect("append genesis");
    let register = custodian_core::Event {
        id: custodian_core::EventId::parse("admin:2:0").expect("id"),
        time: now,
        actor: admin_id.clone(),
        payload: custodian_core::Payload::ActorRegister(custodian_core::event::ActorRegister {
            actor: custodian_core::ActorId::parse("secretariat").expect("id"),
            role: custodian_core::Role::Secretariat,
            party: custodian_core::Party::Body("secretariat".into()),
            public_key: custodian_core::event::PublicKey(secretariat.verifier().public_key()),
            name: None,
        }),
        approvals: Vec::new(),
    };
    let signed = custodian_ledger::submission::sign_submission(
        custodian_core::Submission {
            log: origin.into(),
            actor: admin_id,
            seq: 2,
            events: vec![register],
        },
        &admin,
    )
    .expect("sign");
    log.append(&[signed], &log_key)
        .expect("append registration");
    let rows = custodian_regime::ledger::bundled_rows().expect("bundled rows");
    custodian_regime::ledger::append_rows(&mut log, &log_key, &secretariat, rows, now)
        .expect("append rows");
    let today = Date::parse("2026-11-24").expect("date");
    c.bench_function("registry_from_log", |b| {
        b.iter(|| custodian_regime::ledger::registry_from_log(&log, today).expect("registry"))
    });
    drop(log);
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    bench_from_log(&mut criterion);
    criterion.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        print_figures();
    }
}
