//! `init`, `actor`, `log` and `audit`.

use crate::cli::{ActorCommand, AuditArgs, Cli, InitArgs, LogCommand};
use crate::input::{self, Input, Line};
use crate::keyfile::{read_signing_key, read_verifier_key, write_secret};
use crate::{output, CmdResult, Failure};
use anyhow::{anyhow, Context};
use custodian_core::encoding::{hex, unhex};
use custodian_core::event::{ActorRegister, ActorRevoke, ActorRotateKey, PublicKey};
use custodian_core::{
    ActorId, Event, EventId, LeafIndex, Party, Payload, Role, SignedSubmission, Submission,
    TreeSize,
};
use custodian_ledger::checkpoint::{verify_checkpoint, Checkpoint};
use custodian_ledger::hash::leaf_hash;
use custodian_ledger::keys::{SigningKey, VerifierKey};
use custodian_ledger::proof::{verify_consistency, verify_inclusion};
use custodian_ledger::registry::RegistryError;
use custodian_ledger::submission::{approve, sign_submission};
use custodian_ledger::Hash;
use custodian_store::any::AnyStore;
use custodian_store::log::{genesis_submission, AppendError, AppendReceipt, Log};
use custodian_store::{Meta, Store};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Opens the log in the database given by `--db`.
pub fn open_log(cli: &Cli) -> anyhow::Result<Log<AnyStore>> {
    let store = AnyStore::open(&cli.db_target())?;
    Ok(Log::open(store)?)
}

pub(crate) fn read_log_key(cli: &Cli) -> anyhow::Result<SigningKey> {
    read_signing_key(&cli.log_key_path())
        .context("the log's signing key is needed to append (see --log-key)")
}

/// `custodian init`.
pub fn init(cli: &Cli, args: &InitArgs) -> CmdResult {
    // A file path or a PostgreSQL URL; shown only through its `Display`, which
    // hides a URL's password.
    let db = cli.db_target();
    let log_key_path = cli.log_key_path();
    let admin = ActorId::parse(&args.admin).context("--admin")?;
    let party = Party::parse(&args.admin_party).context("--admin-party")?;
    let admin_key_path = args
        .admin_key_out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{admin}.key")));
    // A PostgreSQL log is checked by the store: `create` refuses a schema that
    // holds any table.
    for path in db
        .file()
        .into_iter()
        .chain([&*log_key_path, &*admin_key_path])
    {
        if path.exists() {
            bail!("{}: already exists; refusing to overwrite it (choose another --db, --log-key or --admin-key-out)", path.display());
        }
    }
    let log_key = SigningKey::generate(&args.origin)
        .context("--origin must be a valid key name: no spaces or '+'")?;
    let admin_key = SigningKey::generate(admin.as_str())?;
    let meta = Meta {
        origin: args.origin.clone(),
        verifier_key: log_key.verifier().to_text(),
    };
    let store = AnyStore::create(&db, &meta)?;
    write_secret(&log_key_path, &log_key.to_text())?;
    write_secret(&admin_key_path, &admin_key.to_text())?;
    let mut log = Log::open(store)?;
    let genesis = genesis_submission(
        &args.origin,
        admin.clone(),
        &admin_key,
        party,
        None,
        input::now(),
    )?;
    let mut receipt = crate::record::append(&mut log, &[genesis], &log_key)??;
    let secretariat_key_path = PathBuf::from("secretariat.key");
    let registry_loaded = if args.empty_registry {
        None
    } else {
        let rows = load_bundled_registry(&mut log, &log_key, &admin_key, &secretariat_key_path)?;
        receipt = rows.0;
        Some(rows.1)
    };
    if cli.json {
        output::json(&json!({
            "db": db.to_string(),
            "origin": args.origin,
            "verifier_key": meta.verifier_key,
            "log_key_file": log_key_path.display().to_string(),
            "admin": admin.as_str(),
            "admin_key_file": admin_key_path.display().to_string(),
            "secretariat_key_file": registry_loaded.map(|_| secretariat_key_path.display().to_string()),
            "registry_rows": registry_loaded,
            "tree_size": receipt.size.0,
        }));
    } else {
        println!("created {db} (log {:?})", args.origin);
        println!(
            "log signing key:   {} (keep it secret; needed to append)",
            log_key_path.display()
        );
        println!(
            "administrator:     {admin} (key {})",
            admin_key_path.display()
        );
        if let Some(rows) = registry_loaded {
            println!(
                "treaty registry:   {rows} sourced rows of data/ appended by actor `secretariat` (key {})",
                secretariat_key_path.display()
            );
        }
        println!("log verifier key:  {}", meta.verifier_key);
        println!(
            "Keep the verifier key: `custodian audit --vkey <key>` and offline verifiers pin it."
        );
    }
    Ok(())
}

/// Registers the `secretariat` actor (key written to `key_path`) and appends the
/// bundled treaty registry as its signed submissions. Returns the receipt and the
/// number of rows.
pub fn load_bundled_registry(
    log: &mut Log<AnyStore>,
    log_key: &SigningKey,
    admin_key: &SigningKey,
    key_path: &Path,
) -> anyhow::Result<(AppendReceipt, usize)> {
    if key_path.exists() {
        bail!(
            "{}: already exists; refusing to overwrite it (or pass --empty-registry)",
            key_path.display()
        );
    }
    let secretariat = ActorId::parse("secretariat")?;
    let key = SigningKey::generate(secretariat.as_str())?;
    let admin = ActorId::parse(admin_key.name())?;
    let seq = next_seq(log, &admin)?;
    let register = Event {
        id: EventId::parse(&format!("{admin}:{seq}:0"))?,
        time: input::now(),
        actor: admin.clone(),
        payload: Payload::ActorRegister(ActorRegister {
            actor: secretariat,
            role: Role::Secretariat,
            party: Party::Body("secretariat".into()),
            public_key: PublicKey(key.verifier().public_key()),
            name: Some("Treaty secretariat (bundled registry)".into()),
        }),
        approvals: Vec::new(),
    };
    let signed = sign_submission(
        Submission {
            log: log.meta().origin.clone(),
            actor: admin,
            seq,
            events: vec![register],
        },
        admin_key,
    )?;
    crate::record::append(log, &[signed], log_key)??;
    write_secret(key_path, &key.to_text())?;
    let tables = custodian_regime::ledger::bundled_rows()?;
    let rows = tables.iter().map(|(_, r)| r.len()).sum();
    let receipt = crate::regimecmd::append_rows(log, log_key, &key, tables)?;
    Ok((receipt, rows))
}

/// Signs `payloads` as one submission of the key's actor and appends it.
fn submit(cli: &Cli, key_path: &Path, payloads: Vec<Payload>) -> anyhow::Result<AppendReceipt> {
    submit_approved(cli, key_path, &[], payloads)
}

/// Signs `payloads` as one submission of the key's actor, each event
/// co-signed with every key of `approvers`, and appends it.
pub(crate) fn submit_approved(
    cli: &Cli,
    key_path: &Path,
    approvers: &[PathBuf],
    payloads: Vec<Payload>,
) -> anyhow::Result<AppendReceipt> {
    let approvers = approvers
        .iter()
        .map(|p| {
            let k = read_signing_key(p)?;
            let id = ActorId::parse(k.name())
                .with_context(|| format!("{}: the key's name is not an actor id", p.display()))?;
            Ok((id, k))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let key = read_signing_key(key_path)?;
    let actor = ActorId::parse(key.name())
        .with_context(|| format!("{}: the key's name is not an actor id", key_path.display()))?;
    let mut log = open_log(cli)?;
    let log_key = read_log_key(cli)?;
    let seq = next_seq(&log, &actor)?;
    let now = input::now();
    let events = payloads
        .into_iter()
        .enumerate()
        .map(|(n, payload)| {
            let mut event = Event {
                id: EventId::parse(&format!("{actor}:{seq}:{n}"))?,
                time: now,
                actor: actor.clone(),
                payload,
                approvals: Vec::new(),
            };
            for (id, k) in &approvers {
                event.approvals.push(approve(&event, id.clone(), k)?);
            }
            Ok(event)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let submission = Submission {
        log: log.meta().origin.clone(),
        actor,
        seq,
        events,
    };
    submission.check()?;
    let signed = sign_submission(submission, &key)?;
    Ok(crate::record::append(&mut log, &[signed], &log_key)??)
}

pub(crate) fn next_seq(log: &Log<AnyStore>, actor: &ActorId) -> anyhow::Result<u64> {
    let record = log.registry().get(actor).ok_or_else(|| {
        anyhow!(
            "unknown actor {:?}: register it first with `custodian actor add`",
            actor.as_str()
        )
    })?;
    Ok(record.next_seq)
}

/// Reads `--public-key` and checks that the key is named after the actor.
fn actor_verifier_key(text_or_path: &str, id: &ActorId) -> anyhow::Result<VerifierKey> {
    let vkey = read_verifier_key(text_or_path)?;
    if vkey.name() != id.as_str() {
        bail!(
            "--public-key: the key is named {:?}, expected the actor id {:?}",
            vkey.name(),
            id.as_str()
        );
    }
    Ok(vkey)
}

fn public_key_of(vkey: &VerifierKey) -> PublicKey {
    PublicKey(vkey.public_key())
}

/// `custodian actor ...`.
pub fn actor(cli: &Cli, cmd: &ActorCommand) -> CmdResult {
    let receipt = match cmd {
        ActorCommand::List => return list_actors(cli),
        ActorCommand::Add {
            id,
            role,
            party,
            public_key,
            name,
            key,
        } => {
            let id = ActorId::parse(id)?;
            let vkey = actor_verifier_key(public_key, &id)?;
            let payload = Payload::ActorRegister(ActorRegister {
                actor: id,
                role: Role::parse(role).context("--role")?,
                party: Party::parse(party).context("--party")?,
                public_key: public_key_of(&vkey),
                name: name.clone(),
            });
            submit(cli, key, vec![payload])?
        }
        ActorCommand::Revoke {
            id,
            reason,
            compromised_since,
            key,
        } => submit(
            cli,
            key,
            vec![Payload::ActorRevoke(ActorRevoke {
                actor: ActorId::parse(id)?,
                reason: reason.clone(),
                compromised_since: compromised_since
                    .as_deref()
                    .map(custodian_core::UtcTime::parse)
                    .transpose()
                    .context("--compromised-since")?,
            })],
        )?,
        ActorCommand::RotateKey {
            id,
            public_key,
            key,
        } => {
            let id = ActorId::parse(id)?;
            let vkey = actor_verifier_key(public_key, &id)?;
            submit(
                cli,
                key,
                vec![Payload::ActorRotateKey(ActorRotateKey {
                    actor: id,
                    public_key: public_key_of(&vkey),
                })],
            )?
        }
    };
    print_receipt(cli, &receipt);
    Ok(())
}

fn list_actors(cli: &Cli) -> CmdResult {
    let log = open_log(cli)?;
    let actors: Vec<_> = log.registry().actors().collect();
    if cli.json {
        let rows: Vec<Value> = actors
            .iter()
            .map(|a| {
                json!({
                    "id": a.id.as_str(), "role": a.role.as_str(), "party": a.party.to_string(),
                    "public_key": a.public_key.to_base64(), "name": a.name,
                    "registered_at_leaf": a.registered_at.0, "revoked_at_leaf": a.revoked_at.map(|r| r.0),
                    "next_seq": a.next_seq,
                })
            })
            .collect();
        output::json(&Value::Array(rows));
    } else {
        println!(
            "{:<24} {:<16} {:<16} {:<10} name",
            "actor", "role", "party", "status"
        );
        for a in actors {
            let status = a
                .revoked_at
                .map_or("active".to_string(), |r| format!("revoked@{}", r.0));
            println!(
                "{:<24} {:<16} {:<16} {:<10} {}",
                a.id,
                a.role,
                a.party.to_string(),
                status,
                a.name.as_deref().unwrap_or("")
            );
        }
    }
    Ok(())
}

pub fn print_receipt(cli: &Cli, r: &AppendReceipt) {
    if cli.json {
        output::json(&json!({
            "first_leaf": r.first_leaf.0, "tree_size": r.size.0, "root": r.root.to_hex(),
            "events": r.events, "checkpoint": r.checkpoint,
        }));
    } else {
        println!(
            "appended {} event(s) at leaf {}; tree size {}, root {}",
            r.events, r.first_leaf.0, r.size.0, r.root
        );
    }
}

/// The event index a registry error is about, to point at its input line.
fn event_index_of(e: &RegistryError) -> Option<usize> {
    match e {
        RegistryError::RoleForbids { event_index, .. }
        | RegistryError::BadApproval { event_index, .. }
        | RegistryError::ActorEvent { event_index, .. } => Some(*event_index),
        _ => None,
    }
}

/// `custodian log ...`.
pub fn log(cli: &Cli, cmd: &LogCommand) -> CmdResult {
    match cmd {
        LogCommand::Append { file, key } => append(cli, file, key.as_deref()),
        LogCommand::Sign {
            file,
            key,
            seq,
            origin,
        } => sign(cli, file, key, *seq, origin.as_deref()),
        LogCommand::Approve { file, key } => approve_file(file, key),
        LogCommand::Head { size } => head(cli, *size),
        LogCommand::Key => {
            let store = AnyStore::open(&cli.db_target())?;
            let vkey = store.meta()?.verifier_key;
            if cli.json {
                output::json(&json!({"verifier_key": vkey}));
            } else {
                println!("{vkey}");
            }
            Ok(())
        }
        LogCommand::Entries { from, to } => entries(cli, *from, *to),
        LogCommand::Prove { index, event, size } => prove(cli, *index, event.as_deref(), *size),
        LogCommand::Consistency { old, new } => consistency(cli, *old, *new),
        LogCommand::VerifyInclusion {
            vkey,
            checkpoint,
            proof,
        } => verify_inclusion_files(cli, vkey, checkpoint, proof),
        LogCommand::VerifyConsistency {
            vkey,
            old,
            new,
            proof,
        } => verify_consistency_files(cli, vkey, old, new, proof),
    }
}

fn append(cli: &Cli, file: &Path, key: Option<&Path>) -> CmdResult {
    let (name, lines) = input::read_json_lines(file)?;
    let input = input::classify(&name, lines)?;
    let mut log = open_log(cli)?;
    let log_key = read_log_key(cli)?;
    let receipt = match input {
        Input::Events(lines) => {
            let key_path = key.ok_or_else(|| anyhow!("{name}: the lines are unsigned events: give the submitting actor's key with --key"))?;
            let signed = sign_lines(&log, &name, &lines, key_path, None, None)?;
            crate::record::append(&mut log, &[signed], &log_key)?.map_err(|e| {
                let line = match &e {
                    AppendError::Rejected { reason, .. } => {
                        event_index_of(reason).map(|i| lines[i].number)
                    }
                    AppendError::DuplicateEvent { event_index, .. } => {
                        Some(lines[*event_index].number)
                    }
                    AppendError::Refused { reason, .. } => Some(lines[reason.event_index].number),
                    _ => None,
                };
                match line {
                    Some(l) => anyhow!("{name}:{l}: {e}; nothing applied"),
                    None => anyhow!("{name}: {e}; nothing applied"),
                }
            })?
        }
        Input::Submissions(subs) => {
            let lines: Vec<usize> = subs.iter().map(|(l, _)| *l).collect();
            let subs: Vec<SignedSubmission> = subs.into_iter().map(|(_, s)| s).collect();
            crate::record::append(&mut log, &subs, &log_key)?.map_err(|e| {
                let index = match &e {
                    AppendError::Rejected { index, .. }
                    | AppendError::Refused { index, .. }
                    | AppendError::DuplicateEvent { index, .. }
                    | AppendError::Encoding { index, .. } => Some(*index),
                    _ => None,
                };
                match index {
                    Some(i) => anyhow!("{name}:{}: {e}; nothing applied", lines[i]),
                    None => anyhow!("{name}: {e}; nothing applied"),
                }
            })?
        }
    };
    print_receipt(cli, &receipt);
    Ok(())
}

fn sign_lines(
    log: &Log<AnyStore>,
    name: &str,
    lines: &[Line],
    key_path: &Path,
    seq: Option<u64>,
    origin: Option<&str>,
) -> anyhow::Result<SignedSubmission> {
    let key = read_signing_key(key_path)?;
    let actor = ActorId::parse(key.name())
        .with_context(|| format!("{}: the key's name is not an actor id", key_path.display()))?;
    let seq = match seq {
        Some(s) => s,
        None => next_seq(log, &actor)?,
    };
    let events = input::build_events(name, lines, &actor, seq, input::now())?;
    let submission = Submission {
        log: origin.map_or_else(|| log.meta().origin.clone(), str::to_string),
        actor,
        seq,
        events,
    };
    submission
        .check()
        .map_err(|e| anyhow!("{name}: {e}; nothing applied"))?;
    Ok(sign_submission(submission, &key)?)
}

fn sign(cli: &Cli, file: &Path, key: &Path, seq: Option<u64>, origin: Option<&str>) -> CmdResult {
    let (name, lines) = input::read_json_lines(file)?;
    let signed = match (seq, origin) {
        (Some(seq), Some(origin)) => {
            // Fully offline: no database needed.
            let key_s = read_signing_key(key)?;
            let actor = ActorId::parse(key_s.name())?;
            let events = input::build_events(&name, &lines, &actor, seq, input::now())?;
            let submission = Submission {
                log: origin.to_string(),
                actor,
                seq,
                events,
            };
            submission.check().map_err(|e| anyhow!("{name}: {e}"))?;
            sign_submission(submission, &key_s)?
        }
        _ => {
            let log = open_log(cli)?;
            sign_lines(&log, &name, &lines, key, seq, origin)?
        }
    };
    println!("{}", String::from_utf8(signed.leaf_bytes()?)?);
    Ok(())
}

fn approve_file(file: &Path, key: &Path) -> CmdResult {
    let (name, lines) = input::read_json_lines(file)?;
    let key = read_signing_key(key)?;
    let approver = ActorId::parse(key.name())?;
    for mut line in lines {
        if let Some(map) = line.value.as_object_mut() {
            map.entry("v").or_insert(Value::from(1));
        }
        for field in ["id", "time", "actor"] {
            if line.value.get(field).is_none() {
                bail!("{name}:{}: field {field}: an event must carry its final {field} before it is approved", line.number);
            }
        }
        let mut event =
            Event::from_json(line.value).map_err(|e| anyhow!("{name}:{}: {e}", line.number))?;
        let approval = approve(&event, approver.clone(), &key)?;
        event.approvals.push(approval);
        println!("{}", event.to_json());
    }
    Ok(())
}

fn head(cli: &Cli, size: Option<u64>) -> CmdResult {
    let store = AnyStore::open(&cli.db_target())?;
    let cp = match size {
        None => store.latest_checkpoint()?,
        Some(s) => store.checkpoints()?.into_iter().find(|c| c.size.0 == s),
    };
    let cp = cp.ok_or_else(|| match size {
        Some(s) => anyhow!("no checkpoint is stored at size {s} (checkpoints are written at each append; see `log head --json` for the latest)"),
        None => anyhow!("the log has no checkpoint"),
    })?;
    if cli.json {
        output::json(&json!({"tree_size": cp.size.0, "checkpoint": cp.note}));
    } else {
        print!("{}", cp.note);
    }
    Ok(())
}

fn entries(cli: &Cli, from: u64, to: Option<u64>) -> CmdResult {
    let store = AnyStore::open(&cli.db_target())?;
    let size = store.tree_size()?.0;
    let to = to.unwrap_or(size).min(size);
    let mut next = from;
    while next < to {
        let chunk = (next + 1024).min(to);
        for leaf in store.read_leaves(next, chunk)? {
            if cli.json {
                output::json(
                    &json!({"index": leaf.index, "leaf_hash": leaf_hash(&leaf.data).to_hex(), "data": hex(&leaf.data)}),
                );
            } else {
                println!("{}", hex(&leaf.data));
            }
        }
        next = chunk;
    }
    Ok(())
}

fn prove(cli: &Cli, index: Option<u64>, event: Option<&str>, size: Option<u64>) -> CmdResult {
    let log = open_log(cli)?;
    let current = log.size()?;
    let size = TreeSize(size.unwrap_or(current.0));
    if size > current {
        bail!("--size {}: the log has only {} leaves", size.0, current.0);
    }
    let (index, event_id) = match (index, event) {
        (Some(i), _) => (LeafIndex(i), None),
        (None, Some(id)) => {
            let id = EventId::parse(id).context("--event")?;
            let loc = log
                .store()
                .event_location(&id)?
                .ok_or_else(|| anyhow!("event {:?} is not in the log", id.as_str()))?;
            (loc.leaf, Some(id))
        }
        (None, None) => bail!("give a leaf INDEX or --event ID"),
    };
    if index.0 >= size.0 {
        bail!("leaf {} is not in a tree of {} leaves", index.0, size.0);
    }
    let doc = inclusion_doc(&log, index, size, event_id.as_ref())?;
    let root = log.root_at(size)?;
    let proof = hashes_field(Path::new("proof"), &doc, "proof")?;
    let data = unhex(doc["leaf"].as_str().unwrap_or(""))?;
    if cli.json {
        output::json(&doc);
    } else {
        println!("leaf {} of {} (root {})", index.0, size.0, root);
        println!("leaf hash {}", leaf_hash(&data));
        for (i, h) in proof.iter().enumerate() {
            println!("proof[{i}] {h}");
        }
        println!("(use --json to write a proof file for `log verify-inclusion`)");
    }
    Ok(())
}

/// The inclusion proof document of `log prove --json`: everything an offline
/// verifier needs besides the checkpoint and the verifier key.
pub fn inclusion_doc(
    log: &Log<AnyStore>,
    index: LeafIndex,
    size: TreeSize,
    event: Option<&EventId>,
) -> anyhow::Result<Value> {
    let proof = log.prove_inclusion(index, size)?;
    let root = log.root_at(size)?;
    let data = log
        .store()
        .read_leaves(index.0, index.0 + 1)?
        .pop()
        .map(|leaf| leaf.data)
        .ok_or_else(|| anyhow!("leaf {} is missing from the store", index.0))?;
    let checkpoint = log
        .store()
        .checkpoints()?
        .into_iter()
        .find(|c| c.size == size)
        .map(|c| c.note);
    Ok(json!({
        "index": index.0,
        "tree_size": size.0,
        "root": root.to_hex(),
        "leaf_hash": leaf_hash(&data).to_hex(),
        "proof": proof.iter().map(Hash::to_hex).collect::<Vec<_>>(),
        "event": event.map(|e| e.as_str()),
        "leaf": hex(&data),
        "checkpoint": checkpoint,
    }))
}

/// The consistency proof document of `log consistency --json`.
pub fn consistency_doc(log: &Log<AnyStore>, old: u64, new: u64) -> anyhow::Result<Value> {
    let proof = log.prove_consistency(TreeSize(old), TreeSize(new))?;
    Ok(json!({
        "old_size": old,
        "new_size": new,
        "old_root": log.root_at(TreeSize(old))?.to_hex(),
        "new_root": log.root_at(TreeSize(new))?.to_hex(),
        "proof": proof.iter().map(Hash::to_hex).collect::<Vec<_>>(),
    }))
}

fn consistency(cli: &Cli, old: u64, new: u64) -> CmdResult {
    let log = open_log(cli)?;
    let current = log.size()?.0;
    if new > current {
        bail!("NEW {new}: the log has only {current} leaves");
    }
    if old > new {
        bail!("OLD {old} is larger than NEW {new}");
    }
    let doc = consistency_doc(&log, old, new)?;
    let proof = hashes_field(Path::new("proof"), &doc, "proof")?;
    if cli.json {
        output::json(&doc);
    } else {
        println!(
            "{old} -> {new}: old root {}, new root {}",
            doc["old_root"].as_str().unwrap_or(""),
            doc["new_root"].as_str().unwrap_or("")
        );
        for (i, h) in proof.iter().enumerate() {
            println!("proof[{i}] {h}");
        }
        println!("(use --json to write a proof file for `log verify-consistency`)");
    }
    Ok(())
}

fn read_checkpoint(path: &Path, vkey: &VerifierKey) -> Result<Checkpoint, Failure> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the checkpoint", path.display()))?;
    // Accept both the bare note (`log head`) and `log head --json`.
    let note = match serde_json::from_str::<Value>(&text) {
        Ok(v) => v
            .get("checkpoint")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or(text),
        Err(_) => text,
    };
    verify_checkpoint(note.as_bytes(), vkey).map_err(|e| {
        Failure::verification(anyhow!(
            "{}: checkpoint does not verify: {e}",
            path.display()
        ))
    })
}

fn read_proof_doc(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the proof", path.display()))?;
    custodian_core::canonical::parse_strict(&text)
        .map_err(|e| anyhow!("{}: malformed proof JSON: {e}", path.display()))
}

fn field<'a>(path: &Path, doc: &'a Value, name: &str) -> anyhow::Result<&'a Value> {
    doc.get(name)
        .ok_or_else(|| anyhow!("{}: field {name}: missing", path.display()))
}

fn u64_field(path: &Path, doc: &Value, name: &str) -> anyhow::Result<u64> {
    field(path, doc, name)?.as_u64().ok_or_else(|| {
        anyhow!(
            "{}: field {name}: expected a non-negative integer",
            path.display()
        )
    })
}

fn hashes_field(path: &Path, doc: &Value, name: &str) -> anyhow::Result<Vec<Hash>> {
    let items = field(path, doc, name)?.as_array().ok_or_else(|| {
        anyhow!(
            "{}: field {name}: expected an array of hex hashes",
            path.display()
        )
    })?;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let text = v.as_str().ok_or_else(|| {
                anyhow!(
                    "{}: field {name}[{i}]: expected a hex string",
                    path.display()
                )
            })?;
            Hash::from_hex(text).map_err(|e| anyhow!("{}: field {name}[{i}]: {e}", path.display()))
        })
        .collect()
}

pub fn verify_inclusion_files(
    cli: &Cli,
    vkey: &str,
    checkpoint: &Path,
    proof_path: &Path,
) -> CmdResult {
    let vkey = read_verifier_key(vkey)?;
    let cp = read_checkpoint(checkpoint, &vkey)?;
    let doc = read_proof_doc(proof_path)?;
    let index = u64_field(proof_path, &doc, "index")?;
    let tree_size = u64_field(proof_path, &doc, "tree_size")?;
    let proof = hashes_field(proof_path, &doc, "proof")?;
    let leaf_text = field(proof_path, &doc, "leaf")?
        .as_str()
        .ok_or_else(|| anyhow!("{}: field leaf: expected hex", proof_path.display()))?;
    let data =
        unhex(leaf_text).map_err(|e| anyhow!("{}: field leaf: {e}", proof_path.display()))?;
    if tree_size != cp.size().0 {
        return Err(Failure::verification(anyhow!(
            "the proof is for a tree of {tree_size} leaves but the checkpoint signs {} leaves",
            cp.size().0
        )));
    }
    let leaf = leaf_hash(&data);
    verify_inclusion(&leaf, LeafIndex(index), cp.size(), &proof, &cp.root())
        .map_err(|e| Failure::verification(anyhow!("inclusion proof does not verify: {e}")))?;
    // What the leaf says: it must be a signed submission, and hold the event named.
    let signed = SignedSubmission::from_leaf_bytes(&data).map_err(|e| {
        Failure::verification(anyhow!(
            "the proven leaf is not a Custodian submission: {e}"
        ))
    })?;
    if signed.submission.log != cp.origin() {
        return Err(Failure::verification(anyhow!(
            "the leaf names log {:?}, the checkpoint {:?}",
            signed.submission.log,
            cp.origin()
        )));
    }
    let event = doc.get("event").and_then(Value::as_str);
    if let Some(id) = event {
        if !signed.submission.events.iter().any(|e| e.id.as_str() == id) {
            return Err(Failure::verification(anyhow!(
                "the proven leaf does not hold event {id:?}"
            )));
        }
    }
    let s = &signed.submission;
    if cli.json {
        output::json(&json!({
            "verified": true, "origin": cp.origin(), "tree_size": cp.size().0, "index": index,
            "actor": s.actor.as_str(), "seq": s.seq, "events": s.events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            "event": event,
        }));
    } else {
        println!(
            "verified: leaf {index} (actor {}, seq {}, {} event(s){}) is in {} at size {}, under a checkpoint signed by {}",
            s.actor,
            s.seq,
            s.events.len(),
            event.map(|e| format!(", including {e}")).unwrap_or_default(),
            cp.origin(),
            cp.size().0,
            vkey.to_text()
        );
    }
    Ok(())
}

pub fn verify_consistency_files(
    cli: &Cli,
    vkey: &str,
    old: &Path,
    new: &Path,
    proof_path: &Path,
) -> CmdResult {
    let vkey = read_verifier_key(vkey)?;
    let old_cp = read_checkpoint(old, &vkey)?;
    let new_cp = read_checkpoint(new, &vkey)?;
    let doc = read_proof_doc(proof_path)?;
    let old_size = u64_field(proof_path, &doc, "old_size")?;
    let new_size = u64_field(proof_path, &doc, "new_size")?;
    let proof = hashes_field(proof_path, &doc, "proof")?;
    if old_size != old_cp.size().0 || new_size != new_cp.size().0 {
        return Err(Failure::verification(anyhow!(
            "the proof is for sizes {old_size} -> {new_size}, the checkpoints sign {} and {}",
            old_cp.size().0,
            new_cp.size().0
        )));
    }
    verify_consistency(
        old_cp.size(),
        new_cp.size(),
        &old_cp.root(),
        &new_cp.root(),
        &proof,
    )
    .map_err(|e| Failure::verification(anyhow!("consistency proof does not verify: {e}")))?;
    if cli.json {
        output::json(
            &json!({"verified": true, "origin": new_cp.origin(), "old_size": old_size, "new_size": new_size}),
        );
    } else {
        println!(
            "verified: the log {} at size {old_size} is a prefix of the log at size {new_size}; nothing was rewritten in between",
            new_cp.origin()
        );
    }
    Ok(())
}

/// `custodian audit`.
pub fn audit(cli: &Cli, args: &AuditArgs) -> CmdResult {
    let pinned = args.vkey.as_deref().map(read_verifier_key).transpose()?;
    let store = AnyStore::open(&cli.db_target())?;
    let started = std::time::Instant::now();
    let report = crate::record::audit(&store, pinned.as_ref())
        .map_err(|f| Failure::verification(anyhow!("audit failed: {f}")))?;
    let seconds = started.elapsed().as_secs_f64();
    if cli.json {
        output::json(&json!({
            "ok": true, "origin": report.origin, "leaves": report.leaves, "events": report.events,
            "checkpoints": report.checkpoints, "actors": report.actors, "root": report.root.to_hex(),
            "key_pinned": pinned.is_some(), "seconds": seconds,
        }));
    } else {
        println!(
            "audit passed: {} leaves, {} events, {} checkpoints, {} actors verified; root {}",
            report.leaves, report.events, report.checkpoints, report.actors, report.root
        );
        if pinned.is_none() {
            println!("note: the log key was read from the database; pass --vkey to pin the key you expect");
        }
    }
    Ok(())
}
