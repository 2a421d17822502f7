//! The OpenAPI document is generated from the code and lists every route the
//! router serves, with its method; the served document is that one.

mod common;

use axum::http::StatusCode;
use common::*;
use std::collections::BTreeSet;

/// Every route of `custodian_server::app`, with its method.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/checkpoint"),
    ("get", "/api/v1/checkpoint"),
    ("get", "/api/v1/entries"),
    ("get", "/api/v1/entries/{index}"),
    ("get", "/api/v1/proofs/inclusion"),
    ("get", "/api/v1/proofs/consistency"),
    ("post", "/api/v1/submissions"),
    ("get", "/openapi.json"),
    // The engines' views (module `views`).
    ("get", "/api/v1/registry/status"),
    ("get", "/api/v1/registry/in-force"),
    ("get", "/api/v1/registry/states/{state}"),
    ("get", "/api/v1/registry/forces"),
    ("get", "/api/v1/registry/deployments"),
    ("get", "/api/v1/items"),
    ("get", "/api/v1/items/{id}"),
    ("get", "/api/v1/items/{id}/history"),
    ("get", "/api/v1/alerts"),
    ("get", "/api/v1/findings"),
    ("get", "/api/v1/accountancy/mbas"),
    ("get", "/api/v1/accountancy/mbas/{mba}/evaluation"),
    ("get", "/api/v1/escrow"),
    ("get", "/api/v1/review/summary"),
    // The log as C2SP tlog-tiles (module `tiles`).
    ("get", "/tile/{L}/{N}"),
    ("get", "/tile/{L}/{N}.p/{W}"),
    ("get", "/tile/entries/{N}"),
    ("get", "/tile/entries/{N}.p/{W}"),
    ("get", "/custodian/entries/{N}"),
    ("get", "/custodian/entries/{N}.p/{W}"),
];

/// Each view route with the parameters its document must list.
const VIEW_PARAMETERS: &[(&str, &[&str])] = &[
    ("/api/v1/registry/status", &["treaty", "at"]),
    ("/api/v1/registry/in-force", &["treaty", "at"]),
    ("/api/v1/registry/states/{state}", &["state", "at"]),
    ("/api/v1/registry/forces", &["at"]),
    ("/api/v1/registry/deployments", &["at"]),
    ("/api/v1/items", &["at", "state", "custodian", "controller"]),
    ("/api/v1/items/{id}", &["id", "at"]),
    ("/api/v1/items/{id}/history", &["id"]),
    ("/api/v1/alerts", &["at"]),
    ("/api/v1/findings", &["at", "obligation", "interpretation"]),
    ("/api/v1/accountancy/mbas", &[]),
    (
        "/api/v1/accountancy/mbas/{mba}/evaluation",
        &["mba", "from", "to", "quantity", "alpha", "matrices"],
    ),
    ("/api/v1/escrow", &["declaration"]),
    ("/api/v1/review/summary", &["year"]),
];

#[tokio::test]
async fn the_document_lists_every_route() {
    let doc: serde_json::Value =
        serde_json::from_str(custodian_server::openapi_text()).expect("JSON");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let mut listed = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            listed.insert((method.clone(), path.clone()));
        }
    }
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(listed, expected);

    // Each route the document lists is served (no 404 from the fallback).
    let world = World::create("openapi", 1, 1);
    let app = world.app();
    for (method, path) in ROUTES {
        let uri = path
            .replace("{index}", "0")
            .replace("{state}", "DEU")
            .replace("{id}", "w-1")
            .replace("{mba}", "XFF1")
            .replace("{L}", "0")
            .replace("{N}", "000")
            .replace("{W}", "1");
        let reply = if *method == "get" {
            get(&app, &uri).await
        } else {
            post(&app, b"[]".to_vec()).await
        };
        // This app has no engine views: their routes answer `no_views`.
        let no_views = VIEW_PARAMETERS.iter().any(|(p, _)| p == path);
        if path.starts_with("/tile/") || path.starts_with("/custodian/") {
            // A tree of 3 leaves has no full tile: a tile route answers its
            // own 404, not the router's.
            let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap_or_default();
            let fallback = body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no such route"));
            assert!(!fallback, "{method} {path} is not routed");
        } else if no_views {
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
            let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
            assert_eq!(body["error"]["code"], "no_views", "{path}: {body}");
        } else {
            assert_ne!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{method} {path} is not routed"
            );
        }
    }
    // Each view documents every parameter, and names in its answer's
    // description the command that prints the same document.
    for (path, names) in VIEW_PARAMETERS {
        let op = &doc["paths"][path]["get"];
        let listed: BTreeSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(listed, names.iter().copied().collect(), "{path}");
        let ok = op["responses"]["200"]["description"].as_str().unwrap_or("");
        assert!(
            ok.contains("`custodian ") || path.ends_with("/mbas"),
            "{path}: the 200 answer names its command: {ok:?}"
        );
        for status in ["400", "404", "503"] {
            assert!(op["responses"][status].is_object(), "{path}: {status}");
        }
    }
    assert!(
        doc["paths"]["/api/v1/accountancy/mbas/{mba}/evaluation"]["get"]["responses"]["403"]
            .is_object()
    );
    // The served document is this one.
    let served = get(&app, "/openapi.json").await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body, custodian_server::openapi_text().as_bytes());

    // Errors and the submission body are described.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "ErrorBody",
        "CheckpointView",
        "ReceiptView",
        "SubmissionsBody",
        "InclusionProofView",
        "MbaListView",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    let post_op = &doc["paths"]["/api/v1/submissions"]["post"];
    for status in [
        "201", "400", "403", "408", "409", "413", "415", "422", "503",
    ] {
        assert!(
            post_op["responses"][status].is_object(),
            "POST response {status} missing"
        );
    }
    assert!(
        doc["paths"]["/checkpoint"]["get"]["responses"]["200"]["content"]
            ["text/plain; charset=utf-8"]
            .is_object()
    );
}
