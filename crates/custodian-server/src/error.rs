//! The one error type of the HTTP API, mapped to status codes (STYLE §4, after
//! launchbadge/realworld-axum-sqlx `src/http/error.rs`).
//!
//! Every error is answered as `application/json`:
//!
//! ```json
//! {"error": {"code": "replayed", "message": "...; nothing applied", "field": "seq"}}
//! ```
//!
//! `code` is stable and meant for programs; `message` is for people; `field` is
//! the JSON path of the value at fault (`events[2].payload.to`, `[1].seq` for the
//! second submission of a batch, a query parameter's name), or `null`. Internal
//! causes (a storage failure) are written to the server's standard error and
//! never returned.

use crate::wire::{ErrorBody, ErrorDetail};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use custodian_ledger::registry::RegistryError;
use custodian_store::log::AppendError;
use custodian_store::StoreError;

/// Why a request was not answered as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 404: no such route, entry, event or checkpoint.
    #[error("{message}")]
    NotFound {
        /// What was not found.
        message: String,
        /// The parameter that named it, if any.
        field: Option<String>,
    },
    /// 405: the route exists, not with this method.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// 400: a query or path parameter is missing or out of range.
    #[error("{message}")]
    BadParameter {
        /// The parameter.
        field: String,
        /// What was expected.
        message: String,
    },
    /// 400: the body is not JSON (or not the JSON shape the route takes).
    #[error("{message}")]
    MalformedJson {
        /// Where, for a batch (`[2]`), if known.
        field: Option<String>,
        /// The parser's complaint.
        message: String,
    },
    /// 400: a batch with no submission.
    #[error("nothing to append: the body holds no submission")]
    Empty,
    /// 408: the client did not send its request body in time.
    #[error("the request body did not arrive within {seconds_max} s; nothing applied")]
    RequestTimeout {
        /// The limit.
        seconds_max: u64,
    },
    /// 413: the body is larger than the limit.
    #[error("request body exceeds the limit of {bytes_max} bytes; nothing applied")]
    TooLarge {
        /// The limit.
        bytes_max: usize,
    },
    /// 415: a body that is not declared `application/json`.
    #[error("expected Content-Type: application/json, found {found:?}")]
    UnsupportedMediaType {
        /// The content type sent.
        found: String,
    },
    /// 422: well-formed JSON that is not a valid signed submission, or not in
    /// canonical form (`code` says which).
    #[error("{message}")]
    Invalid {
        /// `invalid_submission`, `not_canonical` or `wrong_log`.
        code: &'static str,
        /// The field at fault.
        field: Option<String>,
        /// What was expected.
        message: String,
    },
    /// 403: the submission's signature does not let it in: unknown or revoked
    /// actor, a role that may not submit the event's kind, a signature or an
    /// approval that does not verify. This is the write access control.
    #[error("{message}")]
    Forbidden {
        /// `unknown_actor`, `revoked_actor`, `role_forbidden`, `bad_signature`, `bad_approval`.
        code: &'static str,
        /// The field at fault.
        field: Option<String>,
        /// Why.
        message: String,
    },
    /// 409: the submission conflicts with the log: a replayed or out-of-order
    /// `seq`, an event id already logged, an engine rule refusing it.
    #[error("{message}")]
    Conflict {
        /// `replayed`, `out_of_order`, `duplicate_event`, `refused`, `actor_conflict`, `genesis`.
        code: &'static str,
        /// The field at fault.
        field: Option<String>,
        /// Why.
        message: String,
    },
    /// 401: a signed-read `Authorization` header that does not let the
    /// request in (FORMATS.md §18): malformed, expired, replayed, by an
    /// unknown or revoked actor, or forged. The field is always
    /// `authorization`.
    #[error("{message}")]
    Unauthorized {
        /// `bad_authorization`, `expired`, `replayed`, `unknown_actor` or `forged`.
        code: &'static str,
        /// Why, and what was expected.
        message: String,
    },
    /// 431: an `Authorization` header longer than the limit (FORMATS.md §18).
    #[error("the Authorization header is {found} bytes, over the limit of {bytes_max}")]
    HeaderTooLarge {
        /// The header's length.
        found: usize,
        /// The limit.
        bytes_max: usize,
    },
    /// 503: too many appends queued, or reads waiting; try again.
    #[error("{message}")]
    Busy {
        /// Why.
        message: String,
    },
    /// 500: our fault; the cause went to the server's log.
    #[error("internal error; the cause is in the server's log")]
    Internal,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadParameter { .. } | ApiError::MalformedJson { .. } | ApiError::Empty => {
                StatusCode::BAD_REQUEST
            }
            ApiError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::HeaderTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound { .. } => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::BadParameter { .. } => "bad_parameter",
            ApiError::MalformedJson { .. } => "malformed_json",
            ApiError::Empty => "empty",
            ApiError::RequestTimeout { .. } => "request_timeout",
            ApiError::TooLarge { .. } => "too_large",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::Invalid { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Unauthorized { code, .. } => code,
            ApiError::HeaderTooLarge { .. } => "oversized",
            ApiError::Busy { .. } => "busy",
            ApiError::Internal => "internal",
        }
    }

    /// The field at fault, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::NotFound { field, .. }
            | ApiError::MalformedJson { field, .. }
            | ApiError::Invalid { field, .. }
            | ApiError::Forbidden { field, .. }
            | ApiError::Conflict { field, .. } => field.as_deref(),
            ApiError::BadParameter { field, .. } => Some(field),
            ApiError::Unauthorized { .. } | ApiError::HeaderTooLarge { .. } => {
                Some("authorization")
            }
            _ => None,
        }
    }

    /// A 404 for something named by `field`.
    pub fn not_found(message: impl Into<String>, field: Option<&str>) -> ApiError {
        ApiError::NotFound {
            message: message.into(),
            field: field.map(str::to_string),
        }
    }

    /// A 400 for a parameter.
    pub fn bad_parameter(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::BadParameter {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// Logs an internal cause and returns the opaque 500.
    pub fn internal(context: &str, cause: impl std::fmt::Display) -> ApiError {
        eprintln!("custodian-server: {context}: {cause}");
        ApiError::Internal
    }

    /// The wire form.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.to_string(),
                field: self.field().map(str::to_string),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, axum::Json(self.body())).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if status == StatusCode::UNAUTHORIZED {
            // RFC 9110 §11.6.1: a 401 names the scheme that would be accepted.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Custodian-Read"),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::internal("store", e)
    }
}

/// The field path of submission `index` of a request: `[2].seq` in a batch,
/// `seq` for a single submission.
fn within(batch: bool, index: usize, field: &str) -> String {
    match (batch, field.is_empty()) {
        (false, _) => field.to_string(),
        (true, true) => format!("[{index}]"),
        (true, false) => format!("[{index}].{field}"),
    }
}

/// The message of submission `index`'s error, naming it in a batch.
fn message(batch: bool, index: usize, reason: &dyn std::fmt::Display) -> String {
    if batch {
        format!("submission {index}: {reason}; nothing applied")
    } else {
        format!("{reason}; nothing applied")
    }
}

/// Maps a refused append to its status, code and field. `batch` says whether
/// the request held an array (then fields are prefixed with `[index].`).
pub fn append_error(e: AppendError, batch: bool) -> ApiError {
    match e {
        AppendError::Rejected { index, reason } => {
            let at = |field: &str| Some(within(batch, index, field));
            let text = message(batch, index, &reason);
            match reason {
                RegistryError::WrongLog { .. } => ApiError::Invalid {
                    code: "wrong_log",
                    field: at("log"),
                    message: text,
                },
                RegistryError::Genesis(_) => ApiError::Conflict {
                    code: "genesis",
                    field: at(""),
                    message: text,
                },
                RegistryError::UnknownActor(_) => ApiError::Forbidden {
                    code: "unknown_actor",
                    field: at("actor"),
                    message: text,
                },
                RegistryError::Revoked { .. } => ApiError::Forbidden {
                    code: "revoked_actor",
                    field: at("actor"),
                    message: text,
                },
                RegistryError::Replayed { .. } => ApiError::Conflict {
                    code: "replayed",
                    field: at("seq"),
                    message: text,
                },
                RegistryError::OutOfOrder { .. } => ApiError::Conflict {
                    code: "out_of_order",
                    field: at("seq"),
                    message: text,
                },
                RegistryError::RoleForbids { event_index, .. } => ApiError::Forbidden {
                    code: "role_forbidden",
                    field: at(&format!("events[{event_index}].kind")),
                    message: text,
                },
                RegistryError::BadSignature { .. } => ApiError::Forbidden {
                    code: "bad_signature",
                    field: at("signature"),
                    message: text,
                },
                RegistryError::BadApproval {
                    event_index,
                    approval_index,
                    ..
                } => ApiError::Forbidden {
                    code: "bad_approval",
                    field: at(&format!("events[{event_index}].approvals[{approval_index}]")),
                    message: text,
                },
                RegistryError::ActorEvent { event_index, .. } => ApiError::Conflict {
                    code: "actor_conflict",
                    field: at(&format!("events[{event_index}].payload.actor")),
                    message: text,
                },
            }
        }
        AppendError::Refused { index, reason } => ApiError::Conflict {
            code: "refused",
            field: Some(within(
                batch,
                index,
                &format!("events[{}]{}", reason.event_index, reason.field),
            )),
            message: message(batch, index, &reason),
        },
        AppendError::DuplicateEvent {
            index,
            event_index,
            ref id,
        } => ApiError::Conflict {
            code: "duplicate_event",
            field: Some(within(batch, index, &format!("events[{event_index}].id"))),
            message: message(
                batch,
                index,
                &format!("event id {id:?} is already in the log"),
            ),
        },
        AppendError::Encoding { index, reason } => ApiError::Invalid {
            code: "invalid_submission",
            field: Some(within(batch, index, "")),
            message: message(batch, index, &reason),
        },
        AppendError::Empty => ApiError::Empty,
        AppendError::Store(StoreError::Conflict { expected, found }) => ApiError::Busy {
            message: format!(
                "another writer grew the log from {expected} to {found} leaves during this append; nothing applied, try again"
            ),
        },
        other @ (AppendError::WrongLogKey { .. }
        | AppendError::Store(_)
        | AppendError::Tree(_)) => ApiError::internal("append", other),
    }
}
