//! The crate's one error type (STYLE §4): every variant names the field it is
//! about and what was expected, so the command-line tool can print
//! `report.json: field report.warheads.total.value: expected ...; nothing applied`
//! and the log's rule can name `events[0].payload.report....`.

use custodian_core::{Date, StateCode, UtcTime};
use custodian_regime::RegimeError;

/// Why review data, a report or a query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// A bundled or given CSV file is malformed (the regime parser's error: file,
    /// line and field).
    #[error(transparent)]
    Data(#[from] RegimeError),
    /// The cycle data do not hold together (a commitment for a cycle that has no
    /// meeting, a duplicate commitment id).
    #[error("{file}:{line}: {message}")]
    Inconsistent {
        /// The file.
        file: &'static str,
        /// The line of the row.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A report field does not have the form the schema requires. `path` is the
    /// field's path inside the report (`warheads.total.value`).
    #[error("field report.{path}: expected {expected}, found {found}")]
    Schema {
        /// The path inside the report object, dot-separated.
        path: String,
        /// What a valid value looks like.
        expected: String,
        /// What was given (at most 80 characters of its JSON).
        found: String,
    },
    /// A report for a review cycle the data do not know.
    #[error("field cycle: no NPT review cycle {cycle} (known cycles: {known}){hint}")]
    UnknownCycle {
        /// The cycle given.
        cycle: u16,
        /// The known cycles, comma-separated.
        known: String,
        /// A hint, e.g. that the 2020 cycle's conference met in 2022.
        hint: String,
    },
    /// The submitting actor does not act for the reporting state.
    #[error("field state: actor {actor:?} acts for {party}, not for state:{state}; a state's report must be submitted by an actor of that state")]
    WrongState {
        /// The submitting actor.
        actor: String,
        /// Whom it acts for, as registered.
        party: String,
        /// The state the report is for.
        state: StateCode,
    },
    /// The report states figures as of a date after the event that submits it.
    #[error("field report.as_of: {as_of} is after the event's time {time}; figures cannot be as of a later date than their report")]
    AsOfAfterEvent {
        /// The report's date.
        as_of: Date,
        /// The event's time.
        time: UtcTime,
    },
    /// A query about a report that the log does not hold.
    #[error("no report by {state} for the {cycle} review cycle in the log")]
    NoReport {
        /// The state.
        state: StateCode,
        /// The cycle.
        cycle: u16,
    },
}

impl ReviewError {
    /// The field the error is about, as a path inside a `review.report` payload
    /// (`report.warheads.total.value`, `cycle`, `state`), if any.
    pub fn field(&self) -> Option<String> {
        match self {
            ReviewError::Schema { path, .. } => Some(format!("report.{path}")),
            ReviewError::UnknownCycle { .. } => Some("cycle".into()),
            ReviewError::WrongState { .. } => Some("state".into()),
            ReviewError::AsOfAfterEvent { .. } => Some("report.as_of".into()),
            _ => None,
        }
    }

    /// The message without its leading `field ...: `.
    pub fn detail(&self) -> String {
        let full = self.to_string();
        match self.field() {
            Some(field) => full
                .strip_prefix(&format!("field {field}: "))
                .map_or(full.clone(), str::to_string),
            None => full,
        }
    }
}
