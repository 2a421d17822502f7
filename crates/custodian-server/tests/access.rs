//! The access matrix (issue 8, "no one in where they don't belong"), driven
//! in-process (tower `oneshot`) over a real log:
//!
//! - **reads**: every viewer — the public, an actor of every role, and an
//!   actor of another state — against every route the OpenAPI document
//!   lists (a route with no expectation here fails the test), checking the
//!   status and that no body carries content the viewer may not read;
//! - **writes**: every role against every event kind, accepted exactly when
//!   the log's rules permit it (`EventKind::permits`, then the parties the
//!   approval policy names), refused with a JSON error and nothing appended
//!   otherwise;
//! - replayed, expired, forged and oversized requests, each a JSON error and
//!   no change to the log.
//!
//! The views (registry, items, findings, accountancy, escrow, review) are
//! computed by the binary's engines; here they are [`StubViews`], which
//! answers each view with a document that names the request, and lists the
//! log's MBAs with their states, so that what is tested is the server's own
//! gate (who may ask). A view route that the in-process app does not serve
//! (the JSON `404` "no such route", or `no_views`) is skipped and counted;
//! `crates/custodian/tests/serve_access.rs` runs the same expectations over
//! real HTTP against `custodian serve` and the real engines.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use common::*;
use custodian_core::encoding::hex;
use custodian_core::event::Payload;
use custodian_core::{EventKind, Role, SignedSubmission, UtcTime};
use custodian_ledger::registry::{NoRule, SubmissionRule};
use custodian_server::auth::{sign_read, AUTHORIZATION_BYTES_MAX, WINDOW_SECONDS};
use custodian_server::{Limits, MbaListing, RuleFactory, ViewError, ViewRequest, Views};
use custodian_store::any::AnyStore;
use custodian_store::log::Log;
use custodian_store::Store;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

// ---------------------------------------------------------------------------
// Who reads, and what is secret from whom.
// ---------------------------------------------------------------------------

/// The viewers: the public, one actor of every role, and an actor of another
/// state. `World::create` registers `admin`, `xaa-officer-1` and
/// `inspector-1`; [`read_world`] registers the others.
const VIEWERS: &[(&str, Option<&str>)] = &[
    ("the public", None),
    ("an administrator (body:secretariat)", Some("admin")),
    ("a state authority of XAA", Some("xaa-officer-1")),
    ("an operator of XAA", Some("xaa-operator")),
    ("an inspector (body:inspectorate)", Some("inspector-1")),
    (
        "a secretariat (body:npt-secretariat)",
        Some("npt-secretariat"),
    ),
    ("an observer of XAA", Some("xaa-observer")),
    (
        "a state authority of XBB, another state",
        Some("xbb-officer"),
    ),
];

/// Restricted content, by whose it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Secret {
    /// XAA's facility-level accounts, submitted by XAA's operator.
    Xaa,
    /// XBB's, submitted by XBB's operator.
    Xbb,
    /// A measurement submitted by the inspectorate: inspectors only.
    Inspectorate,
}

const SECRETS: [Secret; 3] = [Secret::Xaa, Secret::Xbb, Secret::Inspectorate];

/// Who may read what: written out here, not computed with the server's
/// `Viewer::may_read`, so that the test checks the rule rather than repeats it.
fn may_read(viewer: Option<&str>, secret: Secret) -> bool {
    matches!(
        (viewer, secret),
        (Some("inspector-1"), _)
            | (
                Some("xaa-officer-1" | "xaa-operator" | "xaa-observer"),
                Secret::Xaa
            )
            | (Some("xbb-officer" | "xbb-operator"), Secret::Xbb)
    )
}

/// Strings that occur only in each secret's leaves: names, ids, batch codes
/// and masses.
fn markers(secret: Secret) -> &'static [&'static str] {
    match secret {
        Secret::Xaa => &[
            "xaa-secret-hall-7f3a",
            "Xaa Secret Enrichment Hall 7f3a",
            "XAAQ7F3A",
            "xaa-secret-batch-7f3a",
            "8675309.25",
        ],
        Secret::Xbb => &[
            "xbb-secret-line-41c9",
            "Xbb Secret Reprocessing Line 41c9",
            "XBBQ41C9",
            "xbb-secret-batch-41c9",
            "1234567.75",
        ],
        Secret::Inspectorate => &["inspectorate-only-batch-c0de", "7777777.5"],
    }
}

/// Asserts that the answer `body` to `uri` shows none of the secrets
/// `viewer` may not read, as text or as the hex of leaf bytes (a marker the
/// viewer put in the URI itself may be echoed back).
fn assert_no_secret(viewer: Option<&str>, uri: &str, what: &str, body: &[u8]) {
    let text = String::from_utf8_lossy(body);
    for secret in SECRETS {
        if may_read(viewer, secret) {
            continue;
        }
        for marker in markers(secret).iter().filter(|m| !uri.contains(*m)) {
            assert!(
                !text.contains(marker) && !text.contains(&hex(marker.as_bytes())),
                "{what}: {viewer:?} was shown {secret:?} content ({marker:?})"
            );
            assert!(
                !body.windows(marker.len()).any(|w| w == marker.as_bytes()),
                "{what}: {viewer:?} was shown {secret:?} bytes ({marker:?})"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// The logs.
// ---------------------------------------------------------------------------

/// Appends through the API and tracks each actor's `seq`.
struct Writer {
    app: Router,
    seqs: BTreeMap<String, u64>,
}

impl Writer {
    fn new<S: Store>(app: Router, store: &S) -> Writer {
        let seqs = store
            .actors()
            .expect("actors")
            .into_iter()
            .map(|r| (r.id.as_str().to_string(), r.next_seq))
            .collect();
        Writer { app, seqs }
    }

    fn next(&self, actor: &str) -> u64 {
        self.seqs.get(actor).copied().unwrap_or(1)
    }

    /// The next submission of `actor`, not yet sent.
    fn sign(&self, actor: &str, events: &[(&str, Value)]) -> SignedSubmission {
        sign_events(actor, self.next(actor), "e", events)
    }

    /// Sends `signed` (built by [`Writer::sign`]); on `201` advances the seq.
    async fn send(&mut self, signed: &SignedSubmission) -> Reply {
        let reply = post(&self.app, bytes(signed)).await;
        if reply.status == StatusCode::CREATED {
            let actor = signed.submission.actor.as_str().to_string();
            let next = self.next(&actor) + 1;
            self.seqs.insert(actor, next);
        }
        reply
    }

    /// Appends one submission and returns its leaf index.
    async fn append(&mut self, actor: &str, events: &[(&str, Value)]) -> u64 {
        let signed = self.sign(actor, events);
        let reply = self.send(&signed).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{actor}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()["first_leaf"].as_u64().expect("first_leaf")
    }

    /// Appends a batch of submissions of one actor.
    async fn append_many(&mut self, actor: &str, payloads: Vec<(&str, Value)>) {
        let first = self.next(actor);
        let subs: Vec<SignedSubmission> = payloads
            .iter()
            .enumerate()
            .map(|(i, event)| {
                sign_events(actor, first + i as u64, "e", std::slice::from_ref(event))
            })
            .collect();
        let reply = post(&self.app, batch(&subs)).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        self.seqs
            .insert(actor.to_string(), first + payloads.len() as u64);
    }
}

/// The engines' views as far as access control needs them: each view answers
/// `{"view": <the request>}`, and the MBAs are read from the log's
/// `facility.register` and `mba.register` events.
struct StubViews;

impl Views for StubViews {
    fn view(&self, _: &Log<AnyStore>, request: &ViewRequest) -> Result<Value, ViewError> {
        Ok(json!({ "view": format!("{request:?}") }))
    }

    fn mbas(&self, log: &Log<AnyStore>) -> Result<Vec<MbaListing>, ViewError> {
        let mut facilities = BTreeMap::new();
        let mut mbas = Vec::new();
        log.for_each_submission(0, |_, signed| {
            for event in &signed.submission.events {
                match &event.payload {
                    Payload::FacilityRegister(f) => {
                        facilities.insert(f.facility.as_str().to_string(), f.state);
                    }
                    Payload::MbaRegister(m) => {
                        mbas.push((m.mba.clone(), m.facility.as_str().to_string()))
                    }
                    _ => {}
                }
            }
            Ok::<(), custodian_store::StoreError>(())
        })
        .map_err(|e| ViewError::Internal(e.to_string()))?;
        Ok(mbas
            .into_iter()
            .filter_map(|(mba, facility)| {
                let state = *facilities.get(&facility)?;
                Some(MbaListing {
                    mba,
                    facility,
                    state,
                })
            })
            .collect())
    }
}

/// Where the restricted leaves of the read world are.
struct ReadWorld {
    world: World,
    app: Router,
    /// Restricted leaves and whose they are.
    secret_leaves: BTreeMap<u64, Secret>,
    size: u64,
}

/// A log holding public data (sites, an item, 256 filler sites so that the
/// first entry bundle is full) and the facility-level accounts of XAA, of
/// XBB and of the inspectorate, each carrying its [`markers`].
async fn read_world(tag: &str) -> ReadWorld {
    let world = World::create(tag, 1, 0);
    let ledger = world
        .ledger(Limits::default())
        .with_views(Arc::new(StubViews));
    let app = custodian_server::app(ledger);
    let mut w = Writer::new(app.clone(), &world.store());
    w.append(
        "admin",
        &[
            (
                "actor.register",
                register_json("xaa-operator", Role::Operator, "state:XAA"),
            ),
            (
                "actor.register",
                register_json("xaa-observer", Role::Observer, "state:XAA"),
            ),
            (
                "actor.register",
                register_json("npt-secretariat", Role::Secretariat, "body:npt-secretariat"),
            ),
            (
                "actor.register",
                register_json("xbb-officer", Role::StateAuthority, "state:XBB"),
            ),
            (
                "actor.register",
                register_json("xbb-operator", Role::Operator, "state:XBB"),
            ),
        ],
    )
    .await;
    let mut secret_leaves = BTreeMap::new();
    for (operator, secret, state) in [
        ("xaa-operator", Secret::Xaa, "XAA"),
        ("xbb-operator", Secret::Xbb, "XBB"),
    ] {
        let m = markers(secret);
        let leaf = w
            .append(
                operator,
                &[(
                    "facility.register",
                    json!({"facility": m[0], "name": m[1], "state": state, "facility_type": "enrichment"}),
                )],
            )
            .await;
        secret_leaves.insert(leaf, secret);
        let leaf = w
            .append(
                operator,
                &[(
                    "mba.register",
                    json!({"mba": m[2], "facility": m[0], "name": "Main MBA",
                        "kmps": [{"kmp": "A", "kind": "inventory", "description": "vault"}]}),
                )],
            )
            .await;
        secret_leaves.insert(leaf, secret);
        let leaf = w
            .append(
                operator,
                &[(
                    "material.inventory_change",
                    json!({"mba": m[2], "batch": m[3], "code": "RD", "counterpart_mba": "EXT:XCC",
                        "element": "U", "element_grams": m[4].parse::<f64>().expect("mass"),
                        "material_category": "natural"}),
                )],
            )
            .await;
        secret_leaves.insert(leaf, secret);
    }
    let leaf = w
        .append(
            "inspector-1",
            &[(
                "material.measurement",
                json!({"mba": "XAAQ7F3A", "kmp": "A", "batch": "inspectorate-only-batch-c0de",
                    "element": "U", "element_grams": 7777777.5, "rsd_random": 0.001, "rsd_systematic": 0.002}),
            )],
        )
        .await;
    secret_leaves.insert(leaf, Secret::Inspectorate);
    w.append(
        "xaa-officer-1",
        &[
            ("site.register", json!({"site": "xaa-public-depot", "name": "Depot", "state": "XAA", "site_type": "storage"})),
            ("item.produce", json!({"item": "xaa-item-1", "item_type": "warhead", "site": "xaa-public-depot",
                "custodian": "XAA", "controller": "XAA", "status": "stockpiled"})),
        ],
    )
    .await;
    let fillers = (0..256)
        .map(|n| {
            (
                "site.register",
                json!({"site": format!("filler-{n}"), "name": "Filler", "state": "XAA", "site_type": "storage"}),
            )
        })
        .collect();
    w.append_many("xaa-officer-1", fillers).await;
    let size = served_size(&app).await;
    assert!(size > 256 && size < 512, "size {size}");
    assert!(secret_leaves.keys().all(|&i| i < 256));
    ReadWorld {
        world,
        app,
        secret_leaves,
        size,
    }
}

/// The registry's rules only (no engine), so that every well-formed event of
/// a permitted kind is accepted and the role is the only thing tested.
fn registry_rules_only() -> RuleFactory {
    Arc::new(|_| Ok(Box::new(NoRule) as Box<dyn SubmissionRule + Send>))
}

// ---------------------------------------------------------------------------
// Reads: every viewer against every route of the OpenAPI document.
// ---------------------------------------------------------------------------

/// What a route answers.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// This status for every viewer.
    Status(StatusCode),
    /// The same status for every viewer (the views, whose data depends on the
    /// engines): not 401, 403 or 5xx.
    Uniform,
    /// `200` to the viewers who may read all of these secrets; `403`
    /// `forbidden` to the others.
    Only(&'static [Secret]),
    /// `POST /api/v1/submissions`: the write matrix below.
    Writes,
}

/// A path template with its parameters' names dropped: `/a/{}/b`, so that
/// the table does not depend on what a route calls its parameters.
fn shape(template: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in template.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// Every `(method, path)` the OpenAPI document lists.
fn document_routes() -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(custodian_server::openapi_text()).expect("JSON");
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            routes.push((method.to_uppercase(), path.clone()));
        }
    }
    routes
}

/// The expectation and a concrete request for each route shape.
fn route_table(rw: &ReadWorld) -> BTreeMap<String, (String, Expect)> {
    let xaa_leaf = *rw
        .secret_leaves
        .iter()
        .find(|(_, s)| **s == Secret::Xaa)
        .expect("an XAA leaf")
        .0;
    let w = rw.size - 256;
    let ok = Expect::Status(StatusCode::OK);
    let rows: Vec<(&str, String, Expect)> = vec![
        ("/checkpoint", "/checkpoint".into(), ok),
        ("/api/v1/checkpoint", "/api/v1/checkpoint".into(), ok),
        ("/api/v1/entries", "/api/v1/entries".into(), ok),
        (
            "/api/v1/entries/{}",
            format!("/api/v1/entries/{xaa_leaf}"),
            ok,
        ),
        (
            "/api/v1/proofs/inclusion",
            format!("/api/v1/proofs/inclusion?index={xaa_leaf}"),
            ok,
        ),
        (
            "/api/v1/proofs/consistency",
            "/api/v1/proofs/consistency?from=1".into(),
            ok,
        ),
        (
            "/api/v1/submissions",
            "/api/v1/submissions".into(),
            Expect::Writes,
        ),
        ("/openapi.json", "/openapi.json".into(), ok),
        ("/tile/{}/{}", "/tile/0/000".into(), ok),
        ("/tile/{}/{}.p/{}", format!("/tile/0/001.p/{w}"), ok),
        // Bundle 0 holds every secret: inspectors only. Bundle 1 is public.
        (
            "/tile/entries/{}",
            "/tile/entries/000".into(),
            Expect::Only(&SECRETS),
        ),
        (
            "/tile/entries/{}.p/{}",
            format!("/tile/entries/001.p/{w}"),
            ok,
        ),
        // No leaf here is over 65 535 bytes, so the large form is not published.
        (
            "/custodian/entries/{}",
            "/custodian/entries/000".into(),
            Expect::Status(StatusCode::NOT_FOUND),
        ),
        (
            "/custodian/entries/{}.p/{}",
            format!("/custodian/entries/001.p/{w}"),
            Expect::Status(StatusCode::NOT_FOUND),
        ),
        // The views: public, except a state's accounts evaluation.
        (
            "/api/v1/registry/status",
            "/api/v1/registry/status?treaty=NPT".into(),
            Expect::Uniform,
        ),
        (
            "/api/v1/registry/in-force",
            "/api/v1/registry/in-force?treaty=CTBT".into(),
            Expect::Uniform,
        ),
        (
            "/api/v1/registry/states/{}",
            "/api/v1/registry/states/XAA".into(),
            Expect::Uniform,
        ),
        (
            "/api/v1/registry/forces",
            "/api/v1/registry/forces".into(),
            Expect::Uniform,
        ),
        (
            "/api/v1/registry/deployments",
            "/api/v1/registry/deployments".into(),
            Expect::Uniform,
        ),
        ("/api/v1/items", "/api/v1/items".into(), Expect::Uniform),
        (
            "/api/v1/items/{}",
            "/api/v1/items/xaa-item-1".into(),
            Expect::Uniform,
        ),
        (
            "/api/v1/items/{}/history",
            "/api/v1/items/xaa-item-1/history".into(),
            Expect::Uniform,
        ),
        ("/api/v1/alerts", "/api/v1/alerts".into(), Expect::Uniform),
        (
            "/api/v1/findings",
            "/api/v1/findings".into(),
            Expect::Uniform,
        ),
        (
            "/api/v1/accountancy/mbas",
            "/api/v1/accountancy/mbas".into(),
            Expect::Uniform,
        ),
        (
            "/api/v1/accountancy/mbas/{}/evaluation",
            "/api/v1/accountancy/mbas/XAAQ7F3A/evaluation".into(),
            Expect::Only(&[Secret::Xaa]),
        ),
        ("/api/v1/escrow", "/api/v1/escrow".into(), Expect::Uniform),
        (
            "/api/v1/review/summary",
            "/api/v1/review/summary?year=2026".into(),
            Expect::Uniform,
        ),
    ];
    rows.into_iter()
        .map(|(template, uri, expect)| (shape(template), (uri, expect)))
        .collect()
}

/// Whether a reply says the route is not served by this app: the router's
/// fallback, or a view route of a server started without views.
fn is_unrouted(reply: &Reply) -> bool {
    reply.status == StatusCode::NOT_FOUND
        && serde_json::from_slice::<Value>(&reply.body).is_ok_and(|v| {
            v["error"]["code"] == "no_views"
                || (v["error"]["code"] == "not_found"
                    && v["error"]["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("no such route")))
        })
}

#[tokio::test]
async fn every_viewer_against_every_route() {
    let rw = read_world("access-reads").await;
    let table = route_table(&rw);
    let store = rw.world.store();
    let roles: BTreeSet<Role> = VIEWERS
        .iter()
        .filter_map(|(_, actor)| *actor)
        .map(|actor| {
            store
                .actors()
                .expect("actors")
                .into_iter()
                .find(|r| r.id.as_str() == actor)
                .unwrap_or_else(|| panic!("{actor} is registered"))
                .role
        })
        .collect();
    assert_eq!(
        roles,
        Role::ALL.into_iter().collect(),
        "a viewer of every role"
    );

    let routes = document_routes();
    let mut unknown = Vec::new();
    let mut skipped = BTreeSet::new();
    let mut checked = 0;
    for (method, template) in &routes {
        let Some((uri, expect)) = table.get(&shape(template)) else {
            unknown.push(format!("{method} {template}"));
            continue;
        };
        if matches!(expect, Expect::Writes) {
            assert_eq!(method, "POST", "{template}");
            continue;
        }
        assert_eq!(method, "GET", "{template}: a read route");
        let mut statuses = BTreeSet::new();
        for (who, viewer) in VIEWERS {
            let reply = get_as(&rw.app, *viewer, uri).await;
            if is_unrouted(&reply) {
                skipped.insert(template.clone());
                break;
            }
            let what = format!("GET {uri} as {who}");
            assert_no_secret(*viewer, uri, &what, &reply.body);
            match expect {
                Expect::Status(status) => assert_eq!(reply.status, *status, "{what}"),
                Expect::Uniform => {
                    assert!(
                        !reply.status.is_server_error()
                            && reply.status != StatusCode::UNAUTHORIZED
                            && reply.status != StatusCode::FORBIDDEN,
                        "{what}: {}",
                        String::from_utf8_lossy(&reply.body)
                    );
                    statuses.insert(reply.status);
                }
                Expect::Only(secrets) => {
                    if secrets.iter().all(|s| may_read(*viewer, *s)) {
                        assert!(
                            !reply.status.is_server_error()
                                && reply.status != StatusCode::UNAUTHORIZED
                                && reply.status != StatusCode::FORBIDDEN,
                            "{what}: {}",
                            String::from_utf8_lossy(&reply.body)
                        );
                    } else {
                        // The field names the parameter, if the route has one.
                        let v = reply.json();
                        assert_eq!(
                            (reply.status, v["error"]["code"].as_str()),
                            (StatusCode::FORBIDDEN, Some("forbidden")),
                            "{what}: {v}"
                        );
                    }
                }
                Expect::Writes => unreachable!("handled above"),
            }
            checked += 1;
        }
        assert!(
            statuses.len() <= 1,
            "{uri}: statuses differ by viewer: {statuses:?}"
        );
    }
    assert!(
        unknown.is_empty(),
        "routes in the OpenAPI document with no expectation in tests/access.rs: {unknown:?}"
    );
    println!(
        "access matrix: {checked} reads checked over {} routes; {} view routes skipped as not served in-process ({skipped:?}); crates/custodian/tests/serve_access.rs checks them over HTTP",
        routes.len(),
        skipped.len()
    );
}

#[tokio::test]
async fn restricted_leaves_are_redacted_to_their_hashes_for_everyone_else() {
    let rw = read_world("access-redaction").await;
    let store = rw.world.store();
    let leaves = store.read_leaves(0, rw.size).expect("leaves");
    for (_, viewer) in VIEWERS {
        let v = get_as(&rw.app, *viewer, "/api/v1/entries").await.json();
        let entries = v["entries"].as_array().expect("entries");
        assert_eq!(entries.len() as u64, rw.size);
        for (e, leaf) in entries.iter().zip(&leaves) {
            let readable = rw
                .secret_leaves
                .get(&leaf.index)
                .is_none_or(|s| may_read(*viewer, *s));
            assert_eq!(e["redacted"], !readable, "{viewer:?}, leaf {}", leaf.index);
            assert_eq!(
                e["leaf_hash"].as_str(),
                Some(
                    custodian_ledger::hash::leaf_hash(&leaf.data)
                        .to_hex()
                        .as_str()
                ),
                "the hash is always served"
            );
            if readable {
                assert_eq!(e["leaf"].as_str(), Some(hex(&leaf.data).as_str()));
                assert!(e["submission"].is_object());
            } else {
                assert!(e["leaf"].is_null() && e["submission"].is_null(), "{e}");
            }
        }
        // One leaf, and its inclusion proof, the same way.
        for (&index, secret) in &rw.secret_leaves {
            let readable = may_read(*viewer, *secret);
            let one = get_as(&rw.app, *viewer, &format!("/api/v1/entries/{index}")).await;
            assert_eq!(one.status, StatusCode::OK);
            assert_eq!(one.json()["redacted"], !readable);
            let proof = get_as(
                &rw.app,
                *viewer,
                &format!("/api/v1/proofs/inclusion?index={index}"),
            )
            .await
            .json();
            assert_eq!(proof["redacted"], !readable);
            assert_eq!(proof["leaf"].is_null(), !readable);
            // The proof verifies from the leaf hash alone.
            let hash = |v: &Value| {
                custodian_ledger::Hash::from_hex(v.as_str().expect("hex")).expect("hash")
            };
            let path: Vec<_> = proof["proof"]
                .as_array()
                .expect("proof")
                .iter()
                .map(hash)
                .collect();
            custodian_ledger::proof::verify_inclusion(
                &hash(&proof["leaf_hash"]),
                custodian_core::LeafIndex(index),
                custodian_core::TreeSize(rw.size),
                &path,
                &hash(&proof["root"]),
            )
            .expect("the proof of a redacted leaf verifies");
        }
    }
    // The test is not vacuous: each secret's readers see its markers.
    for secret in SECRETS {
        for (_, viewer) in VIEWERS.iter().filter(|(_, v)| may_read(*v, secret)) {
            let body = get_as(&rw.app, *viewer, "/api/v1/entries").await.body;
            let text = String::from_utf8_lossy(&body);
            assert!(
                markers(secret).iter().all(|m| text.contains(m)),
                "{viewer:?} {secret:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Writes: every role against every event kind.
// ---------------------------------------------------------------------------

/// A well-formed payload of each kind; `n` keeps ids unique. The actor
/// events name actors that exist (`rotate-target`, `revoke-target`) or not
/// yet (`new-actor-<n>`), so that the registry accepts them from an
/// administrator.
fn sample_payload(kind: EventKind, n: usize) -> Value {
    let item = "matrix-item";
    match kind {
        EventKind::ActorRegister => {
            register_json(&format!("new-actor-{n}"), Role::Observer, "state:XAA")
        }
        EventKind::ActorRotateKey => json!({"actor": "rotate-target",
            "public_key": custodian_core::encoding::base64(&key(&format!("rotated-{n}")).verifier().public_key())}),
        EventKind::ActorRevoke => json!({"actor": "revoke-target", "reason": "matrix test"}),
        EventKind::SiteRegister => {
            json!({"site": format!("matrix-site-{n}"), "name": "Site", "state": "XAA", "site_type": "storage"})
        }
        EventKind::ItemProduce => {
            json!({"item": format!("matrix-item-{n}"), "item_type": "warhead", "site": "matrix-site",
            "custodian": "XAA", "controller": "XAA", "status": "stockpiled"})
        }
        EventKind::ItemDepart => {
            json!({"item": item, "from": "site-a", "to": "site-b", "arrive_by_utc": "2026-02-01T00:00:00Z"})
        }
        EventKind::ItemArrive => json!({"item": item, "site": "site-b"}),
        EventKind::CustodyTransfer => json!({"item": item, "from": "XAA", "to": "XBB"}),
        EventKind::ControlTransfer => json!({"item": item, "from": "XAA", "to": "XBB"}),
        EventKind::ItemDeployAbroad => {
            json!({"item": item, "site": "site-b", "host": "XBB", "arrangement": "matrix"})
        }
        EventKind::ItemAssign => json!({"item": item, "unit": "unit 1", "unit_state": "XAA"}),
        EventKind::ItemExercise => {
            json!({"item": item, "site": "site-a", "exercise": "matrix", "participants": ["XAA"]})
        }
        EventKind::ItemRetire => json!({"item": item}),
        EventKind::ItemDismantle => json!({"item": item, "site": "site-a"}),
        EventKind::PolicySet => json!({"rules": []}),
        EventKind::InventoryChange => json!({"mba": "XAA1", "batch": format!("b{n}"), "code": "RD",
            "counterpart_mba": "EXT:XCC", "element": "U", "element_grams": 10.0, "material_category": "natural"}),
        EventKind::PhysicalInventory => {
            json!({"mba": "XAA1", "batch": format!("b{n}"), "element": "U", "element_grams": 10.0, "material_category": "natural"})
        }
        EventKind::Measurement => {
            json!({"mba": "XAA1", "kmp": "A", "batch": format!("b{n}"), "element": "U",
            "element_grams": 10.0, "rsd_random": 0.01, "rsd_systematic": 0.01})
        }
        EventKind::FacilityRegister => {
            json!({"facility": format!("fac-{n}"), "name": "Facility", "state": "XAA", "facility_type": "store"})
        }
        EventKind::MbaRegister => {
            json!({"mba": format!("M{n}"), "facility": "fac-1", "name": "MBA",
            "kmps": [{"kmp": "A", "kind": "inventory", "description": "vault"}]})
        }
        EventKind::InventoryTaking => {
            json!({"mba": "XAA1", "pit_date": "2026-01-01", "line_count": 0})
        }
        EventKind::ReportFiled => {
            json!({"mba": "XAA1", "report_type": "I", "report_number": n, "header": [], "lines": []})
        }
        EventKind::RegistryRow => json!({"table": "matrix", "row": {"n": n}}),
        EventKind::ReviewReport => json!({"state": "XAA", "cycle": 2026, "report": {}}),
        EventKind::EscrowCommit => {
            json!({"declaration": format!("decl-{n}"), "state": "XAA", "as_of": "2026-01-01",
            "scope": "matrix", "commitment": {}})
        }
        EventKind::EscrowReveal => {
            json!({"declaration": "decl-1", "mode": "entries", "reveal": {}})
        }
        EventKind::EscrowChallenge => json!({"declaration": "decl-1", "request": "sample", "n": 3,
            "seed_checkpoint": "custodian.test/server\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"}),
        EventKind::EscrowTotal => json!({"declaration": "decl-1", "proof": {}}),
        EventKind::InspectionObserve => {
            json!({"state": "XAA", "entry": "site", "category": "c", "region": "r",
            "id": format!("obs-{n}"), "description": "observed"})
        }
    }
}

/// One writer per role: `admin`, and actors registered by [`writers`].
fn writer_of(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Administrator => ("admin", "body:secretariat"),
        Role::StateAuthority => ("w-state-authority", "state:XAA"),
        Role::Operator => ("w-operator", "state:XAA"),
        Role::Inspector => ("w-inspector", "body:inspectorate"),
        Role::Secretariat => ("w-secretariat", "body:npt-secretariat"),
        Role::Observer => ("w-observer", "state:XAA"),
    }
}

#[tokio::test]
async fn every_role_against_every_event_kind() {
    let world = World::create("access-writes", 1, 0);
    let app = custodian_server::app(world.ledger_with(Limits::default(), registry_rules_only()));
    let mut w = Writer::new(app.clone(), &world.store());
    let mut regs: Vec<(&str, Value)> = Role::ALL
        .into_iter()
        .filter(|r| *r != Role::Administrator)
        .map(|role| {
            let (id, party) = writer_of(role);
            ("actor.register", register_json(id, role, party))
        })
        .collect();
    regs.push((
        "actor.register",
        register_json("rotate-target", Role::Observer, "state:XAA"),
    ));
    regs.push((
        "actor.register",
        register_json("revoke-target", Role::Observer, "state:XAA"),
    ));
    w.append("admin", &regs).await;

    let mut accepted = 0;
    let mut refused = 0;
    let mut n = 0;
    for role in Role::ALL {
        let (actor, _) = writer_of(role);
        for &kind in EventKind::ALL {
            n += 1;
            let before = served_size(&app).await;
            let signed = w.sign(actor, &[(kind.as_str(), sample_payload(kind, n))]);
            let reply = w.send(&signed).await;
            let after = served_size(&app).await;
            let what = format!("{} submitting {kind}", role.as_str());
            if kind.permits(role) {
                assert_eq!(
                    reply.status,
                    StatusCode::CREATED,
                    "{what}: {}",
                    String::from_utf8_lossy(&reply.body)
                );
                assert_eq!(after, before + 1, "{what}: one leaf appended");
                accepted += 1;
            } else {
                reply.assert_error(
                    StatusCode::FORBIDDEN,
                    "role_forbidden",
                    Some("events[0].kind"),
                );
                assert_eq!(after, before, "{what}: nothing appended");
                refused += 1;
            }
        }
    }
    let permitted: usize = Role::ALL
        .iter()
        .map(|r| EventKind::ALL.iter().filter(|k| k.permits(*r)).count())
        .sum();
    assert_eq!(
        (accepted, accepted + refused),
        (permitted, 6 * EventKind::ALL.len())
    );
    assert!(accepted > 0 && refused > 0);
    println!("write matrix: {accepted} role × kind pairs accepted, {refused} refused");
}

#[tokio::test]
async fn acting_for_another_state_is_refused_by_the_policy() {
    // The custody engine's rule, as `custodian serve` runs it: the approval
    // policy names the states whose authorities must sign.
    let world = World::create("access-parties", 1, 0);
    let app = world.app();
    let mut w = Writer::new(app.clone(), &world.store());
    w.append(
        "admin",
        &[(
            "actor.register",
            register_json("xbb-officer", Role::StateAuthority, "state:XBB"),
        )],
    )
    .await;
    w.append(
        "xbb-officer",
        &[(
            "site.register",
            json!({"site": "xbb-site", "name": "B", "state": "XBB", "site_type": "storage"}),
        )],
    )
    .await;
    w.append(
        "xaa-officer-1",
        &[(
            "site.register",
            json!({"site": "xaa-site", "name": "A", "state": "XAA", "site_type": "storage"}),
        )],
    )
    .await;
    let produce = |item: &str, site: &str| json!({"item": item, "item_type": "warhead", "site": site, "custodian": "XAA", "controller": "XAA", "status": "stockpiled"});
    // XBB's authority cannot produce an item in XAA's custody, nor move XAA's item.
    let before = served_size(&app).await;
    let forged = w.sign(
        "xbb-officer",
        &[("item.produce", produce("xaa-item-x", "xbb-site"))],
    );
    let reply = w.send(&forged).await;
    reply.assert_error(StatusCode::CONFLICT, "refused", Some("events[0].approvals"));
    assert_eq!(served_size(&app).await, before);
    w.append(
        "xaa-officer-1",
        &[("item.produce", produce("xaa-item-1", "xaa-site"))],
    )
    .await;
    let before = served_size(&app).await;
    let grab = w.sign(
        "xbb-officer",
        &[(
            "item.custody_transfer",
            json!({"item": "xaa-item-1", "from": "XAA", "to": "XBB"}),
        )],
    );
    let reply = w.send(&grab).await;
    reply.assert_error(StatusCode::CONFLICT, "refused", Some("events[0].approvals"));
    assert_eq!(served_size(&app).await, before, "nothing appended");
}

// ---------------------------------------------------------------------------
// Replayed, expired, forged and oversized.
// ---------------------------------------------------------------------------

/// Asserts a 401 naming `authorization`, and that the log did not change.
async fn assert_refused_read(app: &Router, uri: &str, authorization: &str, code: &str) {
    let before = served_size(app).await;
    let reply = get_with(app, uri, authorization).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, code, Some("authorization"));
    assert_eq!(
        reply
            .headers
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok()),
        Some("Custodian-Read")
    );
    assert_eq!(served_size(app).await, before);
}

fn at_offset(seconds: i64) -> UtcTime {
    UtcTime::from_unix_seconds(now_utc().unix_seconds() + seconds).expect("time")
}

#[tokio::test]
async fn replayed_reads_and_submissions_are_refused() {
    let world = World::create("access-replay", 1, 0);
    let app = world.app();
    let uri = "/api/v1/entries?from=0&to=2";
    let header = signed_read("inspector-1", "GET", uri);
    let first = get_with(&app, uri, &header).await;
    assert_eq!(
        first.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    assert_refused_read(&app, uri, &header, "replayed").await;
    // The same nonce under a new signature (another time) is still a replay.
    let nonce = fresh_nonce();
    let a = sign_read(
        &key("inspector-1"),
        ORIGIN,
        "GET",
        uri,
        at_offset(-1),
        &nonce,
    );
    let b = sign_read(
        &key("inspector-1"),
        ORIGIN,
        "GET",
        uri,
        at_offset(0),
        &nonce,
    );
    assert_eq!(get_with(&app, uri, &a).await.status, StatusCode::OK);
    assert_refused_read(&app, uri, &b, "replayed").await;

    // A submission sent twice: the second is refused, and nothing is added.
    let mut w = Writer::new(app.clone(), &world.store());
    let site =
        json!({"site": "replayed-site", "name": "S", "state": "XAA", "site_type": "storage"});
    let signed = w.sign("xaa-officer-1", &[("site.register", site)]);
    assert_eq!(w.send(&signed).await.status, StatusCode::CREATED);
    let before = served_size(&app).await;
    post(&app, bytes(&signed))
        .await
        .assert_error(StatusCode::CONFLICT, "replayed", Some("seq"));
    assert_eq!(served_size(&app).await, before);
}

#[tokio::test]
async fn expired_reads_and_rotated_or_revoked_keys_are_refused() {
    let world = World::create("access-expired", 2, 0);
    let app = world.app();
    let uri = "/api/v1/checkpoint";
    for offset in [-(WINDOW_SECONDS + 1), WINDOW_SECONDS + 1, -86_400] {
        let header = sign_read(
            &key("inspector-1"),
            ORIGIN,
            "GET",
            uri,
            at_offset(offset),
            &fresh_nonce(),
        );
        assert_refused_read(&app, uri, &header, "expired").await;
    }
    // At the edge of the window: accepted.
    let header = sign_read(
        &key("inspector-1"),
        ORIGIN,
        "GET",
        uri,
        at_offset(-(WINDOW_SECONDS - 5)),
        &fresh_nonce(),
    );
    assert_eq!(get_with(&app, uri, &header).await.status, StatusCode::OK);

    // Rotate officer 1's key and revoke officer 2.
    let mut w = Writer::new(app.clone(), &world.store());
    let new_key = key("xaa-officer-1-new");
    w.append(
        "admin",
        &[
            (
                "actor.rotate_key",
                json!({"actor": officer(1),
                "public_key": custodian_core::encoding::base64(&new_key.verifier().public_key())}),
            ),
            (
                "actor.revoke",
                json!({"actor": officer(2), "reason": "left the ministry"}),
            ),
        ],
    )
    .await;
    // Reads: the old key is forged now, the revoked actor unknown.
    assert_refused_read(&app, uri, &signed_read(&officer(1), "GET", uri), "forged").await;
    assert_refused_read(
        &app,
        uri,
        &signed_read(&officer(2), "GET", uri),
        "unknown_actor",
    )
    .await;
    let rotated = SigningKeyAs::new(&officer(1), &new_key);
    let header = rotated.sign_read("GET", uri);
    assert_eq!(get_with(&app, uri, &header).await.status, StatusCode::OK);
    // Writes: the same.
    let site = |n: u32| json!({"site": format!("late-site-{n}"), "name": "S", "state": "XAA", "site_type": "storage"});
    let before = served_size(&app).await;
    let old = w.sign(&officer(1), &[("site.register", site(1))]);
    w.send(&old)
        .await
        .assert_error(StatusCode::FORBIDDEN, "bad_signature", Some("signature"));
    let revoked = w.sign(&officer(2), &[("site.register", site(2))]);
    w.send(&revoked)
        .await
        .assert_error(StatusCode::FORBIDDEN, "revoked_actor", Some("actor"));
    assert_eq!(served_size(&app).await, before, "nothing appended");
}

/// A key registered under an actor id other than its own name (a rotated key).
struct SigningKeyAs {
    key: custodian_ledger::keys::SigningKey,
}

impl SigningKeyAs {
    fn new(actor: &str, key: &custodian_ledger::keys::SigningKey) -> SigningKeyAs {
        // The same secret under the actor's name: the header names the actor.
        let text = key.to_text();
        let seed = text.rsplit('+').next().expect("seed");
        let seed = custodian_core::encoding::unbase64(seed).expect("base64");
        let seed: [u8; 32] = seed[1..].try_into().expect("32 bytes");
        SigningKeyAs {
            key: custodian_ledger::keys::SigningKey::from_seed(actor, seed).expect("key"),
        }
    }

    fn sign_read(&self, method: &str, uri: &str) -> String {
        sign_read(&self.key, ORIGIN, method, uri, now_utc(), &fresh_nonce())
    }
}

#[tokio::test]
async fn forged_reads_and_submissions_are_refused() {
    let world = World::create("access-forged", 1, 0);
    let app = world.app();
    let uri = "/api/v1/entries?from=0&to=1";
    // A flipped signature bit.
    let good = signed_read("inspector-1", "GET", uri);
    let (head, sig) = good.split_once(",sig=").expect("sig");
    let mut raw = custodian_core::encoding::unbase64(sig).expect("base64");
    raw[10] ^= 1;
    let flipped = format!("{head},sig={}", custodian_core::encoding::base64(&raw));
    assert_refused_read(&app, uri, &flipped, "forged").await;
    // Signed by another actor's key, in the inspector's name.
    let other = SigningKeyAs::new("inspector-1", &key(&officer(1)));
    assert_refused_read(&app, uri, &other.sign_read("GET", uri), "forged").await;
    // Signed for one path, sent with another (a parameter added, another
    // route, another method).
    let header = signed_read("inspector-1", "GET", uri);
    assert_refused_read(&app, "/api/v1/entries?from=0&to=2", &header, "forged").await;
    let header = signed_read("inspector-1", "GET", "/api/v1/checkpoint");
    assert_refused_read(&app, "/api/v1/entries", &header, "forged").await;
    let header = signed_read("inspector-1", "HEAD", uri);
    assert_refused_read(&app, uri, &header, "forged").await;
    // Signed for another log.
    let header = sign_read(
        &key("inspector-1"),
        "another.log/x",
        "GET",
        uri,
        now_utc(),
        &fresh_nonce(),
    );
    assert_refused_read(&app, uri, &header, "forged").await;
    // Unknown actors, malformed headers, two headers.
    assert_refused_read(
        &app,
        uri,
        &signed_read("nobody", "GET", uri),
        "unknown_actor",
    )
    .await;
    assert_refused_read(&app, uri, "Bearer abc", "bad_authorization").await;
    assert_refused_read(
        &app,
        uri,
        &good.replace("nonce=", "n="),
        "bad_authorization",
    )
    .await;
    let reply = send(
        &app,
        Request::builder()
            .uri(uri)
            .header(
                header::AUTHORIZATION,
                signed_read("inspector-1", "GET", uri),
            )
            .header(
                header::AUTHORIZATION,
                signed_read("inspector-1", "GET", uri),
            )
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    reply.assert_error(
        StatusCode::UNAUTHORIZED,
        "bad_authorization",
        Some("authorization"),
    );

    // Submissions: a flipped signature, another actor's key.
    let mut w = Writer::new(app.clone(), &world.store());
    let before = served_size(&app).await;
    let site = json!({"site": "forged-site", "name": "S", "state": "XAA", "site_type": "storage"});
    let mut tampered = w.sign(&officer(1), &[("site.register", site.clone())]);
    tampered.signature.0[0] ^= 1;
    w.send(&tampered)
        .await
        .assert_error(StatusCode::FORBIDDEN, "bad_signature", Some("signature"));
    let honest = w.sign(&officer(1), &[("site.register", site)]);
    let by_other = custodian_ledger::submission::sign_submission(
        honest.submission.clone(),
        &key("inspector-1"),
    )
    .expect("sign");
    w.send(&by_other)
        .await
        .assert_error(StatusCode::FORBIDDEN, "bad_signature", Some("signature"));
    // A bad read header on a write stops the request before the body is read.
    let reply = send(
        &app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/submissions")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, flipped.as_str())
            .body(Body::from(bytes(&honest)))
            .expect("request"),
    )
    .await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "forged", Some("authorization"));
    assert_eq!(served_size(&app).await, before, "nothing appended");
    assert_eq!(w.send(&honest).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn oversized_headers_bodies_and_batches_are_refused() {
    let world = World::create("access-oversized", 1, 0);
    let limits = Limits {
        body_bytes_max: 4096,
        submissions_per_request_max: 3,
        ..Limits::default()
    };
    let app = custodian_server::app(world.ledger(limits));
    let before = served_size(&app).await;
    // A header over 2048 bytes: 431, whatever it holds.
    let good = signed_read("inspector-1", "GET", "/api/v1/checkpoint");
    let long = format!(
        "{good}{}",
        " ".repeat(AUTHORIZATION_BYTES_MAX + 1 - good.len())
    );
    let reply = get_with(&app, "/api/v1/checkpoint", &long).await;
    reply.assert_error(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "oversized",
        Some("authorization"),
    );
    // A body over the limit, declared or not.
    let w = Writer::new(app.clone(), &world.store());
    let big = json!({"site": "big-site", "name": "x".repeat(4000), "state": "XAA", "site_type": "storage"});
    let signed = w.sign(&officer(1), &[("site.register", big)]);
    post(&app, bytes(&signed))
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", None);
    let undeclared = send(
        &app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/submissions")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(bytes(&signed)))
            .expect("request"),
    )
    .await;
    undeclared.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", None);
    // Too many submissions in one batch.
    let subs: Vec<SignedSubmission> = (0..4)
        .map(|i| {
            sign_events(
                &officer(1),
                w.next(&officer(1)) + i,
                "b",
                &[("site.register", json!({"site": format!("s{i}"), "name": "S", "state": "XAA", "site_type": "storage"}))],
            )
        })
        .collect();
    post(&app, batch(&subs)).await.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_submission",
        None,
    );
    assert_eq!(served_size(&app).await, before, "nothing appended");
}

/// Request heads over hyper's buffer are refused on the socket (`431`) before
/// any handler runs.
#[test]
fn an_oversized_request_head_is_refused_on_the_socket() {
    use std::io::{Read, Write};
    let world = World::create("access-head", 1, 0);
    let ledger = world.ledger(Limits::default());
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
                .expect("send");
            let limits = ledger.limits().clone();
            custodian_server::serve(listener, custodian_server::app(ledger), &limits, async {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
    });
    let addr = addr_rx.recv().expect("started");
    let status_of = |headers: &str| -> String {
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .expect("timeout");
        let request = format!(
            "GET /api/v1/checkpoint HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n"
        );
        let _ = stream.write_all(request.as_bytes());
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer)
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    };
    assert!(
        status_of("").starts_with("HTTP/1.1 200"),
        "a small head is served"
    );
    // 20 headers of 13 KiB: 260 KiB, well over the head limit of about 64 KiB
    // (hyper's own default would take 400 KiB).
    let big: String = (0..20)
        .map(|i| format!("X-Filler-{i}: {}\r\n", "a".repeat(13 * 1024)))
        .collect();
    let status = status_of(&big);
    assert!(status.starts_with("HTTP/1.1 431"), "{status:?}");
    // More than 100 headers.
    let many: String = (0..120).map(|i| format!("X-H{i}: 1\r\n")).collect();
    let status = status_of(&many);
    assert!(status.starts_with("HTTP/1.1 431"), "{status:?}");
    let _ = stop.send(());
    thread.join().expect("server thread");
}
