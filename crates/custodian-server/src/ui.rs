//! The web UI, served by the same binary: filled in by the UI slice of issue 8.

use crate::ledger::Ledger;
use axum::Router;

/// The UI's routes (pages and assets; not part of the API document).
pub(crate) fn router() -> Router<Ledger> {
    Router::new()
}
