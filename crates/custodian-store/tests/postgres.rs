//! The PostgreSQL store on a real server (issue 8, point 3): creation and
//! opening, the same reads as the SQLite store byte for byte, the state-machine
//! model, tampering caught by the audit, and many writers on one log.
//!
//! The server is `CUSTODIAN_PG_URL`, e.g.
//! `postgres://custodian:custodian@127.0.0.1:5432/custodian_test` (`.ci/run`
//! starts one). Without it, or when it cannot be reached, each test says so and
//! passes, except under `CI=true`, where it fails: CI must not skip them.
//! Every test works in a schema of its own, created for it and dropped after,
//! so the tests run in parallel on one database (`custodian_store::testing`,
//! shared with the CLI's and the server's suites).
#![cfg(feature = "postgres")]

mod common;
mod model_harness;

use common::{actor, key, populated, TempDir, World, ORIGIN};
use custodian_core::event::{ActorRegister, PublicKey};
use custodian_core::{
    Event, EventId, EventKind, LeafIndex, Party, Payload, Role, SignedSubmission, Submission,
    TreeSize,
};
use custodian_ledger::submission::sign_submission;
use custodian_store::audit::{audit, Check};
use custodian_store::log::{genesis_submission, AppendError, AppendReceipt, Log};
use custodian_store::postgres::PostgresStore;
use custodian_store::sqlite::SqliteStore;
use custodian_store::testing::{pg_server, Schema};
use custodian_store::{AppendBatch, Meta, Store, StoreError};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn meta() -> Meta {
    Meta {
        origin: ORIGIN.into(),
        verifier_key: key(ORIGIN).verifier().to_text(),
    }
}

/// Signs `payloads` as submission `seq` of `actor_id`, events named
/// `<actor>:<seq>:<n>`, as the shared `World::sign` does.
fn signed(actor_id: &str, seq: u64, payloads: Vec<Payload>) -> SignedSubmission {
    let events = payloads
        .into_iter()
        .enumerate()
        .map(|(n, payload)| Event {
            id: EventId::parse(&format!("{actor_id}:{seq}:{n}")).expect("id"),
            time: common::at(seq as i64 * 60),
            actor: actor(actor_id),
            payload,
            approvals: Vec::new(),
        })
        .collect();
    sign_submission(
        Submission {
            log: ORIGIN.into(),
            actor: actor(actor_id),
            seq,
            events,
        },
        &key(actor_id),
    )
    .expect("sign")
}

fn register(id: &str) -> Payload {
    Payload::ActorRegister(ActorRegister {
        actor: actor(id),
        role: Role::StateAuthority,
        party: Party::parse("state:XAA").expect("party"),
        public_key: PublicKey(key(id).verifier().public_key()),
        name: None,
    })
}

/// A new log in `schema` with its genesis leaf and `writers` state officers
/// registered by the administrator in a second leaf.
fn log_with_writers(schema: &Schema, writers: &[String]) -> Log<PostgresStore> {
    let store = PostgresStore::create(schema.url(), &meta()).expect("create the store");
    let mut log = Log::open(store).expect("open the log");
    let genesis = genesis_submission(
        ORIGIN,
        actor("admin"),
        &key("admin"),
        Party::Body("secretariat".into()),
        None,
        common::at(0),
    )
    .expect("sign genesis");
    log.append(&[genesis], &key(ORIGIN)).expect("genesis");
    let regs = writers.iter().map(|w| register(w)).collect();
    log.append(&[signed("admin", 2, regs)], &key(ORIGIN))
        .expect("register the writers");
    log
}

/// The SQLite reference log of the tamper tests (14 leaves, approvals, four
/// actors), appended again, append by append, to a new PostgreSQL log.
fn replay(reference: &World, schema: &Schema) -> Log<PostgresStore> {
    let store = PostgresStore::create(schema.url(), &meta()).expect("create the store");
    let mut log = Log::open(store).expect("open the log");
    let source = reference.log.store();
    let size = source.tree_size().expect("size").0;
    let leaves = source.read_leaves(0, size).expect("leaves");
    let mut group = Vec::new();
    for leaf in &leaves {
        group.push(SignedSubmission::from_leaf_bytes(&leaf.data).expect("leaf parses"));
        if leaf.index + 1 == leaf.checkpoint_size {
            log.append(&group, &key(ORIGIN)).expect("replayed append");
            group.clear();
        }
    }
    assert!(group.is_empty(), "the reference log ends with a checkpoint");
    log
}

#[test]
fn create_open_and_refusals() {
    let Some(server) = pg_server() else { return };
    let schema = Schema::new(server, "create");
    let store = PostgresStore::create(schema.url(), &meta()).expect("create");
    assert_eq!(store.meta().expect("meta"), meta());
    assert_eq!(store.tree_size().expect("size"), TreeSize(0));
    assert_eq!(store.latest_checkpoint().expect("latest"), None);
    assert_eq!(store.hash_count().expect("hashes"), 0);
    assert!(store.target().contains(schema.name()), "{}", store.target());
    drop(store);

    let reopened = PostgresStore::open(schema.url()).expect("open");
    assert_eq!(reopened.meta().expect("meta"), meta());
    match PostgresStore::create(schema.url(), &meta()) {
        Err(StoreError::AlreadyInitialised { .. }) => {}
        other => panic!("a second create must refuse, got {:?}", other.err()),
    }

    // An empty schema is not a log; one with someone else's tables neither.
    let empty = Schema::new(server, "empty");
    match PostgresStore::open(empty.url()) {
        Err(StoreError::NotOurs { reason, .. }) => assert!(reason.contains("no Custodian tables")),
        other => panic!("opening an empty schema must refuse, got {:?}", other.err()),
    }
    empty
        .sql()
        .batch_execute("CREATE TABLE invoices (id bigint)")
        .expect("foreign table");
    match PostgresStore::create(empty.url(), &meta()) {
        Err(StoreError::NotOurs { reason, .. }) => assert!(reason.contains("1 tables"), "{reason}"),
        other => panic!(
            "creating over foreign tables must refuse, got {:?}",
            other.err()
        ),
    }

    // A schema version this code does not read.
    schema
        .sql()
        .batch_execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        .expect("update");
    match PostgresStore::open(schema.url()) {
        Err(StoreError::NotOurs { reason, .. }) => assert!(reason.contains("99"), "{reason}"),
        other => panic!(
            "an unknown schema version must refuse, got {:?}",
            other.err()
        ),
    }

    // A server that is not there: the error names it, without the password.
    match PostgresStore::open("postgres://someone:s3cret-pw@127.0.0.1:1/nothing?connect_timeout=2")
    {
        Err(StoreError::Backend(text)) => {
            assert!(
                text.contains("postgres://someone@127.0.0.1:1/nothing"),
                "{text}"
            );
            assert!(!text.contains("s3cret-pw"), "{text}");
        }
        other => panic!("an unreachable server must fail, got {:?}", other.err()),
    }
}

/// Every read of the Store trait gives exactly what the SQLite store gives for
/// the same log; so do the Merkle proofs built on them.
#[test]
fn reads_equal_the_sqlite_store() {
    let Some(server) = pg_server() else { return };
    let dir = TempDir::new("pg-reads");
    let reference = populated(&dir.path("reference.db"), 12);
    let schema = Schema::new(server, "reads");
    let log = replay(&reference, &schema);
    let (a, b) = (reference.log.store(), log.store());

    let size = a.tree_size().expect("size");
    assert_eq!(size.0, 14);
    assert_eq!(b.tree_size().expect("size"), size);
    assert_eq!(b.meta().expect("meta"), a.meta().expect("meta"));
    for (from, to) in [(0, size.0), (3, 7), (13, 100), (14, 20), (5, 5)] {
        assert_eq!(
            b.read_leaves(from, to).expect("leaves"),
            a.read_leaves(from, to).expect("leaves"),
            "leaves [{from}, {to})"
        );
    }
    let hashes = a.hash_count().expect("count");
    assert_eq!(b.hash_count().expect("count"), hashes);
    assert_eq!(
        b.read_hash_range(0, hashes + 10).expect("hashes"),
        a.read_hash_range(0, hashes + 10).expect("hashes")
    );
    let some: Vec<u64> = (0..hashes).rev().step_by(3).chain([0, 0]).collect();
    assert_eq!(
        b.read_hashes(&some).expect("hashes"),
        a.read_hashes(&some).expect("hashes")
    );
    match b.read_hashes(&[hashes + 5]) {
        Err(StoreError::Damaged(text)) => assert!(text.contains("is missing"), "{text}"),
        other => panic!("a hash past the end is missing, got {other:?}"),
    }
    assert_eq!(b.checkpoints().expect("cps"), a.checkpoints().expect("cps"));
    assert_eq!(
        b.latest_checkpoint().expect("latest"),
        a.latest_checkpoint().expect("latest")
    );
    assert_eq!(b.actors().expect("actors"), a.actors().expect("actors"));
    assert_eq!(
        b.event_count().expect("events"),
        a.event_count().expect("events")
    );

    // The visitor may stop early: `stop_after` rows.
    let rows = |s: &dyn Store, from: u64, limit: u64, stop_after: usize| {
        let mut out = Vec::new();
        let shown = s
            .visit_events(from, limit, &mut |r| {
                out.push((
                    r.n,
                    r.id.to_string(),
                    r.leaf,
                    r.position,
                    r.kind.to_string(),
                ));
                out.len() < stop_after
            })
            .expect("visit");
        (shown, out)
    };
    let all = 1 << 40;
    for (from, limit, stop_after) in [(0, all, usize::MAX), (4, 3, 9), (2, 7, 5), (1000, 10, 9)] {
        assert_eq!(
            rows(b, from, limit, stop_after),
            rows(a, from, limit, stop_after),
            "events {from}+{limit}, stopping after {stop_after}"
        );
    }
    for (_, id, ..) in rows(a, 0, all, usize::MAX).1 {
        let id = EventId::parse(&id).expect("id");
        assert_eq!(
            b.event_location(&id).expect("location"),
            a.event_location(&id).expect("location")
        );
    }
    let absent = EventId::parse("no-such-event").expect("id");
    assert_eq!(b.event_location(&absent).expect("location"), None);
    for kind in EventKind::ALL {
        assert_eq!(
            b.leaves_with_event_kind(*kind).expect("kind"),
            a.leaves_with_event_kind(*kind).expect("kind"),
            "{kind:?}"
        );
    }
    for n in 1..=size.0 {
        assert_eq!(
            log.root_at(TreeSize(n)).expect("root"),
            reference.log.root_at(TreeSize(n)).expect("root")
        );
        for i in 0..n {
            assert_eq!(
                log.prove_inclusion(LeafIndex(i), TreeSize(n))
                    .expect("proof"),
                reference
                    .log
                    .prove_inclusion(LeafIndex(i), TreeSize(n))
                    .expect("proof")
            );
        }
        assert_eq!(
            log.prove_consistency(TreeSize(n / 2), TreeSize(n))
                .expect("proof"),
            reference
                .log
                .prove_consistency(TreeSize(n / 2), TreeSize(n))
                .expect("proof")
        );
    }
    let report = audit(b, Some(&key(ORIGIN).verifier()), |_, _| {}).expect("audit passes");
    assert_eq!(
        (report.leaves, report.checkpoints, report.actors),
        (14, 14, 4)
    );

    // Reopened by another connection, the log reads the same.
    let reopened = Log::open(PostgresStore::open(schema.url()).expect("open")).expect("log");
    assert_eq!(reopened.registry().actors().count(), 4);
    assert_eq!(reopened.size().expect("size"), size);
}

/// The state-machine model of `model.rs`, on PostgreSQL: a fresh schema per case.
#[test]
fn the_log_follows_the_model() {
    use proptest::test_runner::{Config, TestRunner};
    let Some(server) = pg_server() else { return };
    let mut runner = TestRunner::new(Config {
        cases: 32,
        // Failures print the shrunk operations; there is no source file to
        // record them beside, as the proptest! macro would.
        failure_persistence: None,
        ..Config::default()
    });
    let ops = proptest::collection::vec(model_harness::op(), 1..40);
    let result = runner.run(&ops, |ops| {
        let schema = Schema::new(server, "model");
        let store =
            PostgresStore::create(schema.url(), &model_harness::meta()).expect("create the store");
        model_harness::check_model(store, &ops)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A populated log on PostgreSQL with a copy of it per tampering statement: the
/// audit must fail at the entry and check named, as on SQLite (`tamper.rs`).
#[test]
fn tampered_rows_fail_the_audit() {
    let Some(server) = pg_server() else { return };
    let dir = TempDir::new("pg-tamper");
    let reference = populated(&dir.path("reference.db"), 12);
    let original = Schema::new(server, "tamper");
    let log = replay(&reference, &original);
    let vkey = key(ORIGIN).verifier();
    audit(log.store(), Some(&vkey), |_, _| {}).expect("the untouched log passes");
    drop(log);

    let zero = "decode(repeat('00', 32), 'hex')";
    // A changed leaf byte fails to parse or to verify, depending on where it is.
    let cases: Vec<(&str, String, &[Check], &str)> = vec![
        (
            "change one byte of a leaf's JSON",
            "UPDATE leaves SET data = set_byte(data, 40, (get_byte(data, 40) + 1) % 256) WHERE idx = 3".into(),
            &[Check::Leaf],
            "leaf 3",
        ),
        (
            "change one byte of a leaf's signature",
            "UPDATE leaves SET data = set_byte(data, length(data) - 10, \
             (get_byte(data, length(data) - 10) + 1) % 256) WHERE idx = 3"
                .into(),
            &[Check::Leaf, Check::Submission],
            "leaf 3",
        ),
        ("delete a middle leaf", "DELETE FROM leaves WHERE idx = 5".into(), &[Check::Leaf], "leaf 5"),
        (
            "swap two leaves",
            "UPDATE leaves SET idx = -1 WHERE idx = 4; UPDATE leaves SET idx = 4 WHERE idx = 5; \
             UPDATE leaves SET idx = 5 WHERE idx = -1;"
                .into(),
            &[Check::Submission],
            "leaf 4",
        ),
        (
            "zero a stored hash",
            format!("UPDATE hashes SET hash = {zero} WHERE idx = 7"),
            &[Check::Hash],
            "stored hash 7",
        ),
        (
            "insert an extra stored hash",
            format!("INSERT INTO hashes (idx, hash) VALUES (100000, {zero})"),
            &[Check::Hash],
            "hashes",
        ),
        (
            "delete a checkpoint",
            "DELETE FROM checkpoints WHERE size = 6".into(),
            &[Check::Checkpoint],
            "checkpoint at size 6",
        ),
        (
            "alter a checkpoint",
            "UPDATE checkpoints SET note = replace(note, chr(10) || '9' || chr(10), chr(10) || '8' || chr(10)) \
             WHERE size = 9"
                .into(),
            &[Check::Checkpoint],
            "checkpoint at size 9",
        ),
        (
            "delete an event index row",
            "DELETE FROM events WHERE n = 3".into(),
            &[Check::Events],
            "event index row 3",
        ),
        (
            "reset an actor's sequence",
            "UPDATE actors SET next_seq = 1 WHERE id = 'xaa-officer-1'".into(),
            &[Check::Actors],
            "actors table",
        ),
    ];
    for (i, (what, sql, check, entry)) in cases.iter().enumerate() {
        let copy = original.copy(&format!("tamper{i}"));
        copy.sql()
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{what}: {sql}: {e:?}"));
        let store = PostgresStore::open(copy.url()).expect("the tampered copy opens");
        let failure = match audit(&store, Some(&vkey), |_, _| {}) {
            Ok(report) => panic!("{what}: the audit passed ({report:?}) after tampering"),
            Err(f) => f,
        };
        assert!(
            check.contains(&failure.check) && failure.entry == *entry,
            "{what}: expected {check:?} at {entry:?}, got {failure}"
        );
    }
}

/// A writer that prepared its append against an old size is refused with
/// `Conflict` and nothing of it is applied; prepared again, it lands.
#[test]
fn an_overtaken_append_conflicts_and_applies_nothing() {
    let Some(server) = pg_server() else { return };
    let schema = Schema::new(server, "conflict");
    let writers = vec!["w-0".to_string(), "w-1".to_string()];
    let log = log_with_writers(&schema, &writers);
    let size = log.size().expect("size").0;
    let mut other = Log::open(PostgresStore::open(schema.url()).expect("open")).expect("log");
    drop(log);

    // A batch prepared at `size`, committed after another writer moved the log on.
    let mut store = PostgresStore::open(schema.url()).expect("open");
    other
        .append(&[signed("w-0", 1, vec![World::site(1)])], &key(ORIGIN))
        .expect("the other writer appends");
    let stale = AppendBatch {
        size_before: size,
        leaves: vec![b"never".to_vec()],
        checkpoint: "never".into(),
        ..AppendBatch::default()
    };
    match store.commit(stale) {
        Err(StoreError::Conflict { expected, found }) => {
            assert_eq!((expected, found), (size, size + 1));
        }
        other => panic!("a stale batch must conflict, got {other:?}"),
    }
    assert_eq!(store.tree_size().expect("size").0, size + 1);
    assert_eq!(store.checkpoints().expect("cps").len() as u64, size + 1);

    // Through the Log: a duplicate event id is refused by the store's index and
    // names the submission; nothing is applied.
    let mut log = Log::open(store).expect("log");
    let dup = signed("w-1", 1, vec![World::site(2)]);
    let mut forged = dup.clone();
    forged.submission.events[0].id = EventId::parse("w-0:1:0").expect("id");
    let forged = sign_submission(forged.submission, &key("w-1")).expect("sign");
    match log.append(&[forged], &key(ORIGIN)) {
        Err(AppendError::DuplicateEvent { index, id, .. }) => {
            assert_eq!((index, id.as_str()), (0, "w-0:1:0"));
        }
        other => panic!(
            "a duplicate event id must be refused, got {:?}",
            other.err()
        ),
    }
    assert_eq!(log.size().expect("size").0, size + 1);
    log.append(&[dup], &key(ORIGIN))
        .expect("the honest append lands");
    audit(log.store(), Some(&key(ORIGIN).verifier()), |_, _| {}).expect("audit passes");
}

/// A commit takes the sequencer's row lock: while another transaction holds it,
/// an append waits, and lands when it is released.
#[test]
fn a_commit_waits_for_the_sequencer() {
    let Some(server) = pg_server() else { return };
    let schema = Schema::new(server, "sequencer");
    let mut log = log_with_writers(&schema, &["w-0".to_string()]);
    let size = log.size().expect("size").0;

    let mut holder = schema.sql();
    let mut tx = holder.transaction().expect("begin");
    tx.query_one("SELECT size FROM sequencer WHERE id = 1 FOR UPDATE", &[])
        .expect("lock the sequencer");
    let appender = std::thread::spawn(move || {
        let receipt = log
            .append(&[signed("w-0", 1, vec![World::site(1)])], &key(ORIGIN))
            .expect("append after the lock is released");
        (Instant::now(), receipt)
    });
    // Give the append every chance to finish early if it did not wait.
    std::thread::sleep(Duration::from_millis(400));
    let releasing = Instant::now();
    tx.rollback().expect("release");
    let (finished, receipt) = appender.join().expect("appender");
    // Ordered by causality, not by a duration: the append cannot have
    // finished before the lock it waits for began to be released.
    assert!(
        finished > releasing,
        "the append finished {:?} before the sequencer was released: it did not wait",
        releasing - finished
    );
    assert_eq!(receipt.first_leaf, LeafIndex(size));

    // The sequencer and the leaves must agree; a sequencer moved by hand is damage.
    schema
        .sql()
        .batch_execute("UPDATE sequencer SET size = size + 1")
        .expect("move the sequencer");
    let mut store = PostgresStore::open(schema.url()).expect("open");
    let batch = AppendBatch {
        size_before: size + 1,
        ..AppendBatch::default()
    };
    match store.commit(batch) {
        Err(StoreError::Damaged(text)) => assert!(text.contains("sequencer"), "{text}"),
        other => panic!("a sequencer out of step must be damage, got {other:?}"),
    }
}

/// 8 writers, each with its own connection, append 25 submissions each through
/// `Log::append` at the same time: 200 new leaves in one log, each receipt its
/// own leaf, every writer's sizes strictly increasing, and the audit passes.
#[test]
fn concurrent_writers_keep_one_log() {
    const WRITERS: usize = 8;
    const APPENDS: u64 = 25;
    let Some(server) = pg_server() else { return };
    let schema = Arc::new(Schema::new(server, "concurrent"));
    let writers: Vec<String> = (0..WRITERS).map(|w| format!("writer-{w}")).collect();
    let log = log_with_writers(&schema, &writers);
    let base = log.size().expect("size").0;
    drop(log);

    let start = Arc::new(Barrier::new(WRITERS));
    let threads: Vec<_> = writers
        .iter()
        .enumerate()
        .map(|(w, name)| {
            let (schema, start, name) = (schema.clone(), start.clone(), name.clone());
            std::thread::spawn(move || -> (Vec<AppendReceipt>, u64) {
                let store = PostgresStore::open(schema.url()).expect("open");
                let mut log = Log::open(store).expect("log");
                let mut receipts = Vec::new();
                let mut conflicts = 0;
                start.wait();
                for seq in 1..=APPENDS {
                    let submission = signed(&name, seq, vec![World::site(w as u64 * 1000 + seq)]);
                    loop {
                        match log.append(std::slice::from_ref(&submission), &key(ORIGIN)) {
                            Ok(receipt) => {
                                receipts.push(receipt);
                                break;
                            }
                            Err(AppendError::Store(StoreError::Conflict { .. })) => {
                                conflicts += 1;
                                assert!(conflicts < 100_000, "{name}: no progress");
                            }
                            Err(e) => panic!("{name} seq {seq}: {e}"),
                        }
                    }
                }
                (receipts, conflicts)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut conflicts = 0;
    for (w, t) in threads.into_iter().enumerate() {
        let (receipts, c) = t.join().expect("writer thread");
        assert_eq!(receipts.len() as u64, APPENDS);
        assert!(
            receipts.windows(2).all(|p| p[0].size < p[1].size),
            "writer {w}: sizes not strictly increasing"
        );
        conflicts += c;
        all.extend(receipts);
    }
    eprintln!(
        "{} appends by {WRITERS} writers; {conflicts} were overtaken and prepared again",
        all.len()
    );

    let store = PostgresStore::open(schema.url()).expect("open");
    let total = base + WRITERS as u64 * APPENDS;
    assert_eq!(store.tree_size().expect("size").0, total);
    let mut firsts: Vec<u64> = all.iter().map(|r| r.first_leaf.0).collect();
    firsts.sort_unstable();
    assert_eq!(
        firsts,
        (base..total).collect::<Vec<_>>(),
        "one leaf per receipt"
    );
    let checkpoints = store.checkpoints().expect("checkpoints");
    for r in &all {
        assert_eq!(r.size.0, r.first_leaf.0 + 1);
        let stored = &checkpoints[r.size.0 as usize - 1];
        assert_eq!((stored.size, &stored.note), (r.size, &r.checkpoint));
    }
    let report = audit(&store, Some(&key(ORIGIN).verifier()), |_, _| {}).expect("the audit passes");
    assert_eq!((report.leaves, report.checkpoints), (total, total));
    let log = Log::open(store).expect("log");
    for name in &writers {
        let record = log.registry().get(&actor(name)).expect("writer");
        assert_eq!(record.next_seq, APPENDS + 1, "{name}");
    }
}

/// A new, empty log reads and audits the same on both stores.
#[test]
fn a_new_log_is_empty_on_both_stores() {
    let Some(server) = pg_server() else { return };
    let dir = TempDir::new("pg-empty");
    let lite = SqliteStore::create(&dir.path("empty.db"), &meta()).expect("sqlite");
    let schema = Schema::new(server, "emptylog");
    let pg = PostgresStore::create(schema.url(), &meta()).expect("postgres");
    assert_eq!(
        pg.checkpoints().expect("cps"),
        lite.checkpoints().expect("cps")
    );
    assert_eq!(pg.actors().expect("actors"), lite.actors().expect("actors"));
    let report = audit(&pg, Some(&key(ORIGIN).verifier()), |_, _| {}).expect("audit");
    assert_eq!(report.leaves, 0);
}

/// A batch larger than one INSERT statement takes (32 MiB of leaves, 50,000
/// hashes or events) is written in several, in order, in one transaction.
#[test]
fn a_large_batch_is_written_in_several_statements() {
    let Some(server) = pg_server() else { return };
    let schema = Schema::new(server, "large");
    let mut store = PostgresStore::create(schema.url(), &meta()).expect("create");
    // Store::commit does not interpret the bytes: synthetic rows will do.
    let mut leaves: Vec<Vec<u8>> = (0..12u8).map(|i| vec![i; 3 << 20]).collect();
    leaves.extend((0..3000u32).map(|i| i.to_be_bytes().to_vec()));
    let hashes: Vec<custodian_ledger::Hash> = (0..120_001u32)
        .map(|i| {
            let mut h = [0u8; 32];
            h[..4].copy_from_slice(&i.to_be_bytes());
            custodian_ledger::Hash(h)
        })
        .collect();
    let events: Vec<custodian_store::EventLocation> = (0..60_001u64)
        .map(|i| custodian_store::EventLocation {
            id: EventId::parse(&format!("bulk:{i}")).expect("id"),
            leaf: LeafIndex(i % leaves.len() as u64),
            position: 0,
            kind: EventKind::ALL[0],
        })
        .collect();
    let batch = AppendBatch {
        size_before: 0,
        leaves: leaves.clone(),
        hashes: hashes.clone(),
        checkpoint: "synthetic".into(),
        actors: Vec::new(),
        events: events.clone(),
    };
    store.commit(batch).expect("commit");

    let size = leaves.len() as u64;
    assert_eq!(store.tree_size().expect("size").0, size);
    let read = store.read_leaves(0, size).expect("leaves");
    assert!(read
        .iter()
        .zip(&leaves)
        .enumerate()
        .all(|(i, (r, l))| r.index == i as u64 && &r.data == l && r.checkpoint_size == size));
    assert_eq!(read.len(), leaves.len());
    let stored = store.read_hash_range(0, 200_000).expect("hashes");
    assert_eq!(stored.len(), hashes.len());
    assert!(stored
        .iter()
        .enumerate()
        .all(|(i, (idx, h))| *idx == i as u64 && *h == hashes[i]));
    assert_eq!(store.event_count().expect("events"), events.len() as u64);
    let mut n = 0;
    store
        .visit_events(0, 100_000, &mut |row| {
            let ok = row.n == n && row.id == events[n as usize].id.as_str();
            n += 1;
            ok
        })
        .expect("visit");
    assert_eq!(n, events.len() as u64);
}

/// A server drops its idle read connections inside its runtime as it stops:
/// closing a store there must not panic (the client blocks on a runtime of
/// its own, which tokio refuses inside another).
#[test]
fn a_store_dropped_inside_an_async_runtime_closes_cleanly() {
    let Some(server) = pg_server() else { return };
    let schema = Schema::new(server, "droprt");
    let store = PostgresStore::create(schema.url(), &meta()).expect("create");
    let again = PostgresStore::open(schema.url()).expect("open");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        drop(store);
        drop(again);
    });
    // Both sessions are gone: the schema drops at once, and a new store opens.
    PostgresStore::open(schema.url()).expect("open after the drop");
}
