//! `custodian review ...`: the NPT review cycle. Cycles, outcomes and
//! commitments come from the bundled sourced data; states' reports are
//! `review.report` events of the log, validated by the review engine on append
//! and on every replay; summaries are bound to the log's latest signed
//! checkpoint. A report's bindings to committed escrow totals are checked here,
//! where both the reports and the escrow record are known ([`EscrowTotals`]).

use crate::cli::{Cli, ReviewCommand, ReviewReportCommand};
use crate::logcmd::{open_log, print_receipt, read_log_key};
use crate::views::ParamError;
use crate::{output, CmdResult, Failure};
use anyhow::{anyhow, Context};
use custodian_core::event::ReviewReport;
use custodian_core::{
    ActorId, DeclarationId, Event, EventId, EventKind, Payload, StateCode, Submission,
};
use custodian_escrow::ledger::EscrowLedger;
use custodian_escrow::TotalOpening;
use custodian_regime::Registry;
use custodian_review::analysis::{self, Change};
use custodian_review::schema::{self, FieldValue};
use custodian_review::summary::{self, Binding};
use custodian_review::totals::{self, BindingCheck, Citation, Committed, CommittedTotals};
use custodian_review::{Cycle, Cycles, ReviewEngine, ReviewError};
use custodian_store::any::AnyStore;
use custodian_store::log::Log;
use custodian_store::Store;
use serde_json::{json, Map, Value};
use std::path::Path;

/// Runs a review command.
pub fn run(cli: &Cli, cmd: &ReviewCommand) -> CmdResult {
    match cmd {
        ReviewCommand::Cycles => cycles(cli),
        ReviewCommand::Cycle { year } => cycle(cli, *year),
        ReviewCommand::Report(ReviewReportCommand::Submit { file, key }) => submit(cli, file, key),
        ReviewCommand::Report(ReviewReportCommand::Show { state, year }) => show(cli, state, *year),
        ReviewCommand::Compare {
            state,
            earlier,
            later,
        } => compare(cli, state, *earlier, *later),
        ReviewCommand::Summary { year, out } => summary_cmd(cli, *year, out),
        ReviewCommand::Schema => {
            let doc = schema::schema_json();
            if cli.json {
                output::json(&doc);
            } else {
                println!("{}", serde_json::to_string_pretty(&doc)?);
            }
            Ok(())
        }
        ReviewCommand::Scenario => scenario(cli),
    }
}

fn state_arg(text: &str) -> anyhow::Result<StateCode> {
    StateCode::parse(text).map_err(|e| anyhow!("STATE {text:?}: {e}"))
}

/// The cycle of `year`, accepting the year a conference met in (2022 → 2020).
fn cycle_arg(year: u16) -> anyhow::Result<&'static Cycle> {
    let cycles = Cycles::bundled();
    cycles
        .resolve(year)
        .ok_or_else(|| anyhow!("{}", cycles.require(year).unwrap_err()))
}

/// The review engine with every `review.report` of the log, re-checked (the
/// submitter's party from the log's actor registry).
pub fn engine_of<S: Store>(log: &Log<S>) -> anyhow::Result<ReviewEngine> {
    let mut engine = ReviewEngine::default();
    for (leaf, event) in log.events_of_kind(EventKind::ReviewReport)? {
        let party = log.registry().get(&event.actor).map(|r| r.party.clone());
        engine
            .apply(leaf, &event, party.as_ref())
            .map_err(|e| anyhow!("leaf {}: {e}; run `custodian audit`", leaf.0))?;
    }
    Ok(engine)
}

/// The escrow record as the review's bindings see it: who committed a
/// declaration, and whether an opening opens one of its Pedersen totals
/// (`custodian_escrow::Commitment::verify_total_opening`).
pub struct EscrowTotals<'a>(pub &'a EscrowLedger);

impl CommittedTotals for EscrowTotals<'_> {
    fn committed(&self, id: &DeclarationId) -> Option<Committed> {
        self.0.declaration(id).map(|d| Committed {
            state: d.state,
            by: Citation {
                kind: "escrow.commit",
                leaf: d.by.leaf,
                event: d.by.event.clone(),
                time: d.by.time,
            },
        })
    }

    fn verify_opening(
        &self,
        id: &DeclarationId,
        opening: &Map<String, Value>,
    ) -> Result<(), String> {
        let d = self
            .0
            .declaration(id)
            .ok_or_else(|| format!("no declaration {id}"))?;
        let opening: TotalOpening = serde_json::from_value(Value::Object(opening.clone()))
            .map_err(|e| {
                format!("the opening is not a total opening of the escrow (FORMATS.md §15.15): {e}")
            })?;
        d.commitment
            .verify_total_opening(&opening)
            .map_err(|e| e.to_string())
    }
}

/// The escrow record of the log, for checking bindings.
fn escrow_of<S: Store>(log: &Log<S>) -> anyhow::Result<EscrowLedger> {
    crate::escrowcmd::ledger_of(log)
}

/// The binding checks as text: one line each, and for a finding its message
/// and the events it cites.
pub fn print_bindings(checks: &[BindingCheck]) {
    for b in checks {
        println!(
            "  rev {}  {} = {} {}  bound to {} {} (opened {}): {}",
            b.revision,
            b.field,
            b.reported,
            b.unit,
            b.declaration,
            b.measure,
            b.opened,
            b.verdict.label()
        );
        if b.finding {
            println!("         {}", b.message);
            for e in &b.events {
                println!(
                    "         leaf {} event {} ({}, {})",
                    e.leaf.0, e.event, e.kind, e.time
                );
            }
        }
    }
}

/// The treaty registry of the log, or the bundled one when the log holds none
/// (the second value says which).
fn registry_of(log: &Log<AnyStore>) -> anyhow::Result<(Registry, &'static str)> {
    if crate::regimecmd::logged_rows(log)?.is_empty() {
        let today = crate::input::now().date();
        Ok((
            Registry::bundled(today)?,
            "the bundled registry (the log holds no registry rows)",
        ))
    } else {
        Ok((
            crate::regimecmd::registry_from_log(log)?,
            "the log's registry",
        ))
    }
}

fn codes(list: &[StateCode]) -> String {
    if list.is_empty() {
        "none".into()
    } else {
        list.iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn clip(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        format!("{}...", text.chars().take(n).collect::<String>())
    }
}

/// `review cycles`.
fn cycles(cli: &Cli) -> CmdResult {
    let cycles = Cycles::bundled();
    let rows: Vec<Value> = cycles
        .iter()
        .map(|c| {
            json!({
                "cycle": c.year,
                "review_conference": c.review_conference.as_ref().map(|rc| json!({
                    "meeting": rc.row.meeting, "year": rc.row.year, "venue": rc.row.venue,
                    "dates": rc.row.dates.map(|d| d.to_string()), "outcome": rc.row.outcome,
                    "source": rc.row.source.as_str(), "note": rc.row.note,
                })),
                "outcome": c.outcome,
                "outcome_label": c.outcome.label(),
                "prepcom_sessions": c.prepcoms.len(),
                "commitments": c.commitments.len(),
            })
        })
        .collect();
    if cli.json {
        output::json(&json!({"cycles": rows}));
        return Ok(());
    }
    println!(
        "{:<6} {:<40} {:<23} {:<40} {:>8} {:>11}",
        "cycle", "conference", "dates", "outcome", "prepcom", "commitments"
    );
    for c in cycles.iter() {
        let (meeting, dates) = match &c.review_conference {
            Some(rc) => (
                format!("{} {}, {}", rc.row.meeting, rc.row.year, rc.row.venue),
                rc.row
                    .dates
                    .map_or("not sourced".to_string(), |d| d.to_string()),
            ),
            None => ("(not in review_conferences.csv)".into(), "-".into()),
        };
        println!(
            "{:<6} {:<40} {:<23} {:<40} {:>8} {:>11}",
            c.year,
            clip(&meeting, 40),
            dates,
            c.outcome.label(),
            c.prepcoms.len(),
            c.commitments.len()
        );
    }
    println!("Sources per row: `custodian review cycle YEAR` (data/SOURCES.md).");
    Ok(())
}

/// `review cycle YEAR`.
fn cycle(cli: &Cli, year: u16) -> CmdResult {
    let c = cycle_arg(year)?;
    let completeness = if cli.log_may_exist() {
        let log = open_log(cli)?;
        let engine = engine_of(&log)?;
        let escrow = escrow_of(&log)?;
        let (registry, from) = registry_of(&log)?;
        let nws = analysis::nuclear_weapon_states(&registry, c.reference_date())?;
        let checks = totals::check_cycle(&engine, c.year, &EscrowTotals(&escrow));
        Some((analysis::completeness(&engine, c.year, &nws)?, from, checks))
    } else {
        None
    };
    if cli.json {
        output::json(&json!({
            "cycle": c,
            "outcome_label": c.outcome.label(),
            "completeness": completeness.as_ref().map(|(c, _, _)| c),
            "due_states_from": completeness.as_ref().map(|(_, f, _)| f),
            "bindings": completeness.as_ref().map(|(_, _, b)| b),
        }));
        return Ok(());
    }
    if c.year != year {
        println!("(the conference of the {} cycle met in {year})", c.year);
    }
    println!("NPT review cycle {}", c.year);
    match &c.review_conference {
        Some(rc) => {
            let r = &rc.row;
            println!(
                "  conference: {} {}, {}, {}",
                r.meeting,
                r.year,
                r.venue,
                r.dates.map_or("dates not sourced".into(), |d| d.to_string())
            );
            println!("  outcome:    {}", c.outcome.label());
            if let Some(o) = &r.outcome {
                println!("              as the source states it: {o}");
            }
            println!("  source:     {}", r.source);
            if let Some(n) = &r.note {
                println!("  note:       {n}");
            }
        }
        None => println!("  conference: not in the bundled review_conferences.csv (dates and outcome not sourced)"),
    }
    for other in &c.other_rows {
        let r = &other.row;
        println!(
            "  also:       {} ({}): {}; source {}",
            r.meeting,
            r.year,
            r.outcome.as_deref().unwrap_or("outcome not sourced"),
            clip(r.source.as_str(), 80)
        );
    }
    println!("\nPreparatory committee ({} session(s)):", c.prepcoms.len());
    for p in &c.prepcoms {
        let r = &p.row;
        println!(
            "  {:<4} {:<9} {:<23} chair {}; outcome {}",
            r.session,
            r.venue,
            r.dates.map_or("not sourced".into(), |d| d.to_string()),
            r.chair.as_deref().unwrap_or("not sourced"),
            r.outcome.as_deref().unwrap_or("not sourced")
        );
        println!("       source: {}", r.source);
    }
    println!("\nCommitments adopted ({}):", c.commitments.len());
    for m in &c.commitments {
        let r = &m.row;
        println!(
            "  {:<12} {:<20} {} (adopted {})",
            r.id,
            clip(&r.paragraph, 20),
            r.short_text,
            r.adopted
        );
    }
    if let Some(first) = c.commitments.first() {
        println!(
            "  document: {}; sources per row in --json (first: {})",
            first.row.document,
            clip(first.row.source.as_str(), 100)
        );
    }
    match &completeness {
        Some((comp, from, checks)) => {
            print_completeness(comp, from);
            if !checks.is_empty() {
                let findings = checks.iter().filter(|b| b.finding).count();
                println!(
                    "\nReported totals bound to committed escrow totals (every revision): {} bound and verified, {findings} finding(s):",
                    checks.len() - findings
                );
                print_bindings(checks);
            }
        }
        None => println!(
            "\nCompleteness: no log at {} (give --db to see who reported).",
            cli.db_target()
        ),
    }
    Ok(())
}

fn print_completeness(c: &analysis::Completeness, from: &str) {
    println!(
        "\nReporting in the {} cycle (nuclear-weapon States parties as of {}, from {}):",
        c.cycle, c.judged_at, from
    );
    println!(
        "  due: {}   reported: {}   NOT REPORTED: {}",
        codes(&c.due),
        codes(&c.reported),
        codes(&c.missing)
    );
    for s in &c.states {
        match &s.report {
            Some(r) => println!(
                "  {}  reported (leaf {}, {}, as of {}{}): {} of {} fields; left not reported: {}",
                s.state,
                r.leaf,
                r.event,
                r.as_of,
                if r.illustrative { ", ILLUSTRATIVE" } else { "" },
                s.fields_reported,
                s.fields_total,
                if s.not_reported.is_empty() {
                    "none".to_string()
                } else {
                    s.not_reported.join(", ")
                }
            ),
            None => println!("  {}  no report ({})", s.state, s.due_because),
        }
    }
}

/// The 1-based line of the JSON member at `path` (`report.warheads.total.value`,
/// `report.measures.transparency[2]`) in `text`, or of its nearest enclosing
/// member that is present.
fn line_of(text: &str, path: &str) -> Option<usize> {
    enum Frame {
        Object(Option<String>),
        Array(usize),
    }
    let mut stack: Vec<(String, Frame)> = Vec::new();
    let mut lines: std::collections::BTreeMap<String, usize> = Default::default();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    let current = |stack: &Vec<(String, Frame)>| -> String {
        match stack.last() {
            Some((base, Frame::Object(Some(key)))) => {
                if base.is_empty() {
                    key.clone()
                } else {
                    format!("{base}.{key}")
                }
            }
            Some((base, Frame::Array(i))) => format!("{base}[{i}]"),
            Some((base, Frame::Object(None))) => base.clone(),
            None => String::new(),
        }
    };
    let mut expecting_key = false;
    // An array element's line is that of its first character, which may be on
    // a later line than the `[` or `,` before it.
    let mut pending: Option<String> = None;
    while let Some(c) = chars.next() {
        if !c.is_whitespace() && c != ']' {
            if let Some(p) = pending.take() {
                lines.entry(p).or_insert(line);
            }
        }
        match c {
            '\n' => line += 1,
            '{' => {
                let base = current(&stack);
                stack.push((base, Frame::Object(None)));
                expecting_key = true;
            }
            '[' => {
                let base = current(&stack);
                pending = Some(format!("{base}[0]"));
                stack.push((base, Frame::Array(0)));
            }
            '}' | ']' => {
                stack.pop();
                expecting_key = false;
                pending = None;
            }
            ',' => match stack.last_mut() {
                Some((_, Frame::Object(_))) => expecting_key = true,
                Some((base, Frame::Array(i))) => {
                    *i += 1;
                    pending = Some(format!("{base}[{i}]"));
                }
                None => {}
            },
            '"' => {
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                s.push(n);
                            }
                        }
                        '"' => break,
                        '\n' => {
                            line += 1;
                            s.push(c)
                        }
                        c => s.push(c),
                    }
                }
                if expecting_key {
                    if let Some((_, Frame::Object(key))) = stack.last_mut() {
                        *key = Some(s);
                    }
                    lines.entry(current(&stack)).or_insert(line);
                    expecting_key = false;
                }
            }
            _ => {}
        }
    }
    let mut p = path.to_string();
    loop {
        if let Some(l) = lines.get(&p) {
            return Some(*l);
        }
        let cut = p.rfind(['.', '['])?;
        p.truncate(cut);
    }
}

/// `file:line: message; nothing applied` for a review error about the payload in
/// `text`.
fn at_line(name: &str, text: &str, e: &ReviewError) -> anyhow::Error {
    let line = e
        .field()
        .and_then(|f| line_of(text, &f))
        .map(|l| format!(":{l}"))
        .unwrap_or_default();
    anyhow!("{name}{line}: {e}; nothing applied")
}

/// `review report submit FILE --key KEY`.
fn submit(cli: &Cli, file: &Path, key_path: &Path) -> CmdResult {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("{name}: cannot read the file (expected UTF-8 JSON)"))?;
    let value = custodian_core::canonical::parse_strict(&text)
        .map_err(|e| anyhow!("{name}: malformed JSON: {e}; nothing applied"))?;
    let object = value.as_object().ok_or_else(|| {
        anyhow!("{name}:1: expected a JSON object {{\"state\", \"cycle\", \"report\"}}; nothing applied")
    })?;
    for key in object.keys() {
        if !["state", "cycle", "report"].contains(&key.as_str()) {
            let line = line_of(&text, key)
                .map(|l| format!(":{l}"))
                .unwrap_or_default();
            bail!("{name}{line}: field {key}: no such field (a report file holds state, cycle and report); nothing applied");
        }
    }
    let state = match object.get("state") {
        Some(Value::String(s)) => StateCode::parse(s).map_err(|e| {
            anyhow!(
                "{name}:{}: field state: {e}; nothing applied",
                line_of(&text, "state").unwrap_or(1)
            )
        })?,
        _ => bail!("{name}: field state: expected an ISO 3166-1 alpha-3 code such as \"GBR\"; nothing applied"),
    };
    let cycle = object
        .get("cycle")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .ok_or_else(|| {
            anyhow!(
                "{name}: field cycle: expected a review cycle's year such as 2015; nothing applied"
            )
        })?;
    let report = match object.get("report") {
        Some(Value::Object(r)) => r.clone(),
        _ => bail!(
            "{name}: field report: expected an object in the format {}; nothing applied",
            schema::FORMAT
        ),
    };
    let payload = ReviewReport {
        state,
        cycle,
        report,
    };
    let mut log = open_log(cli)?;
    let key = crate::keyfile::read_signing_key(key_path)?;
    let actor = ActorId::parse(key.name())
        .with_context(|| format!("{}: the key's name is not an actor id", key_path.display()))?;
    let record = log.registry().get(&actor).ok_or_else(|| {
        anyhow!(
            "{}: actor {:?} is not registered in this log; nothing applied",
            key_path.display(),
            actor.as_str()
        )
    })?;
    let party = record.party.clone();
    let now = crate::input::now();
    let engine = engine_of(&log)?;
    engine
        .validate(&payload, &actor, Some(&party), now)
        .map_err(|e| at_line(&name, &text, &e))?;
    let log_key = read_log_key(cli)?;
    let seq = crate::logcmd::next_seq(&log, &actor)?;
    let event = Event {
        id: EventId::parse(&format!("{actor}:{seq}:0"))?,
        time: now,
        actor: actor.clone(),
        payload: Payload::ReviewReport(payload),
        approvals: Vec::new(),
    };
    let submission = Submission {
        log: log.meta().origin.clone(),
        actor,
        seq,
        events: vec![event],
    };
    submission
        .check()
        .map_err(|e| anyhow!("{name}: {e}; nothing applied"))?;
    let signed = custodian_ledger::submission::sign_submission(submission, &key)?;
    let receipt = crate::record::append(&mut log, &[signed], &log_key)?
        .map_err(|e| anyhow!("{name}: {e}; nothing applied"))?;
    print_receipt(cli, &receipt);
    Ok(())
}

fn value_line(spec: &schema::FieldSpec, v: &FieldValue) -> String {
    v.display(spec.kind)
}

/// `review report show STATE YEAR`.
fn show(cli: &Cli, state: &str, year: u16) -> CmdResult {
    let state = state_arg(state)?;
    let c = cycle_arg(year)?;
    let log = open_log(cli)?;
    let engine = engine_of(&log)?;
    let r = engine.require(state, c.year)?;
    let (registry, _) = registry_of(&log)?;
    let est = analysis::estimates(state, &r.report, registry.force_estimates());
    let revisions: Vec<_> = engine
        .revisions(state, c.year)
        .iter()
        .map(|r| r.reference())
        .collect();
    let escrow = escrow_of(&log)?;
    let checks = totals::check_state(&engine, state, c.year, &EscrowTotals(&escrow));
    if cli.json {
        output::json(&json!({
            "report": r.reference(),
            "note": r.report.note(),
            "content": Value::Object(r.report.to_json()),
            "not_reported": r.report.not_reported(),
            "revisions": revisions,
            "bindings": checks,
            "estimates": est,
        }));
        return Ok(());
    }
    let re = r.reference();
    println!(
        "Report of {} to the {} review cycle: leaf {}, event {}, by {} at {}; figures as of {}{}",
        state,
        c.year,
        re.leaf,
        re.event,
        re.actor,
        re.time,
        re.as_of,
        if revisions.len() > 1 {
            format!(" (revision {} of {})", re.revision, revisions.len())
        } else {
            String::new()
        }
    );
    if r.report.illustrative() {
        println!("ILLUSTRATIVE: the report marks its figures as illustrative.");
    }
    if let Some(n) = r.report.note() {
        println!("note: {n}");
    }
    for (spec, v) in r.report.fields() {
        println!(
            "  {:<44} {}",
            spec.path(),
            if v.is_reported() {
                clip(&value_line(spec, v), 100)
            } else {
                "NOT REPORTED".into()
            }
        );
    }
    if !checks.is_empty() {
        println!(
            "\nReported totals bound to committed escrow totals (every revision; the state opens each total it binds):"
        );
        print_bindings(&checks);
    }
    print_estimates(&est);
    Ok(())
}

fn print_estimates(est: &analysis::Estimates) {
    println!(
        "\nPublished estimates for {} ({}: {}) -- estimates, not findings:",
        est.state,
        est.year_used.map_or("none".into(), |y| y.to_string()),
        est.year_rule
    );
    for l in &est.lines {
        println!(
            "  {:<32} reported {:>8}   estimate ~{:<6} ({}, {})",
            l.quantity,
            l.reported.map_or("n/r".into(), |n| n.to_string()),
            l.estimate,
            l.year,
            clip(&l.source, 70)
        );
    }
    println!("  {}", est.caveat);
}

/// `review compare STATE Y1 Y2`.
fn compare(cli: &Cli, state: &str, earlier: u16, later: u16) -> CmdResult {
    let state = state_arg(state)?;
    let (a, b) = (cycle_arg(earlier)?, cycle_arg(later)?);
    let log = open_log(cli)?;
    let engine = engine_of(&log)?;
    let (ra, rb) = (
        engine.require(state, a.year)?,
        engine.require(state, b.year)?,
    );
    let cmp = analysis::compare(ra, rb);
    let (registry, _) = registry_of(&log)?;
    let est = analysis::estimates(state, &rb.report, registry.force_estimates());
    if cli.json {
        output::json(&json!({"comparison": cmp, "estimates": est}));
        return Ok(());
    }
    println!(
        "{}: the {} report (leaf {}, as of {}) against the {} report (leaf {}, as of {}); {} field(s) differ",
        state, b.year, cmp.later.leaf, cmp.later.as_of, a.year, cmp.earlier.leaf, cmp.earlier.as_of, cmp.changed
    );
    for f in &cmp.fields {
        let what = match f.change {
            Change::Unchanged => "unchanged".to_string(),
            Change::Changed => match f.difference {
                Some(d) => format!("changed by {d:+}"),
                None => "changed".into(),
            },
            Change::NewlyReported => "newly reported".into(),
            Change::NoLongerReported => "NO LONGER REPORTED".into(),
            Change::NotReportedInEither => "not reported in either".into(),
        };
        let show = |v: &Value| clip(&summary_value(v), 30);
        println!(
            "  {:<44} {:>30} -> {:<30} {}",
            f.field,
            show(&f.earlier),
            show(&f.later),
            what
        );
    }
    print_estimates(&est);
    Ok(())
}

fn summary_value(v: &Value) -> String {
    match v {
        Value::String(s) if s == schema::NOT_REPORTED => "not reported".into(),
        Value::String(s) => s.clone(),
        Value::Object(o) => format!(
            "{} {}",
            o.get("value").map(Value::to_string).unwrap_or_default(),
            o.get("unit").and_then(Value::as_str).unwrap_or("")
        ),
        Value::Array(a) => format!("{} item(s)", a.len()),
        other => other.to_string(),
    }
}

/// The log's latest checkpoint, its signature verified under the log's key.
fn binding(log: &Log<AnyStore>) -> Result<Binding, Failure> {
    let note = log
        .store()
        .latest_checkpoint()
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| anyhow!("the log has no checkpoint"))?;
    let checkpoint =
        custodian_ledger::checkpoint::verify_checkpoint(note.note.as_bytes(), log.verifier())
            .map_err(|e| Failure::verification(anyhow!("the checkpoint does not verify: {e}")))?;
    Ok(Binding {
        origin: checkpoint.origin().to_string(),
        tree_size: checkpoint.size().0,
        root_hash: checkpoint.root().to_base64(),
        checkpoint: note.note,
    })
}

/// The summary of the cycle of `year`, bound to the log's latest signed
/// checkpoint. A year of no cycle is the caller's [`ParamError`].
fn summary_of(log: &Log<AnyStore>, year: u16) -> Result<summary::Summary, Failure> {
    let c = cycle_arg(year).map_err(|e| ParamError::not_found("year", format!("{e:#}")))?;
    let engine = engine_of(log)?;
    let escrow = escrow_of(log)?;
    let bound = binding(log)?;
    let (registry, _) = registry_of(log)?;
    let nws = analysis::nuclear_weapon_states(&registry, c.reference_date())?;
    Ok(summary::build(
        &engine,
        c.year,
        &nws,
        registry.force_estimates(),
        Some(&EscrowTotals(&escrow)),
        Some(bound),
    )?)
}

/// The JSON document of a cycle's summary: the open-data file
/// `npt-review-YEAR.json` that `custodian review summary YEAR --out DIR`
/// writes (and `GET /api/v1/review/summary?year=` serves).
pub fn summary_doc(log: &Log<AnyStore>, year: u16) -> anyhow::Result<Value> {
    let s = summary_of(log, year).map_err(|f| f.error)?;
    Ok(summary::json(&s))
}

/// `review summary YEAR --out DIR`: everything is rendered in memory first, so a
/// failure writes nothing.
fn summary_cmd(cli: &Cli, year: u16, out: &Path) -> CmdResult {
    let log = open_log(cli)?;
    let s = summary_of(&log, year)?;
    let checks = s.bindings.as_deref().unwrap_or_default();
    let binding_findings = checks.iter().filter(|b| b.finding).count();
    let stem = format!("npt-review-{}", s.cycle);
    let files = [
        (format!("{stem}.md"), summary::markdown(&s).into_bytes()),
        (format!("{stem}.csv"), summary::csv(&s).into_bytes()),
        (format!("{stem}.html"), summary::html(&s).into_bytes()),
        (
            format!("{stem}.json"),
            serde_json::to_vec_pretty(&summary::json(&s))?,
        ),
    ];
    if out.exists() && !out.is_dir() {
        bail!("{}: not a directory; nothing written", out.display());
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create the output directory", out.display()))?;
    let mut written = Vec::new();
    for (name, bytes) in &files {
        let path = out.join(name);
        std::fs::write(&path, bytes)
            .with_context(|| format!("{}: cannot write", path.display()))?;
        written.push(path.display().to_string());
    }
    if cli.json {
        output::json(&json!({
            "cycle": s.cycle,
            "files": written,
            "tree_size": s.checkpoint.as_ref().map(|b| b.tree_size),
            "reported": s.completeness.reported,
            "missing": s.completeness.missing,
            "bindings_checked": checks.len(),
            "binding_findings": binding_findings,
        }));
    } else {
        println!(
            "Summary of the {} review cycle, bound to the checkpoint at tree size {}:",
            s.cycle,
            s.checkpoint.as_ref().map_or(0, |b| b.tree_size)
        );
        for w in &written {
            println!("  {w}");
        }
        if !checks.is_empty() {
            println!(
                "Bindings to committed escrow totals: {} checked, {binding_findings} finding(s).",
                checks.len()
            );
        }
    }
    Ok(())
}

/// One step of the bundled scenario: the submitting actor, the event's time,
/// the `review.report` payload, the refusal expected (if any) and what it shows.
type ScenarioStep = (
    &'static str,
    &'static str,
    Value,
    Option<&'static str>,
    &'static str,
);

/// The bundled scenario's steps.
fn scenario_events() -> Vec<ScenarioStep> {
    let count = |n: u64, unit: &str| json!({"value": n, "unit": unit});
    let tonnes = |t: f64| json!({"value": t, "unit": "tonnes"});
    let nr = || Value::from(schema::NOT_REPORTED);
    let text = |t: &str| Value::from(t);
    // GBR: every field given. Warheads from forces.csv (see each note); the
    // other figures are placeholders.
    let gbr =
        |as_of: &str, deployed: u64, reserve: u64, retired: u64, dismantled: u64, note: &str| {
            json!({
                "format": schema::FORMAT,
                "as_of": as_of,
                "illustrative": true,
                "note": note,
                "warheads": {
                    "deployed_strategic": count(deployed, "warheads"),
                    "deployed_non_strategic": count(0, "warheads"),
                    "reserve": count(reserve, "warheads"),
                    "awaiting_dismantlement": count(retired, "warheads"),
                    "total": count(deployed + reserve + retired, "warheads"),
                },
                "delivery_vehicles": {
                    "icbm": count(0, "missiles"), "slbm": count(40, "missiles"),
                    "bombers": count(0, "aircraft"), "launchers": count(40, "launchers"),
                },
                "fissile_material": {
                    "heu": tonnes(20.0), "heu_declared_excess": tonnes(0.0),
                    "separated_plutonium": tonnes(3.0), "plutonium_declared_excess": tonnes(0.0),
                },
                "reductions": {
                    "warheads_dismantled": count(dismantled, "warheads"),
                    "delivery_vehicles_eliminated": count(0, "vehicles"),
                    "description": text("Illustrative placeholder, not the state's words."),
                },
                "doctrine": {
                    "declaratory_policy": text("Illustrative placeholder, not the state's words."),
                    "security_assurances": text("Illustrative placeholder, not the state's words."),
                },
                "measures": {
                    "ctbt_status": text("Illustrative placeholder, not the state's words."),
                    "fmct_position": text("Illustrative placeholder, not the state's words."),
                    "transparency": ["Illustrative placeholder: a transparency measure."],
                },
            })
        };
    // FRA: totals only; the breakdown, fissile material and reductions are
    // left not reported, which the completeness view shows.
    let fra = |as_of: &str, total: u64, deployed: Option<u64>, note: &str| {
        json!({
            "format": schema::FORMAT,
            "as_of": as_of,
            "illustrative": true,
            "note": note,
            "warheads": {
                "deployed_strategic": deployed.map_or_else(nr, |d| count(d, "warheads")),
                "deployed_non_strategic": nr(),
                "reserve": nr(),
                "awaiting_dismantlement": nr(),
                "total": count(total, "warheads"),
            },
            "delivery_vehicles": {
                "icbm": count(0, "missiles"), "slbm": nr(), "bombers": nr(), "launchers": nr(),
            },
            "fissile_material": {
                "heu": nr(), "heu_declared_excess": nr(),
                "separated_plutonium": nr(), "plutonium_declared_excess": nr(),
            },
            "reductions": {
                "warheads_dismantled": nr(), "delivery_vehicles_eliminated": nr(), "description": nr(),
            },
            "doctrine": {
                "declaratory_policy": text("Illustrative placeholder, not the state's words."),
                "security_assurances": nr(),
            },
            "measures": {
                "ctbt_status": text("Illustrative placeholder, not the state's words."),
                "fmct_position": nr(),
                "transparency": nr(),
            },
        })
    };
    let gbr_2015 = gbr("2015-01-01", 120, 105, 0, 0,
        "ILLUSTRATIVE, not the United Kingdom's report. Total 225 = the FAS stockpile estimate for 2017 (forces.csv; it has no 2015 figure); deployed 120 = SIPRI Yearbook 2019 (forces.csv, 2019); reserve is the remainder. Delivery vehicles and fissile material are placeholders, not sourced.");
    let gbr_2020 = gbr("2022-01-01", 120, 60, 45, 0,
        "ILLUSTRATIVE, not the United Kingdom's report. Warheads from forces.csv, GBR 2022 (FAS via OWID: inventory 225, stockpile 180, deployed 120, retired 45). Delivery vehicles and fissile material are placeholders, not sourced.");
    let fra_2015 = fra("2015-01-01", 300, None,
        "ILLUSTRATIVE, not France's report. Total 300 = the FAS stockpile estimate for 2017 (forces.csv; it has no 2015 figure). The breakdown is left not reported.");
    let fra_2020 = fra("2022-01-01", 290, Some(280),
        "ILLUSTRATIVE, not France's report. Total 290 and deployed 280 from forces.csv, FRA 2022 (FAS via OWID). The rest is left not reported.");
    let mut negative = gbr_2020.clone();
    negative["warheads"]["reserve"] = json!({"value": -5, "unit": "warheads"});
    vec![
        ("gbr-mod-1", "2015-04-27T09:00:00Z", json!({"state": "GBR", "cycle": 2015, "report": gbr_2015}), None,
            "the United Kingdom's report to the 2015 conference: every field given"),
        ("fra-mfa-1", "2015-04-27T10:00:00Z", json!({"state": "FRA", "cycle": 2015, "report": fra_2015}), None,
            "France's report to the 2015 conference: the breakdown left not reported"),
        ("gbr-mod-1", "2022-08-01T09:00:00Z", json!({"state": "FRA", "cycle": 2020, "report": gbr_2020.clone()}), Some("acts for state:GBR, not for state:FRA"),
            "the United Kingdom's official files a report in France's name"),
        ("fra-mfa-1", "2022-08-01T09:30:00Z", json!({"state": "FRA", "cycle": 2022, "report": fra_2020.clone()}), Some("no NPT review cycle 2022"),
            "a report for cycle 2022: the Tenth conference met in 2022 but belongs to the 2020 cycle"),
        ("gbr-mod-1", "2022-08-01T09:45:00Z", json!({"state": "GBR", "cycle": 2020, "report": negative}), Some("a non-negative count"),
            "a negative warhead count"),
        ("gbr-mod-1", "2022-08-01T10:00:00Z", json!({"state": "GBR", "cycle": 2020, "report": gbr_2020}), None,
            "the United Kingdom's report to the Tenth conference (2020 cycle, met 2022)"),
        ("fra-mfa-1", "2022-08-01T11:00:00Z", json!({"state": "FRA", "cycle": 2020, "report": fra_2020}), None,
            "France's report to the Tenth conference: fields still left not reported"),
    ]
}

/// `custodian review scenario`: the 2015 and 2020 cycles with illustrative
/// reports from two nuclear-weapon States in a log of their own; refusals
/// shown; then the completeness of both cycles and the United Kingdom's two
/// reports compared.
fn scenario(cli: &Cli) -> CmdResult {
    let db = cli
        .db
        .clone()
        .unwrap_or_else(|| "custodian-scenario-review.db".into());
    let log_key = cli
        .log_key
        .clone()
        .unwrap_or_else(|| crate::cli::log_key_beside(&db));
    scenario_at(cli, &db, &log_key)
}

/// The bundled review scenario as a script: two nuclear-weapon States'
/// illustrative reports to the 2015 and 2020 cycles, with the submissions
/// the review engine must refuse.
pub fn scenario_script() -> anyhow::Result<crate::scenario::Scenario> {
    use crate::scenario::{Scenario, ScenarioActor, ScenarioSubmission};
    use custodian_core::{Party, Role};
    let submissions = scenario_events()
        .into_iter()
        .map(|(actor, time, payload, refused, note)| {
            Ok(ScenarioSubmission {
                actor: ActorId::parse(actor)?,
                approvers: Vec::new(),
                note: Some(note.to_string()),
                expect_refused: refused.map(str::to_string),
                events: vec![json!({"time": time, "kind": "review.report", "payload": payload})],
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Scenario {
        name: "review-2015-2020".into(),
        title: "The NPT review cycles of 2015 and 2020 (met 2022): standard reports from two nuclear-weapon States".into(),
        about: "ILLUSTRATIVE. Two nuclear-weapon States file reports in the standard reporting format custodian/npt-report/v1 as signed review.report events: the United Kingdom gives every field, France leaves the breakdown, fissile material and reductions not reported. Warhead figures are drawn from the registry's sourced estimates (data/forces.csv, FAS and SIPRI), as each report's note says; every other figure and text is a placeholder. None of it is a state's actual report.".into(),
        origin: "custodian.scenario/review".into(),
        registry: Some("bundled".into()),
        evaluate_at: None,
        before: None,
        actors: vec![
            ScenarioActor {
                id: ActorId::parse("gbr-mod-1")?,
                role: Role::StateAuthority,
                party: Party::parse("state:GBR")?,
                name: "Reporting officer, United Kingdom (illustrative)".into(),
            },
            ScenarioActor {
                id: ActorId::parse("fra-mfa-1")?,
                role: Role::StateAuthority,
                party: Party::parse("state:FRA")?,
                name: "Reporting officer, France (illustrative)".into(),
            },
        ],
        submissions,
    })
}

/// The review scenario in the log at `db` (for `custodian demo`).
pub fn scenario_at(cli: &Cli, db: &std::path::Path, log_key: &std::path::Path) -> CmdResult {
    let built = crate::scenario::build_log(&scenario_script()?, db, log_key)?;
    let report = crate::record::audit(built.log.store(), Some(&built.vkey))
        .map_err(|f| Failure::verification(anyhow!("audit failed: {f}")))?;
    let engine = engine_of(&built.log)?;
    let (registry, from) = registry_of(&built.log)?;
    let mut views = Vec::new();
    for year in [2015, 2020] {
        let c = Cycles::bundled().require(year)?;
        let nws = analysis::nuclear_weapon_states(&registry, c.reference_date())?;
        views.push(analysis::completeness(&engine, year, &nws)?);
    }
    let gbr = StateCode::parse("GBR")?;
    let cmp = analysis::compare(engine.require(gbr, 2015)?, engine.require(gbr, 2020)?);
    if cli.json {
        output::json(&json!({
            "db": built.db.display().to_string(),
            "audit": {"leaves": report.leaves, "events": report.events},
            "refusals": built.refusals,
            "completeness": views,
            "comparison": cmp,
        }));
        return Ok(());
    }
    println!(
        "Audit passed: {} leaves, {} events re-verified, every review.report re-checked by the review engine ({} refusal(s) left nothing behind).",
        report.leaves, report.events, built.refusals
    );
    for v in &views {
        print_completeness(v, from);
    }
    println!(
        "\nGBR, 2015 report against 2020 report: {} field(s) differ:",
        cmp.changed
    );
    for f in cmp.fields.iter().filter(|f| f.change != Change::Unchanged) {
        println!(
            "  {:<40} {} -> {} ({:?})",
            f.field,
            summary_value(&f.earlier),
            summary_value(&f.later),
            f.change
        );
    }
    println!(
        "\n   try: custodian --db {} review report show FRA 2020\n        custodian --db {} review summary 2020 --out review-2020",
        db.display(),
        db.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::line_of;

    #[test]
    fn lines_of_members() {
        let text = "{\n  \"state\": \"GBR\",\n  \"report\": {\n    \"warheads\": {\n      \"total\": {\"value\": 1, \"unit\": \"w\"}\n    },\n    \"measures\": {\"transparency\": [\n      \"a\",\n      \"b\"]}\n  }\n}\n";
        assert_eq!(line_of(text, "state"), Some(2));
        assert_eq!(line_of(text, "report.warheads.total.value"), Some(5));
        assert_eq!(line_of(text, "report.warheads.reserve"), Some(4));
        assert_eq!(line_of(text, "report.measures.transparency[1]"), Some(9));
        assert_eq!(line_of(text, "report.nothing"), Some(3));
    }
}
