//! Limits on everything that arrives from outside (STYLE §5, "Limit everything").
//!
//! Each limit is checked where bytes are parsed; exceeding one is an error naming
//! the limit, never a panic or a silent truncation.

/// Largest canonical submission, in bytes (the leaf that is hashed).
pub const SUBMISSION_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Most events in one submission.
pub const EVENTS_PER_SUBMISSION_MAX: usize = 10_000;
/// Longest line accepted in a JSON-lines input file, in bytes.
pub const INPUT_LINE_BYTES_MAX: usize = SUBMISSION_BYTES_MAX + 1024;
/// Longest free-text field (names, reasons, conditions), in bytes.
pub const TEXT_FIELD_BYTES_MAX: usize = 4096;
/// Most approvals (co-signatures) on one event.
pub const APPROVALS_PER_EVENT_MAX: usize = 32;
/// Longest identifier (actor, event, site, item), in bytes.
pub const ID_BYTES_MAX: usize = 64;
/// Deepest JSON nesting accepted in a payload.
pub const JSON_DEPTH_MAX: usize = 32;
