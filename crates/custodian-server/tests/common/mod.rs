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
use custodian_store::log::{genesis_submission, Log};
use custodian_store::sqlite::SqliteStore;
use custodian_store::{Meta, Store};
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

/// A log on disk and the signing side of its actors; the server owns the
/// writing, this only signs and reads.
pub struct World {
    pub dir: TempDir,
    pub db: PathBuf,
    pub log_key: SigningKey,
    seqs: BTreeMap<String, u64>,
    events: u64,
}

impl World {
    /// A new log with an administrator, `officers` state officers of XAA and
    /// an inspector, then `sites` site registrations by officer 1, one per
    /// submission.
    pub fn create(tag: &str, officers: usize, sites: u64) -> World {
        let dir = TempDir::new(tag);
        let db = dir.path("log.db");
        let log_key = key(ORIGIN);
        let store = SqliteStore::create(
            &db,
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

    /// A read-only look at the store.
    pub fn store(&self) -> SqliteStore {
        SqliteStore::open(&self.db).expect("open store")
    }

    pub fn size(&self) -> u64 {
        self.store().tree_size().expect("tree size").0
    }

    /// The server's state over this log with the custody rule.
    pub fn ledger(&self, limits: Limits) -> Ledger {
        self.ledger_with(limits, custody_rules(Arc::new(AtomicUsize::new(0))))
    }

    pub fn ledger_with(&self, limits: Limits, rules: RuleFactory) -> Ledger {
        Ledger::open(
            &custodian_store::any::Target::File(self.db.clone()),
            self.log_key.clone(),
            rules,
            limits,
        )
        .expect("open ledger")
    }

    /// The router over this log with default limits.
    pub fn app(&self) -> Router {
        custodian_server::app(self.ledger(Limits::default()))
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
