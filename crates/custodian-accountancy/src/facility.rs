//! A bundled bulk facility: an LEU fuel fabrication plant with a year of
//! monthly balances, measured with the multiplicative error model, with a
//! protracted and an abrupt diversion variant (issue 6, point 6).
//!
//! The plant is illustrative, in the spirit of the IAEA's bulk-facility
//! exercises: several inputs, inventories and outputs. **No figure here is
//! sourced**: throughputs and relative standard deviations are round numbers of
//! a plausible order, chosen so that σMUF is a few tenths of a percent of the
//! monthly throughput. The diversion goal is one significant quantity of LEU,
//! 75 kg U-235 (accountancy.md §6 \[V]), at an assumed 4 % enrichment: 1,875 kg U.
//!
//! A diversion takes material out of the process inventory: the true ending
//! inventory of each period is lower by everything diverted so far, so the
//! period's MUF rises by what was diverted in it (accountancy.md §1: a positive
//! MUF means material missing).

use crate::balance::{Flow, Inventory};
use crate::error::AccountancyError;
use crate::evaluate::{evaluate, EvaluateOptions, Evaluation, EvaluationInput, PageParameters};
use crate::rng::Xoshiro256PlusPlus;
use crate::thresholds::page_threshold;
use serde::Serialize;

/// Balances per year (monthly).
pub const PERIODS: usize = 12;

/// One significant quantity of LEU in kg U at 4 % U-235: 75 kg U-235 / 0.04.
pub const SQ_KG_U: f64 = 75.0 / 0.04;

/// Page's reference value (accountancy.md §4: k = 0.5 is conventional).
pub const PAGE_K: f64 = 0.5;

/// The false-alarm budget for a year of balances (accountancy.md §4, 5 % per year \[V]).
pub const FALSE_ALARM_PER_YEAR: f64 = 0.05;

/// What is diverted.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Diversion {
    /// Nothing.
    None,
    /// `total` kg spread evenly over every balance of the year.
    Protracted {
        /// Total over the year.
        total: f64,
    },
    /// `amount` kg in one balance (1-based).
    Abrupt {
        /// The balance.
        balance: usize,
        /// The amount.
        amount: f64,
    },
}

impl Diversion {
    /// The variants the scenario runs: none, one SQ over the year, one SQ in month 7.
    pub fn variants() -> [(&'static str, Diversion); 3] {
        [
            ("none", Diversion::None),
            ("protracted", Diversion::Protracted { total: SQ_KG_U }),
            (
                "abrupt",
                Diversion::Abrupt {
                    balance: 7,
                    amount: SQ_KG_U,
                },
            ),
        ]
    }

    /// The amount diverted in each period.
    pub fn per_period(&self) -> [f64; PERIODS] {
        let mut out = [0.0; PERIODS];
        match *self {
            Diversion::None => {}
            Diversion::Protracted { total } => out.fill(total / PERIODS as f64),
            Diversion::Abrupt { balance, amount } => {
                if (1..=PERIODS).contains(&balance) {
                    out[balance - 1] = amount;
                }
            }
        }
        out
    }
}

fn flow(name: &str, amounts: Vec<f64>, rsd_random: f64, rsd_systematic: f64) -> Flow {
    Flow {
        name: name.to_string(),
        amounts,
        rsd_random,
        rsd_systematic,
    }
}

fn inventory(name: &str, values: Vec<f64>, rsd_random: f64, rsd_systematic: f64) -> Inventory {
    Inventory {
        name: name.to_string(),
        values,
        rsd_random,
        rsd_systematic,
    }
}

/// The plant's true flows and inventories for a year without diversion (kg U).
/// Shipments of finished assemblies close each balance exactly.
pub fn truth() -> EvaluationInput {
    let receipts = [
        10_000.0, 12_000.0, 10_000.0, 11_000.0, 10_000.0, 12_000.0, 10_000.0, 11_000.0, 10_000.0,
        12_000.0, 10_000.0, 11_000.0,
    ];
    let scrap_in = [200.0; PERIODS];
    let discards = [60.0; PERIODS];
    let scrap_out = [150.0; PERIODS];
    let uf6 = [
        4_000.0, 4_200.0, 4_600.0, 4_300.0, 4_500.0, 4_100.0, 4_700.0, 4_400.0, 4_600.0, 4_200.0,
        4_800.0, 4_300.0, 4_500.0,
    ];
    let process = [
        2_500.0, 2_600.0, 2_450.0, 2_700.0, 2_550.0, 2_650.0, 2_500.0, 2_600.0, 2_700.0, 2_550.0,
        2_600.0, 2_500.0, 2_650.0,
    ];
    let rods = [
        3_000.0, 3_200.0, 3_100.0, 2_900.0, 3_300.0, 3_000.0, 3_400.0, 3_100.0, 3_000.0, 3_200.0,
        2_900.0, 3_300.0, 3_100.0,
    ];
    let scrap = [
        400.0, 420.0, 410.0, 430.0, 400.0, 440.0, 420.0, 410.0, 430.0, 450.0, 420.0, 440.0, 430.0,
    ];
    let assemblies: Vec<f64> = (0..PERIODS)
        .map(|t| {
            let delta = (uf6[t + 1] - uf6[t])
                + (process[t + 1] - process[t])
                + (rods[t + 1] - rods[t])
                + (scrap[t + 1] - scrap[t]);
            receipts[t] + scrap_in[t] - discards[t] - scrap_out[t] - delta
        })
        .collect();
    EvaluationInput {
        unit: "kg U".into(),
        inputs: vec![
            flow("UF6 cylinders received", receipts.to_vec(), 0.002, 0.001),
            flow(
                "scrap returned from recovery",
                scrap_in.to_vec(),
                0.01,
                0.005,
            ),
        ],
        outputs: vec![
            flow("fuel assemblies shipped", assemblies, 0.003, 0.0015),
            flow("measured discards", discards.to_vec(), 0.15, 0.10),
            flow("scrap sent to recovery", scrap_out.to_vec(), 0.05, 0.02),
        ],
        inventories: vec![
            inventory("UF6 storage", uf6.to_vec(), 0.002, 0.001),
            inventory(
                "powder and pellets in process",
                process.to_vec(),
                0.01,
                0.005,
            ),
            inventory("rods and assemblies in store", rods.to_vec(), 0.003, 0.0015),
            inventory("scrap in store", scrap.to_vec(), 0.05, 0.02),
        ],
        page: PageParameters {
            k: PAGE_K,
            h: f64::NAN,
        },
        alpha: FALSE_ALARM_PER_YEAR,
    }
}

/// The Page threshold for a year of monthly balances at 5 % per year: the exact
/// value of [`page_threshold`] (3.374521 for 12 balances, accountancy.md §8).
pub fn yearly_threshold() -> Result<f64, AccountancyError> {
    page_threshold(PERIODS, PAGE_K, FALSE_ALARM_PER_YEAR)
}

/// One year as the operator measures it: each true value `x` reported as
/// `x(1 + r + s)` (r per value, s per stream for the year; accountancy.md §2),
/// with `diversion` taken from the process inventory. Deterministic in `seed`.
pub fn measured(diversion: &Diversion, seed: u64, h: f64) -> EvaluationInput {
    let mut input = truth();
    input.page.h = h;
    let mut taken = 0.0;
    let per_period = diversion.per_period();
    for (t, value) in input.inventories[1].values.iter_mut().enumerate().skip(1) {
        taken += per_period[t - 1];
        *value -= taken;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut measure = |values: &mut Vec<f64>, rsd_r: f64, rsd_s: f64| {
        let s = rsd_s * rng.next_standard_normal();
        for v in values.iter_mut() {
            *v *= 1.0 + rsd_r * rng.next_standard_normal() + s;
            *v = v.max(0.0);
        }
    };
    for f in input.inputs.iter_mut().chain(input.outputs.iter_mut()) {
        measure(&mut f.amounts, f.rsd_random, f.rsd_systematic);
    }
    for i in &mut input.inventories {
        measure(&mut i.values, i.rsd_random, i.rsd_systematic);
    }
    input
}

/// One year evaluated as an inspector would: Σ at the measured values.
pub fn year(diversion: &Diversion, seed: u64) -> Result<Evaluation, AccountancyError> {
    let h = yearly_threshold()?;
    evaluate(&measured(diversion, seed, h), &EvaluateOptions::default())
}

/// How often Page's test alarms over `runs` simulated years, with its binomial
/// standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AlarmRate {
    /// Years simulated.
    pub runs: usize,
    /// Years with an alarm.
    pub alarms: usize,
    /// alarms / runs.
    pub rate: f64,
    /// sqrt(rate (1 − rate) / runs).
    pub standard_error: f64,
}

/// The Page alarm rate of `diversion` over `runs` years, seeds `seed..seed+runs`.
pub fn alarm_rate(
    diversion: &Diversion,
    runs: usize,
    seed: u64,
) -> Result<AlarmRate, AccountancyError> {
    let h = yearly_threshold()?;
    let options = EvaluateOptions::default();
    let mut alarms = 0;
    for r in 0..runs {
        let e = evaluate(
            &measured(diversion, seed.wrapping_add(r as u64), h),
            &options,
        )?;
        alarms += usize::from(e.page_alarm);
    }
    let rate = alarms as f64 / runs.max(1) as f64;
    Ok(AlarmRate {
        runs,
        alarms,
        rate,
        standard_error: (rate * (1.0 - rate) / runs.max(1) as f64).sqrt(),
    })
}
