//! `custodian regime ...`: the treaty registry, rebuilt from the log's
//! `registry.row` events, queried as of any date.

use crate::cli::{Cli, RegimeCommand};
use crate::input;
use crate::keyfile::read_signing_key;
use crate::logcmd::{open_log, print_receipt};
use crate::views::ParamError;
use crate::{output, CmdResult};
use anyhow::{anyhow, Context};
use custodian_core::encoding::hex;
use custodian_core::event::RegistryRow;
use custodian_core::{Date, StateCode};
use custodian_regime::ledger::{self, rows_from_csv, Tables, TABLES};
use custodian_regime::{RegimeError, Registry, TreatyId};
use custodian_store::any::AnyStore;
use custodian_store::log::{AppendReceipt, Log};
use custodian_store::Store;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The registry rows in the log, in log order, with the leaf of each.
pub fn logged_rows(log: &Log<AnyStore>) -> anyhow::Result<Vec<(u64, RegistryRow)>> {
    Ok(ledger::logged_rows(log)?)
}

/// The registry as the log holds it (one read of the registry leaves).
pub fn registry_from_log(log: &Log<AnyStore>) -> anyhow::Result<Registry> {
    let rows = logged_rows(log)?;
    if rows.is_empty() {
        bail!("the log holds no registry rows (`custodian init` loads the bundled registry unless --empty-registry is given)");
    }
    Tables::from_rows(rows.iter().map(|(_, r)| r))?
        .registry(input::now().date())
        .context("the registry rows in the log do not form a valid registry")
}

/// Signs and appends registry rows as the key's actor.
pub fn append_rows(
    log: &mut Log<AnyStore>,
    log_key: &custodian_ledger::keys::SigningKey,
    key: &custodian_ledger::keys::SigningKey,
    tables: Vec<(String, Vec<RegistryRow>)>,
) -> anyhow::Result<AppendReceipt> {
    Ok(ledger::append_rows(
        log,
        log_key,
        key,
        tables,
        input::now(),
    )?)
}

fn parse_date(text: Option<&str>) -> anyhow::Result<Date> {
    match text {
        Some(t) => Date::parse(t).map_err(|e| anyhow!("--at: {e}")),
        None => Ok(input::now().date()),
    }
}

fn treaty(text: &str) -> anyhow::Result<TreatyId> {
    TreatyId::parse(text).map_err(|e| anyhow!("TREATY: {e}"))
}

fn state(text: &str) -> anyhow::Result<StateCode> {
    StateCode::parse(text).map_err(|e| anyhow!("STATE: {e}"))
}

/// "under reading X of fact Y" for an answer, from its JSON form.
fn under(answer: &Value) -> String {
    let choices = answer["under"].as_array().cloned().unwrap_or_default();
    if choices.is_empty() {
        return "no contested fact bears on this".into();
    }
    let parts: Vec<String> = choices
        .iter()
        .map(|c| match c {
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k} = {}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_string)
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_string),
        })
        .collect();
    format!("under the reading: {}", parts.join("; or "))
}

/// Whether `treaty` is in force at `at`: `Some(true)` if every reading says so,
/// `Some(false)` if every reading says not, `None` when the data cannot tell (a
/// rule not sourced, a date beyond the data's coverage) or readings differ.
fn in_force_at(registry: &Registry, treaty: &TreatyId, at: Date) -> Option<bool> {
    let answer = registry.in_force(treaty, at).ok()?;
    let verdicts: Vec<Option<bool>> = answer.answers.iter().map(|a| a.value.in_force()).collect();
    match verdicts.first() {
        Some(first) if verdicts.iter().all(|v| v == first) => *first,
        _ => None,
    }
}

/// A treaty status, from its JSON form, as a phrase. `in_force` says whether the
/// treaty is in force: a state that consented to be bound to a treaty not in
/// force has ratified but is not a party.
pub fn status_text(v: &Value, in_force: Option<bool>) -> String {
    let field = |k: &str| v[k].as_str().unwrap_or("?").to_string();
    match v["status"].as_str().unwrap_or("?") {
        "party" if in_force == Some(false) => format!(
            "consented to be bound since {} ({}); not a party: the treaty is not in force",
            field("since"),
            field("by")
        ),
        "party" if in_force.is_none() => format!(
            "consented to be bound since {} ({}); whether the treaty is in force at this date is not established by the data",
            field("since"),
            field("by")
        ),
        "party" => format!("party since {} ({})", field("since"), field("by")),
        "withdrawn" => format!(
            "withdrawn (notice {}, effective {})",
            field("notice"),
            field("effective")
        ),
        "withdrawal_pending" => format!("party, withdrawal pending ({})", v),
        "ceased_to_exist" => format!(
            "ceased to exist {} (continued by {})",
            field("on"),
            field("continued_by")
        ),
        other => other.replace('_', " "),
    }
}

fn codes(v: &Value) -> String {
    let list: Vec<&str> = v
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if list.is_empty() {
        "(none)".into()
    } else {
        list.join(" ")
    }
}

fn sources(answer: &Value) -> usize {
    answer["sources"].as_array().map_or(0, Vec::len)
}

/// A registry query, its parameters parsed: what `custodian regime ...`
/// and the server's `/api/v1/registry/...` views ask of the registry.
pub enum RegimeQuery {
    /// Every state's status under a treaty at a date.
    Status {
        /// The treaty.
        treaty: TreatyId,
        /// The date.
        at: Date,
    },
    /// Whether a treaty is in force at a date.
    InForce {
        /// The treaty.
        treaty: TreatyId,
        /// The date.
        at: Date,
    },
    /// One state's profile at a date.
    State {
        /// The state.
        state: StateCode,
        /// The date.
        at: Date,
    },
    /// Estimated nuclear forces, all years or one.
    Forces {
        /// Only this year.
        year: Option<i32>,
    },
    /// Weapons deployed abroad, as published by a date (or all).
    Deployments {
        /// As published by this date.
        at: Option<Date>,
    },
    /// The dated actions of a state under a treaty.
    History {
        /// The state.
        state: StateCode,
        /// The treaty.
        treaty: TreatyId,
    },
}

/// The JSON document of a registry query: what `custodian regime ... --json`
/// prints and the server's registry views serve. An unknown treaty or state is
/// the caller's [`ParamError`].
pub fn regime_doc(registry: &Registry, query: &RegimeQuery) -> anyhow::Result<Value> {
    let answer = match query {
        RegimeQuery::Status { treaty, at } => {
            serde_json::to_value(registry.status_all(treaty, *at).map_err(unknown)?)?
        }
        RegimeQuery::InForce { treaty, at } => {
            serde_json::to_value(registry.in_force(treaty, *at).map_err(unknown)?)?
        }
        RegimeQuery::State { state, at } => {
            serde_json::to_value(registry.state_profile(*state, *at).map_err(unknown)?)?
        }
        RegimeQuery::Forces { year } => serde_json::to_value(registry.forces(*year))?,
        RegimeQuery::Deployments { at } => serde_json::to_value(registry.deployments(*at))?,
        RegimeQuery::History { state, treaty } => {
            serde_json::to_value(registry.history(*state, treaty).map_err(unknown)?)?
        }
    };
    Ok(answer)
}

/// An unknown treaty in a query is the caller's error, an unknown state is not
/// found, each named by its parameter; anything else is the registry's.
fn unknown(e: RegimeError) -> anyhow::Error {
    match e {
        RegimeError::UnknownTreaty { treaty, .. } => ParamError::invalid(
            "treaty",
            format!("unknown treaty {treaty} (the registry's treaties.csv does not list it)"),
        )
        .into(),
        RegimeError::UnknownState { code, .. } => ParamError::not_found(
            "state",
            format!("unknown state code {code} (neither in states.csv nor a historical state)"),
        )
        .into(),
        other => other.into(),
    }
}

/// `custodian regime ...`.
pub fn run(cli: &Cli, cmd: &RegimeCommand) -> CmdResult {
    let query = match cmd {
        RegimeCommand::Import { file, table, key } => return import(cli, file, table, key),
        RegimeCommand::Export { format, dir } => return export(cli, format, dir),
        RegimeCommand::Status { treaty: t, at } => RegimeQuery::Status {
            treaty: treaty(t)?,
            at: parse_date(at.as_deref())?,
        },
        RegimeCommand::InForce { treaty: t, at } => RegimeQuery::InForce {
            treaty: treaty(t)?,
            at: parse_date(at.as_deref())?,
        },
        RegimeCommand::State { state: s, at } => RegimeQuery::State {
            state: state(s)?,
            at: parse_date(at.as_deref())?,
        },
        RegimeCommand::Forces { at } => RegimeQuery::Forces { year: *at },
        RegimeCommand::Deployments { at } => RegimeQuery::Deployments {
            at: at
                .as_deref()
                .map(|t| Date::parse(t).map_err(|e| anyhow!("--at: {e}")))
                .transpose()?,
        },
        RegimeCommand::History {
            state: s,
            treaty: t,
        } => RegimeQuery::History {
            state: state(s)?,
            treaty: treaty(t)?,
        },
    };
    let log = open_log(cli)?;
    let registry = registry_from_log(&log)?;
    let doc = regime_doc(&registry, &query)?;
    if cli.json {
        output::json(&doc);
        return Ok(());
    }
    match &query {
        RegimeQuery::Status { treaty, at } => print_status(&registry, treaty, *at, &doc),
        RegimeQuery::InForce { treaty, .. } => print_in_force(treaty, &doc),
        RegimeQuery::State { state, at } => print_state(&registry, *state, *at, &doc),
        RegimeQuery::Forces { year } => print_forces(*year, &doc),
        RegimeQuery::Deployments { .. } => print_deployments(&doc),
        RegimeQuery::History { state, treaty } => print_history(*state, treaty, &doc),
    }
    Ok(())
}

fn print_status(registry: &Registry, id: &TreatyId, date: Date, doc: &Value) {
    let bound_label = match in_force_at(registry, id, date) {
        Some(true) => "parties",
        Some(false) => "consented to be bound (not parties: the treaty is not in force)",
        None => {
            "consented to be bound (whether the treaty is in force is not established by the data)"
        }
    };
    println!(
        "{} as of {} ({} answer(s); readings are never merged):",
        id,
        doc["at"].as_str().unwrap_or(""),
        doc["answers"].as_array().map_or(0, Vec::len)
    );
    for a in doc["answers"].as_array().into_iter().flatten() {
        let v = &a["value"];
        println!("\n  {}", under(a));
        for (label, key) in [
            (bound_label, "parties"),
            ("withdrawal pending", "withdrawal_pending"),
            ("signatories only", "signatories"),
            ("ratification revoked", "ratification_revoked"),
            ("withdrawn", "withdrawn"),
            (
                "nuclear-weapon states (NPT Art. IX.3)",
                "nuclear_weapon_states",
            ),
        ] {
            if v[key].is_array() {
                println!(
                    "  {label} ({}): {}",
                    v[key].as_array().map_or(0, Vec::len),
                    codes(&v[key])
                );
            }
        }
        println!(
            "  non-signatories: {}",
            v["non_signatories"].as_array().map_or(0, Vec::len)
        );
        println!("  sources: {}", sources(a));
    }
    print_coverage(doc);
}

fn print_in_force(id: &TreatyId, doc: &Value) {
    println!(
        "{} in force as of {}?",
        id,
        doc["at"].as_str().unwrap_or("")
    );
    for a in doc["answers"].as_array().into_iter().flatten() {
        let v = &a["value"];
        println!("\n  {}", under(a));
        println!("  status: {}", v["status"]);
        if v["missing"].as_array().is_some_and(|m| !m.is_empty()) {
            println!(
                "  still missing ({}): {}",
                v["missing"].as_array().map_or(0, Vec::len),
                codes(&v["missing"])
            );
        }
        if !v["counted"].is_null() {
            println!("  counted {} of {} required", v["counted"], v["required"]);
        }
        println!("  sources: {}", sources(a));
    }
    let recorded = &doc["recorded"]["row"];
    println!(
        "\n  recorded in treaties.csv: entry into force {}; rule: {}",
        recorded["entry_into_force"]
            .as_str()
            .unwrap_or("(not recorded)"),
        recorded["entry_into_force_rule"]
            .as_str()
            .unwrap_or("(not recorded)")
    );
    if !doc["from_counts"].is_null() {
        println!(
            "\n  from sourced counts (treaty_counts.csv): {}",
            doc["from_counts"]
        );
    }
    print_coverage(doc);
}

fn print_state(registry: &Registry, s: StateCode, date: Date, doc: &Value) {
    println!(
        "{} ({}) as of {}",
        s,
        doc["state"]["name"].as_str().unwrap_or(""),
        doc["at"].as_str().unwrap_or("")
    );
    for t in doc["treaties"].as_array().into_iter().flatten() {
        let in_force = TreatyId::parse(t["treaty"].as_str().unwrap_or(""))
            .ok()
            .and_then(|id| in_force_at(registry, &id, date));
        let statuses: Vec<String> = t["status"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                if a["under"].as_array().is_some_and(|u| !u.is_empty()) {
                    format!("{} ({})", status_text(&a["value"], in_force), under(a))
                } else {
                    status_text(&a["value"], in_force)
                }
            })
            .collect();
        println!(
            "  {:<12} {}",
            t["treaty"].as_str().unwrap_or(""),
            statuses.join(" | ")
        );
    }
    println!("  forces: {} estimate row(s); deployments hosted: {}, owned abroad: {}; stated positions: {}",
        doc["forces"].as_array().map_or(0, Vec::len),
        doc["deployments_hosted"].as_array().map_or(0, Vec::len),
        doc["deployments_owned"].as_array().map_or(0, Vec::len),
        doc["positions"].as_array().map_or(0, Vec::len));
    println!("  {}", doc["caveat"].as_str().unwrap_or(""));
    println!(
        "  sources: {} (use --json for every row with its source)",
        doc["sources"].as_array().map_or(0, Vec::len)
    );
}

fn print_forces(year: Option<i32>, doc: &Value) {
    println!(
        "Estimated nuclear forces{} — {}",
        year.map(|y| format!(" in {y}")).unwrap_or_default(),
        doc["caveat"].as_str().unwrap_or("")
    );
    println!(
        "{:<6} {:<6} {:>9} {:>9} {:>9} {:>9} {:>11}  source",
        "state", "year", "inventory", "stockpile", "deployed", "retired", "range"
    );
    for e in doc["estimates"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(doc["undated"].as_array().into_iter().flatten())
    {
        let r = &e["row"];
        let cell = |k: &str| {
            if r[k].is_null() {
                "–".to_string()
            } else {
                r[k].to_string()
            }
        };
        let range = if r["total_low"].is_null() {
            "–".to_string()
        } else {
            format!("{}–{}", r["total_low"], r["total_high"])
        };
        let source: String = r["source"]
            .as_str()
            .unwrap_or("")
            .chars()
            .take(60)
            .collect();
        println!(
            "{:<6} {:<6} {:>9} {:>9} {:>9} {:>9} {:>11}  {}",
            r["state"].as_str().unwrap_or(""),
            cell("year"),
            cell("total_inventory"),
            cell("stockpile"),
            cell("deployed"),
            cell("retired"),
            range,
            source
        );
    }
    println!(
        "sources disagree on {} figure(s): all rows are kept (see --json \"disagreements\").",
        doc["disagreements"].as_array().map_or(0, Vec::len)
    );
}

fn print_deployments(doc: &Value) {
    println!(
        "Weapons deployed abroad — {}",
        doc["caveat"].as_str().unwrap_or("")
    );
    for e in doc["deployments"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(doc["undated"].as_array().into_iter().flatten())
    {
        let r = &e["row"];
        println!(
            "  host {} site {:?}: {} ({} custody), estimated count {}; source {}",
            r["host_state"].as_str().unwrap_or("?"),
            r["site"].as_str().unwrap_or(""),
            r["weapon_type"].as_str().unwrap_or(""),
            r["custodian_state"].as_str().unwrap_or(""),
            if r["estimated_count"].is_null() {
                "not given".to_string()
            } else {
                r["estimated_count"].to_string()
            },
            r["source"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(50)
                .collect::<String>()
        );
    }
    println!(
        "sources disagree on {} figure(s) (see --json \"disagreements\").",
        doc["disagreements"].as_array().map_or(0, Vec::len)
    );
}

fn print_history(s: StateCode, t: &TreatyId, doc: &Value) {
    println!("{s} and the {t}:");
    for e in doc["entries"].as_array().into_iter().flatten() {
        let a = &e["action"];
        println!(
            "  {} {:<22} by {}  ({})",
            a["date"].as_str().unwrap_or(""),
            a["action"].as_str().unwrap_or(""),
            a["iso3"].as_str().unwrap_or(""),
            a["source"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(60)
                .collect::<String>()
        );
    }
}

fn print_coverage(doc: &Value) {
    if doc["coverage"]["beyond_coverage"].as_bool() == Some(true) {
        println!(
            "\n  note: this date is beyond what the bundled sources cover: {}",
            doc["coverage"]["coverage"]
        );
    }
}

/// `regime import FILE --table T --key KEY`: the file's rows are checked together
/// with everything already in the log (the registry is rebuilt with them) and
/// appended as one group, or refused whole.
fn import(cli: &Cli, file: &Path, table: &str, key: &Path) -> CmdResult {
    if !TABLES.contains(&table) {
        bail!("--table {table:?}: expected one of {}", TABLES.join(", "));
    }
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("{name}: cannot read (expected UTF-8 CSV or JSON)"))?;
    let is_json = file.extension().is_some_and(|e| e == "json");
    let new_rows = if is_json {
        ledger::rows_from_json(&name, table, &text)
    } else {
        rows_from_csv(&name, table, &text)
    }
    .map_err(|e| anyhow!("{e}; nothing applied"))?;
    if new_rows.is_empty() {
        bail!("{name}: no rows; nothing applied");
    }
    let mut log = open_log(cli)?;
    let existing = logged_rows(&log)?;
    let before = existing.iter().filter(|(_, r)| r.table == table).count();
    let all: Vec<&RegistryRow> = existing
        .iter()
        .map(|(_, r)| r)
        .chain(new_rows.iter())
        .collect();
    let tables = Tables::from_rows(all)?;
    if let Err(e) = tables.registry(input::now().date()) {
        // Errors name the line of the rebuilt table; the new rows follow the
        // `before` rows already in the log, so map the line back to the file.
        let message = e.to_string();
        let prefix = format!("{table}.csv:");
        let mapped = message
            .strip_prefix(&prefix)
            .and_then(|rest| {
                let (line, tail) = rest.split_once(':')?;
                let line: usize = line.parse().ok()?;
                // CSV: line n of the file; JSON: element n - 2 of the array.
                (line > before + 1).then(|| {
                    if is_json {
                        format!("{name}[{}]:{tail}", line - before - 2)
                    } else {
                        format!("{name}:{}:{tail}", line - before)
                    }
                })
            })
            .unwrap_or_else(|| format!("{name}: {message}"));
        bail!("{mapped}; nothing applied");
    }
    let key = read_signing_key(key)?;
    let log_key = read_signing_key(&cli.log_key_path())
        .context("the log's signing key is needed to append (see --log-key)")?;
    let receipt = append_rows(
        &mut log,
        &log_key,
        &key,
        vec![(table.to_string(), new_rows)],
    )?;
    print_receipt(cli, &receipt);
    Ok(())
}

/// `regime export --format csv|json DIR`: the registry as the log holds it, with a
/// manifest binding every file to the log's latest signed checkpoint and to the
/// leaves its rows came from.
fn export(cli: &Cli, format: &str, dir: &Path) -> CmdResult {
    if format != "csv" && format != "json" {
        bail!("--format {format:?}: expected csv or json");
    }
    let log = open_log(cli)?;
    let rows = logged_rows(&log)?;
    let tables = Tables::from_rows(rows.iter().map(|(_, r)| r))?;
    tables
        .registry(input::now().date())
        .context("the registry rows in the log do not form a valid registry")?;
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let head = log
        .store()
        .latest_checkpoint()?
        .ok_or_else(|| anyhow!("the log has no checkpoint"))?;
    let mut files = Vec::new();
    for table in TABLES {
        let (name, bytes) = if format == "csv" {
            (
                format!("{table}.csv"),
                tables.text(table).as_bytes().to_vec(),
            )
        } else {
            let list: Vec<Value> = rows
                .iter()
                .filter(|(_, r)| r.table == table)
                .map(|(_, r)| Value::Object(r.row.clone()))
                .collect();
            (format!("{table}.json"), serde_json::to_vec_pretty(&list)?)
        };
        std::fs::write(dir.join(&name), &bytes)?;
        let leaves: std::collections::BTreeSet<u64> = rows
            .iter()
            .filter(|(_, r)| r.table == table)
            .map(|(l, _)| *l)
            .collect();
        files.push(json!({
            "file": name,
            "sha256": hex(&Sha256::digest(&bytes)),
            "rows": rows.iter().filter(|(_, r)| r.table == table).count(),
            "leaves": leaves,
        }));
    }
    let manifest = json!({
        "format": "custodian-regime-export/1",
        "origin": log.meta().origin,
        "verifier_key": log.meta().verifier_key,
        "tree_size": head.size.0,
        "checkpoint": head.note,
        "files": files,
        "how_to_verify": "Each file is rebuilt from the registry.row events in the listed leaves (custodian log entries), in log order; prove each leaf against the checkpoint with custodian log prove / log verify-inclusion, and compare the SHA-256.",
    });
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    if cli.json {
        output::json(&manifest);
    } else {
        println!(
            "wrote {} files and manifest.json to {}, bound to the checkpoint at size {}",
            files.len(),
            dir.display(),
            head.size.0
        );
    }
    Ok(())
}
