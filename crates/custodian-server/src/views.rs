//! The engines' views over HTTP (registry, items, findings, accountancy,
//! escrow): filled in by the views slice of issue 8.

use crate::ledger::Ledger;
use axum::Router;
use utoipa::OpenApi;

/// The OpenAPI document of the views' routes, merged into [`crate::ApiDoc`]'s.
#[derive(OpenApi)]
#[openapi()]
pub struct ViewsDoc;

/// The views' routes.
pub(crate) fn router() -> Router<Ledger> {
    Router::new()
}
