//! Sequential tests on a MUF sequence: SITMUF, Page's test, GEMUF-V1 and the
//! per-balance χ² thresholds (accountancy.md §4).
//!
//! Two exact paths compute the Cholesky factor L of Σ (Σ = L Lᵀ) and
//! SITMUF = L⁻¹·muf:
//! - **dense**: [`cholesky`] of the packed matrix, O(n³/6) time and n(n+1)/2
//!   doubles, then forward substitution, O(n²);
//! - **structured**: [`StructuredCholesky`], built from the structure
//!   Σ = T + U Uᵀ of [`MufCovariance`] in O(n·k²) time and O(n·k) memory,
//!   with forward substitution in O(n·k). Any element of L, or all of it
//!   (O(n²·k)), can be had from its generators.
//!
//! The structured factor comes from an innovations (Kalman-filter)
//! recursion on the measurement model of [`crate::balance`]: the state is
//! the k standardised systematic errors plus the random error of the
//! inventory that the next balance opens with. The innovation of balance i
//! is exactly `itmuf_i = muf_i − E[muf_i | muf_1..muf_{i−1}]` of the
//! conditional form (MAPIT `SitmufTheory.md` \[V]), its variance is the
//! Cholesky pivot L_ii², and L_ij = cov(muf_i, sitmuf_j), which the
//! recursion yields as `u_iᵀ g_j` plus one band term for i = j + 1.
//!
//! Both paths refuse a Σ that is not positive definite, at the first balance
//! whose conditional variance is not above `PIVOT_RELATIVE_MIN · Σ_ii`; they
//! never repair Σ (accountancy.md §4).

use crate::balance::MufCovariance;
use crate::error::{check_probability, AccountancyError};
use crate::matrix::{packed_index, PackedLower, PackedSymmetric};
use crate::normal;

/// A Cholesky pivot (the conditional variance of a balance given the earlier
/// ones) at or below this fraction of Σ_ii means Σ is not positive definite
/// in floating point: SITMUF would divide by rounding noise. The same
/// criterion is used by the dense and the structured path.
pub const PIVOT_RELATIVE_MIN: f64 = 1e-12;

fn check_pivot(balance: usize, pivot: f64, variance: f64) -> Result<f64, AccountancyError> {
    if pivot > PIVOT_RELATIVE_MIN * variance && pivot.is_finite() && variance > 0.0 {
        Ok(pivot.sqrt())
    } else {
        Err(AccountancyError::NotPositiveDefinite {
            balance: balance + 1,
            conditional_variance: pivot,
            variance,
        })
    }
}

/// Dense Cholesky factorisation Σ = L Lᵀ (L lower triangular with positive
/// diagonal; MAPIT `SitmufTheory.md` \[V]), row by row in packed storage.
/// O(n³/6) multiply-adds.
///
/// Errors with [`AccountancyError::NotPositiveDefinite`] naming the first
/// balance (1-based) whose pivot fails; Σ is never repaired.
pub fn cholesky(sigma: &PackedSymmetric) -> Result<PackedLower, AccountancyError> {
    let n = sigma.dimension();
    let mut packed = vec![0.0; n * (n + 1) / 2];
    for i in 0..n {
        let (done, rest) = packed.split_at_mut(packed_index(i, 0));
        let row_i = &mut rest[..=i];
        for j in 0..=i {
            let dot: f64 = if j == i {
                row_i[..j].iter().map(|x| x * x).sum()
            } else {
                let row_j = &done[packed_index(j, 0)..=packed_index(j, j)];
                row_i[..j].iter().zip(&row_j[..j]).map(|(a, b)| a * b).sum()
            };
            let value = sigma.get(i, j) - dot;
            if j == i {
                row_i[i] = check_pivot(i, value, sigma.get(i, i))?;
            } else {
                row_i[j] = value / done[packed_index(j, j)];
            }
        }
    }
    // Length matches by construction.
    Ok(PackedLower::from_packed(n, packed).expect("packed length n(n+1)/2"))
}

/// SITMUF = L⁻¹·muf by forward substitution (MAPIT `SitmufTheory.md` \[V]);
/// L⁻¹ is never formed.
///
/// # Panics
/// If `muf.len()` differs from the dimension of L (a caller bug).
pub fn sitmuf(cholesky_lower: &PackedLower, muf: &[f64]) -> Vec<f64> {
    cholesky_lower.forward_substitute(muf)
}

/// SITMUF by the conditional form (MAPIT `SitmufTheory.md` \[V]):
/// `itmuf_i = muf_i − σ_{i−1}ᵀ Σ_{i−1}⁻¹ muf_{1..i−1}`,
/// `var(itmuf_i) = Σ_ii − σ_{i−1}ᵀ Σ_{i−1}⁻¹ σ_{i−1}`,
/// `sitmuf_i = itmuf_i / sqrt(var(itmuf_i))`, where σ_{i−1} is column i of Σ
/// above the diagonal.
///
/// A **test oracle**: each leading block is solved afresh by Gaussian
/// elimination with partial pivoting (no Cholesky), O(n⁴) in all. Use
/// [`cholesky`] + [`sitmuf`] or [`StructuredCholesky`] in production.
pub fn sitmuf_conditional(
    sigma: &PackedSymmetric,
    muf: &[f64],
) -> Result<Vec<f64>, AccountancyError> {
    let n = sigma.dimension();
    assert_eq!(muf.len(), n, "muf length");
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (itmuf, variance) = if i == 0 {
            (muf[0], sigma.get(0, 0))
        } else {
            let block: Vec<Vec<f64>> = (0..i)
                .map(|r| (0..i).map(|c| sigma.get(r, c)).collect())
                .collect();
            let column: Vec<f64> = (0..i).map(|r| sigma.get(r, i)).collect();
            let solved = solve_gaussian(block, vec![column.clone(), muf[..i].to_vec()]);
            let (w_sigma, w_muf) = (&solved[0], &solved[1]);
            let variance = sigma.get(i, i) - dot(&column, w_sigma);
            let itmuf = muf[i] - dot(&column, w_muf);
            (itmuf, variance)
        };
        let sd = check_pivot(i, variance, sigma.get(i, i))?;
        out.push(itmuf / sd);
    }
    Ok(out)
}

/// GEMUF-V1 by its definition `Z_i = muf_{1..i}ᵀ Σ_{1..i}⁻¹ muf_{1..i}`
/// (MAPIT `GemufTheory.md`, after Seifert 1986 \[V]), each block solved by
/// Gaussian elimination. A **test oracle** for the identity
/// `Z_i = Σ_{t≤i} sitmuf_t²` \[C] that [`gemuf_v1`] uses. O(n⁴).
pub fn gemuf_v1_direct(sigma: &PackedSymmetric, muf: &[f64]) -> Vec<f64> {
    let n = sigma.dimension();
    (1..=n)
        .map(|i| {
            let block: Vec<Vec<f64>> = (0..i)
                .map(|r| (0..i).map(|c| sigma.get(r, c)).collect())
                .collect();
            let solved = solve_gaussian(block, vec![muf[..i].to_vec()]);
            dot(&muf[..i], &solved[0])
        })
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Solves A X = B for several right-hand sides by Gaussian elimination with
/// partial pivoting (oracle use only).
fn solve_gaussian(mut a: Vec<Vec<f64>>, mut rhs: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let m = a.len();
    for col in 0..m {
        let pivot_row = (col..m)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot_row);
        for b in rhs.iter_mut() {
            b.swap(col, pivot_row);
        }
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot = &upper[col];
        for (offset, target) in lower.iter_mut().enumerate() {
            let row = col + 1 + offset;
            let factor = target[col] / pivot[col];
            if factor == 0.0 {
                continue;
            }
            for (x, p) in target[col..].iter_mut().zip(&pivot[col..]) {
                *x -= factor * p;
            }
            for b in rhs.iter_mut() {
                b[row] -= factor * b[col];
            }
        }
    }
    for b in rhs.iter_mut() {
        for row in (0..m).rev() {
            let tail: f64 = a[row][row + 1..]
                .iter()
                .zip(&b[row + 1..])
                .map(|(x, y)| x * y)
                .sum();
            b[row] = (b[row] - tail) / a[row][row];
        }
    }
    rhs
}

/// The Cholesky factor of a structured Σ = T + U Uᵀ, held as O(n·k)
/// generators: `L_ii = sqrt(s_i)`, and for i > j
/// `L_ij = u_iᵀ g_j + [i = j + 1]·β_j`.
///
/// Built by the innovations recursion described in the module
/// documentation in O(n·k²) time. Exact: it equals the dense [`cholesky`]
/// of [`MufCovariance::to_packed`] up to rounding.
#[derive(Clone, Debug, PartialEq)]
pub struct StructuredCholesky {
    periods: usize,
    rank: usize,
    /// U (n×k, row-major), copied from the covariance.
    factors: Vec<f64>,
    /// L_ii = sqrt(var(itmuf_i)).
    diagonal: Vec<f64>,
    /// g_j = cov(S̃, sitmuf_j), n×k row-major.
    gains: Vec<f64>,
    /// β_j = −q_{j+1}/L_jj: the extra term of L_{j+1, j}.
    band: Vec<f64>,
}

impl StructuredCholesky {
    /// Factorises Σ from its structure in O(n·k²).
    ///
    /// The recursion carries the mean-free covariance P of the state
    /// θ = (S̃_1..S̃_k, ρ_b) given balances before b, where S̃ are the
    /// systematic errors in units of δ_S (variance 1) and ρ_b is the random
    /// error of the total inventory measured at t_b (variance q_b). Balance b
    /// is `muf_b = u_bᵀ S̃ + e_b + ρ_b − ρ_{b+1}`, with flow random error e_b
    /// (variance d_b) and the fresh ρ_{b+1} (variance q_{b+1}).
    ///
    /// Errors with [`AccountancyError::NotPositiveDefinite`] at the first
    /// balance whose conditional variance fails the same test as [`cholesky`].
    pub fn new(covariance: &MufCovariance) -> Result<Self, AccountancyError> {
        let n = covariance.periods();
        let k = covariance.systematic_rank();
        let m = k + 1;
        let d = covariance.flow_random_variance();
        let q = covariance.inventory_random_variance();

        // P, m×m row-major; indices 0..k are S̃, index k is ρ_b.
        let mut p = vec![0.0; m * m];
        for l in 0..k {
            p[l * m + l] = 1.0;
        }
        p[k * m + k] = q[0];

        let mut diagonal = Vec::with_capacity(n);
        let mut gains = Vec::with_capacity(n * k);
        let mut band = Vec::with_capacity(n);
        let mut a = vec![0.0; m];
        let mut v = vec![0.0; m];
        for b in 0..n {
            let u = covariance.factor_row(b);
            a[..k].copy_from_slice(u);
            a[k] = 1.0;
            // v = P a.
            for (r, vr) in v.iter_mut().enumerate() {
                *vr = dot(&p[r * m..(r + 1) * m], &a);
            }
            let q_next = q[b + 1];
            let conditional_variance = dot(&a, &v) + q_next + d[b];
            let variance = covariance.get(b, b);
            let root = check_pivot(b, conditional_variance, variance)?;
            diagonal.push(root);
            gains.extend(v[..k].iter().map(|x| x / root));
            band.push(-q_next / root);

            // Condition on muf_b, then drop ρ_b and carry ρ_{b+1}.
            let inv = 1.0 / conditional_variance;
            for r in 0..k {
                for c in 0..k {
                    p[r * m + c] -= v[r] * v[c] * inv;
                }
                let cross = v[r] * q_next * inv;
                p[r * m + k] = cross;
                p[k * m + r] = cross;
            }
            p[k * m + k] = q_next - q_next * q_next * inv;
        }

        let mut factors = Vec::with_capacity(n * k);
        for b in 0..n {
            factors.extend_from_slice(covariance.factor_row(b));
        }
        Ok(Self {
            periods: n,
            rank: k,
            factors,
            diagonal,
            gains,
            band,
        })
    }

    /// n.
    pub fn periods(&self) -> usize {
        self.periods
    }

    /// var(itmuf_i) = L_ii², the conditional variance of each balance given
    /// the earlier ones (kg²).
    pub fn conditional_variance(&self) -> Vec<f64> {
        self.diagonal.iter().map(|x| x * x).collect()
    }

    /// L_ij (0-based; zero above the diagonal). O(k).
    pub fn element(&self, i: usize, j: usize) -> f64 {
        if j > i {
            return 0.0;
        }
        if i == j {
            return self.diagonal[i];
        }
        let k = self.rank;
        let low_rank = dot(
            &self.factors[i * k..(i + 1) * k],
            &self.gains[j * k..(j + 1) * k],
        );
        if i == j + 1 {
            low_rank + self.band[j]
        } else {
            low_rank
        }
    }

    /// The whole factor in packed storage, O(n²·k) time.
    pub fn to_packed(&self) -> PackedLower {
        let n = self.periods;
        let mut packed = Vec::with_capacity(n * (n + 1) / 2);
        for i in 0..n {
            for j in 0..=i {
                packed.push(self.element(i, j));
            }
        }
        PackedLower::from_packed(n, packed).expect("packed length n(n+1)/2")
    }

    /// SITMUF = L⁻¹·muf by forward substitution through the generators,
    /// O(n·k): `sitmuf_i = (muf_i − u_iᵀ Σ_{j<i} g_j sitmuf_j
    /// − β_{i−1} sitmuf_{i−1}) / L_ii`.
    ///
    /// # Panics
    /// If `muf.len()` differs from n (a caller bug).
    pub fn whiten(&self, muf: &[f64]) -> Vec<f64> {
        assert_eq!(muf.len(), self.periods, "muf length");
        let k = self.rank;
        let mut accumulated = vec![0.0; k];
        let mut out: Vec<f64> = Vec::with_capacity(self.periods);
        for (i, &m) in muf.iter().enumerate() {
            let mut residual = m - dot(&self.factors[i * k..(i + 1) * k], &accumulated);
            if i > 0 {
                residual -= self.band[i - 1] * out[i - 1];
            }
            let value = residual / self.diagonal[i];
            for (acc, g) in accumulated.iter_mut().zip(&self.gains[i * k..(i + 1) * k]) {
                *acc += g * value;
            }
            out.push(value);
        }
        out
    }
}

/// Page's test statistic (MAPIT `PageTheory.md` \[V]):
/// `P_0 = 0`, `P_i = max(P_{i−1} + y_i − k, 0)`. The first step subtracts k
/// (MAPIT's code does not; accountancy.md §9 item 3).
pub fn page(y: &[f64], k: f64) -> Vec<f64> {
    let mut previous = 0.0_f64;
    y.iter()
        .map(|&value| {
            previous = (previous + value - k).max(0.0);
            previous
        })
        .collect()
}

/// The 0-based index of the first balance with `P_i > h` (Page's alarm
/// rule, MAPIT `PageTheory.md` \[V]), if any.
pub fn page_first_alarm(page_statistic: &[f64], h: f64) -> Option<usize> {
    page_statistic.iter().position(|&p| p > h)
}

/// GEMUF-V1 `Z_i = muf_{1..i}ᵀ Σ_{1..i}⁻¹ muf_{1..i}` (MAPIT `GemufTheory.md`,
/// after Seifert 1986 \[V]) through the identity `Z_i = Σ_{t≤i} sitmuf_t²`
/// \[C]. Under H₀ with the model right, Z_i ~ χ²_i.
pub fn gemuf_v1(sitmuf: &[f64]) -> Vec<f64> {
    let mut total = 0.0;
    sitmuf
        .iter()
        .map(|s| {
            total += s * s;
            total
        })
        .collect()
}

/// The per-balance single-look thresholds χ²_{i, 1−α}, i = 1..=n, for
/// GEMUF-V1 (MAPIT `GemufTheory.md` \[V] for Z_i ~ χ²_i; values \[C]). A
/// sequence-wide false-alarm probability needs simulation, as for Page.
pub fn gemuf_thresholds(balances: usize, alpha: f64) -> Result<Vec<f64>, AccountancyError> {
    check_probability("alpha", alpha)?;
    Ok((1..=balances)
        .map(|i| normal::chi_squared_critical_value(i, alpha))
        .collect())
}
