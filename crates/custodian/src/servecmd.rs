//! `custodian serve`: the HTTP API of crate `custodian-server` over one log,
//! with this binary's engine rules ([`crate::record::rule_of`]) for appends, so
//! a submission accepted over HTTP is one `custodian log append` would accept.

use crate::cli::{log_key_beside, Cli, ServeArgs};
use crate::keyfile::read_signing_key;
use crate::CmdResult;
use anyhow::{anyhow, Context};
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
        build_demo(cli, &db)?;
        let key = cli.log_key.clone().unwrap_or_else(|| log_key_beside(&db));
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
        .with_context(|| format!("{target}: cannot serve this log"))?;
    let origin = ledger.origin().to_string();
    let db_text = target.to_string();
    custodian_server::run(ledger, &args.addr, |addr| {
        println!("serving the log {origin:?} in {db_text}");
        println!("listening on http://{addr}");
        println!("   try: curl http://{addr}/api/v1/checkpoint   (API: http://{addr}/openapi.json; stop with Ctrl-C)");
    })
    .with_context(|| format!("--addr {}", args.addr))?;
    Ok(())
}

/// Builds the demo's databases as `custodian demo` does, quietly: the demo is
/// run as a child process of this binary with its walkthrough captured, and
/// shown only if it fails.
fn build_demo(cli: &Cli, db: &Path) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("cannot find this program to run the demo")?;
    let mut command = std::process::Command::new(exe);
    command.arg("--db").arg(db);
    if let Some(key) = &cli.log_key {
        command.arg("--log-key").arg(key);
    }
    let output = command
        .arg("demo")
        .stdin(std::process::Stdio::null())
        .output()
        .context("cannot run `custodian demo`")?;
    if !output.status.success() {
        eprint!("{}", String::from_utf8_lossy(&output.stdout));
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
        return Err(anyhow!(
            "building the demo data failed ({}); nothing served",
            output.status
        ));
    }
    println!(
        "built the demo data in {} (`custodian demo` shows its walkthrough)",
        db.display()
    );
    Ok(())
}
