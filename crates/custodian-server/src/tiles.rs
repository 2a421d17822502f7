//! The log as C2SP tlog-tiles served by the server (`/tile/...`): filled in
//! by the tiles slice of issue 8.

use crate::ledger::Ledger;
use axum::Router;
use utoipa::OpenApi;

/// The OpenAPI document of the tile routes, merged into [`crate::ApiDoc`]'s.
#[derive(OpenApi)]
#[openapi()]
pub struct TilesDoc;

/// The tile routes.
pub(crate) fn router() -> Router<Ledger> {
    Router::new()
}
