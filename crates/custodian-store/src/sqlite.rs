//! The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so a
//! commit that returned is on disk (SQLite, "Write-Ahead Logging" §2 and
//! "PRAGMA synchronous": FULL syncs the WAL at every commit).
//!
//! All SQLite-specific SQL of Custodian is in this file.

use crate::{
    AppendBatch, EventLocation, EventRow, Meta, Store, StoreError, StoredCheckpoint, StoredLeaf,
    SCHEMA_VERSION, STORE_FORMAT,
};
use custodian_core::event::PublicKey;
use custodian_core::{ActorId, EventId, EventKind, LeafIndex, Party, Role, TreeSize};
use custodian_ledger::registry::ActorRecord;
use custodian_ledger::Hash;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE leaves (idx INTEGER PRIMARY KEY, data BLOB NOT NULL, checkpoint_size INTEGER NOT NULL) STRICT;
CREATE TABLE hashes (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL) STRICT;
CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL) STRICT;
CREATE TABLE actors (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    party TEXT NOT NULL,
    public_key TEXT NOT NULL,
    name TEXT,
    registered_at INTEGER NOT NULL,
    revoked_at INTEGER,
    next_seq INTEGER NOT NULL
) STRICT;
CREATE TABLE events (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    leaf INTEGER NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL
) STRICT;
";

/// A Custodian log in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SqliteStore {
    /// Creates a new store at `path` holding the fixed facts `meta`. Refuses a
    /// file that already holds a log or is not a database.
    pub fn create(path: &Path, meta: &Meta) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path).map_err(backend)?;
        let mut store = SqliteStore {
            conn,
            path: path.to_owned(),
        };
        store.configure()?;
        let tables: i64 = store
            .conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(|e| store.not_ours(e))?;
        if tables > 0 {
            return Err(match store.check_ours() {
                Ok(()) => StoreError::AlreadyInitialised {
                    path: path.display().to_string(),
                },
                Err(e) => e,
            });
        }
        let tx = store.conn.transaction().map_err(backend)?;
        tx.execute_batch(SCHEMA).map_err(backend)?;
        {
            let mut put = tx
                .prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")
                .map_err(backend)?;
            for (k, v) in [
                ("format", STORE_FORMAT.to_string()),
                ("schema_version", SCHEMA_VERSION.to_string()),
                ("origin", meta.origin.clone()),
                ("verifier_key", meta.verifier_key.clone()),
            ] {
                put.execute(params![k, v]).map_err(backend)?;
            }
        }
        tx.commit().map_err(backend)?;
        Ok(store)
    }

    /// Opens an existing store, checking that the file is a Custodian database of
    /// a schema version this code reads.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if !path.exists() {
            return Err(StoreError::NotOurs {
                path: path.display().to_string(),
                reason: "no such file (create one with `custodian init`)".into(),
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(backend)?;
        let mut store = SqliteStore {
            conn,
            path: path.to_owned(),
        };
        store.configure()?;
        store.check_ours()?;
        Ok(store)
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a consistent copy of the database to `path` (SQLite `VACUUM INTO`),
    /// including what is still in the write-ahead log.
    pub fn copy_to(&self, path: &Path) -> Result<(), StoreError> {
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Backend(format!("{}: path is not UTF-8", path.display())))?;
        self.conn
            .execute("VACUUM INTO ?1", [target])
            .map_err(backend)?;
        Ok(())
    }

    /// Overwrites one byte of a stored leaf, bypassing every check. It exists only
    /// so that `custodian demo` and the tamper tests can show an audit catching
    /// such a change; nothing else calls it.
    pub fn tamper_leaf_byte(&self, index: u64, offset: usize, byte: u8) -> Result<(), StoreError> {
        let mut data: Vec<u8> = self
            .conn
            .query_row(
                "SELECT data FROM leaves WHERE idx = ?1",
                [index as i64],
                |r| r.get(0),
            )
            .map_err(backend)?;
        let at = data
            .get_mut(offset)
            .ok_or_else(|| StoreError::Backend(format!("leaf {index} has no byte {offset}")))?;
        *at = byte;
        self.conn
            .execute(
                "UPDATE leaves SET data = ?1 WHERE idx = ?2",
                params![data, index as i64],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn not_ours(&self, e: rusqlite::Error) -> StoreError {
        StoreError::NotOurs {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        }
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        // journal_mode returns a row; the others do not.
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| self.not_ours(e))?;
        if mode != "wal" {
            return Err(StoreError::Backend(format!(
                "could not enable WAL mode (got {mode:?})"
            )));
        }
        self.conn
            .execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;")
            .map_err(backend)?;
        self.conn
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(backend)?;
        Ok(())
    }

    fn check_ours(&self) -> Result<(), StoreError> {
        let get = |key: &str| -> Result<Option<String>, rusqlite::Error> {
            self.conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
        };
        let format = get("format").map_err(|e| self.not_ours(e))?;
        if format.as_deref() != Some(STORE_FORMAT) {
            return Err(StoreError::NotOurs {
                path: self.path.display().to_string(),
                reason: format!("meta.format is {format:?}, expected {STORE_FORMAT:?}"),
            });
        }
        let version = get("schema_version").map_err(|e| self.not_ours(e))?;
        if version.as_deref() != Some(&SCHEMA_VERSION.to_string()) {
            return Err(StoreError::NotOurs {
                path: self.path.display().to_string(),
                reason: format!(
                    "schema version {version:?}; this program reads version {SCHEMA_VERSION}"
                ),
            });
        }
        Ok(())
    }

    fn meta_value(&self, key: &str) -> Result<String, StoreError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(backend)?
            .ok_or_else(|| StoreError::Damaged(format!("meta.{key} is missing")))
    }

    fn size_in(conn: &Connection) -> Result<u64, StoreError> {
        let max: Option<i64> = conn
            .query_row("SELECT max(idx) FROM leaves", [], |r| r.get(0))
            .map_err(backend)?;
        Ok(max.map_or(0, |m| m as u64 + 1))
    }
}

fn to_hash(bytes: Vec<u8>, what: &str) -> Result<Hash, StoreError> {
    Hash::from_slice(&bytes).ok_or_else(|| {
        StoreError::Damaged(format!("{what}: expected 32 bytes, found {}", bytes.len()))
    })
}

fn actor_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<ActorRecord, StoreError>> {
    let id: String = row.get(0)?;
    let role: String = row.get(1)?;
    let party: String = row.get(2)?;
    let key: String = row.get(3)?;
    let name: Option<String> = row.get(4)?;
    let registered_at: i64 = row.get(5)?;
    let revoked_at: Option<i64> = row.get(6)?;
    let next_seq: i64 = row.get(7)?;
    let damaged =
        |field: &str, e: String| StoreError::Damaged(format!("actors row {id:?}, {field}: {e}"));
    Ok((|| {
        Ok(ActorRecord {
            id: ActorId::parse(&id).map_err(|e| damaged("id", e.to_string()))?,
            role: Role::parse(&role).map_err(|e| damaged("role", e.to_string()))?,
            party: Party::parse(&party).map_err(|e| damaged("party", e.to_string()))?,
            public_key: PublicKey::from_base64(&key).map_err(|e| damaged("public_key", e))?,
            name,
            registered_at: LeafIndex(registered_at as u64),
            revoked_at: revoked_at.map(|r| LeafIndex(r as u64)),
            next_seq: next_seq as u64,
        })
    })())
}

impl Store for SqliteStore {
    fn meta(&self) -> Result<Meta, StoreError> {
        Ok(Meta {
            origin: self.meta_value("origin")?,
            verifier_key: self.meta_value("verifier_key")?,
        })
    }

    fn tree_size(&self) -> Result<TreeSize, StoreError> {
        Self::size_in(&self.conn).map(TreeSize)
    }

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT hash FROM hashes WHERE idx = ?1")
            .map_err(backend)?;
        indexes
            .iter()
            .map(|&i| {
                let bytes: Option<Vec<u8>> = stmt
                    .query_row([i as i64], |r| r.get(0))
                    .optional()
                    .map_err(backend)?;
                let bytes = bytes
                    .ok_or_else(|| StoreError::Damaged(format!("stored hash {i} is missing")))?;
                to_hash(bytes, &format!("stored hash {i}"))
            })
            .collect()
    }

    fn read_leaves(&self, from: u64, to: u64) -> Result<Vec<StoredLeaf>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT idx, data, checkpoint_size FROM leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map([from as i64, to as i64], |r| {
                Ok(StoredLeaf {
                    index: r.get::<_, i64>(0)? as u64,
                    data: r.get(1)?,
                    checkpoint_size: r.get::<_, i64>(2)? as u64,
                })
            })
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn read_hash_range(&self, from: u64, to: u64) -> Result<Vec<(u64, Hash)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT idx, hash FROM hashes WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map([from as i64, to as i64], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(backend)?;
        rows.map(|row| {
            let (i, bytes) = row.map_err(backend)?;
            Ok((i, to_hash(bytes, &format!("stored hash {i}"))?))
        })
        .collect()
    }

    fn hash_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM hashes", [], |r| r.get(0))
            .map_err(backend)?;
        Ok(n as u64)
    }

    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT size, note FROM checkpoints ORDER BY size")
            .map_err(backend)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StoredCheckpoint {
                    size: TreeSize(r.get::<_, i64>(0)? as u64),
                    note: r.get(1)?,
                })
            })
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.conn
            .query_row(
                "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
                [],
                |r| {
                    Ok(StoredCheckpoint {
                        size: TreeSize(r.get::<_, i64>(0)? as u64),
                        note: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
    }

    fn actors(&self) -> Result<Vec<ActorRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, role, party, public_key, name, registered_at, revoked_at, next_seq \
                 FROM actors ORDER BY id",
            )
            .map_err(backend)?;
        let rows = stmt.query_map([], actor_from_row).map_err(backend)?;
        rows.map(|r| r.map_err(backend)?).collect()
    }

    fn event_location(&self, id: &EventId) -> Result<Option<EventLocation>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, leaf, position, kind FROM events WHERE id = ?1")
            .map_err(backend)?;
        let row = stmt
            .query_row([id.as_str()], event_row)
            .optional()
            .map_err(backend)?;
        row.transpose()
    }

    fn visit_events(
        &self,
        from: u64,
        limit: u64,
        visit: &mut dyn FnMut(EventRow<'_>) -> bool,
    ) -> Result<u64, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT n, id, leaf, position, kind FROM events WHERE n >= ?1 ORDER BY n LIMIT ?2",
            )
            .map_err(backend)?;
        let mut rows = stmt.query([from as i64, limit as i64]).map_err(backend)?;
        let mut shown = 0;
        while let Some(row) = rows.next().map_err(backend)? {
            let text = |i: usize| -> Result<&str, StoreError> {
                match row.get_ref(i).map_err(backend)? {
                    rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t)
                        .map_err(|_| StoreError::Damaged("event index row is not UTF-8".into())),
                    _ => Err(StoreError::Damaged(
                        "event index row has a non-text id or kind".into(),
                    )),
                }
            };
            let number = |i: usize| -> Result<u64, StoreError> {
                let v: i64 = row.get(i).map_err(backend)?;
                u64::try_from(v).map_err(|_| {
                    StoreError::Damaged(format!("event index row has a negative value {v}"))
                })
            };
            let event = EventRow {
                n: number(0)?,
                id: text(1)?,
                leaf: number(2)?,
                position: number(3)?,
                kind: text(4)?,
            };
            shown += 1;
            if !visit(event) {
                break;
            }
        }
        Ok(shown)
    }

    fn leaves_with_event_kind(&self, kind: EventKind) -> Result<Vec<u64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT leaf FROM events WHERE kind = ?1 ORDER BY leaf")
            .map_err(backend)?;
        let rows = stmt
            .query_map([kind.as_str()], |r| r.get::<_, i64>(0))
            .map_err(backend)?;
        rows.map(|r| r.map(|v| v as u64).map_err(backend)).collect()
    }

    fn event_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .map_err(backend)?;
        Ok(n as u64)
    }

    fn commit(&mut self, batch: AppendBatch) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let found = Self::size_in(&tx)?;
        if found != batch.size_before {
            return Err(StoreError::Conflict {
                expected: batch.size_before,
                found,
            });
        }
        let first_hash: i64 = tx
            .query_row("SELECT coalesce(max(idx) + 1, 0) FROM hashes", [], |r| {
                r.get(0)
            })
            .map_err(backend)?;
        let first_event: i64 = tx
            .query_row("SELECT coalesce(max(n) + 1, 0) FROM events", [], |r| {
                r.get(0)
            })
            .map_err(backend)?;
        {
            let size_after = batch.size_before + batch.leaves.len() as u64;
            let mut leaf = tx
                .prepare_cached(
                    "INSERT INTO leaves (idx, data, checkpoint_size) VALUES (?1, ?2, ?3)",
                )
                .map_err(backend)?;
            for (i, data) in batch.leaves.iter().enumerate() {
                leaf.execute(params![
                    (batch.size_before + i as u64) as i64,
                    data,
                    size_after as i64
                ])
                .map_err(backend)?;
            }
            let mut hash = tx
                .prepare_cached("INSERT INTO hashes (idx, hash) VALUES (?1, ?2)")
                .map_err(backend)?;
            for (i, h) in batch.hashes.iter().enumerate() {
                hash.execute(params![first_hash + i as i64, &h.0[..]])
                    .map_err(backend)?;
            }
            tx.prepare_cached("INSERT INTO checkpoints (size, note) VALUES (?1, ?2)")
                .map_err(backend)?
                .execute(params![size_after as i64, batch.checkpoint])
                .map_err(backend)?;
            let mut actor = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO actors \
                     (id, role, party, public_key, name, registered_at, revoked_at, next_seq) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(backend)?;
            for a in &batch.actors {
                actor
                    .execute(params![
                        a.id.as_str(),
                        a.role.as_str(),
                        a.party.to_string(),
                        a.public_key.to_base64(),
                        a.name,
                        a.registered_at.0 as i64,
                        a.revoked_at.map(|r| r.0 as i64),
                        a.next_seq as i64,
                    ])
                    .map_err(backend)?;
            }
            let mut event = tx
                .prepare_cached(
                    "INSERT INTO events (n, id, leaf, position, kind) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(backend)?;
            for (i, e) in batch.events.iter().enumerate() {
                event
                    .execute(params![
                        first_event + i as i64,
                        e.id.as_str(),
                        e.leaf.0 as i64,
                        e.position,
                        e.kind.as_str()
                    ])
                    .map_err(|err| match err {
                        rusqlite::Error::SqliteFailure(f, _)
                            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                        {
                            StoreError::DuplicateEvent(e.id.to_string())
                        }
                        other => backend(other),
                    })?;
            }
        }
        tx.commit().map_err(backend)
    }
}

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<EventLocation, StoreError>> {
    let id: String = r.get(0)?;
    let leaf: i64 = r.get(1)?;
    let position: i64 = r.get(2)?;
    let kind: String = r.get(3)?;
    Ok((|| {
        Ok(EventLocation {
            id: EventId::parse(&id)
                .map_err(|e| StoreError::Damaged(format!("events row {id:?}: {e}")))?,
            leaf: LeafIndex(leaf as u64),
            position: u32::try_from(position)
                .map_err(|_| StoreError::Damaged(format!("events row {id:?}: bad position")))?,
            kind: EventKind::parse(&kind).ok_or_else(|| {
                StoreError::Damaged(format!("events row {id:?}: unknown kind {kind:?}"))
            })?,
        })
    })())
}
