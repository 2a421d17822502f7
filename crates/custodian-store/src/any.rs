//! One store type for every backend, chosen by where the log lives: a file
//! path is an embedded SQLite database, a `postgres://` or `postgresql://` URL
//! a PostgreSQL schema. The command-line tool and the server hold an
//! [`AnyStore`], so `--db` picks the backend and nothing else changes.

use crate::sqlite::SqliteStore;
use crate::{
    ActorRecord, AppendBatch, EventLocation, EventRow, Meta, Store, StoreError, StoredCheckpoint,
    StoredLeaf,
};
use custodian_core::{EventId, EventKind, TreeSize};
use custodian_ledger::Hash;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a log lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An SQLite database file.
    File(PathBuf),
    /// A PostgreSQL connection string (`postgres://...` or `postgresql://...`).
    Postgres(String),
}

impl Target {
    /// A `postgres://` or `postgresql://` URL is PostgreSQL; anything else a file path.
    pub fn parse(text: &Path) -> Target {
        match text.to_str() {
            Some(s) if s.starts_with("postgres://") || s.starts_with("postgresql://") => {
                Target::Postgres(s.to_string())
            }
            _ => Target::File(text.to_path_buf()),
        }
    }

    /// The file path, for a file target.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Target::File(p) => Some(p),
            Target::Postgres(_) => None,
        }
    }
}

impl fmt::Display for Target {
    /// The path, or the URL without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::File(p) => write!(f, "{}", p.display()),
            Target::Postgres(url) => write!(f, "{}", redact_password(url)),
        }
    }
}

/// `postgres://user:secret@host/db?password=x` →
/// `postgres://user:***@host/db?password=***`: the password in the user info
/// and in a `password` parameter (libpq's URI form, PostgreSQL manual §34.1.1).
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, path) =
        before_query.split_at(before_query.find('/').unwrap_or(before_query.len()));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let query = query.map(|q| {
        let params: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k == "password" => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        format!("?{}", params.join("&"))
    });
    format!("{scheme}://{authority}{path}{}", query.unwrap_or_default())
}

/// A store of either backend.
pub enum AnyStore {
    /// The embedded default.
    Sqlite(SqliteStore),
    /// A shared PostgreSQL database.
    #[cfg(feature = "postgres")]
    Postgres(crate::postgres::PostgresStore),
}

impl AnyStore {
    /// Opens the log at `target`.
    pub fn open(target: &Target) -> Result<AnyStore, StoreError> {
        match target {
            Target::File(path) => Ok(AnyStore::Sqlite(SqliteStore::open(path)?)),
            Target::Postgres(url) => open_postgres(url),
        }
    }

    /// Creates a new log at `target` holding `meta`.
    pub fn create(target: &Target, meta: &Meta) -> Result<AnyStore, StoreError> {
        match target {
            Target::File(path) => Ok(AnyStore::Sqlite(SqliteStore::create(path, meta)?)),
            Target::Postgres(url) => create_postgres(url, meta),
        }
    }
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<AnyStore, StoreError> {
    Ok(AnyStore::Postgres(crate::postgres::PostgresStore::open(
        url,
    )?))
}

#[cfg(feature = "postgres")]
fn create_postgres(url: &str, meta: &Meta) -> Result<AnyStore, StoreError> {
    Ok(AnyStore::Postgres(crate::postgres::PostgresStore::create(
        url, meta,
    )?))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(url: &str) -> Result<AnyStore, StoreError> {
    Err(StoreError::Backend(format!(
        "{}: this build has no PostgreSQL store (feature `postgres`)",
        redact_password(url)
    )))
}

#[cfg(not(feature = "postgres"))]
fn create_postgres(url: &str, _meta: &Meta) -> Result<AnyStore, StoreError> {
    open_postgres(url)
}

/// Calls the same method on whichever store this is.
macro_rules! delegate {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $call,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres($s) => $call,
        }
    };
}

impl Store for AnyStore {
    fn meta(&self) -> Result<Meta, StoreError> {
        delegate!(self, s => s.meta())
    }
    fn tree_size(&self) -> Result<TreeSize, StoreError> {
        delegate!(self, s => s.tree_size())
    }
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        delegate!(self, s => s.read_hashes(indexes))
    }
    fn read_leaves(&self, from: u64, to: u64) -> Result<Vec<StoredLeaf>, StoreError> {
        delegate!(self, s => s.read_leaves(from, to))
    }
    fn read_hash_range(&self, from: u64, to: u64) -> Result<Vec<(u64, Hash)>, StoreError> {
        delegate!(self, s => s.read_hash_range(from, to))
    }
    fn hash_count(&self) -> Result<u64, StoreError> {
        delegate!(self, s => s.hash_count())
    }
    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        delegate!(self, s => s.checkpoints())
    }
    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        delegate!(self, s => s.latest_checkpoint())
    }
    fn actors(&self) -> Result<Vec<ActorRecord>, StoreError> {
        delegate!(self, s => s.actors())
    }
    fn event_location(&self, id: &EventId) -> Result<Option<EventLocation>, StoreError> {
        delegate!(self, s => s.event_location(id))
    }
    fn visit_events(
        &self,
        from: u64,
        limit: u64,
        visit: &mut dyn FnMut(EventRow<'_>) -> bool,
    ) -> Result<u64, StoreError> {
        delegate!(self, s => s.visit_events(from, limit, visit))
    }
    fn leaves_with_event_kind(&self, kind: EventKind) -> Result<Vec<u64>, StoreError> {
        delegate!(self, s => s.leaves_with_event_kind(kind))
    }
    fn event_count(&self) -> Result<u64, StoreError> {
        delegate!(self, s => s.event_count())
    }
    fn commit(&mut self, batch: AppendBatch) -> Result<(), StoreError> {
        delegate!(self, s => s.commit(batch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_told_apart_and_passwords_never_shown() {
        assert_eq!(
            Target::parse(Path::new("x.db")),
            Target::File(PathBuf::from("x.db"))
        );
        let pg = Target::parse(Path::new("postgres://u:secret@h:5432/d"));
        assert_eq!(pg, Target::Postgres("postgres://u:secret@h:5432/d".into()));
        assert_eq!(pg.to_string(), "postgres://u:***@h:5432/d");
        assert!(matches!(
            Target::parse(Path::new("postgresql://h/d")),
            Target::Postgres(_)
        ));
        assert_eq!(
            redact_password("postgres://u@h/d?sslmode=disable&password=x"),
            "postgres://u@h/d?sslmode=disable&password=***"
        );
        assert_eq!(
            redact_password("postgres://u:p@h?options=-csearch_path%3Ds"),
            "postgres://u:***@h?options=-csearch_path%3Ds"
        );
    }
}
