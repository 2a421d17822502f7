//! Shared fixtures for the server tests: a fresh database in a fresh
//! directory, real keys, real signed submissions, the custody engine as the
//! append rule, and the router driven in-process.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use custodian_core::event::{ActorRegister, PublicKey, SiteRegister};
use custodian_core::ids::SiteId;
use custodian_core::{
    ActorId, Event, EventId, Party, Payload, Role, SignedSubmission, StateCode, Submission, UtcTime,
};
use custodian_custody::{Custody, CustodyRule};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::submission::sign_submission;
use custodian_server::{BoxError, Ledger, Limits, RuleFactory};
use custodian_store::any::{AnyStore, Target};
use custodian_store::log::{genesis_submission, Log};
use custodian_store::testing::TestTarget;
use custodian_store::{
    AppendBatch, EventLocation, EventRow, Meta, Store, StoreError, StoredCheckpoint, StoredLeaf,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

/// A fresh, empty directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "custodian-server-test-{tag}-{}-{}-{nanos}",
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

pub const ORIGIN: &str = "custodian.test/server";

pub fn at(seconds: i64) -> UtcTime {
    UtcTime::from_unix_seconds(1_767_600_000 + seconds).expect("valid time")
}

/// Deterministic keys, so failures reproduce.
pub fn key(name: &str) -> SigningKey {
    use sha2::Digest;
    let seed: [u8; 32] = sha2::Sha256::digest(format!("custodian server test key {name}")).into();
    SigningKey::from_seed(name, seed).expect("valid key name")
}

pub fn actor(id: &str) -> ActorId {
    ActorId::parse(id).expect("valid actor id")
}

/// The state officers registered by [`World::create`]: state authorities of
/// XAA, each allowed to register sites.
pub fn officer(n: usize) -> String {
    format!("xaa-officer-{n}")
}

/// A log and the signing side of its actors; the server owns the writing,
/// this only signs and reads. The log is on the store the suite runs on
/// (`CUSTODIAN_TEST_STORE`, `custodian_store::testing`): the SQLite file `db`,
/// or a PostgreSQL schema of its own, dropped with the world.
pub struct World {
    pub dir: TempDir,
    /// The SQLite file (under PostgreSQL, unused).
    pub db: PathBuf,
    /// Where the log is: `db`, or the schema.
    pub target: TestTarget,
    pub log_key: SigningKey,
    seqs: BTreeMap<String, u64>,
    events: u64,
}

impl World {
    /// A new log with an administrator, `officers` state officers of XAA and
    /// an inspector, then `sites` site registrations by officer 1, one per
    /// submission.
    pub fn create(tag: &str, officers: usize, sites: u64) -> World {
        // Off the async test's thread: see [`WorldStore`].
        std::thread::scope(|s| {
            s.spawn(|| World::create_here(tag, officers, sites))
                .join()
                .expect("create the world")
        })
    }

    fn create_here(tag: &str, officers: usize, sites: u64) -> World {
        let dir = TempDir::new(tag);
        let db = dir.path("log.db");
        let target = TestTarget::new(tag, &db);
        let log_key = key(ORIGIN);
        let store = AnyStore::create(
            target.target(),
            &Meta {
                origin: ORIGIN.into(),
                verifier_key: log_key.verifier().to_text(),
            },
        )
        .expect("create store");
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
            dir,
            db,
            target,
            log_key,
            seqs: [("admin".to_string(), 1)].into_iter().collect(),
            events: 0,
        };
        let mut regs: Vec<Payload> = (1..=officers)
            .map(|n| register(&officer(n), Role::StateAuthority, "state:XAA"))
            .collect();
        regs.push(register(
            "inspector-1",
            Role::Inspector,
            "body:inspectorate",
        ));
        let s = world.sign("admin", regs);
        log.append(&[s], &world.log_key).expect("register actors");
        for n in 0..sites {
            let s = world.sign(&officer(1), vec![site(&format!("site-{n}"))]);
            log.append(&[s], &world.log_key).expect("append site");
        }
        world
    }

    /// Signs `payloads` as the next submission of `actor_id`.
    pub fn sign(&mut self, actor_id: &str, payloads: Vec<Payload>) -> SignedSubmission {
        let seq = self.seqs.entry(actor_id.to_string()).or_insert(0);
        *seq += 1;
        let seq = *seq;
        self.sign_with_seq(actor_id, seq, payloads)
    }

    /// Signs `payloads` as submission `seq` of `actor_id`, leaving the
    /// counter alone.
    pub fn sign_with_seq(
        &mut self,
        actor_id: &str,
        seq: u64,
        payloads: Vec<Payload>,
    ) -> SignedSubmission {
        let events = payloads
            .into_iter()
            .map(|payload| {
                self.events += 1;
                Event {
                    id: EventId::parse(&format!("{actor_id}:{seq}:{}", self.events)).expect("id"),
                    time: at(self.events as i64 * 60),
                    actor: actor(actor_id),
                    payload,
                    approvals: Vec::new(),
                }
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

    /// A connection of the test's own to the store, usable in an async test.
    pub fn store(&self) -> WorldStore {
        let target = self.target();
        WorldStore(std::sync::Mutex::new(std::thread::scope(|s| {
            s.spawn(|| AnyStore::open(target).expect("open store"))
                .join()
                .expect("open store")
        })))
    }

    /// Where the log is, for [`Ledger::open`].
    pub fn target(&self) -> &Target {
        self.target.target()
    }

    pub fn size(&self) -> u64 {
        self.store().tree_size().expect("tree size").0
    }

    /// The server's state over this log with the custody rule.
    pub fn ledger(&self, limits: Limits) -> Ledger {
        self.ledger_with(limits, custody_rules(Arc::new(AtomicUsize::new(0))))
    }

    pub fn ledger_with(&self, limits: Limits, rules: RuleFactory) -> Ledger {
        // Off the async test's thread: see [`WorldStore`].
        std::thread::scope(|s| {
            s.spawn(|| {
                Ledger::open(self.target(), self.log_key.clone(), rules, limits)
                    .expect("open ledger")
            })
            .join()
            .expect("open ledger")
        })
    }

    /// The router over this log with default limits.
    pub fn app(&self) -> Router {
        custodian_server::app(self.ledger(Limits::default()))
    }
}

/// A [`World`]'s store for a test's own reads and writes, usable inside an
/// async test: every call runs on a thread of its own, because the
/// PostgreSQL client blocks on a tokio runtime of its own, which tokio refuses
/// on a thread that drives the test's runtime. (SQLite would not mind; both
/// take the same path.)
pub struct WorldStore(std::sync::Mutex<AnyStore>);

impl WorldStore {
    fn call<T: Send>(&self, f: impl FnOnce(&mut AnyStore) -> T + Send) -> T {
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut store = self
                    .0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                f(&mut store)
            })
            .join()
            .expect("a store call panicked")
        })
    }
}

impl Store for WorldStore {
    fn meta(&self) -> Result<Meta, StoreError> {
        self.call(|s| s.meta())
    }
    fn tree_size(&self) -> Result<custodian_core::TreeSize, StoreError> {
        self.call(|s| s.tree_size())
    }
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<custodian_ledger::Hash>, StoreError> {
        self.call(|s| s.read_hashes(indexes))
    }
    fn read_leaves(&self, from: u64, to: u64) -> Result<Vec<StoredLeaf>, StoreError> {
        self.call(|s| s.read_leaves(from, to))
    }
    fn read_hash_range(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, custodian_ledger::Hash)>, StoreError> {
        self.call(|s| s.read_hash_range(from, to))
    }
    fn hash_count(&self) -> Result<u64, StoreError> {
        self.call(|s| s.hash_count())
    }
    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        self.call(|s| s.checkpoints())
    }
    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.call(|s| s.latest_checkpoint())
    }
    fn actors(&self) -> Result<Vec<custodian_ledger::registry::ActorRecord>, StoreError> {
        self.call(|s| s.actors())
    }
    fn event_location(&self, id: &EventId) -> Result<Option<EventLocation>, StoreError> {
        self.call(|s| s.event_location(id))
    }
    fn visit_events(
        &self,
        from: u64,
        limit: u64,
        visit: &mut dyn FnMut(EventRow<'_>) -> bool,
    ) -> Result<u64, StoreError> {
        // The rows are fetched on the store's thread, then shown here.
        let rows = self.call(|s| {
            let mut rows = Vec::new();
            s.visit_events(from, limit, &mut |r| {
                rows.push((
                    r.n,
                    r.id.to_string(),
                    r.leaf,
                    r.position,
                    r.kind.to_string(),
                ));
                true
            })
            .map(|_| rows)
        })?;
        let mut shown = 0;
        for (n, id, leaf, position, kind) in &rows {
            shown += 1;
            let row = EventRow {
                n: *n,
                id,
                leaf: *leaf,
                position: *position,
                kind,
            };
            if !visit(row) {
                break;
            }
        }
        Ok(shown)
    }
    fn leaves_with_event_kind(
        &self,
        kind: custodian_core::EventKind,
    ) -> Result<Vec<u64>, StoreError> {
        self.call(|s| s.leaves_with_event_kind(kind))
    }
    fn event_count(&self) -> Result<u64, StoreError> {
        self.call(|s| s.event_count())
    }
    fn commit(&mut self, batch: AppendBatch) -> Result<(), StoreError> {
        self.call(|s| s.commit(batch))
    }
}

pub fn register(id: &str, role: Role, party: &str) -> Payload {
    Payload::ActorRegister(ActorRegister {
        actor: actor(id),
        role,
        party: Party::parse(party).expect("party"),
        public_key: PublicKey(key(id).verifier().public_key()),
        name: None,
    })
}

/// A site registration: the custody engine refuses a site id twice.
pub fn site(id: &str) -> Payload {
    Payload::SiteRegister(SiteRegister {
        site: SiteId::parse(id).expect("site id"),
        name: format!("Site {id}"),
        state: StateCode::parse("XAA").expect("state"),
        site_type: "storage".into(),
    })
}

/// The custody engine's rule, built from every leaf of the log; `builds`
/// counts how often the server asked for it.
pub fn custody_rules(builds: Arc<AtomicUsize>) -> RuleFactory {
    Arc::new(move |log: &Log<custodian_store::any::AnyStore>| {
        builds.fetch_add(1, Ordering::SeqCst);
        let mut rule = CustodyRule::new(Custody::new());
        log.for_each_submission(0, |leaf, signed| {
            rule.preload(leaf, &signed).map_err(BoxError::from)
        })?;
        Ok(Box::new(rule)
            as Box<
                dyn custodian_ledger::registry::SubmissionRule + Send,
            >)
    })
}

/// The canonical bytes of a signed submission: what a client sends.
pub fn bytes(s: &SignedSubmission) -> Vec<u8> {
    s.leaf_bytes().expect("encode")
}

/// A JSON array of submissions, each in canonical bytes.
pub fn batch(subs: &[SignedSubmission]) -> Vec<u8> {
    let mut out = b"[".to_vec();
    for (i, s) in subs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend(bytes(s));
    }
    out.push(b']');
    out
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts a JSON error with this status, code and field.
    pub fn assert_error(&self, status: StatusCode, code: &str, field: Option<&str>) {
        let v = self.json();
        assert_eq!(
            (self.status, v["error"]["code"].as_str()),
            (status, Some(code)),
            "unexpected reply: {v}"
        );
        assert!(
            self.content_type.starts_with("application/json"),
            "content type {:?}",
            self.content_type
        );
        assert_eq!(v["error"]["field"].as_str(), field, "field of {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "message of {v}"
        );
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("read body")
        .to_vec();
    Reply {
        status,
        content_type,
        headers,
        body,
    }
}

pub async fn get(app: &Router, uri: &str) -> Reply {
    send(
        app,
        Request::builder()
            .uri(uri)
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

/// POSTs `body` as JSON to `/api/v1/submissions`, with its Content-Length.
pub async fn post(app: &Router, body: Vec<u8>) -> Reply {
    send(
        app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/submissions")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .expect("request"),
    )
    .await
}

/// The tree size the server reports.
pub async fn served_size(app: &Router) -> u64 {
    let reply = get(app, "/api/v1/checkpoint").await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.json()["tree_size"].as_u64().expect("tree_size")
}

pub fn db_path(world: &World) -> &Path {
    &world.db
}

// ---------------------------------------------------------------------------
// Signed reads and hand-built submissions (access control, tiles).
// ---------------------------------------------------------------------------

/// The server's clock, as a signed read states it.
pub fn now_utc() -> UtcTime {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    UtcTime::from_unix_seconds(seconds).expect("a time in years 0 to 9999")
}

/// A nonce never used before in this process (a counter and the clock,
/// hashed: tests need uniqueness, not secrecy).
pub fn fresh_nonce() -> [u8; 16] {
    use sha2::Digest;
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let digest = sha2::Sha256::digest(format!("nonce {} {n} {nanos}", std::process::id()));
    let mut nonce = [0u8; 16];
    nonce.copy_from_slice(&digest[..16]);
    nonce
}

/// The `Authorization` header of a signed read of `uri` by `actor` (its key
/// is [`key`]`(actor)`), now, with a fresh nonce.
pub fn signed_read(actor: &str, method: &str, uri: &str) -> String {
    custodian_server::auth::sign_read(&key(actor), ORIGIN, method, uri, now_utc(), &fresh_nonce())
}

/// GETs `uri` with this `Authorization` header.
pub async fn get_with(app: &Router, uri: &str, authorization: &str) -> Reply {
    send(
        app,
        Request::builder()
            .uri(uri)
            .header(header::AUTHORIZATION, authorization)
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

/// GETs `uri` as `actor` (a signed read), or as the public for `None`.
pub async fn get_as(app: &Router, actor: Option<&str>, uri: &str) -> Reply {
    match actor {
        Some(actor) => get_with(app, uri, &signed_read(actor, "GET", uri)).await,
        None => get(app, uri).await,
    }
}

/// Submission `seq` of `actor`, one event per `(kind, payload)`, built from
/// JSON and signed with [`key`]`(actor)`; `tag` keeps event ids unique.
pub fn sign_events(actor: &str, seq: u64, tag: &str, events: &[(&str, Value)]) -> SignedSubmission {
    let events: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(i, (kind, payload))| {
            serde_json::json!({
                "v": 1,
                "id": format!("{actor}:{seq}:{tag}{i}"),
                "time": "2026-01-06T10:00:00Z",
                "actor": actor,
                "kind": kind,
                "payload": payload,
                "approvals": [],
            })
        })
        .collect();
    let (submission, _) = SignedSubmission::parse_json(serde_json::json!({
        "v": 1, "log": ORIGIN, "actor": actor, "seq": seq, "events": events,
    }))
    .unwrap_or_else(|e| panic!("a valid submission of {actor}: {e:?}"));
    sign_submission(submission, &key(actor)).expect("sign")
}

/// The `actor.register` payload, as JSON, of an actor whose key is [`key`]`(id)`.
pub fn register_json(id: &str, role: Role, party: &str) -> Value {
    serde_json::json!({
        "actor": id,
        "role": role.as_str(),
        "party": party,
        "public_key": custodian_core::encoding::base64(&key(id).verifier().public_key()),
    })
}

/// The `seq` the log expects next from `actor` (1 for an unknown actor).
pub fn next_seq<S: Store>(store: &S, actor: &str) -> u64 {
    store
        .actors()
        .expect("actors")
        .into_iter()
        .find(|r| r.id.as_str() == actor)
        .map_or(1, |r| r.next_seq)
}

/// A server on 127.0.0.1:0 on a runtime of its own thread, with the ledger's
/// limits; dropped, it stops and its thread is joined.
pub struct Running {
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    pub fn start(ledger: Ledger) -> Running {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                addr_tx
                    .send(listener.local_addr().expect("addr"))
                    .expect("send addr");
                let limits = ledger.limits().clone();
                custodian_server::serve(listener, custodian_server::app(ledger), &limits, async {
                    let _ = stopped.await;
                })
                .await
                .expect("serve");
            });
        });
        Running {
            addr: addr_rx.recv().expect("server started"),
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
