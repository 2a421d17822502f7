//! Bundled scenarios: a log built from a JSON script of signed submissions, with
//! the refusals it expects, then the record's items, alerts and (with the
//! treaty registry) compliance findings per interpretation.
//!
//! `custodian scenario run NAME` and `custodian demo` run them; the format is
//! in `docs/FORMATS.md` ("Scenarios").

use crate::cli::{log_key_beside, Cli};
use crate::keyfile::write_secret;
use crate::{CmdResult, Failure};
use anyhow::{anyhow, Context};
use custodian_core::event::{ActorRegister, PublicKey};
use custodian_core::{
    ActorId, Event, EventId, Party, Payload, Role, SignedSubmission, Submission, UtcTime,
};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::submission::{approve, sign_submission};
use custodian_store::any::AnyStore;
use custodian_store::log::{genesis_submission, AppendReceipt, Log};
use custodian_store::sqlite::SqliteStore;
use custodian_store::Meta;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The bundled scenarios: (name, JSON).
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "nato-sharing",
        include_str!("../scenarios/nato-sharing.json"),
    ),
    (
        "covert-relocation",
        include_str!("../scenarios/covert-relocation.json"),
    ),
];

/// A scenario script.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Its name (`custodian scenario run NAME`).
    #[serde(default)]
    pub name: String,
    /// A one-line title.
    #[serde(default)]
    pub title: String,
    /// What it shows, its sources and what in it is estimated or hypothetical.
    pub about: String,
    /// The log's origin.
    pub origin: String,
    /// `bundled`: load the bundled treaty registry first; `none`: no registry.
    #[serde(default)]
    pub registry: Option<String>,
    /// When to show the record and evaluate obligations.
    #[serde(default)]
    pub evaluate_at: Option<UtcTime>,
    /// An earlier time to evaluate too, for a before/after comparison.
    #[serde(default)]
    pub before: Option<UtcTime>,
    /// The actors, registered by the administrator.
    pub actors: Vec<ScenarioActor>,
    /// The submissions, in order.
    pub submissions: Vec<ScenarioSubmission>,
}

/// An actor of a scenario.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioActor {
    /// Its id.
    pub id: ActorId,
    /// Its role.
    pub role: Role,
    /// Whom it acts for.
    pub party: Party,
    /// Its name.
    pub name: String,
}

/// A submission of a scenario: its events are given ids `actor:seq:n`, each is
/// approved by every approver, and the whole is signed by the actor.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSubmission {
    /// The submitting actor (`admin` is the log's administrator).
    pub actor: ActorId,
    /// Who co-signs each event.
    #[serde(default)]
    pub approvers: Vec<ActorId>,
    /// What this step shows.
    #[serde(default)]
    pub note: Option<String>,
    /// If set, the submission must be refused with a message containing this.
    #[serde(default)]
    pub expect_refused: Option<String>,
    /// The events: `{time, kind, payload}`.
    pub events: Vec<serde_json::Value>,
}

/// Parses a scenario.
pub fn parse(name: &str, text: &str) -> anyhow::Result<Scenario> {
    serde_json::from_str(text).with_context(|| format!("the bundled scenario {name} is malformed"))
}

/// Builds and signs `s` as the `seq`th submission of its actor.
pub fn build(
    origin: &str,
    s: &ScenarioSubmission,
    seq: u64,
    keys: &BTreeMap<ActorId, SigningKey>,
) -> anyhow::Result<SignedSubmission> {
    let key = keys
        .get(&s.actor)
        .ok_or_else(|| anyhow!("scenario: unknown actor {}", s.actor))?;
    let mut events = Vec::new();
    for (n, raw) in s.events.iter().enumerate() {
        let mut value = raw.clone();
        let map = value
            .as_object_mut()
            .ok_or_else(|| anyhow!("scenario: an event is not an object"))?;
        map.insert("v".into(), 1.into());
        map.insert("actor".into(), s.actor.as_str().into());
        map.insert("id".into(), format!("{}:{}:{n}", s.actor, seq).into());
        let mut event = Event::from_json(value).map_err(|e| anyhow!("scenario: {e}"))?;
        for approver in &s.approvers {
            let k = keys
                .get(approver)
                .ok_or_else(|| anyhow!("scenario: unknown approver {approver}"))?;
            event.approvals.push(approve(&event, approver.clone(), k)?);
        }
        events.push(event);
    }
    Ok(sign_submission(
        Submission {
            log: origin.to_string(),
            actor: s.actor.clone(),
            seq,
            events,
        },
        key,
    )?)
}

/// The path `path` + `suffix`.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.to_path_buf().into_os_string();
    p.push(suffix);
    PathBuf::from(p)
}

/// Removes a previous run's files, refusing to touch a database that is not ours.
pub fn clear_previous(db: &Path, log_key: &Path, dirs: &[&Path]) -> anyhow::Result<()> {
    if db.exists() {
        SqliteStore::open(db).with_context(|| {
            format!(
                "{}: exists and is not a Custodian database; not removing it (choose another --db)",
                db.display()
            )
        })?;
        std::fs::remove_file(db)?;
        println!("(removed the previous database {})", db.display());
    }
    for extra in [
        with_suffix(db, "-wal"),
        with_suffix(db, "-shm"),
        log_key.to_path_buf(),
    ] {
        if extra.exists() {
            std::fs::remove_file(&extra)?;
        }
    }
    for dir in dirs {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
    }
    Ok(())
}

/// `custodian scenario list`.
pub fn list(cli: &Cli) -> CmdResult {
    let mut rows = Vec::new();
    for (name, text) in SCENARIOS {
        let s = parse(name, text)?;
        if s.name != *name {
            return Err(anyhow!("the bundled scenario {name} names itself {:?}", s.name).into());
        }
        rows.push(serde_json::json!({"name": name, "title": s.title, "about": s.about}));
        if !cli.json {
            println!("{name:<20} {}", s.title);
        }
    }
    if cli.json {
        crate::output::json(&serde_json::Value::Array(rows));
    }
    Ok(())
}

/// Registers `actors` in one submission of the administrator (key `admin_key`),
/// writing each actor's new signing key to `keys_dir`. Returns the keys and the
/// receipt.
pub fn register_actors(
    log: &mut Log<AnyStore>,
    log_key: &SigningKey,
    admin_key: &SigningKey,
    actors: &[ScenarioActor],
    keys_dir: &Path,
    time: UtcTime,
) -> anyhow::Result<(BTreeMap<ActorId, SigningKey>, AppendReceipt)> {
    let admin = ActorId::parse(admin_key.name())?;
    let seq = log.registry().get(&admin).map_or(1, |r| r.next_seq);
    let mut keys = BTreeMap::new();
    let mut registrations = Vec::new();
    for (n, a) in actors.iter().enumerate() {
        let key = SigningKey::generate(a.id.as_str())?;
        write_secret(&keys_dir.join(format!("{}.key", a.id)), &key.to_text())?;
        registrations.push(Event {
            id: EventId::parse(&format!("{admin}:{seq}:{n}"))?,
            time,
            actor: admin.clone(),
            payload: Payload::ActorRegister(ActorRegister {
                actor: a.id.clone(),
                role: a.role,
                party: a.party.clone(),
                public_key: PublicKey(key.verifier().public_key()),
                name: Some(a.name.clone()),
            }),
            approvals: Vec::new(),
        });
        keys.insert(a.id.clone(), key);
    }
    let signed = sign_submission(
        Submission {
            log: log.meta().origin.clone(),
            actor: admin,
            seq,
            events: registrations,
        },
        admin_key,
    )?;
    let receipt = crate::record::append(log, &[signed], log_key)??;
    Ok((keys, receipt))
}

/// A scenario's log, once built.
pub struct Built {
    /// The log.
    pub log: Log<AnyStore>,
    /// Its database.
    pub db: PathBuf,
    /// Its verifier key.
    pub vkey: custodian_ledger::keys::VerifierKey,
    /// The refusals seen, as expected.
    pub refusals: usize,
}

/// Builds and shows the bundled scenario `name` at `db` (for the demo).
pub fn run_at(name: &str, db: &Path) -> CmdResult {
    let (_, text) = SCENARIOS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| anyhow!("no bundled scenario {name}"))?;
    let scenario = parse(name, text)?;
    let built = build_log(&scenario, db, &log_key_beside(db))?;
    show(&scenario, &built)
}

/// `custodian scenario run NAME`: builds the scenario's log in
/// `custodian-scenario-NAME.db` (or `--db`) and shows what it holds.
pub fn run(cli: &Cli, name: &str) -> CmdResult {
    let (_, text) = SCENARIOS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        let known: Vec<&str> = SCENARIOS.iter().map(|(n, _)| *n).collect();
        anyhow!(
            "unknown scenario {name:?}; expected one of {}",
            known.join(", ")
        )
    })?;
    let scenario = parse(name, text)?;
    let db = cli
        .db
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("custodian-scenario-{name}.db")));
    let log_key = cli.log_key.clone().unwrap_or_else(|| log_key_beside(&db));
    let built = build_log(&scenario, &db, &log_key)?;
    show(&scenario, &built)
}

/// Builds a scenario's log at `db`, printing each step.
pub fn build_log(scenario: &Scenario, db: &Path, log_key_path: &Path) -> anyhow::Result<Built> {
    let keys_dir = with_suffix(db, ".keys");
    clear_previous(db, log_key_path, &[&keys_dir])?;
    std::fs::create_dir_all(&keys_dir)?;
    println!("{}\n", scenario.title);
    println!("{}\n", scenario.about);

    let log_key = SigningKey::generate(&scenario.origin)?;
    let vkey = log_key.verifier();
    let admin = ActorId::parse("admin")?;
    let admin_key = SigningKey::generate(admin.as_str())?;
    write_secret(log_key_path, &log_key.to_text())?;
    write_secret(&keys_dir.join("admin.key"), &admin_key.to_text())?;
    let store = AnyStore::Sqlite(SqliteStore::create(
        db,
        &Meta {
            origin: scenario.origin.clone(),
            verifier_key: vkey.to_text(),
        },
    )?);
    let mut log = Log::open(store)?;
    let now = crate::input::now();
    let genesis = genesis_submission(
        &scenario.origin,
        admin.clone(),
        &admin_key,
        Party::Body("secretariat".into()),
        Some("Log administrator".into()),
        now,
    )?;
    crate::record::append(&mut log, &[genesis], &log_key)??;
    println!("Log {:?} in {}", scenario.origin, db.display());
    println!("  verifier key {}", vkey.to_text());
    if scenario.registry.as_deref() == Some("bundled") {
        let (receipt, rows) = crate::logcmd::load_bundled_registry(
            &mut log,
            &log_key,
            &admin_key,
            &keys_dir.join("secretariat.key"),
        )?;
        println!(
            "  treaty registry: {rows} sourced rows appended by the secretariat (leaves up to {})",
            receipt.size.0 - 1
        );
    }
    let (mut keys, _) = register_actors(
        &mut log,
        &log_key,
        &admin_key,
        &scenario.actors,
        &keys_dir,
        now,
    )?;
    println!(
        "  {} actors registered; their keys are in {}/\n",
        scenario.actors.len(),
        keys_dir.display()
    );
    keys.insert(admin.clone(), admin_key);

    if !scenario.submissions.is_empty() {
        println!("Submissions, in order:");
    }
    let mut refusals = 0;
    for (step, s) in scenario.submissions.iter().enumerate() {
        let seq = log.registry().get(&s.actor).map_or(1, |r| r.next_seq);
        let signed = build(&scenario.origin, s, seq, &keys)?;
        // Runs of one kind are shown once with their count.
        let mut kinds: Vec<String> = Vec::new();
        let mut run = 0;
        let events = &signed.submission.events;
        for (i, e) in events.iter().enumerate() {
            run += 1;
            if events.get(i + 1).map(|n| n.kind()) != Some(e.kind()) {
                let kind = e.kind().as_str();
                kinds.push(if run > 1 {
                    format!("{kind} x{run}")
                } else {
                    kind.to_owned()
                });
                run = 0;
            }
        }
        let signers = if s.approvers.is_empty() {
            s.actor.to_string()
        } else {
            let approvers: Vec<&str> = s.approvers.iter().map(ActorId::as_str).collect();
            format!("{} + {}", s.actor, approvers.join(", "))
        };
        let result = crate::record::append(&mut log, std::slice::from_ref(&signed), &log_key)?;
        let note = s
            .note
            .as_deref()
            .map(|n| format!("  ({n})"))
            .unwrap_or_default();
        match (result, &s.expect_refused) {
            (Ok(r), None) => println!(
                "  {:>2}. leaf {:>4}  {:<40} {}{note}",
                step + 1,
                r.first_leaf.0,
                kinds.join(", "),
                signers
            ),
            (Err(e), Some(want)) if e.to_string().contains(want.as_str()) => {
                refusals += 1;
                println!(
                    "  {:>2}. REFUSED    {:<40} {}{note}\n      {e}; nothing applied",
                    step + 1,
                    kinds.join(", "),
                    signers
                );
            }
            (Ok(_), Some(want)) => {
                return Err(anyhow!(
                    "scenario step {}: accepted, but it should have been refused ({want:?})",
                    step + 1
                ))
            }
            (Err(e), _) => {
                return Err(anyhow!("scenario step {}: refused: {e}", step + 1));
            }
        }
    }
    println!();
    Ok(Built {
        log,
        db: db.to_path_buf(),
        vkey,
        refusals,
    })
}

/// Shows what a built scenario's record holds at its evaluation time: items,
/// alerts, and compliance findings per interpretation with offline-verified
/// evidence. Runs the audit first.
pub fn show(scenario: &Scenario, built: &Built) -> CmdResult {
    let at = scenario.evaluate_at.unwrap_or_else(crate::input::now);
    let report = crate::record::audit(built.log.store(), Some(&built.vkey))
        .map_err(|f| Failure::verification(anyhow!("audit failed: {f}")))?;
    println!(
        "Audit passed: {} leaves, {} events re-verified, the two-person rule re-checked on every event ({} refusal(s) left nothing behind).\n",
        report.leaves, report.events, built.refusals
    );
    let custody = crate::record::custody_at(&built.log, at)?;
    println!("Items as of {at}:");
    for item in custody.items() {
        println!(
            "  {:<28} {:<10} custodian {}  controller {}  {}",
            item.item.as_str(),
            custodian_custody::state::status_name(item.status),
            item.custodian,
            item.controller,
            match custody.item_state_code(item) {
                Some(s) => format!("in {s}"),
                None => format!("{}", item.location),
            }
        );
    }
    println!();
    let found = custodian_custody::alerts(&custody, at);
    crate::itemcmd::print_alerts(&found, at);
    println!();
    crate::complycmd::scenario_evidence(
        &built.log,
        &built.db,
        &built.vkey,
        scenario.registry.as_deref() == Some("bundled"),
        scenario.before,
        at,
        &found,
    )
}
