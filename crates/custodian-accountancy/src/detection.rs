//! Detection probability, detectable loss and the σ_max goal, with the
//! significant quantities as data (accountancy.md §6).
//!
//! One-sided test on a normal statistic T with standard deviation σ: alarm
//! if `T > z_{1−α}·σ`. Against a loss M \[C, standard]:
//!
//! ```text
//! PD(M)                    = Φ(M/σ − z_{1−α})
//! detectable loss at (α,β) : M = (z_{1−α} + z_{1−β})·σ
//! σ_max for a goal SQ      : σ ≤ SQ / (z_{1−α} + z_{1−β})
//! ```
//!
//! With α = β = 0.05 the divisor is 2·1.6448536 = 3.2897073. The IAEA rule of
//! thumb "σMUF ≤ SQ/3.3" \[U as an IAEA citation] is that divisor rounded; it
//! is offered only as a label ([`SIGMA_MAX_RULE_OF_THUMB_LABEL`]), never used
//! to compute.

use serde::Serialize;

use crate::error::{check_probability, AccountancyError};
use crate::normal;

/// The label of the IAEA rule of thumb σMUF ≤ SQ/3.3 \[U]. Computations use
/// the exact divisor [`sigma_max_divisor`] (3.2897073 at α = β = 0.05).
pub const SIGMA_MAX_RULE_OF_THUMB_LABEL: &str = "SQ/3.3";

fn check_sigma(sigma: f64) -> Result<f64, AccountancyError> {
    if sigma.is_finite() && sigma > 0.0 {
        Ok(sigma)
    } else {
        Err(AccountancyError::InvalidNumber {
            field: "sigma".to_owned(),
            expected: "a finite, positive standard deviation",
            found: sigma,
        })
    }
}

/// PD(M) = Φ(M/σ − z_{1−α}) for a one-sided test at false-alarm
/// probability α against a loss M (same unit as σ) \[C].
pub fn detection_probability(loss: f64, sigma: f64, alpha: f64) -> Result<f64, AccountancyError> {
    check_probability("alpha", alpha)?;
    check_sigma(sigma)?;
    if !loss.is_finite() {
        return Err(AccountancyError::InvalidNumber {
            field: "loss".to_owned(),
            expected: "a finite loss",
            found: loss,
        });
    }
    Ok(normal::cdf(
        loss / sigma - normal::upper_critical_value(alpha),
    ))
}

/// PD as a function of M/σ alone: Φ(M/σ − z_{1−α}) \[C].
pub fn detection_probability_ratio(
    loss_over_sigma: f64,
    alpha: f64,
) -> Result<f64, AccountancyError> {
    detection_probability(loss_over_sigma, 1.0, alpha)
}

/// The divisor z_{1−α} + z_{1−β} of the σ_max goal \[C]; 3.2897073 at
/// α = β = 0.05.
pub fn sigma_max_divisor(alpha: f64, beta: f64) -> Result<f64, AccountancyError> {
    check_probability("alpha", alpha)?;
    check_probability("beta", beta)?;
    Ok(normal::upper_critical_value(alpha) + normal::upper_critical_value(beta))
}

/// The loss detected with probability 1 − β at false-alarm probability α:
/// M = (z_{1−α} + z_{1−β})·σ \[C].
pub fn detectable_loss(sigma: f64, alpha: f64, beta: f64) -> Result<f64, AccountancyError> {
    check_sigma(sigma)?;
    Ok(sigma_max_divisor(alpha, beta)? * sigma)
}

/// σ_max = SQ/(z_{1−α} + z_{1−β}): the largest σ for which a loss of one
/// significant quantity is detected with probability ≥ 1 − β at false-alarm
/// probability α \[C].
pub fn sigma_max(
    significant_quantity: f64,
    alpha: f64,
    beta: f64,
) -> Result<f64, AccountancyError> {
    if !(significant_quantity.is_finite() && significant_quantity > 0.0) {
        return Err(AccountancyError::InvalidNumber {
            field: "significant_quantity".to_owned(),
            expected: "a finite, positive quantity",
            found: significant_quantity,
        });
    }
    Ok(significant_quantity / sigma_max_divisor(alpha, beta)?)
}

/// A material category of the significant-quantity table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Material {
    /// Plutonium with less than 80 % Pu-238.
    Plutonium,
    /// Uranium-233.
    Uranium233,
    /// High enriched uranium (≥ 20 % U-235).
    HighEnrichedUranium,
    /// Low enriched uranium (< 20 % U-235), goal counted in U-235.
    LowEnrichedUranium,
    /// Natural uranium, goal counted in element.
    NaturalUranium,
    /// Depleted uranium, goal counted in element.
    DepletedUranium,
    /// Thorium.
    Thorium,
}

/// One row of the significant-quantity table.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SignificantQuantity {
    /// The material category.
    pub material: Material,
    /// The category as the glossary words it.
    pub description: &'static str,
    /// The significant quantity in kg.
    pub quantity_kg: f64,
    /// What the quantity counts: element or isotope.
    pub counted_as: &'static str,
}

/// Significant quantities (NSSPI glossary, mirroring the IAEA Safeguards
/// Glossary \[V]; accountancy.md §6). Timeliness goals are deliberately absent
/// (accountancy.md §6: \[U], keep them configurable).
pub const SIGNIFICANT_QUANTITIES: [SignificantQuantity; 7] = [
    SignificantQuantity {
        material: Material::Plutonium,
        description: "Pu (< 80 % Pu-238)",
        quantity_kg: 8.0,
        counted_as: "kg Pu",
    },
    SignificantQuantity {
        material: Material::Uranium233,
        description: "U-233",
        quantity_kg: 8.0,
        counted_as: "kg U-233",
    },
    SignificantQuantity {
        material: Material::HighEnrichedUranium,
        description: "HEU (≥ 20 % U-235)",
        quantity_kg: 25.0,
        counted_as: "kg U-235",
    },
    SignificantQuantity {
        material: Material::LowEnrichedUranium,
        description: "LEU (< 20 % U-235)",
        quantity_kg: 75.0,
        counted_as: "kg U-235",
    },
    SignificantQuantity {
        material: Material::NaturalUranium,
        description: "natural U",
        quantity_kg: 10_000.0,
        counted_as: "kg U",
    },
    SignificantQuantity {
        material: Material::DepletedUranium,
        description: "depleted U",
        quantity_kg: 20_000.0,
        counted_as: "kg U",
    },
    SignificantQuantity {
        material: Material::Thorium,
        description: "Th",
        quantity_kg: 20_000.0,
        counted_as: "kg Th",
    },
];

/// The significant quantity of a material.
pub fn significant_quantity(material: Material) -> SignificantQuantity {
    // The table has one row per variant.
    *SIGNIFICANT_QUANTITIES
        .iter()
        .find(|row| row.material == material)
        .expect("one table row per material")
}
