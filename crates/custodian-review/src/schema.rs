//! The standard reporting format `custodian/npt-report/v1`: a state's report to
//! an NPT review cycle, in the spirit of the draft standard reporting form of the
//! Non-Proliferation and Disarmament Initiative (NPT/CONF.2015/PC.I/WP.12;
//! NPT/CONF.2020/PC.II/WP.26) and of Action 21 of the 2010 action plan
//! (NPT/CONF.2010/50 (Vol. I)): quantitative data on warheads, delivery vehicles
//! and fissile material, reductions, and qualitative data on doctrine and
//! measures. docs/FORMATS.md ("Review reports") specifies it byte for byte.
//!
//! Every field is required and has one of four kinds ([`Kind`]); each value is
//! either reported or the string `"not_reported"`, which is distinct from zero: a
//! state that reports 0 says it has none, a state that does not report says
//! nothing. Quantities carry their unit (`{"value": 120, "unit": "warheads"}`),
//! and a wrong unit is refused rather than converted. Unknown fields are refused.
//! A report that parses is well-formed ("parse, don't validate", STYLE §3).
//!
//! An optional top-level `bindings` list binds reported counts to the state's
//! committed escrow totals ([`crate::totals`]).

use crate::error::ReviewError;
use crate::totals::{parse_bindings, TotalBinding};
use custodian_core::Date;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The format identifier, the report's `format` field.
pub const FORMAT: &str = "custodian/npt-report/v1";
/// The literal that marks a field as not reported.
pub const NOT_REPORTED: &str = "not_reported";
/// The largest count accepted (warheads, vehicles): above any arsenal ever held.
pub const COUNT_MAX: u64 = 1_000_000;
/// The largest mass accepted, in tonnes (the world's HEU and separated plutonium
/// together are of the order of 10^3 t).
pub const TONNES_MAX: f64 = 100_000.0;
/// The longest text accepted, in characters.
pub const TEXT_CHARS_MAX: usize = 4_000;
/// The most items of a text list.
pub const LIST_ITEMS_MAX: usize = 50;

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Kind {
    /// A whole number, at least 0, with this unit.
    Count {
        /// The unit written beside the value (`warheads`, `missiles`, ...).
        unit: &'static str,
    },
    /// A mass in metric tonnes, at least 0.
    Tonnes,
    /// Free text.
    Text,
    /// A list of texts.
    TextList,
}

impl Kind {
    /// The unit a value of this kind carries, if any.
    pub fn unit(self) -> Option<&'static str> {
        match self {
            Kind::Count { unit } => Some(unit),
            Kind::Tonnes => Some("tonnes"),
            Kind::Text | Kind::TextList => None,
        }
    }
}

/// One field of the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FieldSpec {
    /// The section (`warheads`).
    pub section: &'static str,
    /// The field within it (`deployed_strategic`).
    pub name: &'static str,
    /// What it holds.
    #[serde(flatten)]
    pub kind: Kind,
    /// What it means, in one line.
    pub meaning: &'static str,
}

impl FieldSpec {
    /// `section.name`.
    pub fn path(&self) -> String {
        format!("{}.{}", self.section, self.name)
    }
}

const fn count(
    section: &'static str,
    name: &'static str,
    unit: &'static str,
    meaning: &'static str,
) -> FieldSpec {
    FieldSpec {
        section,
        name,
        kind: Kind::Count { unit },
        meaning,
    }
}
const fn other(
    section: &'static str,
    name: &'static str,
    kind: Kind,
    meaning: &'static str,
) -> FieldSpec {
    FieldSpec {
        section,
        name,
        kind,
        meaning,
    }
}

/// Every field, in the order of the format's documentation.
pub const FIELDS: &[FieldSpec] = &[
    count(
        "warheads",
        "deployed_strategic",
        "warheads",
        "warheads deployed on strategic delivery vehicles",
    ),
    count(
        "warheads",
        "deployed_non_strategic",
        "warheads",
        "non-strategic warheads deployed with their forces",
    ),
    count(
        "warheads",
        "reserve",
        "warheads",
        "non-deployed warheads kept in the stockpile (reserve)",
    ),
    count(
        "warheads",
        "awaiting_dismantlement",
        "warheads",
        "retired warheads awaiting dismantlement",
    ),
    count(
        "warheads",
        "total",
        "warheads",
        "all of the above: the total inventory",
    ),
    count(
        "delivery_vehicles",
        "icbm",
        "missiles",
        "intercontinental ballistic missiles",
    ),
    count(
        "delivery_vehicles",
        "slbm",
        "missiles",
        "submarine-launched ballistic missiles",
    ),
    count(
        "delivery_vehicles",
        "bombers",
        "aircraft",
        "nuclear-capable bombers",
    ),
    count(
        "delivery_vehicles",
        "launchers",
        "launchers",
        "deployed and non-deployed launchers (silos, launch tubes, mobile launchers)",
    ),
    other(
        "fissile_material",
        "heu",
        Kind::Tonnes,
        "highly enriched uranium held, all purposes",
    ),
    other(
        "fissile_material",
        "heu_declared_excess",
        Kind::Tonnes,
        "of which declared excess to military needs",
    ),
    other(
        "fissile_material",
        "separated_plutonium",
        Kind::Tonnes,
        "separated plutonium held, all purposes",
    ),
    other(
        "fissile_material",
        "plutonium_declared_excess",
        Kind::Tonnes,
        "of which declared excess to military needs",
    ),
    count(
        "reductions",
        "warheads_dismantled",
        "warheads",
        "warheads dismantled since the previous cycle",
    ),
    count(
        "reductions",
        "delivery_vehicles_eliminated",
        "vehicles",
        "delivery vehicles eliminated since the previous cycle",
    ),
    other(
        "reductions",
        "description",
        Kind::Text,
        "the reductions since the previous cycle, in words",
    ),
    other(
        "doctrine",
        "declaratory_policy",
        Kind::Text,
        "declaratory policy: the circumstances of use the state states",
    ),
    other(
        "doctrine",
        "security_assurances",
        Kind::Text,
        "assurances given to non-nuclear-weapon States",
    ),
    other(
        "measures",
        "ctbt_status",
        Kind::Text,
        "the state's CTBT signature, ratification and testing moratorium",
    ),
    other(
        "measures",
        "fmct_position",
        Kind::Text,
        "the state's position on a fissile material (cut-off) treaty and any production moratorium",
    ),
    other(
        "measures",
        "transparency",
        Kind::TextList,
        "transparency and confidence-building measures taken",
    ),
];

/// The sections, in order.
pub const SECTIONS: [&str; 6] = [
    "warheads",
    "delivery_vehicles",
    "fissile_material",
    "reductions",
    "doctrine",
    "measures",
];

const TOP_LEVEL: [&str; 5] = ["format", "as_of", "illustrative", "note", "bindings"];

/// The parts `warheads.total` is the sum of.
pub const WARHEAD_PARTS: [&str; 4] = [
    "warheads.deployed_strategic",
    "warheads.deployed_non_strategic",
    "warheads.reserve",
    "warheads.awaiting_dismantlement",
];

/// The spec of the field at `path` (`warheads.total`).
pub fn spec(path: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.path() == path)
}

/// One field's value.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// The state did not report it (distinct from 0).
    NotReported,
    /// A count.
    Count(u64),
    /// A mass in tonnes.
    Tonnes(f64),
    /// A text.
    Text(String),
    /// A list of texts.
    List(Vec<String>),
}

impl FieldValue {
    /// Whether the state reported it.
    pub fn is_reported(&self) -> bool {
        !matches!(self, FieldValue::NotReported)
    }
    /// The number, for counts and masses.
    pub fn number(&self) -> Option<f64> {
        match self {
            FieldValue::Count(n) => Some(*n as f64),
            FieldValue::Tonnes(t) => Some(*t),
            _ => None,
        }
    }
    /// The value in the report's JSON form (`{"value": 120, "unit": "warheads"}`,
    /// `"not_reported"`, a text or a list).
    pub fn to_json(&self, kind: Kind) -> Value {
        match self {
            FieldValue::NotReported => Value::from(NOT_REPORTED),
            FieldValue::Count(n) => json!({"value": n, "unit": kind.unit()}),
            FieldValue::Tonnes(t) => json!({"value": t, "unit": "tonnes"}),
            FieldValue::Text(t) => Value::from(t.as_str()),
            FieldValue::List(items) => Value::from(items.clone()),
        }
    }
    /// The value as one line of text (`120 warheads`, `not reported`, a text).
    pub fn display(&self, kind: Kind) -> String {
        match self {
            FieldValue::NotReported => "not reported".into(),
            FieldValue::Count(n) => format!("{n} {}", kind.unit().unwrap_or("")),
            FieldValue::Tonnes(t) => format!("{t} tonnes"),
            FieldValue::Text(t) => t.clone(),
            FieldValue::List(items) => items.join("; "),
        }
    }
    /// The value for a CSV cell: the bare number, the text, `; `-joined list
    /// items, or `not_reported`.
    pub fn cell(&self) -> String {
        match self {
            FieldValue::NotReported => NOT_REPORTED.into(),
            FieldValue::Count(n) => n.to_string(),
            FieldValue::Tonnes(t) => t.to_string(),
            FieldValue::Text(t) => t.clone(),
            FieldValue::List(items) => items.join("; "),
        }
    }
}

/// A parsed, valid report.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    as_of: Date,
    illustrative: bool,
    note: Option<String>,
    values: BTreeMap<String, FieldValue>,
    bindings: Vec<TotalBinding>,
}

fn found(v: &Value) -> String {
    v.to_string().chars().take(80).collect()
}

fn schema_error(path: &str, expected: impl Into<String>, value: &Value) -> ReviewError {
    ReviewError::Schema {
        path: path.to_string(),
        expected: expected.into(),
        found: found(value),
    }
}

fn missing(path: &str, expected: impl Into<String>) -> ReviewError {
    ReviewError::Schema {
        path: path.to_string(),
        expected: expected.into(),
        found: "nothing (the field is missing)".into(),
    }
}

fn unknown_keys(
    object: &Map<String, Value>,
    prefix: &str,
    known: &[&str],
) -> Result<(), ReviewError> {
    for (key, value) in object {
        if !known.contains(&key.as_str()) {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            return Err(ReviewError::Schema {
                path,
                expected: format!("no such field (the fields here are {})", known.join(", ")),
                found: found(value),
            });
        }
    }
    Ok(())
}

fn parse_text(path: &str, v: &Value) -> Result<FieldValue, ReviewError> {
    let expected =
        format!("a non-empty text of at most {TEXT_CHARS_MAX} characters, or \"{NOT_REPORTED}\"");
    match v {
        Value::String(s) if s == NOT_REPORTED => Ok(FieldValue::NotReported),
        Value::String(s) if !s.trim().is_empty() && s.chars().count() <= TEXT_CHARS_MAX => {
            Ok(FieldValue::Text(s.clone()))
        }
        _ => Err(schema_error(path, expected, v)),
    }
}

fn parse_list(path: &str, v: &Value) -> Result<FieldValue, ReviewError> {
    match v {
        Value::String(s) if s == NOT_REPORTED => Ok(FieldValue::NotReported),
        Value::Array(items) if items.len() <= LIST_ITEMS_MAX => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s)
                        if !s.trim().is_empty()
                            && s != NOT_REPORTED
                            && s.chars().count() <= TEXT_CHARS_MAX =>
                    {
                        out.push(s.clone())
                    }
                    _ => {
                        return Err(schema_error(
                            &format!("{path}[{i}]"),
                            format!("a non-empty text of at most {TEXT_CHARS_MAX} characters"),
                            item,
                        ))
                    }
                }
            }
            Ok(FieldValue::List(out))
        }
        _ => Err(schema_error(
            path,
            format!("a list of at most {LIST_ITEMS_MAX} texts (an empty list: none taken), or \"{NOT_REPORTED}\""),
            v,
        )),
    }
}

fn parse_quantity(path: &str, kind: Kind, v: &Value) -> Result<FieldValue, ReviewError> {
    let unit = kind.unit().unwrap_or("");
    let shape = format!("{{\"value\": N, \"unit\": \"{unit}\"}} or \"{NOT_REPORTED}\"");
    let object = match v {
        Value::String(s) if s == NOT_REPORTED => return Ok(FieldValue::NotReported),
        Value::Object(o) => o,
        _ => return Err(schema_error(path, shape, v)),
    };
    unknown_keys(object, path, &["value", "unit"])?;
    let given_unit = object
        .get("unit")
        .ok_or_else(|| missing(&format!("{path}.unit"), format!("\"{unit}\"")))?;
    if given_unit.as_str() != Some(unit) {
        return Err(schema_error(
            &format!("{path}.unit"),
            format!("\"{unit}\" (values are not converted)"),
            given_unit,
        ));
    }
    let value_path = format!("{path}.value");
    let value = object.get("value").ok_or_else(|| {
        missing(
            &value_path,
            "a number (write \"not_reported\" for the whole field instead)",
        )
    })?;
    let Value::Number(n) = value else {
        return Err(schema_error(&value_path, "a JSON number", value));
    };
    match kind {
        Kind::Count { .. } => {
            if let Some(c) = n.as_u64() {
                if c > COUNT_MAX {
                    return Err(schema_error(
                        &value_path,
                        format!("a count of at most {COUNT_MAX}"),
                        value,
                    ));
                }
                Ok(FieldValue::Count(c))
            } else if n.as_i64().is_some_and(|i| i < 0) || n.as_f64().is_some_and(|f| f < 0.0) {
                Err(schema_error(
                    &value_path,
                    "a non-negative count (0 means none; a state that does not say writes \"not_reported\")",
                    value,
                ))
            } else {
                Err(schema_error(&value_path, "a whole number", value))
            }
        }
        _ => {
            let t = n.as_f64().unwrap_or(f64::NAN);
            if !t.is_finite() || t < 0.0 {
                Err(schema_error(
                    &value_path,
                    "a non-negative mass in tonnes",
                    value,
                ))
            } else if t > TONNES_MAX {
                Err(schema_error(
                    &value_path,
                    format!("a mass of at most {TONNES_MAX} tonnes"),
                    value,
                ))
            } else {
                Ok(FieldValue::Tonnes(t))
            }
        }
    }
}

impl Report {
    /// Parses and checks a report object (the `report` of a `review.report`
    /// payload). The first error found is returned, in the order of
    /// [`FIELDS`], with its path.
    pub fn parse(report: &Map<String, Value>) -> Result<Report, ReviewError> {
        let mut known: Vec<&str> = TOP_LEVEL.to_vec();
        known.extend(SECTIONS);
        unknown_keys(report, "", &known)?;
        match report.get("format") {
            Some(Value::String(f)) if f == FORMAT => {}
            Some(other) => return Err(schema_error("format", format!("\"{FORMAT}\""), other)),
            None => return Err(missing("format", format!("\"{FORMAT}\""))),
        }
        let as_of_value = report
            .get("as_of")
            .ok_or_else(|| missing("as_of", "the date the figures are as of (YYYY-MM-DD)"))?;
        let as_of = as_of_value
            .as_str()
            .and_then(|s| Date::parse(s).ok())
            .ok_or_else(|| {
                schema_error(
                    "as_of",
                    "the date the figures are as of (YYYY-MM-DD)",
                    as_of_value,
                )
            })?;
        let illustrative = match report.get("illustrative") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(schema_error("illustrative", "true or false", other)),
        };
        let note = match report.get("note") {
            None => None,
            Some(v) => match parse_text("note", v)? {
                FieldValue::Text(t) => Some(t),
                _ => return Err(schema_error("note", "a non-empty text", v)),
            },
        };
        let mut values = BTreeMap::new();
        for section in SECTIONS {
            let names: Vec<&str> = FIELDS
                .iter()
                .filter(|f| f.section == section)
                .map(|f| f.name)
                .collect();
            let object = match report.get(section) {
                Some(Value::Object(o)) => o,
                Some(other) => {
                    return Err(schema_error(
                        section,
                        format!("an object with the fields {}", names.join(", ")),
                        other,
                    ))
                }
                None => {
                    return Err(missing(
                        section,
                        format!("an object with the fields {}", names.join(", ")),
                    ))
                }
            };
            unknown_keys(object, section, &names)?;
            for spec in FIELDS.iter().filter(|f| f.section == section) {
                let path = spec.path();
                let v = object.get(spec.name).ok_or_else(|| {
                    missing(
                        &path,
                        format!("a value, or \"{NOT_REPORTED}\" (every field is required, so that not reporting is explicit)"),
                    )
                })?;
                let value = match spec.kind {
                    Kind::Count { .. } | Kind::Tonnes => parse_quantity(&path, spec.kind, v)?,
                    Kind::Text => parse_text(&path, v)?,
                    Kind::TextList => parse_list(&path, v)?,
                };
                values.insert(path, value);
            }
        }
        let bindings = report.get("bindings");
        let mut report = Report {
            as_of,
            illustrative,
            note,
            values,
            bindings: Vec::new(),
        };
        report.check_sums()?;
        report.bindings = parse_bindings(bindings, &report.values)?;
        Ok(report)
    }

    /// `warheads.total` is the sum of its parts when all are reported; a declared
    /// excess is part of the stock it is declared from.
    fn check_sums(&self) -> Result<(), ReviewError> {
        let parts: Option<Vec<u64>> = WARHEAD_PARTS
            .iter()
            .map(|p| match self.get(p) {
                FieldValue::Count(n) => Some(*n),
                _ => None,
            })
            .collect();
        if let (Some(parts), FieldValue::Count(total)) = (parts, self.get("warheads.total")) {
            let sum: u64 = parts.iter().sum();
            if sum != *total {
                return Err(ReviewError::Schema {
                    path: "warheads.total.value".into(),
                    expected: format!(
                        "the sum of deployed_strategic, deployed_non_strategic, reserve and awaiting_dismantlement ({sum})"
                    ),
                    found: total.to_string(),
                });
            }
        }
        for (excess, stock) in [
            (
                "fissile_material.heu_declared_excess",
                "fissile_material.heu",
            ),
            (
                "fissile_material.plutonium_declared_excess",
                "fissile_material.separated_plutonium",
            ),
        ] {
            if let (FieldValue::Tonnes(e), FieldValue::Tonnes(s)) =
                (self.get(excess), self.get(stock))
            {
                if e > s {
                    return Err(ReviewError::Schema {
                        path: format!("{excess}.value"),
                        expected: format!(
                            "at most {stock} ({s} tonnes): the excess is part of that stock"
                        ),
                        found: e.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The date the figures are as of.
    pub fn as_of(&self) -> Date {
        self.as_of
    }
    /// Whether the report says its figures are illustrative (a scenario, a test).
    pub fn illustrative(&self) -> bool {
        self.illustrative
    }
    /// The report's note.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
    /// The value at `path` (`warheads.total`); `NotReported` for a path that is not
    /// a field.
    pub fn get(&self, path: &str) -> &FieldValue {
        const NONE: &FieldValue = &FieldValue::NotReported;
        self.values.get(path).unwrap_or(NONE)
    }
    /// Every field with its value, in [`FIELDS`] order.
    pub fn fields(&self) -> impl Iterator<Item = (&'static FieldSpec, &FieldValue)> {
        FIELDS.iter().map(|spec| (spec, self.get(&spec.path())))
    }
    /// The reported counts bound to committed escrow totals, in the report's
    /// order.
    pub fn bindings(&self) -> &[TotalBinding] {
        &self.bindings
    }
    /// The paths of the fields left `not_reported`, in [`FIELDS`] order.
    pub fn not_reported(&self) -> Vec<String> {
        self.fields()
            .filter(|(_, v)| !v.is_reported())
            .map(|(s, _)| s.path())
            .collect()
    }
    /// The report in its JSON form (what [`Report::parse`] reads back to an equal
    /// report).
    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("format".into(), FORMAT.into());
        out.insert("as_of".into(), self.as_of.to_string().into());
        if self.illustrative {
            out.insert("illustrative".into(), true.into());
        }
        if let Some(n) = &self.note {
            out.insert("note".into(), n.as_str().into());
        }
        for section in SECTIONS {
            let mut fields = Map::new();
            for (spec, value) in self.fields().filter(|(s, _)| s.section == section) {
                fields.insert(spec.name.into(), value.to_json(spec.kind));
            }
            out.insert(section.into(), Value::Object(fields));
        }
        if !self.bindings.is_empty() {
            out.insert(
                "bindings".into(),
                self.bindings.iter().map(TotalBinding::to_json).collect(),
            );
        }
        out
    }
}

/// The schema as JSON, for documentation and `--json` output.
pub fn schema_json() -> Value {
    json!({
        "format": FORMAT,
        "not_reported": NOT_REPORTED,
        "top_level": {
            "format": format!("\"{FORMAT}\" (required)"),
            "as_of": "YYYY-MM-DD (required): the date the figures are as of",
            "illustrative": "true or false (optional, default false)",
            "note": "text (optional)",
            "bindings": "optional list of {\"field\": a reported count's path, \"declaration\": an escrow declaration id, \"opening\": {\"measure\", \"value\", \"blinding\"}}: the state asserts the field equals its committed total and opens that total",
        },
        "fields": FIELDS.iter().map(|f| json!({
            "path": f.path(), "kind": f.kind, "unit": f.kind.unit(), "meaning": f.meaning
        })).collect::<Vec<_>>(),
    })
}
