//! Shipper/receiver differences (accountancy.md §5).
//!
//! `D = S − R` (CNSC Table D3, per the research report \[V]): a positive D
//! means the receiver found less than was shipped. 10 CFR 75.21(b)(3)
//! requires procedures for "identifying, reviewing and evaluating
//! differences in shipper/receiver measurements" \[V]. The variance below is
//! \[U] as a citation and \[C] as arithmetic: it follows from the measurement
//! model of accountancy.md §2 with one calibration per party over the K
//! shipments evaluated together (Jaech, JNMM 4(1):36, treats the paired
//! model; Scott, LANL, gives several methods \[V, abstracts]).

use serde::{Deserialize, Serialize};

use crate::error::{check_amount, check_probability, check_rsd, AccountancyError};
use crate::normal;

/// One party's measurements of K shipments, with one measurement system
/// (one calibration) for all of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyMeasurements {
    /// Measured amount of each shipment, ≥ 0, in the unit of the evaluation.
    pub values: Vec<f64>,
    /// Relative random standard deviation δ_R in [0, 1].
    pub rsd_random: f64,
    /// Relative systematic standard deviation δ_S in [0, 1].
    pub rsd_systematic: f64,
}

/// The evaluated difference of K shipments.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ShipperReceiverDifference {
    /// Number of shipments K.
    pub shipments: usize,
    /// D_tot = Σ_k S_k − Σ_k R_k.
    pub difference: f64,
    /// σ_D = sqrt(Σ S_k² δ_R,S² + (Σ S_k)² δ_S,S² + Σ R_k² δ_R,R² + (Σ R_k)² δ_S,R²).
    pub sigma: f64,
    /// z = D_tot/σ_D.
    pub z: f64,
    /// One-sided p-value 1 − Φ(z) (receiver short).
    pub p_one_sided: f64,
    /// Two-sided p-value 2·(1 − Φ(|z|)).
    pub p_two_sided: f64,
}

impl ShipperReceiverDifference {
    /// One-sided alarm (receiver short): z > z_{1−α}.
    pub fn alarm_one_sided(&self, alpha: f64) -> Result<bool, AccountancyError> {
        check_probability("alpha", alpha)?;
        Ok(self.z > normal::upper_critical_value(alpha))
    }

    /// Two-sided alarm (any disagreement): |z| > z_{1−α/2}.
    pub fn alarm_two_sided(&self, alpha: f64) -> Result<bool, AccountancyError> {
        check_probability("alpha", alpha)?;
        Ok(self.z.abs() > normal::upper_critical_value(alpha / 2.0))
    }
}

/// Evaluates the shipper/receiver difference of K ≥ 1 shipments, each
/// measured once by the shipper and once by the receiver, with one
/// calibration per party for the whole evaluation period:
///
/// ```text
/// D_tot = Σ_k S_k − Σ_k R_k
/// σ²_D  = Σ_k S_k² δ_R,S² + (Σ_k S_k)² δ_S,S² + Σ_k R_k² δ_R,R² + (Σ_k R_k)² δ_S,R²
/// z     = D_tot / σ_D
/// ```
///
/// (accountancy.md §5 \[U/C]). With K = 1 this is
/// `σ²_D = S²(δ_R,S² + δ_S,S²) + R²(δ_R,R² + δ_S,R²)`.
///
/// Errors name the field (`shipper.values[2]`, `receiver.rsd_random`);
/// unequal numbers of shipments, no shipments, or σ_D = 0 are errors.
pub fn shipper_receiver_difference(
    shipper: &PartyMeasurements,
    receiver: &PartyMeasurements,
) -> Result<ShipperReceiverDifference, AccountancyError> {
    let shipments = shipper.values.len();
    if shipments == 0 {
        return Err(AccountancyError::Invalid {
            field: "shipper.values".to_owned(),
            expected: "at least one shipment, found none".to_owned(),
        });
    }
    if receiver.values.len() != shipments {
        return Err(AccountancyError::WrongLength {
            field: "receiver.values".to_owned(),
            expected: shipments,
            found: receiver.values.len(),
            reason: "one per shipment, as shipper.values".to_owned(),
        });
    }
    for (party, data) in [("shipper", shipper), ("receiver", receiver)] {
        for (k, &value) in data.values.iter().enumerate() {
            check_amount(&format!("{party}.values[{k}]"), value)?;
        }
        check_rsd(&format!("{party}.rsd_random"), data.rsd_random)?;
        check_rsd(&format!("{party}.rsd_systematic"), data.rsd_systematic)?;
    }
    let party_variance = |data: &PartyMeasurements| {
        let total: f64 = data.values.iter().sum();
        let random: f64 = data.values.iter().map(|x| x * x).sum::<f64>() * data.rsd_random.powi(2);
        random + total * total * data.rsd_systematic.powi(2)
    };
    let variance = party_variance(shipper) + party_variance(receiver);
    if variance <= 0.0 || variance.is_nan() {
        return Err(AccountancyError::Invalid {
            field: "shipper, receiver".to_owned(),
            expected:
                "a non-zero measurement uncertainty (σ_D = 0: every RSD or every value is zero)"
                    .to_owned(),
        });
    }
    let difference = shipper.values.iter().sum::<f64>() - receiver.values.iter().sum::<f64>();
    let sigma = variance.sqrt();
    let z = difference / sigma;
    Ok(ShipperReceiverDifference {
        shipments,
        difference,
        sigma,
        z,
        p_one_sided: normal::upper_tail(z),
        p_two_sided: (2.0 * normal::upper_tail(z.abs())).min(1.0),
    })
}
