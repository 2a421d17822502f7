//! Evaluation of a balance sequence from JSON: MUF, σMUF, Σ, L, CUMUF,
//! SITMUF, Page's test and GEMUF-V1 in one call (accountancy.md §1–§4).
//!
//! Input (every stream one measurement system; systematic errors shared
//! across its periods, random errors per value):
//!
//! ```json
//! {
//!   "unit": "kg U",
//!   "inputs":      [{"name": "feed",    "amounts": [100, 100], "rsd_random": 0.01, "rsd_systematic": 0.005}],
//!   "outputs":     [{"name": "product", "amounts": [90, 90],   "rsd_random": 0.01, "rsd_systematic": 0.005}],
//!   "inventories": [{"name": "tank",    "values": [50, 60, 70], "rsd_random": 0.02, "rsd_systematic": 0.01}],
//!   "page": {"k": 0.5, "h": 2.2270057},
//!   "alpha": 0.05
//! }
//! ```
//!
//! `inputs`, `outputs` and `inventories` may be omitted (empty) but not all
//! three; `alpha` (the single-look false-alarm probability of the GEMUF-V1 χ²
//! thresholds) defaults to 0.05. Unknown fields are errors. Every error
//! names its field path, e.g. `inventories[1].values[3]`.
//!
//! The statistics run on the structured path (O(n·k²)); the n×n matrices
//! `covariance` and `cholesky_lower` come from the dense path and are
//! included for small n (see [`Matrices`]).

use serde::{Deserialize, Serialize};

use crate::balance::{BalanceSequence, Flow, Inventory};
use crate::error::{check_probability, AccountancyError};
use crate::matrix::{PackedLower, PackedSymmetric};
use crate::sequential::{self, StructuredCholesky};

/// The JSON input of [`evaluate_json`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationInput {
    /// The unit shared by every amount, e.g. "kg U" or "kg U-235". Reported
    /// back unchanged; never converted.
    pub unit: String,
    /// Input locations (increases).
    #[serde(default)]
    pub inputs: Vec<Flow>,
    /// Output locations (decreases).
    #[serde(default)]
    pub outputs: Vec<Flow>,
    /// Inventory locations, each with periods + 1 values.
    #[serde(default)]
    pub inventories: Vec<Inventory>,
    /// Page's test parameters.
    pub page: PageParameters,
    /// Single-look false-alarm probability for the per-balance GEMUF-V1 χ²
    /// thresholds; default 0.05.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
}

fn default_alpha() -> f64 {
    0.05
}

/// Page's test parameters (MAPIT `PageTheory.md` \[V]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageParameters {
    /// Reference value k ≥ 0 in SITMUF units (k = δ/2 targets a shift δ;
    /// 0.5 is conventional).
    pub k: f64,
    /// Alarm threshold h > 0 (see [`crate::thresholds::page_threshold`]).
    pub h: f64,
}

/// Whether the n×n matrices are part of the output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Matrices {
    /// Include them when n ≤ [`MATRICES_AUTO_BALANCES_MAX`].
    #[default]
    Auto,
    /// Always include them. The dense Cholesky is O(n³/6): about 1 s at
    /// n = 2,000 and 4 s at 3,000 on one core (release build), minutes at
    /// 10,000; each matrix holds n(n+1)/2 doubles (400 MB at 10,000). A caller
    /// that needs L for a long sequence can expand it from the structured
    /// factor in O(n²·k) instead ([`StructuredCholesky::to_packed`]).
    Include,
    /// Never include them: the evaluation stays O(n·k²).
    Omit,
}

/// The largest n for which [`Matrices::Auto`] includes the matrices.
pub const MATRICES_AUTO_BALANCES_MAX: usize = 100;

/// Options of an evaluation that are not part of the input document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvaluateOptions {
    /// Whether to include `covariance` and `cholesky_lower`.
    pub matrices: Matrices,
}

/// The result of an evaluation. Arrays have one entry per balance, in order;
/// amounts are in `unit`, variances in `unit`².
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// The unit of the input, unchanged.
    pub unit: String,
    /// Number of balances n.
    pub periods: usize,
    /// muf_i = (PB + X − Y) − PE (`MufSeidTheory.md` eqn muf1 \[V]).
    pub muf: Vec<f64>,
    /// σMUF_i = sqrt(Σ_ii) (`MufSeidTheory.md` eqn sigmamuf1 \[V]).
    pub sigma_muf: Vec<f64>,
    /// σMUF without the shared-systematic inventory term (MAPIT `SEMUF`).
    pub sigma_muf_without_shared_term: Vec<f64>,
    /// Σ as n rows of n values, or null when omitted.
    pub covariance: Option<PackedSymmetric>,
    /// The lower Cholesky factor L of Σ as n rows, or null when omitted.
    pub cholesky_lower: Option<PackedLower>,
    /// CUMUF_i = Σ_{t≤i} muf_t (`CumufTheory.md` \[V]).
    pub cumuf: Vec<f64>,
    /// var(CUMUF_i) = 1ᵀ Σ_{1..i} 1 \[C].
    pub cumuf_variance: Vec<f64>,
    /// CUMUF_i / sqrt(var(CUMUF_i)).
    pub cumuf_z: Vec<f64>,
    /// SITMUF = L⁻¹·muf (`SitmufTheory.md` \[V]).
    pub sitmuf: Vec<f64>,
    /// Page's k, as given.
    pub page_k: f64,
    /// Page's h, as given.
    pub page_h: f64,
    /// Page's statistic on SITMUF, first step subtracting k.
    pub page: Vec<f64>,
    /// Whether P_i > h at some balance.
    pub page_alarm: bool,
    /// The first balance (1-based) with P_i > h, or null.
    pub page_first_alarm_balance: Option<usize>,
    /// GEMUF-V1 Z_i = cumsum(SITMUF²) (`GemufTheory.md`, Seifert \[V]).
    pub gemuf_v1: Vec<f64>,
    /// α of the per-balance χ² thresholds.
    pub gemuf_alpha: f64,
    /// χ²_{i, 1−α}, single-look thresholds for Z_i.
    pub gemuf_threshold: Vec<f64>,
    /// Z_i > χ²_{i, 1−α} for each balance.
    pub gemuf_alarm: Vec<bool>,
}

/// Parses the JSON input strictly (unknown fields and trailing data are
/// errors, each with its field path) and evaluates it.
pub fn evaluate_json(
    text: &str,
    options: &EvaluateOptions,
) -> Result<Evaluation, AccountancyError> {
    let input = parse_input(text)?;
    evaluate(&input, options)
}

/// Parses the JSON input; type errors carry the field path (through
/// `serde_path_to_error`).
pub fn parse_input(text: &str) -> Result<EvaluationInput, AccountancyError> {
    // serde would also accept the fields positionally, as an array.
    if !text.trim_start().starts_with('{') {
        return Err(AccountancyError::Json {
            path: ".".to_owned(),
            message: "expected a JSON object with the fields unit, inputs, outputs, \
                      inventories and page"
                .to_owned(),
        });
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let input: EvaluationInput =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            AccountancyError::Json {
                path,
                message: error.into_inner().to_string(),
            }
        })?;
    deserializer.end().map_err(|error| AccountancyError::Json {
        path: ".".to_owned(),
        message: format!("expected the end of the document: {error}"),
    })?;
    Ok(input)
}

/// Evaluates a parsed input. Validation order: `unit`, `page.k`, `page.h`,
/// `alpha`, then the streams ([`BalanceSequence::new`]).
pub fn evaluate(
    input: &EvaluationInput,
    options: &EvaluateOptions,
) -> Result<Evaluation, AccountancyError> {
    if input.unit.trim().is_empty() {
        return Err(AccountancyError::Invalid {
            field: "unit".to_owned(),
            expected: "a non-empty unit such as \"kg U\" or \"kg U-235\"".to_owned(),
        });
    }
    let PageParameters { k, h } = input.page;
    if !(k.is_finite() && k >= 0.0) {
        return Err(AccountancyError::InvalidNumber {
            field: "page.k".to_owned(),
            expected: "a finite, non-negative reference value (0.5 is conventional)",
            found: k,
        });
    }
    if !(h.is_finite() && h > 0.0) {
        return Err(AccountancyError::InvalidNumber {
            field: "page.h".to_owned(),
            expected: "a finite, positive threshold",
            found: h,
        });
    }
    check_probability("alpha", input.alpha)?;

    let sequence = BalanceSequence::new(
        input.inputs.clone(),
        input.outputs.clone(),
        input.inventories.clone(),
    )?;
    let n = sequence.periods();
    let muf = sequence.muf();
    let covariance = sequence.covariance();
    let factor = StructuredCholesky::new(&covariance)?;
    let sitmuf = factor.whiten(&muf);

    let include = match options.matrices {
        Matrices::Auto => n <= MATRICES_AUTO_BALANCES_MAX,
        Matrices::Include => true,
        Matrices::Omit => false,
    };
    let (dense_covariance, dense_lower) = if include {
        let dense = covariance.to_packed();
        let lower = sequential::cholesky(&dense)?;
        (Some(dense), Some(lower))
    } else {
        (None, None)
    };

    let cumuf = sequence.cumuf();
    let cumuf_variance = covariance.leading_block_sums();
    let cumuf_z = cumuf
        .iter()
        .zip(&cumuf_variance)
        .map(|(c, v)| c / v.sqrt())
        .collect();
    let page = sequential::page(&sitmuf, k);
    let first_alarm = sequential::page_first_alarm(&page, h);
    let gemuf_v1 = sequential::gemuf_v1(&sitmuf);
    let gemuf_threshold = sequential::gemuf_thresholds(n, input.alpha)?;
    let gemuf_alarm = gemuf_v1
        .iter()
        .zip(&gemuf_threshold)
        .map(|(z, t)| z > t)
        .collect();

    Ok(Evaluation {
        unit: input.unit.clone(),
        periods: n,
        sigma_muf: covariance.diagonal().into_iter().map(f64::sqrt).collect(),
        sigma_muf_without_shared_term: sequence.sigma_muf_without_shared_term(),
        muf,
        covariance: dense_covariance,
        cholesky_lower: dense_lower,
        cumuf,
        cumuf_variance,
        cumuf_z,
        sitmuf,
        page_k: k,
        page_h: h,
        page,
        page_alarm: first_alarm.is_some(),
        page_first_alarm_balance: first_alarm.map(|i| i + 1),
        gemuf_v1,
        gemuf_alpha: input.alpha,
        gemuf_threshold,
        gemuf_alarm,
    })
}
