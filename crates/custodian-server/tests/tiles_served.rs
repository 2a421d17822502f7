//! The log as C2SP tlog-tiles, served by the server (`/tile/...`,
//! `/custodian/entries/...`): the same bytes, at the same paths, as
//! `custodian export tiles` writes (`custodian_store::tiles::write_tiles`),
//! fetched over a real loopback socket and verified with the client-side tile
//! verifier (`custodian_store::tiles::verify_tiles`, `TileClient`); hash
//! tiles public, entry bundles only for viewers who may read every leaf.

mod common;

use axum::http::StatusCode;
use common::*;
use custodian_core::{LeafIndex, Role};
use custodian_ledger::hash::leaf_hash;
use custodian_ledger::proof::verify_inclusion;
use custodian_server::Limits;
use custodian_store::tiles::{
    verify_tiles, write_tiles, TileClient, TileSource, TilesError, CHECKPOINT_PATH,
};
use custodian_store::Store;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

/// One HTTP/1.1 answer.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `GET path` over a fresh connection, raw HTTP/1.1 (no client library).
fn http_get(addr: SocketAddr, path: &str, authorization: Option<&str>) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let auth = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of head");
    let head = String::from_utf8(raw[..end].to_vec()).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}

/// The tiles of a running server, fetched over HTTP as a tile client would,
/// with a signed read as `actor` when given (a fresh one per request).
struct HttpSource {
    addr: SocketAddr,
    actor: Option<&'static str>,
}

impl TileSource for HttpSource {
    fn fetch(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, TilesError> {
        let uri = format!("/{path}");
        let authorization = self.actor.map(|a| signed_read(a, "GET", &uri));
        let answer = http_get(self.addr, &uri, authorization.as_deref());
        let refused = |what: String| TilesError::Io {
            path: uri.clone(),
            source: std::io::Error::other(what),
        };
        match answer.status {
            200 if answer.body.len() as u64 <= limit => Ok(Some(answer.body)),
            200 => Err(refused(format!(
                "{} bytes, over {limit}",
                answer.body.len()
            ))),
            404 => Ok(None),
            status => Err(refused(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&answer.body)
            ))),
        }
    }
}

/// Every file under `dir`, as paths relative to it, skipping temporary files.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                let rel = path.strip_prefix(root).expect("under root");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A log of public leaves: 300 site registrations, and one submission over
/// 65 535 bytes (24 sites with long names) so that its bundle is published
/// in the large form.
fn public_world(tag: &str) -> World {
    let mut world = World::create(tag, 1, 300);
    let big: Vec<_> = (0..24)
        .map(|n| {
            custodian_core::Payload::SiteRegister(custodian_core::event::SiteRegister {
                site: custodian_core::ids::SiteId::parse(&format!("big-site-{n}")).expect("id"),
                name: "n".repeat(4000),
                state: custodian_core::StateCode::parse("XAA").expect("state"),
                site_type: "storage".into(),
            })
        })
        .collect();
    let signed = world.sign(&officer(1), big);
    assert!(bytes(&signed).len() > 65_535);
    let ledger = world.ledger(Limits::default());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let app = custodian_server::app(ledger);
        let reply = post(&app, bytes(&signed)).await;
        assert_eq!(reply.status, StatusCode::CREATED);
    });
    world
}

#[test]
fn served_tiles_are_the_exported_files_byte_for_byte_and_verify() {
    let world = public_world("tiles-served");
    let export = TempDir::new("tiles-export");
    let report = write_tiles(&world.store(), &export.0).expect("export");
    assert!(report.large_bundles >= 1, "a bundle in the large form");
    let server = Running::start(world.ledger(Limits::default()));

    let paths = files(&export.0);
    assert!(paths.iter().any(|p| p.starts_with("tile/entries/")));
    assert!(paths.iter().any(|p| p.starts_with("custodian/entries/")));
    assert!(paths.iter().any(|p| p.contains(".p/")));
    for path in &paths {
        let answer = http_get(server.addr, &format!("/{path}"), None);
        assert_eq!(answer.status, 200, "/{path}");
        let file = std::fs::read(export.0.join(path)).expect("file");
        assert_eq!(
            answer.body, file,
            "/{path}: the served bytes are the exported file"
        );
        if path == CHECKPOINT_PATH {
            continue;
        }
        assert_eq!(
            answer.header("content-type"),
            Some("application/octet-stream")
        );
        assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
        let expected = if path.contains(".p/") {
            "no-cache"
        } else {
            "public, max-age=31536000, immutable"
        };
        assert_eq!(answer.header("cache-control"), Some(expected), "/{path}");
    }
    let checkpoint = http_get(server.addr, "/checkpoint", None);
    assert_eq!(checkpoint.header("cache-control"), Some("no-cache"));

    // A tile client reads the server as it reads the directory: every tile,
    // every bundle, every leaf's inclusion proof, checked against the signed
    // checkpoint.
    let verifier = world.log_key.verifier();
    let mut served_leaves = Vec::new();
    let served = verify_tiles(
        HttpSource {
            addr: server.addr,
            actor: None,
        },
        &verifier,
        &mut |_, leaf| served_leaves.push(leaf.to_vec()),
    )
    .expect("the served tiles verify");
    let stored = world.store().read_leaves(0, report.size.0).expect("leaves");
    assert_eq!(served.size, report.size);
    assert_eq!(served.large_bundles, report.large_bundles);
    assert_eq!(
        served_leaves,
        stored.into_iter().map(|l| l.data).collect::<Vec<_>>()
    );

    // One inclusion proof, from the tiles alone, by the client's verifier.
    let client = TileClient::open(
        HttpSource {
            addr: server.addr,
            actor: None,
        },
        &verifier,
    )
    .expect("checkpoint verifies");
    let index = LeafIndex(200);
    let proof = client.prove_inclusion(index).expect("proof from tiles");
    let leaf = world.store().read_leaves(200, 201).expect("leaf")[0]
        .data
        .clone();
    verify_inclusion(
        &leaf_hash(&leaf),
        index,
        client.size(),
        &proof,
        &client.checkpoint().root(),
    )
    .expect("inclusion proof verifies against the checkpoint");
}

#[test]
fn tiles_not_in_the_tree_and_malformed_paths_are_json_404s() {
    let world = World::create("tiles-404", 1, 10);
    let app = custodian_server::app(world.ledger(Limits::default()));
    let size = world.size();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        // Served: the partial tile of the tree, and every narrower one.
        let whole = get(&app, &format!("/tile/0/000.p/{size}")).await;
        assert_eq!(whole.status, StatusCode::OK);
        assert_eq!(whole.body.len() as u64, 32 * size);
        let narrow = get(&app, "/tile/0/000.p/3").await;
        assert_eq!(narrow.body, whole.body[..96], "a narrower tile is a prefix");
        assert_eq!(
            get(&app, &format!("/tile/entries/000.p/{size}"))
                .await
                .status,
            StatusCode::OK
        );
        for path in [
            // Not in the tree of the latest checkpoint.
            format!("/tile/0/000.p/{}", size + 1),
            "/tile/0/000".into(),
            "/tile/1/000.p/1".into(),
            "/tile/0/001.p/1".into(),
            format!("/tile/entries/000.p/{}", size + 1),
            // Standard form: the large form is not published.
            format!("/custodian/entries/000.p/{size}"),
            // Not a tile path (tlog-tiles' encoding, strictly).
            "/tile/0/0".into(),
            "/tile/0/0000".into(),
            "/tile/00/000".into(),
            "/tile/0/000.p/256".into(),
            "/tile/0/000.p/0".into(),
            "/tile/0/x000/001".into(),
            "/tile/64/000".into(),
            "/tile/entries".into(),
            "/tile/checkpoint".into(),
            "/custodian/entries/abc".into(),
        ] {
            get(&app, &path)
                .await
                .assert_error(StatusCode::NOT_FOUND, "not_found", None);
        }
    });
}

#[test]
fn entry_bundles_with_restricted_leaves_are_served_only_to_those_who_may_read_them() {
    let world = World::create("tiles-restricted", 1, 3);
    let ledger = world.ledger(Limits::default());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let store = world.store();
    runtime.block_on(async {
        let app = custodian_server::app(ledger.clone());
        let sign = |actor: &str, events: &[(&str, Value)]| {
            sign_events(actor, next_seq(&store, actor), "t", events)
        };
        let reply = post(
            &app,
            bytes(&sign(
                "admin",
                &[(
                    "actor.register",
                    register_json("xaa-operator", Role::Operator, "state:XAA"),
                )],
            )),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED);
        let reply = post(
            &app,
            bytes(&sign(
                "xaa-operator",
                &[(
                    "facility.register",
                    json!({"facility": "xaa-hall", "name": "Hall", "state": "XAA", "facility_type": "enrichment"}),
                )],
            )),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    });
    let size = world.size();
    let export = TempDir::new("tiles-restricted-export");
    write_tiles(&world.store(), &export.0).expect("export");
    let bundle_path = format!("tile/entries/000.p/{size}");
    let exported = std::fs::read(export.0.join(&bundle_path)).expect("bundle");
    let server = Running::start(ledger);
    let uri = format!("/{bundle_path}");

    // The public, and another state's actor: 403, nothing of the bundle.
    let public = http_get(server.addr, &uri, None);
    assert_eq!(public.status, 403);
    let v: Value = serde_json::from_slice(&public.body).expect("JSON");
    assert_eq!(v["error"]["code"], "forbidden", "{v}");
    assert!(!String::from_utf8_lossy(&public.body).contains("xaa-hall"));
    assert_eq!(public.header("vary"), Some("authorization"));
    let officer = http_get(server.addr, &uri, Some(&signed_read("admin", "GET", &uri)));
    assert_eq!(officer.status, 403, "an administrator is not XAA");
    // The state's own operator and the inspector: the exported bytes, for
    // their own caches only.
    for actor in ["xaa-operator", "inspector-1"] {
        let answer = http_get(server.addr, &uri, Some(&signed_read(actor, "GET", &uri)));
        assert_eq!(answer.status, 200, "{actor}");
        assert_eq!(answer.body, exported, "{actor}: the exported bundle");
        assert_eq!(answer.header("cache-control"), Some("private, no-cache"));
        assert_eq!(answer.header("vary"), Some("authorization"));
    }

    // Hash tiles stay public: the public verifies the whole tree, and the
    // bundle check fails only at the bundle.
    let verifier = world.log_key.verifier();
    let client = TileClient::open(
        HttpSource {
            addr: server.addr,
            actor: None,
        },
        &verifier,
    )
    .expect("checkpoint");
    client
        .check_root()
        .expect("root from the public hash tiles");
    assert!(verify_tiles(
        HttpSource {
            addr: server.addr,
            actor: None
        },
        &verifier,
        &mut |_, _| {}
    )
    .is_err());
    // The inspector verifies everything, entries included.
    let report = verify_tiles(
        HttpSource {
            addr: server.addr,
            actor: Some("inspector-1"),
        },
        &verifier,
        &mut |_, _| {},
    )
    .expect("an inspector reads and verifies every bundle");
    assert_eq!(report.entries, size);
}
