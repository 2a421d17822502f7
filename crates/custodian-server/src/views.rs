//! The engines' views over HTTP: the registry as of a date, items with their
//! custody and control, alerts, findings per interpretation, accountancy
//! evaluations, the escrow record and review summaries.
//!
//! **The server owns no engine.** Each view answers exactly the JSON document
//! the named `custodian ... --json` command prints: the binary implements
//! [`Views`] by calling the same function the command calls, and hands it to
//! the server with [`Ledger::with_views`]. A server started without views
//! answers every view route with a JSON `404` whose code is `no_views`.
//!
//! **Parameters** are parsed here, by hand, so that each error is a `400`
//! naming its parameter as the `field`: an unknown or repeated parameter, a
//! value of the wrong form. Defaults are filled in here too (`at`: now), so a
//! [`ViewRequest`] is complete and its `Debug` form is a normalised key.
//! Whatever only an engine can judge (an unknown treaty, an item not in the
//! record) comes back from [`Views`] as a [`ViewError`] naming the parameter.
//!
//! **Access.** Everything here is public except a state's facility-level
//! accounts ([`crate::access`]): `/api/v1/accountancy/mbas` lists the MBAs the
//! viewer may read and counts the others, and an MBA's evaluation is decided
//! before anything is computed — `403 forbidden` unless the viewer is of the
//! MBA's state (from its facility's registration in the log) or an inspector.
//! An MBA whose state is not known is treated as restricted to inspectors, so
//! the answer to the public is the same whether or not the MBA exists.
//!
//! **Cost.** A view replays the log (custody, accounts, the escrow record),
//! so answers are cached by (route, normalised parameters, tree size): the
//! tree size is one cheap query, and a log that has not grown gives the same
//! answer. The cache is bounded in entries and bytes
//! ([`ANSWERS_CACHED_MAX`], [`ANSWER_BYTES_CACHED_MAX`]) and drops the
//! answers of older tree sizes first. One request computes a given answer at
//! a time; identical requests meanwhile wait for it rather than replay the
//! log again. A response says whether it came from
//! the cache (`x-custodian-cache: hit` or `miss`) and for which tree size
//! (`x-custodian-tree-size`). Views run on the read pool ([`Ledger::read`])
//! under the read deadline (`503` past it), each miss on a connection of its
//! own (the engines read the log through `Log`, which owns its store). A
//! view that misses the deadline still finishes on the pool and caches its
//! answer, so the client's retry is served from the cache.

use crate::access::{Restriction, Viewer};
use crate::error::ApiError;
use crate::ledger::Ledger;
use crate::wire::{ErrorBody, ErrorDetail};
use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use custodian_core::event::MbaCode;
use custodian_core::ids::ItemId;
use custodian_core::{Date, DeclarationId, StateCode, UtcTime};
use custodian_store::any::AnyStore;
use custodian_store::log::Log;
use custodian_store::Store;
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// Most answers kept in the cache.
pub const ANSWERS_CACHED_MAX: usize = 256;
/// Most bytes of answers kept in the cache; an answer larger than an eighth
/// of it is served but not kept.
pub const ANSWER_BYTES_CACHED_MAX: usize = 64 * 1024 * 1024;
/// Longest value of a query parameter, in bytes.
pub const PARAMETER_BYTES_MAX: usize = 256;
/// Page's false-alarm probability over the sequence when none is given, as
/// `custodian accountancy evaluate --alpha` defaults.
pub const ALPHA_DEFAULT: f64 = 0.05;

/// The engines, as the server sees them: the binary implements this by
/// calling the functions its commands call for `--json`.
pub trait Views: Send + Sync + 'static {
    /// The JSON document of `request`, computed from `log` (opened on a read
    /// connection for this request, at least as large as the tree size the
    /// answer is cached under).
    fn view(&self, log: &Log<AnyStore>, request: &ViewRequest) -> Result<Value, ViewError>;

    /// Every material balance area registered in `log`, with its facility and
    /// the state of that facility (from the facility's registration).
    fn mbas(&self, log: &Log<AnyStore>) -> Result<Vec<MbaListing>, ViewError>;
}

/// A material balance area and the state whose accounts it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MbaListing {
    /// The MBA.
    pub mba: MbaCode,
    /// Its facility's id.
    pub facility: String,
    /// The state its facility is in.
    pub state: StateCode,
}

/// Why a view could not be answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewError {
    /// 400: a parameter the engine refuses (an unknown treaty or obligation).
    BadParameter {
        /// The parameter.
        field: String,
        /// What was wrong, for people.
        message: String,
    },
    /// 404: what a parameter names is not there (an item, a state, a cycle).
    NotFound {
        /// The parameter.
        field: String,
        /// What was not found.
        message: String,
    },
    /// 422: the parameters are well formed but the engine cannot answer for
    /// them (an MBA with fewer than two closed inventory takings).
    Unprocessable {
        /// The parameter that led there.
        field: String,
        /// Why.
        message: String,
    },
    /// 500: the engine failed (the cause goes to the server's log only).
    Internal(String),
}

impl From<ViewError> for ApiError {
    fn from(e: ViewError) -> ApiError {
        match e {
            ViewError::BadParameter { field, message } => ApiError::BadParameter { field, message },
            ViewError::NotFound { field, message } => ApiError::NotFound {
                message,
                field: Some(field),
            },
            ViewError::Unprocessable { field, message } => ApiError::Invalid {
                code: "unprocessable",
                field: Some(field),
                message,
            },
            ViewError::Internal(cause) => ApiError::internal("view", cause),
        }
    }
}

/// `at` of the views over the custody record: a date (the end of that day,
/// UTC) or a UTC time, as `--at` of the commands takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    /// The end of this day, UTC (23:59:59).
    EndOfDay(Date),
    /// This time.
    Time(UtcTime),
}

impl fmt::Display for At {
    /// The text `--at` takes: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::EndOfDay(d) => write!(f, "{d}"),
            At::Time(t) => write!(f, "{t}"),
        }
    }
}

/// One view asked for, its parameters checked for form and its defaults
/// filled in. Each variant names the command that prints the same document.
#[derive(Clone, Debug, PartialEq)]
pub enum ViewRequest {
    /// `custodian regime status TREATY --at DATE --json`.
    RegistryStatus {
        /// The treaty (checked by the engine).
        treaty: String,
        /// The date.
        at: Date,
    },
    /// `custodian regime in-force TREATY --at DATE --json`.
    RegistryInForce {
        /// The treaty (checked by the engine).
        treaty: String,
        /// The date.
        at: Date,
    },
    /// `custodian regime state STATE --at DATE --json`.
    RegistryState {
        /// The state.
        state: StateCode,
        /// The date.
        at: Date,
    },
    /// `custodian regime forces [--at YEAR] --json`.
    RegistryForces {
        /// Only this year.
        year: Option<i32>,
    },
    /// `custodian regime deployments [--at DATE] --json`.
    RegistryDeployments {
        /// As published by this date.
        at: Option<Date>,
    },
    /// `custodian items --at AT [--state S] [--custodian C] [--controller C] --json`.
    Items {
        /// As of.
        at: At,
        /// Only items on this state's territory.
        state: Option<StateCode>,
        /// Only items in this state's custody.
        custodian: Option<StateCode>,
        /// Only items under this state's control.
        controller: Option<StateCode>,
    },
    /// `custodian item show ID --at AT --json`.
    Item {
        /// The item.
        id: ItemId,
        /// As of.
        at: At,
    },
    /// `custodian item history ID --json`.
    ItemHistory {
        /// The item.
        id: ItemId,
    },
    /// `custodian alerts --at AT --json`.
    Alerts {
        /// As of.
        at: At,
    },
    /// `custodian comply --at AT [--obligation O] [--interpretation I] --json`.
    Findings {
        /// As of.
        at: At,
        /// Only this obligation (checked by the engine).
        obligation: Option<String>,
        /// Only this interpretation, or `all` (checked by the engine).
        interpretation: Option<String>,
    },
    /// `custodian accountancy evaluate --mba M [--from D] [--to D] --quantity Q
    /// --alpha A [--matrices W] --json`.
    Evaluation {
        /// The MBA.
        mba: MbaCode,
        /// The earliest closed taking used.
        from: Option<Date>,
        /// The latest closed taking used.
        to: Option<Date>,
        /// `element` or `u235` (checked by the engine).
        quantity: String,
        /// Page's false-alarm probability over the sequence, in (0, 1).
        alpha: f64,
        /// `auto`, `include` or `omit` (checked by the engine).
        matrices: Option<String>,
    },
    /// `custodian escrow verify [--declaration D] --json`.
    Escrow {
        /// Only this declaration.
        declaration: Option<DeclarationId>,
    },
    /// The open-data JSON that `custodian review summary YEAR --out DIR`
    /// writes to `npt-review-YEAR.json`.
    ReviewSummary {
        /// The cycle's year (checked by the engine).
        year: u16,
    },
}

impl ViewRequest {
    /// The cache key: the request with every default filled in, in one
    /// deterministic spelling.
    fn key(&self) -> String {
        format!("{self:?}")
    }
}

/// The MBAs a viewer may read.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MbaListView {
    /// The MBAs whose state's accounts the viewer may read, by code.
    pub mbas: Vec<MbaView>,
    /// How many other MBAs the log holds.
    pub hidden: u64,
}

/// One material balance area.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MbaView {
    /// The MBA's code.
    #[schema(example = "XFF1")]
    pub mba: String,
    /// Its facility's id.
    pub facility: String,
    /// The state whose facility it is (ISO 3166-1 alpha-3).
    #[schema(example = "XFF")]
    pub state: String,
}

// The parameters of each route, for the OpenAPI document. They are parsed by
// hand ([`Asked`]) so that each error names its parameter, hence unread here.

/// `GET /api/v1/registry/status` and `/in-force` parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct TreatyQuery {
    /// The treaty, as the registry's treaties.csv names it (`NPT`, `CTBT`, `TPNW`, ...).
    #[param(example = "NPT")]
    treaty: String,
    /// As of this date, `YYYY-MM-DD` (a UTC time `YYYY-MM-DDTHH:MM:SSZ` is
    /// taken as its date) [default: today].
    at: Option<String>,
}

/// `GET /api/v1/registry/states/{state}` parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct DateQuery {
    /// As of this date, `YYYY-MM-DD` (a UTC time is taken as its date) [default: today].
    at: Option<String>,
}

/// `GET /api/v1/registry/forces` parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ForcesQuery {
    /// Only this year, `YYYY` (a date is taken as its year) [default: every year].
    at: Option<String>,
}

/// `GET /api/v1/registry/deployments` parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct DeploymentsQuery {
    /// As published by this date, `YYYY-MM-DD` [default: every row].
    at: Option<String>,
}

/// `GET /api/v1/items` parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ItemsQuery {
    /// As of this date (the end of that day, UTC) or UTC time
    /// `YYYY-MM-DDTHH:MM:SSZ` [default: now].
    at: Option<String>,
    /// Only items on the territory of this state (ISO 3166-1 alpha-3).
    state: Option<String>,
    /// Only items in this state's custody.
    custodian: Option<String>,
    /// Only items under this state's control.
    controller: Option<String>,
}

/// `at` alone: the custody record as of a date or time.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct AtQuery {
    /// As of this date (the end of that day, UTC) or UTC time
    /// `YYYY-MM-DDTHH:MM:SSZ` [default: now].
    at: Option<String>,
}

/// `GET /api/v1/findings` parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct FindingsQuery {
    /// As of this date (the end of that day, UTC) or UTC time [default: now].
    at: Option<String>,
    /// Only this obligation, e.g. `npt-art-1` [default: all].
    obligation: Option<String>,
    /// Only this interpretation, or `all` [default: all].
    interpretation: Option<String>,
}

/// `GET /api/v1/accountancy/mbas/{mba}/evaluation` parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct EvaluationQuery {
    /// The earliest closed physical inventory taking to use, `YYYY-MM-DD`
    /// (the balances start the day after it) [default: the first].
    from: Option<String>,
    /// The latest closed taking to use, `YYYY-MM-DD` [default: the last].
    to: Option<String>,
    /// The amount balanced: `element` or `u235` [default: element].
    quantity: Option<String>,
    /// Page's false-alarm probability over the sequence, in (0, 1) (h is the
    /// exact threshold for its length, k = 0.5) [default: 0.05].
    alpha: Option<f64>,
    /// Whether to include the n x n covariance and Cholesky factor: `auto`
    /// (up to 100 balances), `include` or `omit` [default: auto].
    matrices: Option<String>,
}

/// `GET /api/v1/escrow` parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct EscrowQuery {
    /// Only this declaration [default: all].
    declaration: Option<String>,
}

/// `GET /api/v1/review/summary` parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct SummaryQuery {
    /// The review cycle's year (2022 is taken as the 2020 cycle, whose
    /// conference met then).
    #[param(example = 2020)]
    year: u16,
}

/// The OpenAPI document of the views' routes, merged into [`crate::ApiDoc`]'s.
#[derive(OpenApi)]
#[openapi(
    paths(
        registry_status,
        registry_in_force,
        registry_state,
        registry_forces,
        registry_deployments,
        items,
        item,
        item_history,
        alerts,
        findings,
        accountancy_mbas,
        accountancy_evaluation,
        escrow,
        review_summary
    ),
    components(schemas(MbaListView, MbaView)),
    tags((name = "views", description = "The engines' views: each answers the JSON document of the `custodian` command it names"))
)]
pub struct ViewsDoc;

/// The views' routes, each under the read deadline.
pub(crate) fn router(deadline: Duration) -> Router<Ledger> {
    Router::new()
        .route("/api/v1/registry/status", get(registry_status))
        .route("/api/v1/registry/in-force", get(registry_in_force))
        .route("/api/v1/registry/states/{state}", get(registry_state))
        .route("/api/v1/registry/forces", get(registry_forces))
        .route("/api/v1/registry/deployments", get(registry_deployments))
        .route("/api/v1/items", get(items))
        .route("/api/v1/items/{id}", get(item))
        .route("/api/v1/items/{id}/history", get(item_history))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/findings", get(findings))
        .route("/api/v1/accountancy/mbas", get(accountancy_mbas))
        .route(
            "/api/v1/accountancy/mbas/{mba}/evaluation",
            get(accountancy_evaluation),
        )
        .route("/api/v1/escrow", get(escrow))
        .route("/api/v1/review/summary", get(review_summary))
        .route_layer(middleware::from_fn_with_state(
            deadline,
            crate::routes::read_deadline,
        ))
}

/// What the server keeps for the views: the engines and their answers.
pub(crate) struct Served {
    views: Arc<dyn Views>,
    answers: Answers,
    /// The MBA listing and the tree size it was read at.
    listing: Mutex<Option<(u64, Arc<Vec<MbaListing>>)>>,
}

impl Served {
    pub(crate) fn new(views: Arc<dyn Views>) -> Served {
        Served {
            views,
            answers: Answers::default(),
            listing: Mutex::new(None),
        }
    }

    /// Every MBA with its state, as of tree size `size` (computed once per
    /// size), and whether it came from the cache.
    fn listing(
        &self,
        size: u64,
        open: impl FnOnce() -> Result<Log<AnyStore>, ApiError>,
    ) -> Result<(Arc<Vec<MbaListing>>, bool), ApiError> {
        if let Ok(held) = self.listing.lock() {
            if let Some((at, listing)) = held.as_ref() {
                if *at == size {
                    return Ok((listing.clone(), true));
                }
            }
        }
        let listing = Arc::new(self.views.mbas(&open()?)?);
        if let Ok(mut held) = self.listing.lock() {
            if held.as_ref().is_none_or(|(at, _)| *at <= size) {
                *held = Some((size, listing.clone()));
            }
        }
        Ok((listing, false))
    }
}

/// Answers by (normalised request, tree size), least recently used first out.
///
/// One request computes an answer at a time: a second request for an answer
/// being computed waits for it (at most the read deadline) instead of
/// replaying the log again, so a burst of identical requests on a cold cache
/// costs one computation.
#[derive(Default)]
struct Answers {
    inner: Mutex<AnswersInner>,
    /// Signalled whenever a computation ends, with or without an answer.
    done: Condvar,
}

#[derive(Default)]
struct AnswersInner {
    entries: HashMap<(String, u64), Answer>,
    /// The answers being computed.
    computing: HashSet<(String, u64)>,
    bytes: usize,
    clock: u64,
}

struct Answer {
    body: Bytes,
    used: u64,
}

/// What a lookup found.
enum Lookup<'a> {
    /// The answer, from the cache.
    Hit(Bytes),
    /// No answer: the caller computes it.
    Miss(Claim<'a>),
}

/// The right to compute an answer: [`Claim::fill`] keeps it; dropping the
/// claim (after filling it, or on an error) wakes whoever waits for it.
struct Claim<'a> {
    answers: &'a Answers,
    key: (String, u64),
}

impl Claim<'_> {
    fn fill(&self, body: Bytes) {
        self.answers.put(self.key.0.clone(), self.key.1, body);
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.answers.lock().computing.remove(&self.key);
        self.answers.done.notify_all();
    }
}

impl Answers {
    /// A panic elsewhere while the lock was held leaves the map consistent
    /// (each update is one statement), so a poisoned lock is taken as is.
    fn lock(&self) -> MutexGuard<'_, AnswersInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The answer for `key` at tree size `size`; else, once no other request
    /// is computing it (or after `wait_max`), a claim to compute it.
    fn lookup(&self, key: &str, size: u64, wait_max: Duration) -> Lookup<'_> {
        let key = (key.to_string(), size);
        let deadline = Instant::now() + wait_max;
        let mut inner = self.lock();
        loop {
            inner.clock += 1;
            let clock = inner.clock;
            if let Some(answer) = inner.entries.get_mut(&key) {
                answer.used = clock;
                return Lookup::Hit(answer.body.clone());
            }
            let now = Instant::now();
            if !inner.computing.contains(&key) || now >= deadline {
                inner.computing.insert(key.clone());
                return Lookup::Miss(Claim { answers: self, key });
            }
            inner = self
                .done
                .wait_timeout(inner, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn put(&self, key: String, size: u64, body: Bytes) {
        if body.len() > ANSWER_BYTES_CACHED_MAX / 8 {
            return;
        }
        let mut inner = self.lock();
        // The log only grows: answers for a smaller tree are never asked again.
        let stale: Vec<(String, u64)> = inner
            .entries
            .keys()
            .filter(|(_, at)| *at < size)
            .cloned()
            .collect();
        for k in stale {
            inner.remove(&k);
        }
        while !inner.entries.is_empty()
            && (inner.entries.len() >= ANSWERS_CACHED_MAX
                || inner.bytes + body.len() > ANSWER_BYTES_CACHED_MAX)
        {
            let oldest = inner
                .entries
                .iter()
                .min_by_key(|(_, a)| a.used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => inner.remove(&k),
                None => break,
            }
        }
        inner.clock += 1;
        let used = inner.clock;
        inner.bytes += body.len();
        if let Some(old) = inner.entries.insert((key, size), Answer { body, used }) {
            inner.bytes -= old.body.len();
        }
    }
}

impl AnswersInner {
    fn remove(&mut self, key: &(String, u64)) {
        if let Some(old) = self.entries.remove(key) {
            self.bytes -= old.body.len();
        }
    }
}

/// A view's answer: the JSON body and where it came from.
fn answer_response(body: Bytes, hit: bool, size: u64) -> Response {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-custodian-cache",
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
    headers.insert("x-custodian-tree-size", HeaderValue::from(size));
    response
}

/// The answer of a server started without views.
fn no_views() -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "no_views".into(),
            message: "this server was started without engine views".into(),
            field: None,
        },
    };
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

/// Opens the log on a read connection of its own, for an engine to replay.
fn open_log(ledger: &Ledger) -> Result<Log<AnyStore>, ApiError> {
    let store = AnyStore::open(ledger.target())
        .map_err(|e| ApiError::internal("opening a read connection for a view", e))?;
    Ok(Log::open(store)?)
}

/// Answers `request` (already refused if its parameters were bad): from the
/// cache when the log has not grown since, else computed by the engines on
/// the read pool. `viewer` is checked first for an evaluation.
async fn respond(
    ledger: Ledger,
    viewer: Option<Viewer>,
    request: Result<ViewRequest, ApiError>,
) -> Response {
    let Some(served) = ledger.views().cloned() else {
        return no_views();
    };
    let request = match request {
        Ok(request) => request,
        Err(e) => return e.into_response(),
    };
    let reading = ledger.clone();
    let outcome = ledger
        .read(move |store| {
            let size = store.tree_size()?.0;
            if let ViewRequest::Evaluation { mba, .. } = &request {
                // Decided before anything is computed; no viewer is the public.
                let (listing, _) = served.listing(size, || open_log(&reading))?;
                may_read_mba(&viewer.unwrap_or_default(), &listing, mba)?;
            }
            let wait_max = reading.limits().request_timeout;
            let claim = match served.answers.lookup(&request.key(), size, wait_max) {
                Lookup::Hit(body) => return Ok((body, true, size)),
                Lookup::Miss(claim) => claim,
            };
            let value = served.views.view(&open_log(&reading)?, &request)?;
            let body = Bytes::from(
                serde_json::to_vec(&value).map_err(|e| ApiError::internal("encoding a view", e))?,
            );
            claim.fill(body.clone());
            Ok((body, false, size))
        })
        .await;
    match outcome {
        Ok((body, hit, size)) => answer_response(body, hit, size),
        Err(e) => e.into_response(),
    }
}

/// Whether `viewer` may read the accounts of `mba`: `403` unless it is of the
/// MBA's state or an inspector, then `404` for an MBA not in the log (which
/// only inspectors learn).
fn may_read_mba(viewer: &Viewer, listing: &[MbaListing], mba: &MbaCode) -> Result<(), ApiError> {
    let state = listing.iter().find(|m| &m.mba == mba).map(|m| m.state);
    let restriction = state.map_or(Restriction::AllAccounts, Restriction::StateAccounts);
    if !viewer.may_read(&restriction) {
        return Err(ApiError::Forbidden {
            code: "forbidden",
            field: Some("mba".into()),
            message: format!(
                "{} may not read the accounts of MBA {mba}: a state's facility-level accounts are for that state's actors and inspectors (sign the request, FORMATS.md §18)",
                viewer.describe()
            ),
        });
    }
    if state.is_none() {
        return Err(ApiError::not_found(
            format!("no MBA {mba} is registered in the log"),
            Some("mba"),
        ));
    }
    Ok(())
}

/// Query parameters, each at most once and each known to the route.
struct Asked(Vec<(String, String)>);

impl Asked {
    fn new(
        query: Result<Query<Vec<(String, String)>>, QueryRejection>,
        known: &[&str],
    ) -> Result<Asked, ApiError> {
        let Query(pairs) = query.map_err(|e| ApiError::bad_parameter("query", e.body_text()))?;
        for (i, (name, value)) in pairs.iter().enumerate() {
            if !known.contains(&name.as_str()) {
                let takes = if known.is_empty() {
                    "this route takes no parameter".to_string()
                } else {
                    format!("this route takes {}", known.join(", "))
                };
                return Err(ApiError::bad_parameter(
                    name,
                    format!("unknown parameter; {takes}"),
                ));
            }
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(ApiError::bad_parameter(name, "given more than once"));
            }
            if value.len() > PARAMETER_BYTES_MAX {
                return Err(ApiError::bad_parameter(
                    name,
                    format!(
                        "{} bytes, over the limit of {PARAMETER_BYTES_MAX}",
                        value.len()
                    ),
                ));
            }
        }
        Ok(Asked(pairs))
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &str, what: &str) -> Result<&str, ApiError> {
        match self.text(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ApiError::bad_parameter(name, format!("missing: {what}"))),
        }
    }

    fn parsed<T, E: fmt::Display>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ApiError> {
        self.text(name)
            .map(|text| {
                parse(text).map_err(|e| ApiError::bad_parameter(name, format!("{text:?}: {e}")))
            })
            .transpose()
    }

    fn state(&self, name: &str) -> Result<Option<StateCode>, ApiError> {
        self.parsed(name, StateCode::parse)
    }

    /// A date; a UTC time is taken as its date.
    fn date(&self, name: &str) -> Result<Option<Date>, ApiError> {
        self.parsed(name, |text| {
            Date::parse(text)
                .or_else(|_| UtcTime::parse(text).map(UtcTime::date))
                .map_err(|_| "expected a date YYYY-MM-DD")
        })
    }

    /// A date only (the commands' `--from`, `--to`).
    fn day(&self, name: &str) -> Result<Option<Date>, ApiError> {
        self.parsed(name, |text| {
            Date::parse(text).map_err(|_| "expected a date YYYY-MM-DD")
        })
    }

    /// `at` of the custody views [default: now].
    fn at(&self) -> Result<At, ApiError> {
        let at = self.parsed("at", |text| match UtcTime::parse(text) {
            Ok(t) => Ok(At::Time(t)),
            Err(_) => Date::parse(text).map(At::EndOfDay).map_err(|_| {
                "expected a date YYYY-MM-DD (the end of that day, UTC) or a UTC time YYYY-MM-DDTHH:MM:SSZ"
            }),
        })?;
        Ok(at.unwrap_or(At::Time(now())))
    }
}

/// The server's clock, to the second.
fn now() -> UtcTime {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    UtcTime::from_unix_seconds(seconds)
        .or_else(|| UtcTime::from_unix_seconds(0))
        .unwrap_or_else(|| unreachable!("the epoch is a UTC time"))
}

/// A path parameter, parsed, or a `400` naming it.
fn path_param<T, E: fmt::Display>(
    name: &str,
    path: Result<Path<String>, PathRejection>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, ApiError> {
    let Path(text) = path.map_err(|e| ApiError::bad_parameter(name, e.body_text()))?;
    parse(&text).map_err(|e| ApiError::bad_parameter(name, format!("{text:?}: {e}")))
}

type QueryResult = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// Every state's status under a treaty as of a date.
///
/// One table per distinct reading of the contested facts: parties,
/// signatories, withdrawn states, nuclear-weapon states (NPT), with sources.
#[utoipa::path(
    get,
    path = "/api/v1/registry/status",
    tag = "views",
    params(TreatyQuery),
    responses(
        (status = 200, description = "The JSON document `custodian regime status TREATY --at DATE --json` prints", body = Object),
        (status = 400, description = "A bad parameter, or an unknown treaty", body = ErrorBody),
        (status = 404, description = "The server has no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn registry_status(State(ledger): State<Ledger>, query: QueryResult) -> Response {
    let request = treaty_at(query).map(|(treaty, at)| ViewRequest::RegistryStatus { treaty, at });
    respond(ledger, None, request).await
}

/// `treaty` (required) and `at` [default: today] of the treaty views.
fn treaty_at(query: QueryResult) -> Result<(String, Date), ApiError> {
    let q = Asked::new(query, &["treaty", "at"])?;
    let treaty = q.required("treaty", "the treaty, e.g. NPT or CTBT")?;
    Ok((
        treaty.to_string(),
        q.date("at")?.unwrap_or_else(|| now().date()),
    ))
}

/// Whether a treaty is in force as of a date.
///
/// Under each reading: in force or not, the states whose consent is still
/// missing (the CTBT's Annex 2 gap), the count against the rule, with sources.
#[utoipa::path(
    get,
    path = "/api/v1/registry/in-force",
    tag = "views",
    params(TreatyQuery),
    responses(
        (status = 200, description = "The JSON document `custodian regime in-force TREATY --at DATE --json` prints", body = Object),
        (status = 400, description = "A bad parameter, or an unknown treaty", body = ErrorBody),
        (status = 404, description = "The server has no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn registry_in_force(State(ledger): State<Ledger>, query: QueryResult) -> Response {
    let request = treaty_at(query).map(|(treaty, at)| ViewRequest::RegistryInForce { treaty, at });
    respond(ledger, None, request).await
}

/// One state's profile as of a date.
///
/// Its status under every treaty, its forces, deployments hosted and owned,
/// stated positions, with sources.
#[utoipa::path(
    get,
    path = "/api/v1/registry/states/{state}",
    tag = "views",
    params(("state" = String, Path, description = "The state (ISO 3166-1 alpha-3)", example = "DEU"), DateQuery),
    responses(
        (status = 200, description = "The JSON document `custodian regime state STATE --at DATE --json` prints", body = Object),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "A state the registry does not know, or no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn registry_state(
    State(ledger): State<Ledger>,
    state: Result<Path<String>, PathRejection>,
    query: QueryResult,
) -> Response {
    let request = path_param("state", state, StateCode::parse).and_then(|state| {
        let q = Asked::new(query, &["at"])?;
        Ok(ViewRequest::RegistryState {
            state,
            at: q.date("at")?.unwrap_or_else(|| now().date()),
        })
    });
    respond(ledger, None, request).await
}

/// Estimated nuclear forces.
///
/// Every estimate row with its source, all years or one; where sources
/// disagree, every row is kept.
#[utoipa::path(
    get,
    path = "/api/v1/registry/forces",
    tag = "views",
    params(ForcesQuery),
    responses(
        (status = 200, description = "The JSON document `custodian regime forces [--at YEAR] --json` prints", body = Object),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "The server has no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn registry_forces(State(ledger): State<Ledger>, query: QueryResult) -> Response {
    let request = Asked::new(query, &["at"]).and_then(|q| {
        let year = q.parsed("at", |text| match text.parse::<i32>() {
            Ok(year) if (0..=9999).contains(&year) => Ok(year),
            _ => Date::parse(text)
                .or_else(|_| UtcTime::parse(text).map(UtcTime::date))
                .map(|d| d.ymd().0 as i32)
                .map_err(|_| "expected a year YYYY (or a date, whose year is taken)"),
        })?;
        Ok(ViewRequest::RegistryForces { year })
    });
    respond(ledger, None, request).await
}

/// Weapons deployed abroad.
///
/// Host state, site, custodian and estimated count, with sources; as
/// published by a date, or every row.
#[utoipa::path(
    get,
    path = "/api/v1/registry/deployments",
    tag = "views",
    params(DeploymentsQuery),
    responses(
        (status = 200, description = "The JSON document `custodian regime deployments [--at DATE] --json` prints", body = Object),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "The server has no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn registry_deployments(State(ledger): State<Ledger>, query: QueryResult) -> Response {
    let request = Asked::new(query, &["at"])
        .and_then(|q| Ok(ViewRequest::RegistryDeployments { at: q.date("at")? }));
    respond(ledger, None, request).await
}

/// Items, with their custody and control, as of a time.
///
/// Each item's status, location, custodian, controller, deployment and
/// assignment, each with the event that made it so; filtered by territory,
/// custodian or controller.
#[utoipa::path(
    get,
    path = "/api/v1/items",
    tag = "views",
    params(ItemsQuery),
    responses(
        (status = 200, description = "The JSON document `custodian items --at AT [--state S] [--custodian C] [--controller C] --json` prints", body = Object),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "The server has no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn items(State(ledger): State<Ledger>, query: QueryResult) -> Response {
    let request = Asked::new(query, &["at", "state", "custodian", "controller"]).and_then(|q| {
        Ok(ViewRequest::Items {
            at: q.at()?,
            state: q.state("state")?,
            custodian: q.state("custodian")?,
            controller: q.state("controller")?,
        })
    });
    respond(ledger, None, request).await
}

/// One item as of a time.
#[utoipa::path(
    get,
    path = "/api/v1/items/{id}",
    tag = "views",
    params(("id" = String, Path, description = "The item id", example = "w-101"), AtQuery),
    responses(
        (status = 200, description = "The JSON document `custodian item show ID --at AT --json` prints", body = Object),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "No such item in the record as of that time, or no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn item(
    State(ledger): State<Ledger>,
    id: Result<Path<String>, PathRejection>,
    query: QueryResult,
) -> Response {
    let request = path_param("id", id, ItemId::parse).and_then(|id| {
        let q = Asked::new(query, &["at"])?;
        Ok(ViewRequest::Item { id, at: q.at()? })
    });
    respond(ledger, None, request).await
}

/// Every event about an item, in log order, with its leaf.
#[utoipa::path(
    get,
    path = "/api/v1/items/{id}/history",
    tag = "views",
    params(("id" = String, Path, description = "The item id", example = "w-101")),
    responses(
        (status = 200, description = "The JSON document `custodian item history ID --json` prints", body = Object),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "No event about this item in the log, or no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn item_history(
    State(ledger): State<Ledger>,
    id: Result<Path<String>, PathRejection>,
    query: QueryResult,
) -> Response {
    let request = path_param("id", id, ItemId::parse).and_then(|id| {
        Asked::new(query, &[])?;
        Ok(ViewRequest::ItemHistory { id })
    });
    respond(ledger, None, request).await
}

/// The custody record's alerts as of a time.
///
/// Overdue transits, custody or control by a state that ceased, signatures
/// by compromised keys, ..., each with its evidence.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "views",
    params(AtQuery),
    responses(
        (status = 200, description = "The JSON document `custodian alerts --at AT --json` prints", body = Object),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "The server has no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn alerts(State(ledger): State<Ledger>, query: QueryResult) -> Response {
    let request = Asked::new(query, &["at"]).and_then(|q| Ok(ViewRequest::Alerts { at: q.at()? }));
    respond(ledger, None, request).await
}

/// Compliance findings, every obligation under every interpretation.
///
/// Each finding names its interpretation, its verdict, its reasoning and the
/// events and facts it rests on; the software takes no side.
#[utoipa::path(
    get,
    path = "/api/v1/findings",
    tag = "views",
    params(FindingsQuery),
    responses(
        (status = 200, description = "The JSON document `custodian comply --at AT [--obligation O] [--interpretation I] --json` prints", body = Object),
        (status = 400, description = "A bad parameter, an unknown obligation or interpretation", body = ErrorBody),
        (status = 404, description = "The server has no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn findings(State(ledger): State<Ledger>, query: QueryResult) -> Response {
    let request = Asked::new(query, &["at", "obligation", "interpretation"]).and_then(|q| {
        Ok(ViewRequest::Findings {
            at: q.at()?,
            obligation: q.text("obligation").map(str::to_string),
            interpretation: q.text("interpretation").map(str::to_string),
        })
    });
    respond(ledger, None, request).await
}

/// The material balance areas the viewer may read.
///
/// A state's facility-level accounts are for that state's actors and for
/// inspectors (FORMATS.md §18 says how to sign a read): the others are
/// counted in `hidden`, not named.
#[utoipa::path(
    get,
    path = "/api/v1/accountancy/mbas",
    tag = "views",
    responses(
        (status = 200, description = "The MBAs the viewer may read, and how many others there are", body = MbaListView),
        (status = 400, description = "A parameter given (this route takes none)", body = ErrorBody),
        (status = 401, description = "A signed read that does not verify (FORMATS.md §18)", body = ErrorBody),
        (status = 404, description = "The server has no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn accountancy_mbas(
    State(ledger): State<Ledger>,
    Extension(viewer): Extension<Viewer>,
    query: QueryResult,
) -> Response {
    let Some(served) = ledger.views().cloned() else {
        return no_views();
    };
    if let Err(e) = Asked::new(query, &[]) {
        return e.into_response();
    }
    let reading = ledger.clone();
    let outcome = ledger
        .read(move |store| {
            let size = store.tree_size()?.0;
            let (listing, hit) = served.listing(size, || open_log(&reading))?;
            Ok((listing, hit, size))
        })
        .await;
    let (listing, hit, size) = match outcome {
        Ok(done) => done,
        Err(e) => return e.into_response(),
    };
    let (readable, hidden): (Vec<&MbaListing>, Vec<&MbaListing>) = listing
        .iter()
        .partition(|m| viewer.may_read(&Restriction::StateAccounts(m.state)));
    let view = MbaListView {
        mbas: readable
            .into_iter()
            .map(|m| MbaView {
                mba: m.mba.to_string(),
                facility: m.facility.clone(),
                state: m.state.to_string(),
            })
            .collect(),
        hidden: hidden.len() as u64,
    };
    match serde_json::to_vec(&view) {
        Ok(body) => answer_response(Bytes::from(body), hit, size),
        Err(e) => ApiError::internal("encoding the MBA list", e).into_response(),
    }
}

/// An MBA's balance sequence evaluated.
///
/// The balances between the MBA's closed physical inventory takings, read
/// from the log: per balance MUF, σMUF, CUMUF, SITMUF, Page's statistic with
/// its threshold h and GEMUF, and the alarms as findings with their
/// evidence. Only for the MBA's state and inspectors: anyone else is answered
/// `403` before anything is computed.
#[utoipa::path(
    get,
    path = "/api/v1/accountancy/mbas/{mba}/evaluation",
    tag = "views",
    params(("mba" = String, Path, description = "The material balance area's code", example = "XFF1"), EvaluationQuery),
    responses(
        (status = 200, description = "The JSON document `custodian accountancy evaluate --mba M [--from D] [--to D] [--quantity Q] [--alpha A] [--matrices W] --json` prints", body = Object),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "A signed read that does not verify (FORMATS.md §18)", body = ErrorBody),
        (status = 403, description = "The viewer may not read this MBA's state's accounts (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such MBA (told to inspectors only), or no engine views (`no_views`)", body = ErrorBody),
        (status = 422, description = "The MBA's balances cannot be evaluated (e.g. fewer than two closed takings; `unprocessable`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn accountancy_evaluation(
    State(ledger): State<Ledger>,
    Extension(viewer): Extension<Viewer>,
    mba: Result<Path<String>, PathRejection>,
    query: QueryResult,
) -> Response {
    let request = path_param("mba", mba, MbaCode::parse).and_then(|mba| {
        let q = Asked::new(query, &["from", "to", "quantity", "alpha", "matrices"])?;
        let alpha = q
            .parsed("alpha", |text| match text.parse::<f64>() {
                Ok(a) if a > 0.0 && a < 1.0 => Ok(a),
                _ => Err("expected a probability strictly between 0 and 1"),
            })?
            .unwrap_or(ALPHA_DEFAULT);
        Ok(ViewRequest::Evaluation {
            mba,
            from: q.day("from")?,
            to: q.day("to")?,
            quantity: q.text("quantity").unwrap_or("element").to_string(),
            alpha,
            matrices: q.text("matrices").map(str::to_string),
        })
    });
    respond(ledger, Some(viewer), request).await
}

/// The escrow record, verified.
///
/// Each committed declaration with its root and size, what was opened and
/// whether it verified against the commitment (reveals, sampled entries,
/// totals within limits), and the findings.
#[utoipa::path(
    get,
    path = "/api/v1/escrow",
    tag = "views",
    params(EscrowQuery),
    responses(
        (status = 200, description = "The JSON document `custodian escrow verify [--declaration D] --json` prints", body = Object),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "The server has no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn escrow(State(ledger): State<Ledger>, query: QueryResult) -> Response {
    let request = Asked::new(query, &["declaration"]).and_then(|q| {
        Ok(ViewRequest::Escrow {
            declaration: q.parsed("declaration", DeclarationId::parse)?,
        })
    });
    respond(ledger, None, request).await
}

/// A review cycle's summary.
///
/// The cycle's conference and outcome, who was due to report, who did, the
/// fields left not reported, the reports' figures beside the registry's
/// estimates and their bindings to committed escrow totals, bound to the
/// log's latest signed checkpoint.
#[utoipa::path(
    get,
    path = "/api/v1/review/summary",
    tag = "views",
    params(SummaryQuery),
    responses(
        (status = 200, description = "The open-data JSON document `custodian review summary YEAR --out DIR` writes to `npt-review-YEAR.json`", body = Object),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "No review cycle of that year, or no engine views (`no_views`)", body = ErrorBody),
        (status = 503, description = "Busy, or past the read deadline", body = ErrorBody)
    )
)]
async fn review_summary(State(ledger): State<Ledger>, query: QueryResult) -> Response {
    let request = Asked::new(query, &["year"]).and_then(|q| {
        let year = q.required("year", "the review cycle's year, e.g. 2020")?;
        let year = year.parse::<u16>().map_err(|_| {
            ApiError::bad_parameter("year", format!("{year:?}: expected a year YYYY"))
        })?;
        Ok(ViewRequest::ReviewSummary { year })
    });
    respond(ledger, None, request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use custodian_core::{ActorId, Party, Role};

    fn get(answers: &Answers, key: &str, size: u64) -> Option<Bytes> {
        match answers.lookup(key, size, Duration::ZERO) {
            Lookup::Hit(body) => Some(body),
            Lookup::Miss(_) => None,
        }
    }

    #[test]
    fn answers_are_kept_per_tree_size_and_bounded() {
        let answers = Answers::default();
        answers.put("a".into(), 5, Bytes::from_static(b"{}"));
        assert_eq!(get(&answers, "a", 5), Some(Bytes::from_static(b"{}")));
        assert_eq!(get(&answers, "a", 6), None, "another tree size misses");
        // A larger tree drops the answers of smaller ones.
        answers.put("b".into(), 6, Bytes::from_static(b"[]"));
        assert_eq!(get(&answers, "a", 5), None);
        // Bounded in entries: the least recently used goes first.
        for i in 0..ANSWERS_CACHED_MAX + 10 {
            answers.put(format!("k{i}"), 6, Bytes::from_static(b"1"));
            // Keep k0 in use.
            assert!(get(&answers, "k0", 6).is_some(), "k0 at {i}");
        }
        let inner = answers.lock();
        assert_eq!(inner.entries.len(), ANSWERS_CACHED_MAX);
        assert_eq!(inner.bytes, ANSWERS_CACHED_MAX);
        assert!(!inner.entries.contains_key(&("k1".to_string(), 6)));
        assert!(inner.computing.is_empty(), "every claim was released");
        drop(inner);
        // Too large to keep: served, not kept.
        let big = Bytes::from(vec![b' '; ANSWER_BYTES_CACHED_MAX / 8 + 1]);
        answers.put("big".into(), 6, big);
        assert_eq!(get(&answers, "big", 6), None);
    }

    #[test]
    fn one_request_computes_an_answer_the_others_wait_for_it() {
        let answers = Answers::default();
        let wait = Duration::from_secs(30);
        let Lookup::Miss(claim) = answers.lookup("v", 1, wait) else {
            panic!("an empty cache has no answer")
        };
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| match answers.lookup("v", 1, wait) {
                Lookup::Hit(body) => body,
                Lookup::Miss(_) => Bytes::from_static(b"computed twice"),
            });
            std::thread::sleep(Duration::from_millis(50));
            claim.fill(Bytes::from_static(b"once"));
            drop(claim);
            assert_eq!(waiter.join().expect("the waiter"), "once");
        });
        // A claim dropped without an answer (an error) lets the next one in.
        let Lookup::Miss(failed) = answers.lookup("w", 1, wait) else {
            panic!("no answer yet")
        };
        drop(failed);
        assert!(matches!(answers.lookup("w", 1, wait), Lookup::Miss(_)));
        // A claim held past the wait does not block anyone for longer.
        let Lookup::Miss(_slow) = answers.lookup("x", 1, wait) else {
            panic!("no answer yet")
        };
        assert!(matches!(
            answers.lookup("x", 1, Duration::from_millis(20)),
            Lookup::Miss(_)
        ));
    }

    fn actor(role: Role, party: &str) -> Viewer {
        Viewer::Actor {
            id: ActorId::parse("someone").expect("id"),
            role,
            party: Party::parse(party).expect("party"),
        }
    }

    #[test]
    fn an_mbas_accounts_are_for_its_state_and_inspectors() {
        let listing = vec![MbaListing {
            mba: MbaCode::parse("XFF1").expect("mba"),
            facility: "xff-fab".into(),
            state: StateCode::parse("XFF").expect("state"),
        }];
        let xff1 = MbaCode::parse("XFF1").expect("mba");
        let none = MbaCode::parse("XQQ9").expect("mba");
        let code = |r: Result<(), ApiError>| r.err().map(|e| e.code());
        // The public: refused whether or not the MBA exists.
        assert_eq!(
            code(may_read_mba(&Viewer::Public, &listing, &xff1)),
            Some("forbidden")
        );
        assert_eq!(
            code(may_read_mba(&Viewer::Public, &listing, &none)),
            Some("forbidden")
        );
        let operator = actor(Role::Operator, "state:XFF");
        assert_eq!(code(may_read_mba(&operator, &listing, &xff1)), None);
        assert_eq!(
            code(may_read_mba(&operator, &listing, &none)),
            Some("forbidden")
        );
        let other = actor(Role::StateAuthority, "state:USA");
        assert_eq!(
            code(may_read_mba(&other, &listing, &xff1)),
            Some("forbidden")
        );
        let inspector = actor(Role::Inspector, "body:iaea");
        assert_eq!(code(may_read_mba(&inspector, &listing, &xff1)), None);
        assert_eq!(
            code(may_read_mba(&inspector, &listing, &none)),
            Some("not_found")
        );
    }

    #[test]
    fn a_request_with_its_defaults_is_its_own_key() {
        let at = At::EndOfDay(Date::parse("2024-12-31").expect("date"));
        let a = ViewRequest::Alerts { at };
        assert_eq!(a.key(), ViewRequest::Alerts { at }.key());
        assert_ne!(
            a.key(),
            ViewRequest::Alerts {
                at: At::Time(UtcTime::parse("2024-12-31T23:59:59Z").expect("time"))
            }
            .key()
        );
        assert_eq!(at.to_string(), "2024-12-31");
    }
}
