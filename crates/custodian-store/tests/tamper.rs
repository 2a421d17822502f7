//! Tamper tests on real database files: every change to a stored row, every
//! deleted, inserted or reordered row, and a swapped key make the audit fail and
//! name the entry and the check (issue 3, point 7).
//!
//! SQLite only, whatever `CUSTODIAN_TEST_STORE` says: these tests change the
//! bytes of the database file. The same tampering on PostgreSQL rows is in
//! `postgres.rs` (`tampered_rows_fail_the_audit`).

mod common;

use common::{key, populated, TempDir};
use custodian_store::audit::{audit, Check};
use custodian_store::sqlite::SqliteStore;
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};

/// A populated database, closed, and a fresh copy of it per mutation.
struct Fixture {
    dir: TempDir,
    original: PathBuf,
}

impl Fixture {
    fn new(tag: &str) -> Fixture {
        let dir = TempDir::new(tag);
        let original = dir.path("original.db");
        {
            let w = populated(&original, 12);
            drop(w);
        }
        // The last connection closed, so SQLite folded the WAL into the file.
        Fixture { dir, original }
    }

    fn copy(&self, name: &str) -> PathBuf {
        let path = self.dir.path(name);
        std::fs::copy(&self.original, &path).expect("copy db");
        path
    }

    /// Applies `sql` to a copy and returns the audit failure.
    fn mutate(&self, name: &str, sql: &str) -> custodian_store::audit::AuditFailure {
        let path = self.copy(name);
        {
            let conn = Connection::open(&path).expect("open copy");
            conn.execute_batch(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        audit_fails(&path, name)
    }
}

fn audit_fails(path: &Path, what: &str) -> custodian_store::audit::AuditFailure {
    let store = match SqliteStore::open(path) {
        Ok(s) => s,
        Err(e) => panic!("{what}: the store did not even open ({e}); expected an audit failure"),
    };
    let vkey = key(common::ORIGIN).verifier();
    match audit(&store, Some(&vkey), |_, _| {}) {
        Ok(report) => panic!("{what}: audit passed ({report:?}) after tampering"),
        Err(f) => f,
    }
}

#[test]
fn untouched_copy_passes() {
    let f = Fixture::new("untouched");
    let store = SqliteStore::open(&f.copy("copy.db")).expect("open");
    let report =
        audit(&store, Some(&key(common::ORIGIN).verifier()), |_, _| {}).expect("audit passes");
    assert_eq!(report.leaves, 14);
    assert_eq!(report.checkpoints, 14);
    assert_eq!(report.actors, 4);
}

#[test]
fn every_byte_of_every_leaf_is_covered() {
    let f = Fixture::new("leafbytes");
    let path = f.copy("flip.db");
    let conn = Connection::open(&path).expect("open");
    let leaves: Vec<(i64, Vec<u8>)> = conn
        .prepare("SELECT idx, data FROM leaves ORDER BY idx")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let store = SqliteStore::open(&path).expect("open");
    let vkey = key(common::ORIGIN).verifier();
    for (idx, data) in &leaves {
        // Every 7th byte plus the first and last, flipping one bit each time.
        let positions: Vec<usize> = (0..data.len()).step_by(7).chain([data.len() - 1]).collect();
        for pos in positions {
            let mut bad = data.clone();
            bad[pos] ^= 0x01;
            conn.execute(
                "UPDATE leaves SET data = ?1 WHERE idx = ?2",
                params![bad, idx],
            )
            .unwrap();
            let failure =
                audit(&store, Some(&vkey), |_, _| {}).expect_err("flipped leaf byte must fail");
            assert_eq!(
                failure.entry,
                format!("leaf {idx}"),
                "byte {pos}: {failure}"
            );
            assert!(
                matches!(failure.check, Check::Leaf | Check::Submission | Check::Hash),
                "byte {pos}: {failure}"
            );
            conn.execute(
                "UPDATE leaves SET data = ?1 WHERE idx = ?2",
                params![data, idx],
            )
            .unwrap();
        }
    }
    audit(&store, Some(&vkey), |_, _| {}).expect("restored copy passes again");
}

#[test]
fn deleted_inserted_and_reordered_rows_fail() {
    let f = Fixture::new("rows");
    let cases: &[(&str, &str, Check, &str)] = &[
        ("delete a middle leaf", "DELETE FROM leaves WHERE idx = 5", Check::Leaf, "leaf 5"),
        ("delete the last leaf", "DELETE FROM leaves WHERE idx = 13", Check::Checkpoint, "checkpoint at size 14"),
        (
            "insert a leaf at the end",
            "INSERT INTO leaves (idx, data, checkpoint_size) SELECT 14, data, 15 FROM leaves WHERE idx = 3",
            Check::Checkpoint,
            "leaf 14",
        ),
        (
            "swap two leaves",
            "UPDATE leaves SET idx = -1 WHERE idx = 4; UPDATE leaves SET idx = 4 WHERE idx = 5; UPDATE leaves SET idx = 5 WHERE idx = -1;",
            Check::Submission,
            "leaf 4",
        ),
        ("flip a stored hash", "UPDATE hashes SET hash = zeroblob(32) WHERE idx = 7", Check::Hash, "stored hash 7"),
        ("delete a stored hash", "DELETE FROM hashes WHERE idx = 7", Check::Hash, "stored hash 7"),
        (
            "insert an extra stored hash",
            "INSERT INTO hashes (idx, hash) VALUES (100000, zeroblob(32))",
            Check::Hash,
            "hashes",
        ),
        ("delete a checkpoint", "DELETE FROM checkpoints WHERE size = 6", Check::Checkpoint, "checkpoint at size 6"),
        (
            "alter a checkpoint",
            "UPDATE checkpoints SET note = replace(note, char(10) || '9' || char(10), char(10) || '8' || char(10)) WHERE size = 9",
            Check::Checkpoint,
            "checkpoint at size 9",
        ),
        (
            "move a leaf to another append",
            "UPDATE leaves SET checkpoint_size = 12 WHERE idx = 9",
            // Leaf 9 could start an append ending at 12; leaf 10, recorded as
            // ending at 11, cannot continue it: that is where it shows.
            Check::Leaf,
            "leaf 10",
        ),
        ("delete an event index row", "DELETE FROM events WHERE n = 3", Check::Events, "event index row 3"),
        ("alter an event index row", "UPDATE events SET leaf = 2 WHERE n = 10", Check::Events, "event index row 10"),
        ("delete an actor", "DELETE FROM actors WHERE id = 'inspector-1'", Check::Actors, "actors table"),
        (
            "swap an actor's key",
            "UPDATE actors SET public_key = (SELECT public_key FROM actors WHERE id = 'admin') WHERE id = 'xaa-officer-1'",
            Check::Actors,
            "actors table",
        ),
        ("reset an actor's sequence", "UPDATE actors SET next_seq = 1 WHERE id = 'xaa-officer-1'", Check::Actors, "actors table"),
    ];
    for (i, (what, sql, check, entry)) in cases.iter().enumerate() {
        let failure = f.mutate(&format!("case{i}.db"), sql);
        assert_eq!(
            (failure.check, failure.entry.as_str()),
            (*check, *entry),
            "{what}: {failure}"
        );
    }
}

#[test]
fn a_swapped_log_key_fails() {
    let f = Fixture::new("logkey");
    let other = key("custodian.test/log").verifier();
    // A different key under the same name: checkpoints no longer verify.
    let impostor = custodian_ledger::keys::SigningKey::from_seed("custodian.test/log", [7u8; 32])
        .expect("key")
        .verifier()
        .to_text();
    assert_ne!(impostor, other.to_text());
    let path = f.copy("swapped.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'verifier_key'",
            [&impostor],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    // Pinned to the real key: the meta check names the swap.
    let pinned = audit(&store, Some(&other), |_, _| {}).expect_err("pinned audit fails");
    assert_eq!(
        (pinned.check, pinned.entry.as_str()),
        (Check::Meta, "meta.verifier_key"),
        "{pinned}"
    );
    // Unpinned: the checkpoints signed by the real key fail under the impostor.
    let unpinned = audit(&store, None, |_, _| {}).expect_err("unpinned audit fails");
    assert_eq!(unpinned.check, Check::Checkpoint, "{unpinned}");
}

#[test]
fn raw_file_byte_flips_in_leaf_and_hash_data_are_caught() {
    let f = Fixture::new("rawflip");
    let bytes = std::fs::read(&f.original).unwrap();
    // Locate stored content in the raw file: a recorded site name inside a leaf,
    // and the bytes of a stored hash.
    let needle = b"\"name\":\"Site 50\"";
    let leaf_at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("leaf text is in the file");
    let hash = {
        let store = SqliteStore::open(&f.original).unwrap();
        use custodian_store::Store;
        store.read_hashes(&[9]).unwrap()[0]
    };
    let hash_at = bytes
        .windows(32)
        .position(|w| w == hash.0)
        .expect("hash bytes are in the file");
    for (name, offset) in [("leaf", leaf_at + 14), ("hash", hash_at + 5)] {
        let path = f.dir.path(&format!("raw-{name}.db"));
        let mut copy = bytes.clone();
        copy[offset] ^= 0x04;
        std::fs::write(&path, &copy).unwrap();
        let failure = audit_fails(&path, name);
        assert!(
            matches!(
                failure.check,
                Check::Leaf | Check::Submission | Check::Hash | Check::Storage
            ),
            "{name}: {failure}"
        );
    }
}

#[test]
fn a_file_that_is_not_ours_is_refused() {
    let dir = TempDir::new("notours");
    let text = dir.path("notes.txt");
    std::fs::write(&text, "this is not a database\n".repeat(200)).unwrap();
    let err = SqliteStore::open(&text).err().expect("refused");
    assert!(
        err.to_string().contains("not a Custodian database"),
        "{err}"
    );
    let other = dir.path("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER);")
        .unwrap();
    let err = SqliteStore::open(&other).err().expect("refused");
    assert!(
        err.to_string().contains("not a Custodian database"),
        "{err}"
    );
    let missing = SqliteStore::open(&dir.path("missing.db"))
        .err()
        .expect("refused");
    assert!(missing.to_string().contains("custodian init"), "{missing}");
}
