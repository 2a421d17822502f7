//! Reported totals bound to committed totals: a report's `bindings`, and their
//! check against the state's own escrow commitments (issue 9, point 2).
//!
//! A state that holds a quantity in an escrow commitment (a Pedersen total of a
//! declaration, docs/FORMATS.md §15) may bind a count of its report to it:
//! `{"field": "warheads.deployed_strategic", "declaration": "xaa-2026",
//! "opening": {"measure": "deployed_warheads", "value": 9, "blinding": "…"}}`.
//! It asserts that the reported figure equals its committed total and opens
//! that total. The schema ([`parse_bindings`], called by
//! [`crate::schema::Report::parse`]) checks the form; whoever holds both the
//! reports and the escrow record checks the substance ([`check_report`]), and
//! every failure is a **finding**, never a refusal: the report is the state's
//! testimony and stays in the log as filed.
//!
//! Architecture invariant: this crate knows no cryptography. What a
//! declaration is and whether an opening opens its total is asked of a
//! [`CommittedTotals`], which the binary implements over the escrow record.

use crate::engine::{AcceptedReport, ReviewEngine};
use crate::error::ReviewError;
use crate::schema::{spec, FieldSpec, FieldValue, Kind, FIELDS};
use custodian_core::{DeclarationId, EventId, LeafIndex, StateCode, UtcTime};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The members of one binding.
const BINDING_MEMBERS: [&str; 3] = ["field", "declaration", "opening"];
/// The members of an opening (the escrow's `TotalOpening`, FORMATS.md §15.15).
const OPENING_MEMBERS: [&str; 3] = ["measure", "value", "blinding"];
/// The longest measure name (the escrow's limit).
const MEASURE_BYTES_MAX: usize = 64;

/// One reported count bound to a committed total. Parsed, so its field is a
/// count field the report gives a value for.
#[derive(Clone, Debug, PartialEq)]
pub struct TotalBinding {
    field: &'static FieldSpec,
    declaration: DeclarationId,
    opening: Map<String, Value>,
    measure: String,
    value: u64,
}

impl TotalBinding {
    /// The bound field.
    pub fn field(&self) -> &'static FieldSpec {
        self.field
    }
    /// The escrow declaration whose total it is bound to.
    pub fn declaration(&self) -> &DeclarationId {
        &self.declaration
    }
    /// The opening, as given (checked by a [`CommittedTotals`]).
    pub fn opening(&self) -> &Map<String, Value> {
        &self.opening
    }
    /// The committed measure the opening names.
    pub fn measure(&self) -> &str {
        &self.measure
    }
    /// The value the opening states.
    pub fn opened_value(&self) -> u64 {
        self.value
    }
    /// The binding in its JSON form.
    pub fn to_json(&self) -> Value {
        json!({
            "field": self.field.path(),
            "declaration": self.declaration,
            "opening": Value::Object(self.opening.clone()),
        })
    }
}

fn schema_error(path: &str, expected: impl Into<String>, found: &Value) -> ReviewError {
    ReviewError::Schema {
        path: path.to_string(),
        expected: expected.into(),
        found: found.to_string().chars().take(80).collect(),
    }
}

fn missing(path: &str, expected: impl Into<String>) -> ReviewError {
    ReviewError::Schema {
        path: path.to_string(),
        expected: expected.into(),
        found: "nothing (the member is missing)".into(),
    }
}

fn only(object: &Map<String, Value>, at: &str, known: &[&str]) -> Result<(), ReviewError> {
    match object.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((key, value)) => Err(schema_error(
            &format!("{at}.{key}"),
            format!("no such field (the fields here are {})", known.join(", ")),
            value,
        )),
        None => Ok(()),
    }
}

fn count_fields() -> String {
    FIELDS
        .iter()
        .filter(|f| matches!(f.kind, Kind::Count { .. }))
        .map(FieldSpec::path)
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_opening(at: &str, v: &Value) -> Result<(Map<String, Value>, String, u64), ReviewError> {
    let shape =
        "an object {\"measure\", \"value\", \"blinding\"}: the opening of the committed total";
    let Value::Object(o) = v else {
        return Err(schema_error(at, shape, v));
    };
    only(o, at, &OPENING_MEMBERS)?;
    let measure_at = format!("{at}.measure");
    let measure = match o.get("measure") {
        Some(Value::String(m)) if !m.is_empty() && m.len() <= MEASURE_BYTES_MAX => m.clone(),
        Some(other) => {
            return Err(schema_error(
                &measure_at,
                "the name of a committed measure (1 to 64 bytes)",
                other,
            ))
        }
        None => return Err(missing(&measure_at, "the name of a committed measure")),
    };
    let value_at = format!("{at}.value");
    let value = match o.get("value") {
        Some(v) => v.as_u64().ok_or_else(|| {
            schema_error(
                &value_at,
                "the committed total: a whole number, at least 0",
                v,
            )
        })?,
        None => return Err(missing(&value_at, "the committed total")),
    };
    let blinding_at = format!("{at}.blinding");
    match o.get("blinding") {
        Some(Value::String(b)) if b.len() == 64 && b.bytes().all(|c| c.is_ascii_hexdigit()) => {}
        Some(other) => {
            return Err(schema_error(
                &blinding_at,
                "the total's blinding: 64 hex digits",
                other,
            ))
        }
        None => return Err(missing(&blinding_at, "the total's blinding: 64 hex digits")),
    }
    Ok((o.clone(), measure, value))
}

/// Parses a report's `bindings` (`None`: the member is absent). `values` are
/// the report's parsed fields, by path: a bound field must be a count the
/// report gives a value for. Errors name the path (`bindings[1].field`).
pub fn parse_bindings(
    bindings: Option<&Value>,
    values: &BTreeMap<String, FieldValue>,
) -> Result<Vec<TotalBinding>, ReviewError> {
    let Some(v) = bindings else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = v else {
        return Err(schema_error(
            "bindings",
            "a list of {\"field\", \"declaration\", \"opening\"}",
            v,
        ));
    };
    let mut out: Vec<TotalBinding> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("bindings[{i}]");
        let Value::Object(b) = item else {
            return Err(schema_error(
                &at,
                "an object {\"field\", \"declaration\", \"opening\"}",
                item,
            ));
        };
        only(b, &at, &BINDING_MEMBERS)?;
        let field_at = format!("{at}.field");
        let expected_field = format!(
            "the path of a count field of the report ({})",
            count_fields()
        );
        let field = match b.get("field") {
            Some(Value::String(path)) => spec(path)
                .ok_or_else(|| schema_error(&field_at, expected_field.clone(), &b["field"]))?,
            Some(other) => return Err(schema_error(&field_at, expected_field, other)),
            None => return Err(missing(&field_at, expected_field)),
        };
        if !matches!(field.kind, Kind::Count { .. }) {
            return Err(schema_error(
                &field_at,
                format!(
                    "a count field (an escrow total is a whole number); {} is not a count",
                    field.path()
                ),
                &b["field"],
            ));
        }
        if !values
            .get(&field.path())
            .is_some_and(FieldValue::is_reported)
        {
            return Err(schema_error(
                &field_at,
                format!(
                    "a field the report gives a value for; {} is \"not_reported\", so there is nothing to bind",
                    field.path()
                ),
                &b["field"],
            ));
        }
        if let Some(j) = out.iter().position(|o| o.field == field) {
            return Err(schema_error(
                &field_at,
                format!(
                    "each field bound once; {} is already bound by bindings[{j}]",
                    field.path()
                ),
                &b["field"],
            ));
        }
        let declaration_at = format!("{at}.declaration");
        let declaration = match b.get("declaration") {
            Some(Value::String(d)) => DeclarationId::parse(d)
                .map_err(|e| schema_error(&declaration_at, e.expected, &b["declaration"]))?,
            Some(other) => {
                return Err(schema_error(
                    &declaration_at,
                    "the id of an escrow declaration",
                    other,
                ))
            }
            None => return Err(missing(&declaration_at, "the id of an escrow declaration")),
        };
        let opening_at = format!("{at}.opening");
        let (opening, measure, value) = match b.get("opening") {
            Some(o) => parse_opening(&opening_at, o)?,
            None => {
                return Err(missing(
                    &opening_at,
                    "the opening of the committed total {\"measure\", \"value\", \"blinding\"}",
                ))
            }
        };
        out.push(TotalBinding {
            field,
            declaration,
            opening,
            measure,
            value,
        });
    }
    Ok(out)
}

/// An event cited by a binding's verdict: the leaf, the event's id and its
/// stated time, as the escrow's findings cite theirs, with the event's kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// `review.report` or `escrow.commit`.
    pub kind: &'static str,
    /// The leaf.
    pub leaf: LeafIndex,
    /// The event's id.
    pub event: EventId,
    /// Its stated time.
    pub time: UtcTime,
}

/// A committed declaration, as the escrow record holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The declaring state.
    pub state: StateCode,
    /// The `escrow.commit` event.
    pub by: Citation,
}

/// What the review needs of the escrow record: who committed a declaration,
/// and whether an opening opens one of its totals. Implemented where both are
/// known (the command-line tool, over `custodian_escrow::ledger::EscrowLedger`).
pub trait CommittedTotals {
    /// The declaration `id`, if the log holds its `escrow.commit`.
    fn committed(&self, id: &DeclarationId) -> Option<Committed>;
    /// Whether `opening` opens the total of its measure committed in `id`:
    /// `Err` says why not (it does not parse, names a measure not committed,
    /// or its value and blinding are not the committed ones).
    fn verify_opening(
        &self,
        id: &DeclarationId,
        opening: &Map<String, Value>,
    ) -> Result<(), String>;
}

/// The verdict on one binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The declaration is the state's, the opening opens its committed total,
    /// and that total is the reported figure: bound and verified.
    Verified,
    /// The opening opens the committed total, and it is not the reported
    /// figure: the report disagrees with the state's own committed total.
    ReportedTotalDisagrees,
    /// The opening does not open the committed total (a wrong value or
    /// blinding, a measure the declaration does not commit, a malformed
    /// opening): the reported figure is not shown to be the committed total.
    TotalOpeningInvalid,
    /// The log holds no `escrow.commit` of the declaration.
    DeclarationUnknown,
    /// The declaration was committed by another state.
    DeclarationOfAnotherState,
}

impl Verdict {
    /// Whether it is a finding (anything but [`Verdict::Verified`]).
    pub fn is_finding(self) -> bool {
        self != Verdict::Verified
    }
    /// Its name in JSON (`reported_total_disagrees`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::ReportedTotalDisagrees => "reported_total_disagrees",
            Verdict::TotalOpeningInvalid => "total_opening_invalid",
            Verdict::DeclarationUnknown => "declaration_unknown",
            Verdict::DeclarationOfAnotherState => "declaration_of_another_state",
        }
    }
    /// How it reads in a listing: `bound and verified` or `FINDING <kind>`.
    pub fn label(self) -> String {
        match self {
            Verdict::Verified => "bound and verified".into(),
            other => format!("FINDING {}", other.as_str()),
        }
    }
}

/// One binding of one report, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BindingCheck {
    /// The reporting state.
    pub state: StateCode,
    /// The cycle.
    pub cycle: u16,
    /// The report's revision.
    pub revision: u32,
    /// The bound field.
    pub field: String,
    /// The reported figure.
    pub reported: u64,
    /// Its unit.
    pub unit: &'static str,
    /// The declaration.
    pub declaration: DeclarationId,
    /// The committed measure the opening names.
    pub measure: String,
    /// The value the opening states (the committed total, when it verifies).
    pub opened: u64,
    /// The verdict.
    pub verdict: Verdict,
    /// Whether the verdict is a finding.
    pub finding: bool,
    /// What it says, in a sentence.
    pub message: String,
    /// The events it cites: the report, then the commitment (when there is one).
    pub events: Vec<Citation>,
}

/// Checks every binding of `report` against the escrow record: (a) the
/// declaration exists and is the reporting state's, (c) the opening opens its
/// committed total, (b) that total is the reported figure. Each failure is a
/// finding.
pub fn check_report(report: &AcceptedReport, totals: &dyn CommittedTotals) -> Vec<BindingCheck> {
    let by = Citation {
        kind: "review.report",
        leaf: report.leaf,
        event: report.event.clone(),
        time: report.time,
    };
    report
        .report
        .bindings()
        .iter()
        .map(|b| {
            let path = b.field.path();
            let unit = b.field.kind.unit().unwrap_or("");
            let reported = match report.report.get(&path) {
                FieldValue::Count(n) => *n,
                // The schema binds reported counts only.
                _ => 0,
            };
            let (s, d, m, v) = (report.state, &b.declaration, &b.measure, b.value);
            let claim = format!(
                "{s} reports {path} = {reported} {unit} (event {}, revision {})",
                report.event, report.revision
            );
            let mut events = vec![by.clone()];
            let (verdict, message) = match totals.committed(d) {
                None => (
                    Verdict::DeclarationUnknown,
                    format!(
                        "{claim} and binds it to declaration {d}, but the log holds no escrow.commit of {d}"
                    ),
                ),
                Some(c) if c.state != s => {
                    let text = format!(
                        "{claim} and binds it to declaration {d}, which {} committed (event {}); a report can be bound only to the reporting state's own commitment",
                        c.state, c.by.event
                    );
                    events.push(c.by);
                    (Verdict::DeclarationOfAnotherState, text)
                }
                Some(c) => {
                    let commit = c.by.event.clone();
                    events.push(c.by);
                    match totals.verify_opening(d, &b.opening) {
                        Err(why) => (
                            Verdict::TotalOpeningInvalid,
                            format!(
                                "{claim} and binds it to the total of {m} committed in declaration {d} (event {commit}), but its opening (value {v}) does not open that total: {why}; the reported figure is not shown to be the committed total"
                            ),
                        ),
                        Ok(()) if v != reported => (
                            Verdict::ReportedTotalDisagrees,
                            format!(
                                "{claim}, but the total of {m} it committed in declaration {d} (event {commit}) is {v}: the report's own opening verifies against the commitment and gives {v}, not {reported}"
                            ),
                        ),
                        Ok(()) => (
                            Verdict::Verified,
                            format!(
                                "{claim}; its opening of the total of {m} committed in declaration {d} (event {commit}) verifies and gives {v}: bound and verified"
                            ),
                        ),
                    }
                }
            };
            BindingCheck {
                state: s,
                cycle: report.cycle,
                revision: report.revision,
                field: path,
                reported,
                unit,
                declaration: d.clone(),
                measure: m.clone(),
                opened: v,
                verdict,
                finding: verdict.is_finding(),
                message,
                events,
            }
        })
        .collect()
}

/// The bindings of every report (every revision) the state filed for the
/// cycle, checked, in log order.
pub fn check_state(
    engine: &ReviewEngine,
    state: StateCode,
    cycle: u16,
    totals: &dyn CommittedTotals,
) -> Vec<BindingCheck> {
    engine
        .revisions(state, cycle)
        .iter()
        .flat_map(|r| check_report(r, totals))
        .collect()
}

/// The bindings of every report (every revision) of the cycle, checked, in
/// log order.
pub fn check_cycle(
    engine: &ReviewEngine,
    cycle: u16,
    totals: &dyn CommittedTotals,
) -> Vec<BindingCheck> {
    let mut reports: Vec<&AcceptedReport> = engine.revisions_for_cycle(cycle).collect();
    reports.sort_by_key(|r| r.leaf);
    reports
        .into_iter()
        .flat_map(|r| check_report(r, totals))
        .collect()
}
