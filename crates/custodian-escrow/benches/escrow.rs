//! Escrow benchmarks, each beside its raw primitive measured in the same run:
//!
//! - commit 1,000,000 entries (no measures) vs SHA-256 of the same canonical
//!   entry bytes, one hash per entry; commit 10,000 entries with one Pedersen
//!   measure;
//! - reveal and verify a complete 10,000-entry range of the 1,000,000-entry
//!   declaration vs SHA-256 of those 10,000 entries' canonical bytes;
//! - prove and verify a total's single 64-bit range proof and the aggregated
//!   2 × 64-bit within-limit proof vs bulletproofs' bare
//!   `RangeProof::prove_single`/`prove_multiple` and their verification;
//! - proof sizes in bytes, and the peak resident memory (VmHWM).
//!
//! Run: `cargo bench -p custodian-escrow --bench escrow`. Criterion prints its
//! own estimates; at the end the benchmark prints the median of the samples it
//! timed itself for each measurement, and the ratios.

use bulletproofs::{BulletproofGens, PedersenGens, RangeProof};
use criterion::{black_box, Criterion};
use curve25519_dalek::scalar::Scalar;
use custodian_escrow::*;
use merlin::Transcript;
use rand_core::OsRng;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static TIMES: Mutex<BTreeMap<&'static str, Vec<Duration>>> = Mutex::new(BTreeMap::new());

fn record(name: &'static str, per_iteration: Duration) {
    TIMES
        .lock()
        .expect("not poisoned")
        .entry(name)
        .or_default()
        .push(per_iteration);
}

fn median(name: &str) -> Duration {
    let mut times = TIMES
        .lock()
        .expect("not poisoned")
        .get(name)
        .cloned()
        .unwrap_or_default();
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// Benchmarks `f` with criterion and records each sample's time per iteration;
/// `setup` runs before each iteration, outside the timing.
fn bench<S, T>(
    c: &mut Criterion,
    name: &'static str,
    mut setup: impl FnMut() -> S,
    mut f: impl FnMut(S) -> T,
) {
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let input = setup();
                let start = Instant::now();
                black_box(f(input));
                total += start.elapsed();
            }
            record(name, total / iters as u32);
            total
        })
    });
}

fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim().to_owned())
        })
        .unwrap_or_else(|| "VmHWM: unavailable".to_owned())
}

fn label(s: &str) -> Label {
    Label::parse(s).expect("valid label")
}

/// `categories × 10 regions × ids_per_region` warhead-like items with fixed
/// salts; one measure (a count) if `measure`.
fn declaration(categories: usize, ids_per_region: usize, measure: bool) -> Declaration {
    let m = MeasureName::parse("deployed_warheads").expect("valid");
    let mut entries = Vec::with_capacity(categories * 10 * ids_per_region);
    let mut i = 0u64;
    for c in 0..categories {
        for r in 0..10 {
            for id in 0..ids_per_region {
                let mut measures = BTreeMap::new();
                if measure {
                    measures.insert(m.clone(), (id % 2) as u64);
                }
                let mut salt = [0u8; 32];
                salt[..8].copy_from_slice(&i.to_be_bytes());
                salt[8..16].copy_from_slice(&(!i).to_be_bytes());
                i += 1;
                entries.push(DeclaredEntry {
                    entry: Entry::new(
                        SortKey {
                            category: label(&format!("cat-{c:03}")),
                            region: label(&format!("region-{r:02}")),
                            id: label(&format!("w-{id:06}")),
                        },
                        EntryBody::Item {
                            item_type: label("icbm-warhead"),
                            site: label(&format!("base-{r:02}")),
                            status: ItemStatus::Deployed,
                        },
                        measures,
                    ),
                    salt: Some(Salt(salt)),
                });
            }
        }
    }
    Declaration::new(if measure { vec![m] } else { vec![] }, entries).expect("valid")
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();

    // ----- Commit 1,000,000 entries -----
    let million = declaration(100, 1000, false);
    let bytes: Vec<Vec<u8>> = million
        .entries()
        .iter()
        .map(|e| e.canonical_bytes(&[], &[]).expect("no measures"))
        .collect();
    let total_bytes: usize = bytes.iter().map(Vec::len).sum();
    bench(
        &mut c,
        "commit_1000000_entries",
        || million.clone(),
        |d| SecretDeclaration::commit(d).expect("commits"),
    );
    bench(
        &mut c,
        "sha256_canonical_bytes_1000000",
        || (),
        |()| bytes.iter().fold(0u8, |acc, b| acc ^ Sha256::digest(b)[0]),
    );
    let secret = SecretDeclaration::commit(million.clone()).expect("commits");
    drop(million);
    let commitment = secret.commitment().clone();
    println!("escrow: after committing 1,000,000 entries: {}", vm_hwm());

    let small = declaration(1, 1000, true);
    bench(
        &mut c,
        "commit_10000_entries_1_measure",
        || small.clone(),
        |d| SecretDeclaration::commit(d).expect("commits"),
    );

    // ----- A 10,000-entry range of the 1,000,000 -----
    let selector = RangeSelector::category(label("cat-050"));
    let reveal = secret.reveal_range(&selector);
    assert_eq!(reveal.entries.len(), 10_000);
    let range_bytes: Vec<Vec<u8>> = reveal
        .entries
        .iter()
        .map(|o| o.entry.canonical_bytes(&[], &[]).expect("no measures"))
        .collect();
    bench(
        &mut c,
        "reveal_range_10000",
        || (),
        |()| secret.reveal_range(&selector),
    );
    bench(
        &mut c,
        "verify_range_10000",
        || (),
        |()| commitment.verify_range(&reveal, &[]).expect("verifies"),
    );
    bench(
        &mut c,
        "sha256_canonical_bytes_10000",
        || (),
        |()| {
            range_bytes
                .iter()
                .fold(0u8, |acc, b| acc ^ Sha256::digest(b)[0])
        },
    );

    // ----- Bulletproofs: ours vs bare -----
    let measure = MeasureName::parse("deployed_warheads").expect("valid");
    let bp_secret = SecretDeclaration::commit(declaration(1, 10, true)).expect("commits");
    let bp_commitment = bp_secret.commitment().clone();
    let single = bp_secret.prove_total_range64(&measure).expect("proves");
    let within = bp_secret
        .prove_total_within(&measure, 1550)
        .expect("proves");
    bench(
        &mut c,
        "prove_total_range64",
        || (),
        |()| bp_secret.prove_total_range64(&measure).expect("proves"),
    );
    bench(
        &mut c,
        "verify_total_range64",
        || (),
        |()| {
            bp_commitment
                .verify_total_range64(&single)
                .expect("verifies")
        },
    );
    bench(
        &mut c,
        "prove_total_within_limit_2x64",
        || (),
        |()| {
            bp_secret
                .prove_total_within(&measure, 1550)
                .expect("proves")
        },
    );
    bench(
        &mut c,
        "verify_total_within_limit_2x64",
        || (),
        |()| {
            bp_commitment
                .verify_total_within(&within)
                .expect("verifies")
        },
    );
    let pc = PedersenGens::default();
    let bp = BulletproofGens::new(64, 2);
    let r = Scalar::from(12345u64);
    let (bare_single, v_single) = RangeProof::prove_single_with_rng(
        &bp,
        &pc,
        &mut Transcript::new(b"bare"),
        5,
        &r,
        64,
        &mut OsRng,
    )
    .expect("proves");
    let (bare_multi, v_multi) = RangeProof::prove_multiple_with_rng(
        &bp,
        &pc,
        &mut Transcript::new(b"bare"),
        &[5, 1545],
        &[r, -r],
        64,
        &mut OsRng,
    )
    .expect("proves");
    bench(
        &mut c,
        "bare_prove_single_64",
        || (),
        |()| {
            RangeProof::prove_single_with_rng(
                &bp,
                &pc,
                &mut Transcript::new(b"bare"),
                5,
                &r,
                64,
                &mut OsRng,
            )
            .expect("proves")
        },
    );
    bench(
        &mut c,
        "bare_verify_single_64",
        || (),
        |()| {
            bare_single
                .verify_single_with_rng(
                    &bp,
                    &pc,
                    &mut Transcript::new(b"bare"),
                    &v_single,
                    64,
                    &mut OsRng,
                )
                .expect("verifies")
        },
    );
    bench(
        &mut c,
        "bare_prove_multiple_2x64",
        || (),
        |()| {
            RangeProof::prove_multiple_with_rng(
                &bp,
                &pc,
                &mut Transcript::new(b"bare"),
                &[5, 1545],
                &[r, -r],
                64,
                &mut OsRng,
            )
            .expect("proves")
        },
    );
    bench(
        &mut c,
        "bare_verify_multiple_2x64",
        || (),
        |()| {
            bare_multi
                .verify_multiple_with_rng(
                    &bp,
                    &pc,
                    &mut Transcript::new(b"bare"),
                    &v_multi,
                    64,
                    &mut OsRng,
                )
                .expect("verifies")
        },
    );
    c.final_summary();

    // ----- Summary: own medians, ratios, sizes, memory -----
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratio = |a: &str, b: &str| median(a).as_secs_f64() / median(b).as_secs_f64();
    println!();
    println!("escrow: medians of the samples timed in this run");
    let names: Vec<&'static str> = TIMES
        .lock()
        .expect("not poisoned")
        .keys()
        .copied()
        .collect();
    for name in names {
        println!("  {name:<34} {:>12.3} ms", ms(median(name)));
    }
    println!(
        "escrow: commit 1,000,000 entries = {:.2} x SHA-256 of the same {total_bytes} canonical bytes (one hash per entry); {:.0} entries/s",
        ratio("commit_1000000_entries", "sha256_canonical_bytes_1000000"),
        1e6 / median("commit_1000000_entries").as_secs_f64()
    );
    println!(
        "escrow: commit with one Pedersen measure: {:.1} us per entry",
        median("commit_10000_entries_1_measure").as_secs_f64() * 1e6 / 10_000.0
    );
    println!(
        "escrow: verify a 10,000-entry range = {:.2} x SHA-256 of its canonical bytes; reveal = {:.2} x",
        ratio("verify_range_10000", "sha256_canonical_bytes_10000"),
        ratio("reveal_range_10000", "sha256_canonical_bytes_10000")
    );
    println!(
        "escrow: single 64-bit: prove {:.2} x bare, verify {:.2} x bare; aggregated 2x64: prove {:.2} x bare, verify {:.2} x bare",
        ratio("prove_total_range64", "bare_prove_single_64"),
        ratio("verify_total_range64", "bare_verify_single_64"),
        ratio("prove_total_within_limit_2x64", "bare_prove_multiple_2x64"),
        ratio("verify_total_within_limit_2x64", "bare_verify_multiple_2x64")
    );
    let inclusion = secret.reveal_entry(123_456).expect("in range");
    let gap = secret
        .prove_absent(&SortKey {
            category: label("cat-050"),
            region: label("region-05"),
            id: label("w-000500x"),
        })
        .expect("absent");
    println!("escrow: proof sizes (N = 1,000,000):");
    println!(
        "  range proof of the 10,000-entry range and its 2 neighbours: {} hashes = {} bytes (whole reveal as JSON: {} bytes)",
        reveal.proof.len(),
        32 * reveal.proof.len(),
        serde_json::to_string(&reveal).expect("serializes").len()
    );
    println!(
        "  inclusion proof of one entry: {} hashes = {} bytes (entry reveal as JSON: {} bytes)",
        inclusion.proof.len(),
        32 * inclusion.proof.len(),
        serde_json::to_string(&inclusion).expect("serializes").len()
    );
    println!(
        "  gap proof: {} hashes = {} bytes (as JSON: {} bytes)",
        gap.proof.len(),
        32 * gap.proof.len(),
        serde_json::to_string(&gap).expect("serializes").len()
    );
    println!(
        "  bulletproofs: single 64-bit {} bytes (bare {}), aggregated 2x64 {} bytes (bare {})",
        single.proof.len(),
        bare_single.to_bytes().len(),
        within.proof.len(),
        bare_multi.to_bytes().len()
    );
    println!("escrow: peak memory of the whole run: {}", vm_hwm());
}
