//! Parsing a `POST /api/v1/submissions` body: one signed submission, or a JSON
//! array of them, each in RFC 8785 canonical form (FORMATS.md §2, §4).
//!
//! The bytes the client sent are the bytes that become the leaf, so a
//! submission that is not canonical is refused rather than re-encoded: a
//! client that signs one encoding and sends another has a bug worth hearing
//! about. Whitespace around the JSON text (a trailing newline, as
//! `custodian log sign` prints) is not part of the value and is ignored.
//!
//! The happy path parses each submission once, strictly, exactly as the audit
//! reads a leaf ([`SignedSubmission::from_leaf_bytes`]); only a refused
//! submission is parsed again to say precisely what is wrong with it.

use crate::error::ApiError;
use custodian_core::canonical::parse_strict;
use custodian_core::SignedSubmission;
use serde_json::value::RawValue;

/// The submissions of a request, and whether it held an array.
pub struct Parsed {
    /// In order.
    pub submissions: Vec<SignedSubmission>,
    /// Whether the body was an array (errors then name the element: `[2].seq`).
    pub batch: bool,
}

/// Parses a request body. `submissions_max` bounds a batch.
pub fn parse(body: &[u8], submissions_max: usize) -> Result<Parsed, ApiError> {
    let text = std::str::from_utf8(body).map_err(|e| ApiError::MalformedJson {
        field: None,
        message: format!(
            "expected UTF-8 JSON, found an invalid byte at offset {}; nothing applied",
            e.valid_up_to()
        ),
    })?;
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    match text.as_bytes().first() {
        Some(b'{') => Ok(Parsed {
            submissions: vec![parse_one(text, None)?],
            batch: false,
        }),
        Some(b'[') => {
            let items: Vec<&RawValue> =
                serde_json::from_str(text).map_err(|e| ApiError::MalformedJson {
                    field: None,
                    message: format!("malformed JSON: {e}; nothing applied"),
                })?;
            if items.is_empty() {
                return Err(ApiError::Empty);
            }
            if items.len() > submissions_max {
                return Err(ApiError::Invalid {
                    code: "invalid_submission",
                    field: None,
                    message: format!(
                        "a batch holds at most {submissions_max} submissions, found {}; nothing applied",
                        items.len()
                    ),
                });
            }
            let submissions = items
                .iter()
                .enumerate()
                .map(|(i, raw)| parse_one(raw.get(), Some(i)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Parsed {
                submissions,
                batch: true,
            })
        }
        _ => Err(ApiError::MalformedJson {
            field: None,
            message: "expected a JSON object (one signed submission) or an array of them; nothing applied"
                .into(),
        }),
    }
}

/// Parses one submission's text; `index` is its place in a batch.
fn parse_one(text: &str, index: Option<usize>) -> Result<SignedSubmission, ApiError> {
    if let Ok(signed) = SignedSubmission::from_leaf_bytes(text.as_bytes()) {
        return Ok(signed);
    }
    Err(diagnose(text, index))
}

/// Says what is wrong with a submission that [`SignedSubmission::from_leaf_bytes`]
/// refused: not JSON (400), not a valid signed submission (422, with the
/// field), or valid but not in canonical form (422).
fn diagnose(text: &str, index: Option<usize>) -> ApiError {
    let field = |f: &str| -> Option<String> {
        match (index, f.is_empty()) {
            (None, true) => None,
            (None, false) => Some(f.to_string()),
            (Some(i), true) => Some(format!("[{i}]")),
            (Some(i), false) => Some(format!("[{i}].{f}")),
        }
    };
    let message = |m: &dyn std::fmt::Display| match index {
        Some(i) => format!("submission {i}: {m}; nothing applied"),
        None => format!("{m}; nothing applied"),
    };
    let value = match parse_strict(text) {
        Ok(v) => v,
        Err(e) => {
            return ApiError::MalformedJson {
                field: field(""),
                message: message(&format!("malformed JSON: {e}")),
            }
        }
    };
    if !value.is_object() {
        return ApiError::MalformedJson {
            field: field(""),
            message: message(&"expected a JSON object (a signed submission)"),
        };
    }
    let signed =
        match SignedSubmission::parse_json(value) {
            Ok((submission, Some(signature))) => SignedSubmission {
                submission,
                signature,
            },
            Ok((_, None)) => return ApiError::Invalid {
                code: "invalid_submission",
                field: field("signature"),
                message: message(
                    &"missing: a submission must be signed by its actor (see `custodian log sign`)",
                ),
            },
            Err(e) => {
                return ApiError::Invalid {
                    code: "invalid_submission",
                    field: field(&e.field),
                    message: message(&e.message),
                }
            }
        };
    match signed.leaf_bytes() {
        Ok(canonical) if canonical != text.as_bytes() => ApiError::Invalid {
            code: "not_canonical",
            field: field(""),
            message: message(&format!(
                "the submission is not in RFC 8785 canonical form (FORMATS.md §2, §4): the {} bytes sent re-encode to {} other bytes; send the canonical bytes, as `custodian log sign` prints them",
                text.len(),
                canonical.len()
            )),
        },
        Ok(_) => {
            // Valid and canonical by these checks, yet refused as a leaf:
            // report the leaf parser's own reason.
            let reason = SignedSubmission::from_leaf_bytes(text.as_bytes())
                .err()
                .map_or_else(|| "refused".to_string(), |e| e.to_string());
            ApiError::Invalid {
                code: "invalid_submission",
                field: field(""),
                message: message(&reason),
            }
        }
        Err(e) => ApiError::Invalid {
            code: "invalid_submission",
            field: field(""),
            message: message(&format!("cannot encode the submission: {e}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_and_shapes() {
        assert!(matches!(
            parse(b"  ", 10),
            Err(ApiError::MalformedJson { .. })
        ));
        assert!(matches!(parse(b"[]", 10), Err(ApiError::Empty)));
        assert!(matches!(
            parse(b"[1,", 10),
            Err(ApiError::MalformedJson { .. })
        ));
        assert!(matches!(
            parse(b"\xff", 10),
            Err(ApiError::MalformedJson { .. })
        ));
        match parse(br#"{"v":1}"#, 10) {
            Err(e @ ApiError::Invalid { .. }) => assert_eq!(e.code(), "invalid_submission"),
            other => panic!("expected invalid_submission, got {:?}", other.err()),
        }
        match parse(br#"[{"v":1,"v":1}]"#, 10) {
            Err(ApiError::MalformedJson { field, .. }) => assert_eq!(field.as_deref(), Some("[0]")),
            other => panic!("expected malformed_json, got {:?}", other.err()),
        }
    }
}
