//! Shared fixtures for the store tests: a fresh database in a fresh directory,
//! real keys, real submissions.
#![allow(dead_code)]

use custodian_core::event::{ActorRegister, PublicKey, SiteRegister};
use custodian_core::{
    ActorId, Event, EventId, Party, Payload, Role, SignedSubmission, StateCode, Submission, UtcTime,
};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::submission::{approve, sign_submission};
use custodian_store::any::AnyStore;
use custodian_store::log::{genesis_submission, Log};
use custodian_store::sqlite::SqliteStore;
use custodian_store::{Meta, Store};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh, empty directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "custodian-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub const ORIGIN: &str = "custodian.test/log";

pub fn at(seconds: i64) -> UtcTime {
    UtcTime::from_unix_seconds(1_767_600_000 + seconds).expect("valid time")
}

/// Deterministic keys, so failures reproduce.
pub fn key(name: &str) -> SigningKey {
    use sha2::Digest;
    let seed: [u8; 32] = sha2::Sha256::digest(format!("custodian test key {name}")).into();
    SigningKey::from_seed(name, seed).expect("valid key name")
}

/// A log and the signing side of its actors, on any store: SQLite unless the
/// test says otherwise.
pub struct World<S: Store = SqliteStore> {
    pub log: Log<S>,
    pub log_key: SigningKey,
    pub seqs: std::collections::BTreeMap<String, u64>,
}

pub fn actor(id: &str) -> ActorId {
    ActorId::parse(id).expect("valid actor id")
}

/// The fixed facts of the tests' logs.
pub fn meta() -> Meta {
    Meta {
        origin: ORIGIN.into(),
        verifier_key: key(ORIGIN).verifier().to_text(),
    }
}

impl World {
    /// A new SQLite log at `path` with an administrator and two state officers
    /// and an inspector registered.
    pub fn create(path: &Path) -> World {
        World::create_on(SqliteStore::create(path, &meta()).expect("create store"))
    }

    /// A site registration payload, cheap filler for tests.
    pub fn site(n: u64) -> Payload {
        Payload::SiteRegister(SiteRegister {
            site: custodian_core::ids::SiteId::parse(&format!("site-{n}")).expect("site id"),
            name: format!("Site {n}"),
            state: StateCode::parse("XAA").expect("state"),
            site_type: "storage".into(),
        })
    }
}

/// A new log at `target` (`custodian_store::testing::TestTarget`), as
/// [`World::create`] makes it.
pub fn world_at(target: &custodian_store::any::Target) -> World<AnyStore> {
    World::create_on(AnyStore::create(target, &meta()).expect("create store"))
}

impl<S: Store> World<S> {
    /// A new log in the empty `store` with an administrator and two state
    /// officers and an inspector registered.
    pub fn create_on(store: S) -> World<S> {
        let log_key = key(ORIGIN);
        let mut log = Log::open(store).expect("open log");
        let genesis = genesis_submission(
            ORIGIN,
            actor("admin"),
            &key("admin"),
            Party::Body("secretariat".into()),
            None,
            at(0),
        )
        .expect("sign genesis");
        log.append(&[genesis], &log_key).expect("append genesis");
        let mut world = World {
            log,
            log_key,
            seqs: [("admin".to_string(), 1)].into_iter().collect(),
        };
        let regs = [
            ("xaa-officer-1", Role::StateAuthority, "state:XAA"),
            ("xaa-officer-2", Role::StateAuthority, "state:XAA"),
            ("inspector-1", Role::Inspector, "body:inspectorate"),
        ]
        .into_iter()
        .map(|(id, role, party)| {
            Payload::ActorRegister(ActorRegister {
                actor: actor(id),
                role,
                party: Party::parse(party).expect("party"),
                public_key: PublicKey(key(id).verifier().public_key()),
                name: None,
            })
        })
        .collect();
        let s = world.sign("admin", regs, &[]);
        world.append(&[s]);
        world
    }

    /// Signs `payloads` as the next submission of `actor_id`, each event approved by `approvers`.
    pub fn sign(
        &mut self,
        actor_id: &str,
        payloads: Vec<Payload>,
        approvers: &[&str],
    ) -> SignedSubmission {
        let seq = self.seqs.entry(actor_id.to_string()).or_insert(0);
        *seq += 1;
        let seq = *seq;
        let events = payloads
            .into_iter()
            .enumerate()
            .map(|(n, payload)| {
                let mut e = Event {
                    id: EventId::parse(&format!("{actor_id}:{seq}:{n}")).expect("id"),
                    time: at(seq as i64 * 60),
                    actor: actor(actor_id),
                    payload,
                    approvals: Vec::new(),
                };
                for a in approvers {
                    let approval = approve(&e, actor(a), &key(a)).expect("approve");
                    e.approvals.push(approval);
                }
                e
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

    pub fn append(&mut self, subs: &[SignedSubmission]) {
        self.log.append(subs, &self.log_key).expect("append");
    }
}

/// A log with `appends` more appends of a few events each, some with approvals.
pub fn populated(path: &Path, appends: u64) -> World {
    let mut w = World::create(path);
    populate(&mut w, appends);
    w
}

/// `appends` more appends to `w`, as [`populated`] makes them.
pub fn populate<S: Store>(w: &mut World<S>, appends: u64) {
    for i in 0..appends {
        let payloads = (0..(i % 3 + 1)).map(|k| World::site(i * 10 + k)).collect();
        let approvers: &[&str] = if i % 2 == 0 { &["xaa-officer-2"] } else { &[] };
        let s = w.sign("xaa-officer-1", payloads, approvers);
        w.append(&[s]);
    }
}
