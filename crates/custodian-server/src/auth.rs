//! Signed reads: who is asking (FORMATS.md §18). Filled in by the access
//! slice of issue 8; until then every read is the public's.

use crate::access::Viewer;
use crate::ledger::Ledger;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// Middleware: puts the request's [`Viewer`] in its extensions (handlers take
/// `Extension<Viewer>`), or answers an error for a bad signed read.
pub(crate) async fn identify(
    State(_ledger): State<Ledger>,
    mut request: Request,
    next: Next,
) -> Response {
    request.extensions_mut().insert(Viewer::Public);
    next.run(request).await
}
