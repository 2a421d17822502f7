//! The crate's one error type (STYLE §4): every variant names the place (file and
//! line), the field where there is one, and what was expected, so a caller can print
//! it or match on it. A rejected batch applies nothing.

use crate::data::{ActionKind, TreatyId};
use custodian_core::{Date, StateCode};
use serde::Serialize;
use std::fmt;

/// Where a row came from: a file name and a 1-based line (the header is line 1), when
/// known. A row given directly (a JSON payload) has neither.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Place {
    /// The file name as given to the parser (e.g. `memberships.csv`).
    pub file: Option<Box<str>>,
    /// The line on which the row starts.
    pub line: Option<u64>,
}

impl Place {
    /// A row at `line` of `file`.
    pub fn at(file: &str, line: u64) -> Place {
        Place {
            file: Some(file.into()),
            line: Some(line),
        }
    }
    /// A whole file (an error about its header, or a limit).
    pub fn file(file: &str) -> Place {
        Place {
            file: Some(file.into()),
            line: None,
        }
    }
    /// A value given directly, not read from a file (a JSON payload, a query argument).
    pub fn direct() -> Place {
        Place {
            file: None,
            line: None,
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}"),
            (Some(file), None) => f.write_str(file),
            (None, Some(line)) => write!(f, "line {line}"),
            (None, None) => f.write_str("(given row)"),
        }
    }
}

/// Why data was refused or a query could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegimeError {
    /// The bytes are not RFC 4180 CSV (unbalanced quotes, a row with the wrong number
    /// of fields, invalid UTF-8).
    #[error("{at}: malformed CSV: {message}")]
    Csv {
        /// The file and the line where the reader stopped.
        at: Place,
        /// The CSV reader's description.
        message: String,
    },
    /// The header row is not the one this file must have.
    #[error("{at}: header: expected {expected}, found {found}")]
    Header {
        /// The file (line 1).
        at: Place,
        /// The expected column names, comma-separated.
        expected: String,
        /// The column names found, comma-separated.
        found: String,
    },
    /// A field does not have the form its column requires.
    #[error("{at}: field {field}: expected {expected}, found {found:?}")]
    Field {
        /// The file and line of the row.
        at: Place,
        /// The column.
        field: &'static str,
        /// What a valid value looks like.
        expected: String,
        /// The text given (at most 80 characters of it).
        found: String,
    },
    /// A row has no source. Every figure and every action must say where it came from
    /// (SOURCES.md: "Every row carries a `source`").
    #[error("{at}: field source: every row needs a source, found an empty cell")]
    MissingSource {
        /// The file and line of the row.
        at: Place,
    },
    /// A state code that is neither in states.csv nor a historical state known to the
    /// rules ([`crate::rules::SUCCESSIONS`]).
    #[error("{at}: field {field}: unknown state code {code}")]
    UnknownState {
        /// The file and line of the row (or the query).
        at: Place,
        /// The column.
        field: &'static str,
        /// The code given.
        code: StateCode,
    },
    /// A treaty that is not in treaties.csv.
    #[error("{at}: field treaty: unknown treaty {treaty}")]
    UnknownTreaty {
        /// The file and line of the row (or the query).
        at: Place,
        /// The treaty given.
        treaty: TreatyId,
    },
    /// An action name outside the vocabulary of memberships.csv.
    #[error(
        "{at}: field action: expected one of signature, ratification, accession, succession, \
         withdrawal_notice, withdrawal_effective, ratification_revoked, found {found:?}"
    )]
    UnknownAction {
        /// The file and line of the row.
        at: Place,
        /// The text given.
        found: String,
    },
    /// A date later than the `today` the registry was built with.
    #[error("{at}: field {field}: {found} is in the future (today is {today})")]
    FutureDate {
        /// The file and line of the row.
        at: Place,
        /// The column.
        field: &'static str,
        /// The date (or year) given, as text.
        found: String,
        /// The date the caller gave as today.
        today: Date,
    },
    /// The same row twice (for memberships: same treaty, state, action and date).
    #[error("{at}: duplicate row {key} (first at {first})")]
    DuplicateRow {
        /// The second occurrence.
        at: Place,
        /// What identifies the row (e.g. `NPT USA ratification 1970-03-05`).
        key: String,
        /// The first occurrence.
        first: Place,
    },
    /// A row that cannot hold together with another one: a second signature, a second
    /// consent to be bound while already bound, a second pending withdrawal notice.
    #[error("{at}: {key} contradicts {conflicts_with}: {reason}")]
    ContradictoryRow {
        /// The row found contradictory (the later one in date order).
        at: Place,
        /// The row, as treaty, state, action and date.
        key: String,
        /// The row it contradicts.
        conflicts_with: Place,
        /// Why the two cannot both hold.
        reason: String,
    },
    /// An action dated before the treaty opened for signature (treaties.csv), and not a
    /// documented exception ([`crate::rules::DOCUMENTED_EXCEPTIONS`]).
    #[error("{at}: field date: {treaty} {action} on {date} is before the treaty opened for signature on {opened}")]
    BeforeOpenedForSignature {
        /// The file and line of the row.
        at: Place,
        /// The treaty.
        treaty: TreatyId,
        /// The action.
        action: ActionKind,
        /// The action's date.
        date: Date,
        /// The opening date in treaties.csv.
        opened: Date,
    },
    /// A `ratification_revoked` with no ratification in force before it.
    #[error("{at}: {state} revoked its {treaty} ratification on {date}, but no ratification in force precedes it")]
    RevokedWithoutRatification {
        /// The file and line of the row.
        at: Place,
        /// The treaty.
        treaty: TreatyId,
        /// The state.
        state: StateCode,
        /// The date of the revocation.
        date: Date,
    },
    /// A ratification with no signature on or before its date (the treaties in the
    /// data are "subject to ratification by signatory States", e.g. NPT Art. IX.2).
    #[error(
        "{at}: {state} ratified {treaty} on {date} without a signature on or before that date"
    )]
    RatificationWithoutSignature {
        /// The file and line of the row.
        at: Place,
        /// The treaty.
        treaty: TreatyId,
        /// The state.
        state: StateCode,
        /// The date of the ratification.
        date: Date,
    },
    /// A withdrawal notice from a state that is not bound by the treaty at that date.
    #[error(
        "{at}: {state} gave notice of withdrawal from {treaty} on {date} without being a party"
    )]
    WithdrawalWithoutMembership {
        /// The file and line of the row.
        at: Place,
        /// The treaty.
        treaty: TreatyId,
        /// The state.
        state: StateCode,
        /// The date of the notice.
        date: Date,
    },
    /// A withdrawal that takes effect with no notice before it.
    #[error("{at}: {state}'s withdrawal from {treaty} effective {date} has no notice before it")]
    WithdrawalEffectiveWithoutNotice {
        /// The file and line of the row.
        at: Place,
        /// The treaty.
        treaty: TreatyId,
        /// The state.
        state: StateCode,
        /// The effective date given.
        date: Date,
    },
    /// A withdrawal effective before the notice period of the treaty ran out (NPT Art.
    /// X.1: three months).
    #[error("{at}: {state}'s withdrawal from {treaty} effective {date} is before {earliest}, three months after the notice of {notice} (NPT Art. X.1)")]
    WithdrawalBeforeNoticePeriod {
        /// The file and line of the row.
        at: Place,
        /// The treaty.
        treaty: TreatyId,
        /// The state.
        state: StateCode,
        /// The date of the notice.
        notice: Date,
        /// The earliest date the withdrawal can take effect.
        earliest: Date,
        /// The effective date given.
        date: Date,
    },
    /// An action filed under a historical state whose record the data keeps under its
    /// continuator (UNODA files the USSR's actions under the Russian Federation).
    #[error("{at}: field iso3: {state}'s treaty actions are recorded under {continued_by} (continuity rule, see rules::SUCCESSIONS)")]
    FiledUnderContinuator {
        /// The file and line of the row.
        at: Place,
        /// The historical state given.
        state: StateCode,
        /// The state whose code carries the record.
        continued_by: StateCode,
    },
    /// A file or field larger than the parser accepts (STYLE §5, "Limit everything").
    #[error("{at}: {what} exceeds the limit of {max}")]
    Limit {
        /// The file (and line, for a field).
        at: Place,
        /// What is too large.
        what: &'static str,
        /// The limit.
        max: usize,
    },
}

impl RegimeError {
    /// The place the error is about.
    pub fn place(&self) -> &Place {
        match self {
            RegimeError::Csv { at, .. }
            | RegimeError::Header { at, .. }
            | RegimeError::Field { at, .. }
            | RegimeError::MissingSource { at }
            | RegimeError::UnknownState { at, .. }
            | RegimeError::UnknownTreaty { at, .. }
            | RegimeError::UnknownAction { at, .. }
            | RegimeError::FutureDate { at, .. }
            | RegimeError::DuplicateRow { at, .. }
            | RegimeError::ContradictoryRow { at, .. }
            | RegimeError::BeforeOpenedForSignature { at, .. }
            | RegimeError::RevokedWithoutRatification { at, .. }
            | RegimeError::RatificationWithoutSignature { at, .. }
            | RegimeError::WithdrawalWithoutMembership { at, .. }
            | RegimeError::WithdrawalEffectiveWithoutNotice { at, .. }
            | RegimeError::WithdrawalBeforeNoticePeriod { at, .. }
            | RegimeError::FiledUnderContinuator { at, .. }
            | RegimeError::Limit { at, .. } => at,
        }
    }
}
