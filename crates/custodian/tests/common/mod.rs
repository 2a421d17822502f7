//! The test directory every CLI test file uses: a fresh directory, the real
//! binary run inside it, its stdout, stderr and exit code, on the store the
//! suite runs on.
//!
//! With `CUSTODIAN_TEST_STORE=postgres` (and `CUSTODIAN_PG_URL`) the log of a
//! [`Dir::new`] is a PostgreSQL schema of its own (`custodian_store::testing`,
//! dropped with the directory), and every command run without a `--db` of its
//! own gets `--db <that schema's URL> --log-key <dir>/custodian.logkey`.
//! Without it, commands find `custodian.db` in the directory, as a user's
//! would. A test that is about SQLite files by nature uses [`Dir::sqlite`] and
//! says why. The bundled scenarios write SQLite files only; [`Dir::adopt`]
//! makes the file a scenario built the directory's log, so the commands that
//! read it run on either store.
#![allow(dead_code)]

use custodian_ledger::keys::SigningKey;
use custodian_store::any::AnyStore;
use custodian_store::log::Log;
use custodian_store::sqlite::SqliteStore;
use custodian_store::testing::TestTarget;
use custodian_store::Store;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The directory, and where its log is when a command names none.
pub struct Dir(pub PathBuf, DirLog);

/// Where a [`Dir`]'s log is.
#[derive(Default)]
struct DirLog {
    /// The PostgreSQL schema, when the suite runs on PostgreSQL.
    postgres: Option<TestTarget>,
    /// On SQLite, a file other than `custodian.db` ([`Dir::adopt`]).
    file: Option<String>,
}

/// The log key file of a PostgreSQL log in a [`Dir`].
const PG_LOG_KEY: &str = "custodian.logkey";

impl Dir {
    /// A fresh directory whose log is on the store the suite runs on.
    pub fn new(tag: &str) -> Dir {
        let mut dir = Dir::sqlite(tag);
        let target = TestTarget::new(tag, &dir.path("custodian.db"));
        if target.is_postgres() {
            dir.1.postgres = Some(target);
        }
        dir
    }

    /// A fresh directory whose log is the SQLite file `custodian.db` in it,
    /// whatever the suite runs on.
    pub fn sqlite(tag: &str) -> Dir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "custodian-cli-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        Dir(root, DirLog::default())
    }

    /// Whether this directory's log is on PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self.1.postgres.is_some()
    }

    /// The `--db` of this directory's log under PostgreSQL (the URL, password
    /// included).
    pub fn postgres_db(&self) -> Option<OsString> {
        self.1.postgres.as_ref().map(TestTarget::db_arg)
    }

    /// Makes the SQLite log `file` (relative to the directory), which a bundled
    /// scenario built, this directory's log: the commands run after it without
    /// a `--db` read it. On PostgreSQL the log is copied into the directory's
    /// schema, append group by append group, with the file's log key
    /// (`<file>.logkey`): the same leaves, hashes and signed checkpoints.
    pub fn adopt(&mut self, file: &str) {
        let Some(target) = &self.1.postgres else {
            self.1.file = Some(file.to_string());
            return;
        };
        let source = SqliteStore::open(&self.path(file)).expect("open the scenario's log");
        let key_path = self.path(&format!("{file}.logkey"));
        std::fs::copy(&key_path, self.path(PG_LOG_KEY)).expect("copy the log key");
        let key_text = std::fs::read_to_string(&key_path).expect("read the log key");
        let key = SigningKey::parse(key_text.trim_end()).expect("a log key");
        let meta = source.meta().expect("meta");
        let store = AnyStore::create(target.target(), &meta).expect("create the PostgreSQL log");
        let mut log = Log::open(store).expect("open the PostgreSQL log");
        let size = source.tree_size().expect("size").0;
        let mut group = Vec::new();
        for leaf in source.read_leaves(0, size).expect("leaves") {
            group.push(
                custodian_core::SignedSubmission::from_leaf_bytes(&leaf.data).expect("a leaf"),
            );
            // The last leaf of an append: its checkpoint's size.
            if leaf.index + 1 == leaf.checkpoint_size {
                log.append(&group, &key).expect("append the group again");
                group.clear();
            }
        }
        assert!(group.is_empty(), "{file} ends with a checkpoint");
        assert_eq!(
            log.store().checkpoints().expect("checkpoints"),
            source.checkpoints().expect("checkpoints"),
            "the copy signs the same checkpoints"
        );
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// The arguments of `custodian` for `args`: this directory's `--db` (and
    /// under PostgreSQL its `--log-key`) first, unless `args` name a `--db`.
    pub fn args(&self, args: &[&str]) -> Vec<OsString> {
        let mut all: Vec<OsString> = Vec::new();
        if !args.contains(&"--db") {
            if let Some(target) = &self.1.postgres {
                all.extend(["--db".into(), target.db_arg()]);
                if !args.contains(&"--log-key") {
                    all.extend(["--log-key".into(), self.path(PG_LOG_KEY).into()]);
                }
            } else if let Some(file) = &self.1.file {
                all.extend(["--db".into(), file.into()]);
            }
        }
        all.extend(args.iter().map(OsString::from));
        all
    }

    /// A `custodian` command in this directory, with [`Dir::args`].
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_custodian"));
        command.args(self.args(args)).current_dir(&self.0);
        command
    }

    /// Runs `custodian` in this directory.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run custodian")
    }
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "custodian {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
    /// Runs a command that must fail with `code`; returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "custodian {args:?}: expected exit {code}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }
}

impl Dir {
    /// Generates `id`'s key pair here and registers it with `role` and
    /// `party`, signed by the log's administrator (`admin.key`, from `init`).
    pub fn add_actor(&self, id: &str, role: &str, party: &str) {
        self.ok(&["key", "generate", id]);
        let vkey = format!("{id}.vkey");
        self.ok(&[
            "actor",
            "add",
            id,
            "--role",
            role,
            "--party",
            party,
            "--public-key",
            &vkey,
            "--key",
            "admin.key",
        ]);
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The tree size, from the latest checkpoint.
pub fn size(dir: &Dir) -> u64 {
    let out = dir.ok(&["--json", "log", "head"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["tree_size"].as_u64().unwrap()
}

/// The tree size of the log at `db` (a path or a URL).
pub fn size_of(dir: &Dir, db: &str) -> u64 {
    let out = dir.ok(&["--db", db, "--json", "log", "head"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["tree_size"].as_u64().unwrap()
}
