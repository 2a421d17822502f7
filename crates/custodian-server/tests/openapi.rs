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
        let uri = path.replace("{index}", "0");
        let reply = if *method == "get" {
            get(&app, &uri).await
        } else {
            post(&app, b"[]".to_vec()).await
        };
        assert_ne!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path} is not routed"
        );
    }
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
