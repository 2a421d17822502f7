//! The measurement model of a sequence of material balances: streams
//! (inputs, outputs, inventories), the period-wise MUF, the MUF covariance
//! matrix Σ in structured form, σMUF with and without the shared-systematic
//! term, CUMUF and var(CUMUF); and the closed forms of accountancy.md §3 as
//! independent functions, used as test oracles.
//!
//! # Model (accountancy.md §1–§2)
//!
//! A balance sequence has n periods; balance `b` (0-based here; balance
//! `i = b + 1` in the reference) covers (t_b, t_{b+1}]. Each stream is one
//! measurement system:
//! - an **input** or **output** location with one measured amount per period;
//! - an **inventory** location with n + 1 measured values C_0..C_n, the first
//!   being the beginning inventory of the sequence.
//!
//! Every value x is measured as x̃ = x(1 + r + s) (MAPIT theory guide,
//! `ErrorTheory.md` \[V]): `r ~ N(0, δ_R²)` fresh for every value, and
//! `s ~ N(0, δ_S²)` drawn once per stream for the whole sequence (one
//! calibration period, MAPIT's default and ours). Each amount is *one
//! measurement* (one stratum measured once): its random variance is
//! `x²δ_R²`. A flow that is really k separately measured batches must be
//! entered as its own stream per batch, or its random variance is overstated
//! (accountancy.md §2 and §9 item 5).
//!
//! # Structure of Σ
//!
//! With `muf = A·m` and the general covariance rule of §2 \[C], Σ = A V Aᵀ
//! splits into
//! - a **tridiagonal random part** T: flow random variances
//!   `d_b = Σ_flows F_b² δ_R²` on the diagonal, and for each inventory time t
//!   the variance `q_t = Σ_inv C_t² δ_R²`, which enters balances t − 1 and t
//!   with opposite signs (+q on both diagonals, −q between them);
//! - a **low-rank systematic part** `U Uᵀ`: one column per stream with
//!   δ_S > 0, `u[b] = δ_S·(I_b | −O_b | C_b − C_{b+1})`.
//!
//! [`MufCovariance`] stores exactly these O(n·k) numbers; every element,
//! the packed dense matrix and the O(n·k²) recursion of
//! [`crate::sequential::StructuredCholesky`] are computed from them.

use serde::{Deserialize, Serialize};

use crate::error::{check_amount, check_rsd, AccountancyError};
use crate::matrix::PackedSymmetric;

/// The most periods one sequence may have (a limit against runaway input;
/// the structured path handles this many in well under a second per stream).
pub const PERIODS_MAX: usize = 100_000;

/// The most streams (inputs + outputs + inventories) one sequence may have.
pub const STREAMS_MAX: usize = 1_000;

/// An input or output location: one measurement system, one measured amount
/// per period (kg of element or isotope, in the unit of the balance).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// Location name (for reports; must be non-empty).
    pub name: String,
    /// Measured amount in each period, ≥ 0 (direction is given by the list
    /// the flow is in).
    pub amounts: Vec<f64>,
    /// Relative random standard deviation δ_R, a decimal in [0, 1].
    pub rsd_random: f64,
    /// Relative systematic standard deviation δ_S, a decimal in [0, 1].
    pub rsd_systematic: f64,
}

/// An inventory location: one measurement system, n + 1 measured inventory
/// values C_0..C_n (C_0 is the beginning inventory of the sequence).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// Location name (must be non-empty).
    pub name: String,
    /// Measured inventory at t_0..t_n, each ≥ 0.
    pub values: Vec<f64>,
    /// Relative random standard deviation δ_R, a decimal in [0, 1].
    pub rsd_random: f64,
    /// Relative systematic standard deviation δ_S, a decimal in [0, 1].
    pub rsd_systematic: f64,
}

/// The terms of one material balance (NSSPI glossary \[V]):
/// `MUF = (PB + X − Y) − PE = BI − PE`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BalanceTerms {
    /// PB: beginning physical inventory, Σ_l C_{l,i−1}.
    pub beginning_inventory: f64,
    /// X: sum of increases (inputs) in the period.
    pub increases: f64,
    /// Y: sum of decreases (outputs) in the period.
    pub decreases: f64,
    /// PE: ending physical inventory, Σ_l C_{l,i}.
    pub ending_inventory: f64,
    /// BI = PB + X − Y: book inventory.
    pub book_inventory: f64,
    /// MUF = BI − PE; positive means material is missing.
    pub muf: f64,
}

/// A validated sequence of material balances. Constructed only by
/// [`BalanceSequence::new`], so a value that exists has at least one stream
/// and one period, consistent lengths, finite non-negative amounts and RSDs
/// in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct BalanceSequence {
    inputs: Vec<Flow>,
    outputs: Vec<Flow>,
    inventories: Vec<Inventory>,
    periods: usize,
}

impl BalanceSequence {
    /// Validates the streams. Errors name the field path in the shape of the
    /// JSON input, e.g. `inventories[1].values[3]`.
    ///
    /// The number of periods n is fixed by the first flow (`amounts.len()`),
    /// or, without flows, by the first inventory (`values.len() − 1`); every
    /// other stream must agree.
    pub fn new(
        inputs: Vec<Flow>,
        outputs: Vec<Flow>,
        inventories: Vec<Inventory>,
    ) -> Result<Self, AccountancyError> {
        let streams = inputs.len() + outputs.len() + inventories.len();
        if streams == 0 {
            return Err(AccountancyError::NoStreams);
        }
        if streams > STREAMS_MAX {
            return Err(AccountancyError::TooMany {
                field: "inputs + outputs + inventories".to_owned(),
                limit: STREAMS_MAX,
                found: streams,
                what: "streams",
            });
        }

        // The stream that fixes the number of periods.
        let (periods, reference) = if let Some(flow) = inputs.first() {
            (flow.amounts.len(), "inputs[0].amounts".to_owned())
        } else if let Some(flow) = outputs.first() {
            (flow.amounts.len(), "outputs[0].amounts".to_owned())
        } else {
            let first = &inventories[0];
            if first.values.len() < 2 {
                return Err(AccountancyError::WrongLength {
                    field: "inventories[0].values".to_owned(),
                    expected: 2,
                    found: first.values.len(),
                    reason: "at least the beginning inventory and one ending inventory".to_owned(),
                });
            }
            (first.values.len() - 1, "inventories[0].values".to_owned())
        };
        if periods == 0 {
            return Err(AccountancyError::Invalid {
                field: reference,
                expected: "at least one period, found none".to_owned(),
            });
        }
        if periods > PERIODS_MAX {
            return Err(AccountancyError::TooMany {
                field: reference,
                limit: PERIODS_MAX,
                found: periods,
                what: "periods",
            });
        }

        for (list, flows) in [("inputs", &inputs), ("outputs", &outputs)] {
            for (index, flow) in flows.iter().enumerate() {
                let base = format!("{list}[{index}]");
                check_name(&base, &flow.name)?;
                if flow.amounts.len() != periods {
                    return Err(AccountancyError::WrongLength {
                        field: format!("{base}.amounts"),
                        expected: periods,
                        found: flow.amounts.len(),
                        reason: format!("one per period; {reference} fixes {periods} periods"),
                    });
                }
                check_amounts(|t| format!("{base}.amounts[{t}]"), &flow.amounts)?;
                check_rsd(&format!("{base}.rsd_random"), flow.rsd_random)?;
                check_rsd(&format!("{base}.rsd_systematic"), flow.rsd_systematic)?;
            }
        }
        for (index, inventory) in inventories.iter().enumerate() {
            let base = format!("inventories[{index}]");
            check_name(&base, &inventory.name)?;
            if inventory.values.len() != periods + 1 {
                return Err(AccountancyError::WrongLength {
                    field: format!("{base}.values"),
                    expected: periods + 1,
                    found: inventory.values.len(),
                    reason: format!(
                        "periods + 1, the first being the beginning inventory; \
                         {reference} fixes {periods} periods"
                    ),
                });
            }
            check_amounts(|t| format!("{base}.values[{t}]"), &inventory.values)?;
            check_rsd(&format!("{base}.rsd_random"), inventory.rsd_random)?;
            check_rsd(&format!("{base}.rsd_systematic"), inventory.rsd_systematic)?;
        }

        Ok(Self {
            inputs,
            outputs,
            inventories,
            periods,
        })
    }

    /// Number of periods (balances) n.
    pub fn periods(&self) -> usize {
        self.periods
    }

    /// Input locations.
    pub fn inputs(&self) -> &[Flow] {
        &self.inputs
    }

    /// Output locations.
    pub fn outputs(&self) -> &[Flow] {
        &self.outputs
    }

    /// Inventory locations.
    pub fn inventories(&self) -> &[Inventory] {
        &self.inventories
    }

    /// The terms PB, X, Y, PE, BI and MUF of balance `b` (0-based).
    ///
    /// NSSPI glossary \[V]: `MUF = (PB + X − Y) − PE`; equal to MAPIT
    /// `MufSeidTheory.md` eqn muf1 \[V] with PB = Σ_l C_{l,i−1}, PE = Σ_l C_{l,i}.
    ///
    /// # Panics
    /// If `b ≥ periods()` (a caller bug).
    pub fn balance_terms(&self, b: usize) -> BalanceTerms {
        assert!(b < self.periods, "balance index {b} out of range");
        let beginning_inventory: f64 = self.inventories.iter().map(|c| c.values[b]).sum();
        let ending_inventory: f64 = self.inventories.iter().map(|c| c.values[b + 1]).sum();
        let increases: f64 = self.inputs.iter().map(|f| f.amounts[b]).sum();
        let decreases: f64 = self.outputs.iter().map(|f| f.amounts[b]).sum();
        let book_inventory = beginning_inventory + increases - decreases;
        BalanceTerms {
            beginning_inventory,
            increases,
            decreases,
            ending_inventory,
            book_inventory,
            muf: book_inventory - ending_inventory,
        }
    }

    /// Period-wise MUF, muf_i = (PB + X − Y) − PE, for every balance
    /// (MAPIT theory guide, `MufSeidTheory.md` eqn muf1 \[V]; NSSPI sign \[V]).
    pub fn muf(&self) -> Vec<f64> {
        (0..self.periods)
            .map(|b| self.balance_terms(b).muf)
            .collect()
    }

    /// CUMUF_i = Σ_{t≤i} muf_t (MAPIT theory guide, `CumufTheory.md` \[V]).
    pub fn cumuf(&self) -> Vec<f64> {
        let mut total = 0.0;
        self.muf()
            .into_iter()
            .map(|m| {
                total += m;
                total
            })
            .collect()
    }

    /// The structured MUF covariance matrix Σ = A V Aᵀ (accountancy.md §2
    /// general rule \[C], evaluated at the values given, as MAPIT
    /// `MufSeidTheory.md` does in operation \[V]). O(n·k) time and memory.
    pub fn covariance(&self) -> MufCovariance {
        let n = self.periods;
        let mut flow_random_variance = vec![0.0; n];
        let mut inventory_random_variance = vec![0.0; n + 1];
        for flow in self.inputs.iter().chain(&self.outputs) {
            let r2 = flow.rsd_random * flow.rsd_random;
            for (d, &x) in flow_random_variance.iter_mut().zip(&flow.amounts) {
                *d += x * x * r2;
            }
        }
        for inventory in &self.inventories {
            let r2 = inventory.rsd_random * inventory.rsd_random;
            for (q, &c) in inventory_random_variance.iter_mut().zip(&inventory.values) {
                *q += c * c * r2;
            }
        }

        // One factor column per stream with a systematic error, scaled by δ_S.
        let mut columns: Vec<Vec<f64>> = Vec::new();
        for flow in &self.inputs {
            if flow.rsd_systematic > 0.0 {
                columns.push(
                    flow.amounts
                        .iter()
                        .map(|&x| flow.rsd_systematic * x)
                        .collect(),
                );
            }
        }
        for flow in &self.outputs {
            if flow.rsd_systematic > 0.0 {
                columns.push(
                    flow.amounts
                        .iter()
                        .map(|&x| -flow.rsd_systematic * x)
                        .collect(),
                );
            }
        }
        for inventory in &self.inventories {
            if inventory.rsd_systematic > 0.0 {
                columns.push(
                    inventory
                        .values
                        .windows(2)
                        .map(|w| inventory.rsd_systematic * (w[0] - w[1]))
                        .collect(),
                );
            }
        }
        let rank = columns.len();
        let mut factors = vec![0.0; n * rank];
        for (l, column) in columns.iter().enumerate() {
            for (b, &u) in column.iter().enumerate() {
                factors[b * rank + l] = u;
            }
        }
        MufCovariance {
            periods: n,
            flow_random_variance,
            inventory_random_variance,
            rank,
            factors,
        }
    }

    /// σMUF_i = sqrt(Σ_ii), including the shared-systematic inventory term
    /// (MAPIT theory guide, `MufSeidTheory.md` eqn sigmamuf1 \[V]).
    pub fn sigma_muf(&self) -> Vec<f64> {
        self.covariance()
            .diagonal()
            .into_iter()
            .map(f64::sqrt)
            .collect()
    }

    /// σMUF without the shared-systematic term `−2·C_{i−1}·C_i·δ_S²`, the
    /// conservative value MAPIT's `SEMUF` reports by documented choice
    /// (`MufSeidTheory.md` \[V]; accountancy.md §3 and §9 item 4). Every
    /// value, including C_0 of balance 1, enters with (δ_R² + δ_S²).
    pub fn sigma_muf_without_shared_term(&self) -> Vec<f64> {
        (0..self.periods)
            .map(|b| {
                let mut variance = 0.0;
                for flow in self.inputs.iter().chain(&self.outputs) {
                    let x = flow.amounts[b];
                    variance += x * x * total_rsd_squared(flow.rsd_random, flow.rsd_systematic);
                }
                for inventory in &self.inventories {
                    let total = total_rsd_squared(inventory.rsd_random, inventory.rsd_systematic);
                    let (c0, c1) = (inventory.values[b], inventory.values[b + 1]);
                    variance += (c0 * c0 + c1 * c1) * total;
                }
                variance.sqrt()
            })
            .collect()
    }

    /// var(CUMUF_i) = 1ᵀ Σ_{1..i} 1 for every i (accountancy.md §3 \[C]),
    /// from the structure in O(n·k): intermediate inventories cancel, leaving
    /// `Σ_{t≤i} d_t + q_0 + q_i + Σ_l (Σ_{t≤i} u_l[t])²`.
    pub fn cumuf_variance(&self) -> Vec<f64> {
        self.covariance().leading_block_sums()
    }
}

fn total_rsd_squared(random: f64, systematic: f64) -> f64 {
    random * random + systematic * systematic
}

fn check_name(base: &str, name: &str) -> Result<(), AccountancyError> {
    if name.trim().is_empty() {
        return Err(AccountancyError::Invalid {
            field: format!("{base}.name"),
            expected: "a non-empty location name".to_owned(),
        });
    }
    Ok(())
}

/// The MUF covariance matrix Σ of a balance sequence in structured form:
/// `Σ = T + U Uᵀ`, with T tridiagonal (random errors) and U n×k (one column
/// per stream with a systematic error). See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct MufCovariance {
    periods: usize,
    /// d_b: random variance of the flows of balance b (kg²), length n.
    flow_random_variance: Vec<f64>,
    /// q_t: random variance of the total inventory measured at t_t (kg²),
    /// length n + 1.
    inventory_random_variance: Vec<f64>,
    /// k: number of systematic factor columns.
    rank: usize,
    /// U, n×k row-major: row b holds u_l[b] for every column l.
    factors: Vec<f64>,
}

impl MufCovariance {
    /// n.
    pub fn periods(&self) -> usize {
        self.periods
    }

    /// k, the number of streams with a systematic error (the rank of the
    /// systematic part).
    pub fn systematic_rank(&self) -> usize {
        self.rank
    }

    /// d_b, the random variance of the flows of balance b (kg²).
    pub fn flow_random_variance(&self) -> &[f64] {
        &self.flow_random_variance
    }

    /// q_t, t = 0..=n, the random variance of the inventories measured at t_t.
    pub fn inventory_random_variance(&self) -> &[f64] {
        &self.inventory_random_variance
    }

    /// Row b of U: the systematic factors of balance b, one per column.
    pub fn factor_row(&self, b: usize) -> &[f64] {
        &self.factors[b * self.rank..(b + 1) * self.rank]
    }

    /// Σ_ij for 0-based balances i and j. O(k).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let systematic: f64 = self
            .factor_row(i)
            .iter()
            .zip(self.factor_row(j))
            .map(|(a, b)| a * b)
            .sum();
        systematic + self.random_part(i, j)
    }

    /// T_ij, the random (tridiagonal) part.
    fn random_part(&self, i: usize, j: usize) -> f64 {
        if i == j {
            self.flow_random_variance[i]
                + self.inventory_random_variance[i]
                + self.inventory_random_variance[i + 1]
        } else if i + 1 == j || j + 1 == i {
            -self.inventory_random_variance[i.max(j)]
        } else {
            0.0
        }
    }

    /// Σ_ii for every balance.
    pub fn diagonal(&self) -> Vec<f64> {
        (0..self.periods).map(|b| self.get(b, b)).collect()
    }

    /// The dense matrix in packed lower-triangular storage. O(n²·k) time,
    /// n(n+1)/2 doubles.
    pub fn to_packed(&self) -> PackedSymmetric {
        PackedSymmetric::from_fn(self.periods, |i, j| self.get(i, j))
    }

    /// 1ᵀ Σ_{1..i} 1 for i = 1..=n (var CUMUF_i), in O(n·k).
    pub fn leading_block_sums(&self) -> Vec<f64> {
        let mut factor_sums = vec![0.0; self.rank];
        let mut flow_sum = 0.0;
        let q0 = self.inventory_random_variance[0];
        (0..self.periods)
            .map(|b| {
                flow_sum += self.flow_random_variance[b];
                for (s, u) in factor_sums.iter_mut().zip(self.factor_row(b)) {
                    *s += u;
                }
                let systematic: f64 = factor_sums.iter().map(|s| s * s).sum();
                flow_sum + q0 + self.inventory_random_variance[b + 1] + systematic
            })
            .collect()
    }
}

/// σ²MUF of balance `b` (0-based) by the closed form of MAPIT theory guide
/// `MufSeidTheory.md` eqn sigmamuf1 \[V] (accountancy.md §3, "Diagonal"),
/// written out term by term. A test oracle for [`MufCovariance`].
pub fn closed_form_variance(sequence: &BalanceSequence, b: usize) -> f64 {
    let mut variance = 0.0;
    for flow in sequence.inputs().iter().chain(sequence.outputs()) {
        let x = flow.amounts[b];
        variance += x * x * total_rsd_squared(flow.rsd_random, flow.rsd_systematic);
    }
    for inventory in sequence.inventories() {
        let (c_prev, c) = (inventory.values[b], inventory.values[b + 1]);
        let total = total_rsd_squared(inventory.rsd_random, inventory.rsd_systematic);
        let s2 = inventory.rsd_systematic * inventory.rsd_systematic;
        variance += c * c * total + c_prev * c_prev * total - 2.0 * c_prev * c * s2;
    }
    variance
}

/// Σ_ij for 0-based balances i ≠ j by the closed form of MAPIT theory guide
/// `covmat.md` \[V] (with its flow-integral typo read as "flow of period i ×
/// flow of period j"; accountancy.md §3, "Off-diagonal"); for i = j, the
/// diagonal closed form [`closed_form_variance`]. A test oracle.
///
/// In the reference's 1-based notation, with C_{l,i} = `values[i]`:
/// `Σ_ij = Σ_in I_i I_j δ_S² + Σ_out O_i O_j δ_S²
///  + Σ_inv [(C_i C_j + C_{i−1} C_{j−1}) δ_S² − C_i C_{j−1}(δ_S² + [j−1 = i] δ_R²)
///    − C_{i−1} C_j (δ_S² + [i−1 = j] δ_R²)]`.
pub fn closed_form_covariance(sequence: &BalanceSequence, i: usize, j: usize) -> f64 {
    if i == j {
        return closed_form_variance(sequence, i);
    }
    // 1-based balance numbers as in the formula.
    let (bi, bj) = (i + 1, j + 1);
    let mut sum = 0.0;
    for flow in sequence.inputs().iter().chain(sequence.outputs()) {
        let s2 = flow.rsd_systematic * flow.rsd_systematic;
        sum += flow.amounts[i] * flow.amounts[j] * s2;
    }
    for inventory in sequence.inventories() {
        let c = &inventory.values;
        let s2 = inventory.rsd_systematic * inventory.rsd_systematic;
        let r2 = inventory.rsd_random * inventory.rsd_random;
        let indicator = |condition: bool| if condition { 1.0 } else { 0.0 };
        sum += (c[bi] * c[bj] + c[bi - 1] * c[bj - 1]) * s2
            - c[bi] * c[bj - 1] * (s2 + indicator(bj - 1 == bi) * r2)
            - c[bi - 1] * c[bj] * (s2 + indicator(bi - 1 == bj) * r2);
    }
    sum
}

/// Checks every amount, naming the first bad one by `field(index)`; the field
/// name is formed only then, so a valid sequence of any length costs one pass.
fn check_amounts(field: impl Fn(usize) -> String, values: &[f64]) -> Result<(), AccountancyError> {
    match values.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        Some(t) => check_amount(&field(t), values[t]).map(|_| ()),
        None => Ok(()),
    }
}
