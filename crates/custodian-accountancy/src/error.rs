//! The crate's one error type. Every variant that comes from input names the
//! place (a JSON-style field path such as `inventories[1].values[3]`, or a
//! parameter name), what was expected and what was found.

/// An error from the accountancy statistics.
///
/// Field paths use the shape of the JSON evaluation input
/// ([`crate::evaluate::EvaluationInput`]): `inputs[0].amounts[2]`,
/// `inventories[1].rsd_systematic`, `page.h`. Library callers that build a
/// [`crate::balance::BalanceSequence`] directly get the same paths, with the
/// index of the stream in the list they passed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AccountancyError {
    /// The JSON text did not have the expected shape (a type error, a missing
    /// or unknown field, a syntax error). `path` is where serde stopped.
    #[error("{path}: {message}")]
    Json {
        /// Field path, e.g. `inventories[1].values[3]`; `.` for the document.
        path: String,
        /// serde's description of what was expected and found.
        message: String,
    },

    /// A number outside its domain: a negative or non-finite amount, an RSD
    /// outside [0, 1], a non-finite Page parameter.
    #[error("{field}: expected {expected}, found {found}")]
    InvalidNumber {
        /// Field path or parameter name.
        field: String,
        /// What the field must hold, in words.
        expected: &'static str,
        /// The value found.
        found: f64,
    },

    /// An array of the wrong length.
    #[error("{field}: expected {expected} values ({reason}), found {found}")]
    WrongLength {
        /// Field path of the array.
        field: String,
        /// The required number of elements.
        expected: usize,
        /// The number found.
        found: usize,
        /// Why that length: which other field fixes the number of periods.
        reason: String,
    },

    /// A field that is present but unusable for another reason (an empty
    /// name, an empty unit, no periods).
    #[error("{field}: expected {expected}")]
    Invalid {
        /// Field path.
        field: String,
        /// What the field must hold.
        expected: String,
    },

    /// The input has no stream at all.
    #[error("the balance has no streams: expected at least one entry in `inputs`, `outputs` or `inventories`")]
    NoStreams,

    /// More elements than this crate accepts (a limit against runaway input).
    #[error("{field}: expected at most {limit} {what}, found {found}")]
    TooMany {
        /// Field path.
        field: String,
        /// The limit.
        limit: usize,
        /// The count found.
        found: usize,
        /// What is counted ("periods", "streams").
        what: &'static str,
    },

    /// An integer parameter outside its domain (attribute sampling sizes,
    /// numbers of balances or runs).
    #[error("{field}: expected {expected}, found {found}")]
    InvalidCount {
        /// Parameter name.
        field: String,
        /// What it must be.
        expected: String,
        /// The value found.
        found: u64,
    },

    /// The MUF covariance matrix Σ is not (numerically) positive definite:
    /// the conditional variance of balance `balance` given the earlier ones
    /// is not positive. Σ is never repaired silently
    /// (accountancy.md §4, after MAPIT `SitmufTheory.md`).
    #[error(
        "balance {balance}: the MUF covariance matrix is not positive definite \
         (variance of balance {balance} given the earlier balances is {conditional_variance:e} \
         against Σ_ii = {variance:e}); expected every balance to carry random measurement \
         uncertainty that earlier balances do not already determine"
    )]
    NotPositiveDefinite {
        /// 1-based balance index at which the factorisation failed.
        balance: usize,
        /// The Cholesky pivot (the conditional variance, kg²).
        conditional_variance: f64,
        /// The diagonal element Σ_ii (kg²).
        variance: f64,
    },

    /// A requested threshold does not exist for these parameters (for example
    /// a false-alarm probability so large that even h = 0 is not exceeded often
    /// enough).
    #[error("{field}: {message}")]
    NoThreshold {
        /// Parameter name.
        field: String,
        /// Why no threshold exists.
        message: String,
    },
}

impl AccountancyError {
    /// The field path or parameter name this error is about, when it has one.
    pub fn field(&self) -> Option<&str> {
        match self {
            AccountancyError::Json { path, .. } => Some(path),
            AccountancyError::InvalidNumber { field, .. }
            | AccountancyError::WrongLength { field, .. }
            | AccountancyError::Invalid { field, .. }
            | AccountancyError::TooMany { field, .. }
            | AccountancyError::InvalidCount { field, .. }
            | AccountancyError::NoThreshold { field, .. } => Some(field),
            AccountancyError::NoStreams | AccountancyError::NotPositiveDefinite { .. } => None,
        }
    }
}

/// Checks a probability parameter strictly inside (0, 1).
pub(crate) fn check_probability(field: &str, value: f64) -> Result<f64, AccountancyError> {
    if value.is_finite() && value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(AccountancyError::InvalidNumber {
            field: field.to_owned(),
            expected: "a probability strictly between 0 and 1",
            found: value,
        })
    }
}

/// Checks a relative standard deviation: finite and in [0, 1].
pub(crate) fn check_rsd(field: &str, value: f64) -> Result<f64, AccountancyError> {
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(AccountancyError::InvalidNumber {
            field: field.to_owned(),
            expected: "a relative standard deviation in [0, 1] (a decimal: 0.01 is 1 %)",
            found: value,
        })
    }
}

/// Checks a measured amount: finite and non-negative.
pub(crate) fn check_amount(field: &str, value: f64) -> Result<f64, AccountancyError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(AccountancyError::InvalidNumber {
            field: field.to_owned(),
            expected: "a finite, non-negative amount",
            found: value,
        })
    }
}
