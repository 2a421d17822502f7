//! Test support shared by the test suites of this crate, the `custodian`
//! binary and the server: which store a suite runs on, and a fresh, empty
//! place for one test's log on it. One body of tests runs on SQLite and on
//! PostgreSQL, the way rustls runs one suite per crypto provider
//! (CONTRIBUTING.md, "Testing with multiple `CryptoProvider`s"); each test
//! gets a database of its own, as `#[sqlx::test]` does (launchbadge/sqlx
//! `src/macros/test.md`). Nothing here is for production use: it creates and
//! drops PostgreSQL schemas.
//!
//! The environment:
//!
//! - `CUSTODIAN_TEST_STORE`: `sqlite` (the default) or `postgres`: the store
//!   that [`TestTarget::new`] gives every test that does not need SQLite by
//!   nature.
//! - `CUSTODIAN_PG_URL`: the PostgreSQL server, e.g.
//!   `postgres://custodian:custodian@127.0.0.1:5432/custodian_test` (`.ci/run`
//!   starts one). Each test works in a schema of its own on it, created for
//!   the test and dropped after, so tests run in parallel on one database.
//!
//! Without a reachable server, PostgreSQL tests say once why they skip (and a
//! suite asked to run on PostgreSQL runs on SQLite instead), except under
//! `CI=true`, where they fail: CI must not skip them.

use crate::any::Target;
use std::ffi::OsString;
use std::path::Path;

/// The variable that chooses the store a test suite runs on.
pub const STORE_ENV: &str = "CUSTODIAN_TEST_STORE";

/// The variable that names the PostgreSQL server of the tests.
pub const PG_URL_ENV: &str = "CUSTODIAN_PG_URL";

/// Whether `CI=true`: then a PostgreSQL test that cannot run fails.
fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Whether `CUSTODIAN_TEST_STORE` asks for PostgreSQL. Any value other than
/// `sqlite`, `postgres` or nothing is a mistake and panics, so a typo cannot
/// quietly run the suite on SQLite.
pub fn postgres_requested() -> bool {
    match std::env::var(STORE_ENV) {
        Err(_) => false,
        Ok(v) if v.is_empty() || v == "sqlite" => false,
        Ok(v) if v == "postgres" || v == "postgresql" => true,
        Ok(v) => panic!("{STORE_ENV}={v:?}: expected sqlite or postgres"),
    }
}

/// Whether this suite runs on PostgreSQL: `CUSTODIAN_TEST_STORE=postgres` and
/// the server of `CUSTODIAN_PG_URL` answers. Asked for but unreachable: says
/// once that the suite runs on SQLite instead, or panics under `CI=true`.
pub fn suite_on_postgres() -> bool {
    postgres_requested() && pg_server().is_some()
}

/// A fresh place for one test's log: a file under SQLite, a schema of its own
/// under PostgreSQL (dropped with the value).
pub struct TestTarget {
    target: Target,
    #[cfg(feature = "postgres")]
    schema: Option<Schema>,
}

impl TestTarget {
    /// The store the suite runs on ([`suite_on_postgres`]): a new schema named
    /// after `tag`, or the SQLite file `file`.
    pub fn new(tag: &str, file: &Path) -> TestTarget {
        #[cfg(feature = "postgres")]
        if suite_on_postgres() {
            let server = pg_server().expect("suite_on_postgres checked the server");
            let schema = Schema::new(server, tag);
            return TestTarget {
                target: Target::Postgres(schema.url().to_string()),
                schema: Some(schema),
            };
        }
        #[cfg(not(feature = "postgres"))]
        if postgres_requested() {
            panic!(
                "{STORE_ENV}=postgres for test {tag:?}, but custodian-store was built without feature `postgres`"
            );
        }
        TestTarget::file(file)
    }

    /// The SQLite file `file`, whatever the suite runs on: for tests that are
    /// about SQLite files by nature (tampering with their bytes, crashes).
    pub fn file(file: &Path) -> TestTarget {
        TestTarget {
            target: Target::File(file.to_path_buf()),
            #[cfg(feature = "postgres")]
            schema: None,
        }
    }

    /// Where the log lives, for [`crate::any::AnyStore`].
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Whether this is a PostgreSQL schema.
    pub fn is_postgres(&self) -> bool {
        matches!(self.target, Target::Postgres(_))
    }

    /// The value of `custodian --db`: the file path or the URL (with its
    /// password: it is for the command line, never for messages).
    pub fn db_arg(&self) -> OsString {
        match &self.target {
            Target::File(path) => path.clone().into_os_string(),
            Target::Postgres(url) => url.into(),
        }
    }

    /// The schema, under PostgreSQL.
    #[cfg(feature = "postgres")]
    pub fn schema(&self) -> Option<&Schema> {
        self.schema.as_ref()
    }
}

/// Without the `postgres` feature there is no server to reach.
#[cfg(not(feature = "postgres"))]
pub fn pg_server() -> Option<&'static str> {
    if in_ci() && std::env::var(PG_URL_ENV).is_ok() {
        panic!("{PG_URL_ENV} is set and CI=true, but custodian-store was built without feature `postgres`");
    }
    None
}

#[cfg(feature = "postgres")]
pub use pg::{pg_server, Schema};

#[cfg(feature = "postgres")]
mod pg {
    use super::{in_ci, PG_URL_ENV, STORE_ENV};
    use ::postgres::{Client, Config, NoTls};
    use std::io::Write;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::OnceLock;
    use std::time::Duration;

    /// The tables of a Custodian log, for [`Schema::copy`].
    const TABLES: [&str; 7] = [
        "meta",
        "sequencer",
        "leaves",
        "hashes",
        "checkpoints",
        "actors",
        "events",
    ];

    /// The test server's connection string, or `None` after saying once (on
    /// stderr, past the test harness's capture) why PostgreSQL tests skip.
    /// Under `CI=true` a missing or unreachable server panics instead.
    pub fn pg_server() -> Option<&'static str> {
        static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
        let ci = in_ci();
        let found = SERVER.get_or_init(|| {
            let found = reach_server();
            if let (Err(why), false) = (&found, ci) {
                let instead = if super::postgres_requested() {
                    format!("; {STORE_ENV}=postgres, but the suite runs on SQLite")
                } else {
                    String::new()
                };
                let _ = writeln!(
                    std::io::stderr(),
                    "skipping PostgreSQL tests: {why}{instead} (e.g. {PG_URL_ENV}=postgres://custodian:custodian@127.0.0.1:5432/custodian_test)"
                );
            }
            found
        });
        match found {
            Ok(url) => Some(url),
            Err(why) if ci => panic!(
                "{why}, and CI=true: the PostgreSQL tests must run in CI (.ci/run starts the server)"
            ),
            Err(_) => None,
        }
    }

    fn reach_server() -> Result<String, String> {
        let url = std::env::var(PG_URL_ENV).map_err(|_| format!("{PG_URL_ENV} is not set"))?;
        let mut config: Config = url
            .parse()
            .map_err(|e| format!("{PG_URL_ENV} does not parse: {e}"))?;
        config.connect_timeout(Duration::from_secs(5));
        config.connect(NoTls).map_err(|e| {
            let cause = match (e.as_db_error(), std::error::Error::source(&e)) {
                (Some(db), _) => db.message().to_string(),
                (None, Some(source)) => format!("{e}: {source}"),
                (None, None) => e.to_string(),
            };
            format!("the server of {PG_URL_ENV} cannot be reached: {cause}")
        })?;
        Ok(url)
    }

    /// Runs `sql` on a connection of its own to `server`, on a thread of its
    /// own: the synchronous client cannot run on a thread that drives an async
    /// test's runtime, where schemas are made and dropped too.
    fn execute(server: &str, sql: &str) -> Result<(), String> {
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut c = Client::connect(server, NoTls).map_err(|e| e.to_string())?;
                c.batch_execute(sql).map_err(|e| format!("{sql}: {e}"))
            })
            .join()
            .map_err(|_| "the SQL thread panicked".to_string())?
        })
    }

    /// A schema of its own for one test on the test server, dropped with
    /// everything in it when the value is dropped.
    pub struct Schema {
        server: &'static str,
        name: String,
        url: String,
    }

    impl Schema {
        /// Creates a schema with a unique name that starts with `tag` (letters
        /// and digits kept, 16 at most: the name must stay within
        /// PostgreSQL's 63 bytes).
        pub fn new(server: &'static str, tag: &str) -> Schema {
            static COUNTER: AtomicU32 = AtomicU32::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let tag: String = tag
                .chars()
                .map(|c| c.to_ascii_lowercase())
                .filter(char::is_ascii_alphanumeric)
                .take(16)
                .collect();
            let name = format!(
                "custodian_test_{tag}_{}_{}_{nanos}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            execute(server, &format!("CREATE SCHEMA {name}"))
                .unwrap_or_else(|e| panic!("create the test schema: {e}"));
            Schema {
                server,
                url: with_search_path(server, &name),
                name,
            }
        }

        /// The schema's name.
        pub fn name(&self) -> &str {
            &self.name
        }

        /// The server's connection string with this schema as the
        /// `search_path` (`options=-csearch_path%3D<schema>`, see
        /// [`crate::postgres::PostgresStore::create`]).
        pub fn url(&self) -> &str {
            &self.url
        }

        /// A connection of its own in this schema, for raw SQL (not from an
        /// async task: the client blocks).
        pub fn sql(&self) -> Client {
            Client::connect(&self.url, NoTls).expect("connect to the test schema")
        }

        /// A new schema holding a copy of this one's tables and rows.
        pub fn copy(&self, tag: &str) -> Schema {
            let copy = Schema::new(self.server, tag);
            let sql: String = TABLES
                .iter()
                .map(|table| {
                    format!(
                        "CREATE TABLE {to}.{table} (LIKE {from}.{table} INCLUDING ALL); \
                         INSERT INTO {to}.{table} SELECT * FROM {from}.{table};",
                        to = copy.name,
                        from = self.name
                    )
                })
                .collect();
            execute(self.server, &sql).unwrap_or_else(|e| panic!("copy the tables: {e}"));
            copy
        }
    }

    impl Drop for Schema {
        fn drop(&mut self) {
            let _ = execute(
                self.server,
                &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name),
            );
        }
    }

    /// `server` with `search_path` set to `schema` for every connection, in
    /// either form of libpq connection string.
    fn with_search_path(server: &str, schema: &str) -> String {
        if server.starts_with("postgres://") || server.starts_with("postgresql://") {
            let sep = if server.contains('?') { '&' } else { '?' };
            format!("{server}{sep}options=-csearch_path%3D{schema}")
        } else {
            format!("{server} options='-csearch_path={schema}'")
        }
    }
}
