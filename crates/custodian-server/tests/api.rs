//! The API driven in-process (tower `oneshot`, no sockets), against a real
//! SQLite log built in the test: every endpoint's happy path, every proof
//! verified with `custodian-ledger`'s verifiers, and each kind of bad request
//! answered with a JSON error and no change to the log.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use custodian_core::encoding::unhex;
use custodian_core::{LeafIndex, SignedSubmission, TreeSize};
use custodian_ledger::checkpoint::verify_checkpoint;
use custodian_ledger::hash::leaf_hash;
use custodian_ledger::proof::{tree_hash, verify_consistency, verify_inclusion};
use custodian_ledger::Hash;
use custodian_server::Limits;
use custodian_store::{Store, StoreHashes};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn hash(v: &Value) -> Hash {
    Hash::from_hex(v.as_str().expect("hex string")).expect("hash")
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().expect("array").iter().map(hash).collect()
}

#[tokio::test]
async fn checkpoint_as_json_and_as_signed_note() {
    let world = World::create("checkpoint", 1, 3);
    let app = world.app();
    let reply = get(&app, "/api/v1/checkpoint").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type, "application/json");
    let v = reply.json();
    let store = world.store();
    let size = store.tree_size().expect("size");
    assert_eq!(v["origin"], ORIGIN);
    assert_eq!(v["tree_size"].as_u64(), Some(size.0));
    let root = tree_hash(size, &StoreHashes(&store)).expect("root");
    assert_eq!(hash(&v["root_hash"]), root);
    let note = v["note"].as_str().expect("note");
    let cp = verify_checkpoint(note.as_bytes(), &world.log_key.verifier()).expect("verifies");
    assert_eq!((cp.size(), cp.root()), (size, root));

    let raw = get(&app, "/checkpoint").await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.content_type, "text/plain; charset=utf-8");
    assert_eq!(String::from_utf8(raw.body).expect("utf-8"), note);
}

#[tokio::test]
async fn entries_as_hex_and_json() {
    let world = World::create("entries", 1, 4);
    let app = world.app();
    let store = world.store();
    let size = store.tree_size().expect("size").0;
    let stored = store.read_leaves(0, size).expect("leaves");

    let reply = get(&app, "/api/v1/entries?from=1&to=4").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let v = reply.json();
    assert_eq!(
        (
            v["tree_size"].as_u64(),
            v["from"].as_u64(),
            v["to"].as_u64()
        ),
        (Some(size), Some(1), Some(4))
    );
    assert!(v["next"].is_null());
    let entries = v["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 3);
    for (e, leaf) in entries.iter().zip(&stored[1..4]) {
        assert_eq!(e["index"].as_u64(), Some(leaf.index));
        let data = unhex(e["leaf"].as_str().expect("hex")).expect("hex");
        assert_eq!(data, leaf.data, "hex is the stored bytes");
        assert_eq!(hash(&e["leaf_hash"]), leaf_hash(&leaf.data));
        let parsed = SignedSubmission::from_leaf_bytes(&data).expect("leaf parses");
        assert_eq!(
            e["submission"],
            parsed.to_json(),
            "JSON is the same submission"
        );
    }

    // Defaults: from 0 to the end.
    let all = get(&app, "/api/v1/entries").await.json();
    assert_eq!(all["entries"].as_array().map(Vec::len), Some(size as usize));
    // Past the end: an empty page, not an error.
    let past = get(&app, &format!("/api/v1/entries?from={}", size + 5)).await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(past.json()["entries"].as_array().map(Vec::len), Some(0));

    let one = get(&app, "/api/v1/entries/2").await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json(), entries[1]);

    get(&app, &format!("/api/v1/entries/{size}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found", Some("index"));
    get(&app, "/api/v1/entries/x1").await.assert_error(
        StatusCode::BAD_REQUEST,
        "bad_parameter",
        Some("index"),
    );
    get(&app, "/api/v1/entries?from=5&to=2").await.assert_error(
        StatusCode::BAD_REQUEST,
        "bad_parameter",
        Some("to"),
    );
    get(&app, "/api/v1/entries?from=0&to=1001")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_parameter", Some("to"));
    get(&app, "/api/v1/entries?from=-1").await.assert_error(
        StatusCode::BAD_REQUEST,
        "bad_parameter",
        Some("from"),
    );
    get(&app, "/api/v1/entries?start=1").await.assert_error(
        StatusCode::BAD_REQUEST,
        "bad_parameter",
        Some("start"),
    );
}

#[tokio::test]
async fn a_page_of_entries_stops_at_its_byte_budget() {
    let world = World::create("budget", 1, 6);
    let leaf_bytes = world.store().read_leaves(3, 4).expect("leaf")[0].data.len();
    let limits = Limits {
        entries_page_bytes_max: leaf_bytes * 2 + 1,
        ..Limits::default()
    };
    let app = custodian_server::app(world.ledger(limits));
    let v = get(&app, "/api/v1/entries?from=3&to=8").await.json();
    assert_eq!(v["entries"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!((v["to"].as_u64(), v["next"].as_u64()), (Some(5), Some(5)));
    // A single leaf larger than the budget is still served, alone.
    let tiny = Limits {
        entries_page_bytes_max: 1,
        ..Limits::default()
    };
    let app = custodian_server::app(world.ledger(tiny));
    let v = get(&app, "/api/v1/entries?from=3&to=8").await.json();
    assert_eq!(v["entries"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["next"].as_u64(), Some(4));
}

/// Every inclusion proof of every leaf in every tree size of a small log
/// verifies (RFC 9162 §2.1.3.2), and its root is the log's.
#[tokio::test]
async fn every_inclusion_proof_verifies() {
    let world = World::create("inclusion", 1, 7);
    let app = world.app();
    let store = world.store();
    let n = store.tree_size().expect("size").0;
    for size in 1..=n {
        let root = tree_hash(TreeSize(size), &StoreHashes(&store)).expect("root");
        for index in 0..size {
            let v = get(
                &app,
                &format!("/api/v1/proofs/inclusion?index={index}&size={size}"),
            )
            .await
            .json();
            assert_eq!(
                (v["index"].as_u64(), v["tree_size"].as_u64()),
                (Some(index), Some(size))
            );
            assert_eq!(hash(&v["root"]), root, "size {size}");
            let data = unhex(v["leaf"].as_str().expect("leaf")).expect("hex");
            let leaf = leaf_hash(&data);
            assert_eq!(hash(&v["leaf_hash"]), leaf);
            verify_inclusion(
                &leaf,
                LeafIndex(index),
                TreeSize(size),
                &hashes(&v["proof"]),
                &root,
            )
            .unwrap_or_else(|e| panic!("leaf {index} of {size}: {e}"));
            // The checkpoint is given for the latest size only.
            assert_eq!(v["checkpoint"].is_string(), size == n, "{v}");
        }
    }
    // By event id, at the latest size, with its checkpoint.
    let v = get(&app, "/api/v1/proofs/inclusion?event=genesis")
        .await
        .json();
    assert_eq!(
        (v["index"].as_u64(), v["event"].as_str()),
        (Some(0), Some("genesis"))
    );
    let cp = verify_checkpoint(
        v["checkpoint"].as_str().expect("checkpoint").as_bytes(),
        &world.log_key.verifier(),
    )
    .expect("checkpoint verifies");
    let data = unhex(v["leaf"].as_str().expect("leaf")).expect("hex");
    verify_inclusion(
        &leaf_hash(&data),
        LeafIndex(0),
        cp.size(),
        &hashes(&v["proof"]),
        &cp.root(),
    )
    .expect("verifies against the signed checkpoint");

    get(
        &app,
        &format!("/api/v1/proofs/inclusion?index=0&size={}", n + 1),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found", Some("size"));
    get(&app, &format!("/api/v1/proofs/inclusion?index={n}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found", Some("index"));
    get(&app, "/api/v1/proofs/inclusion?index=3&size=2")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found", Some("index"));
    get(&app, "/api/v1/proofs/inclusion?event=no-such-event")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found", Some("event"));
    get(&app, "/api/v1/proofs/inclusion").await.assert_error(
        StatusCode::BAD_REQUEST,
        "bad_parameter",
        Some("index"),
    );
    get(&app, "/api/v1/proofs/inclusion?index=1&event=genesis")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_parameter", Some("event"));
    get(&app, "/api/v1/proofs/inclusion?index=one")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_parameter", Some("index"));
}

/// Every consistency proof between every pair of sizes verifies (RFC 9162
/// §2.1.4.2).
#[tokio::test]
async fn every_consistency_proof_verifies() {
    let world = World::create("consistency", 1, 7);
    let app = world.app();
    let store = world.store();
    let n = store.tree_size().expect("size").0;
    for to in 0..=n {
        let new_root = tree_hash(TreeSize(to), &StoreHashes(&store)).expect("root");
        for from in 0..=to {
            let v = get(
                &app,
                &format!("/api/v1/proofs/consistency?from={from}&to={to}"),
            )
            .await
            .json();
            assert_eq!(
                (v["old_size"].as_u64(), v["new_size"].as_u64()),
                (Some(from), Some(to))
            );
            let old_root = tree_hash(TreeSize(from), &StoreHashes(&store)).expect("root");
            assert_eq!(
                (hash(&v["old_root"]), hash(&v["new_root"])),
                (old_root, new_root)
            );
            verify_consistency(
                TreeSize(from),
                TreeSize(to),
                &old_root,
                &new_root,
                &hashes(&v["proof"]),
            )
            .unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
        }
    }
    let latest = get(&app, "/api/v1/proofs/consistency?from=2").await.json();
    assert_eq!(latest["new_size"].as_u64(), Some(n));

    get(&app, "/api/v1/proofs/consistency").await.assert_error(
        StatusCode::BAD_REQUEST,
        "bad_parameter",
        Some("from"),
    );
    get(&app, "/api/v1/proofs/consistency?from=4&to=2")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_parameter", Some("from"));
    get(
        &app,
        &format!("/api/v1/proofs/consistency?from=1&to={}", n + 1),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found", Some("to"));
    get(&app, &format!("/api/v1/proofs/consistency?from={}", n + 1))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found", Some("from"));
}

#[tokio::test]
async fn a_signed_submission_is_appended_with_a_receipt() {
    let mut world = World::create("append", 2, 1);
    let app = world.app();
    let before = world.size();
    let signed = world.sign(&officer(1), vec![site("depot-a"), site("depot-b")]);
    let sent = bytes(&signed);
    let reply = post(&app, sent.clone()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    assert_eq!(reply.content_type, "application/json");
    assert_eq!(
        reply
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some(format!("/api/v1/entries/{before}").as_str())
    );
    let r = reply.json();
    assert_eq!(
        (
            r["first_leaf"].as_u64(),
            r["tree_size"].as_u64(),
            r["events"].as_u64()
        ),
        (Some(before), Some(before + 1), Some(2))
    );
    let cp = verify_checkpoint(
        r["checkpoint"].as_str().expect("checkpoint").as_bytes(),
        &world.log_key.verifier(),
    )
    .expect("receipt checkpoint verifies");
    assert_eq!(cp.size(), TreeSize(before + 1));
    assert_eq!(hash(&r["root_hash"]), cp.root());
    // The leaf is exactly the bytes sent.
    let stored = world.store().read_leaves(before, before + 1).expect("leaf");
    assert_eq!(stored[0].data, sent);
    assert_eq!(served_size(&app).await, before + 1);

    // A trailing newline (as `custodian log sign` prints) is not part of the value.
    let mut line = bytes(&world.sign(&officer(2), vec![site("depot-c")]));
    line.push(b'\n');
    let reply = post(&app, line).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());

    // A batch: all in order, one receipt.
    let subs = vec![
        world.sign(&officer(1), vec![site("depot-d")]),
        world.sign(&officer(2), vec![site("depot-e")]),
        world.sign(&officer(1), vec![site("depot-f")]),
    ];
    let reply = post(&app, batch(&subs)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    let r = reply.json();
    assert_eq!(
        (r["first_leaf"].as_u64(), r["tree_size"].as_u64()),
        (Some(before + 2), Some(before + 5))
    );
    let stored = world
        .store()
        .read_leaves(before + 2, before + 5)
        .expect("leaves");
    for (leaf, s) in stored.iter().zip(&subs) {
        assert_eq!(leaf.data, bytes(s));
    }
}

/// Posts `body` and checks the JSON error and that the log did not change.
async fn refused(
    world: &World,
    app: &axum::Router,
    body: Vec<u8>,
    status: StatusCode,
    code: &str,
    field: Option<&str>,
) {
    let before = world.size();
    let reply = post(app, body).await;
    reply.assert_error(status, code, field);
    assert_eq!(world.size(), before, "{code}: the log changed");
    assert_eq!(served_size(app).await, before);
}

#[tokio::test]
async fn bad_submissions_get_json_errors_and_change_nothing() {
    let mut world = World::create("refused", 2, 1);
    let builds = Arc::new(AtomicUsize::new(0));
    let app =
        custodian_server::app(world.ledger_with(Limits::default(), custody_rules(builds.clone())));
    assert_eq!(
        builds.load(Ordering::SeqCst),
        1,
        "rules built once at start"
    );

    // Not JSON, not an object, an empty batch.
    refused(
        &world,
        &app,
        b"{\"v\":1,".to_vec(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
        None,
    )
    .await;
    refused(
        &world,
        &app,
        b"42".to_vec(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
        None,
    )
    .await;
    refused(
        &world,
        &app,
        b"[]".to_vec(),
        StatusCode::BAD_REQUEST,
        "empty",
        None,
    )
    .await;
    refused(
        &world,
        &app,
        b"[42]".to_vec(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
        Some("[0]"),
    )
    .await;

    // Well-formed, but not a valid submission: the field is named.
    let good = world.sign(&officer(1), vec![site("depot-1")]);
    let mut v = good.to_json();
    v["events"][0]["payload"]["state"] = Value::from("not-a-state");
    let text = custodian_core::canonical::to_canonical_bytes(&v).expect("encode");
    refused(
        &world,
        &app,
        text,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_submission",
        Some("events[0].payload.state"),
    )
    .await;
    let mut unsigned = good.to_json();
    unsigned
        .as_object_mut()
        .expect("object")
        .remove("signature");
    let text = custodian_core::canonical::to_canonical_bytes(&unsigned).expect("encode");
    refused(
        &world,
        &app,
        text,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_submission",
        Some("signature"),
    )
    .await;

    // Valid and signed, but not in canonical form: refused, not re-encoded.
    let pretty = serde_json::to_vec_pretty(&good.to_json()).expect("encode");
    refused(
        &world,
        &app,
        pretty,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_canonical",
        None,
    )
    .await;

    // A forged signature: one byte of the signed content changed after signing.
    let mut forged = good.clone();
    forged.submission.events[0].payload = site("depot-2");
    refused(
        &world,
        &app,
        bytes(&forged),
        StatusCode::FORBIDDEN,
        "bad_signature",
        Some("signature"),
    )
    .await;
    // Signed by another key than the actor's registered one.
    let mut stolen = good.clone();
    stolen.signature = world
        .sign_with_seq(&officer(2), 1, vec![site("depot-1")])
        .signature;
    refused(
        &world,
        &app,
        bytes(&stolen),
        StatusCode::FORBIDDEN,
        "bad_signature",
        Some("signature"),
    )
    .await;

    // A role that may not submit the kind: an inspector registering a site.
    let wrong_role = world.sign("inspector-1", vec![site("depot-9")]);
    refused(
        &world,
        &app,
        bytes(&wrong_role),
        StatusCode::FORBIDDEN,
        "role_forbidden",
        Some("events[0].kind"),
    )
    .await;
    // An actor the log does not know.
    let stranger = world.sign("xbb-officer-1", vec![site("depot-9")]);
    refused(
        &world,
        &app,
        bytes(&stranger),
        StatusCode::FORBIDDEN,
        "unknown_actor",
        Some("actor"),
    )
    .await;
    // A sequence number from the future.
    let ahead = world.sign_with_seq(&officer(2), 9, vec![site("depot-9")]);
    refused(
        &world,
        &app,
        bytes(&ahead),
        StatusCode::CONFLICT,
        "out_of_order",
        Some("seq"),
    )
    .await;
    // None of the registry's refusals made the server rebuild its rules.
    assert_eq!(builds.load(Ordering::SeqCst), 1);

    // The good one goes in; sent again, it is a replay.
    let reply = post(&app, bytes(&good)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    refused(
        &world,
        &app,
        bytes(&good),
        StatusCode::CONFLICT,
        "replayed",
        Some("seq"),
    )
    .await;
    assert_eq!(builds.load(Ordering::SeqCst), 1);

    // Refused by the engine rule: the site is registered already.
    let twice = world.sign(&officer(2), vec![site("depot-1")]);
    refused(
        &world,
        &app,
        bytes(&twice),
        StatusCode::CONFLICT,
        "refused",
        Some("events[0].payload.site"),
    )
    .await;
    assert_eq!(
        builds.load(Ordering::SeqCst),
        2,
        "a rule refusal rebuilds the rules"
    );
    // For another log.
    let mut elsewhere = good.to_json();
    elsewhere["log"] = Value::from("custodian.test/other");
    let other = custodian_core::canonical::to_canonical_bytes(&elsewhere).expect("encode");
    refused(
        &world,
        &app,
        other,
        StatusCode::UNPROCESSABLE_ENTITY,
        "wrong_log",
        Some("log"),
    )
    .await;
}

/// A batch is atomic: when its second submission is refused, its first is not
/// applied, and the rules forget it (the first goes in alone afterwards).
#[tokio::test]
async fn a_refused_batch_applies_nothing() {
    let mut world = World::create("batch", 2, 1);
    let app = world.app();
    let first = world.sign(&officer(1), vec![site("depot-x")]);
    let clash = world.sign(&officer(2), vec![site("depot-x")]);
    refused(
        &world,
        &app,
        batch(&[first.clone(), clash]),
        StatusCode::CONFLICT,
        "refused",
        Some("[1].events[0].payload.site"),
    )
    .await;
    let mut bad_sig = world.sign_with_seq(&officer(2), 1, vec![site("depot-y")]);
    bad_sig.signature = first.signature;
    refused(
        &world,
        &app,
        batch(&[first.clone(), bad_sig]),
        StatusCode::FORBIDDEN,
        "bad_signature",
        Some("[1].signature"),
    )
    .await;
    let pretty = format!(
        "[{}, {}]",
        String::from_utf8(bytes(&first)).expect("utf-8"),
        serde_json::to_string_pretty(&first.to_json()).expect("encode")
    );
    refused(
        &world,
        &app,
        pretty.into_bytes(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_canonical",
        Some("[1]"),
    )
    .await;

    let reply = post(&app, bytes(&first)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
}

#[tokio::test]
async fn oversized_and_mistyped_bodies_are_refused() {
    let mut world = World::create("limits", 1, 1);
    let limits = Limits {
        body_bytes_max: 4096,
        submissions_per_request_max: 2,
        ..Limits::default()
    };
    let app = custodian_server::app(world.ledger(limits));
    let before = world.size();
    let big = vec![b' '; 4097];
    // Declared too large: refused before the body is read.
    post(&app, big.clone())
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", None);
    // Not declared (chunked): refused when the limit is crossed.
    let reply = send(
        &app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/submissions")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(futures_stream(big)))
            .expect("request"),
    )
    .await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", None);

    // More submissions than a batch may hold.
    let subs: Vec<SignedSubmission> = (0..3)
        .map(|n| world.sign(&officer(1), vec![site(&format!("s-{n}"))]))
        .collect();
    post(&app, batch(&subs)).await.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_submission",
        None,
    );

    // Not declared as JSON.
    let reply = send(
        &app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/submissions")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(bytes(&subs[0])))
            .expect("request"),
    )
    .await;
    reply.assert_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
    );
    assert_eq!(world.size(), before);

    // With the default limit, a submission over 4 MiB is refused too.
    let app = world.app();
    let huge = vec![b' '; custodian_core::limits::SUBMISSION_BYTES_MAX + 128 * 1024];
    post(&app, huge)
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", None);
    assert_eq!(world.size(), before);
}

/// The body of a request sent in chunks, with no Content-Length.
fn futures_stream(
    bytes: Vec<u8>,
) -> impl futures_core_stream::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_core_stream::chunks(bytes, 1024)
}

mod futures_core_stream {
    //! A minimal stream of chunks, so the test needs no stream crate.
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pub use futures_core::Stream;

    pub struct Chunks {
        bytes: Vec<u8>,
        at: usize,
        size: usize,
    }

    pub fn chunks(bytes: Vec<u8>, size: usize) -> Chunks {
        Chunks { bytes, at: 0, size }
    }

    impl Stream for Chunks {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            if self.at >= self.bytes.len() {
                return Poll::Ready(None);
            }
            let end = (self.at + self.size).min(self.bytes.len());
            let chunk = self.bytes[self.at..end].to_vec();
            self.at = end;
            Poll::Ready(Some(Ok(chunk)))
        }
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let world = World::create("routes", 1, 0);
    let app = world.app();
    get(&app, "/api/v1/nothing-here")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found", None);
    get(&app, "/ui/no-such-file.js")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found", None);
    get(&app, "/api/v1/submissions").await.assert_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        None,
    );
    let reply = send(
        &app,
        Request::builder()
            .method(Method::DELETE)
            .uri("/api/v1/entries/0")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None);
}

/// Many actors appending at once through the router: every submission is in
/// the log exactly once, every receipt names its own leaf, and the audit —
/// signatures, sequence numbers, hashes, checkpoints, the custody rule
/// re-derived — passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_keep_one_consistent_log() {
    const ACTORS: usize = 8;
    const EACH: usize = 20;
    let mut world = World::create("concurrent", ACTORS, 0);
    let app = world.app();
    let before = world.size();
    // Sign everything first: each actor's submissions carry seq 1..=20.
    let per_actor: Vec<Vec<Vec<u8>>> = (1..=ACTORS)
        .map(|a| {
            (0..EACH)
                .map(|n| bytes(&world.sign(&officer(a), vec![site(&format!("a{a}-s{n}"))])))
                .collect()
        })
        .collect();
    let mut tasks = Vec::new();
    for submissions in per_actor {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut leaves = Vec::new();
            for body in submissions {
                let reply = post(&app, body).await;
                assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
                let r = reply.json();
                leaves.push(r["first_leaf"].as_u64().expect("first_leaf"));
            }
            leaves
        }));
    }
    let mut leaves = Vec::new();
    for task in tasks {
        leaves.extend(task.await.expect("task"));
    }
    let total = (ACTORS * EACH) as u64;
    leaves.sort_unstable();
    leaves.dedup();
    assert_eq!(
        leaves.len() as u64,
        total,
        "every receipt names its own leaf"
    );
    assert_eq!(leaves, (before..before + total).collect::<Vec<_>>());
    assert_eq!(world.size(), before + total);
    assert_eq!(served_size(&app).await, before + total);

    let store = world.store();
    let mut rule = custodian_custody::CustodyRule::new(custodian_custody::Custody::new());
    let report = custodian_store::audit::audit_with(
        &store,
        Some(&world.log_key.verifier()),
        &mut rule,
        |_, _| {},
    )
    .expect("audit passes");
    assert_eq!(report.leaves, before + total);
    // Each submission is in the log exactly once.
    let mut seen = std::collections::BTreeSet::new();
    for leaf in store.read_leaves(before, before + total).expect("leaves") {
        assert!(seen.insert(leaf.data), "leaf {} duplicated", leaf.index);
    }
}

/// When the sequencer is busy and its queue is full, an append is answered
/// `503` at once, with nothing applied; the queued ones go through after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_append_queue_answers_busy() {
    use std::sync::mpsc;
    let mut world = World::create("busy", 3, 0);
    let (entered_tx, entered) = mpsc::channel::<()>();
    let (release, gate) = mpsc::channel::<()>();
    let gate = Arc::new(std::sync::Mutex::new(gate));
    let inner = custody_rules(Arc::new(AtomicUsize::new(0)));
    // The rule holds the sequencer on a site named "slow" until released.
    let rules: custodian_server::RuleFactory = Arc::new(move |log| {
        Ok(Box::new(Gated {
            inner: inner(log)?,
            entered: entered_tx.clone(),
            gate: gate.clone(),
        }))
    });
    let limits = Limits {
        appends_queued_max: 1,
        ..Limits::default()
    };
    let app = custodian_server::app(world.ledger_with(limits, rules));
    let before = world.size();
    let slow = bytes(&world.sign(&officer(1), vec![site("slow")]));
    let queued = bytes(&world.sign(&officer(2), vec![site("queued")]));
    let rejected = bytes(&world.sign(&officer(3), vec![site("rejected")]));
    let first = tokio::spawn({
        let app = app.clone();
        async move { post(&app, slow).await.status }
    });
    tokio::task::spawn_blocking(move || {
        entered.recv().expect("the sequencer took the slow append")
    })
    .await
    .expect("wait");
    // The sequencer is held; the queue has room for one of these two, and
    // the other is answered at once.
    let spawn_post = |body: Vec<u8>| {
        let app = app.clone();
        tokio::spawn(async move { post(&app, body).await })
    };
    let (mut a, mut b) = (Some(spawn_post(queued)), Some(spawn_post(rejected)));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let busy = loop {
        if a.as_ref().is_some_and(|t| t.is_finished()) {
            break a.take();
        }
        if b.as_ref().is_some_and(|t| t.is_finished()) {
            break b.take();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "neither append was answered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    let busy = busy.expect("finished").await.expect("task");
    busy.assert_error(StatusCode::SERVICE_UNAVAILABLE, "busy", None);
    assert_eq!(
        busy.headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert_eq!(
        world.size(),
        before,
        "nothing applied while the sequencer is held"
    );
    release.send(()).expect("release");
    assert_eq!(first.await.expect("first"), StatusCode::CREATED);
    let accepted = a.or(b).expect("the other").await.expect("task");
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.json());
    assert_eq!(world.size(), before + 2);
}

struct Gated {
    inner: Box<dyn custodian_ledger::registry::SubmissionRule + Send>,
    entered: std::sync::mpsc::Sender<()>,
    gate: Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>,
}

impl custodian_ledger::registry::SubmissionRule for Gated {
    fn check(
        &mut self,
        registry: &custodian_ledger::registry::Registry,
        leaf: LeafIndex,
        signed: &SignedSubmission,
    ) -> Result<(), custodian_ledger::registry::RuleError> {
        let slow = signed.submission.events.iter().any(|e| {
            matches!(&e.payload, custodian_core::Payload::SiteRegister(s) if s.site.as_str() == "slow")
        });
        if slow {
            let _ = self.entered.send(());
            if let Ok(gate) = self.gate.lock() {
                let _ = gate.recv();
            }
        }
        self.inner.check(registry, leaf, signed)
    }
}

/// Another process appending to the same file (the CLI, say) does not leave
/// the server with a stale registry: the next submission of that actor is
/// accepted, and the rules see the other writer's events.
#[tokio::test]
async fn another_writer_on_the_same_file() {
    let mut world = World::create("other-writer", 1, 0);
    let app = world.app();
    let first = world.sign(&officer(1), vec![site("depot-http-1")]);
    assert_eq!(post(&app, bytes(&first)).await.status, StatusCode::CREATED);
    // The CLI's path: its own connection, its own append.
    let by_cli = world.sign(&officer(1), vec![site("depot-cli")]);
    let mut log = custodian_store::log::Log::open(world.store()).expect("open");
    log.append(&[by_cli], &world.log_key)
        .expect("the other writer appends");
    drop(log);
    let next = world.sign(&officer(1), vec![site("depot-http-2")]);
    let reply = post(&app, bytes(&next)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    // The rule knows the site the other writer registered.
    let again = world.sign(&officer(1), vec![site("depot-cli")]);
    refused(
        &world,
        &app,
        bytes(&again),
        StatusCode::CONFLICT,
        "refused",
        Some("events[0].payload.site"),
    )
    .await;
}
