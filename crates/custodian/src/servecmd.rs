//! `custodian serve`: the HTTP API of crate `custodian-server` over one log,
//! with this binary's engine rules ([`crate::record::rule_of`]) for appends, so
//! a submission accepted over HTTP is one `custodian log append` would accept.

use crate::cli::{log_key_beside, Cli, ServeArgs};
use crate::keyfile::read_signing_key;
use crate::CmdResult;
use anyhow::Context;
use custodian_server::{BoxError, Ledger, Limits, RuleFactory};
use custodian_store::any::Target;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(cli: &Cli, args: &ServeArgs) -> CmdResult {
    let (target, log_key_path) = if args.demo {
        let db = cli
            .db
            .clone()
            .unwrap_or_else(|| PathBuf::from("custodian-demo.db"));
        let key = cli.log_key.clone().unwrap_or_else(|| log_key_beside(&db));
        build_demo(&db, &key)?;
        (Target::File(db), key)
    } else {
        (cli.db_target(), cli.log_key_path())
    };
    let log_key = read_signing_key(&log_key_path).context(
        "the log's signing key is needed to sign the checkpoint of each append (see --log-key)",
    )?;
    let rules: RuleFactory = Arc::new(|log| {
        let rules = crate::record::rule_of(log).map_err(BoxError::from)?;
        Ok(Box::new(rules))
    });
    let ledger = Ledger::open(&target, log_key, rules, Limits::default())
        .with_context(|| format!("{target}: cannot serve this log"))?
        .with_views(Arc::new(crate::views::EngineViews::new()));
    let origin = ledger.origin().to_string();
    let db_text = target.to_string();
    custodian_server::run(ledger, &args.addr, |addr| {
        println!("serving the log {origin:?} in {db_text}");
        println!("listening on http://{addr}");
        println!("   open http://{addr}/ in a browser for the web UI; the JSON API is under http://{addr}/api/v1/ (http://{addr}/openapi.json); stop with Ctrl-C");
    })
    .with_context(|| format!("--addr {}", args.addr))?;
    Ok(())
}

/// Builds the showcase log ([`crate::demo::showcase`]) at `db`, its key at
/// `log_key_path`, in this process, and says where the actors' keys are: a
/// browser signs in with one of them to read a state's restricted facility
/// accounts.
fn build_demo(db: &Path, log_key_path: &Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let built = crate::demo::showcase(db, log_key_path)
        .context("building the demo data failed; nothing served")?;
    println!(
        "built the demo data in {}: one log of {} entries (treaty registry, custody and control, material accounts, escrow, review reports) in {:.1} s",
        built.db.display(),
        built.size,
        started.elapsed().as_secs_f64()
    );
    println!("   log verifier key: {}", built.vkey.to_text());
    println!(
        "actor keys in {}/ (sign in with one to read restricted facility accounts):",
        built.keys_dir.display()
    );
    for (actor, what) in [
        (
            "inspector-1",
            "the inspectorate: every state's facility accounts",
        ),
        (
            "xff-operator-1",
            "state XFF's fuel fabrication plant, MBA XFF1",
        ),
        ("xbb-operator-1", "state XBB's fuel plant, MBA XBB1"),
    ] {
        println!(
            "   {}  ({what})",
            built.keys_dir.join(format!("{actor}.key")).display()
        );
    }
    Ok(())
}
