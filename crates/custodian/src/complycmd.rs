//! `custodian comply`, `custodian positions` and `custodian evidence verify`:
//! obligations evaluated under every interpretation, with evidence a reader
//! can verify offline.

use crate::cli::{Cli, ComplyArgs};
use crate::keyfile::read_verifier_key;
use crate::logcmd::open_log;
use crate::record::{custody_at, parse_at};
use crate::views::ParamError;
use crate::{output, CmdResult, Failure};
use anyhow::{anyhow, Context};
use custodian_core::encoding::{hex, unhex};
use custodian_core::{LeafIndex, SignedSubmission, TreeSize, UtcTime};
use custodian_ledger::checkpoint::verify_checkpoint;
use custodian_ledger::hash::leaf_hash;
use custodian_ledger::keys::VerifierKey;
use custodian_ledger::proof::verify_inclusion;
use custodian_ledger::Hash;
use custodian_regime::obligations::{self, Finding, Verdict};
use custodian_store::any::AnyStore;
use custodian_store::log::Log;
use custodian_store::Store;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The format name of an evidence bundle (FORMATS.md, "Evidence bundles").
pub const EVIDENCE_FORMAT: &str = "custodian/evidence/v1";

/// Evaluates every obligation (or one) under every interpretation (or one) at `at`.
fn evaluate(
    log: &Log<AnyStore>,
    at: UtcTime,
    obligation: Option<&str>,
    interpretation: Option<&str>,
) -> anyhow::Result<Vec<Finding>> {
    let registry = crate::regimecmd::registry_from_log(log)?;
    let custody = custody_at(log, at)?;
    let interpretation = interpretation.filter(|i| *i != "all");
    obligations::evaluate(&registry, &custody, at, obligation, interpretation).map_err(|e| {
        // The only refusal is an id that is not known: name the parameter.
        let known = |id: Option<&str>, ids: Vec<&str>| id.is_none_or(|id| ids.contains(&id));
        if !known(
            obligation,
            obligations::obligations().iter().map(|o| o.id).collect(),
        ) {
            ParamError::invalid("obligation", e).into()
        } else if !known(
            interpretation,
            obligations::interpretations()
                .iter()
                .map(|i| i.id)
                .collect(),
        ) {
            ParamError::invalid("interpretation", e).into()
        } else {
            anyhow!("{e}")
        }
    })
}

/// The JSON document of `custodian comply --json` (and of
/// `GET /api/v1/findings`): every obligation (or one) under every
/// interpretation (or one) at `at`, with the interpretations and general
/// rules they are read under.
pub fn findings_doc(
    log: &Log<AnyStore>,
    at: UtcTime,
    obligation: Option<&str>,
    interpretation: Option<&str>,
) -> anyhow::Result<Value> {
    Ok(findings_json(
        at,
        &evaluate(log, at, obligation, interpretation)?,
    ))
}

fn findings_json(at: UtcTime, findings: &[Finding]) -> Value {
    json!({
        "at": at,
        "findings": findings,
        "interpretations": obligations::interpretations(),
        "general_rules": obligations::general_rules(),
    })
}

fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Complies => "complies",
        Verdict::Violates => "violates",
        Verdict::Undetermined => "undetermined",
    }
}

/// Prints findings side by side: one row per (obligation, subject), one column
/// per interpretation, so no verdict is shown without its interpretation.
pub fn print_table(findings: &[Finding]) {
    let mut columns: Vec<&str> = Vec::new();
    for f in findings {
        if !columns.contains(&f.interpretation) {
            columns.push(f.interpretation);
        }
    }
    let mut rows: BTreeMap<(&str, String), BTreeMap<&str, Verdict>> = BTreeMap::new();
    let mut order: Vec<(&str, String)> = Vec::new();
    for f in findings {
        let key = (f.obligation, f.subject.to_string());
        if !rows.contains_key(&key) {
            order.push(key.clone());
        }
        rows.entry(key)
            .or_default()
            .insert(f.interpretation, f.verdict);
    }
    print!("  {:<18} {:<8}", "obligation", "subject");
    for c in &columns {
        print!(" {c:<16}");
    }
    println!();
    for key in order {
        print!("  {:<18} {:<8}", key.0, key.1);
        for c in &columns {
            let v = rows[&key].get(c).map_or("-", |v| verdict_text(*v));
            print!(" {v:<16}");
        }
        println!();
    }
}

/// Prints one finding in full.
pub fn print_finding(f: &Finding) {
    println!(
        "  {} / {} under {}: {}",
        f.obligation,
        f.subject,
        f.interpretation,
        verdict_text(f.verdict).to_uppercase()
    );
    for step in &f.reasoning {
        println!("    {step}");
    }
    for e in &f.events {
        println!("    event {} (leaf {}, {})", e.event, e.leaf.0, e.time);
    }
    for fact in &f.facts {
        println!("    fact  {} [{}]", fact.statement, fact.source);
    }
}

/// `custodian comply`.
pub fn comply(cli: &Cli, args: &ComplyArgs) -> CmdResult {
    let at = parse_at(args.at.as_deref())?;
    let log = open_log(cli)?;
    let findings = evaluate(
        &log,
        at,
        args.obligation.as_deref(),
        args.interpretation.as_deref(),
    )?;
    if let Some(path) = &args.evidence {
        let bundle = evidence_bundle(&log, at, &findings, &[])?;
        std::fs::write(path, format!("{bundle}\n"))
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    if cli.json {
        output::json(&findings_json(at, &findings));
        return Ok(());
    }
    println!(
        "{} finding(s) as of {at}, every obligation under every interpretation (the software takes no side):",
        findings.len()
    );
    print_table(&findings);
    println!();
    for f in &findings {
        print_finding(f);
    }
    if let Some(path) = &args.evidence {
        println!(
            "\nevidence written to {}; check it offline with `custodian evidence verify {} --vkey <log verifier key>`",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

/// The evidence bundle of `findings`: the findings, the latest signed checkpoint,
/// and every leaf they cite with its inclusion proof at that checkpoint.
pub fn evidence_bundle(
    log: &Log<AnyStore>,
    at: UtcTime,
    findings: &[Finding],
    alerts: &[custodian_custody::Alert],
) -> anyhow::Result<Value> {
    let leaves: BTreeSet<u64> = findings
        .iter()
        .flat_map(|f| f.events.iter())
        .chain(alerts.iter().flat_map(|a| a.evidence.iter()))
        .map(|e| e.leaf.0)
        .collect();
    let mut bundle = proven_leaves(log, leaves)?;
    bundle["at"] = json!(at);
    bundle["findings"] = json!(findings);
    bundle["alerts"] = json!(alerts);
    Ok(bundle)
}

/// The evidence bundle of escrow findings (`escrow_findings`; FORMATS §12):
/// every leaf they cite with its inclusion proof at the latest checkpoint.
pub fn escrow_evidence_bundle(
    log: &Log<AnyStore>,
    findings: &[custodian_escrow::ledger::Finding],
) -> anyhow::Result<Value> {
    let leaves: BTreeSet<u64> = findings
        .iter()
        .flat_map(|f| f.events.iter())
        .map(|e| e.leaf.0)
        .collect();
    let mut bundle = proven_leaves(log, leaves)?;
    bundle["at"] = json!(crate::input::now());
    bundle["findings"] = json!([]);
    bundle["alerts"] = json!([]);
    bundle["escrow_findings"] = json!(findings);
    Ok(bundle)
}

/// The bundle's frame: format, origin, the latest signed checkpoint and
/// `leaves` with their inclusion proofs at it.
fn proven_leaves(log: &Log<AnyStore>, leaves: BTreeSet<u64>) -> anyhow::Result<Value> {
    let head = log
        .store()
        .latest_checkpoint()?
        .ok_or_else(|| anyhow!("the log has no checkpoint"))?;
    let size = head.size;
    let mut out = Vec::new();
    for index in leaves {
        let data = log
            .store()
            .read_leaves(index, index + 1)?
            .pop()
            .ok_or_else(|| anyhow!("leaf {index} is missing"))?
            .data;
        let proof = log.prove_inclusion(LeafIndex(index), size)?;
        out.push(json!({
            "index": index,
            "leaf": hex(&data),
            "proof": proof.iter().map(Hash::to_hex).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({
        "format": EVIDENCE_FORMAT,
        "origin": log.meta().origin,
        "tree_size": size.0,
        "checkpoint": head.note,
        "leaves": out,
    }))
}

/// What an offline check of an evidence bundle established.
pub struct EvidenceCheck {
    /// Findings covered.
    pub findings: usize,
    /// Alerts covered.
    pub alerts: usize,
    /// Events proven.
    pub events: usize,
    /// Leaves proven.
    pub leaves: usize,
    /// The checkpoint's tree size.
    pub size: TreeSize,
    /// The log.
    pub origin: String,
}

fn bad(path: &Path, what: String) -> Failure {
    Failure::verification(anyhow!("{}: {what}", path.display()))
}

/// Verifies an evidence bundle offline against the log's verifier key: the
/// checkpoint's signature, each leaf's inclusion proof, and that every event a
/// finding cites is in the leaf it names, with the time it states.
pub fn verify_evidence(path: &Path, vkey: &VerifierKey) -> Result<EvidenceCheck, Failure> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the evidence bundle", path.display()))?;
    let doc: Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    if doc["format"] != EVIDENCE_FORMAT {
        return Err(anyhow!(
            "{}: field format: expected {EVIDENCE_FORMAT:?}",
            path.display()
        )
        .into());
    }
    let note = doc["checkpoint"].as_str().ok_or_else(|| {
        anyhow!(
            "{}: field checkpoint: expected a signed note",
            path.display()
        )
    })?;
    let cp = verify_checkpoint(note.as_bytes(), vkey)
        .map_err(|e| bad(path, format!("field checkpoint: {e}")))?;
    let mut events_in: BTreeMap<u64, BTreeMap<String, String>> = BTreeMap::new();
    let leaves = doc["leaves"]
        .as_array()
        .ok_or_else(|| anyhow!("{}: field leaves: expected an array", path.display()))?;
    for (i, leaf) in leaves.iter().enumerate() {
        let field = |name: &str| format!("field leaves[{i}].{name}");
        let index = leaf["index"]
            .as_u64()
            .ok_or_else(|| anyhow!("{}: {}: expected a number", path.display(), field("index")))?;
        let data = leaf["leaf"]
            .as_str()
            .map(unhex)
            .ok_or_else(|| anyhow!("{}: {}: expected hex", path.display(), field("leaf")))?
            .map_err(|e| anyhow!("{}: {}: {e}", path.display(), field("leaf")))?;
        let proof = leaf["proof"]
            .as_array()
            .ok_or_else(|| anyhow!("{}: {}: expected an array", path.display(), field("proof")))?
            .iter()
            .map(|h| {
                h.as_str()
                    .ok_or_else(|| anyhow!("expected hex"))
                    .and_then(|t| Hash::from_hex(t).map_err(|e| anyhow!("{e}")))
            })
            .collect::<anyhow::Result<Vec<Hash>>>()
            .map_err(|e| anyhow!("{}: {}: {e}", path.display(), field("proof")))?;
        verify_inclusion(
            &leaf_hash(&data),
            LeafIndex(index),
            cp.size(),
            &proof,
            &cp.root(),
        )
        .map_err(|e| {
            bad(
                path,
                format!("leaf {index}: inclusion proof does not verify: {e}"),
            )
        })?;
        let signed = SignedSubmission::from_leaf_bytes(&data).map_err(|e| {
            bad(
                path,
                format!("leaf {index}: not a Custodian submission: {e}"),
            )
        })?;
        if signed.submission.log != cp.origin() {
            return Err(bad(
                path,
                format!("leaf {index}: belongs to log {:?}", signed.submission.log),
            ));
        }
        events_in.insert(
            index,
            signed
                .submission
                .events
                .iter()
                .map(|e| (e.id.to_string(), e.time.to_string()))
                .collect(),
        );
    }
    let cited = |what: &str, i: usize, events: &Value| -> Result<usize, Failure> {
        let mut n = 0;
        for e in events.as_array().into_iter().flatten() {
            let leaf = e["leaf"].as_u64().unwrap_or(u64::MAX);
            let id = e["event"].as_str().unwrap_or_default();
            let time = e["time"].as_str().unwrap_or_default();
            match events_in.get(&leaf).and_then(|m| m.get(id)) {
                Some(t) if t == time => n += 1,
                Some(t) => {
                    return Err(bad(
                        path,
                        format!(
                            "{what}[{i}]: event {id} is stated at {t} in leaf {leaf}, not {time}"
                        ),
                    ))
                }
                None => {
                    return Err(bad(
                        path,
                        format!("{what}[{i}]: event {id} is not in a proven leaf {leaf}"),
                    ))
                }
            }
        }
        Ok(n)
    };
    let findings = doc["findings"]
        .as_array()
        .ok_or_else(|| anyhow!("{}: field findings: expected an array", path.display()))?;
    let mut events = 0;
    for (i, f) in findings.iter().enumerate() {
        if f["interpretation"].as_str().is_none_or(str::is_empty) {
            return Err(bad(path, format!("findings[{i}]: names no interpretation")));
        }
        events += cited("findings", i, &f["events"])?;
    }
    let alerts = doc["alerts"].as_array().map_or(&[][..], Vec::as_slice);
    for (i, a) in alerts.iter().enumerate() {
        events += cited("alerts", i, &a["evidence"])?;
    }
    let escrow = doc["escrow_findings"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    for (i, f) in escrow.iter().enumerate() {
        events += cited("escrow_findings", i, &f["events"])?;
    }
    Ok(EvidenceCheck {
        findings: findings.len() + escrow.len(),
        alerts: alerts.len(),
        events,
        leaves: leaves.len(),
        size: cp.size(),
        origin: cp.origin().to_string(),
    })
}

/// `custodian evidence verify FILE --vkey KEY`.
pub fn evidence_verify(cli: &Cli, path: &Path, vkey: &str) -> CmdResult {
    let vkey = read_verifier_key(vkey)?;
    let c = verify_evidence(path, &vkey)?;
    if cli.json {
        output::json(&json!({
            "ok": true, "origin": c.origin, "tree_size": c.size.0, "findings": c.findings, "alerts": c.alerts,
            "events": c.events, "leaves": c.leaves,
        }));
    } else {
        println!(
            "verified offline: {} finding(s) and {} alert(s) cite {} event(s) in {} leaf/leaves, each proven included in the log {} at size {} (checkpoint signed by the pinned key)",
            c.findings, c.alerts, c.events, c.leaves, c.origin, c.size.0
        );
    }
    Ok(())
}

/// `custodian positions QUESTION`.
pub fn positions(cli: &Cli, question: Option<&str>) -> CmdResult {
    let Some(question) = question else {
        for q in custodian_regime::positions::questions() {
            if !cli.json {
                println!("{:<18} {}", q.id, q.text);
            }
        }
        if cli.json {
            output::json(&json!(custodian_regime::positions::questions()));
        }
        return Ok(());
    };
    let log = open_log(cli)?;
    let registry = crate::regimecmd::registry_from_log(&log)?;
    let answer = custodian_regime::positions::positions_on(&registry, question)
        .map_err(|e| anyhow!("{e}"))?;
    let value = serde_json::to_value(&answer)?;
    if cli.json {
        output::json(&value);
    } else {
        print_positions(&value);
    }
    Ok(())
}

fn print_positions(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// A scenario's findings (with a registry) at `before` (if given) and `at`, side
/// by side, then the evidence bundle of the findings and `alerts` at `at`,
/// written beside the database and verified offline.
pub fn scenario_evidence(
    log: &Log<AnyStore>,
    db: &Path,
    vkey: &VerifierKey,
    with_registry: bool,
    before: Option<UtcTime>,
    at: UtcTime,
    alerts: &[custodian_custody::Alert],
) -> CmdResult {
    let mut findings = Vec::new();
    if with_registry {
        for when in before.into_iter().chain([at]) {
            findings = evaluate(log, when, None, None)?;
            println!(
                "Findings as of {when}, every obligation under every interpretation (the software takes no side):"
            );
            print_table(&findings);
            println!();
        }
    } else {
        println!("Findings: none; this log holds no treaty registry (its states are fictional), so no obligation is evaluated.\n");
    }
    let path = crate::scenario::with_suffix(db, ".evidence.json");
    let bundle = evidence_bundle(log, at, &findings, alerts)?;
    std::fs::write(&path, format!("{bundle}\n"))?;
    let c = verify_evidence(&path, vkey)?;
    println!(
        "Evidence, verified offline against the signed checkpoint at size {}: {} finding(s) and {} alert(s) cite {} event(s) in {} leaves, each with its inclusion proof ({}; check it yourself: custodian evidence verify {} --vkey '{}').",
        c.size.0,
        c.findings,
        c.alerts,
        c.events,
        c.leaves,
        path.display(),
        path.display(),
        vkey.to_text()
    );
    let deu: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.obligation == "npt-art-2" && f.subject.as_str() == "DEU")
        .collect();
    if !deu.is_empty() {
        println!("\nOne subject in full, under each interpretation (`custodian comply` prints every finding):");
        for f in deu {
            print_finding(f);
        }
    }
    println!();
    Ok(())
}
