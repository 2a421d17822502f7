//! The log as C2SP tlog-tiles (<https://c2sp.org/tlog-tiles>), served by the
//! server itself: the same paths and bytes `custodian export tiles DIR` writes
//! (FORMATS.md §17), read from the store by `custodian_store::tiles` — one
//! encoder for both.
//!
//! | path | answer | `Cache-Control` |
//! |---|---|---|
//! | `/tile/<L>/<N>` | a full hash tile (8192 bytes) | `public, max-age=31536000, immutable` |
//! | `/tile/<L>/<N>.p/<W>` | a partial hash tile (W hashes) | `no-cache` |
//! | `/tile/entries/<N>[.p/<W>]` | an entry bundle, if the viewer may read every leaf in it | as above; `private` when it holds restricted leaves |
//! | `/custodian/entries/<N>[.p/<W>]` | the same, in the large form (a leaf over 65 535 bytes; FORMATS.md §17) | as above |
//!
//! `/checkpoint` is the log route of the same name. Tiles are served for the
//! tree of the latest checkpoint: a tile (or a partial tile of a given width)
//! whose hashes that tree does not have yet is `404`. Partial tiles of a
//! width the tree has outgrown are still served (the bytes at a path never
//! change), for clients holding an older checkpoint.
//!
//! **Access.** Hash tiles are public: hashes reveal no content, and they let
//! anyone verify the log. An entry bundle holds the leaves themselves, so it
//! is served only if the viewer may read every leaf in it (`access.rs`);
//! otherwise `403`, and the viewer reads the leaves it may through
//! `/api/v1/entries` (the others redacted to their hashes). A bundle that
//! holds restricted leaves is marked `private`, so that no shared cache hands
//! it to anyone else; every bundle answer carries `Vary: Authorization`.

use crate::access::{Restriction, Viewer};
use crate::auth::Actors;
use crate::error::ApiError;
use crate::ledger::Ledger;
use crate::routes::read_deadline;
use crate::wire::ErrorBody;
use axum::extract::{Extension, Path, State};
use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use custodian_core::TreeSize;
use custodian_store::any::AnyStore;
use custodian_store::tiles::{
    bundle_entries, bundle_form, encode_bundle, tile_data, Bundle, BundleForm, Tile, TilePath,
};
use custodian_store::Store;
use std::sync::Arc;
use utoipa::OpenApi;

/// The OpenAPI document of the tile routes, merged into [`crate::ApiDoc`]'s.
#[derive(OpenApi)]
#[openapi(
    paths(
        hash_tile,
        partial_hash_tile,
        entry_bundle,
        partial_entry_bundle,
        large_entry_bundle,
        partial_large_entry_bundle
    ),
    tags((name = "tiles", description = "The log as C2SP tlog-tiles (FORMATS.md §17)"))
)]
pub struct TilesDoc;

/// `Cache-Control` of what never changes and anyone may read.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of a full bundle holding restricted leaves: immutable, but
/// for the one viewer's cache only.
const IMMUTABLE_PRIVATE: &str = "private, max-age=31536000, immutable";
/// `Cache-Control` of partial tiles (the path is deleted from exports once the
/// tile is full, so caches revalidate).
const REVALIDATE: &str = "no-cache";
/// `Cache-Control` of a partial bundle holding restricted leaves.
const REVALIDATE_PRIVATE: &str = "private, no-cache";

/// The tile routes.
pub(crate) fn router(deadline: std::time::Duration) -> Router<Ledger> {
    Router::new()
        .route("/tile/{*path}", get(tile))
        .route("/custodian/entries/{*path}", get(large_bundle))
        .route_layer(middleware::from_fn_with_state(deadline, read_deadline))
}

/// A full hash tile.
///
/// Tile `N` of level `L`: the 256 hashes `MTH` of tree level 8·`L` it covers,
/// 32 bytes each (FORMATS.md §17). `N` is written in groups of three digits,
/// all but the last prefixed by `x` (`x001/x234/067`). Public; immutable.
#[utoipa::path(
    get,
    path = "/tile/{L}/{N}",
    tag = "tiles",
    params(
        ("L" = u8, Path, description = "The tile level, 0 to 63, decimal"),
        ("N" = String, Path, description = "The tile index, in three-digit groups (`000`, `x001/x234/067`)")
    ),
    responses(
        (status = 200, description = "8192 bytes: 256 hashes", content_type = "application/octet-stream"),
        (status = 404, description = "No such tile path, or not in the tree of the latest checkpoint", body = ErrorBody)
    )
)]
#[allow(dead_code)] // documents one form of the `/tile/{*path}` and
                    // `/custodian/entries/{*path}` routes, which `serve_path` answers
async fn hash_tile() {}

/// A partial hash tile.
///
/// The first `W` (1 to 255) hashes of tile `N` of level `L`: the right edge of
/// a level whose hash count is not a multiple of 256. Public.
#[utoipa::path(
    get,
    path = "/tile/{L}/{N}.p/{W}",
    tag = "tiles",
    params(
        ("L" = u8, Path, description = "The tile level"),
        ("N" = String, Path, description = "The tile index, in three-digit groups"),
        ("W" = u16, Path, description = "The width, 1 to 255")
    ),
    responses(
        (status = 200, description = "32·W bytes: W hashes", content_type = "application/octet-stream"),
        (status = 404, description = "No such tile path, or not in the tree of the latest checkpoint", body = ErrorBody)
    )
)]
#[allow(dead_code)] // documents one form of the `/tile/{*path}` and
                    // `/custodian/entries/{*path}` routes, which `serve_path` answers
async fn partial_hash_tile() {}

/// A full entry bundle.
///
/// The 256 leaves of level-0 tile `N`, each as a big-endian `uint16` length
/// then the leaf's bytes (FORMATS.md §17). Served only if the viewer may read
/// every leaf in it. A bundle holding a leaf over 65 535 bytes is served at
/// `/custodian/entries/{N}` instead.
#[utoipa::path(
    get,
    path = "/tile/entries/{N}",
    tag = "tiles",
    params(("N" = String, Path, description = "The bundle index, in three-digit groups")),
    responses(
        (status = 200, description = "The bundle", content_type = "application/octet-stream"),
        (status = 401, description = "A signed read that does not verify (FORMATS.md §18)", body = ErrorBody),
        (status = 403, description = "The bundle holds leaves the viewer may not read", body = ErrorBody),
        (status = 404, description = "No such bundle in the tree of the latest checkpoint, or one in the large form", body = ErrorBody)
    )
)]
#[allow(dead_code)] // documents one form of the `/tile/{*path}` and
                    // `/custodian/entries/{*path}` routes, which `serve_path` answers
async fn entry_bundle() {}

/// A partial entry bundle.
///
/// The first `W` leaves of level-0 tile `N`, as in the full bundle.
#[utoipa::path(
    get,
    path = "/tile/entries/{N}.p/{W}",
    tag = "tiles",
    params(
        ("N" = String, Path, description = "The bundle index, in three-digit groups"),
        ("W" = u16, Path, description = "The width, 1 to 255")
    ),
    responses(
        (status = 200, description = "The bundle", content_type = "application/octet-stream"),
        (status = 401, description = "A signed read that does not verify (FORMATS.md §18)", body = ErrorBody),
        (status = 403, description = "The bundle holds leaves the viewer may not read", body = ErrorBody),
        (status = 404, description = "No such bundle in the tree of the latest checkpoint, or one in the large form", body = ErrorBody)
    )
)]
#[allow(dead_code)] // documents one form of the `/tile/{*path}` and
                    // `/custodian/entries/{*path}` routes, which `serve_path` answers
async fn partial_entry_bundle() {}

/// A full entry bundle in the large form.
///
/// Custodian rule (FORMATS.md §17): a bundle holding a leaf over 65 535
/// bytes, each leaf prefixed by a big-endian `uint32` length. Served only if
/// the viewer may read every leaf in it.
#[utoipa::path(
    get,
    path = "/custodian/entries/{N}",
    tag = "tiles",
    params(("N" = String, Path, description = "The bundle index, in three-digit groups")),
    responses(
        (status = 200, description = "The bundle", content_type = "application/octet-stream"),
        (status = 401, description = "A signed read that does not verify (FORMATS.md §18)", body = ErrorBody),
        (status = 403, description = "The bundle holds leaves the viewer may not read", body = ErrorBody),
        (status = 404, description = "No such bundle in the tree of the latest checkpoint, or one whose leaves all fit the standard form", body = ErrorBody)
    )
)]
#[allow(dead_code)] // documents one form of the `/tile/{*path}` and
                    // `/custodian/entries/{*path}` routes, which `serve_path` answers
async fn large_entry_bundle() {}

/// A partial entry bundle in the large form.
#[utoipa::path(
    get,
    path = "/custodian/entries/{N}.p/{W}",
    tag = "tiles",
    params(
        ("N" = String, Path, description = "The bundle index, in three-digit groups"),
        ("W" = u16, Path, description = "The width, 1 to 255")
    ),
    responses(
        (status = 200, description = "The bundle", content_type = "application/octet-stream"),
        (status = 401, description = "A signed read that does not verify (FORMATS.md §18)", body = ErrorBody),
        (status = 403, description = "The bundle holds leaves the viewer may not read", body = ErrorBody),
        (status = 404, description = "No such bundle in the tree of the latest checkpoint, or one whose leaves all fit the standard form", body = ErrorBody)
    )
)]
#[allow(dead_code)] // documents one form of the `/tile/{*path}` and
                    // `/custodian/entries/{*path}` routes, which `serve_path` answers
async fn partial_large_entry_bundle() {}

/// `/tile/...`: a hash tile or a standard entry bundle.
async fn tile(
    State(ledger): State<Ledger>,
    Extension(viewer): Extension<Viewer>,
    Path(path): Path<String>,
) -> Response {
    serve_path(ledger, viewer, format!("tile/{path}")).await
}

/// `/custodian/entries/...`: an entry bundle in the large form.
async fn large_bundle(
    State(ledger): State<Ledger>,
    Extension(viewer): Extension<Viewer>,
    Path(path): Path<String>,
) -> Response {
    serve_path(ledger, viewer, format!("custodian/entries/{path}")).await
}

fn no_such(path: &str, why: String) -> ApiError {
    ApiError::not_found(format!("/{path}: {why}"), None)
}

/// What a served path holds, read from the store.
enum Served {
    Hashes(Tile, Vec<u8>),
    Bundle {
        bundle: Bundle,
        bytes: Vec<u8>,
        restricted: bool,
    },
}

/// The answer at `path`. Every answer about a bundle, error or not, carries
/// `Vary: Authorization`: it depends on who asks.
async fn serve_path(ledger: Ledger, viewer: Viewer, path: String) -> Response {
    let bundle = path.contains("entries/");
    let mut response = match read_path(ledger, viewer, path).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    };
    if bundle {
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("authorization"));
    }
    response
}

async fn read_path(ledger: Ledger, viewer: Viewer, path: String) -> Result<Response, ApiError> {
    let parsed = match TilePath::parse(&path) {
        Some(parsed @ (TilePath::Hashes(_) | TilePath::Entries(..))) => parsed,
        _ => {
            return Err(no_such(
                &path,
                "not a tile path (FORMATS.md §17: tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>], custodian/entries/<N>[.p/<W>], with <N> in three-digit groups)".into(),
            ))
        }
    };
    let reading = ledger.clone();
    let served = ledger
        .read(move |store| {
            let size = store
                .latest_checkpoint()?
                .map_or(TreeSize(0), |c| c.size);
            match parsed {
                TilePath::Hashes(tile) => {
                    check_in_tree(tile, size, &path)?;
                    Ok(Served::Hashes(tile, tile_data(store, tile)?))
                }
                TilePath::Entries(bundle, form) => {
                    check_in_tree(bundle.tile(), size, &path)?;
                    let entries = bundle_entries(store, bundle)?;
                    if bundle_form(&entries) != form {
                        let other = match form {
                            BundleForm::Standard => BundleForm::Large,
                            BundleForm::Large => BundleForm::Standard,
                        };
                        return Err(no_such(
                            &path,
                            format!(
                                "this bundle is published at /{} (FORMATS.md §17: the large form is used exactly when a leaf is over 65 535 bytes)",
                                bundle.path(other)
                            ),
                        ));
                    }
                    let restricted =
                        check_bundle(&reading, store, &viewer, bundle, form, &entries)?;
                    let bytes = encode_bundle(&entries, form)
                        .map_err(|e| ApiError::internal("entry bundle", e))?;
                    Ok(Served::Bundle {
                        bundle,
                        bytes,
                        restricted,
                    })
                }
                TilePath::Checkpoint => Err(no_such(&path, "not a tile".into())),
            }
        })
        .await?;
    let (bytes, cache) = match served {
        Served::Hashes(tile, bytes) => (
            bytes,
            if tile.is_full() {
                IMMUTABLE
            } else {
                REVALIDATE
            },
        ),
        Served::Bundle {
            bundle,
            bytes,
            restricted,
        } => (
            bytes,
            match (bundle.is_full(), restricted) {
                (true, false) => IMMUTABLE,
                (true, true) => IMMUTABLE_PRIVATE,
                (false, false) => REVALIDATE,
                (false, true) => REVALIDATE_PRIVATE,
            },
        ),
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `404` unless the tree of `size` leaves has at least `tile`'s hashes.
fn check_in_tree(tile: Tile, size: TreeSize, path: &str) -> Result<(), ApiError> {
    match Tile::in_tree(tile.level(), tile.index(), size) {
        Some(have) if have.width() >= tile.width() => Ok(()),
        _ => Err(no_such(
            path,
            format!(
                "not in the tree of the latest checkpoint ({} leaves)",
                size.0
            ),
        )),
    }
}

/// `403` unless `viewer` may read every leaf of `bundle`; `Ok(true)` if some
/// leaf is not public (the answer is then for this viewer only).
fn check_bundle(
    ledger: &Ledger,
    store: &AnyStore,
    viewer: &Viewer,
    bundle: Bundle,
    form: BundleForm,
    entries: &[Vec<u8>],
) -> Result<bool, ApiError> {
    let restrictions = match ledger
        .guard()
        .bundle(bundle.index())
        .filter(|_| bundle.is_full())
    {
        Some(known) => known,
        None => {
            let actors = ledger.guard().actors(store)?;
            let found = restrictions_of(&actors, entries);
            if bundle.is_full() {
                ledger
                    .guard()
                    .remember_bundle(bundle.index(), found.clone());
            }
            found
        }
    };
    if let Some(first) = restrictions.iter().find(|r| !viewer.may_read(r)) {
        let whose = match first {
            Restriction::StateAccounts(_) | Restriction::AllAccounts => {
                "a state's facility-level accounts"
            }
            Restriction::Public => "public data",
        };
        return Err(ApiError::Forbidden {
            code: "forbidden",
            field: None,
            message: format!(
                "entry bundle /{} holds leaves that {} may not read ({whose}); the hash tiles are public, and /api/v1/entries serves the other leaves",
                bundle.path(form),
                viewer.describe()
            ),
        });
    }
    Ok(!restrictions.is_empty())
}

/// The distinct restrictions other than public on `entries`.
fn restrictions_of(actors: &Actors, entries: &[Vec<u8>]) -> Arc<[Restriction]> {
    let mut found: Vec<Restriction> = Vec::new();
    for entry in entries {
        let restriction = actors.leaf_restriction(entry);
        if restriction != Restriction::Public && !found.contains(&restriction) {
            found.push(restriction);
        }
    }
    found.into()
}
