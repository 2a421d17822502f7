//! A balance sequence from the ledger's material accounts (issue 6, point 4):
//! the balance periods between an MBA's closed physical inventory takings,
//! their flows and inventories by key measurement point, and the statistics
//! of [`crate::evaluate`] on them, alarms turned into findings with their
//! evidence.
//!
//! - **Periods.** Closed takings p₀ < p₁ < … < pₙ give n balances; balance i
//!   runs from the day after pᵢ₋₁ to pᵢ, both included (the periods of
//!   [`crate::reports::material_balance_report`]). Open takings are ignored.
//! - **Flows.** Inventory change lines in effect ([`ChangeLine::in_effect`])
//!   whose code belongs in a balance report, grouped into streams by
//!   (direction, code, KMP): codes that increase the book are inputs, codes
//!   that decrease it outputs; a signed code goes by its line's direction and
//!   a category change by the sign of its net change. A line counts in the
//!   period holding its balance date, with its book changes summed over the
//!   categories (so `MUF_i` is the sum over categories of the MBR's
//!   `BA − PE`). A stream that is zero in every period is left out.
//! - **Inventories.** The listing lines of each closed taking, grouped by
//!   KMP: one stream per inventory KMP, its value at each taking (zero where
//!   the KMP holds nothing).
//! - **Uncertainties.** A stream's `rsd_random` and `rsd_systematic` are the
//!   means of those of the `material.measurement` events recorded at its KMP
//!   in the MBA. A stream with no recorded measurement is an error naming it:
//!   uncertainties are never guessed.
//! - **Amounts** are exact [`Grams`] summed, then reported in kilograms
//!   (`kg U`, `kg Pu`, `kg Th` or `kg U-235`).
//!
//! Page's test runs with k = [`PAGE_K`] and h the exact threshold
//! ([`thresholds::page_threshold`]) for the n balances at the sequence-wide
//! false-alarm probability α; the same α is the single-look α of the
//! GEMUF-V1 thresholds.

use crate::accounts::{Accounts, ChangeLine, EventRef, Grams, Quantity};
use crate::error::AccountancyError;
use crate::evaluate::{self, EvaluateOptions, Evaluation, EvaluationInput, PageParameters};
use crate::reports::Period;
use crate::thresholds;
use crate::{Flow, Inventory};
use custodian_core::event::{ChangeCode, ChangeEffect, Direction, Element, KmpCode, MbaCode};
use custodian_core::Date;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Page's reference value k used on ledger sequences (conventional).
pub const PAGE_K: f64 = 0.5;

/// The most events listed as the evidence of one balance.
pub const EVIDENCE_EVENTS_MAX: usize = 50;

/// Which amount of the lines is balanced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceQuantity {
    /// Element weight (the MBA's lines must all be of one element).
    Element,
    /// U-235 weight.
    U235,
}

/// Why no balance sequence could be built.
#[derive(Debug, thiserror::Error)]
pub enum LedgerBalancesError {
    /// The MBA is not registered.
    #[error("MBA {0}: not registered by an mba.register event")]
    UnknownMba(MbaCode),
    /// Fewer than two closed takings: no balance period.
    #[error("MBA {mba}: expected at least 2 closed physical inventory takings to form a balance period, found {closed}")]
    TooFewTakings {
        /// The MBA.
        mba: MbaCode,
        /// Closed takings found.
        closed: usize,
    },
    /// Element weights of different elements cannot be summed.
    #[error("MBA {mba}: its lines hold {elements}; an element balance needs one element (use --quantity u235 for U-235)")]
    MixedElements {
        /// The MBA.
        mba: MbaCode,
        /// The elements found, comma-separated.
        elements: String,
    },
    /// A line without a KMP cannot be given a measurement uncertainty.
    #[error("MBA {mba}: {what} {event} names no KMP; every line of a balance sequence needs one to find its measurement uncertainty")]
    NoKmp {
        /// The MBA.
        mba: MbaCode,
        /// The event of the line.
        event: String,
        /// "inventory change line" or "physical inventory line".
        what: &'static str,
    },
    /// No measurement recorded at a stream's KMP.
    #[error("no measurement uncertainty recorded for KMP {kmp} of MBA {mba} (stream {stream:?}): record material.measurement events")]
    NoMeasurement {
        /// The MBA.
        mba: MbaCode,
        /// The KMP.
        kmp: KmpCode,
        /// The stream's name.
        stream: String,
    },
    /// The statistics refused the sequence.
    #[error("{0}")]
    Statistics(#[from] AccountancyError),
}

/// One balance of the sequence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BalancePeriod {
    /// 1-based.
    pub index: usize,
    /// The day after the beginning taking, and the ending taking.
    pub period: Period,
    /// The lines of the balance (change lines in effect with their balance
    /// date in the period, then the ending taking's listing and the event
    /// that closed it), at most [`EVIDENCE_EVENTS_MAX`].
    pub events: Vec<EventRef>,
    /// How many events there were before the cap.
    pub events_total: usize,
}

/// A balance sequence read from the accounts: the streams of an
/// [`EvaluationInput`] (without Page's parameters) and the periods.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LedgerBalances {
    /// The MBA.
    pub mba: MbaCode,
    /// "kg U", "kg U-235", ...
    pub unit: String,
    /// Input streams.
    pub inputs: Vec<Flow>,
    /// Output streams.
    pub outputs: Vec<Flow>,
    /// Inventory streams.
    pub inventories: Vec<Inventory>,
    /// The balances, in order.
    pub periods: Vec<BalancePeriod>,
}

impl LedgerBalances {
    /// The evaluation input with Page's parameters and the GEMUF α.
    pub fn input(&self, page: PageParameters, alpha: f64) -> EvaluationInput {
        EvaluationInput {
            unit: self.unit.clone(),
            inputs: self.inputs.clone(),
            outputs: self.outputs.clone(),
            inventories: self.inventories.clone(),
            page,
            alpha,
        }
    }
}

/// The kind of an alarm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Page's statistic on SITMUF exceeded h.
    PageAlarm,
    /// GEMUF-V1 exceeded its single-look χ² threshold.
    GemufAlarm,
}

/// An alarm, at the first balance where its test raised it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Which test.
    pub kind: FindingKind,
    /// The balance (1-based).
    pub balance: usize,
    /// Its period.
    pub period: Period,
    /// The test statistic there.
    pub statistic: f64,
    /// The threshold it exceeded.
    pub threshold: f64,
    /// The events of that balance.
    pub evidence: Vec<EventRef>,
}

/// A ledger sequence evaluated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LedgerEvaluation {
    /// The statistics.
    #[serde(flatten)]
    pub evaluation: Evaluation,
    /// The MBA.
    pub mba: MbaCode,
    /// Page's sequence-wide false-alarm probability.
    pub alpha: f64,
    /// The balances.
    #[serde(rename = "balance_periods")]
    pub periods: Vec<BalancePeriod>,
    /// The alarms.
    pub findings: Vec<Finding>,
}

fn pick(q: Quantity, quantity: BalanceQuantity) -> Grams {
    match quantity {
        BalanceQuantity::Element => q.element_grams,
        BalanceQuantity::U235 => q.u235_grams,
    }
}

fn kg(grams: Grams) -> f64 {
    grams.milligrams() as f64 / 1e6
}

/// The mean (random, systematic) RSD of the measurements at a KMP.
fn uncertainty(
    accounts: &Accounts,
    mba: &MbaCode,
    kmp: &KmpCode,
    stream: &str,
) -> Result<(f64, f64), LedgerBalancesError> {
    let (mut random, mut systematic, mut count) = (0.0, 0.0, 0usize);
    for m in accounts.measurements(mba).filter(|m| &m.kmp == kmp) {
        random += m.rsd_random;
        systematic += m.rsd_systematic;
        count += 1;
    }
    if count == 0 {
        return Err(LedgerBalancesError::NoMeasurement {
            mba: mba.clone(),
            kmp: kmp.clone(),
            stream: stream.to_owned(),
        });
    }
    Ok((random / count as f64, systematic / count as f64))
}

/// The balance (0-based) whose period holds `date`: p_{i} < date ≤ p_{i+1}.
fn balance_of(takings: &[Date], date: Date) -> Option<usize> {
    if date <= takings[0] || date > *takings.last()? {
        return None;
    }
    Some(takings.partition_point(|t| *t < date) - 1)
}

/// The balance sequence of `mba` from its closed takings (see the module
/// documentation for the rules).
pub fn balance_sequence(
    accounts: &Accounts,
    mba: &MbaCode,
    quantity: BalanceQuantity,
) -> Result<LedgerBalances, LedgerBalancesError> {
    balance_sequence_in(accounts, mba, quantity, Window::default())
}

/// Which closed takings bound the sequence: those dated within
/// `[from, to]` (either end open when absent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// The earliest taking used (the beginning of the first balance).
    pub from: Option<Date>,
    /// The latest taking used (the end of the last balance).
    pub to: Option<Date>,
}

/// [`balance_sequence`] between the closed takings inside `window`.
pub fn balance_sequence_in(
    accounts: &Accounts,
    mba: &MbaCode,
    quantity: BalanceQuantity,
    window: Window,
) -> Result<LedgerBalances, LedgerBalancesError> {
    if accounts.mba(mba).is_none() {
        return Err(LedgerBalancesError::UnknownMba(mba.clone()));
    }
    let takings: Vec<Date> = accounts
        .pits(mba)
        .filter(|p| p.closed_by.is_some())
        .filter(|p| window.from.is_none_or(|f| p.pit_date >= f))
        .filter(|p| window.to.is_none_or(|t| p.pit_date <= t))
        .map(|p| p.pit_date)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if takings.len() < 2 {
        return Err(LedgerBalancesError::TooFewTakings {
            mba: mba.clone(),
            closed: takings.len(),
        });
    }
    let n = takings.len() - 1;

    let changes: Vec<(usize, &ChangeLine)> = accounts
        .change_lines(mba)
        .filter(|l| l.in_effect() && l.code.allowed_in_balance_report())
        .filter_map(|l| balance_of(&takings, l.balance_date).map(|i| (i, l)))
        .collect();
    let listings: Vec<_> = takings
        .iter()
        .map(|d| accounts.inventory_listing(mba, *d))
        .collect();

    let elements: BTreeSet<String> = changes
        .iter()
        .map(|(_, l)| l.element)
        .chain(listings.iter().flatten().map(|l| l.element))
        .map(element_name)
        .collect();
    let unit = match quantity {
        BalanceQuantity::U235 => "kg U-235".to_owned(),
        BalanceQuantity::Element => {
            if elements.len() > 1 {
                return Err(LedgerBalancesError::MixedElements {
                    mba: mba.clone(),
                    elements: elements.into_iter().collect::<Vec<_>>().join(", "),
                });
            }
            format!("kg {}", elements.first().map_or("U", String::as_str))
        }
    };

    // Flows: (direction, code, KMP) -> amount per balance.
    let mut flows: BTreeMap<(Direction, ChangeCode, KmpCode), Vec<Grams>> = BTreeMap::new();
    for (i, line) in &changes {
        let net = line
            .book_changes()
            .into_iter()
            .fold(Grams::ZERO, |sum, (_, change)| sum + pick(change, quantity));
        if net == Grams::ZERO {
            continue;
        }
        let direction = match line.code.effect() {
            ChangeEffect::Increase => Direction::Increase,
            ChangeEffect::Decrease => Direction::Decrease,
            ChangeEffect::Signed => line.direction.unwrap_or(Direction::Increase),
            _ if net > Grams::ZERO => Direction::Increase,
            _ => Direction::Decrease,
        };
        let kmp = line.kmp.clone().ok_or_else(|| LedgerBalancesError::NoKmp {
            mba: mba.clone(),
            event: line.by.event.to_string(),
            what: "inventory change line",
        })?;
        let amounts = flows
            .entry((direction, line.code, kmp))
            .or_insert_with(|| vec![Grams::ZERO; n]);
        amounts[*i] += match direction {
            Direction::Increase => net,
            Direction::Decrease => -net,
        };
    }
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    for ((direction, code, kmp), amounts) in flows {
        let name = format!("{} at KMP {kmp}", code.as_str());
        let (rsd_random, rsd_systematic) = uncertainty(accounts, mba, &kmp, &name)?;
        let flow = Flow {
            name,
            amounts: amounts.into_iter().map(kg).collect(),
            rsd_random,
            rsd_systematic,
        };
        match direction {
            Direction::Increase => inputs.push(flow),
            Direction::Decrease => outputs.push(flow),
        }
    }

    // Inventories: KMP -> value at each taking.
    let mut stocks: BTreeMap<KmpCode, Vec<Grams>> = BTreeMap::new();
    for (j, listing) in listings.iter().enumerate() {
        for line in listing {
            let kmp = line.kmp.clone().ok_or_else(|| LedgerBalancesError::NoKmp {
                mba: mba.clone(),
                event: line.by.event.to_string(),
                what: "physical inventory line",
            })?;
            stocks
                .entry(kmp)
                .or_insert_with(|| vec![Grams::ZERO; n + 1])[j] +=
                pick(line.quantity.counted_in(line.category), quantity);
        }
    }
    let mut inventories = Vec::new();
    for (kmp, values) in stocks {
        if values.iter().all(|v| *v == Grams::ZERO) {
            continue;
        }
        let name = format!("KMP {kmp}");
        let (rsd_random, rsd_systematic) = uncertainty(accounts, mba, &kmp, &name)?;
        inventories.push(Inventory {
            name,
            values: values.into_iter().map(kg).collect(),
            rsd_random,
            rsd_systematic,
        });
    }

    let periods = (0..n)
        .map(|i| {
            let mut events: Vec<EventRef> = changes
                .iter()
                .filter(|(b, _)| *b == i)
                .map(|(_, l)| l.by.clone())
                .collect();
            events.extend(listings[i + 1].iter().map(|l| l.by.clone()));
            if let Some(closed) = accounts
                .pit(mba, takings[i + 1])
                .and_then(|p| p.closed_by.clone())
            {
                events.push(closed);
            }
            let events_total = events.len();
            events.truncate(EVIDENCE_EVENTS_MAX);
            BalancePeriod {
                index: i + 1,
                period: Period {
                    start: takings[i].plus_days(1),
                    end: takings[i + 1],
                },
                events,
                events_total,
            }
        })
        .collect();

    Ok(LedgerBalances {
        mba: mba.clone(),
        unit,
        inputs,
        outputs,
        inventories,
        periods,
    })
}

fn element_name(element: Element) -> String {
    format!("{element:?}")
}

/// Builds the sequence of `mba`, evaluates it with Page's k = [`PAGE_K`] and
/// the exact h for its length at sequence-wide false-alarm probability
/// `alpha`, and turns each test's first alarm into a [`Finding`].
pub fn evaluate_ledger(
    accounts: &Accounts,
    mba: &MbaCode,
    quantity: BalanceQuantity,
    alpha: f64,
    options: &EvaluateOptions,
) -> Result<LedgerEvaluation, LedgerBalancesError> {
    evaluate_ledger_in(accounts, mba, quantity, Window::default(), alpha, options)
}

/// [`evaluate_ledger`] on the balances between the closed takings inside `window`.
pub fn evaluate_ledger_in(
    accounts: &Accounts,
    mba: &MbaCode,
    quantity: BalanceQuantity,
    window: Window,
    alpha: f64,
    options: &EvaluateOptions,
) -> Result<LedgerEvaluation, LedgerBalancesError> {
    let balances = balance_sequence_in(accounts, mba, quantity, window)?;
    let n = balances.periods.len();
    let h = thresholds::page_threshold(n, PAGE_K, alpha)?;
    let input = balances.input(PageParameters { k: PAGE_K, h }, alpha);
    let evaluation = evaluate::evaluate(&input, options)?;
    let finding = |kind, i: usize, statistic, threshold| {
        let p: &BalancePeriod = &balances.periods[i];
        Finding {
            kind,
            balance: p.index,
            period: p.period,
            statistic,
            threshold,
            evidence: p.events.clone(),
        }
    };
    let mut findings = Vec::new();
    if let Some(b) = evaluation.page_first_alarm_balance {
        findings.push(finding(
            FindingKind::PageAlarm,
            b - 1,
            evaluation.page[b - 1],
            evaluation.page_h,
        ));
    }
    if let Some(i) = evaluation.gemuf_alarm.iter().position(|a| *a) {
        findings.push(finding(
            FindingKind::GemufAlarm,
            i,
            evaluation.gemuf_v1[i],
            evaluation.gemuf_threshold[i],
        ));
    }
    Ok(LedgerEvaluation {
        evaluation,
        mba: balances.mba,
        alpha,
        periods: balances.periods,
        findings,
    })
}
