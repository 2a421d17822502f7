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

/// The plant's material balance area when its year is recorded in the ledger.
pub const LEDGER_MBA: &str = "XFF1";
/// Its facility id.
pub const LEDGER_FACILITY: &str = "xff-fuel-fab-1";
/// The year recorded: the beginning taking on 31 Dec of the year before,
/// then one taking at the end of each month.
pub const LEDGER_YEAR: i32 = 2025;
/// The U-235 share of the plant's LEU (the 4 % of [`SQ_KG_U`]).
pub const ENRICHMENT: f64 = 0.04;

/// How each stream of [`truth`] is recorded: (stream name, KMP, code,
/// counterpart). Inventories have no code.
const LEDGER_STREAMS: [StreamRecord; 9] = [
    ("UF6 cylinders received", "1", "RD", Some("EXT:XCV1")),
    ("scrap returned from recovery", "2", "RD", Some("EXT:XRC1")),
    ("fuel assemblies shipped", "3", "SD", Some("EXT:XNP1")),
    ("measured discards", "4", "TE", None),
    ("scrap sent to recovery", "5", "SD", Some("EXT:XRC1")),
    ("UF6 storage", "A", "", None),
    ("powder and pellets in process", "B", "", None),
    ("rods and assemblies in store", "C", "", None),
    ("scrap in store", "D", "", None),
];

type StreamRecord = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

/// How a stream of [`truth`] is recorded (every stream has a row).
fn how(name: &str) -> StreamRecord {
    LEDGER_STREAMS
        .iter()
        .find(|s| s.0 == name)
        .copied()
        .unwrap_or(("", "&", "", None))
}

fn grams_of_kg(kg: f64) -> f64 {
    (kg * 1_000_000.0).round() / 1000.0
}

fn month_end(month: u32) -> String {
    // Month 0 is the December before the year.
    if month == 0 {
        return format!("{}-12-31", LEDGER_YEAR - 1);
    }
    let days = match month {
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    format!("{LEDGER_YEAR}-{month:02}-{days:02}")
}

/// One year of the plant as the operator records it in the ledger: the
/// values of [`measured`] (`diversion`, `seed`) as events, one submission
/// (a list of unsigned `{time, kind, payload}` events, the input-file form)
/// per month after a first one that registers the facility, its MBA
/// [`LEDGER_MBA`] and KMPs, the beginning taking and one
/// `material.measurement` per KMP carrying the stream's relative standard
/// deviations. Flows are dated the 15th; each month closes with a physical
/// inventory taking of the four inventory KMPs. Grams are the kilograms of
/// [`measured`] rounded to the milligram, U-235 at [`ENRICHMENT`].
/// `ledger_balances::balance_sequence` on these events gives back the
/// streams of [`measured`] (to the milligram): tested.
pub fn ledger_events(diversion: &Diversion, seed: u64) -> Vec<Vec<serde_json::Value>> {
    use serde_json::json;
    let input = measured(diversion, seed, f64::NAN);
    let streams: Vec<(&str, &[f64], f64, f64)> = input
        .inputs
        .iter()
        .chain(&input.outputs)
        .map(|f| {
            (
                f.name.as_str(),
                f.amounts.as_slice(),
                f.rsd_random,
                f.rsd_systematic,
            )
        })
        .chain(input.inventories.iter().map(|i| {
            (
                i.name.as_str(),
                i.values.as_slice(),
                i.rsd_random,
                i.rsd_systematic,
            )
        }))
        .collect();
    let kmps: Vec<serde_json::Value> = LEDGER_STREAMS
        .iter()
        .map(|(name, kmp, code, _)| {
            json!({"kmp": kmp, "kind": if code.is_empty() { "inventory" } else { "flow" }, "description": name})
        })
        .collect();
    let line = |grams: f64| json!({"element_grams": grams, "isotope_grams": grams_of_kg(grams / 1000.0 * ENRICHMENT)});
    let merge = |mut base: serde_json::Value, extra: serde_json::Value| {
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        base
    };
    let taking = |month: u32, events: &mut Vec<serde_json::Value>| {
        let date = month_end(month);
        let mut lines = 0;
        for (name, values, _, _) in streams.iter().filter(|s| how(s.0).2.is_empty()) {
            let (_, kmp, _, _) = how(name);
            let grams = grams_of_kg(values[month as usize]);
            events.push(json!({
                "time": format!("{date}T18:00:00Z"),
                "kind": "material.physical_inventory",
                "payload": merge(json!({
                    "mba": LEDGER_MBA, "batch": format!("{kmp}-{date}"), "element": "U",
                    "material_category": "leu", "pit_date": date, "kmp": kmp, "measurement_basis": "M"
                }), line(grams)),
            }));
            lines += 1;
        }
        events.push(json!({
            "time": format!("{date}T20:00:00Z"),
            "kind": "material.inventory_taking",
            "payload": {"mba": LEDGER_MBA, "pit_date": date, "line_count": lines},
        }));
    };
    let start = format!("{}T08:00:00Z", month_end(0));
    let mut first = vec![
        json!({"time": start, "kind": "facility.register", "payload": {
            "facility": LEDGER_FACILITY, "name": "LEU fuel fabrication plant (illustrative)",
            "state": "XFF", "facility_type": "fuel_fabrication"}}),
        json!({"time": start, "kind": "mba.register", "payload": {
            "mba": LEDGER_MBA, "facility": LEDGER_FACILITY, "name": "UF6 to fuel assemblies", "kmps": kmps}}),
    ];
    for (name, values, rsd_random, rsd_systematic) in &streams {
        let (_, kmp, code, _) = how(name);
        let batch = if code.is_empty() {
            format!("{kmp}-{}", month_end(0))
        } else {
            format!("{kmp}-{LEDGER_YEAR}-01")
        };
        let grams = grams_of_kg(values[0]);
        first.push(
            json!({"time": start, "kind": "material.measurement", "payload": {
            "mba": LEDGER_MBA, "kmp": kmp, "batch": batch, "element": "U",
            "element_grams": grams, "rsd_random": rsd_random, "rsd_systematic": rsd_systematic}}),
        );
    }
    taking(0, &mut first);
    let mut submissions = vec![first];
    for month in 1..=PERIODS as u32 {
        let mut events = Vec::new();
        for (name, values, _, _) in streams.iter().filter(|s| !how(s.0).2.is_empty()) {
            let (_, kmp, code, counterpart) = how(name);
            let grams = grams_of_kg(values[month as usize - 1]);
            let mut payload = merge(
                json!({"mba": LEDGER_MBA, "batch": format!("{kmp}-{LEDGER_YEAR}-{month:02}"),
                       "code": code, "element": "U", "material_category": "leu", "kmp": kmp,
                       "measurement_basis": "M"}),
                line(grams),
            );
            if let (Some(c), Some(p)) = (counterpart, payload.as_object_mut()) {
                p.insert("counterpart_mba".into(), c.into());
            }
            events.push(json!({
                "time": format!("{LEDGER_YEAR}-{month:02}-15T12:00:00Z"),
                "kind": "material.inventory_change",
                "payload": payload,
            }));
        }
        taking(month, &mut events);
        submissions.push(events);
    }
    submissions
}
