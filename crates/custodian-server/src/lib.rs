//! Custodian's HTTP API: the ledger over HTTP (issue 8, first slice).
//!
//! | route | answer |
//! |---|---|
//! | `GET /checkpoint` | the latest signed checkpoint, the note itself (`text/plain`) |
//! | `GET /api/v1/checkpoint` | `{origin, tree_size, root_hash, note}` |
//! | `GET /api/v1/entries?from=&to=` | leaves `[from, to)`, at most 1000, as hex and as JSON |
//! | `GET /api/v1/entries/{index}` | one leaf |
//! | `GET /api/v1/proofs/inclusion?index=\|event=&size=` | RFC 9162 inclusion proof (FORMATS.md §8) |
//! | `GET /api/v1/proofs/consistency?from=&to=` | RFC 9162 consistency proof (FORMATS.md §8) |
//! | `POST /api/v1/submissions` | append one signed submission or an atomic batch; the receipt |
//! | `GET /openapi.json` | the OpenAPI 3 document, generated from the code |
//! | `GET /api/v1/registry/status?treaty=&at=` | `custodian regime status TREATY --at DATE --json` |
//! | `GET /api/v1/registry/in-force?treaty=&at=` | `custodian regime in-force TREATY --at DATE --json` |
//! | `GET /api/v1/registry/states/{state}?at=` | `custodian regime state STATE --at DATE --json` |
//! | `GET /api/v1/registry/forces?at=YEAR` | `custodian regime forces [--at YEAR] --json` |
//! | `GET /api/v1/registry/deployments?at=` | `custodian regime deployments [--at DATE] --json` |
//! | `GET /api/v1/items?at=&state=&custodian=&controller=` | `custodian items ... --json` |
//! | `GET /api/v1/items/{id}?at=` | `custodian item show ID --at AT --json` |
//! | `GET /api/v1/items/{id}/history` | `custodian item history ID --json` |
//! | `GET /api/v1/alerts?at=` | `custodian alerts --at AT --json` |
//! | `GET /api/v1/findings?at=&obligation=&interpretation=` | `custodian comply ... --json` |
//! | `GET /api/v1/accountancy/mbas` | the MBAs the viewer may read, `{"mbas": [{mba, facility, state}], "hidden": n}` |
//! | `GET /api/v1/accountancy/mbas/{mba}/evaluation?from=&to=&quantity=&alpha=&matrices=` | `custodian accountancy evaluate --mba M ... --json`; `403` unless the viewer is of the MBA's state or an inspector |
//! | `GET /api/v1/escrow?declaration=` | `custodian escrow verify [--declaration D] --json` |
//! | `GET /api/v1/review/summary?year=` | the `npt-review-YEAR.json` that `custodian review summary YEAR --out DIR` writes |
//!
//! The views (the rows from `/api/v1/registry/...` on; module `views`) are the
//! engines' answers: the binary computes each with the function its command
//! calls for `--json` ([`Views`], [`Ledger::with_views`]), the server checks
//! the parameters, decides access, and caches answers by (route, normalised
//! parameters, tree size). `at` is a date `YYYY-MM-DD` (the end of that day,
//! UTC) or a UTC time `YYYY-MM-DDTHH:MM:SSZ` [default: now]; the registry
//! views take its date. Without views they answer `404 no_views`.
//!
//! Everything else answers a JSON `404`; every error is
//! `{"error": {"code", "message", "field"}}` ([`error::ApiError`]).
//!
//! Entry points: [`Ledger::open`] (the log, its one sequencer, its read
//! connections), [`app`] (the router, drivable in-process with
//! `tower::ServiceExt::oneshot`), [`serve()`] (a socket) and [`run`] (all of it,
//! for `custodian serve`).
//!
//! Architecture invariant: the server owns no rule and no engine. Appends go through
//! `Log::append_with` with the rule the binary's factory builds
//! ([`RuleFactory`]), the same as `custodian log append`; reads use the store
//! and `custodian-ledger`'s proofs; the views' documents are the binary's
//! (the commands' `--json`), passed through as they are. The other JSON shapes
//! are the server's own ([`wire`]), filled in by hand.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
pub mod auth;
mod body;
pub mod error;
pub mod ledger;
mod routes;
mod serve;
mod tiles;
mod ui;
mod views;
pub mod wire;

pub use ledger::{BoxError, Ledger, RuleFactory, StartError};
pub use routes::{app, openapi_text, ApiDoc};
pub use serve::{serve, shutdown_signal};
pub use tiles::TilesDoc;
pub use views::{At, MbaListing, ViewError, ViewRequest, Views, ViewsDoc};

use custodian_core::limits::SUBMISSION_BYTES_MAX;
use std::net::SocketAddr;
use std::time::Duration;

/// The bounds the server keeps to (STYLE §5, "Limit everything").
#[derive(Clone, Debug)]
pub struct Limits {
    /// Deadline for a request's headers (else the connection is closed), for
    /// an append's body (else `408`), and for a read's answer (else `503`).
    pub request_timeout: Duration,
    /// Largest request body: one 4 MiB submission plus room for the whitespace
    /// and brackets around it.
    pub body_bytes_max: usize,
    /// Most submissions in one batch.
    pub submissions_per_request_max: usize,
    /// Most leaves in one `GET /api/v1/entries`.
    pub entries_per_page_max: u64,
    /// Most leaf bytes in one page of entries (a page holds at least one
    /// leaf); past it the page is cut short and says where to continue.
    pub entries_page_bytes_max: usize,
    /// Appends waiting for the sequencer; one more is answered `503`.
    pub appends_queued_max: usize,
    /// Reads running at once (each holds a SQLite connection and a blocking thread).
    pub reads_concurrent_max: usize,
    /// Open connections; more wait in the listen backlog.
    pub connections_max: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            request_timeout: Duration::from_secs(10),
            body_bytes_max: SUBMISSION_BYTES_MAX + 64 * 1024,
            submissions_per_request_max: 1000,
            entries_per_page_max: 1000,
            entries_page_bytes_max: 8 * 1024 * 1024,
            appends_queued_max: 256,
            reads_concurrent_max: 16,
            connections_max: 1024,
        }
    }
}

/// Binds `addr`, calls `listening` with the bound address, and serves `ledger`
/// until Ctrl-C or SIGTERM, on a multi-threaded runtime of its own.
pub fn run(
    ledger: Ledger,
    addr: &str,
    listening: impl FnOnce(SocketAddr),
) -> Result<(), StartError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        // Handlers first, then the announcement: a client that stops the
        // server as soon as it reads the address must get a graceful stop.
        let shutdown = shutdown_signal();
        listening(listener.local_addr()?);
        let limits = ledger.limits().clone();
        serve(listener, app(ledger), &limits, shutdown).await?;
        Ok(())
    })
}
