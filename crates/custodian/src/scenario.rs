//! Bundled scenarios: a log built from a JSON script of signed submissions, with
//! the refusals it expects, then the record's items, alerts and (with the
//! treaty registry) compliance findings per interpretation.
//!
//! `custodian scenario run NAME` and `custodian demo` run them; the format is
//! in `docs/FORMATS.md` ("Scenarios").

use crate::cli::{log_key_beside, Cli};
use crate::keyfile::{read_signing_key, write_secret};
use crate::{CmdResult, Failure};
use anyhow::{anyhow, Context};
use custodian_core::event::{ActorRegister, PublicKey};
use custodian_core::{
    ActorId, Event, EventId, Party, Payload, Role, SignedSubmission, Submission, UtcTime,
};
use custodian_ledger::keys::{SigningKey, VerifierKey};
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
#[derive(Clone, Deserialize)]
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
    // Every demo and bundled scenario starts here: they write SQLite files only.
    if let target @ custodian_store::any::Target::Postgres(_) =
        custodian_store::any::Target::parse(db)
    {
        anyhow::bail!("--db {target}: the demo and the bundled scenarios write SQLite files, not a PostgreSQL log; give --db a file path (a shared PostgreSQL log is made with `custodian --db postgres://... init`)");
    }
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

/// A log being built from scenarios: the log, its signing key and the keys
/// of its actors (each also written to `<db>.keys/ACTOR.key`), narrated on
/// stdout unless quiet. Several scenarios can append into one stage (the
/// showcase of `custodian serve --demo`); an actor they share is registered
/// once.
pub struct Stage {
    /// The log.
    pub log: Log<AnyStore>,
    /// Its database.
    pub db: PathBuf,
    /// The log's signing key (each append signs a checkpoint).
    pub log_key: SigningKey,
    /// Its verifier key.
    pub vkey: VerifierKey,
    /// The directory of the actors' key files.
    pub keys_dir: PathBuf,
    /// The registered actors' signing keys, the administrator's included.
    pub keys: BTreeMap<ActorId, SigningKey>,
    /// The refusals seen so far, each one its scenario expected.
    pub refusals: usize,
    quiet: bool,
}

impl Stage {
    /// Creates a fresh log with origin `origin` at `db`, its signing key at
    /// `log_key_path` and the administrator `admin` (genesis at `time`).
    /// A previous run's database, key and `<db>.keys/` are removed first; a
    /// file at `db` that is not a Custodian database is refused, never removed.
    pub fn create(
        origin: &str,
        db: &Path,
        log_key_path: &Path,
        time: UtcTime,
        quiet: bool,
    ) -> anyhow::Result<Stage> {
        let keys_dir = with_suffix(db, ".keys");
        clear_previous(db, log_key_path, &[&keys_dir])?;
        std::fs::create_dir_all(&keys_dir)?;
        let log_key = SigningKey::generate(origin)?;
        let vkey = log_key.verifier();
        let admin = ActorId::parse("admin")?;
        let admin_key = SigningKey::generate(admin.as_str())?;
        write_secret(log_key_path, &log_key.to_text())?;
        write_secret(&keys_dir.join("admin.key"), &admin_key.to_text())?;
        let store = AnyStore::Sqlite(SqliteStore::create(
            db,
            &Meta {
                origin: origin.to_owned(),
                verifier_key: vkey.to_text(),
            },
        )?);
        let mut log = Log::open(store)?;
        let genesis = genesis_submission(
            origin,
            admin.clone(),
            &admin_key,
            Party::Body("secretariat".into()),
            Some("Log administrator".into()),
            time,
        )?;
        crate::record::append(&mut log, &[genesis], &log_key)??;
        Ok(Stage {
            log,
            db: db.to_path_buf(),
            log_key,
            vkey,
            keys_dir,
            keys: BTreeMap::from([(admin, admin_key)]),
            refusals: 0,
            quiet,
        })
    }

    /// Prints `text` unless the stage is quiet.
    pub fn say(&self, text: impl std::fmt::Display) {
        if !self.quiet {
            println!("{text}");
        }
    }

    /// The signing key of the registered actor `actor`.
    pub fn key(&self, actor: &str) -> anyhow::Result<&SigningKey> {
        let id = ActorId::parse(actor)?;
        self.keys
            .get(&id)
            .ok_or_else(|| anyhow!("scenario: unknown actor {actor}"))
    }

    /// Appends the bundled treaty registry, signed by the `secretariat` the
    /// administrator registers for it, unless this log holds it already.
    /// Returns the receipt and the number of rows, if appended.
    pub fn load_registry(&mut self) -> anyhow::Result<Option<(AppendReceipt, usize)>> {
        let secretariat = ActorId::parse("secretariat")?;
        if self.keys.contains_key(&secretariat) {
            return Ok(None);
        }
        let key_path = self.keys_dir.join("secretariat.key");
        let admin_key = self.key("admin")?.clone();
        let loaded = crate::logcmd::load_bundled_registry(
            &mut self.log,
            &self.log_key,
            &admin_key,
            &key_path,
        )?;
        self.keys.insert(secretariat, read_signing_key(&key_path)?);
        Ok(Some(loaded))
    }

    /// Registers, at `time`, those of `actors` this log does not hold yet, in
    /// one submission of the administrator. An actor already registered must
    /// have the same role and party: the same id meaning another actor is a
    /// bug in the scenarios, refused here. Returns how many were registered.
    pub fn add_actors(&mut self, actors: &[ScenarioActor], time: UtcTime) -> anyhow::Result<usize> {
        let mut new: Vec<ScenarioActor> = Vec::new();
        for a in actors {
            let known = self.log.registry().get(&a.id).map(|r| (r.role, &r.party));
            match known {
                None if !new.iter().any(|n| n.id == a.id) => new.push(a.clone()),
                None => bail!("scenario: the actor {} is listed twice", a.id),
                Some((role, party)) if role == a.role && *party == a.party => {}
                Some((role, party)) => bail!(
                    "scenario: the actor id {} is registered as {role} for {party} here, not as {} for {}; give the scenario's actor another id",
                    a.id,
                    a.role,
                    a.party
                ),
            }
        }
        if new.is_empty() {
            return Ok(0);
        }
        let admin_key = self.key("admin")?.clone();
        let (keys, _) = register_actors(
            &mut self.log,
            &self.log_key,
            &admin_key,
            &new,
            &self.keys_dir,
            time,
        )?;
        self.keys.extend(keys);
        Ok(new.len())
    }

    /// Appends `scenario` to this log: the bundled registry if it asks for
    /// it (once per log), its actors not registered yet, then its
    /// submissions, each accepted or refused as the scenario expects (a
    /// refusal leaves nothing behind and is counted). Narrates each step.
    pub fn append_scenario(&mut self, scenario: &Scenario) -> anyhow::Result<()> {
        let now = crate::input::now();
        if scenario.registry.as_deref() == Some("bundled") {
            if let Some((receipt, rows)) = self.load_registry()? {
                self.say(format!(
                    "  treaty registry: {rows} sourced rows appended by the secretariat (leaves up to {})",
                    receipt.size.0 - 1
                ));
            }
        }
        let registered = self.add_actors(&scenario.actors, now)?;
        self.say(format!(
            "  {registered} actors registered; their keys are in {}/\n",
            self.keys_dir.display()
        ));
        if !scenario.submissions.is_empty() {
            self.say("Submissions, in order:");
        }
        for (step, s) in scenario.submissions.iter().enumerate() {
            let seq = self.log.registry().get(&s.actor).map_or(1, |r| r.next_seq);
            let signed = build(&self.log.meta().origin, s, seq, &self.keys)?;
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
            let result =
                crate::record::append(&mut self.log, std::slice::from_ref(&signed), &self.log_key)?;
            let note = s
                .note
                .as_deref()
                .map(|n| format!("  ({n})"))
                .unwrap_or_default();
            match (result, &s.expect_refused) {
                (Ok(r), None) => self.say(format!(
                    "  {:>2}. leaf {:>4}  {:<40} {}{note}",
                    step + 1,
                    r.first_leaf.0,
                    kinds.join(", "),
                    signers
                )),
                (Err(e), Some(want)) if e.to_string().contains(want.as_str()) => {
                    self.refusals += 1;
                    self.say(format!(
                        "  {:>2}. REFUSED    {:<40} {}{note}\n      {e}; nothing applied",
                        step + 1,
                        kinds.join(", "),
                        signers
                    ));
                }
                (Ok(_), Some(want)) => bail!(
                    "scenario {} step {}: accepted, but it should have been refused ({want:?})",
                    scenario.name,
                    step + 1
                ),
                (Err(e), _) => bail!("scenario {} step {}: refused: {e}", scenario.name, step + 1),
            }
        }
        self.say("");
        Ok(())
    }

    /// Signs `payloads` at `time` as the next submission of `actor`, each
    /// event co-signed by every one of `approvers`, and appends it through
    /// the engines' rules; returns the receipt and the id of its first event.
    pub fn append_as(
        &mut self,
        actor: &str,
        approvers: &[&str],
        payloads: Vec<Payload>,
        time: UtcTime,
    ) -> anyhow::Result<(AppendReceipt, EventId)> {
        let key = self.key(actor)?;
        let actor = ActorId::parse(actor)?;
        let seq = self.log.registry().get(&actor).map_or(1, |r| r.next_seq);
        let mut events = Vec::new();
        for (n, payload) in payloads.into_iter().enumerate() {
            let mut event = Event {
                id: EventId::parse(&format!("{actor}:{seq}:{n}"))?,
                time,
                actor: actor.clone(),
                payload,
                approvals: Vec::new(),
            };
            for a in approvers {
                event
                    .approvals
                    .push(approve(&event, ActorId::parse(a)?, self.key(a)?)?);
            }
            events.push(event);
        }
        let signed = sign_submission(
            Submission {
                log: self.log.meta().origin.clone(),
                actor,
                seq,
                events,
            },
            key,
        )?;
        let first = signed.submission.events.first().map(|e| e.id.clone());
        let receipt = crate::record::append(&mut self.log, &[signed], &self.log_key)??;
        Ok((
            receipt,
            first.ok_or_else(|| anyhow!("an empty submission"))?,
        ))
    }
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

/// Builds a scenario's log at `db` (its key at `log_key_path`), printing
/// each step.
pub fn build_log(scenario: &Scenario, db: &Path, log_key_path: &Path) -> anyhow::Result<Stage> {
    let now = crate::input::now();
    let mut stage = Stage::create(&scenario.origin, db, log_key_path, now, false)?;
    println!("{}\n", scenario.title);
    println!("{}\n", scenario.about);
    println!("Log {:?} in {}", scenario.origin, db.display());
    println!("  verifier key {}", stage.vkey.to_text());
    stage.append_scenario(scenario)?;
    Ok(stage)
}

/// Shows what a built scenario's record holds at its evaluation time: items,
/// alerts, and compliance findings per interpretation with offline-verified
/// evidence. Runs the audit first.
pub fn show(scenario: &Scenario, built: &Stage) -> CmdResult {
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
