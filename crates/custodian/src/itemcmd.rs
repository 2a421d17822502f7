//! `custodian item show|history`, `custodian items`, `custodian alerts`: the
//! custody record of the log, as of any time.

use crate::cli::{Cli, ItemCommand, ItemsArgs};
use crate::logcmd::open_log;
use crate::record::{custody_at, for_each_leaf, parse_at};
use crate::views::ParamError;
use crate::{output, CmdResult};
use anyhow::anyhow;
use custodian_core::ids::ItemId;
use custodian_core::{Event, LeafIndex, StateCode, UtcTime};
use custodian_custody::state::status_name;
use custodian_custody::{alerts as record_alerts, item_of, Alert, Custody, ItemState, Location};
use custodian_store::any::AnyStore;
use custodian_store::log::Log;
use serde_json::{json, Value};

fn item_json(custody: &Custody, item: &ItemState) -> Value {
    let mut v = serde_json::to_value(item).unwrap_or(Value::Null);
    if let Some(map) = v.as_object_mut() {
        map.insert(
            "state".into(),
            custody.item_state_code(item).map(|s| s.to_string()).into(),
        );
    }
    v
}

fn place(custody: &Custody, item: &ItemState) -> String {
    match &item.location {
        Location::AtSite { site, .. } => match custody.site(site) {
            Some(s) => format!("{site} ({})", s.state),
            None => site.to_string(),
        },
        Location::InTransit {
            from,
            to,
            arrive_by,
            ..
        } => {
            format!("in transit {from} -> {to} (by {arrive_by})")
        }
    }
}

fn parse_state(flag: &str, text: Option<&str>) -> anyhow::Result<Option<StateCode>> {
    text.map(|t| StateCode::parse(t).map_err(|e| anyhow!("{flag} {t:?}: {e}")))
        .transpose()
}

/// Which items `custodian items` lists: all, or those on a state's
/// territory, in a state's custody, under a state's control.
#[derive(Default)]
pub struct ItemsFilter {
    /// Only items on the territory of this state.
    pub state: Option<StateCode>,
    /// Only items in this state's custody.
    pub custodian: Option<StateCode>,
    /// Only items under this state's control.
    pub controller: Option<StateCode>,
}

fn select<'c>(custody: &'c Custody, filter: &ItemsFilter) -> Vec<&'c ItemState> {
    custody
        .items()
        .filter(|i| filter.state.is_none() || custody.item_state_code(i) == filter.state)
        .filter(|i| filter.custodian.is_none_or(|c| i.custodian == c))
        .filter(|i| filter.controller.is_none_or(|c| i.controller == c))
        .collect()
}

/// The JSON document of `custodian items --json` (and of `GET /api/v1/items`).
pub fn items_doc(log: &Log<AnyStore>, at: UtcTime, filter: &ItemsFilter) -> anyhow::Result<Value> {
    let custody = custody_at(log, at)?;
    let selected = select(&custody, filter);
    Ok(json!({
        "at": at,
        "items": selected.iter().map(|i| item_json(&custody, i)).collect::<Vec<_>>(),
    }))
}

/// `custodian items`.
pub fn items(cli: &Cli, args: &ItemsArgs) -> CmdResult {
    let at = parse_at(args.at.as_deref())?;
    let filter = ItemsFilter {
        state: parse_state("--state", args.state.as_deref())?,
        custodian: parse_state("--custodian", args.custodian.as_deref())?,
        controller: parse_state("--controller", args.controller.as_deref())?,
    };
    let log = open_log(cli)?;
    if cli.json {
        output::json(&items_doc(&log, at, &filter)?);
        return Ok(());
    }
    let custody = custody_at(&log, at)?;
    let selected = select(&custody, &filter);
    println!("{} item(s) as of {at}", selected.len());
    if !selected.is_empty() {
        println!(
            "{:<14} {:<28} {:<11} {:<9} {:<10} location",
            "item", "type", "status", "custodian", "controller"
        );
    }
    for i in selected {
        println!(
            "{:<14} {:<28} {:<11} {:<9} {:<10} {}",
            i.item.as_str(),
            i.item_type,
            status_name(i.status),
            i.custodian.to_string(),
            i.controller.to_string(),
            place(&custody, i)
        );
    }
    Ok(())
}

/// `custodian item show|history`.
pub fn item(cli: &Cli, cmd: &ItemCommand) -> CmdResult {
    match cmd {
        ItemCommand::Show { id, at } => show(cli, id, at.as_deref()),
        ItemCommand::History { id } => history(cli, id),
    }
}

/// The item `id` of the record as of `at`, or the caller's error.
fn find<'c>(custody: &'c Custody, id: &ItemId, at: UtcTime) -> anyhow::Result<&'c ItemState> {
    custody.item(id).ok_or_else(|| {
        ParamError::not_found("id", format!("no item {id} in the record as of {at}")).into()
    })
}

/// The JSON document of `custodian item show ID --json` (and of
/// `GET /api/v1/items/{id}`).
pub fn item_doc(log: &Log<AnyStore>, id: &ItemId, at: UtcTime) -> anyhow::Result<Value> {
    let custody = custody_at(log, at)?;
    Ok(item_json(&custody, find(&custody, id, at)?))
}

fn show(cli: &Cli, id: &str, at: Option<&str>) -> CmdResult {
    let id = ItemId::parse(id).map_err(|e| anyhow!("item {id:?}: {e}"))?;
    let at = parse_at(at)?;
    let log = open_log(cli)?;
    if cli.json {
        output::json(&item_doc(&log, &id, at)?);
        return Ok(());
    }
    let custody = custody_at(&log, at)?;
    let item = find(&custody, &id, at)?;
    println!("item        {}", item.item);
    println!("type        {}", item.item_type);
    println!("status      {}", status_name(item.status));
    println!(
        "location    {}   (event {})",
        place(&custody, item),
        item.located_by.event
    );
    println!(
        "custodian   {}   (event {})",
        item.custodian, item.custody_by.event
    );
    println!(
        "controller  {}   (event {})",
        item.controller, item.control_by.event
    );
    if let Some(d) = &item.deployment {
        println!(
            "deployed    in {} under {:?}   (event {})",
            d.host, d.arrangement, d.by.event
        );
    }
    if let Some(a) = &item.assignment {
        println!(
            "assigned    to {} of {}   (event {})",
            a.unit, a.unit_state, a.by.event
        );
    }
    println!(
        "as of       {at}; last event {} at leaf {}",
        item.last.event, item.last.leaf.0
    );
    Ok(())
}

/// Every event about `id`, in log order, with its leaf; the caller's error
/// if there is none.
fn events_about(log: &Log<AnyStore>, id: &ItemId) -> anyhow::Result<Vec<(LeafIndex, Event)>> {
    let mut rows = Vec::new();
    for_each_leaf(log, |leaf, signed| {
        for event in signed.submission.events {
            if item_of(&event.payload) == Some(id) {
                rows.push((leaf, event));
            }
        }
        Ok(())
    })?;
    if rows.is_empty() {
        return Err(ParamError::not_found("id", format!("no item {id} in the log")).into());
    }
    Ok(rows)
}

/// The JSON document of `custodian item history ID --json` (and of
/// `GET /api/v1/items/{id}/history`).
pub fn history_doc(log: &Log<AnyStore>, id: &ItemId) -> anyhow::Result<Value> {
    let rows = events_about(log, id)?;
    Ok(json!({
        "item": id.as_str(),
        "events": rows.iter().map(|(leaf, e)| json!({"leaf": leaf.0, "event": e.to_json()})).collect::<Vec<_>>(),
    }))
}

fn history(cli: &Cli, id: &str) -> CmdResult {
    let id = ItemId::parse(id).map_err(|e| anyhow!("item {id:?}: {e}"))?;
    let log = open_log(cli)?;
    if cli.json {
        output::json(&history_doc(&log, &id)?);
        return Ok(());
    }
    let rows = events_about(&log, &id)?;
    println!("{} event(s) about {id}, in log order:", rows.len());
    for (leaf, e) in rows {
        let approvers: Vec<&str> = e.approvals.iter().map(|a| a.actor.as_str()).collect();
        let payload = serde_json::to_string(&e.payload).unwrap_or_default();
        println!(
            "  leaf {:>4}  {}  {:<22} by {}{}  {}",
            leaf.0,
            e.time,
            e.kind().as_str(),
            e.actor,
            if approvers.is_empty() {
                String::new()
            } else {
                format!(" + {}", approvers.join(", "))
            },
            payload
        );
    }
    Ok(())
}

fn alerts_at(log: &Log<AnyStore>, at: UtcTime) -> anyhow::Result<Vec<Alert>> {
    Ok(record_alerts(&custody_at(log, at)?, at))
}

/// The JSON document of `custodian alerts --json` (and of `GET /api/v1/alerts`).
pub fn alerts_doc(log: &Log<AnyStore>, at: UtcTime) -> anyhow::Result<Value> {
    Ok(json!({"at": at, "alerts": alerts_at(log, at)?}))
}

/// `custodian alerts`.
pub fn alerts(cli: &Cli, at: Option<&str>) -> CmdResult {
    let at = parse_at(at)?;
    let log = open_log(cli)?;
    if cli.json {
        output::json(&alerts_doc(&log, at)?);
        return Ok(());
    }
    print_alerts(&alerts_at(&log, at)?, at);
    Ok(())
}

/// Prints alerts as a table.
pub fn print_alerts(found: &[custodian_custody::Alert], at: custodian_core::UtcTime) {
    println!("{} alert(s) as of {at}", found.len());
    for a in found {
        let detail = serde_json::to_value(&a.kind)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .map(|m| {
                m.into_iter()
                    .filter(|(k, _)| k != "kind")
                    .map(|(k, v)| {
                        format!("{k}={}", v.as_str().map_or(v.to_string(), str::to_string))
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let evidence: Vec<String> = a
            .evidence
            .iter()
            .map(|e| format!("{}@leaf{}", e.event, e.leaf.0))
            .collect();
        println!(
            "  {:<26} {:<10} {}  [evidence: {}]",
            a.kind.name(),
            a.item.as_ref().map_or("-", |i| i.as_str()),
            detail,
            evidence.join(", ")
        );
    }
}
