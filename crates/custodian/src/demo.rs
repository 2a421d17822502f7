//! `custodian demo`: the bundled scenario, run end to end on a fresh database,
//! printing what a user should see at each step; and the showcase that
//! `custodian serve --demo` serves, the demo's parts appended into one log.

use crate::cli::{log_key_beside, Cli};
use crate::keyfile::write_secret;
use crate::logcmd::{
    consistency_doc, inclusion_doc, verify_consistency_files, verify_inclusion_files,
};
use crate::scenario::{self, clear_previous, with_suffix};
use crate::{CmdResult, Failure};
use anyhow::anyhow;
use custodian_core::{
    ActorId, Date, Event, Party, Payload, SignedSubmission, StateCode, Submission, UtcTime,
};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::submission::sign_submission;
use custodian_regime::TreatyId;
use custodian_store::any::AnyStore;
use custodian_store::log::{genesis_submission, Log};
use custodian_store::sqlite::SqliteStore;
use custodian_store::{Meta, Store};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SCENARIO: &str = include_str!("../scenarios/ledger-demo.json");

fn time(text: &str) -> UtcTime {
    UtcTime::parse(text).expect("the scenario's times are valid literals")
}

/// Runs the demo.
pub fn run(cli: &Cli) -> CmdResult {
    let scenario = scenario::parse("ledger-demo", SCENARIO)?;
    let db = cli
        .db
        .clone()
        .unwrap_or_else(|| PathBuf::from("custodian-demo.db"));
    let log_key_path = cli.log_key.clone().unwrap_or_else(|| log_key_beside(&db));
    let keys_dir = with_suffix(&db, ".keys");
    let proofs_dir = with_suffix(&db, ".proofs");
    clear_previous(&db, &log_key_path, &[&keys_dir, &proofs_dir])?;
    std::fs::create_dir_all(&keys_dir)?;
    std::fs::create_dir_all(&proofs_dir)?;

    println!("Custodian demo: a tamper-evident record, checked end to end.\n");
    println!("{}\n", scenario.about);

    // 1. The log, its key and its administrator.
    let log_key = SigningKey::generate(&scenario.origin)?;
    let vkey = log_key.verifier();
    let admin = ActorId::parse("admin")?;
    let admin_key = SigningKey::generate(admin.as_str())?;
    write_secret(&log_key_path, &log_key.to_text())?;
    write_secret(&keys_dir.join("admin.key"), &admin_key.to_text())?;
    let store = AnyStore::Sqlite(SqliteStore::create(
        &db,
        &Meta {
            origin: scenario.origin.clone(),
            verifier_key: vkey.to_text(),
        },
    )?);
    let mut log = Log::open(store)?;
    let genesis = genesis_submission(
        &scenario.origin,
        admin.clone(),
        &admin_key,
        Party::Body("secretariat".into()),
        Some("Log administrator".into()),
        time("2026-01-05T07:00:00Z"),
    )?;
    crate::record::append(&mut log, &[genesis], &log_key)??;
    println!(
        "1. Created the log {:?} in {}",
        scenario.origin,
        db.display()
    );
    println!("   log verifier key: {}", vkey.to_text());
    println!(
        "   (every check below pins this key; keys are in {}/)\n",
        keys_dir.display()
    );

    // 2. The administrator registers the actors.
    let (keys, r) = scenario::register_actors(
        &mut log,
        &log_key,
        &admin_key,
        &scenario.actors,
        &keys_dir,
        time("2026-01-05T07:30:00Z"),
    )?;
    println!(
        "2. The administrator registered {} actors (leaf {}):",
        scenario.actors.len(),
        r.first_leaf.0
    );
    for a in &scenario.actors {
        println!(
            "   {:<16} {:<16} {:<18} {}",
            a.id,
            a.role,
            a.party.to_string(),
            a.name
        );
    }
    println!();

    // 3. The scenario's submissions.
    println!("3. Appended the scenario, one signed submission per leaf:");
    let mut seqs: BTreeMap<ActorId, u64> = BTreeMap::new();
    let mut last_signed = None;
    let mut custody_event = None;
    let size_before_scenario = log.size()?;
    for s in &scenario.submissions {
        let seq = seqs.entry(s.actor.clone()).or_insert(0);
        *seq += 1;
        let signed = scenario::build(&scenario.origin, s, *seq, &keys)?;
        for event in &signed.submission.events {
            if matches!(event.payload, Payload::CustodyTransfer(_)) {
                custody_event = Some(event.id.clone());
            }
        }
        let kinds: Vec<&str> = signed
            .submission
            .events
            .iter()
            .map(|e| e.kind().as_str())
            .collect();
        let r = crate::record::append(&mut log, std::slice::from_ref(&signed), &log_key)??;
        let approved = if s.approvers.is_empty() {
            String::new()
        } else {
            format!(
                " (approved by {})",
                s.approvers
                    .iter()
                    .map(ActorId::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        println!(
            "   leaf {:>2}  {:<16} seq {}  {}{}",
            r.first_leaf.0,
            s.actor,
            seq,
            kinds.join(", "),
            approved
        );
        last_signed = Some(signed);
    }
    println!();

    // 4. Bad input is refused, and nothing of it is applied.
    println!("4. Refused, with nothing applied:");
    let size = log.size()?;
    let replay = last_signed.ok_or_else(|| anyhow!("scenario has no submissions"))?;
    show_refusal(&mut log, &log_key, "the same submission replayed", &replay);
    let mut forged = replay.clone();
    forged.submission.seq += 1;
    show_refusal(
        &mut log,
        &log_key,
        "a submission altered after signing",
        &forged,
    );
    let inspector = ActorId::parse("inspector-1")?;
    let wrong_role = sign_submission(
        Submission {
            log: scenario.origin.clone(),
            actor: inspector.clone(),
            seq: seqs.get(&inspector).copied().unwrap_or(0) + 1,
            events: vec![Event::from_json(serde_json::json!({
                "v": 1, "id": "inspector-1:x:0", "time": "2026-03-02T08:00:00Z", "actor": "inspector-1",
                "kind": "item.dismantle", "payload": {"item": "w-002", "site": "xaa-depot-1"}
            }))
            .map_err(|e| anyhow!("{e}"))?],
        },
        &keys[&inspector],
    )?;
    show_refusal(
        &mut log,
        &log_key,
        "an inspector dismantling a weapon",
        &wrong_role,
    );
    if log.size()? != size {
        bail!("a refused submission changed the log");
    }
    println!("   the log still holds {} leaves\n", size.0);

    // 5. Audit.
    let report =
        crate::record::audit(log.store(), Some(&vkey)).map_err(|f| anyhow!("audit failed: {f}"))?;
    println!(
        "5. Audit passed: {} leaves, {} events, {} checkpoints, {} actors re-verified from the raw rows; root {}\n",
        report.leaves, report.events, report.checkpoints, report.actors, report.root
    );

    // 6. Inclusion, offline.
    let custody_event = custody_event.ok_or_else(|| anyhow!("scenario has no custody transfer"))?;
    let location = log
        .store()
        .event_location(&custody_event)?
        .ok_or_else(|| anyhow!("custody event not indexed"))?;
    let vkey_file = proofs_dir.join("log.vkey");
    let head_file = proofs_dir.join("checkpoint.txt");
    let inclusion_file = proofs_dir.join("inclusion.json");
    std::fs::write(&vkey_file, format!("{}\n", vkey.to_text()))?;
    let head = log
        .store()
        .latest_checkpoint()?
        .ok_or_else(|| anyhow!("no checkpoint"))?;
    std::fs::write(&head_file, &head.note)?;
    let doc = inclusion_doc(&log, location.leaf, size, Some(&custody_event))?;
    std::fs::write(&inclusion_file, format!("{doc}\n"))?;
    println!(
        "6. Offline proof that the custody transfer {custody_event} is in the log (files in {}/):",
        proofs_dir.display()
    );
    print!("   ");
    verify_inclusion_files(
        cli,
        &vkey_file.display().to_string(),
        &head_file,
        &inclusion_file,
    )?;
    println!(
        "   try it: custodian log verify-inclusion --vkey {} --checkpoint {} --proof {}\n",
        vkey_file.display(),
        head_file.display(),
        inclusion_file.display()
    );

    // 7. Consistency, offline.
    let old_size = size_before_scenario;
    let old_file = proofs_dir.join("checkpoint-old.txt");
    let consistency_file = proofs_dir.join("consistency.json");
    let old_cp = log
        .store()
        .checkpoints()?
        .into_iter()
        .find(|c| c.size == old_size)
        .ok_or_else(|| anyhow!("no checkpoint at size {}", old_size.0))?;
    std::fs::write(&old_file, &old_cp.note)?;
    std::fs::write(
        &consistency_file,
        format!("{}\n", consistency_doc(&log, old_size.0, size.0)?),
    )?;
    println!(
        "7. Offline proof that history was only appended to, from size {} to {}:",
        old_size.0, size.0
    );
    print!("   ");
    verify_consistency_files(
        cli,
        &vkey_file.display().to_string(),
        &old_file,
        &head_file,
        &consistency_file,
    )?;
    println!();

    // 8. Tampering is caught.
    let tmp =
        std::env::temp_dir().join(format!("custodian-demo-tampered-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    match log.store() {
        AnyStore::Sqlite(store) => store.copy_to(&tmp)?,
        #[allow(unreachable_patterns)]
        _ => return Err(anyhow::anyhow!("the demo runs on an SQLite file").into()),
    }
    let result = tamper_and_audit(&tmp, &vkey);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&tmp, suffix));
    }
    let (leaf, failure) = result?;
    println!("8. A copy with one recorded mass changed in leaf {leaf} (250000 g -> 240000 g):");
    println!("   audit FAILED, as it must: {failure}\n");

    // 9. The treaty registry, in the same log.
    let (receipt, rows) = crate::logcmd::load_bundled_registry(
        &mut log,
        &log_key,
        &admin_key,
        &keys_dir.join("secretariat.key"),
    )?;
    println!(
        "9. The treaty registry: {rows} sourced rows of data/ appended by the secretariat (leaves up to {}), then queried from the log:",
        receipt.size.0 - 1
    );
    let registry = crate::regimecmd::registry_from_log(&log)?;
    let date = |t: &str| Date::parse(t).expect("literal date");
    let ctbt = TreatyId::parse("CTBT").expect("literal treaty");
    for at in ["2023-11-01", "2023-11-02"] {
        let answer = registry.in_force(&ctbt, date(at))?;
        for a in answer.answers.iter().take(1) {
            let missing: Vec<&str> = a.value.missing.iter().map(|s| s.as_str()).collect();
            println!(
                "   CTBT at {at}: not in force; Annex 2 states missing ({}): {}",
                missing.len(),
                missing.join(" ")
            );
        }
    }
    let npt = TreatyId::parse("NPT").expect("literal treaty");
    let prk = StateCode::parse("PRK").expect("literal state");
    let status = registry.status(&npt, prk, date("2004-01-01"))?;
    println!(
        "   DPRK under the NPT at 2004-01-01, one answer per reading (the software takes no side):"
    );
    for a in status.iter() {
        let value = serde_json::to_value(a.value)?;
        let under = serde_json::to_value(&a.under)?;
        println!(
            "     {} — under {}",
            crate::regimecmd::status_text(&value, Some(true)),
            under
        );
    }
    println!(
        "   try: custodian --db {} regime state DEU --at 2024-12-31\n",
        db.display()
    );

    // 10 and 11. The custody scenarios, each in its own log.
    let mut scenario_dbs = Vec::new();
    for (n, name) in [(10, "nato-sharing"), (11, "covert-relocation")] {
        let stem = db.file_stem().map_or("custodian-demo".into(), |s| {
            s.to_string_lossy().into_owned()
        });
        let scenario_db = db.with_file_name(format!("{stem}-{name}.db"));
        print!("{n}. ");
        scenario::run_at(name, &scenario_db)?;
        scenario_dbs.push(scenario_db);
    }

    // 12. Material accountancy: diversion statistics on a bulk facility.
    print!("12. ");
    crate::accountancycmd::scenario(cli, 1, 1000)?;

    // 13. The same plant's year recorded in a ledger and evaluated from it.
    let stem = db.file_stem().map_or("custodian-demo".into(), |s| {
        s.to_string_lossy().into_owned()
    });
    let plant_db = db.with_file_name(format!("{stem}-fuel-fab.db"));
    print!("13. ");
    crate::accountancycmd::scenario_ledger(
        cli,
        "abrupt",
        1,
        &plant_db,
        &crate::cli::log_key_beside(&plant_db),
    )?;

    // 14. A declaration in escrow.
    let escrow_db = db.with_file_name(format!("{stem}-escrow.db"));
    print!("14. ");
    crate::escrowcmd::scenario(cli, &escrow_db, &crate::cli::log_key_beside(&escrow_db))?;

    // 15. The review cycle's support unit: standard reports, completeness.
    let review_db = db.with_file_name(format!("{stem}-review.db"));
    print!("15. ");
    crate::reviewcmd::scenario_at(cli, &review_db, &crate::cli::log_key_beside(&review_db))?;

    println!("Explore the demo database (it stays in place):");
    println!("   custodian --db {} log head", db.display());
    println!("   custodian --db {} actor list", db.display());
    println!(
        "   custodian --db {} --json log entries --from 3 --to 4",
        db.display()
    );
    println!(
        "   custodian --db {} audit --vkey {}",
        db.display(),
        vkey_file.display()
    );
    if let [nato, covert] = scenario_dbs.as_slice() {
        let (nato, covert) = (nato.display(), covert.display());
        println!("   custodian --db {nato} items --at 2026-06-02 --state DEU");
        println!("   custodian --db {nato} comply --at 2026-06-02 --obligation npt-art-1");
        println!("   custodian --db {nato} positions nuclear-sharing");
        println!("   custodian --db {covert} item history w-101");
        println!("   custodian --db {covert} alerts --at 2026-03-03");
    }
    println!("All of it in one log, in a browser (built afresh in custodian-demo.db, or --db):");
    println!("   custodian serve --demo");
    Ok(())
}

/// The showcase log's origin.
pub const SHOWCASE_ORIGIN: &str = "custodian.demo/showcase";

/// The showcase log, once built.
pub struct Showcase {
    /// Its database.
    pub db: PathBuf,
    /// The directory of its actors' key files (`ACTOR.key`).
    pub keys_dir: PathBuf,
    /// Its verifier key.
    pub vkey: custodian_ledger::keys::VerifierKey,
    /// Its entries (the tree size).
    pub size: u64,
}

/// Builds the showcase that `custodian serve --demo` serves: ONE log at `db`
/// (its signing key at `log_key_path`, the actors' keys in `<db>.keys/`)
/// holding everything `custodian demo` shows in its separate logs, so that
/// one server shows every view: the bundled treaty registry; the
/// walkthrough's ledger scenario (XAA's weapons, a custody transfer to XBB,
/// XBB's fuel plant); nuclear sharing (custody and control apart, findings
/// that differ by interpretation); the covert relocation and its alerts; the
/// fuel fabrication plant's year with the abrupt diversion (MBA XFF1, Page
/// alarm); XAA's declaration in escrow with reveals, challenges, a total
/// proof and the undeclared site; and the review cycles' reports.
///
/// Each part is appended by the same code as its own scenario command, with
/// one actor registry: an actor several parts share (`admin`, `secretariat`,
/// `inspector-1`, XAA's officers) is registered once, the registry loaded
/// once. A file at `db` that is not a Custodian database is refused.
pub fn showcase(db: &Path, log_key_path: &Path) -> anyhow::Result<Showcase> {
    let mut stage =
        scenario::Stage::create(SHOWCASE_ORIGIN, db, log_key_path, crate::input::now(), true)?;
    // A walkthrough run at the same path left proofs of another log.
    let proofs_dir = with_suffix(db, ".proofs");
    if proofs_dir.exists() {
        std::fs::remove_dir_all(&proofs_dir)?;
    }
    // The fictional states (XAA, XBB, XFF: ISO 3166 user-assigned codes) are
    // not in the treaty registry, which checks every state named once it is
    // loaded: their parts come first, as in the walkthrough (step 9 loads
    // the registry after the ledger scenario).
    let part = |name: &str| {
        let (_, text) = scenario::SCENARIOS
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| anyhow!("no bundled scenario {name}"))?;
        scenario::parse(name, text)
    };
    stage.append_scenario(&scenario::parse("ledger-demo", SCENARIO)?)?;
    stage.append_scenario(&part("covert-relocation")?)?;
    stage.append_scenario(&crate::accountancycmd::ledger_scenario("abrupt", 1)?)?;
    crate::escrowcmd::append_scenario(&mut stage)?;
    stage.load_registry()?;
    stage.append_scenario(&part("nato-sharing")?)?;
    stage.append_scenario(&crate::reviewcmd::scenario_script()?)?;
    Ok(Showcase {
        db: stage.db.clone(),
        keys_dir: stage.keys_dir.clone(),
        vkey: stage.vkey.clone(),
        size: stage.log.size()?.0,
    })
}

fn show_refusal(
    log: &mut Log<AnyStore>,
    log_key: &SigningKey,
    what: &str,
    signed: &SignedSubmission,
) {
    match crate::record::append(log, std::slice::from_ref(signed), log_key) {
        Ok(Ok(_)) => println!("   {what}: ACCEPTED (this is a bug)"),
        Ok(Err(e)) => println!("   {what}: {e}"),
        Err(e) => println!("   {what}: cannot read the log: {e:#}"),
    }
}

fn tamper_and_audit(
    copy: &Path,
    vkey: &custodian_ledger::keys::VerifierKey,
) -> Result<(u64, String), Failure> {
    let store = SqliteStore::open(copy)?;
    // Find the leaf holding the recorded receipt of 250000 g and change one digit.
    let needle = b"250000";
    let size = store.tree_size()?.0;
    for leaf in store.read_leaves(0, size)? {
        if let Some(offset) = leaf.data.windows(needle.len()).position(|w| w == needle) {
            store.tamper_leaf_byte(leaf.index, offset + 1, b'4')?;
            return match crate::record::audit(&store, Some(vkey)) {
                Ok(_) => Err(anyhow!("the tampered copy passed the audit").into()),
                Err(failure) => Ok((leaf.index, failure.to_string())),
            };
        }
    }
    Err(anyhow!("the scenario has no leaf to tamper with").into())
}
