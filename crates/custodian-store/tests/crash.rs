//! Crash safety: a real child process appending in a loop is killed with
//! SIGKILL at random moments; every append it acknowledged must survive, no
//! partial append may be visible, and the next open and audit must pass
//! (issue 3, point 8).
//!
//! The child is this same test binary, re-run with `CUSTODIAN_CRASH_CHILD` set
//! and filtered to `crash_child`; without that variable `crash_child` returns at
//! once. Reproduce a failure with the seed it prints: `CUSTODIAN_CRASH_SEED=<n>`.
//!
//! SQLite only, whatever `CUSTODIAN_TEST_STORE` says: it tests the embedded
//! file's own durability (WAL, `synchronous=FULL`); PostgreSQL's is the
//! server's commit.

mod common;

use common::{actor, key, TempDir, World};
use custodian_store::audit::audit;
use custodian_store::log::Log;
use custodian_store::sqlite::SqliteStore;
use custodian_store::Store;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_ENV: &str = "CUSTODIAN_CRASH_CHILD";

/// The child's body: append submissions of 40 events forever, printing
/// `ack <tree size>` after each append returns.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = SqliteStore::open(std::path::Path::new(&path)).expect("child opens the store");
    let mut log = Log::open(store).expect("child opens the log");
    let log_key = key(common::ORIGIN);
    let mut world_seq = log
        .registry()
        .get(&actor("xaa-officer-1"))
        .expect("actor")
        .next_seq
        - 1;
    let stdout = std::io::stdout();
    loop {
        world_seq += 1;
        let mut w = World {
            log,
            log_key: log_key.clone(),
            seqs: [("xaa-officer-1".to_string(), world_seq - 1)]
                .into_iter()
                .collect(),
        };
        let payloads = (0..40).map(|k| World::site(world_seq * 100 + k)).collect();
        let s = w.sign("xaa-officer-1", payloads, &["xaa-officer-2"]);
        let receipt = w.log.append(&[s], &w.log_key).expect("child append");
        let mut out = stdout.lock();
        writeln!(out, "ack {}", receipt.size.0).expect("write ack");
        out.flush().expect("flush ack");
        log = w.log;
    }
}

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let seed = std::env::var("CUSTODIAN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    println!("crash test seed: {seed} (reproduce with CUSTODIAN_CRASH_SEED={seed})");
    let mut rng = XorShift(seed);
    let dir = TempDir::new("crash");
    let db = dir.path("crash.db");
    drop(World::create(&db));
    let exe = std::env::current_exe().expect("test binary path");
    let vkey = key(common::ORIGIN).verifier();
    let mut acknowledged = 0u64;
    let mut kills_mid_run = 0;
    for round in 0..25 {
        let mut child = Command::new(&exe)
            .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("child stdout");
        let reader = std::thread::spawn(move || {
            let mut last = 0u64;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line.strip_prefix("ack ").and_then(|n| n.parse().ok()) {
                    last = n;
                }
            }
            last
        });
        std::thread::sleep(Duration::from_millis(20 + rng.next() % 400));
        if child.try_wait().expect("poll child").is_none() {
            kills_mid_run += 1;
        }
        child.kill().expect("SIGKILL the child");
        let status = child.wait().expect("reap child");
        let acked = reader.join().expect("reader thread");
        acknowledged = acknowledged.max(acked);

        let store = SqliteStore::open(&db)
            .unwrap_or_else(|e| panic!("seed {seed}, round {round}: reopen failed: {e}"));
        let size = store.tree_size().expect("size").0;
        assert!(
            size >= acknowledged,
            "seed {seed}, round {round}: {acknowledged} leaves were acknowledged but only {size} survived (child {status})"
        );
        let report = audit(&store, Some(&vkey), |_, _| {}).unwrap_or_else(|f| {
            panic!("seed {seed}, round {round}: audit after SIGKILL failed: {f}")
        });
        assert_eq!(report.leaves, size);
        // Every append is one leaf of 40 events: a partial append would break this.
        assert_eq!(
            report.events,
            1 + 3 + (size - 2) * 40,
            "seed {seed}, round {round}"
        );
        acknowledged = size;
    }
    assert!(
        kills_mid_run >= 20,
        "the child finished before most kills ({kills_mid_run}/25): the test proves little"
    );
    assert!(
        acknowledged > 25,
        "too few appends happened ({acknowledged}) to exercise crashes"
    );
}
