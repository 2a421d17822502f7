//! What a secretariat asks of the reports: who was due and who reported in a
//! cycle, which fields each left `not_reported`; how a report differs from the
//! same state's previous one; and how it stands beside the registry's published
//! estimates (forces.csv), shown as estimates and never as findings.

use crate::engine::{AcceptedReport, ReportRef, ReviewEngine};
use crate::error::ReviewError;
use crate::schema::{FieldValue, Report, FIELDS};
use custodian_core::{Date, StateCode};
use custodian_regime::data::{ForceEstimate, Located, TreatyId};
use custodian_regime::Registry;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// Why a state was due to report, in completeness answers.
pub const DUE_NWS: &str = "nuclear-weapon State party to the NPT (Art. IX.3) at the cycle's date";
/// Why a state that is not a nuclear-weapon State appears in completeness.
pub const DUE_REPORTED: &str = "reported (every reporting state is counted)";

/// Said wherever estimates stand beside a report.
pub const ESTIMATE_CAVEAT: &str = "Published estimates from the registry (forces.csv: FAS, SIPRI and the seed documents, each row with its source), shown beside the state's own report for context only. They are estimates by outside researchers, not verified counts: a difference between a report and an estimate is not a finding against the state.";

/// The NPT's nuclear-weapon States that are parties at `at`, under any reading of
/// the registry's contested facts (they agree on this set in the bundled data).
pub fn nuclear_weapon_states(registry: &Registry, at: Date) -> Result<Vec<StateCode>, ReviewError> {
    let npt = TreatyId::parse("NPT").map_err(|e| ReviewError::Schema {
        path: "treaty".into(),
        expected: e.expected.into(),
        found: e.found,
    })?;
    let all = registry.status_all(&npt, at)?;
    let mut out = BTreeSet::new();
    for answer in all.answers.iter() {
        out.extend(answer.value.nuclear_weapon_states.iter().flatten().copied());
    }
    Ok(out.into_iter().collect())
}

/// One state in a cycle's completeness.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StateCompleteness {
    /// The state.
    pub state: StateCode,
    /// Why it is listed ([`DUE_NWS`] or [`DUE_REPORTED`]).
    pub due_because: &'static str,
    /// Its latest report for the cycle, if any.
    pub report: Option<ReportRef>,
    /// How many reports it filed for the cycle (revisions included).
    pub reports_filed: usize,
    /// The schema's field count.
    pub fields_total: usize,
    /// How many fields its latest report gives a value for.
    pub fields_reported: usize,
    /// The fields its latest report leaves `not_reported`.
    pub not_reported: Vec<String>,
}

/// Who was due to report in a cycle, who did, and what they left out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Completeness {
    /// The cycle.
    pub cycle: u16,
    /// The date nuclear-weapon States were determined at.
    pub judged_at: String,
    /// Due: the nuclear-weapon States parties, and every state that reported.
    pub due: Vec<StateCode>,
    /// Those that reported.
    pub reported: Vec<StateCode>,
    /// Those due that did not.
    pub missing: Vec<StateCode>,
    /// One line per due state.
    pub states: Vec<StateCompleteness>,
}

/// The completeness of `cycle`: `nuclear_weapon_states` are due (see
/// [`nuclear_weapon_states`]), and so is every state that reported.
pub fn completeness(
    engine: &ReviewEngine,
    cycle: u16,
    nuclear_weapon_states: &[StateCode],
) -> Result<Completeness, ReviewError> {
    let c = engine.cycles().require(cycle)?;
    let nws: BTreeSet<StateCode> = nuclear_weapon_states.iter().copied().collect();
    let reported: BTreeSet<StateCode> = engine.reports_for_cycle(cycle).map(|r| r.state).collect();
    let due: BTreeSet<StateCode> = nws.union(&reported).copied().collect();
    let states = due
        .iter()
        .map(|&state| {
            let latest = engine.latest(state, cycle);
            StateCompleteness {
                state,
                due_because: if nws.contains(&state) {
                    DUE_NWS
                } else {
                    DUE_REPORTED
                },
                report: latest.map(AcceptedReport::reference),
                reports_filed: engine.revisions(state, cycle).len(),
                fields_total: FIELDS.len(),
                fields_reported: latest.map_or(0, |r| {
                    r.report.fields().filter(|(_, v)| v.is_reported()).count()
                }),
                not_reported: latest.map_or_else(Vec::new, |r| r.report.not_reported()),
            }
        })
        .collect();
    Ok(Completeness {
        cycle,
        judged_at: c.reference_date().to_string(),
        missing: due.difference(&reported).copied().collect(),
        due: due.into_iter().collect(),
        reported: reported.into_iter().collect(),
        states,
    })
}

/// How one field changed between two reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The same value.
    Unchanged,
    /// Reported both times, differently.
    Changed,
    /// Not reported before, reported now.
    NewlyReported,
    /// Reported before, not reported now.
    NoLongerReported,
    /// Not reported either time.
    NotReportedInEither,
}

/// One field of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldChange {
    /// The field's path.
    pub field: String,
    /// Its unit, for quantities.
    pub unit: Option<&'static str>,
    /// The earlier report's value (JSON form).
    pub earlier: Value,
    /// The later report's value (JSON form).
    pub later: Value,
    /// What changed.
    pub change: Change,
    /// later − earlier, for quantities reported both times.
    pub difference: Option<f64>,
}

/// Two reports of one state, field by field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The state.
    pub state: StateCode,
    /// The earlier report.
    pub earlier: ReportRef,
    /// The later report.
    pub later: ReportRef,
    /// Every field, in schema order.
    pub fields: Vec<FieldChange>,
    /// How many fields are not `unchanged`.
    pub changed: usize,
}

/// Compares two reports of a state field by field.
pub fn compare(earlier: &AcceptedReport, later: &AcceptedReport) -> Comparison {
    let fields: Vec<FieldChange> = FIELDS
        .iter()
        .map(|spec| {
            let path = spec.path();
            let (a, b) = (earlier.report.get(&path), later.report.get(&path));
            let change = match (a.is_reported(), b.is_reported()) {
                (false, false) => Change::NotReportedInEither,
                (false, true) => Change::NewlyReported,
                (true, false) => Change::NoLongerReported,
                (true, true) if a == b => Change::Unchanged,
                (true, true) => Change::Changed,
            };
            let difference = match (a.number(), b.number()) {
                (Some(x), Some(y)) => Some(y - x),
                _ => None,
            };
            FieldChange {
                field: path,
                unit: spec.kind.unit(),
                earlier: a.to_json(spec.kind),
                later: b.to_json(spec.kind),
                change,
                difference,
            }
        })
        .collect();
    Comparison {
        state: later.state,
        earlier: earlier.reference(),
        later: later.reference(),
        changed: fields
            .iter()
            .filter(|f| !matches!(f.change, Change::Unchanged | Change::NotReportedInEither))
            .count(),
        fields,
    }
}

/// One reported quantity beside one published estimate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EstimateLine {
    /// What is compared.
    pub quantity: &'static str,
    /// The report's figure (or the sum of report fields named in `from_fields`);
    /// `None` when a field it needs is `not_reported`.
    pub reported: Option<u64>,
    /// The report fields it comes from.
    pub from_fields: &'static str,
    /// The estimate (forces.csv column `estimate_column`).
    pub estimate: u32,
    /// The forces.csv column.
    pub estimate_column: &'static str,
    /// reported − estimate, when both are given.
    pub difference: Option<i64>,
    /// The estimate's year.
    pub year: i32,
    /// The estimate's source.
    pub source: String,
    /// When the source published it.
    pub source_date: Option<String>,
    /// The forces.csv line.
    pub line: Option<u64>,
}

/// A report beside the registry's estimates for the same state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimates {
    /// The state.
    pub state: StateCode,
    /// The year of the report's `as_of`.
    pub as_of_year: i32,
    /// The estimates' year used (`None`: forces.csv has none for the state).
    pub year_used: Option<i32>,
    /// How the year was chosen.
    pub year_rule: &'static str,
    /// [`ESTIMATE_CAVEAT`].
    pub caveat: &'static str,
    /// One line per estimate figure.
    pub lines: Vec<EstimateLine>,
}

fn sum(report: &Report, paths: &[&str]) -> Option<u64> {
    paths
        .iter()
        .map(|p| match report.get(p) {
            FieldValue::Count(n) => Some(*n),
            _ => None,
        })
        .sum()
}

/// A compared quantity: its name, the report fields it sums (as text and as
/// paths), and the forces.csv figure it is compared with.
type Quantity = (
    &'static str,
    &'static str,
    &'static [&'static str],
    fn(&ForceEstimate) -> Option<u32>,
);

/// The report's warhead figures beside every forces.csv estimate for the state
/// in the report's year (or the nearest year the file has).
pub fn estimates(
    state: StateCode,
    report: &Report,
    forces: &[Located<ForceEstimate>],
) -> Estimates {
    let as_of_year = report.as_of().ymd().0 as i32;
    let rows: Vec<&Located<ForceEstimate>> = forces
        .iter()
        .filter(|f| f.row.state == state && f.row.year.is_some())
        .collect();
    let years: BTreeSet<i32> = rows.iter().filter_map(|f| f.row.year).collect();
    let (year_used, year_rule) = if years.contains(&as_of_year) {
        (Some(as_of_year), "the report's year")
    } else if let Some(y) = years.range(..as_of_year).next_back() {
        (Some(*y), "the nearest earlier year forces.csv has")
    } else if let Some(y) = years.iter().next() {
        (
            Some(*y),
            "the nearest later year forces.csv has (it has no earlier estimate)",
        )
    } else {
        (None, "forces.csv has no dated estimate for this state")
    };
    let quantities: [Quantity; 4] = [
        (
            "total inventory",
            "warheads.total",
            &["warheads.total"],
            |f| f.total_inventory.map(|e| e.0),
        ),
        (
            "stockpile (deployed and reserve)",
            "warheads.deployed_strategic + deployed_non_strategic + reserve",
            &[
                "warheads.deployed_strategic",
                "warheads.deployed_non_strategic",
                "warheads.reserve",
            ],
            |f| f.stockpile.map(|e| e.0),
        ),
        (
            "deployed",
            "warheads.deployed_strategic + deployed_non_strategic",
            &[
                "warheads.deployed_strategic",
                "warheads.deployed_non_strategic",
            ],
            |f| f.deployed.map(|e| e.0),
        ),
        (
            "retired awaiting dismantlement",
            "warheads.awaiting_dismantlement",
            &["warheads.awaiting_dismantlement"],
            |f| f.retired.map(|e| e.0),
        ),
    ];
    let columns = ["total_inventory", "stockpile", "deployed", "retired"];
    let mut lines = Vec::new();
    for f in rows.iter().filter(|f| f.row.year == year_used) {
        for ((quantity, from_fields, paths, get), column) in quantities.iter().zip(columns) {
            let Some(estimate) = get(&f.row) else {
                continue;
            };
            let reported = sum(report, paths);
            lines.push(EstimateLine {
                quantity,
                reported,
                from_fields,
                estimate,
                estimate_column: column,
                difference: reported.map(|r| r as i64 - i64::from(estimate)),
                year: f.row.year.unwrap_or_default(),
                source: f.row.source.to_string(),
                source_date: f.row.source_date.map(|d| d.to_string()),
                line: f.at.line,
            });
        }
    }
    Estimates {
        state,
        as_of_year,
        year_used,
        year_rule,
        caveat: ESTIMATE_CAVEAT,
        lines,
    }
}
