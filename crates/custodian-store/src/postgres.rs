//! The shared store: a Custodian log in a PostgreSQL database (or in one schema
//! of it, chosen by the connection's `search_path`), for a deployment where many
//! clients and processes append to one log.
//!
//! It keeps the SQLite store's tables with the same meaning (FORMATS.md §10) and
//! adds a one-row `sequencer` table. Every commit is one transaction that first
//! locks that row (`SELECT ... FOR UPDATE`), then checks the log still has the
//! size the batch was prepared against, writes the batch, and moves the
//! sequencer's size on. Commits from any number of connections therefore run
//! one after another, each on top of the last; one whose preparation was
//! overtaken fails with [`StoreError::Conflict`] and changes nothing, and the
//! caller prepares it again. A sequencer row rather than PostgreSQL's
//! `pg_advisory_xact_lock`, because a row lock is what the distributed engines
//! that speak PostgreSQL also implement (docs/DEPLOYMENT.md, "PostgreSQL").
//!
//! Durability: PostgreSQL's commit with `synchronous_commit = on`, which this
//! store sets on its session, returns once the commit record is flushed to the
//! write-ahead log (PostgreSQL manual, "Asynchronous Commit").
//!
//! The SQL is plain: no PL/pgSQL, no extension, no advisory lock; bytes are
//! `bytea`, sizes and indexes `bigint`. All PostgreSQL-specific SQL of Custodian
//! is in this file, but for the tests' `CREATE SCHEMA` and `DROP SCHEMA` in
//! `testing.rs`. A commit's statements are prepared once per connection
//! (`CommitStatements`).

use crate::{
    AppendBatch, EventLocation, EventRow, Meta, Store, StoreError, StoredCheckpoint, StoredLeaf,
    SCHEMA_VERSION, STORE_FORMAT,
};
use ::postgres::error::SqlState;
use ::postgres::{Client, Config, GenericClient, NoTls, Row, Statement};
use custodian_core::event::PublicKey;
use custodian_core::{ActorId, EventId, EventKind, LeafIndex, Party, Role, TreeSize};
use custodian_ledger::registry::ActorRecord;
use custodian_ledger::Hash;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The tables, created in the connection's current schema by
/// [`PostgresStore::create`]. The same columns as the SQLite store's.
const SCHEMA: &str = "
CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE sequencer (id integer PRIMARY KEY CHECK (id = 1), size bigint NOT NULL);
CREATE TABLE leaves (idx bigint PRIMARY KEY, data bytea NOT NULL, checkpoint_size bigint NOT NULL);
CREATE TABLE hashes (idx bigint PRIMARY KEY, hash bytea NOT NULL);
CREATE TABLE checkpoints (size bigint PRIMARY KEY, note text NOT NULL);
CREATE TABLE actors (
    id text PRIMARY KEY,
    role text NOT NULL,
    party text NOT NULL,
    public_key text NOT NULL,
    name text,
    registered_at bigint NOT NULL,
    revoked_at bigint,
    next_seq bigint NOT NULL
);
CREATE TABLE events (
    n bigint PRIMARY KEY,
    id text NOT NULL UNIQUE,
    leaf bigint NOT NULL,
    position bigint NOT NULL,
    kind text NOT NULL
);
";

/// Session settings: commits are durable whatever the server's default, and a
/// writer waits at most this long for the sequencer before it gives up.
const SESSION: &str = "SET synchronous_commit TO on; SET lock_timeout TO '10s'";

/// Leaf bytes per INSERT statement (a leaf is at most 4 MiB): PostgreSQL
/// refuses messages over 1 GB, and distributed engines want much less.
const STATEMENT_BYTES_MAX: usize = 32 << 20;

/// Rows per INSERT statement of hashes and events.
const STATEMENT_ROWS_MAX: usize = 50_000;

/// How long connecting may take when the connection string does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A Custodian log in a PostgreSQL database.
///
/// One connection per store. It is behind a mutex so that the store can be
/// shared between threads; queries on one store still run one at a time, and
/// parallel writers each open their own store.
///
/// The client is the synchronous `postgres` crate's, which blocks on a tokio
/// runtime of its own: in an async program, call a store from a blocking
/// thread (`spawn_blocking`, as the server does), never from a task. Dropping
/// a store is safe anywhere.
pub struct PostgresStore {
    /// `Some` until the store is dropped. Boxed: the client holds a tokio
    /// runtime, large enough to make every `AnyStore` large.
    client: Option<Box<Mutex<Client>>>,
    target: String,
    /// Prepared at the first commit on this connection (boxed: most stores
    /// only read).
    statements: Option<Box<CommitStatements>>,
}

/// The statements of a commit, prepared once per connection. Sent as text,
/// each would cost a round trip of its own to be parsed at every commit, while
/// the sequencer row is held and every other writer waits.
#[derive(Clone)]
struct CommitStatements {
    lock: Statement,
    next_indexes: Statement,
    taken_ids: Statement,
    leaves: Statement,
    hashes: Statement,
    checkpoint: Statement,
    actors: Statement,
    events: Statement,
    advance: Statement,
}

impl CommitStatements {
    fn prepare(client: &mut Client) -> Result<CommitStatements, StoreError> {
        let mut prepare = |sql: &str| client.prepare(sql).map_err(backend);
        Ok(CommitStatements {
            lock: prepare("SELECT size FROM sequencer WHERE id = 1 FOR UPDATE")?,
            // One statement, after the lock: under READ COMMITTED a statement
            // sees what was committed before it started, so these must not
            // be folded into the locking one, whose snapshot predates its wait.
            next_indexes: prepare(
                "SELECT (SELECT coalesce(max(idx) + 1, 0) FROM leaves), \
                        (SELECT coalesce(max(idx) + 1, 0) FROM hashes), \
                        (SELECT coalesce(max(n) + 1, 0) FROM events)",
            )?,
            taken_ids: prepare("SELECT id FROM events WHERE id = ANY($1::text[])")?,
            leaves: prepare(
                "INSERT INTO leaves (idx, data, checkpoint_size) \
                 SELECT t.idx, t.data, $3::bigint \
                 FROM unnest($1::bigint[], $2::bytea[]) AS t(idx, data)",
            )?,
            hashes: prepare(
                "INSERT INTO hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])",
            )?,
            checkpoint: prepare("INSERT INTO checkpoints (size, note) VALUES ($1::bigint, $2::text)")?,
            actors: prepare(
                "INSERT INTO actors \
                 (id, role, party, public_key, name, registered_at, revoked_at, next_seq) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
                                      $5::text[], $6::bigint[], $7::bigint[], $8::bigint[]) \
                 ON CONFLICT (id) DO UPDATE SET role = excluded.role, party = excluded.party, \
                 public_key = excluded.public_key, name = excluded.name, \
                 registered_at = excluded.registered_at, revoked_at = excluded.revoked_at, \
                 next_seq = excluded.next_seq",
            )?,
            events: prepare(
                "INSERT INTO events (n, id, leaf, position, kind) \
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[])",
            )?,
            advance: prepare("UPDATE sequencer SET size = $1::bigint WHERE id = 1")?,
        })
    }
}

impl Drop for PostgresStore {
    /// Closing the connection blocks on the client's runtime, which tokio
    /// refuses on a thread that drives another runtime's tasks (a server
    /// dropping its idle read connections as it stops): there the connection
    /// is closed on a thread of its own.
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return; // `client` is closed here, as it goes out of scope.
        }
        let slot = std::sync::Arc::new(Mutex::new(Some(client)));
        let theirs = slot.clone();
        let closing = std::thread::Builder::new()
            .name("custodian-pg-close".into())
            .spawn(move || {
                drop(theirs.lock().unwrap_or_else(PoisonError::into_inner).take());
            });
        match closing {
            // Waits for the close, so that a schema dropped next finds no
            // session of ours.
            Ok(thread) => {
                let _ = thread.join();
            }
            // No thread: the connection is left open until the process ends
            // rather than closed here, where closing it would panic.
            Err(_) => {
                if let Some(client) = slot.lock().unwrap_or_else(PoisonError::into_inner).take() {
                    std::mem::forget(client);
                }
            }
        }
    }
}

/// A PostgreSQL error with its SQLSTATE, message and detail: the client's own
/// `Display` says only "db error".
fn describe(e: &::postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" ({detail})"));
            }
            text
        }
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    }
}

fn backend(e: ::postgres::Error) -> StoreError {
    let hint = match e.code() {
        Some(c) if *c == SqlState::LOCK_NOT_AVAILABLE => {
            "; another writer held the sequencer too long, nothing applied, try again"
        }
        Some(c)
            if *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED =>
        {
            "; nothing applied, try again"
        }
        _ => "",
    };
    StoreError::Backend(format!("{}{hint}", describe(&e)))
}

/// A size or index as PostgreSQL's `bigint`. No log reaches 2^63 leaves, so a
/// larger value only ever bounds a range, where `i64::MAX` means the same.
fn to_db(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A `bigint` read back as a size or index; a negative one is damage.
fn from_db(v: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Damaged(format!("{what}: negative value {v}")))
}

/// Column `i` of `row`, or damage named after `what` if it has another type.
fn column<'a, T: ::postgres::types::FromSql<'a>>(
    row: &'a Row,
    i: usize,
    what: &str,
) -> Result<T, StoreError> {
    row.try_get(i)
        .map_err(|e| StoreError::Damaged(format!("{what}, column {i}: {}", describe(&e))))
}

fn to_hash(bytes: &[u8], what: &str) -> Result<Hash, StoreError> {
    Hash::from_slice(bytes).ok_or_else(|| {
        StoreError::Damaged(format!("{what}: expected 32 bytes, found {}", bytes.len()))
    })
}

/// `postgres://user@host:port/dbname`, never the password, for messages.
fn describe_target(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(::postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(::postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("");
    let db = config.get_dbname().unwrap_or(user);
    format!("postgres://{user}@{host}:{port}/{db}")
}

impl PostgresStore {
    /// Creates a new store holding the fixed facts `meta`, in the current schema
    /// (the first existing one on the `search_path`) of the database that `url`
    /// names. `url` is a libpq connection string, either form:
    /// `postgres://user:password@host:port/dbname?options=-csearch_path%3Dlog1`
    /// or `host=... user=... dbname=...`. TLS is not offered.
    ///
    /// Refuses a schema that already holds any table, like the SQLite store
    /// refuses a file that holds one: an existing log is
    /// [`StoreError::AlreadyInitialised`], anything else [`StoreError::NotOurs`].
    pub fn create(url: &str, meta: &Meta) -> Result<PostgresStore, StoreError> {
        let (store, schema) = PostgresStore::connect(url)?;
        let tables: i64 = {
            let mut client = store.client();
            let row = client
                .query_one(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
                    &[&schema],
                )
                .map_err(backend)?;
            column(&row, 0, "information_schema.tables")?
        };
        if tables > 0 {
            return Err(match store.check_ours() {
                Ok(()) => StoreError::AlreadyInitialised {
                    path: store.target.clone(),
                },
                Err(StoreError::NotOurs { path, reason }) => StoreError::NotOurs {
                    path,
                    reason: format!("schema {schema:?} already holds {tables} tables: {reason}"),
                },
                Err(e) => e,
            });
        }
        {
            let mut client = store.client();
            let mut tx = client.transaction().map_err(backend)?;
            tx.batch_execute(SCHEMA).map_err(backend)?;
            let put = tx
                .prepare("INSERT INTO meta (key, value) VALUES ($1, $2)")
                .map_err(backend)?;
            for (k, v) in [
                ("format", STORE_FORMAT.to_string()),
                ("schema_version", SCHEMA_VERSION.to_string()),
                ("origin", meta.origin.clone()),
                ("verifier_key", meta.verifier_key.clone()),
            ] {
                tx.execute(&put, &[&k, &v]).map_err(backend)?;
            }
            tx.execute("INSERT INTO sequencer (id, size) VALUES (1, 0)", &[])
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
        }
        Ok(store)
    }

    /// Opens an existing store, checking that the schema holds a Custodian log
    /// of a schema version this code reads.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let (store, _) = PostgresStore::connect(url)?;
        store.check_ours()?;
        Ok(store)
    }

    /// Where this store lives, `postgres://user@host:port/dbname (schema s)`,
    /// without the password.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Connects, configures the session and finds the current schema.
    fn connect(url: &str) -> Result<(PostgresStore, String), StoreError> {
        let mut config = Config::from_str(url).map_err(|e| {
            StoreError::Backend(format!(
                "invalid PostgreSQL connection string: {}",
                describe(&e)
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let mut target = describe_target(&config);
        let mut client = config.connect(NoTls).map_err(|e| {
            StoreError::Backend(format!("cannot connect to {target}: {}", describe(&e)))
        })?;
        client.batch_execute(SESSION).map_err(backend)?;
        let row = client
            .query_one("SELECT current_schema()", &[])
            .map_err(backend)?;
        let schema: Option<String> = column(&row, 0, "current_schema()")?;
        let Some(schema) = schema else {
            return Err(StoreError::NotOurs {
                path: target,
                reason: "no schema of the search_path exists (create it, or fix the \
                         connection's options=-csearch_path=...)"
                    .into(),
            });
        };
        target.push_str(&format!(" (schema {schema})"));
        let store = PostgresStore {
            client: Some(Box::new(Mutex::new(client))),
            target,
            statements: None,
        };
        Ok((store, schema))
    }

    /// The connection. A panic while it was held leaves nothing half-done on
    /// the server (an open transaction rolls back when dropped), so a poisoned
    /// lock is taken over.
    fn client(&self) -> MutexGuard<'_, Client> {
        self.client
            .as_ref()
            .expect("the client is taken only by drop") // a local invariant
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn not_ours(&self, reason: String) -> StoreError {
        StoreError::NotOurs {
            path: self.target.clone(),
            reason,
        }
    }

    fn check_ours(&self) -> Result<(), StoreError> {
        let format = self.meta_lookup("format")?;
        if format.as_deref() != Some(STORE_FORMAT) {
            return Err(self.not_ours(format!(
                "meta.format is {format:?}, expected {STORE_FORMAT:?}"
            )));
        }
        let version = self.meta_lookup("schema_version")?;
        if version.as_deref() != Some(&SCHEMA_VERSION.to_string()) {
            return Err(self.not_ours(format!(
                "schema version {version:?}; this program reads version {SCHEMA_VERSION}"
            )));
        }
        Ok(())
    }

    /// A meta value; a schema without a `meta` table is not ours.
    fn meta_lookup(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = self
            .client()
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key]);
        match row {
            Ok(Some(row)) => column(&row, 0, "meta").map(Some),
            Ok(None) => Ok(None),
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => Err(self.not_ours(
                "no Custodian tables here (create a log with PostgresStore::create)".into(),
            )),
            Err(e) => Err(backend(e)),
        }
    }

    fn meta_value(&self, key: &str) -> Result<String, StoreError> {
        self.meta_lookup(key)?
            .ok_or_else(|| StoreError::Damaged(format!("meta.{key} is missing")))
    }

    /// A single `bigint` from a query without parameters.
    fn count(&self, sql: &str, what: &str) -> Result<u64, StoreError> {
        count_in(&mut *self.client(), sql, what)
    }
}

fn count_in(client: &mut impl GenericClient, sql: &str, what: &str) -> Result<u64, StoreError> {
    let row = client.query_one(sql, &[]).map_err(backend)?;
    from_db(column(&row, 0, what)?, what)
}

fn size_in(client: &mut impl GenericClient) -> Result<u64, StoreError> {
    count_in(
        client,
        "SELECT coalesce(max(idx) + 1, 0) FROM leaves",
        "leaves",
    )
}

fn actor_from_row(row: &Row) -> Result<ActorRecord, StoreError> {
    let id: String = column(row, 0, "actors")?;
    let what = format!("actors row {id:?}");
    let role: String = column(row, 1, &what)?;
    let party: String = column(row, 2, &what)?;
    let key: String = column(row, 3, &what)?;
    let name: Option<String> = column(row, 4, &what)?;
    let registered_at: i64 = column(row, 5, &what)?;
    let revoked_at: Option<i64> = column(row, 6, &what)?;
    let next_seq: i64 = column(row, 7, &what)?;
    let damaged = |field: &str, e: String| StoreError::Damaged(format!("{what}, {field}: {e}"));
    Ok(ActorRecord {
        id: ActorId::parse(&id).map_err(|e| damaged("id", e.to_string()))?,
        role: Role::parse(&role).map_err(|e| damaged("role", e.to_string()))?,
        party: Party::parse(&party).map_err(|e| damaged("party", e.to_string()))?,
        public_key: PublicKey::from_base64(&key).map_err(|e| damaged("public_key", e))?,
        name,
        registered_at: LeafIndex(from_db(registered_at, &what)?),
        revoked_at: revoked_at
            .map(|r| from_db(r, &what).map(LeafIndex))
            .transpose()?,
        next_seq: from_db(next_seq, &what)?,
    })
}

fn checkpoint_from_row(row: &Row) -> Result<StoredCheckpoint, StoreError> {
    Ok(StoredCheckpoint {
        size: TreeSize(from_db(column(row, 0, "checkpoints")?, "checkpoints")?),
        note: column(row, 1, "checkpoints")?,
    })
}

impl Store for PostgresStore {
    fn meta(&self) -> Result<Meta, StoreError> {
        Ok(Meta {
            origin: self.meta_value("origin")?,
            verifier_key: self.meta_value("verifier_key")?,
        })
    }

    fn tree_size(&self) -> Result<TreeSize, StoreError> {
        size_in(&mut *self.client()).map(TreeSize)
    }

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        // One round trip for the whole set (a proof needs O(log n) hashes).
        let wanted: Vec<i64> = indexes.iter().map(|&i| to_db(i)).collect();
        let rows = self
            .client()
            .query(
                "SELECT idx, hash FROM hashes WHERE idx = ANY($1)",
                &[&wanted],
            )
            .map_err(backend)?;
        let mut found = BTreeMap::new();
        for row in &rows {
            let i = from_db(column(row, 0, "hashes")?, "hashes")?;
            let what = format!("stored hash {i}");
            found.insert(i, to_hash(column(row, 1, &what)?, &what)?);
        }
        indexes
            .iter()
            .map(|i| {
                found
                    .get(i)
                    .copied()
                    .ok_or_else(|| StoreError::Damaged(format!("stored hash {i} is missing")))
            })
            .collect()
    }

    fn read_leaves(&self, from: u64, to: u64) -> Result<Vec<StoredLeaf>, StoreError> {
        let rows = self
            .client()
            .query(
                "SELECT idx, data, checkpoint_size FROM leaves \
                 WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &[&to_db(from), &to_db(to)],
            )
            .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let index = from_db(column(row, 0, "leaves")?, "leaves")?;
                let what = format!("leaf {index}");
                Ok(StoredLeaf {
                    index,
                    data: column(row, 1, &what)?,
                    checkpoint_size: from_db(column(row, 2, &what)?, &what)?,
                })
            })
            .collect()
    }

    fn read_hash_range(&self, from: u64, to: u64) -> Result<Vec<(u64, Hash)>, StoreError> {
        let rows = self
            .client()
            .query(
                "SELECT idx, hash FROM hashes WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &[&to_db(from), &to_db(to)],
            )
            .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let i = from_db(column(row, 0, "hashes")?, "hashes")?;
                let what = format!("stored hash {i}");
                Ok((i, to_hash(column(row, 1, &what)?, &what)?))
            })
            .collect()
    }

    fn hash_count(&self) -> Result<u64, StoreError> {
        self.count("SELECT count(*) FROM hashes", "hashes")
    }

    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let rows = self
            .client()
            .query("SELECT size, note FROM checkpoints ORDER BY size", &[])
            .map_err(backend)?;
        rows.iter().map(checkpoint_from_row).collect()
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row = self
            .client()
            .query_opt(
                "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
                &[],
            )
            .map_err(backend)?;
        row.as_ref().map(checkpoint_from_row).transpose()
    }

    fn actors(&self) -> Result<Vec<ActorRecord>, StoreError> {
        let rows = self
            .client()
            .query(
                "SELECT id, role, party, public_key, name, registered_at, revoked_at, next_seq \
                 FROM actors",
                &[],
            )
            .map_err(backend)?;
        let mut actors = rows
            .iter()
            .map(actor_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        // Sorted here, not by ORDER BY: text order follows the database's
        // collation, and the audit compares with the registry's byte order.
        actors.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(actors)
    }

    fn event_location(&self, id: &EventId) -> Result<Option<EventLocation>, StoreError> {
        let row = self
            .client()
            .query_opt(
                "SELECT id, leaf, position, kind FROM events WHERE id = $1",
                &[&id.as_str()],
            )
            .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let id: String = column(&row, 0, "events")?;
        let what = format!("events row {id:?}");
        let position = from_db(column(&row, 2, &what)?, &what)?;
        let kind: String = column(&row, 3, &what)?;
        Ok(Some(EventLocation {
            id: EventId::parse(&id).map_err(|e| StoreError::Damaged(format!("{what}: {e}")))?,
            leaf: LeafIndex(from_db(column(&row, 1, &what)?, &what)?),
            position: u32::try_from(position)
                .map_err(|_| StoreError::Damaged(format!("{what}: bad position")))?,
            kind: EventKind::parse(&kind)
                .ok_or_else(|| StoreError::Damaged(format!("{what}: unknown kind {kind:?}")))?,
        }))
    }

    fn visit_events(
        &self,
        from: u64,
        limit: u64,
        visit: &mut dyn FnMut(EventRow<'_>) -> bool,
    ) -> Result<u64, StoreError> {
        // The rows are fetched first and the connection released, so `visit`
        // may use the store.
        let rows = self
            .client()
            .query(
                "SELECT n, id, leaf, position, kind FROM events WHERE n >= $1 ORDER BY n LIMIT $2",
                &[&to_db(from), &to_db(limit)],
            )
            .map_err(backend)?;
        let mut shown = 0;
        for row in &rows {
            let what = "event index row";
            let event = EventRow {
                n: from_db(column(row, 0, what)?, what)?,
                id: column(row, 1, what)?,
                leaf: from_db(column(row, 2, what)?, what)?,
                position: from_db(column(row, 3, what)?, what)?,
                kind: column(row, 4, what)?,
            };
            shown += 1;
            if !visit(event) {
                break;
            }
        }
        Ok(shown)
    }

    fn leaves_with_event_kind(&self, kind: EventKind) -> Result<Vec<u64>, StoreError> {
        let rows = self
            .client()
            .query(
                "SELECT DISTINCT leaf FROM events WHERE kind = $1 ORDER BY leaf",
                &[&kind.as_str()],
            )
            .map_err(backend)?;
        rows.iter()
            .map(|row| from_db(column(row, 0, "events")?, "events"))
            .collect()
    }

    fn event_count(&self) -> Result<u64, StoreError> {
        self.count("SELECT count(*) FROM events", "events")
    }

    fn commit(&mut self, batch: AppendBatch) -> Result<(), StoreError> {
        let st = match &self.statements {
            Some(st) => st.clone(),
            None => {
                let st = Box::new(CommitStatements::prepare(&mut self.client())?);
                self.statements = Some(st.clone());
                st
            }
        };
        let mut client = self.client();
        let mut tx = client.transaction().map_err(backend)?;
        // The sequencer: every commit takes this row lock first, so commits from
        // all connections run one at a time. Under READ COMMITTED the statements
        // after it see everything the previous holder committed.
        let sequenced = tx
            .query_opt(&st.lock, &[])
            .map_err(backend)?
            .ok_or_else(|| StoreError::Damaged("the sequencer row is missing".into()))?;
        let sequenced = from_db(column(&sequenced, 0, "sequencer")?, "sequencer")?;
        let next = tx.query_one(&st.next_indexes, &[]).map_err(backend)?;
        let found = from_db(column(&next, 0, "leaves")?, "leaves")?;
        // Pair the assertion (STYLE §5): the sequencer and the leaves agree.
        if found != sequenced {
            return Err(StoreError::Damaged(format!(
                "the sequencer says the log holds {sequenced} leaves, the leaves table {found}"
            )));
        }
        if found != batch.size_before {
            return Err(StoreError::Conflict {
                expected: batch.size_before,
                found,
            });
        }
        let first_hash = from_db(column(&next, 1, "hashes")?, "hashes")?;
        let first_event = from_db(column(&next, 2, "events")?, "events")?;

        // Event ids already in the log: checked under the sequencer lock, so no
        // other writer can add one before this commit; the unique index on
        // `events.id` stays as the backstop.
        let mut in_batch = BTreeSet::new();
        for e in &batch.events {
            if !in_batch.insert(e.id.as_str()) {
                return Err(StoreError::DuplicateEvent(e.id.to_string()));
            }
        }
        if !batch.events.is_empty() {
            let ids: Vec<&str> = batch.events.iter().map(|e| e.id.as_str()).collect();
            let rows = tx.query(&st.taken_ids, &[&ids]).map_err(backend)?;
            let taken = rows
                .iter()
                .map(|r| column::<String>(r, 0, "events"))
                .collect::<Result<BTreeSet<_>, _>>()?;
            if let Some(e) = batch.events.iter().find(|e| taken.contains(e.id.as_str())) {
                return Err(StoreError::DuplicateEvent(e.id.to_string()));
            }
        }

        // Rows go in as arrays, unnested: a few statements per table whatever
        // the batch's size, each well under PostgreSQL's 1 GB message limit.
        let size_after = batch.size_before + batch.leaves.len() as u64;
        let mut first = 0;
        while first < batch.leaves.len() {
            let mut end = first;
            let mut bytes = 0;
            while end < batch.leaves.len()
                && (end == first || bytes + batch.leaves[end].len() <= STATEMENT_BYTES_MAX)
            {
                bytes += batch.leaves[end].len();
                end += 1;
            }
            let leaves = &batch.leaves[first..end];
            let idx: Vec<i64> = (first..end)
                .map(|i| to_db(batch.size_before + i as u64))
                .collect();
            let data: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
            tx.execute(&st.leaves, &[&idx, &data, &to_db(size_after)])
                .map_err(backend)?;
            first = end;
        }
        for (chunk, hashes) in batch.hashes.chunks(STATEMENT_ROWS_MAX).enumerate() {
            let offset = first_hash + (chunk * STATEMENT_ROWS_MAX) as u64;
            let idx: Vec<i64> = (0..hashes.len() as u64)
                .map(|i| to_db(offset + i))
                .collect();
            let bytes: Vec<&[u8]> = hashes.iter().map(|h| &h.0[..]).collect();
            tx.execute(&st.hashes, &[&idx, &bytes]).map_err(backend)?;
        }
        tx.execute(&st.checkpoint, &[&to_db(size_after), &batch.checkpoint])
            .map_err(backend)?;
        if !batch.actors.is_empty() {
            let a = &batch.actors;
            let ids: Vec<&str> = a.iter().map(|r| r.id.as_str()).collect();
            let roles: Vec<&str> = a.iter().map(|r| r.role.as_str()).collect();
            let parties: Vec<String> = a.iter().map(|r| r.party.to_string()).collect();
            let keys: Vec<String> = a.iter().map(|r| r.public_key.to_base64()).collect();
            let names: Vec<Option<&str>> = a.iter().map(|r| r.name.as_deref()).collect();
            let registered: Vec<i64> = a.iter().map(|r| to_db(r.registered_at.0)).collect();
            let revoked: Vec<Option<i64>> =
                a.iter().map(|r| r.revoked_at.map(|l| to_db(l.0))).collect();
            let next_seq: Vec<i64> = a.iter().map(|r| to_db(r.next_seq)).collect();
            tx.execute(
                &st.actors,
                &[
                    &ids,
                    &roles,
                    &parties,
                    &keys,
                    &names,
                    &registered,
                    &revoked,
                    &next_seq,
                ],
            )
            .map_err(backend)?;
        }
        for (chunk, e) in batch.events.chunks(STATEMENT_ROWS_MAX).enumerate() {
            let offset = first_event + (chunk * STATEMENT_ROWS_MAX) as u64;
            let n: Vec<i64> = (0..e.len() as u64).map(|i| to_db(offset + i)).collect();
            let ids: Vec<&str> = e.iter().map(|e| e.id.as_str()).collect();
            let leaves: Vec<i64> = e.iter().map(|e| to_db(e.leaf.0)).collect();
            let positions: Vec<i64> = e.iter().map(|e| i64::from(e.position)).collect();
            let kinds: Vec<&str> = e.iter().map(|e| e.kind.as_str()).collect();
            tx.execute(&st.events, &[&n, &ids, &leaves, &positions, &kinds])
                .map_err(backend)?;
        }
        tx.execute(&st.advance, &[&to_db(size_after)])
            .map_err(backend)?;
        tx.commit().map_err(backend)
    }
}
