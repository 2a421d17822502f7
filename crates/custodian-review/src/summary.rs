//! The per-cycle summary a secretariat would table: the conference and its
//! outcome with sources, the preparatory committee's sessions, who was due to
//! report and who did, every reported value, and the registry's estimates beside
//! them (as estimates), and the reported counts bound to committed escrow
//! totals with their verdicts. Rendered as Markdown, CSV (one row per state,
//! one column per field), a self-contained HTML page, and open-data JSON that
//! names the signed checkpoint it was drawn from.

use crate::analysis::{self, Completeness, Estimates, ESTIMATE_CAVEAT};
use crate::cycles::Outcome;
use crate::data::PrepComRow;
use crate::engine::{ReportRef, ReviewEngine};
use crate::error::ReviewError;
use crate::schema::{FieldValue, FIELDS, NOT_REPORTED};
use crate::totals::{self, BindingCheck, CommittedTotals};
use custodian_core::StateCode;
use custodian_regime::data::{ForceEstimate, Located, ReviewConference};
use serde::Serialize;
use serde_json::{Map, Value};

/// The summary's format identifier (its JSON `format` field).
pub const SUMMARY_FORMAT: &str = "custodian/npt-review-summary/v1";

/// The signed checkpoint the summary was drawn from: the log's state when the
/// reports were read, so anyone can prove each cited leaf against it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Binding {
    /// The log's origin.
    pub origin: String,
    /// The checkpoint's tree size: the summary covers leaves below it.
    pub tree_size: u64,
    /// The checkpoint's root hash (base64, as in the checkpoint).
    pub root_hash: String,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: String,
}

/// One reporting state in a summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StateReport {
    /// Where the report is.
    pub report: ReportRef,
    /// Every field's value in the report's JSON form, by path.
    pub fields: Map<String, Value>,
    /// The registry's estimates beside it.
    pub estimates: Estimates,
}

/// A cycle's summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// [`SUMMARY_FORMAT`].
    pub format: &'static str,
    /// The cycle.
    pub cycle: u16,
    /// The review conference's row, if the data hold it.
    pub review_conference: Option<Located<ReviewConference>>,
    /// Its outcome.
    pub outcome: Outcome,
    /// The outcome as a phrase.
    pub outcome_label: &'static str,
    /// The preparatory committee's sessions.
    pub prepcoms: Vec<Located<PrepComRow>>,
    /// How many commitments the cycle adopted (review_commitments.csv).
    pub commitments_adopted: usize,
    /// Who was due, who reported, what was left out.
    pub completeness: Completeness,
    /// The reports.
    pub reports: Vec<StateReport>,
    /// [`ESTIMATE_CAVEAT`].
    pub estimate_caveat: &'static str,
    /// Every binding of every report of the cycle (all revisions), checked
    /// against the escrow record, in log order; `None`: not checked (no
    /// escrow record given).
    pub bindings: Option<Vec<BindingCheck>>,
    /// The checkpoint it is bound to (`None`: not bound; the command-line tool
    /// always binds it).
    pub checkpoint: Option<Binding>,
}

/// Builds the summary of `cycle`; the reports' bindings are checked against
/// `committed` when it is given.
pub fn build(
    engine: &ReviewEngine,
    cycle: u16,
    nuclear_weapon_states: &[StateCode],
    forces: &[Located<ForceEstimate>],
    committed: Option<&dyn CommittedTotals>,
    checkpoint: Option<Binding>,
) -> Result<Summary, ReviewError> {
    let c = engine.cycles().require(cycle)?;
    let completeness = analysis::completeness(engine, cycle, nuclear_weapon_states)?;
    let reports = engine
        .reports_for_cycle(cycle)
        .map(|r| StateReport {
            report: r.reference(),
            fields: r
                .report
                .fields()
                .map(|(spec, v)| (spec.path(), v.to_json(spec.kind)))
                .collect(),
            estimates: analysis::estimates(r.state, &r.report, forces),
        })
        .collect();
    Ok(Summary {
        format: SUMMARY_FORMAT,
        cycle,
        review_conference: c.review_conference.clone(),
        outcome: c.outcome,
        outcome_label: c.outcome.label(),
        prepcoms: c.prepcoms.clone(),
        commitments_adopted: c.commitments.len(),
        completeness,
        reports,
        estimate_caveat: ESTIMATE_CAVEAT,
        bindings: committed.map(|t| totals::check_cycle(engine, cycle, t)),
        checkpoint,
    })
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) if s == NOT_REPORTED => "not reported".into(),
        Value::String(s) => s.clone(),
        Value::Object(o) => format!(
            "{} {}",
            o.get("value").map(Value::to_string).unwrap_or_default(),
            o.get("unit").and_then(Value::as_str).unwrap_or("")
        ),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Object(o) => o.get("value").map(Value::to_string).unwrap_or_default(),
        other => value_text(other).replace("not reported", NOT_REPORTED),
    }
}

fn conference_line(s: &Summary) -> String {
    match &s.review_conference {
        Some(rc) => format!(
            "{} {}, {}, {}",
            rc.row.meeting,
            rc.row.year,
            rc.row.venue,
            rc.row
                .dates
                .map_or("dates not sourced".to_string(), |d| d.to_string())
        ),
        None => "The review conference of this cycle is not in the bundled data (review_conferences.csv)".into(),
    }
}

fn md_escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The summary as Markdown.
pub fn markdown(s: &Summary) -> String {
    let mut out = String::new();
    let mut line = |t: String| {
        out.push_str(&t);
        out.push('\n');
    };
    line(format!("# NPT review cycle {}: summary", s.cycle));
    line(String::new());
    line(format!("- Conference: {}", md_escape(&conference_line(s))));
    line(format!("- Outcome: {}", s.outcome_label));
    if let Some(rc) = &s.review_conference {
        if let Some(o) = &rc.row.outcome {
            line(format!("  - as the source states it: {}", md_escape(o)));
        }
        line(format!("  - source: {}", md_escape(rc.row.source.as_str())));
        if let Some(n) = &rc.row.note {
            line(format!("  - note: {}", md_escape(n)));
        }
    }
    line(format!(
        "- Commitments adopted in this cycle (review_commitments.csv): {}",
        s.commitments_adopted
    ));
    if let Some(b) = &s.checkpoint {
        line(format!(
            "- Drawn from the log {} at tree size {} (root {}); the signed checkpoint is in the JSON export.",
            b.origin, b.tree_size, b.root_hash
        ));
    }
    line(String::new());
    line("## Preparatory committee".into());
    line(String::new());
    if s.prepcoms.is_empty() {
        line("No session in review_prepcoms.csv.".into());
    } else {
        line("| session | venue | dates | chair | outcome | source |".into());
        line("|---|---|---|---|---|---|".into());
        for p in &s.prepcoms {
            let r = &p.row;
            line(format!(
                "| {} | {} | {} | {} | {} | {} |",
                r.session,
                md_escape(&r.venue),
                r.dates.map_or("not sourced".into(), |d| d.to_string()),
                md_escape(r.chair.as_deref().unwrap_or("not sourced")),
                md_escape(r.outcome.as_deref().unwrap_or("not sourced")),
                md_escape(r.source.as_str())
            ));
        }
    }
    line(String::new());
    line("## Reporting".into());
    line(String::new());
    let c = &s.completeness;
    line(format!(
        "Due to report: {} (the nuclear-weapon States parties as of {}, and every state that reported). Reported: {}. Not reported: {}.",
        codes(&c.due),
        c.judged_at,
        codes(&c.reported),
        codes(&c.missing)
    ));
    line(String::new());
    line("| state | due because | report | fields reported | left not reported |".into());
    line("|---|---|---|---|---|".into());
    for st in &c.states {
        line(format!(
            "| {} | {} | {} | {} of {} | {} |",
            st.state,
            st.due_because,
            st.report.as_ref().map_or("none".to_string(), |r| format!(
                "leaf {}, {} (as of {}{}){}",
                r.leaf,
                r.event,
                r.as_of,
                if r.revision > 1 {
                    format!(", revision {}", r.revision)
                } else {
                    String::new()
                },
                if r.illustrative { ", ILLUSTRATIVE" } else { "" }
            )),
            st.fields_reported,
            st.fields_total,
            not_reported_text(st)
        ));
    }
    if !s.reports.is_empty() {
        line(String::new());
        line("## Reported values".into());
        line(String::new());
        let mut header = "| field |".to_string();
        let mut rule = "|---|".to_string();
        for r in &s.reports {
            header.push_str(&format!(" {} |", r.report.state));
            rule.push_str("---|");
        }
        line(header);
        line(rule);
        for spec in FIELDS {
            let path = spec.path();
            let mut row = format!("| {path} |");
            for r in &s.reports {
                row.push_str(&format!(
                    " {} |",
                    md_escape(&r.fields.get(&path).map(value_text).unwrap_or_default())
                ));
            }
            line(row);
        }
        line(String::new());
        line("## Published estimates (not findings)".into());
        line(String::new());
        line(format!("> {}", s.estimate_caveat));
        line(String::new());
        line("| state | quantity | reported | estimate | year | source |".into());
        line("|---|---|---|---|---|---|".into());
        for r in &s.reports {
            if r.estimates.lines.is_empty() {
                line(format!(
                    "| {} | | | | | {} |",
                    r.report.state, r.estimates.year_rule
                ));
            }
            for e in &r.estimates.lines {
                line(format!(
                    "| {} | {} | {} | ~{} ({}) | {} | {} |",
                    r.report.state,
                    e.quantity,
                    e.reported.map_or("not reported".into(), |n| n.to_string()),
                    e.estimate,
                    e.estimate_column,
                    e.year,
                    md_escape(&e.source)
                ));
            }
        }
    }
    if let Some(checks) = s.bindings.as_ref().filter(|c| !c.is_empty()) {
        line(String::new());
        line("## Reported totals bound to committed totals".into());
        line(String::new());
        line(format!("> {BINDINGS_NOTE}"));
        line(String::new());
        line(
            "| state | revision | field | reported | declaration | measure | opened | verdict |"
                .into(),
        );
        line("|---|---|---|---|---|---|---|---|".into());
        for b in checks {
            line(format!(
                "| {} | {} | {} | {} {} | {} | {} | {} | {} |",
                b.state,
                b.revision,
                b.field,
                b.reported,
                b.unit,
                b.declaration,
                md_escape(&b.measure),
                b.opened,
                b.verdict.label()
            ));
        }
        for b in checks.iter().filter(|b| b.finding) {
            line(String::new());
            line(format!(
                "- **{}**: {}",
                b.verdict.as_str(),
                md_escape(&b.message)
            ));
        }
    }
    out
}

/// Said wherever bindings are listed.
pub const BINDINGS_NOTE: &str = "A state may bind a reported count to a total it committed in escrow and open that total. Each binding is checked against the log's escrow record: the declaration is the state's, the opening opens the committed total, and that total is the reported figure. A failure is a finding against the report, which stays in the log as filed.";

/// "none", the fields left out, or "no report at all".
fn not_reported_text(st: &analysis::StateCompleteness) -> String {
    if st.report.is_none() {
        "everything: no report filed".into()
    } else if st.not_reported.is_empty() {
        "none".into()
    } else {
        st.not_reported.join(", ")
    }
}

fn codes(list: &[StateCode]) -> String {
    if list.is_empty() {
        "none".into()
    } else {
        list.iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The CSV header of [`csv`].
pub fn csv_header() -> Vec<String> {
    let mut h: Vec<String> = [
        "cycle",
        "state",
        "due_because",
        "reported",
        "revision",
        "leaf",
        "event",
        "as_of",
        "illustrative",
        "fields_reported",
        "fields_total",
        "not_reported",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    h.extend(FIELDS.iter().map(|f| f.path()));
    h
}

/// The summary as RFC 4180 CSV (CRLF line ends): one row per due state, one
/// column per field (`not_reported` where not reported; empty where the state
/// filed no report).
pub fn csv(s: &Summary) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut rows = vec![csv_header()];
    for st in &s.completeness.states {
        let report = s.reports.iter().find(|r| r.report.state == st.state);
        let mut row = vec![
            s.cycle.to_string(),
            st.state.to_string(),
            st.due_because.to_string(),
            report.is_some().to_string(),
            st.report
                .as_ref()
                .map_or(String::new(), |r| r.revision.to_string()),
            st.report
                .as_ref()
                .map_or(String::new(), |r| r.leaf.to_string()),
            st.report
                .as_ref()
                .map_or(String::new(), |r| r.event.clone()),
            st.report
                .as_ref()
                .map_or(String::new(), |r| r.as_of.clone()),
            st.report
                .as_ref()
                .map_or(String::new(), |r| r.illustrative.to_string()),
            st.fields_reported.to_string(),
            st.fields_total.to_string(),
            st.not_reported.join(" "),
        ];
        for spec in FIELDS {
            row.push(
                report
                    .and_then(|r| r.fields.get(&spec.path()))
                    .map_or(String::new(), cell),
            );
        }
        rows.push(row);
    }
    for row in rows {
        // Writing to a Vec cannot fail; a record of strings is always valid CSV.
        w.write_record(&row).expect("CSV into memory");
    }
    String::from_utf8(w.into_inner().expect("CSV into memory")).expect("UTF-8 cells")
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The summary as one self-contained HTML page (inline style, no script, no
/// external resource).
pub fn html(s: &Summary) -> String {
    let mut b = String::new();
    b.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    b.push_str(&format!(
        "<title>NPT review cycle {}: summary</title>\n",
        s.cycle
    ));
    b.push_str("<style>body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}table{border-collapse:collapse;margin:1rem 0;width:100%}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}th{background:#eef}td.nr{color:#a40;font-style:italic}.caveat{background:#fff6dd;border-left:4px solid #c90;padding:.5rem 1rem}.src{font-size:.8rem;color:#555;word-break:break-all}pre{white-space:pre-wrap;font-size:.8rem;background:#f4f4f4;padding:.5rem}</style>\n</head>\n<body>\n");
    b.push_str(&format!("<h1>NPT review cycle {}</h1>\n", s.cycle));
    b.push_str(&format!(
        "<p><strong>Conference:</strong> {}<br><strong>Outcome:</strong> {}</p>\n",
        esc(&conference_line(s)),
        esc(s.outcome_label)
    ));
    if let Some(rc) = &s.review_conference {
        b.push_str(&format!(
            "<p class=\"src\">Source: {}{}</p>\n",
            esc(rc.row.source.as_str()),
            rc.row
                .note
                .as_deref()
                .map(|n| format!("<br>Note: {}", esc(n)))
                .unwrap_or_default()
        ));
    }
    b.push_str(&format!(
        "<p>Commitments adopted in this cycle: {}.</p>\n",
        s.commitments_adopted
    ));
    b.push_str("<h2>Preparatory committee</h2>\n<table><tr><th>session</th><th>venue</th><th>dates</th><th>chair</th><th>outcome</th><th>source</th></tr>\n");
    for p in &s.prepcoms {
        let r = &p.row;
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"src\">{}</td></tr>\n",
            esc(&r.session),
            esc(&r.venue),
            esc(&r.dates.map_or("not sourced".into(), |d| d.to_string())),
            esc(r.chair.as_deref().unwrap_or("not sourced")),
            esc(r.outcome.as_deref().unwrap_or("not sourced")),
            esc(r.source.as_str())
        ));
    }
    b.push_str("</table>\n");
    let c = &s.completeness;
    b.push_str(&format!(
        "<h2>Reporting</h2>\n<p>Due: {} (nuclear-weapon States parties as of {}, and every state that reported). Reported: {}. <strong>Not reported: {}.</strong></p>\n",
        esc(&codes(&c.due)),
        esc(&c.judged_at),
        esc(&codes(&c.reported)),
        esc(&codes(&c.missing))
    ));
    b.push_str("<table><tr><th>state</th><th>due because</th><th>report</th><th>fields reported</th><th>left not reported</th></tr>\n");
    for st in &c.states {
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} of {}</td><td{}>{}</td></tr>\n",
            st.state,
            esc(st.due_because),
            esc(&st.report.as_ref().map_or("none".to_string(), |r| format!(
                "leaf {}, {} (as of {}){}",
                r.leaf,
                r.event,
                r.as_of,
                if r.illustrative { ", ILLUSTRATIVE" } else { "" }
            ))),
            st.fields_reported,
            st.fields_total,
            if st.report.is_none() || !st.not_reported.is_empty() {
                " class=\"nr\""
            } else {
                ""
            },
            esc(&not_reported_text(st))
        ));
    }
    b.push_str("</table>\n");
    if !s.reports.is_empty() {
        b.push_str("<h2>Reported values</h2>\n<table><tr><th>field</th>");
        for r in &s.reports {
            b.push_str(&format!("<th>{}</th>", r.report.state));
        }
        b.push_str("</tr>\n");
        for spec in FIELDS {
            let path = spec.path();
            b.push_str(&format!("<tr><td>{}</td>", esc(&path)));
            for r in &s.reports {
                let v = r.fields.get(&path).cloned().unwrap_or(Value::Null);
                let nr = v.as_str() == Some(NOT_REPORTED);
                b.push_str(&format!(
                    "<td{}>{}</td>",
                    if nr { " class=\"nr\"" } else { "" },
                    esc(&value_text(&v))
                ));
            }
            b.push_str("</tr>\n");
        }
        b.push_str("</table>\n<h2>Published estimates (not findings)</h2>\n");
        b.push_str(&format!(
            "<p class=\"caveat\">{}</p>\n",
            esc(s.estimate_caveat)
        ));
        b.push_str("<table><tr><th>state</th><th>quantity</th><th>reported</th><th>estimate</th><th>year</th><th>source</th></tr>\n");
        for r in &s.reports {
            for e in &r.estimates.lines {
                b.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>~{} ({})</td><td>{}</td><td class=\"src\">{}</td></tr>\n",
                    r.report.state,
                    esc(e.quantity),
                    e.reported.map_or("not reported".into(), |n| n.to_string()),
                    e.estimate,
                    e.estimate_column,
                    e.year,
                    esc(&e.source)
                ));
            }
        }
        b.push_str("</table>\n");
    }
    if let Some(checks) = s.bindings.as_ref().filter(|c| !c.is_empty()) {
        b.push_str("<h2>Reported totals bound to committed totals</h2>\n");
        b.push_str(&format!("<p class=\"caveat\">{}</p>\n", esc(BINDINGS_NOTE)));
        b.push_str("<table><tr><th>state</th><th>revision</th><th>field</th><th>reported</th><th>declaration</th><th>measure</th><th>opened</th><th>verdict</th></tr>\n");
        for c in checks {
            b.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td{}>{}</td></tr>\n",
                c.state,
                c.revision,
                esc(&c.field),
                c.reported,
                esc(c.unit),
                esc(c.declaration.as_str()),
                esc(&c.measure),
                c.opened,
                if c.finding { " class=\"nr\"" } else { "" },
                esc(&c.verdict.label())
            ));
        }
        b.push_str("</table>\n<ul>\n");
        for c in checks.iter().filter(|c| c.finding) {
            b.push_str(&format!(
                "<li><strong>{}</strong>: {}</li>\n",
                c.verdict.as_str(),
                esc(&c.message)
            ));
        }
        b.push_str("</ul>\n");
    }
    if let Some(cp) = &s.checkpoint {
        b.push_str(&format!(
            "<h2>Bound to the log</h2>\n<p>Drawn from the log {} at tree size {}. Every report above is a leaf of this checkpoint; prove it with <code>custodian log prove LEAF</code>.</p>\n<pre>{}</pre>\n",
            esc(&cp.origin),
            cp.tree_size,
            esc(&cp.checkpoint)
        ));
    }
    b.push_str("</body>\n</html>\n");
    b
}

/// The summary as open-data JSON.
pub fn json(s: &Summary) -> Value {
    // Every field of `Summary` is plain data (strings, numbers, maps).
    serde_json::to_value(s).unwrap_or(Value::Null)
}

/// Whether a value in a summary's `fields` is `not_reported`.
pub fn is_not_reported(v: &Value) -> bool {
    v.as_str() == Some(NOT_REPORTED)
}

/// The value of `path` in a report, as a field value (for callers holding the
/// report itself).
pub fn field_text(value: &FieldValue, path: &str) -> String {
    crate::schema::spec(path).map_or_else(String::new, |spec| value.display(spec.kind))
}
