//! The web UI, served by the same binary: `/` is the page, `/ui/{file}` its
//! script, style sheet and icon.
//!
//! The files are built from `ui/src/` by `npm run build` in `ui/` (esbuild)
//! into `crates/custodian-server/assets/`, which is checked in, so `cargo
//! build` needs no Node; they are compiled into the binary with
//! `include_bytes!`. ui/README.md says how to rebuild and test them.
//!
//! Caching: every answer carries a strong `ETag` (FNV-1a 64 of the bytes) and
//! a matching `If-None-Match` is answered `304`. The page itself is `no-cache`
//! (always revalidated); it names its assets as `/ui/app.js?v=<etag>`, and an
//! asset asked for with the `v` of its current bytes may be kept for a year,
//! so a new binary's page never runs an old script.
//!
//! Architecture invariant: the UI computes nothing an engine owns. It shows
//! the JSON of the API routes; the only computing it does is verifying
//! checkpoint signatures and inclusion proofs itself, which is the point.
//!
//! An unknown `/ui/...` file is the API's JSON `404`.

use crate::error::ApiError;
use crate::ledger::Ledger;
use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::OnceLock;

/// One built file.
struct Asset {
    /// Its name under `/ui/` (the page's is `index.html`, served at `/`).
    name: &'static str,
    /// Its `Content-Type`.
    content_type: &'static str,
    /// Its bytes, as `npm run build` wrote them.
    bytes: &'static [u8],
}

/// Every built file. `ui/build.mjs` writes exactly these names.
const ASSETS: &[Asset] = &[
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../assets/index.html"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/app.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/app.css"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../assets/icon.svg"),
    },
];

/// The page's policy: its own script and styles only, no inline code, no
/// frames, and requests to this origin only (the API).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// The UI's routes (pages and assets; not part of the API document).
pub(crate) fn router() -> Router<Ledger> {
    Router::new()
        .route("/", get(page))
        .route("/ui/{file}", get(asset))
}

/// FNV-1a, 64 bits (Fowler, Noll and Vo; the offset basis and prime of
/// <http://www.isthe.com/chongo/tech/comp/fnv/>): a cache validator, not a
/// security check. `ui/build.mjs` computes the same for the page's `?v=`.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The version of each asset (16 hex digits of [`fnv1a_64`]), in [`ASSETS`] order.
fn versions() -> &'static [String] {
    static VERSIONS: OnceLock<Vec<String>> = OnceLock::new();
    VERSIONS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("{:016x}", fnv1a_64(a.bytes)))
            .collect()
    })
}

async fn page(headers: HeaderMap) -> Response {
    serve(0, &headers, None)
}

async fn asset(
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    match ASSETS.iter().position(|a| a.name == file) {
        Some(index) if index > 0 => serve(index, &headers, query.as_deref()),
        _ => ApiError::not_found(format!("no UI file {file:?}"), None).into_response(),
    }
}

/// The answer for asset `index`: its bytes, or `304` when the client's copy
/// is current.
fn serve(index: usize, headers: &HeaderMap, query: Option<&str>) -> Response {
    let asset = &ASSETS[index];
    let version = &versions()[index];
    let etag = format!("\"{version}\"");
    let pinned = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .any(|pair| pair.strip_prefix("v=") == Some(version.as_str()));
    let cache = if pinned {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        });
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.bytes,
        )
            .into_response()
    };
    let out = response.headers_mut();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    out.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if index == 0 {
        out.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    fn header(response: &Response, name: header::HeaderName) -> &str {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[tokio::test]
    async fn assets_have_types_validators_and_cache_rules() {
        let page = serve(0, &HeaderMap::new(), None);
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(
            header(&page, header::CONTENT_TYPE),
            "text/html; charset=utf-8"
        );
        assert_eq!(header(&page, header::CACHE_CONTROL), "no-cache");
        assert!(header(&page, header::CONTENT_SECURITY_POLICY).contains("script-src 'self'"));
        let etag = header(&page, header::ETAG).to_string();
        assert_eq!(etag, format!("\"{}\"", versions()[0]));
        let body = to_bytes(page.into_body(), usize::MAX).await.expect("body");
        assert_eq!(&body[..], ASSETS[0].bytes);

        // A matching validator is answered 304 with no body.
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("W/\"x\", {etag}")).expect("header"),
        );
        let again = serve(0, &headers, None);
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(to_bytes(again.into_body(), usize::MAX)
            .await
            .expect("body")
            .is_empty());

        // The script: cached for a year only under its current version.
        let js = ASSETS
            .iter()
            .position(|a| a.name == "app.js")
            .expect("app.js");
        let current = format!("v={}", versions()[js]);
        let pinned = serve(js, &HeaderMap::new(), Some(&current));
        assert_eq!(
            header(&pinned, header::CONTENT_TYPE),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            header(&pinned, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        let stale = serve(js, &HeaderMap::new(), Some("v=0000000000000000"));
        assert_eq!(header(&stale, header::CACHE_CONTROL), "no-cache");
    }

    #[tokio::test]
    async fn an_unknown_file_is_the_json_404() {
        let reply = asset(Path("nothing.js".into()), RawQuery(None), HeaderMap::new()).await;
        assert_eq!(reply.status(), StatusCode::NOT_FOUND);
        let body = to_bytes(reply.into_body(), usize::MAX).await.expect("body");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(json["error"]["code"], "not_found");
        // The page is served at `/` only, not as /ui/index.html.
        let page = asset(Path("index.html".into()), RawQuery(None), HeaderMap::new()).await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn fnv1a_64_matches_the_published_vectors() {
        // From the FNV test suite (fnv-1a 64, "" and "a").
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn the_page_names_its_assets_by_their_current_version() {
        let page = std::str::from_utf8(ASSETS[0].bytes).expect("the page is UTF-8");
        for (asset, version) in ASSETS.iter().zip(versions()).skip(1) {
            if asset.name == "icon.svg" || page.contains(&format!("/ui/{}", asset.name)) {
                let named = format!("/ui/{}?v={version}", asset.name);
                assert!(
                    page.contains(&named),
                    "index.html does not name {named}: run `npm run build` in ui/"
                );
            }
        }
    }
}
