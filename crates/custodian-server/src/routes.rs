//! The routes, their handlers and the OpenAPI document generated from them.
//!
//! Every handler is annotated with `#[utoipa::path]`, and [`ApiDoc`] lists
//! them, so `/openapi.json` is derived from the code; a test checks that it
//! names every route of [`app`].

use crate::access::{Restriction, Viewer};
use crate::auth::Actors;
use crate::body;
use crate::error::{append_error, ApiError};
use crate::ledger::{AppendFailure, Ledger};
use crate::wire::{
    CheckpointView, ConsistencyProofView, ConsistencyQuery, EntriesQuery, EntriesView, EntryView,
    ErrorBody, InclusionProofView, InclusionQuery, ReceiptView, SignedSubmissionDoc,
    SubmissionsBody,
};
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use custodian_core::encoding::hex;
use custodian_core::{EventId, LeafIndex, TreeSize};
use custodian_ledger::checkpoint::verify_checkpoint;
use custodian_ledger::hash::leaf_hash;
use custodian_ledger::proof;
use custodian_ledger::Hash;
use custodian_store::any::AnyStore;
use custodian_store::{Store, StoreHashes, StoredCheckpoint, StoredLeaf};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;
use utoipa::OpenApi;

/// Bodies larger than this are parsed on the blocking pool, so that parsing a
/// 4 MiB submission does not hold up an async worker.
const BODY_BYTES_PARSED_INLINE_MAX: usize = 64 * 1024;

/// Leaves read from the store per query while a page of entries is filled.
const LEAVES_PER_READ: u64 = 64;

/// The OpenAPI 3 document of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Custodian API",
        description = "Custodian's tamper-evident log over HTTP: signed checkpoints, \
            leaves, RFC 9162 inclusion and consistency proofs, and signed submissions. \
            Byte formats: docs/FORMATS.md. Errors are {\"error\": {\"code\", \"message\", \"field\"}}.",
        license(name = "Apache-2.0")
    ),
    paths(
        checkpoint_note,
        checkpoint,
        entries,
        entry,
        inclusion_proof,
        consistency_proof,
        submit,
        openapi_json
    ),
    components(schemas(
        ErrorBody,
        CheckpointView,
        EntriesView,
        EntryView,
        InclusionProofView,
        ConsistencyProofView,
        ReceiptView,
        SignedSubmissionDoc,
        SubmissionsBody
    )),
    tags(
        (name = "log", description = "Reading and proving the log"),
        (name = "submissions", description = "Appending signed submissions")
    )
)]
pub struct ApiDoc;

/// The OpenAPI document as JSON text (built once).
pub fn openapi_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        doc.merge(crate::views::ViewsDoc::openapi());
        doc.merge(crate::tiles::TilesDoc::openapi());
        doc.to_pretty_json().unwrap_or_else(|e| {
            format!("{{\"error\":\"cannot encode the OpenAPI document: {e}\"}}")
        })
    })
}

/// The application: every route, JSON errors for unknown routes and methods,
/// and a deadline on reads. Appends read their body under their own deadline
/// and are never abandoned once queued (see [`submit`]).
pub fn app(ledger: Ledger) -> Router {
    let deadline = ledger.limits().request_timeout;
    let reads = Router::new()
        .route("/checkpoint", get(checkpoint_note))
        .route("/api/v1/checkpoint", get(checkpoint))
        .route("/api/v1/entries", get(entries))
        .route("/api/v1/entries/{index}", get(entry))
        .route("/api/v1/proofs/inclusion", get(inclusion_proof))
        .route("/api/v1/proofs/consistency", get(consistency_proof))
        .route("/openapi.json", get(openapi_json))
        .route_layer(middleware::from_fn_with_state(deadline, read_deadline));
    let writes = Router::new().route("/api/v1/submissions", post(submit));
    reads
        .merge(writes)
        .merge(crate::views::router(deadline))
        .merge(crate::tiles::router(deadline))
        .merge(crate::ui::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            ledger.clone(),
            crate::auth::identify,
        ))
        .with_state(ledger)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route (see /openapi.json)", None)
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// A read that takes longer than the deadline is answered `503 busy`: a GET
/// has no body, so the slowness is the server's.
pub(crate) async fn read_deadline(
    State(deadline): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Busy {
            message: format!(
                "the answer took longer than {} s; try again",
                deadline.as_secs_f64()
            ),
        }
        .into_response(),
    }
}

/// Query parameters, parsed by hand so that each error names its parameter.
struct Params(BTreeMap<String, String>);

impl Params {
    fn parse(
        query: Result<Query<BTreeMap<String, String>>, QueryRejection>,
        allowed: &[&str],
    ) -> Result<Params, ApiError> {
        let Query(map) = query.map_err(|e| ApiError::bad_parameter("query", e.body_text()))?;
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::bad_parameter(
                unknown,
                format!("unknown parameter; this route takes {}", allowed.join(", ")),
            ));
        }
        Ok(Params(map))
    }

    fn u64(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.0
            .get(name)
            .map(|text| {
                text.parse::<u64>().map_err(|_| {
                    ApiError::bad_parameter(
                        name,
                        format!("expected a non-negative integer, found {text:?}"),
                    )
                })
            })
            .transpose()
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

fn internal<E: std::fmt::Display>(context: &'static str) -> impl FnOnce(E) -> ApiError {
    move |e| ApiError::internal(context, e)
}

/// The latest stored checkpoint, or 404 for a log that has none.
fn latest(store: &AnyStore) -> Result<StoredCheckpoint, ApiError> {
    store
        .latest_checkpoint()?
        .ok_or_else(|| ApiError::not_found("the log has no checkpoint yet", None))
}

/// The latest signed checkpoint, as a signed note.
///
/// The note itself (C2SP `tlog-checkpoint` in C2SP `signed-note` form,
/// FORMATS.md §7), at the path `tlog-tiles` clients fetch.
#[utoipa::path(
    get,
    path = "/checkpoint",
    tag = "log",
    responses(
        (status = 200, description = "The signed note (FORMATS.md §7)", body = String, content_type = "text/plain; charset=utf-8"),
        (status = 404, description = "The log has no checkpoint", body = ErrorBody)
    )
)]
async fn checkpoint_note(State(ledger): State<Ledger>) -> Result<Response, ApiError> {
    let note = ledger.read(|store| Ok(latest(store)?.note)).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        note,
    )
        .into_response())
}

/// The latest signed checkpoint.
///
/// Verified under the log's key before it is served (STYLE §5, "Pair the
/// assertions").
#[utoipa::path(
    get,
    path = "/api/v1/checkpoint",
    tag = "log",
    responses(
        (status = 200, description = "The latest checkpoint", body = CheckpointView),
        (status = 404, description = "The log has no checkpoint", body = ErrorBody)
    )
)]
async fn checkpoint(State(ledger): State<Ledger>) -> Result<Json<CheckpointView>, ApiError> {
    let verifier = ledger.verifier().clone();
    let view = ledger
        .read(move |store| {
            let stored = latest(store)?;
            let cp = verify_checkpoint(stored.note.as_bytes(), &verifier).map_err(|e| {
                ApiError::internal(
                    "the latest stored checkpoint does not verify; run `custodian audit`",
                    e,
                )
            })?;
            Ok(CheckpointView {
                origin: cp.origin().to_string(),
                tree_size: cp.size().0,
                root_hash: cp.root().to_hex(),
                note: stored.note,
                verifier_key: verifier.to_text(),
            })
        })
        .await?;
    Ok(Json(view))
}

/// Who may read leaves: the viewer, and the log's actors when the viewer's
/// reading depends on who submitted a leaf (not for inspectors, who may read
/// every leaf). Built on the blocking pool.
struct LeafReader {
    viewer: Viewer,
    actors: Option<std::sync::Arc<Actors>>,
}

impl LeafReader {
    fn new(ledger: &Ledger, store: &AnyStore, viewer: Viewer) -> Result<LeafReader, ApiError> {
        let actors = if viewer.may_read(&Restriction::AllAccounts) {
            None
        } else {
            Some(ledger.guard().actors(store)?)
        };
        Ok(LeafReader { viewer, actors })
    }

    /// Whether the viewer may read this leaf (`access::leaf_restriction`,
    /// with the submitter's party from the registry).
    fn may_read(&self, data: &[u8]) -> bool {
        match &self.actors {
            None => true,
            Some(actors) => self.viewer.may_read(&actors.leaf_restriction(data)),
        }
    }
}

/// A leaf as `reader`'s viewer may see it: whole, or redacted to its hash.
fn entry_view(leaf: StoredLeaf, reader: &LeafReader) -> EntryView {
    let leaf_hash = leaf_hash(&leaf.data).to_hex();
    if !reader.may_read(&leaf.data) {
        return EntryView {
            index: leaf.index,
            leaf_hash,
            redacted: true,
            leaf: None,
            submission: None,
        };
    }
    let leaf_hex = hex(&leaf.data);
    let submission = String::from_utf8(leaf.data)
        .ok()
        .and_then(|text| RawValue::from_string(text).ok());
    EntryView {
        index: leaf.index,
        leaf_hash,
        redacted: false,
        leaf: Some(leaf_hex),
        submission,
    }
}

/// Leaves `[from, to)`.
///
/// At most 1000 per request, and fewer when their bytes exceed the page's
/// budget of 8 MiB (then `next` says where to continue). Each leaf is given
/// as hex (the bytes hashed) and as the signed submission's JSON; a leaf the
/// viewer may not read (a state's facility-level accounts) is redacted to its
/// hash.
#[utoipa::path(
    get,
    path = "/api/v1/entries",
    tag = "log",
    params(EntriesQuery),
    responses(
        (status = 200, description = "The leaves", body = EntriesView),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "A signed read that does not verify (FORMATS.md §18)", body = ErrorBody)
    )
)]
async fn entries(
    State(ledger): State<Ledger>,
    Extension(viewer): Extension<Viewer>,
    query: Result<Query<BTreeMap<String, String>>, QueryRejection>,
) -> Result<Json<EntriesView>, ApiError> {
    let params = Params::parse(query, &["from", "to"])?;
    let count_max = ledger.limits().entries_per_page_max;
    let bytes_max = ledger.limits().entries_page_bytes_max;
    let from = params.u64("from")?.unwrap_or(0);
    let to = params.u64("to")?;
    if let Some(to) = to {
        if to < from {
            return Err(ApiError::bad_parameter(
                "to",
                format!("expected at least from ({from}), found {to}"),
            ));
        }
        if to - from > count_max {
            return Err(ApiError::bad_parameter(
                "to",
                format!(
                    "at most {count_max} entries per request, asked for {}",
                    to - from
                ),
            ));
        }
    }
    let reading = ledger.clone();
    let view = ledger
        .read(move |store| {
            let size = store.tree_size()?.0;
            // After the size: the actors are then at least as new as every
            // leaf of the page (a leaf whose submitter is missing would be
            // withheld).
            let reader = LeafReader::new(&reading, store, viewer)?;
            let end = to.unwrap_or(from.saturating_add(count_max)).min(size);
            let start = from.min(end);
            let mut out = Vec::new();
            let (mut next, mut bytes, mut cut) = (start, 0usize, false);
            'pages: while next < end {
                let leaves = store.read_leaves(next, (next + LEAVES_PER_READ).min(end))?;
                if leaves.is_empty() {
                    return Err(ApiError::internal(
                        "entries",
                        format!("leaf {next} is missing from the store; run `custodian audit`"),
                    ));
                }
                for leaf in leaves {
                    if leaf.index != next {
                        return Err(ApiError::internal(
                            "entries",
                            format!("leaf {next} is missing from the store; run `custodian audit`"),
                        ));
                    }
                    if !out.is_empty() && bytes + leaf.data.len() > bytes_max {
                        cut = true;
                        break 'pages;
                    }
                    bytes += leaf.data.len();
                    out.push(entry_view(leaf, &reader));
                    next += 1;
                }
            }
            Ok(EntriesView {
                tree_size: size,
                from: start,
                to: next,
                entries: out,
                next: cut.then_some(next),
            })
        })
        .await?;
    Ok(Json(view))
}

/// One leaf.
///
/// Redacted to its hash if the viewer may not read it, as in `/api/v1/entries`.
#[utoipa::path(
    get,
    path = "/api/v1/entries/{index}",
    tag = "log",
    params(("index" = u64, Path, description = "The leaf index")),
    responses(
        (status = 200, description = "The leaf", body = EntryView),
        (status = 400, description = "Not an index", body = ErrorBody),
        (status = 401, description = "A signed read that does not verify (FORMATS.md §18)", body = ErrorBody),
        (status = 404, description = "No such leaf", body = ErrorBody)
    )
)]
async fn entry(
    State(ledger): State<Ledger>,
    Extension(viewer): Extension<Viewer>,
    index: Result<Path<String>, PathRejection>,
) -> Result<Json<EntryView>, ApiError> {
    let Path(text) = index.map_err(|e| ApiError::bad_parameter("index", e.body_text()))?;
    let index = text.parse::<u64>().map_err(|_| {
        ApiError::bad_parameter("index", format!("expected a leaf index, found {text:?}"))
    })?;
    let reading = ledger.clone();
    let view = ledger
        .read(
            move |store| match store.read_leaves(index, index.saturating_add(1))?.pop() {
                Some(leaf) => Ok(entry_view(leaf, &LeafReader::new(&reading, store, viewer)?)),
                None => Err(ApiError::not_found(
                    format!(
                        "leaf {index} is not in the log, which has {} leaves",
                        store.tree_size()?.0
                    ),
                    Some("index"),
                )),
            },
        )
        .await?;
    Ok(Json(view))
}

fn hex_list(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(Hash::to_hex).collect()
}

/// An inclusion proof.
///
/// RFC 9162 §2.1.3 proof of a leaf (by index, or by the event it holds) in
/// the tree of `size` leaves, with everything an offline verifier needs
/// besides the log's verifier key: the document `custodian --json log prove`
/// prints (FORMATS.md §8). The proof is public; the leaf's bytes are
/// withheld (`redacted`, `leaf` null) from a viewer who may not read them.
#[utoipa::path(
    get,
    path = "/api/v1/proofs/inclusion",
    tag = "log",
    params(InclusionQuery),
    responses(
        (status = 200, description = "The proof", body = InclusionProofView),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "No such leaf, event or tree size", body = ErrorBody)
    )
)]
async fn inclusion_proof(
    State(ledger): State<Ledger>,
    Extension(viewer): Extension<Viewer>,
    query: Result<Query<BTreeMap<String, String>>, QueryRejection>,
) -> Result<Json<InclusionProofView>, ApiError> {
    let params = Params::parse(query, &["index", "event", "size"])?;
    let index = params.u64("index")?;
    let size = params.u64("size")?;
    let event = match (index, params.text("event")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_parameter(
                "event",
                "give a leaf index or an event id, not both",
            ))
        }
        (None, None) => {
            return Err(ApiError::bad_parameter(
                "index",
                "missing: give a leaf index (or an event id in `event`)",
            ))
        }
        (_, Some(text)) => Some(
            EventId::parse(text)
                .map_err(|e| ApiError::bad_parameter("event", format!("not an event id: {e}")))?,
        ),
        (_, None) => None,
    };
    let reading = ledger.clone();
    let view = ledger
        .read(move |store| {
            let head = latest(store)?;
            let size = tree_at(size, &head, "size")?;
            let (index, event) = match (index, event) {
                (Some(index), _) => (index, None),
                (None, Some(id)) => {
                    let location = store.event_location(&id)?.ok_or_else(|| {
                        ApiError::not_found(
                            format!("event {:?} is not in the log", id.as_str()),
                            Some("event"),
                        )
                    })?;
                    (location.leaf.0, Some(id))
                }
                (None, None) => return Err(ApiError::bad_parameter("index", "missing")),
            };
            if index >= size {
                return Err(ApiError::not_found(
                    format!("leaf {index} is not in the tree of {size} leaves"),
                    Some(if event.is_some() { "event" } else { "index" }),
                ));
            }
            let hashes = StoreHashes(store);
            let path = proof::prove_inclusion(LeafIndex(index), TreeSize(size), &hashes)
                .map_err(internal("inclusion proof"))?;
            let root = proof::tree_hash(TreeSize(size), &hashes).map_err(internal("tree hash"))?;
            let data = store
                .read_leaves(index, index + 1)?
                .pop()
                .ok_or_else(|| {
                    ApiError::internal("inclusion proof", format!("leaf {index} is missing"))
                })?
                .data;
            let readable = LeafReader::new(&reading, store, viewer)?.may_read(&data);
            Ok(InclusionProofView {
                index,
                tree_size: size,
                root: root.to_hex(),
                leaf_hash: leaf_hash(&data).to_hex(),
                proof: hex_list(&path),
                event: event.map(|e| e.as_str().to_string()),
                redacted: !readable,
                leaf: readable.then(|| hex(&data)),
                checkpoint: (size == head.size.0).then_some(head.note),
            })
        })
        .await?;
    Ok(Json(view))
}

/// The tree size asked for (default: the latest checkpoint's), which must exist.
fn tree_at(asked: Option<u64>, head: &StoredCheckpoint, field: &str) -> Result<u64, ApiError> {
    match asked {
        None => Ok(head.size.0),
        Some(size) if size > head.size.0 => Err(ApiError::not_found(
            format!(
                "no tree of {size} leaves: the log has {} leaves",
                head.size.0
            ),
            Some(field),
        )),
        Some(size) => Ok(size),
    }
}

/// A consistency proof.
///
/// RFC 9162 §2.1.4 proof that the tree of `from` leaves is a prefix of the
/// tree of `to` leaves: what `custodian --json log consistency` prints
/// (FORMATS.md §8).
#[utoipa::path(
    get,
    path = "/api/v1/proofs/consistency",
    tag = "log",
    params(ConsistencyQuery),
    responses(
        (status = 200, description = "The proof", body = ConsistencyProofView),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "No such tree size", body = ErrorBody)
    )
)]
async fn consistency_proof(
    State(ledger): State<Ledger>,
    query: Result<Query<BTreeMap<String, String>>, QueryRejection>,
) -> Result<Json<ConsistencyProofView>, ApiError> {
    let params = Params::parse(query, &["from", "to"])?;
    let from = params
        .u64("from")?
        .ok_or_else(|| ApiError::bad_parameter("from", "missing: the older tree size"))?;
    let to = params.u64("to")?;
    if let Some(to) = to {
        if from > to {
            return Err(ApiError::bad_parameter(
                "from",
                format!("the older size {from} is larger than the newer size {to}"),
            ));
        }
    }
    let view = ledger
        .read(move |store| {
            let head = latest(store)?;
            let to = tree_at(to, &head, "to")?;
            if from > to {
                return Err(ApiError::not_found(
                    format!("no tree of {from} leaves: the log has {to} leaves"),
                    Some("from"),
                ));
            }
            let hashes = StoreHashes(store);
            let path = proof::prove_consistency(TreeSize(from), TreeSize(to), &hashes)
                .map_err(internal("consistency proof"))?;
            Ok(ConsistencyProofView {
                old_size: from,
                new_size: to,
                old_root: proof::tree_hash(TreeSize(from), &hashes)
                    .map_err(internal("tree hash"))?
                    .to_hex(),
                new_root: proof::tree_hash(TreeSize(to), &hashes)
                    .map_err(internal("tree hash"))?
                    .to_hex(),
                proof: hex_list(&path),
            })
        })
        .await?;
    Ok(Json(view))
}

/// Whether a Content-Type header says JSON.
fn is_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let found = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let essence = found.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType { found })
    }
}

/// Append signed submissions.
///
/// One signed submission, or an array of them appended atomically (all or
/// none), under the registry's rules — the actor is registered and not
/// revoked, its role may submit every event's kind, its `seq` is its next,
/// its signature and every approval verify — and the engines' rules, exactly
/// as `custodian log append` does. The signature is the write access control:
/// no other credential is asked for.
///
/// The body must arrive within the request deadline (else `408`); once read
/// and parsed, the append is queued for the log's one sequencer (`503` if the
/// queue is full) and is carried out even if the client goes away.
#[utoipa::path(
    post,
    path = "/api/v1/submissions",
    tag = "submissions",
    request_body(
        content = SubmissionsBody,
        content_type = "application/json",
        description = "One signed submission in RFC 8785 canonical bytes (FORMATS.md §4), or a JSON array of them appended atomically"
    ),
    responses(
        (status = 201, description = "Appended; `Location` names the first new entry", body = ReceiptView),
        (status = 400, description = "Malformed JSON or an empty batch", body = ErrorBody),
        (status = 403, description = "Unknown or revoked actor, a role that may not submit the kind, a bad signature or approval", body = ErrorBody),
        (status = 408, description = "The body did not arrive in time", body = ErrorBody),
        (status = 409, description = "Replayed or out-of-order seq, a duplicate event id, or refused by an engine rule", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Not a valid signed submission, not canonical, or for another log", body = ErrorBody),
        (status = 503, description = "Busy; try again", body = ErrorBody)
    )
)]
async fn submit(
    State(ledger): State<Ledger>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    is_json(&headers)?;
    let limits = ledger.limits().clone();
    let bytes_max = limits.body_bytes_max;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > bytes_max as u64) {
        return Err(ApiError::TooLarge { bytes_max });
    }
    let read = tokio::time::timeout(
        limits.request_timeout,
        Limited::new(body, bytes_max).collect(),
    )
    .await
    .map_err(|_| ApiError::RequestTimeout {
        seconds_max: limits.request_timeout.as_secs(),
    })?;
    let bytes = match read {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(ApiError::TooLarge { bytes_max })
        }
        Err(e) => {
            return Err(ApiError::MalformedJson {
                field: None,
                message: format!("cannot read the request body: {e}; nothing applied"),
            })
        }
    };
    let submissions_max = limits.submissions_per_request_max;
    let parsed = if bytes.len() > BODY_BYTES_PARSED_INLINE_MAX {
        tokio::task::spawn_blocking(move || body::parse(&bytes, submissions_max))
            .await
            .map_err(internal("parsing task"))??
    } else {
        body::parse(&bytes, submissions_max)?
    };
    let batch = parsed.batch;
    match ledger.append(parsed.submissions).await {
        Ok(receipt) => {
            let location = format!("/api/v1/entries/{}", receipt.first_leaf.0);
            let view = ReceiptView {
                first_leaf: receipt.first_leaf.0,
                tree_size: receipt.size.0,
                root_hash: receipt.root.to_hex(),
                events: receipt.events as u64,
                checkpoint: receipt.checkpoint,
            };
            let mut response = (StatusCode::CREATED, Json(view)).into_response();
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            Ok(response)
        }
        Err(AppendFailure::Append(e)) => Err(append_error(e, batch)),
        Err(AppendFailure::Busy) => Err(ApiError::Busy {
            message: format!(
                "{} appends are already queued; nothing applied, try again",
                limits.appends_queued_max
            ),
        }),
        Err(AppendFailure::Unavailable) => Err(ApiError::Busy {
            message: "the log cannot take appends now (the cause is in the server's log); nothing applied, try again".into(),
        }),
    }
}

/// This document.
///
/// The OpenAPI 3 document, generated from the server's code.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "log",
    responses((status = 200, description = "The OpenAPI 3 document of this API", content_type = "application/json"))
)]
async fn openapi_json() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        openapi_text(),
    )
        .into_response()
}
